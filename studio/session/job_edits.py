"""What the artist does to jobs already made: open a stored one again, favourite, tag, note,
delete (and undo the delete). A part of `JobsSession` (studio.session.jobs); the history
browser and the command line ask for these, never the store directly."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from studio.session.entry import JobEntry
from studio.session.tasks import spawn
from studio.store.records import JobRecord

log = logging.getLogger("studio.session.jobs")

# The fields of a record the artist edits (everything else is what happened to the job).
EDITABLE = ("favourite", "tags", "notes", "rating")


class DeleteRefused(Exception):
    """A delete that cannot happen now (the message says why)."""


@dataclass
class Deleted:
    """What one delete took out, for its undo: the records with their places in the store,
    and the jobs whose files were set aside (not yet removed for good)."""

    taken: list[tuple[int, JobRecord]]
    files_aside: list[str] = field(default_factory=list)
    at: float = field(default_factory=time.time)

    @property
    def keys(self) -> list[str]:
        return [record.key for _rowid, record in self.taken]


def clean_tags(tags: Any) -> list[str]:
    """Tags as kept: trimmed, no empties, no repeats, in the order given."""
    if isinstance(tags, str):
        tags = tags.split(",")
    return list(dict.fromkeys(t.strip() for t in tags if t and t.strip()))


class JobEdits:
    """Mixed into JobsSession: needs its `store`, `archive`, `_entries`, `_by_job_id`,
    `on_show`, signals and `_entry_from_record` / `_load_files` / `_persist`."""

    def open(self, key_or_job_id: str, *, read_files: bool = True) -> JobEntry | None:
        """The entry of a job, brought back from the store when this session does not hold it
        (the history browser, a breadcrumb to an ancestor). It stays out of the queue (the
        history has it); its files are read off the GUI thread, a missing one fetched again
        while the server keeps it."""
        entry = self.entry(key_or_job_id)
        if entry is not None or self.store is None:
            return entry
        try:
            record = self.store.find(key_or_job_id)
        except Exception as exc:
            self.message.emit(f"The job could not be read from the history: {exc}")
            return None
        if record is None:
            return None
        entry = self._entry_from_record(record)
        entry.hidden = True
        self._entries[entry.key] = entry
        if entry.job_id:
            self._by_job_id[entry.job_id] = entry.key
        self.job_added.emit(entry.key)
        if read_files:
            task = spawn(self._load_files([entry]), name="open files")
            self._download_tasks.add(task)
            task.add_done_callback(self._download_tasks.discard)
        return entry

    def stored(self, key_or_job_id: str) -> JobRecord | None:
        """A job's record: this session's copy when it has one, else the store's."""
        entry = self.entry(key_or_job_id)
        if entry is not None:
            return entry.record
        if self.store is None:
            return None
        try:
            return self.store.find(key_or_job_id)
        except Exception:
            log.debug("store lookup failed for %s", key_or_job_id, exc_info=True)
            return None

    def edit(self, key_or_job_id: str, **changes: Any) -> JobRecord | None:
        """Change what the artist keeps about a job (favourite, tags, notes, rating), saved at
        once. The live entry's record is changed too, so its next save keeps the edit."""
        unknown = set(changes) - set(EDITABLE)
        if unknown:
            raise ValueError(f"not an editable field: {', '.join(sorted(unknown))}")
        if "tags" in changes:
            changes["tags"] = clean_tags(changes["tags"])
        if "favourite" in changes:
            changes["favourite"] = bool(changes["favourite"])
        if "notes" in changes:
            changes["notes"] = changes["notes"] or ""
        entry = self.entry(key_or_job_id)
        if entry is not None:
            for name, value in changes.items():
                setattr(entry.record, name, value)
            self._persist(entry)
            record = entry.record
        elif self.store is not None:
            try:
                record = self.store._edit(key_or_job_id, **changes) or self._edit_by_job_id(key_or_job_id, changes)
            except Exception as exc:
                self.message.emit(f"The change could not be saved: {exc}")
                return None
        else:
            return None
        if record is not None:
            self.job_edited.emit(record.key)
        return record

    def _edit_by_job_id(self, job_id: str, changes: dict[str, Any]) -> JobRecord | None:
        record = self.store.find(job_id)
        return self.store._edit(record.key, **changes) if record is not None else None

    def delete(self, keys: list[str], *, keep_files: bool) -> Deleted:
        """Take jobs out of the history (and of this session). Their files are kept in the
        archive (`keep_files`) or set aside until the delete can no longer be undone. A job
        still running is refused: it may yet be charged and finish."""
        if self.store is None:
            raise DeleteRefused("This run keeps no history: there is nothing to delete.")
        records = [r for r in (self.stored(k) for k in keys) if r is not None]
        running = [r for r in records if not r.ended]
        if running:
            raise DeleteRefused(f"{len(running)} of these jobs {'is' if len(running) == 1 else 'are'} "
                                "still running; stop watching first, then delete.")
        wanted = [r.key for r in records]
        try:
            taken = self.store.take_out(wanted)
        except Exception as exc:
            raise DeleteRefused(f"The history could not be changed: {exc}") from exc
        deleted = Deleted(taken)
        for _rowid, record in taken:
            entry = self._entries.get(record.key)
            if entry is not None:
                if not entry.hidden:
                    entry.hidden = True
                    self.job_hidden.emit(entry.key)
                self.on_show.forget(entry.key)
                del self._entries[entry.key]
                if entry.job_id:
                    self._by_job_id.pop(entry.job_id, None)
            if not keep_files and self.archive is not None:
                try:
                    if self.archive.set_aside(record.key) is not None:
                        deleted.files_aside.append(record.key)
                except OSError as exc:
                    log.warning("could not set aside the files of %s: %s", record.key, exc)
        self.jobs_deleted.emit(deleted.keys)
        return deleted

    def undo_delete(self, deleted: Deleted) -> list[str]:
        """Put deleted jobs back where they were, with their files. Returns their keys."""
        if self.store is None or not deleted.taken:
            return []
        self.store.put_back(deleted.taken)
        for key in deleted.files_aside:
            try:
                self.archive.put_back(key)
            except OSError as exc:
                self.message.emit(f"The files of a restored job could not be put back: {exc}")
        keys = deleted.keys
        deleted.taken, deleted.files_aside = [], []
        self.jobs_undeleted.emit(keys)
        return keys

    def forget_deleted(self, deleted: Deleted) -> None:
        """The delete can no longer be undone: its set-aside files go for good."""
        if deleted.files_aside and self.archive is not None:
            self.archive.empty_aside(deleted.files_aside)
        deleted.files_aside = []
