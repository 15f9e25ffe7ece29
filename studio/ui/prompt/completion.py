"""Flag completion for the prompt editor: a QCompleter listing the flags the current model
accepts, each row showing the flag's allowed values ("--stylize   0–1000").

The list comes from the rule tables through `studio.session.prompt_state.flag_catalog`; a flag
the model rejects or ignores is not offered.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QPainter, QPalette, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QApplication, QCompleter, QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from studio.prompt.support import flag_catalog
from studio.ui.prompt.highlighter import accent_color, muted_color

# The text to match and insert ("--stylize"); DisplayRole holds the same.
COMPLETION_ROLE = Qt.ItemDataRole.UserRole + 1
# "stylize · 0–1000": what the flag is and the values it takes on this model.
HINT_ROLE = Qt.ItemDataRole.UserRole + 2
# Whether the flag takes a value (a space follows the inserted name either way).
TAKES_VALUE_ROLE = Qt.ItemDataRole.UserRole + 3


def completion_rows(model: str) -> list[tuple[str, str, bool]]:
    """(spelling "--x", hint, takes_value) for every flag spelling `model` accepts."""
    rows: list[tuple[str, str, bool]] = []
    for support in flag_catalog(model):
        if not support.usable:
            continue
        for spelling in support.spellings:
            described = support.label if support.label.lower() != spelling else ""
            hint = " · ".join(part for part in (described, support.hint) if part)
            rows.append((f"--{spelling}", hint, support.shape != "none"))
    rows.sort(key=lambda r: (len(r[0]) > 3, r[0]))  # short forms (--s, --ar) before long ones
    return rows


class _FlagDelegate(QStyledItemDelegate):
    """Paints a row as the flag name on the left and its allowed values on the right."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        name = opt.text
        opt.text = ""
        style = opt.widget.style() if opt.widget is not None else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        hint = index.data(HINT_ROLE) or ""
        rect: QRect = opt.rect.adjusted(8, 0, -8, 0)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        painter.save()
        painter.setFont(opt.font)
        name_color = opt.palette.color(QPalette.ColorRole.HighlightedText) if selected else accent_color()
        painter.setPen(name_color)
        painter.drawText(rect, int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft), name)
        name_width = opt.fontMetrics.horizontalAdvance(name) + 16
        hint_rect = rect.adjusted(name_width, 0, 0, 0)
        painter.setPen(opt.palette.color(QPalette.ColorRole.HighlightedText) if selected else muted_color())
        elided = opt.fontMetrics.elidedText(hint, Qt.TextElideMode.ElideRight, hint_rect.width())
        painter.drawText(hint_rect, int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight), elided)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:  # noqa: N802
        base = super().sizeHint(option, index)
        name = index.data(Qt.ItemDataRole.DisplayRole) or ""
        hint = index.data(HINT_ROLE) or ""
        width = option.fontMetrics.horizontalAdvance(f"{name}    {hint}") + 32
        return QSize(max(base.width(), width), max(base.height(), option.fontMetrics.height() + 8))


class FlagCompleter(QCompleter):
    """Completes `--fl…` to the flags of the prompt's model; rows carry their value hints."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._items = QStandardItemModel(self)
        self.setModel(self._items)
        self.setCompletionRole(COMPLETION_ROLE)
        self.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.setFilterMode(Qt.MatchFlag.MatchStartsWith)
        self.setMaxVisibleItems(9)
        self.setWrapAround(False)
        self.popup().setItemDelegate(_FlagDelegate(self.popup()))
        self.popup().setObjectName("FlagCompletionPopup")
        palette = QApplication.palette()
        self.popup().setStyleSheet(
            f"QListView#FlagCompletionPopup {{ border: 1px solid {palette.color(QPalette.ColorRole.Mid).name()};"
            f" background: {palette.color(QPalette.ColorRole.AlternateBase).name()}; padding: 2px; }}")
        self.popup().setUniformItemSizes(True)
        self._model_id: str | None = None

    def set_model_id(self, model: str) -> None:
        """Rebuild the list for `model` (only when it changed)."""
        if model == self._model_id:
            return
        self._model_id = model
        self._items.clear()
        for spelling, hint, takes_value in completion_rows(model):
            item = QStandardItem(spelling)
            item.setData(spelling, COMPLETION_ROLE)
            item.setData(hint, HINT_ROLE)
            item.setData(takes_value, TAKES_VALUE_ROLE)
            item.setToolTip(f"{spelling} {hint}".strip())
            item.setEditable(False)
            self._items.appendRow(item)

    def model_id(self) -> str | None:
        return self._model_id

    def visible_rows(self) -> list[tuple[str, str]]:
        """(flag, hint) of the rows the popup currently offers, in order (for tests and a11y)."""
        model = self.completionModel()
        return [(model.index(r, 0).data(COMPLETION_ROLE), model.index(r, 0).data(HINT_ROLE))
                for r in range(model.rowCount())]
