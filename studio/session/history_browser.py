"""The history as the browser sees it: every stored job matching a `JobQuery`, newest first,
read a page at a time, with lineage and the files to show. A view-model over the jobs session
and its store; the widgets (studio.ui.history) ask it, never the store.

The match list is the row ids alone (8 bytes a job: 100,000 jobs are under a megabyte); a
record is read when a view first asks for its position, a page around it at once, and kept in a
bounded cache that job signals keep fresh.
"""

from __future__ import annotations

import bisect
import logging
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from studio.store.query import JobQuery
from studio.store.records import JobRecord

log = logging.getLogger(__name__)

PAGE = 24  # records read together when a view reaches an unread one (a screen row or two: ~3 ms)
CACHE = 720  # records kept: a few screens of the grid either way (more only feeds the GC)
_LINEAGE_LIMIT = 200  # jobs in one lineage tree, at most
# A new job or a delete re-reads the matches at most this often (ms): a burst is one query.
_REFRESH_MS = 120


@dataclass
class LineageNode:
    record: JobRecord
    children: list[LineageNode] = field(default_factory=list)

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()


class HistoryBrowser(QObject):
    results_changed = Signal()  # the matches are new (query, deleted jobs): views reset
    rows_added = Signal(int)  # this many new jobs came in at the top: views shift, keep selection
    row_changed = Signal(int)  # the job at this position changed: re-read it
    message = Signal(str)

    def __init__(self, jobs, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.jobs = jobs
        self.store = jobs.store
        self.archive = jobs.archive
        self.query = JobQuery()
        self._ids: list[int] = []
        self._cache: OrderedDict[int, JobRecord] = OrderedDict()
        self._rowid_of: dict[str, int] = {}  # key -> row id, for the cached records
        # key -> its tile's archived thumbnail, for the cached records: resolving a path
        # (symlink checks) on every paint was most of a scroll step.
        self._thumb_of: dict[str, Path | None] = {}
        self._total: int | None = None
        self._stale = False
        self._added = False  # jobs came in since the list was read (a newer-rows query is due)
        self.visible = False  # a hidden browser does not re-read on every new job
        self._refresh = QTimer(self)
        self._refresh.setSingleShot(True)
        self._refresh.setInterval(_REFRESH_MS)
        self._refresh.timeout.connect(self._catch_up)
        jobs.job_added.connect(self._on_added)
        jobs.job_changed.connect(self._on_changed)
        jobs.job_finished.connect(self._on_finished)
        jobs.job_edited.connect(self._on_edited)
        jobs.jobs_deleted.connect(self._on_removed)
        jobs.jobs_undeleted.connect(self._on_removed)

    # ----- the matches --------------------------------------------------------------------
    def set_query(self, query: JobQuery) -> None:
        self.query = query
        self.reload()

    def reload(self) -> None:
        """Read the matches again (a view reset follows)."""
        self._refresh.stop()
        self._stale = self._added = False
        ids: list[int] = []
        if self.store is not None:
            try:
                ids = self.store.history_ids(self.query)
            except Exception as exc:
                log.warning("history query failed: %s", exc)
                self.message.emit(f"The history could not be searched: {exc}")
        self._ids = ids
        self._total = None
        self.results_changed.emit()

    def _catch_up(self) -> None:
        """After new jobs only, read just the rows newer than the list's newest and put them on
        top (a full re-read of 100,000 row ids held the GUI thread 130-260 ms); anything else
        (deletes, an edit that moves jobs in or out) reads the matches again."""
        self._refresh.stop()
        if self._stale or self.store is None:
            self.reload()
            return
        if not self._added:
            return
        self._added = False
        try:
            new = self.store.history_ids(self.query, after=self._ids[0] if self._ids else 0)
        except Exception as exc:
            log.warning("history query failed: %s", exc)
            return
        if new:
            self._ids[:0] = new
            self._total = None
            self.rows_added.emit(len(new))

    @property
    def count(self) -> int:
        return len(self._ids)

    @property
    def total(self) -> int:
        """Every job in the history, whatever the query."""
        if self._total is None:
            if self.query.empty:
                self._total = len(self._ids)
            else:
                try:
                    self._total = self.store.count() if self.store is not None else 0
                except Exception:
                    self._total = 0
        return self._total

    def record(self, position: int) -> JobRecord | None:
        """The record at this position of the matches (a page is read on a miss)."""
        if not 0 <= position < len(self._ids):
            return None
        rowid = self._ids[position]
        found = self._cache.get(rowid)
        if found is not None:
            self._cache.move_to_end(rowid)
            return found
        self._read_page(position)
        return self._cache.get(rowid)

    def key_at(self, position: int) -> str | None:
        record = self.record(position)
        return record.key if record is not None else None

    def position_of(self, key: str) -> int:
        """Where a job is among the matches (-1: not there)."""
        rowid = self._rowid_of.get(key)
        if rowid is None and self.store is not None:
            try:
                rowid = self.store.row_id(key)
            except Exception:
                rowid = None
        if rowid is None:
            return -1
        return self._position(rowid)

    def _position(self, rowid: int) -> int:
        """Where a row id is in the list (newest first, so descending): a binary search."""
        at = bisect.bisect_left(self._ids, -rowid, key=lambda r: -r)
        return at if at < len(self._ids) and self._ids[at] == rowid else -1

    def _read_page(self, position: int) -> None:
        start = max(0, position - PAGE // 3)  # scrolling goes on downward more often than up
        wanted = [r for r in self._ids[start:start + PAGE] if r not in self._cache]
        if not wanted or self.store is None:
            return
        try:
            rows = self.store.history_rows(wanted)
        except Exception as exc:
            log.warning("history rows unreadable: %s", exc)
            return
        for rowid in wanted:
            record = rows.get(rowid)
            if record is not None:
                self._keep(rowid, record)

    def _keep(self, rowid: int, record: JobRecord) -> None:
        entry = self.jobs.entry(record.key)
        if entry is not None:
            record = entry.record  # the live copy, fresher than any read
        self._cache[rowid] = record
        self._rowid_of[record.key] = rowid
        self._thumb_of.pop(record.key, None)
        while len(self._cache) > CACHE:
            _old, dropped = self._cache.popitem(last=False)
            self._rowid_of.pop(dropped.key, None)
            self._thumb_of.pop(dropped.key, None)

    # ----- keeping up with the jobs -------------------------------------------------------
    def set_visible(self, visible: bool) -> None:
        self.visible = visible
        if visible and (self._stale or self._added):
            self._catch_up()

    def _schedule(self, *, added: bool = False) -> None:
        """Bring the list up to date soon (a burst is one query): only the newer rows when
        jobs were added and nothing else happened, else the whole list."""
        if added:
            self._added = True
        else:
            self._stale = True
        if self.visible:
            self._refresh.start()

    def _on_added(self, key: str) -> None:
        if key in self._rowid_of:
            return  # an old job opened again: it is already here
        entry = self.jobs.entry(key)
        if entry is not None and entry.hidden:
            return  # brought back from the history, not new
        self._schedule(added=True)

    def _on_changed(self, key: str) -> None:
        rowid = self._rowid_of.get(key)
        if rowid is None:
            return
        entry = self.jobs.entry(key)
        if entry is not None:
            self._cache[rowid] = entry.record
        self._thumb_of.pop(key, None)
        position = self._position(rowid)
        if position >= 0:
            self.row_changed.emit(position)

    def _on_finished(self, key: str) -> None:
        if {"status", "has_files"} & set(self.query.set_fields()):
            self._schedule()  # its end may move it in or out of the matches

    def _on_edited(self, key: str) -> None:
        self._thumb_of.pop(key, None)
        rowid = self._rowid_of.pop(key, None)
        if rowid is not None:
            self._cache.pop(rowid, None)
        if {"favourite", "tag", "text"} & set(self.query.set_fields()):
            self._schedule()  # the edit may move it in or out of the matches
        elif rowid is not None:
            self._rowid_of[key] = rowid
            record = self.jobs.stored(key)
            if record is not None:
                self._cache[rowid] = record
            self._on_changed(key)

    def _on_removed(self, keys: list[str]) -> None:
        for key in keys:
            self._thumb_of.pop(key, None)
            rowid = self._rowid_of.pop(key, None)
            if rowid is not None:
                self._cache.pop(rowid, None)
        self._schedule()

    # ----- what the filters offer ---------------------------------------------------------
    def values(self, column: str) -> list[str]:
        try:
            return self.store.values(column) if self.store is not None else []
        except Exception:
            return []

    def tags(self) -> list[tuple[str, int]]:
        try:
            return self.store.tags_used() if self.store is not None else []
        except Exception:
            return []

    # ----- files --------------------------------------------------------------------------
    def thumb_path(self, record: JobRecord, index: int | None = None) -> Path | None:
        """The thumbnail of an output (the first image when `index` is None), if archived; a
        video job's, the still of its first video that has one."""
        output = self.image_output(record, index)
        if output is None and index is None:
            output = next((o for o in record.outputs if o.kind == "video" and o.thumb), None)
        if output is None or self.archive is None:
            return None
        rel = output.thumb or output.path
        try:
            return self.archive.named(rel) if rel else None
        except ValueError:
            return None

    def thumb_source(self, record: JobRecord) -> tuple[str, Path | bytes] | None:
        """What to draw a job's tile from, and a name to cache it by: the archived thumbnail,
        else the image this run holds (a run without an archive, a file not yet archived)."""
        if record.key in self._thumb_of:
            path = self._thumb_of[record.key]
        else:
            path = self.thumb_path(record)
            if record.key in self._rowid_of:  # a cached record: keep its answer with it
                self._thumb_of[record.key] = path
        if path is not None:
            return str(path), path
        entry = self.jobs.entry(record.key)
        if entry is not None:
            for i, source in enumerate(entry.images):
                if source is not None:
                    return f"{record.key}:{i}:{'file' if isinstance(source, Path) else len(source)}", source
        return None

    def file_path(self, record: JobRecord, index: int | None = None) -> Path | None:
        output = self.image_output(record, index)
        if output is None or not output.path or self.archive is None:
            return None
        try:
            return self.archive.absolute(output.path)
        except ValueError:
            return None

    def missing_files(self, record: JobRecord) -> int:
        """Images with a server copy whose archived file is not on disk (checks the disk)."""
        missing = 0
        for output in record.outputs:
            if output.kind == "image" and output.url:
                path = self.file_path(record, output.index)
                missing += path is None or not path.is_file()
        return missing

    def set_members(self, record: JobRecord) -> list[JobRecord]:
        """The jobs sent in one set with this one ({a, b} permutations), in the order they were
        sent; [] when it was sent alone."""
        if not record.group or self.store is None:
            return []
        try:
            members = self.store.search(group=record.group, limit=100)
        except Exception:  # noqa: BLE001  an unreadable store: no set to offer
            return []
        return sorted(members, key=lambda r: r.created_at) if len(members) > 1 else []

    def folder(self, record: JobRecord) -> Path | None:
        if self.archive is None:
            return None
        try:
            return self.archive.folder(record.key)
        except ValueError:
            return None

    @staticmethod
    def image_output(record: JobRecord, index: int | None):
        images = [o for o in record.outputs if o.kind == "image"]
        if index is None:
            return images[0] if images else None
        return next((o for o in images if o.index == index), None)

    # ----- lineage ------------------------------------------------------------------------
    def lineage(self, key: str) -> LineageNode | None:
        """The tree this job belongs to: from its first ancestor the history holds, down
        through every job made from it (at most a couple of hundred)."""
        record = self.jobs.stored(key)
        if record is None:
            return None
        seen = {record.key}
        while record.parent_job_id and len(seen) < 64:
            parent = self.jobs.stored(record.parent_job_id)
            if parent is None or parent.key in seen:
                break
            seen.add(parent.key)
            record = parent
        root = LineageNode(record)
        seen = {record.key}  # placed in the tree (a damaged store may hold a cycle)
        queue, count = [root], 1
        while queue and count < _LINEAGE_LIMIT:
            node = queue.pop(0)
            if not node.record.job_id or self.store is None:
                continue
            try:
                children = self.store.children(node.record.job_id)
            except Exception:
                children = []
            for child in children:
                if child.key in seen:
                    continue
                seen.add(child.key)
                entry = self.jobs.entry(child.key)
                node.children.append(LineageNode(entry.record if entry is not None else child))
                count += 1
            queue.extend(node.children)
        return root
