"""The bar above the history: search as you type, the filters (each clearable, all combinable),
the count of matches, and grid / list. It only builds a `JobQuery`; the browser runs it."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

from PySide6.QtCore import QSignalBlocker, QStringListModel, Qt, QTimer, Signal
from PySide6.QtWidgets import QComboBox, QCompleter, QLabel, QLineEdit, QToolButton, QWidget

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


class FilterBar(QWidget):
    """Emits `query_changed` with the query the controls describe."""

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
        )

    def _emit(self) -> None:
        query = self.query()
        self.clear.setEnabled(not query.empty)
        if query != self._last:
            self._last = query
            self.query_changed.emit(query)

    def reset(self) -> None:
        """Every filter back to "any" and the search emptied: one query, not one per control."""
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

    def set_count(self, shown: int, total: int, filtered: bool) -> None:
        if not filtered:
            self.count.setText(f"{total:,} job{'s' if total != 1 else ''}")
        else:
            self.count.setText(f"{shown:,} of {total:,}")
        self.count.setToolTip("Jobs matching the search and filters" if filtered else "Jobs in the history")
