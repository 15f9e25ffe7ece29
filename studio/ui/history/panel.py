"""The history dock's body: the filter bar, the matches as a thumbnail grid or a compact list,
the selected job's lineage, and the line that offers Undo after a delete.

Selecting a job opens it in the grid (brought back from the store when this run does not hold
it). Right-click (or the keys shown in the menu) for what can be done with it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QKeySequence, QPainter, QResizeEvent, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.session.history_browser import HistoryBrowser
from studio.session.tasks import spawn
from studio.store.records import JobRecord
from studio.ui.common import theme
from studio.ui.history.actions import ACTIONS, HistoryActions
from studio.ui.history.delegates import GUTTER, ThumbColumnDelegate, TileDelegate
from studio.ui.history.filters import FilterBar
from studio.ui.history.lineage import LineageView
from studio.ui.history.model import HistoryGridModel, HistoryListModel
from studio.ui.history.thumbs import ThumbnailCache

TILE = 148  # a grid cell, gutters included
LIST_ROW = 44


class _Table(QTableView):
    """A table with fixed row and column sizes (constant-time layout at any size), no grid
    lines, and an empty-state sentence."""

    resized = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.empty_text = ""
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.setMouseTracking(True)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.verticalHeader().hide()
        for header in (self.verticalHeader(), self.horizontalHeader()):
            header.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
            header.setMinimumSectionSize(8)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self.resized.emit()

    def paintEvent(self, event: Any) -> None:  # noqa: N802
        super().paintEvent(event)
        if self.model() is not None and self.model().rowCount() == 0 and self.empty_text:
            painter = QPainter(self.viewport())
            painter.setPen(QColor(theme.current.faint))
            painter.drawText(self.viewport().rect().adjusted(16, 16, -16, -16),
                             Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.empty_text)


class HistoryPanel(QWidget):
    """The history dock's body. `job_opened(key)` after a job was put on show in the grid."""

    job_opened = Signal(str)
    status_message = Signal(str)
    set_again_requested = Signal(list)  # the prompts of a set, to show with their cost and send

    def __init__(self, jobs: Any, prompt_state: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("DockBody")
        self.jobs = jobs
        self.prompt_state = prompt_state
        self.browser = HistoryBrowser(jobs, self)
        self.browser.message.connect(self.say)
        self.thumbs = ThumbnailCache(QSize(TILE - GUTTER, TILE - GUTTER), parent=self)
        self.actions = HistoryActions(self)
        self.mode = "grid"
        self._opening = False
        self._reselect: list[str] = []

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.filters = FilterBar(self.browser, self)
        layout.addWidget(self.filters)
        self.undo_bar = self._build_undo_bar()
        layout.addWidget(self.undo_bar)

        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.setChildrenCollapsible(False)
        self.stack = QStackedWidget(split)
        self.grid_model = HistoryGridModel(self.browser, self)
        self.grid_view = _Table(self.stack)
        self.grid_view.setObjectName("HistoryGrid")
        self.grid_view.setAccessibleName("History, as thumbnails")
        self.grid_view.horizontalHeader().hide()
        self.grid_view.setModel(self.grid_model)
        self.grid_view.setItemDelegate(TileDelegate(self.browser, self.thumbs, self.grid_view))
        self.grid_view.verticalHeader().setDefaultSectionSize(TILE)
        self.grid_view.horizontalHeader().setDefaultSectionSize(TILE)
        self.grid_view.resized.connect(self._fit_columns)
        self.list_model = HistoryListModel(self.browser, self)
        self.list_view = _Table(self.stack)
        self.list_view.setObjectName("HistoryList")
        self.list_view.setAccessibleName("History, as a list")
        self.list_view.setModel(self.list_model)
        self.list_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.list_view.setItemDelegateForColumn(HistoryListModel.THUMB, ThumbColumnDelegate(self.browser, self.thumbs, self.list_view))
        self.list_view.verticalHeader().setDefaultSectionSize(LIST_ROW)
        header = self.list_view.horizontalHeader()
        header.setHighlightSections(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.resizeSection(HistoryListModel.THUMB, LIST_ROW + 12)
        header.setSectionResizeMode(HistoryListModel.PROMPT, QHeaderView.ResizeMode.Stretch)
        for column, width in ((HistoryListModel.MODEL, 70), (HistoryListModel.TYPE, 100),
                              (HistoryListModel.STATUS, 90), (HistoryListModel.CREATED, 90)):
            header.resizeSection(column, width)
        self.stack.addWidget(self.grid_view)
        self.stack.addWidget(self.list_view)
        self.lineage = LineageView(self.browser, split)
        self.lineage.setMinimumWidth(120)
        self.lineage.job_chosen.connect(self.go_to)
        split.addWidget(self.stack)
        split.addWidget(self.lineage)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 0)
        split.setSizes([820, 200])
        self.splitter = split
        layout.addWidget(split, 1)

        for view in (self.grid_view, self.list_view):
            view.customContextMenuRequested.connect(lambda pos, v=view: self._context_menu(v, pos))
            view.activated.connect(lambda index, v=view: self._activated(v, index))
        self.grid_view.selectionModel().currentChanged.connect(lambda i, _p: self._current(self.grid_view, i))
        self.list_view.selectionModel().currentChanged.connect(lambda i, _p: self._current(self.list_view, i))
        self.grid_view.selectionModel().selectionChanged.connect(lambda *_: self._selection_changed())
        self.list_view.selectionModel().selectionChanged.connect(lambda *_: self._selection_changed())
        self.filters.query_changed.connect(self.browser.set_query)
        self.filters.view_mode_changed.connect(self.set_mode)
        self.browser.results_changed.connect(self._results_changed)
        self.browser.rows_added.connect(lambda _n: self._show_count())
        self.jobs.jobs_deleted.connect(lambda _k: self._refresh_choices_later())
        self.jobs.job_edited.connect(lambda _k: self._refresh_choices_later())
        # A burst of thumbnails read (a scroll) is one repaint of what is on screen.
        self._repaint = QTimer(self)
        self._repaint.setSingleShot(True)
        self._repaint.setInterval(16)
        self._repaint.timeout.connect(lambda: self.current_view().viewport().update())
        self.thumbs.ready.connect(lambda _path: self._repaint.start())
        self._choices = QTimer(self)
        self._choices.setSingleShot(True)
        self._choices.setInterval(300)
        self._choices.timeout.connect(self.filters.refresh_choices)
        self._shortcuts()
        self._update_empty()

    def sizeHint(self) -> QSize:  # noqa: N802
        # Narrow by choice: the window's layout would otherwise squeeze the side docks to keep
        # the history at a wide hint. It takes the width the grid has.
        return QSize(self.minimumSizeHint().width(), 240)

    # ----- building -----------------------------------------------------------------------
    def _build_undo_bar(self) -> QFrame:
        bar = QFrame(self)
        bar.setObjectName("UndoBar")
        row = QHBoxLayout(bar)
        row.setContentsMargins(10, 4, 8, 4)
        self.undo_label = QLabel(bar)
        row.addWidget(self.undo_label, 1)
        self.undo_button = QPushButton("Undo", bar)
        self.undo_button.setToolTip("Put the deleted jobs back (Ctrl+Z here)")
        self.undo_button.clicked.connect(self.undo_delete)
        row.addWidget(self.undo_button)
        close = QToolButton(bar)
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip("Dismiss (the delete can no longer be undone)")
        close.clicked.connect(self._dismiss_undo)
        row.addWidget(close)
        bar.hide()
        return bar

    def _shortcuts(self) -> None:
        for spec in ACTIONS:
            if not spec.shortcut:
                continue
            shortcut = QShortcut(QKeySequence(spec.shortcut), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(lambda name=spec.name: self.run_on_selection(name))
        undo = QShortcut(QKeySequence.StandardKey.Undo, self.stack)
        undo.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        undo.activated.connect(self.undo_delete)

    # ----- showing ------------------------------------------------------------------------
    def current_view(self) -> _Table:
        return self.grid_view if self.mode == "grid" else self.list_view

    def current_model(self) -> Any:
        return self.grid_model if self.mode == "grid" else self.list_model

    def set_mode(self, mode: str) -> None:
        keys = self.selected_keys()
        self.mode = mode
        self.stack.setCurrentWidget(self.current_view())
        self.filters.grid_button.setChecked(mode == "grid")
        self.filters.list_button.setChecked(mode == "list")
        self.select_keys(keys)

    def set_visible(self, visible: bool) -> None:
        """The dock is on show (or not): a hidden history reads nothing."""
        first = visible and not self.browser.visible and self.browser.count == 0
        self.browser.set_visible(visible)
        if first:
            self.browser.reload()
            self.filters.refresh_choices()

    def _fit_columns(self) -> None:
        width = self.grid_view.viewport().width()
        columns = max(1, width // TILE)
        # Share what is left over among the columns, so the grid fills the width.
        self.grid_view.horizontalHeader().setDefaultSectionSize(max(TILE, width // columns))
        if columns != self.grid_model.columns:
            keys = self.selected_keys()
            self.grid_model.set_columns(columns)
            self.select_keys(keys)

    def _show_count(self) -> None:
        self.filters.set_count(self.browser.count, self.browser.total, not self.browser.query.empty)
        self._update_empty()

    def _results_changed(self) -> None:
        self._show_count()
        if self._reselect:
            keys, self._reselect = self._reselect, []
            self.select_keys(keys)
        if self.lineage.key and self.browser.position_of(self.lineage.key) < 0 and not self.jobs.stored(self.lineage.key):
            self.lineage.show_job(None)

    def _update_empty(self) -> None:
        if self.browser.query.empty:
            text = ("No jobs yet. Every job you make is kept here, with its images and prompt, "
                    "searchable at any time.")
        else:
            text = "No job matches. Try fewer words, or clear the filters."
        self.grid_view.empty_text = self.list_view.empty_text = text
        self.current_view().viewport().update()

    def _refresh_choices_later(self) -> None:
        if self.browser.visible:
            self._choices.start()

    def show_set(self, group: str, count: int) -> None:
        """Only the jobs of one set, until the filter's chip (or Clear) takes it off."""
        self.filters.set_group(group, count)

    def say(self, text: str) -> None:
        if text:
            self.status_message.emit(text)

    # ----- selecting and opening ----------------------------------------------------------
    def selected_keys(self) -> list[str]:
        view, model = self.current_view(), self.current_model()
        positions = sorted({model.position(i) for i in view.selectionModel().selectedIndexes()} - {-1})
        keys = [self.browser.key_at(p) for p in positions]
        return [k for k in keys if k]

    def selected_records(self) -> list[JobRecord]:
        return [r for r in (self.jobs.stored(k) for k in self.selected_keys()) if r is not None]

    def select_keys(self, keys: list[str]) -> None:
        view, model = self.current_view(), self.current_model()
        selection = view.selectionModel()
        selection.clearSelection()
        first = None
        for key in keys:
            index = model.index_of(self.browser.position_of(key))
            if index.isValid():
                flags = QItemSelectionModel.SelectionFlag.Select
                if self.mode == "list":
                    flags |= QItemSelectionModel.SelectionFlag.Rows
                selection.select(index, flags)
                first = first or index
        if first is not None:
            self._opening = True  # only marking the selection again, not opening it
            selection.setCurrentIndex(first, QItemSelectionModel.SelectionFlag.NoUpdate)
            self._opening = False
            view.scrollTo(first)

    def _current(self, view: _Table, index: QModelIndex) -> None:
        if self._opening or view is not self.current_view() or not index.isValid():
            return
        key = self.browser.key_at(self.current_model().position(index))
        if key:
            self.open_job(key)

    def _activated(self, view: _Table, index: QModelIndex) -> None:
        key = self.browser.key_at(self.current_model().position(index)) if index.isValid() else None
        if key:
            self.open_job(key)

    def _selection_changed(self) -> None:
        pass

    def open_job(self, key: str) -> Any:
        """Put this job on show in the grid with its actions."""
        entry = self.jobs.open(key)
        if entry is None:
            self.say("This job is no longer in the history.")
            return None
        self.jobs.on_show.show(entry.key, pinned=True)
        self.lineage.show_job(entry.key)
        self.job_opened.emit(entry.key)
        return entry

    def go_to(self, key: str) -> Any:
        """Select a job in the history (clearing filters that hide it) and open it."""
        if self.browser.position_of(key) < 0 and not self.browser.query.empty:
            self.filters.reset()
        self.select_keys([key])
        return self.open_job(key)

    # ----- acting -------------------------------------------------------------------------
    def _context_menu(self, view: _Table, pos: Any) -> None:
        index = view.indexAt(pos)
        position = self.current_model().position(index) if index.isValid() else -1
        if position < 0:
            return
        key = self.browser.key_at(position)
        keys = self.selected_keys()
        if key not in keys:
            self.select_keys([key])
            keys = [key]
        records = [r for r in (self.jobs.stored(k) for k in keys) if r is not None]
        if records:
            self.actions.menu(records, self).popup(view.viewport().mapToGlobal(pos))

    def run_on_selection(self, name: str) -> Any:
        keys = self.selected_keys()
        if not keys:
            return None
        return self.actions.run(name, keys)

    def offer_undo(self, text: str) -> None:
        self.undo_label.setText(text)
        self.undo_bar.show()

    def undo_delete(self) -> list[str]:
        keys = self.actions.undo_delete()
        self.undo_bar.hide()
        if keys:
            self.say(f"Put back {len(keys)} job{'s' if len(keys) != 1 else ''}.")
            self._reselect = keys  # once the browser has read them back
        return keys

    def _dismiss_undo(self) -> None:
        self.undo_bar.hide()
        self.actions.settle()

    def export_to(self, keys: list[str], folder: str) -> Any:
        """Write the selected jobs' images with their prompt into `folder` (off the GUI thread)."""
        records = [r for r in (self.jobs.stored(k) for k in keys) if r is not None]
        return spawn(self._export(records, Path(folder)), name="export")

    async def _export(self, records: list[JobRecord], folder: Path) -> list[Path]:
        from studio.session.tasks import run_in_thread
        from studio.store.exports import export_job

        written: list[Path] = []
        try:
            for record in records:
                written += await run_in_thread(lambda r=record: export_job(r, self.jobs.archive, folder),
                                               name="export")
        except OSError as exc:
            self.say(f"Could not export to {folder}: {exc.strerror or exc}")
            return written
        images = [p for p in written if p.suffix != ".json"]
        self.say(f"Exported {len(images)} image{'s' if len(images) != 1 else ''} with their prompts to {folder}.")
        return written

    def closeEvent(self, event: Any) -> None:  # noqa: N802
        self.thumbs.close()
        super().closeEvent(event)

