"""The bar above the history: search as you type, the filters (each clearable, all combinable),
the count of matches, and grid / list. It only builds a `JobQuery`; the browser runs it."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

from PySide6.QtCore import QPoint, QSignalBlocker, QStringListModel, Qt, QTimer, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (QComboBox, QCompleter, QFrame, QGridLayout, QHBoxLayout, QLabel, QLineEdit,
                               QToolButton, QWidget)

from studio.prompt.support import model_label
from studio.session.history_browser import HistoryBrowser
from studio.store.query import JobQuery
from studio.store.records import Status
from studio.ui.common.flow_layout import FlowLayout

# (label, status filter): the words an artist sorts jobs by, over the store's statuses.
STATUS_CHOICES: tuple[tuple[str, Any], ...] = (
    ("Any status", None),
    ("Completed", Status.COMPLETED.value),
    ("Failed", (Status.FAILED.value, Status.ERROR.value, Status.UNKNOWN.value)),
    ("Running", tuple(s.value for s in Status if not s.ended)),
    ("Stopped", Status.CANCELLED.value),
)
# (label, days back; negative: older than that many days).
DATE_CHOICES: tuple[tuple[str, int | None], ...] = (
    ("Any time", None), ("Today", 0), ("Past 7 days", 7), ("Past 30 days", 30),
    ("Past 90 days", 90), ("Over 30 days ago", -30),
)
_TAG_MENU = 300  # tags listed in the menu (all of them complete as you type)


def date_range(days: int | None, now: float | None = None) -> tuple[float | None, float | None]:
    """(since, until) for a DATE_CHOICES entry."""
    if days is None:
        return None, None
    today = datetime.fromtimestamp(now if now is not None else time.time()).replace(
        hour=0, minute=0, second=0, microsecond=0)
    if days < 0:
        return None, (today - timedelta(days=-days)).timestamp()
    return (today - timedelta(days=days)).timestamp(), None


class FilterPopup(QFrame):
    """The filters of a narrow bar, in a popup under its Filters button: a label and a control
    a line, the toggles and Clear under them. Choosing keeps it open; a click elsewhere closes."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent, Qt.WindowType.Popup | Qt.WindowType.FramelessWindowHint)
        self.setObjectName("HistoryFilterPopup")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.form = QGridLayout(self)
        self.form.setContentsMargins(12, 10, 12, 10)
        self.form.setHorizontalSpacing(10)
        self.form.setVerticalSpacing(6)
        self.toggles = QHBoxLayout()
        self.toggles.setSpacing(6)

    def show_under(self, anchor: QWidget) -> None:
        self.adjustSize()
        pos = anchor.mapToGlobal(QPoint(0, anchor.height() + 2))
        screen = anchor.screen()
        if screen is not None:
            area = screen.availableGeometry()
            pos.setX(min(pos.x(), area.right() - self.width()))
            if pos.y() + self.height() > area.bottom():
                pos.setY(anchor.mapToGlobal(QPoint(0, -self.height() - 2)).y())
        self.move(pos)
        self.show()


class FilterBar(QWidget):
    """Emits `query_changed` with the query the controls describe.

    On a dock wide enough, every control sits on one line. On a narrower one the filters move
    into a popup under a "Filters" button that counts the ones in use, so the bar stays one
    line and the thumbnails keep the height (three wrapped lines left no whole row at 1024 px)."""

    query_changed = Signal(object)
    view_mode_changed = Signal(str)  # "grid" | "list"

    def __init__(self, browser: HistoryBrowser, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("HistoryFilters")
        self.browser = browser
        # Everything on one line on a wide dock; on a narrow one the controls wrap.
        row = FlowLayout(self)
        row.setContentsMargins(8, 6, 8, 6)
        self.search = QLineEdit(self)
        self.search.setObjectName("HistorySearch")
        self.search.setPlaceholderText("Search prompts, notes and described images…")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Search the history")
        self.search.setMinimumWidth(140)
        row.addWidget(self.search, stretch=True)  # it takes the spare width of its line
        self.model = self._combo("Model", "Any model")
        self.op = self._combo("Type", "Any type")
        self.status = self._combo("Status", None)
        for label, value in STATUS_CHOICES:
            self.status.addItem(label, value)
        self.date = self._combo("Date", None)
        for label, days in DATE_CHOICES:
            self.date.addItem(label, days)
        self.tag = self._combo("Tag", "Any tag")
        self.tag.setEditable(True)
        self.tag.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.tag.lineEdit().setPlaceholderText("Any tag")
        self._tag_words = QStringListModel(self)
        completer = QCompleter(self._tag_words, self.tag)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.tag.setCompleter(completer)
        for combo in (self.model, self.op, self.status, self.date, self.tag):
            row.addWidget(combo)
        self.favourite = self._toggle("★", "Only favourites")
        self.files = self._toggle("On disk", "Only jobs whose files are in the archive")
        row.addWidget(self.favourite)
        row.addWidget(self.files)
        self.clear = QToolButton(self)
        self.clear.setText("Clear")
        self.clear.setToolTip("Clear the search and every filter")
        self.clear.setAutoRaise(True)
        self.clear.clicked.connect(self.reset)
        self.clear.setEnabled(False)
        row.addWidget(self.clear)
        # A set shown from a job's menu: a chip that says so and takes the filter off.
        self.group: str | None = None
        self.set_chip = QToolButton(self)
        self.set_chip.setObjectName("HistorySetChip")
        self.set_chip.setToolTip("Showing one set of {a, b} prompts; click to show every job")
        self.set_chip.setAutoRaise(True)
        self.set_chip.clicked.connect(lambda: self.set_group(None))
        self.set_chip.hide()
        row.addWidget(self.set_chip)
        self.count = QLabel(self)
        self.count.setObjectName("Muted")
        self.count.setAccessibleName("Matching jobs")
        row.addWidget(self.count)
        self.grid_button = self._toggle("▦", "Thumbnail grid")
        self.list_button = self._toggle("☰", "Compact list")
        self.grid_button.setChecked(True)
        self.grid_button.clicked.connect(lambda: self._set_mode("grid"))
        self.list_button.clicked.connect(lambda: self._set_mode("list"))
        row.addWidget(self.grid_button)
        row.addWidget(self.list_button)
        self.row = row
        self.more = QToolButton(self)
        self.more.setObjectName("HistoryFiltersButton")
        self.more.setText("Filters")
        self.more.setToolTip("Model, type, status, time, tag, favourites, on disk")
        self.more.setAccessibleName("Filters")
        self.more.setAutoRaise(True)
        self.more.clicked.connect(self.show_filters)
        self.more.hide()
        self.popup: FilterPopup | None = None
        self.compact = False
        # Each keystroke searches (at once: a query is a few ms), once typing pauses for a frame.
        self._typing = QTimer(self)
        self._typing.setSingleShot(True)
        self._typing.setInterval(0)
        self._typing.timeout.connect(self._emit)
        self.search.textChanged.connect(lambda _t: self._typing.start())
        for combo in (self.model, self.op, self.status, self.date):
            combo.currentIndexChanged.connect(lambda _i: self._emit())
        self.tag.currentIndexChanged.connect(lambda _i: self._emit())
        self.tag.lineEdit().editingFinished.connect(self._emit)
        self.favourite.toggled.connect(lambda _on: self._emit())
        self.files.toggled.connect(lambda _on: self._emit())
        self._last: JobQuery | None = None

    def _combo(self, name: str, any_label: str | None) -> QComboBox:
        combo = QComboBox(self)
        combo.setAccessibleName(f"{name} filter")
        combo.setToolTip(f"{name} filter")
        # Narrow docks squeeze the menus (their choices read in full when open).
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        combo.setMinimumContentsLength(9)
        if any_label:
            combo.addItem(any_label, None)
        return combo

    def _toggle(self, text: str, tip: str) -> QToolButton:
        button = QToolButton(self)
        button.setText(text)
        button.setToolTip(tip)
        button.setAccessibleName(tip)
        button.setCheckable(True)
        button.setAutoRaise(True)
        return button

    def _set_mode(self, mode: str) -> None:
        self.grid_button.setChecked(mode == "grid")
        self.list_button.setChecked(mode == "list")
        self.view_mode_changed.emit(mode)

    # ----- the choices the store offers ---------------------------------------------------
    def refresh_choices(self) -> None:
        """Fill the menus with the models, types and tags the history holds (kept choices stay)."""
        self._fill(self.model, [(model_label(m) or m, m) for m in self.browser.values("model")])
        self._fill(self.op, [(op.replace("-", " ").replace("_", " "), op) for op in self.browser.values("op")])
        tags = [t for t, _n in self.browser.tags()]
        self._tag_words.setStringList(tags)
        self._fill(self.tag, [(t, t) for t in tags[:_TAG_MENU]])

    @staticmethod
    def _fill(combo: QComboBox, items: list[tuple[str, str]]) -> None:
        current = combo.currentData()
        text = combo.currentText() if combo.isEditable() else None
        with QSignalBlocker(combo):
            while combo.count() > 1:
                combo.removeItem(1)
            for label, value in items:
                combo.addItem(label, value)
            found = combo.findData(current) if current is not None else 0
            combo.setCurrentIndex(max(0, found))
            if combo.isEditable() and current is None and text and text != combo.itemText(0):
                combo.setEditText(text)

    # ----- the query ----------------------------------------------------------------------
    def query(self) -> JobQuery:
        since, until = date_range(self.date.currentData())
        tag_text = self.tag.currentText().strip()
        tag = self.tag.currentData() if self.tag.currentIndex() > 0 else None
        if tag is None and tag_text and tag_text != self.tag.itemText(0):
            tag = tag_text  # typed, maybe beyond the menu's first few hundred
        return JobQuery(
            text=self.search.text() or None,
            model=self.model.currentData(),
            op=self.op.currentData(),
            status=self.status.currentData(),
            since=since, until=until,
            favourite=True if self.favourite.isChecked() else None,
            tag=tag,
            has_files=True if self.files.isChecked() else None,
            group=self.group,
        )

    def _emit(self) -> None:
        query = self.query()
        self.clear.setEnabled(not query.empty)
        self._count_filters(query)
        if query != self._last:
            self._last = query
            self.query_changed.emit(query)

    def set_group(self, group: str | None, count: int = 0) -> None:
        """Show only the jobs of one set (None: every job again)."""
        self.group = group or None
        self.set_chip.setText(f"Set of {count}  ✕" if self.group else "")
        self.set_chip.setVisible(self.group is not None)
        self._emit()

    def reset(self) -> None:
        """Every filter back to "any" and the search emptied: one query, not one per control."""
        self.group = None
        self.set_chip.hide()
        widgets = (self.search, self.model, self.op, self.status, self.date, self.tag, self.favourite, self.files)
        blockers = [QSignalBlocker(w) for w in widgets]
        self.search.clear()
        for combo in (self.model, self.op, self.status, self.date, self.tag):
            combo.setCurrentIndex(0)
        self.tag.setEditText("")
        self.favourite.setChecked(False)
        self.files.setChecked(False)
        del blockers
        self._emit()

    # ----- narrow docks ------------------------------------------------------------------
    def _filter_widgets(self) -> list[QWidget]:
        return [self.model, self.op, self.status, self.date, self.tag, self.favourite, self.files, self.clear]

    def _one_line_width(self) -> int:
        """The width every control needs on one line (the search at a comfortable width)."""
        margins = self.row.contentsMargins()
        widgets = [self.search, *self._filter_widgets(), self.count, self.grid_button, self.list_button]
        widths = [max(240, self.search.minimumSizeHint().width())] + [w.sizeHint().width() for w in widgets[1:]]
        return sum(widths) + self.row.spacing() * (len(widths) - 1) + margins.left() + margins.right()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self.set_compact(event.size().width() < self._one_line_width())

    def set_compact(self, compact: bool) -> None:
        """Filters in the bar (False) or in the popup under the Filters button (True)."""
        if compact == self.compact:
            return
        self.compact = compact
        widgets = self._filter_widgets()
        if compact:
            if self.popup is None:
                self.popup = FilterPopup(self)
            for w in widgets:
                self.row.removeWidget(w)
            names = ("Model", "Type", "Status", "Time", "Tag")
            for line, (name, combo) in enumerate(zip(names, widgets[:5])):
                label = QLabel(name, self.popup)
                label.setObjectName("Muted")
                self.popup.form.addWidget(label, line, 0)
                self.popup.form.addWidget(combo, line, 1)
            for w in widgets[5:]:
                w.setParent(self.popup)
                self.popup.toggles.addWidget(w)
            self.popup.toggles.addStretch(1)
            self.popup.form.addLayout(self.popup.toggles, len(names), 0, 1, 2)
            for w in widgets:
                w.show()
            self.row.insertWidget(1, self.more)
            self.more.show()
        else:
            self.row.removeWidget(self.more)
            self.more.hide()
            if self.popup is not None:
                self.popup.hide()
                for i in reversed(range(self.popup.form.count())):
                    item = self.popup.form.itemAt(i)
                    if item is not None and item.widget() is not None and isinstance(item.widget(), QLabel) \
                            and item.widget() not in widgets:
                        item.widget().deleteLater()
                while self.popup.toggles.count():
                    self.popup.toggles.takeAt(0)
                self.popup.form.removeItem(self.popup.toggles)
            for i, w in enumerate(widgets):
                w.setParent(self)
                self.row.insertWidget(1 + i, w)
                w.show()
        self._count_filters(self.query())

    def show_filters(self) -> FilterPopup | None:
        if self.popup is None or not self.compact:
            return None
        self.popup.show_under(self.more)
        return self.popup

    def _count_filters(self, query: JobQuery) -> None:
        fields = set(query.set_fields()) - {"text", "group"}  # a set has its own chip
        used = len(fields) - ({"since", "until"} <= fields)  # a date range is one filter
        self.more.setText(f"Filters · {used}" if used else "Filters")
        self.more.setProperty("active", bool(used))
        self.more.style().unpolish(self.more)
        self.more.style().polish(self.more)

    def set_count(self, shown: int, total: int, filtered: bool) -> None:
        if not filtered:
            self.count.setText(f"{total:,} job{'s' if total != 1 else ''}")
        else:
            self.count.setText(f"{shown:,} of {total:,}")
        self.count.setToolTip("Jobs matching the search and filters" if filtered else "Jobs in the history")
