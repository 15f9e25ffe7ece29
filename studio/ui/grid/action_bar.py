"""The buttons under a grid image (and the job-level ones beside its caption): `ActionButton`,
an icon and a short label painted by hand, and `ActionBar`, which lays a row of them out centred.
Under an image the row is always one row of labelled buttons: those that do not fit go into a
"More" menu at its end (all of them, behind "Actions", on a very narrow image). The caption's
bar drops to icons when narrow instead (the caption fits itself around it). Both are pooled and
reused from job to job, so showing a grid never builds widgets.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPoint, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QIcon, QKeyEvent, QPainter, QPaintEvent, QPen, QResizeEvent
from PySide6.QtWidgets import QAbstractButton, QMenu, QWidget

from studio.ui.common import theme
from studio.ui.grid.actions import FLOW_LOCAL, ICON_UNKNOWN, SCOPE_IMAGE, ActionSpec, spec_for, unknown_tooltip
from studio.ui.common.icons import action_icon

BUTTON_H = 26
BUTTON_GAP = 4

_MORE_ICON = "M5 12h.01 M12 12h.01 M19 12h.01"
# The overflow button: "More" after the buttons that fit, "Actions" when none fits beside it.
MORE = ActionSpec(name="more", label="More", icon=_MORE_ICON, tooltip="More actions for this image",
                  op="", flow=FLOW_LOCAL, dialog="", scope=SCOPE_IMAGE)
ALL_ACTIONS = ActionSpec(name="more", label="Actions", icon=_MORE_ICON, tooltip="The actions for this image",
                         op="", flow=FLOW_LOCAL, dialog="", scope=SCOPE_IMAGE)


class ActionButton(QAbstractButton):
    """One action under an image (or for the whole job): icon + short label, keyboard-reachable.

    Painted by hand rather than styled with QSS: the grid reuses a small pool of these for every
    job it shows, and re-polishing styled buttons on each grid change is what stalls the window.
    """

    PAD = 6
    ICON = 16
    SPACING = 4

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.name = ""
        self.spec: ActionSpec | None = None
        self.image_no: int | None = None
        self.base_tooltip = ""
        self.reason: str | None = None
        self.compact = False
        self.emphasised = False  # on the selected image: full-contrast label and icon
        self.overflow_anchor: QWidget | None = None  # the "More" button while this one is in its menu
        self._full_width = 0
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setAttribute(Qt.WidgetAttribute.WA_Hover)
        self.setFixedHeight(BUTTON_H)

    def configure(self, name: str, spec: ActionSpec | None, image_no: int | None) -> None:
        """Show `name` (known: its registry label and icon; unknown: its raw name, disabled)."""
        self.name, self.spec, self.image_no = name, spec, image_no
        if spec is None:
            text, icon, tooltip = name, ICON_UNKNOWN, unknown_tooltip(name)
        else:
            text, icon, tooltip = spec.label, spec.icon, spec.tooltip
        self.setText(text)
        self.setIcon(action_icon(icon))
        self.base_tooltip = tooltip
        self.reason = tooltip if spec is None else None
        self.setEnabled(spec is not None)
        self.setToolTip(tooltip)
        self.setAccessibleName(text)
        self.setAccessibleDescription(tooltip)
        fm = QFontMetrics(self.font())
        self._full_width = self.PAD * 2 + self.ICON + self.SPACING + fm.horizontalAdvance(text) + 2
        self.updateGeometry()
        self.update()

    def set_blocked(self, reason: str | None) -> None:
        """Disable with a reason in the tooltip (the button keeps its place), or re-enable."""
        if self.spec is None or reason == self.reason:
            return  # unknown actions stay disabled with their own explanation
        self.reason = reason
        self.setEnabled(reason is None)
        self.setToolTip(self.base_tooltip if reason is None else f"{self.base_tooltip}\n\n{reason}")

    def anchor(self) -> QWidget:
        """Where a popover for this action opens: the button, or "More" when it is in the menu."""
        return self.overflow_anchor if self.overflow_anchor is not None else self

    def set_emphasised(self, on: bool) -> None:
        if on != self.emphasised:
            self.emphasised = on
            self.update()

    def set_compact(self, compact: bool) -> None:
        compact = compact and self.spec is not None  # an unknown action always shows its name
        if compact != self.compact:
            self.compact = compact
            self.update()

    def full_width(self) -> int:
        return self._full_width

    def icon_width(self) -> int:
        if self.spec is None:
            return self._full_width
        return self.PAD * 2 + self.ICON

    def sizeHint(self) -> QSize:
        return QSize(self.icon_width() if self.compact else self._full_width, BUTTON_H)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.isEnabled():
            self.click()
            return
        super().keyPressEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        c = theme.current
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        enabled = self.isEnabled()
        hovered = enabled and self.underMouse()
        frame = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        if enabled and self.isDown():
            painter.setPen(QPen(QColor(c.border), 1))
            painter.setBrush(QColor(c.border))
            painter.drawRoundedRect(frame, 5, 5)
        elif hovered:
            painter.setPen(QPen(QColor(c.border), 1))
            painter.setBrush(QColor(c.raised))
            painter.drawRoundedRect(frame, 5, 5)
        if self.hasFocus():
            painter.setPen(QPen(QColor(c.accent), 1.5))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(frame.adjusted(0.5, 0.5, -0.5, -0.5), 5, 5)
        elif self.spec is None:  # unknown: a dashed outline marks "not for this version"
            pen = QPen(QColor(c.border), 1, Qt.PenStyle.DashLine)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(frame, 5, 5)
        lit = hovered or self.hasFocus() or self.emphasised
        mode = QIcon.Mode.Disabled if not enabled else (QIcon.Mode.Active if lit else QIcon.Mode.Normal)
        if self.compact:
            x = (self.width() - self.ICON) // 2
        else:
            x = self.PAD
        y = (self.height() - self.ICON) // 2
        self.icon().paint(painter, QRect(x, y, self.ICON, self.ICON), Qt.AlignmentFlag.AlignCenter, mode)
        if not self.compact:
            color = c.faint if not enabled else (c.text if lit else c.muted)
            painter.setPen(QColor(color))
            text_rect = QRect(x + self.ICON + self.SPACING, 0, self.width() - x - self.ICON - self.SPACING, self.height())
            painter.drawText(text_rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, self.text())
        painter.end()


class ActionBar(QWidget):
    """The buttons under one image, centred. With `overflow` (under an image) they keep their
    labels on one row and those that do not fit go into the "More" menu; without it (the
    caption's job buttons) they drop to icons only, then wrap, when narrow. Buttons are reused
    from job to job."""

    def __init__(self, parent: QWidget, make_button: Callable[[QWidget], ActionButton], *,
                 overflow: bool = False) -> None:
        super().__init__(parent)
        self._make_button = make_button
        self._pool: list[ActionButton] = []
        self.buttons: list[ActionButton] = []
        self.compact = False
        self.overflow = overflow
        self.overflowed: list[ActionButton] = []  # in the "More" menu, not on the row
        self.menu: QMenu | None = None
        self.more = ActionButton(self)
        self.more.setObjectName("MoreActions")
        self.more.configure(MORE.name, MORE, None)
        self.more.clicked.connect(self.open_overflow)
        self.more.hide()

    def reserve(self, count: int) -> None:
        """Create (hidden) buttons ahead of need, so showing a grid never builds widgets."""
        while len(self._pool) < count:
            button = self._make_button(self)
            button.hide()
            self._pool.append(button)

    def configure(self, names: list[str], image_no: int | None) -> list[ActionButton]:
        while len(self._pool) < len(names):
            self._pool.append(self._make_button(self))
        self.buttons = self._pool[: len(names)]
        for button, name in zip(self.buttons, names):
            button.configure(name, spec_for(name), image_no)
            button.show()
        for spare in self._pool[len(names):]:
            spare.hide()
        self.more.image_no = image_no
        self._place()
        return self.buttons

    def set_emphasised(self, on: bool) -> None:
        for button in (*self.buttons, self.more):
            button.set_emphasised(on)

    # ----- layout -------------------------------------------------------------------------
    def _rows(self, width: int, compact: bool) -> list[list[tuple[ActionButton, int]]]:
        rows: list[list[tuple[ActionButton, int]]] = [[]]
        used = 0
        for button in self.buttons:
            w = button.icon_width() if compact else button.full_width()
            need = w if not rows[-1] else used + BUTTON_GAP + w
            if rows[-1] and need > width:
                rows.append([(button, w)])
                used = w
            else:
                rows[-1].append((button, w))
                used = need
        return rows if rows[0] else []

    def _plan(self, width: int) -> tuple[bool, list[list[tuple[ActionButton, int]]]]:
        if self.overflow:
            return False, [self._one_row(width)] if self.buttons else []
        full = self._rows(width, compact=False)
        # One row with labels, unless even that row (a lone button) is wider than the bar.
        if len(full) <= 1 and (not full or sum(w for _, w in full[0]) + BUTTON_GAP * (len(full[0]) - 1) <= width):
            return False, full
        return True, self._rows(width, compact=True)

    def _one_row(self, width: int) -> list[tuple[ActionButton, int]]:
        """The labelled buttons that fit in `width` (in order), then "More" for the rest."""
        widths = [b.full_width() for b in self.buttons]
        if sum(widths) + BUTTON_GAP * (len(widths) - 1) <= width:
            return list(zip(self.buttons, widths))
        room = width - self._more_width(MORE)
        row: list[tuple[ActionButton, int]] = []
        used = 0
        for button, w in zip(self.buttons, widths):
            if used + w + BUTTON_GAP > room:
                break
            row.append((button, w))
            used += w + BUTTON_GAP
        return [*row, (self.more, self._more_width(MORE if row else ALL_ACTIONS))]

    def _more_width(self, spec: ActionSpec) -> int:
        fm = QFontMetrics(self.more.font())
        return ActionButton.PAD * 2 + ActionButton.ICON + ActionButton.SPACING + fm.horizontalAdvance(spec.label) + 2

    def height_for(self, width: int) -> int:
        _, rows = self._plan(width)
        if not rows:
            return 0
        return len(rows) * BUTTON_H + (len(rows) - 1) * BUTTON_GAP

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._place()

    def _place(self) -> None:
        compact, rows = self._plan(self.width())
        self.compact = compact
        shown = {id(button) for row in rows for button, _ in row}
        self.overflowed = [b for b in self.buttons if id(b) not in shown]
        for button in self.buttons:
            button.overflow_anchor = self.more if id(button) not in shown else None
            if button.isHidden() == (id(button) in shown):
                button.setVisible(id(button) in shown)
        if self.more.isHidden() == (id(self.more) in shown):
            self.more.setVisible(id(self.more) in shown)
        spec = MORE if len(self.overflowed) < len(self.buttons) else ALL_ACTIONS
        if self.more.text() != spec.label:
            self.more.configure(spec.name, spec, self.more.image_no)
        self.more.setToolTip(self._more_tooltip())
        y = 0
        for row in rows:
            total = sum(w for _, w in row) + BUTTON_GAP * (len(row) - 1)
            x = max(0, (self.width() - total) // 2)
            for button, w in row:
                button.set_compact(compact)
                button.setGeometry(x, y, w, BUTTON_H)
                x += w + BUTTON_GAP
            y += BUTTON_H + BUTTON_GAP

    def _more_tooltip(self) -> str:
        names = ", ".join(b.text() for b in self.overflowed)
        return f"More actions for this image: {names}" if names else MORE.tooltip

    # ----- the "More" menu ----------------------------------------------------------------
    def overflow_menu(self) -> QMenu:
        """The menu of the buttons that did not fit: each entry clicks its button (a blocked
        one is shown disabled, its reason in the tooltip). Built fresh, not shown."""
        if self.menu is not None:
            self.menu.close()
            self.menu.deleteLater()
        menu = QMenu(self)
        menu.setObjectName("MoreActionsMenu")
        menu.setToolTipsVisible(True)
        for button in self.overflowed:
            action = menu.addAction(button.icon(), button.text())
            action.setObjectName(f"more-{button.name}")
            action.setToolTip(button.toolTip())
            action.setEnabled(button.isEnabled())
            action.triggered.connect(lambda _=False, b=button: b.click())
        self.menu = menu
        return menu

    def open_overflow(self) -> QMenu:
        """Show the "More" menu under its button (non-blocking: no nested event loop)."""
        menu = self.overflow_menu()
        menu.popup(self.more.mapToGlobal(QPoint(0, self.more.height() + 2)))
        return menu
