"""The history's Qt models: the matches of `HistoryBrowser` as a compact list (one row a job,
a column per field) and as a thumbnail grid (positions laid out row by row, as many columns as
fit). Both are tables: QTableView with fixed row and column sizes lays out 100,000 jobs in
constant time, where a wrapping QListView measures every item on each change.

Neither holds a copy of a job: each asks the browser for the record at a position when painted.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QMimeData, QModelIndex, QPersistentModelIndex, Qt, QUrl

from studio.prompt.support import model_label
from studio.session.history_browser import HistoryBrowser
from studio.store.records import JobRecord
from studio.ui.prompt.reference_wells import LEGNEXT_IMAGE_MIME

KeyRole = Qt.ItemDataRole.UserRole + 1
PositionRole = Qt.ItemDataRole.UserRole + 2
# Dragging a history image carries its remote URL (what image prompts and --sref need: the
# reference wells read LEGNEXT_IMAGE_MIME) and its archived file (for targets taking files).

_Index = QModelIndex | QPersistentModelIndex


def when_text(timestamp: float, now: datetime | None = None) -> str:
    """"14:05" today, "Tue 14:05" this week, "3 Nov" this year, else "3 Nov 2025"."""
    moment = datetime.fromtimestamp(timestamp)
    now = now or datetime.now()
    days = (now.date() - moment.date()).days
    if days == 0:
        return moment.strftime("%H:%M")
    if 0 < days < 7:
        return moment.strftime("%a %H:%M")
    if moment.year == now.year:
        return f"{moment.day} {moment:%b}"
    return f"{moment.day} {moment:%b %Y}"


def job_title(record: JobRecord) -> str:
    """The task as words ("diffusion", "upscale")."""
    return (record.task_type or record.op or "job").replace("_", " ")


def tooltip(record: JobRecord, browser: HistoryBrowser | None = None) -> str:
    parts = [job_title(record)]
    if record.model:
        parts.append(model_label(record.model))
    parts.append(record.status.value)
    parts.append(datetime.fromtimestamp(record.created_at).strftime("%Y-%m-%d %H:%M"))
    text = " · ".join(parts)
    if record.favourite:
        text = "★ " + text
    if record.prompt:
        prompt = record.prompt if len(record.prompt) <= 600 else record.prompt[:599] + "…"
        text += f"\n\n{prompt}"
    if record.tags:
        text += "\n\nTags: " + ", ".join(record.tags[:30]) + (" …" if len(record.tags) > 30 else "")
    texts = record.text_outputs()
    if texts:
        text += "\n\n" + "\n".join(f"{i}. {t if len(t) <= 200 else t[:199] + '…'}" for i, t in enumerate(texts, 1))
    if record.notes:
        text += f"\n\nNotes: {record.notes[:300]}"
    if record.error:
        text += f"\n\n{record.error}"
    members = browser.set_members(record) if browser is not None and record.group else []
    if members:
        place = next((i for i, m in enumerate(members, 1) if m.key == record.key), 0)
        text += f"\n\nPrompt {place} of a set of {len(members)} (right-click › Show its set)."
    if browser is not None and record.ended and browser.missing_files(record):
        text += f"\n\n{MISSING_HINT}"
    return text


MISSING_HINT = ("Archived files are missing: right-click › Download again fetches them while the server "
                "keeps its copies (30 days).")



def _image_mime(browser: HistoryBrowser, records: list[tuple[JobRecord, int | None]]) -> QMimeData | None:
    urls, remote = [], []
    for record, index in records:
        output = browser.image_output(record, index)
        if output is None:
            continue
        path = browser.file_path(record, index)
        if path is not None and path.is_file():
            urls.append(QUrl.fromLocalFile(str(path)))
        if output.url:
            remote.append(output.url)
    if not urls and not remote:
        return None
    mime = QMimeData()
    if urls:
        mime.setUrls(urls)
    if remote:
        mime.setData(LEGNEXT_IMAGE_MIME, remote[0].encode())
        mime.setText("\n".join(remote))  # a text field or a URL box takes the image's address
    return mime


class HistoryListModel(QAbstractTableModel):
    """One row a job, newest first: image, prompt, model, type, status, when."""

    COLUMNS = ("", "Prompt", "Model", "Type", "Status", "Created")
    THUMB, PROMPT, MODEL, TYPE, STATUS, CREATED = range(6)

    def __init__(self, browser: HistoryBrowser, parent: Any = None) -> None:
        super().__init__(parent)
        self.browser = browser
        browser.results_changed.connect(self._reset)
        browser.rows_added.connect(self._added)
        browser.row_changed.connect(self._row_changed)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else self.browser.count

    def _added(self, count: int) -> None:
        """New jobs on top: rows inserted, so the selection and current row stay on their jobs."""
        self.beginInsertRows(QModelIndex(), 0, count - 1)
        self.endInsertRows()

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.COLUMNS[section]
        return None

    def position(self, index: _Index) -> int:
        return index.row()

    def record_at(self, index: _Index) -> JobRecord | None:
        return self.browser.record(index.row()) if index.isValid() else None

    def index_of(self, position: int) -> QModelIndex:
        return self.index(position, self.PROMPT)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        record = self.record_at(index)
        if record is None:
            return None
        column = index.column()
        if role == KeyRole:
            return record.key
        if role == PositionRole:
            return index.row()
        if role == Qt.ItemDataRole.ToolTipRole:
            return tooltip(record, self.browser)
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            if column == self.PROMPT:
                flat = " ".join((record.prompt or "").split()[:80])
                text = flat or (f"from {record.parent_job_id[:8]}… #{(record.parent_index or 0) + 1}"
                                if record.parent_job_id else job_title(record))
                return ("★ " if record.favourite else "") + text
            if column == self.MODEL:
                return model_label(record.model)
            if column == self.TYPE:
                return job_title(record)
            if column == self.STATUS:
                return record.status.value
            if column == self.CREATED:
                return when_text(record.created_at)
        if role == Qt.ItemDataRole.TextAlignmentRole and column == self.CREATED:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        base = super().flags(index)
        return base | Qt.ItemFlag.ItemIsDragEnabled if index.isValid() else base

    def mimeTypes(self) -> list[str]:  # noqa: N802
        return ["text/uri-list", "text/plain", LEGNEXT_IMAGE_MIME]

    def mimeData(self, indexes: list[QModelIndex]) -> QMimeData | None:  # noqa: N802
        rows = sorted({i.row() for i in indexes})
        records = [(r, None) for r in (self.browser.record(row) for row in rows) if r is not None]
        return _image_mime(self.browser, records)

    def _reset(self) -> None:
        self.beginResetModel()
        self.endResetModel()

    def _row_changed(self, position: int) -> None:
        if 0 <= position < self.browser.count:
            self.dataChanged.emit(self.index(position, 0), self.index(position, len(self.COLUMNS) - 1))


class HistoryGridModel(QAbstractTableModel):
    """The matches laid out `columns` to a row, newest first, left to right."""

    def __init__(self, browser: HistoryBrowser, parent: Any = None) -> None:
        super().__init__(parent)
        self.browser = browser
        self.columns = 4
        browser.results_changed.connect(self._reset)
        browser.rows_added.connect(self._added)
        browser.row_changed.connect(self._row_changed)

    def _added(self, count: int) -> None:
        """New jobs on top shift every cell by `count` positions: grid rows are added at the
        end and the layout moves, carrying the selection and current cell with their jobs."""
        before = (self.browser.count - count + self.columns - 1) // self.columns
        after = self.rowCount()
        if after > before:
            self.beginInsertRows(QModelIndex(), before, after - 1)
            self.endInsertRows()
        self.layoutAboutToBeChanged.emit()
        old = self.persistentIndexList()
        new = []
        for index in old:
            position = index.row() * self.columns + index.column() + count
            new.append(self.index(position // self.columns, position % self.columns))
        self.changePersistentIndexList(old, new)
        self.layoutChanged.emit()

    def set_columns(self, columns: int) -> None:
        columns = max(1, columns)
        if columns != self.columns:
            self.beginResetModel()
            self.columns = columns
            self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802
        if parent.isValid():
            return 0
        return (self.browser.count + self.columns - 1) // self.columns

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else self.columns

    def position(self, index: _Index) -> int:
        if not index.isValid():
            return -1
        position = index.row() * self.columns + index.column()
        return position if position < self.browser.count else -1

    def index_of(self, position: int) -> QModelIndex:
        if not 0 <= position < self.browser.count:
            return QModelIndex()
        return self.index(position // self.columns, position % self.columns)

    def record_at(self, index: _Index) -> JobRecord | None:
        position = self.position(index)
        return self.browser.record(position) if position >= 0 else None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role not in (KeyRole, PositionRole, Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleTextRole):
            return None
        record = self.record_at(index)
        if record is None:
            return None
        if role == KeyRole:
            return record.key
        if role == PositionRole:
            return self.position(index)
        if role == Qt.ItemDataRole.ToolTipRole:
            return tooltip(record, self.browser)
        return " · ".join(p for p in (job_title(record), record.prompt or "", record.status.value) if p)

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if self.position(index) < 0:
            return Qt.ItemFlag.NoItemFlags  # the empty cells after the last job
        return super().flags(index) | Qt.ItemFlag.ItemIsDragEnabled

    def mimeTypes(self) -> list[str]:  # noqa: N802
        return ["text/uri-list", "text/plain", LEGNEXT_IMAGE_MIME]

    def mimeData(self, indexes: list[QModelIndex]) -> QMimeData | None:  # noqa: N802
        records = [(r, None) for r in (self.record_at(i) for i in indexes) if r is not None]
        return _image_mime(self.browser, records)

    def _reset(self) -> None:
        self.beginResetModel()
        self.endResetModel()

    def _row_changed(self, position: int) -> None:
        index = self.index_of(position)
        if index.isValid():
            self.dataChanged.emit(index, index)
