"""The queue: every job of this session, newest first, with its status, progress and errors.

A model/view over `JobsSession`: the model holds only keys (in display order) and reads each
`JobEntry` from the session when painting, so the queue never keeps a copy of job state.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

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
from PySide6.QtGui import QAction, QColor, QFont, QFontMetrics, QFontMetricsF, QGuiApplication, QPainter, QPen
from PySide6.QtWidgets import (
    QAbstractButton,
    QListView,
    QMenu,
    QMessageBox,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from studio.session.jobs import CANCELLED, ERROR, FAILED, JobEntry, JobsSession
from studio.prompt.support import model_label
from studio.ui.common import theme
from studio.ui.common.request_copy import copy_request_actions
from studio.credits import credits_text
from studio.ui.common.time_text import elapsed_text

KeyRole = Qt.ItemDataRole.UserRole + 1
SetRole = Qt.ItemDataRole.UserRole + 2  # "2/4": the job's place in the set it was sent with

_PAD = 10
_LINE_GAP = 3
_BAR_H = 3
_NOTE_LINES = 3  # an error or notice longer than this is cut with "…" (the tooltip has it all)


def _source_words(request: dict[str, Any]) -> str:
    """What a job without a prompt or a parent was made from: an image address's file name
    (describe, remove background, Topaz from a URL), or how many images a blend took."""
    urls = request.get("img_urls")
    if isinstance(urls, (list, tuple)):
        return f"{len(urls)} images"
    url = request.get("img_url") or request.get("image_url")
    if not isinstance(url, str):
        return ""
    return "from " + (url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1] or url)


def excerpt(text: str | None, limit: int = 90) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def fit_text(fm: QFontMetricsF, text: str, room: float) -> tuple[str, int]:
    """`text` elided to `room` px only when it really is wider, and the whole pixels it needs.

    Advances are fractional: measuring with whole pixels (QFontMetrics) rounds a 25.2 px
    "pan" down to 25 and then elides it to "p…" in its own width.
    """
    width = fm.horizontalAdvance(text)
    if width > room:
        text = fm.elidedText(text, Qt.TextElideMode.ElideRight, room)
        width = fm.horizontalAdvance(text)
    return text, math.ceil(width)


def clamp_lines(fm: QFontMetrics, text: str, width: int, lines: int) -> str:
    """`text` as it wraps in `width` px, cut after a whole word with "…" to at most `lines`."""
    limit = lines * fm.height()
    if _wrapped_height(fm, text, width) <= limit:
        return text
    words = text.split(" ")
    low, high = 0, len(words)
    while low < high:  # the most words that fit together with the "…"
        mid = (low + high + 1) // 2
        if _wrapped_height(fm, " ".join(words[:mid]) + "…", width) <= limit:
            low = mid
        else:
            high = mid - 1
    return " ".join(words[:low]).rstrip(" .,;:") + "…"


def _wrapped_height(fm: QFontMetrics, text: str, width: int) -> int:
    return fm.boundingRect(QRect(0, 0, max(1, width), 100_000), Qt.TextFlag.TextWordWrap, text).height()


def _text_width(row_width: int) -> int:
    """The width the words of a row get (paint() leaves padding and the current-job stripe)."""
    return max(40, row_width - 1 - 2 * _PAD - 2)


def _row_width(option: QStyleOptionViewItem) -> int:
    view = option.widget  # sizeHint is asked before rows have a rect: measure the list itself
    if isinstance(view, QListView):
        return view.viewport().width()
    return option.rect.width()


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


# The queue shows every live job and the newest ended ones; older ones are in the history
# browser. Bounded, so a row's update costs the same after 100,000 jobs as after ten.
ENDED_ROWS = 200


class QueueModel(QAbstractListModel):
    """The session's visible entries, newest first: the live ones and the newest ended."""

    def __init__(self, session: JobsSession, parent: Any = None) -> None:
        super().__init__(parent)
        self.session = session
        keys: list[str] = []
        ended = 0
        for entry in reversed(session.entries()):
            if not entry.active:
                ended += 1
                if ended > ENDED_ROWS:
                    continue
            keys.append(entry.key)
        self._keys = keys
        self._rows: dict[str, int] | None = None  # key -> row, rebuilt after rows move
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
        if role == SetRole:
            return self.set_place(entry)
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            place = self.set_place(entry)
            return row_summary(entry) + (f"\nset {place}" if place else "")
        if role == Qt.ItemDataRole.ToolTipRole:
            tip = row_summary(entry)
            place = self.set_place(entry)
            if place:
                tip += (f"\n\nPrompt {place} of a set sent together ({{…}} in the prompt); "
                        "right-click to send the set again.")
            if entry.prompt:
                tip = f"{tip}\n\n{entry.prompt}"
            if entry.external:
                tip += "\n\nFound on your account: started on another device or by a script."
            if entry.job_id:
                tip += f"\n\njob {entry.job_id}"
            return tip
        return None

    # ----- helpers ------------------------------------------------------------------------
    def set_place(self, entry: JobEntry) -> str:
        """"2/4" when the job was sent in a set of four, as the second; "" when alone."""
        if not entry.record.group:
            return ""
        members = self.session.set_of(entry.key)
        if len(members) < 2:
            return ""
        keys = [m.key for m in members]
        return f"{keys.index(entry.key) + 1}/{len(keys)}" if entry.key in keys else ""

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
        if self._rows is None:
            self._rows = {k: i for i, k in enumerate(self._keys)}
        row = self._rows.get(key)
        if row is None:  # a job id rather than a key
            entry = self.session.entry(key)
            row = self._rows.get(entry.key) if entry is not None else None
        return -1 if row is None else row

    def refresh_active(self) -> None:
        """Repaint the rows whose elapsed time is still counting, each alone (a span would
        repaint every row between them)."""
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
        self._rows = None
        self.endInsertRows()
        self._trim()

    def _trim(self) -> None:
        """Ended rows beyond ENDED_ROWS leave the queue, oldest first (the history keeps them)."""
        ended = [row for row, key in enumerate(self._keys)
                 if (entry := self.session.entry(key)) is None or not entry.active]
        for row in reversed(ended[ENDED_ROWS:]):
            self.beginRemoveRows(QModelIndex(), row, row)
            del self._keys[row]
            self.endRemoveRows()
        if len(ended) > ENDED_ROWS:
            self._rows = None

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
        self._rows = None
        self.endRemoveRows()


def _entry_of(index: QModelIndex | QPersistentModelIndex) -> JobEntry | None:
    model = index.model()
    return model.entry_at(index) if isinstance(model, QueueModel) else None


class _FirstLine(NamedTuple):
    title: str
    title_w: int
    model: str
    model_w: int
    status_w: int


class QueueDelegate(QStyledItemDelegate):
    """Paints a row: type · model and status, prompt excerpt and time/credits, then a thin
    progress bar while running or the error in red."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.current_key: str | None = None  # the job on show in the grid
        self._heights: dict[tuple[Any, ...], QSize] = {}

    def _fonts(self, option: QStyleOptionViewItem) -> tuple[QFont, QFont]:
        bold = QFont(option.font)
        bold.setWeight(QFont.Weight.DemiBold)
        small = QFont(option.font)
        small.setPointSizeF(max(7.0, option.font.pointSizeF() - 1))
        return bold, small

    @staticmethod
    def first_line(entry: JobEntry, bold: QFont, small: QFont, width: int) -> _FirstLine:
        """What line 1 shows in `width` px: the task type (whole unless it cannot fit),
        "· model" when there is room, and the status word on the right."""
        fm_bold, fm_small = QFontMetricsF(bold), QFontMetricsF(small)
        status = entry.status_word()
        status_w = math.ceil(fm_small.horizontalAdvance(status))
        title, title_w = fit_text(fm_bold, entry.task_type.replace("_", " "), max(0, width - status_w - 8))
        model, model_w = "", 0
        if entry.model:
            room = width - status_w - title_w - 14
            if room > 20:
                model, model_w = fit_text(fm_small, f"· {model_label(entry.model)}", room)
        return _FirstLine(title, title_w, model, model_w, status_w)

    def _third_line(self, entry: JobEntry) -> str | None:
        if entry.error:
            return entry.error
        if entry.notice and entry.status != CANCELLED:
            return entry.notice
        return None

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:  # noqa: N802
        # Qt asks every row again when one changes: answer from what the height depends on.
        entry = _entry_of(index)
        key = None
        if entry is not None:
            key = (entry.key, _row_width(option), entry.active, self._third_line(entry), option.font.key())
            found = self._heights.get(key)
            if found is not None:
                return found
        size = self._measure(entry, option)
        if key is not None:
            if len(self._heights) > 4 * ENDED_ROWS:
                self._heights.clear()
            self._heights[key] = size
        return size

    def _measure(self, entry: JobEntry | None, option: QStyleOptionViewItem) -> QSize:
        bold, small = self._fonts(option)
        h = _PAD + QFontMetrics(bold).height() + _LINE_GAP + QFontMetrics(small).height() + _PAD
        if entry is not None:
            if entry.active:
                h += _LINE_GAP + _BAR_H + 2
            third = self._third_line(entry)
            if third:
                fm = QFontMetrics(small)
                width = _text_width(_row_width(option))
                text = clamp_lines(fm, third, width, _NOTE_LINES)
                lines = _wrapped_height(fm, text, width) // max(1, fm.height())
                h += _LINE_GAP + max(1, lines) * fm.height()
        # No width of its own: a row is as wide as the list, never wider (no sideways scrolling).
        return QSize(0, h)

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
        width = _text_width(rect.width())
        y = rect.top() + _PAD

        # Line 1: task type · model ........ status word
        status = entry.status_word()
        if entry.status in (ERROR, FAILED):
            status_color = c.error
        elif entry.active:
            status_color = c.accent
        elif entry.missing:
            status_color = c.warning
        else:
            status_color = c.muted
        line = self.first_line(entry, bold, small, width)
        painter.setFont(small)
        painter.setPen(QColor(status_color))
        painter.drawText(QRect(right - line.status_w, y, line.status_w, fm_bold.height()),
                         Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, status)
        painter.setFont(bold)
        painter.setPen(QColor(c.text))
        painter.drawText(QRect(left, y, line.title_w, fm_bold.height()), Qt.AlignmentFlag.AlignVCenter, line.title)
        if line.model:
            painter.setFont(small)
            painter.setPen(QColor(c.muted))
            painter.drawText(QRect(left + line.title_w + 6, y, line.model_w, fm_bold.height()),
                             Qt.AlignmentFlag.AlignVCenter, line.model)
        y += fm_bold.height() + _LINE_GAP

        # Line 2: prompt excerpt ........ elapsed · credits
        painter.setFont(small)
        meta = elapsed_text(entry.elapsed)
        if entry.credits:
            meta += f" · {entry.credits} cr"
        meta_w = math.ceil(QFontMetricsF(small).horizontalAdvance(meta))
        painter.setPen(QColor(c.faint))
        painter.drawText(QRect(right - meta_w, y, meta_w, fm_small.height()),
                         Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, meta)
        painter.setPen(QColor(c.muted))
        text = (excerpt(entry.prompt) or (f"from {entry.parent[0][:8]}… #{entry.parent[1] + 1}" if entry.parent else "")
                or _source_words(entry.request))
        place = index.data(SetRole)
        if place:
            text = f"set {place} · {text}"
        if entry.external:  # found on the account: the artist should not wonder who sent it
            text = f"Started elsewhere · {text}" if text else "Started elsewhere"
        room = max(0, width - meta_w - 10)
        painter.drawText(QRect(left, y, room, fm_small.height()), Qt.AlignmentFlag.AlignVCenter,
                         fit_text(QFontMetricsF(small), text, room)[0])
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
                             Qt.TextFlag.TextWordWrap | Qt.AlignmentFlag.AlignTop,
                             clamp_lines(QFontMetrics(small), third, width, _NOTE_LINES))
        painter.restore()


class QueueView(QListView):
    """The list, with an empty-state line painted when there are no jobs."""

    def dataChanged(self, top_left: QModelIndex, bottom_right: QModelIndex, roles: Any = ()) -> None:  # noqa: N802
        # QListView repaints every visible row for one changed row (measured: a progress tick
        # painted all twelve rows on screen, ~20 ms). Repaint the row alone unless its height
        # changed, which needs the list laid out again.
        if top_left == bottom_right and top_left.isValid() and self.isVisible():
            rect = self.visualRect(top_left)
            option = QStyleOptionViewItem()
            self.initViewItemOption(option)
            if self.itemDelegate().sizeHint(option, top_left).height() == rect.height():
                self.viewport().update(rect)
                return
        super().dataChanged(top_left, bottom_right, roles or [])

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
    status_message = Signal(str)  # what an action did ("cURL copied: …"), for the status bar
    set_again_requested = Signal(list)  # the prompts of a set, to show with their cost and send

    def __init__(self, session: JobsSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("DockBody")
        self.session = session
        self.confirm_box: QMessageBox | None = None  # the open "Send again?" question
        self.model = QueueModel(session, self)
        self.delegate = QueueDelegate(self)
        self.view = QueueView(self)
        self.view.setObjectName("QueueList")
        self.view.setModel(self.model)
        self.view.setItemDelegate(self.delegate)
        self.view.setMouseTracking(True)
        self.view.setUniformItemSizes(False)
        self.view.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)
        # Rows follow the list's width: wrapped errors are re-measured when it changes.
        self.view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.view.setResizeMode(QListView.ResizeMode.Adjust)
        self.view.setSelectionMode(QListView.SelectionMode.SingleSelection)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)
        self.view.clicked.connect(self._clicked)
        self.view.activated.connect(self._clicked)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)
        # Row heights change when a job starts, fails or finishes: re-measure then (the
        # others answer from the delegate's cache).
        session.job_finished.connect(lambda _k: self.view.doItemsLayout())
        session.job_finished.connect(lambda _k: self.model._trim())
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
        resume = QAction("Resume watching" if entry.status == CANCELLED else "Check again", self)
        resume.setEnabled(entry.can_resume)
        resume.setToolTip("Ask the server about this job again and download its result; nothing is sent again")
        resume.triggered.connect(lambda: self.session.resume(key))
        downloads = QAction("Retry downloads", self)
        downloads.setEnabled(entry.missing > 0)
        downloads.triggered.connect(lambda: self.session.retry_downloads(key))
        retry = QAction("Send again", self)
        retry.setEnabled(entry.status in (ERROR, FAILED))
        if entry.may_exist_on_server:
            retry.setToolTip("Start a new job with the same request; asks first, as this one may exist and be charged")
        retry.triggered.connect(lambda: self.send_again(key))
        hide = QAction("Hide from queue", self)
        hide.triggered.connect(lambda: self.session.hide(key))
        copy_id = QAction("Copy job id", self)
        copy_id.setEnabled(bool(entry.job_id))
        copy_id.triggered.connect(lambda: QGuiApplication.clipboard().setText(entry.job_id or ""))
        copy_prompt = QAction("Copy prompt", self)
        copy_prompt.setEnabled(bool(entry.prompt))
        copy_prompt.triggered.connect(lambda: QGuiApplication.clipboard().setText(entry.prompt or ""))
        copy_request = copy_request_actions(self.session, key, self, self.status_message.emit)
        actions = [show, stop, resume, downloads, retry, hide, copy_id, copy_prompt, *copy_request]
        members = self.session.set_of(key)
        if len(members) > 1:
            prompts = [m.prompt for m in members if m.prompt]
            again = QAction(f"Send the set again ({len(prompts)} prompts)…", self)
            again.setToolTip("Shows the prompts of this set with their cost; one confirmation sends them all")
            again.triggered.connect(lambda: self.set_again_requested.emit(prompts))
            actions.insert(5, again)
        return actions

    def send_again(self, key: str) -> QMessageBox | None:
        """Send the request again as a new job. When this one may exist on the server (it has
        an id, or its POST may have landed) ask first, naming the credits a second job costs;
        the question is window-modal but never blocks (`open()`), and is kept in `confirm_box`."""
        entry = self.session.entry(key)
        if entry is None:
            return None
        if not entry.may_exist_on_server:
            self.session.resubmit(key)
            return None
        if self.confirm_box is not None:
            self.confirm_box.close()
        cost = credits_text(self.session.resend_credits(key))
        box = QMessageBox(QMessageBox.Icon.Warning, "Send again?", "", QMessageBox.StandardButton.NoButton, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        if entry.can_resume:
            box.setText("This job exists on the server and may still finish (its credits are spent).")
            box.setInformativeText(f"Check again fetches its result at no cost. Sending it again starts a "
                                   f"second job and costs {cost} more.")
        else:
            box.setText("This request may have created a job on the server even though no answer came back.")
            box.setInformativeText(f"Sending it again starts a new job and costs {cost}; if the first one "
                                   "was created, both are charged.")
        send = box.addButton(f"Send again ({cost})", QMessageBox.ButtonRole.DestructiveRole)
        check = box.addButton("Check again", QMessageBox.ButtonRole.AcceptRole) if entry.can_resume else None
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(check or cancel)  # Enter never pays twice
        box.setEscapeButton(cancel)

        def chosen(button: QAbstractButton) -> None:
            if button is send:
                self.session.resubmit(key)
            elif check is not None and button is check:
                self.session.resume(key)

        box.buttonClicked.connect(chosen)
        box.destroyed.connect(lambda _=None, b=box: self._confirm_gone(b))
        self.confirm_box = box
        box.open()
        return box

    def _confirm_gone(self, box: QMessageBox) -> None:
        if self.confirm_box is box:
            self.confirm_box = None

    def _context_menu(self, pos: Any) -> None:
        index = self.view.indexAt(pos)
        key = index.data(KeyRole) if index.isValid() else None
        if not key:
            return
        menu = QMenu(self)
        for action in self.actions_for(key):
            if action.text() in ("Send again", "Hide from queue", "Copy job id") or \
                    action.text().startswith("Send the set again"):
                menu.addSeparator()
            menu.addAction(action)
        menu.exec(self.view.viewport().mapToGlobal(pos))
