"""The jobs session's memory: every change of an entry saved to the store (the one transition
point), outputs kept in the archive, earlier runs' jobs brought back and watched again, and the
job of a lost POST found on the account. A part of `JobsSession` (studio.session.jobs)."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from studio.session import failures
from studio.session.entry import COMPLETED, ERROR, NO_LISTING, NOT_RUNNING, WAITING, JobEntry, _HOLDS_SLOT, _label
from studio.session.tasks import spawn
from studio.store.records import JobRecord, Origin, Output, Status

log = logging.getLogger("studio.session.jobs")

REMOTE_LIFETIME_S = 30 * 24 * 3600
_CLOCK_SKEW_S = 300.0
_OTHER_SANDBOX = ("This job ran on the offline sandbox of an earlier session; sandbox jobs end when "
                  "the studio does.")


class NotAdoptedError(Exception):
    """Looking again for the job of a lost POST found nothing (the message says why)."""


class JobHistory:
    """Mixed into JobsSession: needs its `store`, `archive`, `_entries`, `_by_job_id`, `_tasks`,
    `backend_id`, signals and runner methods (`_download`, `_watch_again`, `_backend`)."""

    # ----- records: the one transition point, the store, the archive --------------------
    def _changed(self, entry: JobEntry) -> None:
        """Every change of an entry passes here: its record is saved, then the views hear."""
        self._sync_record(entry)
        self._persist(entry)
        if entry.status not in _HOLDS_SLOT:
            self._slot_may_be_free()
        self.job_changed.emit(entry.key)

    def _persist(self, entry: JobEntry) -> None:
        if self.store is None:
            return
        try:
            self.store.put(entry.record)
        except Exception as exc:  # a full disk, a locked or damaged file: jobs keep running
            log.warning("could not save job %s: %s", entry.key, exc)
            if not self._store_failed:
                self._store_failed = True
                self.message.emit(f"The job history could not be saved ({exc}). Jobs keep running, "
                                  "but this run's jobs may not be there after a restart.")

    def _sync_record(self, entry: JobEntry) -> None:
        record = entry.record
        job = entry.job
        if job is not None:
            record.server = dict(getattr(job, "raw", None) or {}) or record.server
            record.task_type = getattr(job, "task_type", None) or record.task_type
            record.seed = entry.seed or record.seed
            # Text results (describe, shorten) are outputs like images: kept, shown, searched.
            for index, text in enumerate(getattr(getattr(job, "output", None), "prompts", None) or []):
                self._output(entry, "text", index).text = text
        for kind, urls, errors in (("image", entry.image_urls, entry.image_errors),
                                   ("video", entry.video_urls, entry.video_errors)):
            for index, url in enumerate(urls):
                output = self._output(entry, kind, index)
                output.url = url
                if index in errors or output.path is None:
                    output.error = errors.get(index, output.error)
                else:
                    output.error = None

    @staticmethod
    def _output(entry: JobEntry, kind: str, index: int) -> Output:
        for output in entry.record.outputs:
            if output.kind == kind and output.index == index:
                return output
        output = Output(kind=kind, index=index)
        entry.record.outputs.append(output)
        entry.record.outputs.sort(key=lambda o: (o.kind, o.index))
        return output

    async def _fetch_output(self, entry: JobEntry, kind: str, index: int, url: str) -> Any:
        """An output of a job: streamed from `url` into the archive as it arrives (verified,
        then renamed into place; held afterwards as its file, so memory never holds it), or,
        with no archive, downloaded into memory. Either way within the limit of its kind
        (studio.limits). Raises what the download raised, or the archive's refusal of the
        file itself (damaged, not an image, a pixel bomb); a disk that cannot take it leaves the
        output in memory, with the reason on its record."""
        from studio.store.archive import ArchiveError, CorruptFileError

        client = entry.client
        if self.archive is None or not hasattr(client, "download_into"):
            return await client.download(url, kind=kind)
        from studio.limits import DEFAULT_LIMITS

        limit = getattr(client, "limits", DEFAULT_LIMITS).file(kind)
        output = self._output(entry, kind, index)

        async def keep(chunks: Any) -> Path:
            return await self.archive.store(entry.key, kind, index, chunks, max_bytes=limit.max_bytes)

        try:
            path = await client.download_into(url, keep, kind=kind)
        except CorruptFileError:
            raise
        except (ArchiveError, OSError) as exc:  # the disk, not the file: show it all the same
            log.warning("could not archive %s %s %d: %s", entry.key, kind, index, exc)
            data = await client.download(url, kind=kind)
            output.error = failures.not_archived(exc)
            self.message.emit(f"{_label(entry)}: {output.error}")
            return data
        output.path = self.archive.relative(path)
        output.error = None
        return path

    async def _add_thumbnail(self, entry: JobEntry, kind: str, index: int, path: Path) -> None:
        """The history's thumbnail of an archived image, or the still of a video (its first
        frame), made after the output is on show. Without one the file is kept all the same:
        the history shows it without a thumbnail, the grid says why a video cannot show."""
        try:
            self._output(entry, kind, index).thumb = self.archive.relative(await self.archive.thumbnail(path))
        except Exception as exc:
            log.log(logging.INFO if kind == "video" else logging.WARNING,
                    "no thumbnail for %s %s %d: %r", entry.key, kind, index, exc)

    def files(self, key_or_job_id: str) -> list[Path]:
        """The archived files of a job's outputs (absolute paths, those that exist)."""
        entry = self.entry(key_or_job_id)
        record = entry.record if entry is not None else (self.store.find(key_or_job_id) if self.store else None)
        if record is None or self.archive is None:
            return []
        found = []
        for output in record.outputs:
            if output.path:
                path = self.archive.absolute(output.path)
                if path.is_file():
                    found.append(path)
        return found

    def past_durations(self, *, samples: int = 20, by_model: bool = False) -> dict[Any, float]:
        """Median seconds from submit to completion of the user's own recent jobs per
        operation (or, `by_model`, per (operation, model): v7 grids and niji grids take their
        own time), on servers like the current one (the built-in sandbox runs at its own
        speed): the watcher's prior for when a job will likely end."""
        import statistics

        if self.store is None:
            return {}
        family = _backend_family(self.backend_id)
        spans: dict[Any, list[float]] = {}
        try:
            records = self.store.search(status=Status.COMPLETED, limit=300)  # newest first
        except Exception:
            log.debug("past durations unreadable", exc_info=True)
            return {}
        for r in records:
            if r.ended_at and r.ended_at > r.created_at and _backend_family(r.backend) == family:
                spans.setdefault((r.op, r.model) if by_model else r.op, []).append(r.ended_at - r.created_at)
        return {key: statistics.median(s[:samples]) for key, s in spans.items() if len(s) >= 3}

    def expected_duration(self, entry: JobEntry) -> float | None:
        """How long this job will likely take, from the user's past jobs of its operation on
        its model; None when there are too few (the watcher then uses what it knows per
        operation). Read once per server."""
        if not entry.model:
            return None
        cached = getattr(self, "_model_durations", None)
        if cached is None or cached[0] != self.backend_id:
            cached = self._model_durations = (self.backend_id, self.past_durations(by_model=True))
        return cached[1].get((entry.op, entry.model))

    def restore(self, *, recent: int = 30) -> list[JobEntry]:
        """Bring back from the store the jobs that had not ended and the most recent others,
        in submit order, with their archived files. Returns the entries added."""
        if self.store is None:
            return []
        try:
            records = {r.key: r for r in self.store.search(limit=recent)}
            records.update((r.key, r) for r in self.store.unfinished())
        except Exception as exc:
            self.message.emit(f"The job history could not be read: {exc}")
            return []
        added = []
        for record in sorted(records.values(), key=lambda r: r.created_at):
            if record.key in self._entries:
                continue
            entry = self._entry_from_record(record)
            self._entries[entry.key] = entry
            if entry.job_id:
                self._by_job_id[entry.job_id] = entry.key
            added.append(entry)
            self.job_added.emit(entry.key)
        if added:
            task = spawn(self._load_files(added), name="restore files")
            self._download_tasks.add(task)
            task.add_done_callback(self._download_tasks.discard)
        return added

    def _entry_from_record(self, record: JobRecord) -> JobEntry:
        from studio.api.models import Job

        entry = JobEntry(record=record)
        if record.server:
            try:
                entry.job = Job.from_dict(record.server)
            except Exception:
                log.debug("stored job JSON unreadable for %s", record.key, exc_info=True)
        for output in sorted(record.outputs, key=lambda o: o.index):
            if output.kind == "image" and output.url:
                entry.image_urls.append(output.url)
                entry.images.append(None)
        if record.ended and entry.job is None and not entry.error:
            entry.error = "Nothing is known of this job beyond its request."
        return entry

    async def _load_files(self, entries: list[JobEntry]) -> None:
        """Read archived images back (off the GUI thread); a file deleted by hand is fetched
        again while the server still has it, else its slot says why it is missing."""
        import asyncio

        for entry in entries:
            if self.archive is None:
                break
            gone = []
            for output in entry.record.outputs:
                if output.kind != "image" or output.index >= len(entry.images):
                    continue
                path = self.archive.absolute(output.path) if output.path else None
                # The file stands for the image; readers open it when they need the pixels.
                found = path is not None and await asyncio.to_thread(_readable_file, path)
                entry.images[output.index] = path if found else None
                if entry.images[output.index] is None and entry.record.status == COMPLETED:
                    gone.append(output.index)
            if gone:
                if time.time() - entry.record.created_at < REMOTE_LIFETIME_S:
                    entry.client, entry.watcher = await self._backend()
                    await self._download(entry, entry.image_urls, entry.images, entry.image_errors, only=gone)
                else:
                    for index in gone:
                        entry.image_errors[index] = ("The archived file is missing and the server deleted "
                                                     "its copy after 30 days.")
            self._changed(entry)

    def resume_unfinished(self) -> list[JobEntry]:
        """At start: follow again every restored job that had not ended on this backend, and
        look for the job of every POST that was cut off. Nothing is sent again."""
        resumed = []
        for entry in list(self._entries.values()):
            record = entry.record
            if record.ended or entry.key in self._tasks or entry.status == WAITING:
                continue  # waiting jobs were never sent: they go only when asked (send_waiting)
            if record.backend != self.backend_id:
                entry.status = ERROR
                entry.error = (_OTHER_SANDBOX if (record.backend or "").startswith("sandbox") else
                               f"This job runs on {record.backend or 'another server'}; connect to it "
                               "to follow the job.")
                entry._mark_finished()
                self._changed(entry)
                continue
            if entry.job_id is None:
                # It was being sent when the studio stopped: it may have landed.
                entry.post_may_have_landed = True
            entry.notice = "Picked up again after a restart"
            self._watch_again(entry)
            resumed.append(entry)
        waiting = self.waiting()
        if waiting:
            self.waiting_found.emit(len(waiting))  # the window asks once whether to send them
        return resumed

    def _take_in_external(self, tasks: list[Any]) -> list[JobEntry]:
        """Jobs running on the account that this studio did not send (another device, a
        script): shown, followed and archived like its own, marked as found elsewhere.

        Not while a lost POST of ours is still being looked for: its job is among these and
        must be adopted by the request that made it, not taken in as a stranger's."""
        if any(e.job_id is None and e.key in self._tasks and e.status != WAITING for e in self._entries.values()):
            return []
        found = []
        for task in tasks:
            job_id = getattr(task, "job_id", "")
            if not job_id or job_id in self._by_job_id:
                continue
            # Another studio (or command) on this store may be sending a request of this kind:
            # its job is its own, though its answer may not be saved yet. Read before the job
            # id lookup, so the answer being saved in between is seen by one or the other.
            if self.store is not None and self._sending_elsewhere(getattr(task, "task_type", "")):
                continue
            if self.store is not None and self._stored(job_id) is not None:
                continue  # one of ours from an earlier run that is no longer on show
            created = getattr(task, "created_at", None)
            task_type = getattr(task, "task_type", "") or "unknown"
            record = JobRecord(op=task_type, task_type=task_type, job_id=job_id, origin=Origin.EXTERNAL,
                               status=Status.PENDING, backend=self.backend_id,
                               created_at=created.timestamp() if created is not None else time.time())
            entry = JobEntry(record=record)
            entry.notice = "Found on the account: started elsewhere (another device or a script)"
            self._entries[entry.key] = entry
            self._by_job_id[job_id] = entry.key
            self._persist(entry)
            self.job_added.emit(entry.key)
            self._watch_again(entry)
            found.append(entry)
        return found

    def _sending_elsewhere(self, task_type: str) -> bool:
        from studio.api.operations import operation

        try:
            sending = self.store.sending()
            name = operation(task_type).name if task_type else ""
        except KeyError:
            name = task_type
        except Exception:
            log.debug("store lookup failed for requests in flight", exc_info=True)
            return True  # unsure: leave it to whoever sent it
        return name in sending or (not name and bool(sending))

    def _stored(self, job_id: str) -> JobRecord | None:
        try:
            return self.store.find(job_id)
        except Exception:
            log.debug("store lookup failed for %s", job_id, exc_info=True)
            return None

    async def _adopt(self, entry: JobEntry) -> bool:
        """Find, among the account's running jobs, the one a lost POST created, and make it
        this entry's job. False (with `entry.adopt_note`) when none can be found."""
        from studio.api.errors import LegnextError, NotFoundError

        client = entry.client
        if not hasattr(client, "active_tasks"):
            entry.adopt_note = NO_LISTING
            return False
        import asyncio

        # Another request of the same kind whose answer is still on its way made one of the
        # listed jobs: let its answer claim it first, or this entry could take its job.
        waited = 0.0
        while waited < _ADOPT_WAIT_S and any(
                key != entry.key and key in self._entries and self._entries[key].op == entry.op
                for key in self._sending):
            await asyncio.sleep(0.05)
            waited += 0.05
        # The job is only listed while it runs: a failed look is tried again at once, briefly,
        # rather than leaving a charged job behind.
        for attempt in range(_ADOPT_LOOKS):
            try:
                listing = await client.active_tasks()
                break
            except NotFoundError:
                entry.adopt_note = NO_LISTING
                return False
            except LegnextError as exc:
                if attempt + 1 == _ADOPT_LOOKS:
                    entry.adopt_note = f"The account's running jobs could not be read ({exc.user_message})."
                    return False
                await asyncio.sleep(0.2 * (attempt + 1))
        known = set(self._by_job_id)
        task_type = entry.op.replace("-", "_")
        since = entry.submitted_at - _CLOCK_SKEW_S
        candidates = []
        for task in getattr(listing, "tasks", []):
            created = task.created_at.timestamp() if task.created_at is not None else None
            if task.job_id in known or task.task_type != task_type or (created is not None and created < since):
                continue
            if self.store is not None and self.store.find(task.job_id) is not None:
                continue
            candidates.append((abs((created or entry.submitted_at) - entry.submitted_at), task.job_id))
        if not candidates:
            entry.adopt_note = NOT_RUNNING
            return False
        entry.job_id = min(candidates)[1]
        self._by_job_id[entry.job_id] = entry.key
        entry.notice = "Found the job on the account after its answer was lost"
        entry.status = Status.PENDING
        self._changed(entry)
        return True


_ADOPT_LOOKS = 4  # tries at the account's running jobs after a lost POST
_ADOPT_WAIT_S = 65.0  # at most a POST's whole deadline (studio.limits.JOB_POST), and a little


def _backend_family(backend: str | None) -> str | None:
    """Every run of the built-in sandbox is one family; a server is its base URL."""
    return "sandbox" if (backend or "").startswith("sandbox") else backend


def _readable_file(path: Path) -> bool:
    try:
        return path.is_file() and path.stat().st_size > 0
    except OSError:
        return False
