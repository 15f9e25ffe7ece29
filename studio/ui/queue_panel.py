"""The queue: every job of this session, newest first, with its status, progress and errors.

A model/view over `JobsSession`: the model holds only keys (in display order) and reads each
`JobEntry` from the session when painting, so the queue never keeps a copy of job state.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QAction, QColor, QFont, QFontMetrics, QGuiApplication, QPainter, QPen
from PySide6.QtWidgets import (
    QListView,
    QMenu,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from studio.session.jobs import CANCELLED, ERROR, FAILED, JobEntry, JobsSession
from studio.session.prompt_state import model_label
from studio.ui import theme
from studio.ui.time_text import elapsed_text

KeyRole = Qt.ItemDataRole.UserRole + 1

_PAD = 10
_LINE_GAP = 3
_BAR_H = 3


def excerpt(text: str | None, limit: int = 90) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def row_summary(entry: JobEntry) -> str:
    """The row as plain text (accessibility text and tooltips): type · model · status · time."""
    parts = [entry.task_type.replace("_", " ")]
    if entry.model:
        parts.append(model_label(entry.model))
    parts.append(entry.status_word())
    parts.append(elapsed_text(entry.elapsed))
    if entry.credits:
        parts.append(f"{entry.credits} credits")
    line = " · ".join(parts)
    if entry.error:
        line += f"\n{entry.error}"
    elif entry.notice:
        line += f"\n{entry.notice}"
    return line


class QueueModel(QAbstractListModel):
    """The session's visible entries, newest first."""

    def __init__(self, session: JobsSession, parent: Any = None) -> None:
        super().__init__(parent)
        self.session = session
        self._keys: list[str] = [e.key for e in reversed(session.entries())]
        session.job_added.connect(self._on_added)
        session.job_changed.connect(self._on_changed)
        session.job_finished.connect(self._on_changed)
        session.job_hidden.connect(self._on_hidden)

    # ----- Qt model API -------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._keys)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._keys):
            return None
        key = self._keys[index.row()]
        entry = self.session.entry(key)
        if entry is None:
            return None
        if role == KeyRole:
            return key
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return row_summary(entry)
        if role == Qt.ItemDataRole.ToolTipRole:
            tip = row_summary(entry)
            if entry.prompt:
                tip = f"{tip}\n\n{entry.prompt}"
            if entry.job_id:
                tip += f"\n\njob {entry.job_id}"
            return tip
        return None

    # ----- helpers ------------------------------------------------------------------------
    def entry_at(self, index: QModelIndex | QPersistentModelIndex | int) -> JobEntry | None:
        """The entry of a row, read straight from the session.

        Deliberately not a data() role: handing Python objects through QVariant on every paint
        crashed PySide6 at interpreter exit (a reference-count bug), so the delegate asks here.
        """
        row = index if isinstance(index, int) else index.row()
        if not 0 <= row < len(self._keys):
            return None
        return self.session.entry(self._keys[row])

    def keys(self) -> list[str]:
        return list(self._keys)

    def row_of(self, key: str) -> int:
        entry = self.session.entry(key)
        if entry is None:
            return -1
        try:
            return self._keys.index(entry.key)
        except ValueError:
            return -1

    def refresh_active(self) -> None:
        """Repaint the rows whose elapsed time is still counting."""
        for row, key in enumerate(self._keys):
            entry = self.session.entry(key)
            if entry is not None and entry.active:
                index = self.index(row)
                self.dataChanged.emit(index, index)

    def _on_added(self, key: str) -> None:
        entry = self.session.entry(key)
        if entry is None or entry.hidden:
            return
        self.beginInsertRows(QModelIndex(), 0, 0)
        self._keys.insert(0, key)
        self.endInsertRows()

    def _on_changed(self, key: str) -> None:
        row = self.row_of(key)
        if row >= 0:
            index = self.index(row)
            self.dataChanged.emit(index, index)

    def _on_hidden(self, key: str) -> None:
        row = self.row_of(key)
        if row < 0:
            return
        self.beginRemoveRows(QModelIndex(), row, row)
        del self._keys[row]
        self.endRemoveRows()


def _entry_of(index: QModelIndex | QPersistentModelIndex) -> JobEntry | None:
    model = index.model()
    return model.entry_at(index) if isinstance(model, QueueModel) else None


class QueueDelegate(QStyledItemDelegate):
    """Paints a row: type · model and status, prompt excerpt and time/credits, then a thin
    progress bar while running or the error in red."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.current_key: str | None = None  # the job on show in the grid

    def _fonts(self, option: QStyleOptionViewItem) -> tuple[QFont, QFont]:
        bold = QFont(option.font)
        bold.setWeight(QFont.Weight.DemiBold)
        small = QFont(option.font)
        small.setPointSizeF(max(7.0, option.font.pointSizeF() - 1))
        return bold, small

    def _third_line(self, entry: JobEntry) -> str | None:
        if entry.error:
            return entry.error
        if entry.notice and entry.status != CANCELLED:
            return entry.notice
        return None

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:  # noqa: N802
        entry = _entry_of(index)
        bold, small = self._fonts(option)
        h = _PAD + QFontMetrics(bold).height() + _LINE_GAP + QFontMetrics(small).height() + _PAD
        if entry is not None:
            if entry.active:
                h += _LINE_GAP + _BAR_H + 2
            third = self._third_line(entry)
            if third:
                width = max(120, option.rect.width() - 2 * _PAD)
                lines = min(3, QFontMetrics(small).boundingRect(
                    QRect(0, 0, width, 1000), Qt.TextFlag.TextWordWrap, third).height()
                    // max(1, QFontMetrics(small).height()))
                h += _LINE_GAP + max(1, lines) * QFontMetrics(small).height()
        return QSize(200, h)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> None:
        entry = _entry_of(index)
        if entry is None:
            return
        c = theme.current
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = option.rect
        selected = entry.key == self.current_key
        hovered = bool(option.state & QStyle.StateFlag.State_MouseOver)
        if selected or hovered:
            painter.fillRect(rect, QColor(c.raised))
        if selected:
            painter.fillRect(QRect(rect.left(), rect.top(), 3, rect.height()), QColor(c.accent))
        if option.state & QStyle.StateFlag.State_HasFocus:
            painter.setPen(QPen(QColor(c.accent), 1))
            painter.drawRect(rect.adjusted(0, 0, -1, -1))
        painter.setPen(QPen(QColor(c.border), 1))
        painter.drawLine(rect.left() + _PAD, rect.bottom(), rect.right() - _PAD, rect.bottom())

        bold, small = self._fonts(option)
        fm_bold, fm_small = QFontMetrics(bold), QFontMetrics(small)
        left = rect.left() + _PAD + 2
        right = rect.right() - _PAD
        width = right - left
        y = rect.top() + _PAD

        # Line 1: task type · model ........ status word
        status = entry.status_word()
        if entry.status in (ERROR, FAILED):
            status_color = c.error
        elif entry.active:
            status_color = c.accent
        else:
            status_color = c.muted
        painter.setFont(small)
        status_w = fm_small.horizontalAdvance(status)
        painter.setPen(QColor(status_color))
        painter.drawText(QRect(right - status_w, y, status_w, fm_bold.height()),
                         Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, status)
        painter.setFont(bold)
        painter.setPen(QColor(c.text))
        title = entry.task_type.replace("_", " ")
        title_w = min(fm_bold.horizontalAdvance(title), width - status_w - 8)
        painter.drawText(QRect(left, y, title_w, fm_bold.height()), Qt.AlignmentFlag.AlignVCenter,
                         fm_bold.elidedText(title, Qt.TextElideMode.ElideRight, title_w))
        if entry.model:
            painter.setFont(small)
            painter.setPen(QColor(c.muted))
            label = f"· {model_label(entry.model)}"
            room = width - status_w - title_w - 14
            if room > 20:
                painter.drawText(QRect(left + title_w + 6, y, room, fm_bold.height()),
                                 Qt.AlignmentFlag.AlignVCenter,
                                 fm_small.elidedText(label, Qt.TextElideMode.ElideRight, room))
        y += fm_bold.height() + _LINE_GAP

        # Line 2: prompt excerpt ........ elapsed · credits
        painter.setFont(small)
        meta = elapsed_text(entry.elapsed)
        if entry.credits:
            meta += f" · {entry.credits} cr"
        meta_w = fm_small.horizontalAdvance(meta)
        painter.setPen(QColor(c.faint))
        painter.drawText(QRect(right - meta_w, y, meta_w, fm_small.height()),
                         Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, meta)
        painter.setPen(QColor(c.muted))
        text = excerpt(entry.prompt) or (f"from {entry.parent[0][:8]}… #{entry.parent[1] + 1}" if entry.parent else "")
        room = max(0, width - meta_w - 10)
        painter.drawText(QRect(left, y, room, fm_small.height()), Qt.AlignmentFlag.AlignVCenter,
                         fm_small.elidedText(text, Qt.TextElideMode.ElideRight, room))
        y += fm_small.height()

        # Line 3: thin progress bar while running
        if entry.active:
            y += _LINE_GAP + 1
            bar = QRect(left, y, width, _BAR_H)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(c.border))
            painter.drawRoundedRect(bar, 1.5, 1.5)
            share = (entry.progress or 0) / 100.0
            if entry.status in ("pending", "staged", "submitting"):
                share = max(share, 0.03)
            if share > 0:
                painter.setBrush(QColor(c.accent))
                painter.drawRoundedRect(QRect(left, y, max(3, int(width * min(1.0, share))), _BAR_H), 1.5, 1.5)
            y += _BAR_H + 1

        # Line 4: the error (red) or a notice such as "rate limited, retrying"
        third = self._third_line(entry)
        if third:
            y += _LINE_GAP
            painter.setFont(small)
            painter.setPen(QColor(c.error if entry.error else c.warning))
            painter.drawText(QRect(left, y, width, rect.bottom() - y - 2),
                             Qt.TextFlag.TextWordWrap | Qt.AlignmentFlag.AlignTop, third)
        painter.restore()


class QueueView(QListView):
    """The list, with an empty-state line painted when there are no jobs."""

    def paintEvent(self, event: Any) -> None:  # noqa: N802
        super().paintEvent(event)
        if self.model() is not None and self.model().rowCount() == 0:
            painter = QPainter(self.viewport())
            painter.setPen(QColor(theme.current.faint))
            painter.drawText(self.viewport().rect().adjusted(12, 16, -12, -12),
                             Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap,
                             "No jobs yet.\nJobs you start appear here;\nseveral can run at once.")


class QueuePanel(QWidget):
    """The dock's body. Click a row to show that job in the grid; right-click for actions."""

    job_selected = Signal(str)

    def __init__(self, session: JobsSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("DockBody")
        self.session = session
        self.model = QueueModel(session, self)
        self.delegate = QueueDelegate(self)
        self.view = QueueView(self)
        self.view.setObjectName("QueueList")
        self.view.setModel(self.model)
        self.view.setItemDelegate(self.delegate)
        self.view.setMouseTracking(True)
        self.view.setUniformItemSizes(False)
        self.view.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)
        self.view.setSelectionMode(QListView.SelectionMode.SingleSelection)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)
        self.view.clicked.connect(self._clicked)
        self.view.activated.connect(self._clicked)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)
        # Row heights change when a job starts, fails or finishes: re-measure then.
        session.job_finished.connect(lambda _k: self.view.doItemsLayout())
        self._ticker = QTimer(self)
        self._ticker.setInterval(1000)
        self._ticker.timeout.connect(self.model.refresh_active)
        self._ticker.start()

    def set_current(self, key: str | None) -> None:
        """Mark the job on show in the grid."""
        entry = self.session.entry(key) if key else None
        self.delegate.current_key = entry.key if entry else None
        self.view.viewport().update()

    def _clicked(self, index: QModelIndex) -> None:
        key = index.data(KeyRole)
        if key:
            self.set_current(key)
            self.job_selected.emit(key)

    def actions_for(self, key: str) -> list[QAction]:
        """The context actions of a row (also used by tests)."""
        entry = self.session.entry(key)
        if entry is None:
            return []
        show = QAction("Show in grid", self)
        show.triggered.connect(lambda: (self.set_current(key), self.job_selected.emit(key)))
        stop = QAction("Stop watching", self)
        stop.setEnabled(entry.active)
        stop.setToolTip("Stop polling this job; it may still finish (and be charged) on the server")
        stop.triggered.connect(lambda: self.session.cancel_watch(key))
        retry = QAction("Send again", self)
        retry.setEnabled(entry.status in (ERROR, FAILED))
        retry.triggered.connect(lambda: self.session.resubmit(key))
        hide = QAction("Hide from queue", self)
        hide.triggered.connect(lambda: self.session.hide(key))
        copy_id = QAction("Copy job id", self)
        copy_id.setEnabled(bool(entry.job_id))
        copy_id.triggered.connect(lambda: QGuiApplication.clipboard().setText(entry.job_id or ""))
        copy_prompt = QAction("Copy prompt", self)
        copy_prompt.setEnabled(bool(entry.prompt))
        copy_prompt.triggered.connect(lambda: QGuiApplication.clipboard().setText(entry.prompt or ""))
        return [show, stop, retry, hide, copy_id, copy_prompt]

    def _context_menu(self, pos: Any) -> None:
        index = self.view.indexAt(pos)
        key = index.data(KeyRole) if index.isValid() else None
        if not key:
            return
        menu = QMenu(self)
        for i, action in enumerate(self.actions_for(key)):
            if i in (3, 4):
                menu.addSeparator()
            menu.addAction(action)
        menu.exec(self.view.viewport().mapToGlobal(pos))
