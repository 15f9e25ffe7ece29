"""The jobs the user started: the registry, and what the user does with them.

One `JobsSession` holds the jobs in submit order (this run's and those restored from the store).
The queue panel, the grid and the status bar are views of it: they listen to its signals and
read `JobEntry` objects (studio.session.entry), never keeping their own copy. Its other parts:
studio.session.runner (submit, watch, download: one job's life), studio.session.job_history
(store, archive, restore, adopting lost POSTs), studio.session.account (balance, concurrent
slots), studio.session.on_show (the job on show) and studio.session.failures (the words for
every error).

Keys: an entry gets its record's key (a uuid) the moment it is submitted, before the server has
answered, so a request the server refuses (400, 402, ...) still has a row to show its error on.
Once the server accepts it, `entry.job_id` holds the server's id and `session.entry(...)` finds
the entry by either. Signals carry the key.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from studio.session.tasks import spawn
from studio.store.exports import save_exports
from studio.store.files import job_stem
from studio.session.account import AccountState
from studio.session.entry import (  # noqa: F401  the views import these names from here
    CANCELLED, COMPLETED, DOWNLOADING, ERROR, FAILED, RATE_LIMITED, SUBMITTING, WAITING, JobEntry,
    _label,
)
from studio.session.on_show import OnShow
from studio.session.runner import JobRunner
from studio.session.job_history import JobHistory, NotAdoptedError
from studio.session.job_edits import JobEdits
from studio.store.records import Status

# studio.api (httpx under it) and asyncio are imported inside the functions that use them: the
# window is built and painted before any of that is needed, and their imports are a noticeable
# share of start-up (benchmarks/startup.py).
if TYPE_CHECKING:
    import asyncio

log = logging.getLogger(__name__)


_retry_policy_class: Any = None


def _session_retry_policy_class() -> Any:
    global _retry_policy_class
    if _retry_policy_class is None:
        from studio.api.errors import LegnextError, RateLimitError
        from studio.api.retry import RetryPolicy

        @dataclass(frozen=True)
        class SessionRetryPolicy(RetryPolicy):
            """The client's retry policy, except that a POST turned away with 429 comes back.

            The session then retries it itself, so the job's row can say "rate limited,
            retrying" instead of sitting silent inside the client (a 429 means nothing was
            created, so the retry is safe either way).
            """

            def should_retry(self, method: str, error: LegnextError, attempt: int) -> bool:
                if isinstance(error, RateLimitError) and method.upper() not in ("GET", "HEAD"):
                    return False
                return super().should_retry(method, error, attempt)

        SessionRetryPolicy.__module__ = __name__
        _retry_policy_class = SessionRetryPolicy
    return _retry_policy_class


def __getattr__(name: str) -> Any:
    # `from studio.session.jobs import SessionRetryPolicy` builds the class on first use.
    if name == "SessionRetryPolicy":
        return _session_retry_policy_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")





class JobsSession(JobRunner, JobHistory, JobEdits, AccountState, QObject):
    """Submit jobs through a `LegnextClient`, watch them with a `JobWatcher`, keep them in order."""

    job_added = Signal(str)
    job_changed = Signal(str)
    job_finished = Signal(str)
    job_hidden = Signal(str)
    job_edited = Signal(str)  # favourite, tags, notes of a job changed (studio.session.job_edits)
    jobs_deleted = Signal(list)  # keys taken out of the history
    jobs_undeleted = Signal(list)  # keys a delete's undo put back
    # Jobs restored unsent (they waited for a free slot when the studio stopped): how many.
    waiting_found = Signal(int)
    balance_changed = Signal(object)
    message = Signal(str)
    # A request was refused for the key (401): the window offers to open the settings.
    auth_failed = Signal(str)

    def __init__(
        self,
        client: Any = None,
        watcher: Any = None,
        *,
        parent: QObject | None = None,
        rate_limit_retries: int = 6,
        rate_limit_max_delay: float = 30.0,
        watch_timeout: float | None = None,
        poll_outage_tolerance: float = 120.0,
        store: Any = None,
        archive: Any = None,
    ) -> None:
        super().__init__(parent)
        # Where records and files are kept (studio.store): None keeps jobs for this run only.
        self.store = store
        self.archive = archive
        self.backend_id: str | None = None  # "sandbox:<run>" or the base URL (records carry it)
        self._store_failed = False
        self._balance_task: asyncio.Task[Any] | None = None
        self.concurrent_limit: int | None = None  # jobs the account may run at once
        self._slot_freed: asyncio.Event | None = None
        self._sending: set[str] = set()  # keys through the slot gate whose POST is out
        # Seconds a balance refresh waits for other jobs ending at the same moment.
        self.balance_pause = 0.3
        self._closing = False
        self.client = client
        self.watcher = watcher
        self.rate_limit_retries = rate_limit_retries
        self.rate_limit_max_delay = rate_limit_max_delay
        self.watch_timeout = watch_timeout
        # Seconds of failed polls in a row (5xx, dropped connections) before a watch gives up:
        # a job that exists is worth waiting out a server's bad minute for.
        self.poll_outage_tolerance = poll_outage_tolerance
        self.balance: Any = None
        self._entries: dict[str, JobEntry] = {}
        self._sets: dict[str, list[JobEntry]] = {}  # group -> its jobs (set_of), rebuilt lazily
        self._sets_size = -1
        self._by_job_id: dict[str, str] = {}
        self._tasks: dict[str, asyncio.Task[Any]] = {}
        self._video_tasks: dict[str, asyncio.Task[Any]] = {}
        self._download_tasks: set[asyncio.Task[Any]] = set()
        self._backend_ready: asyncio.Event | None = None
        self.on_show = OnShow(self)  # the job on show, one value for every view

    def set_backend(self, client: Any, watcher: Any, backend_id: str | None = None) -> None:
        """Point new jobs at another client/watcher (jobs already running keep theirs).

        The app may build the window before the backend exists (the sandbox starts after the
        window is on screen); jobs submitted until then wait here.
        """
        self.client = client
        self.watcher = watcher
        if backend_id is not None:
            self.backend_id = backend_id
        if self._backend_ready is not None:
            self._backend_ready.set()

    async def _backend(self) -> tuple[Any, Any]:
        import asyncio

        while self.client is None or self.watcher is None:
            if self._backend_ready is None:
                self._backend_ready = asyncio.Event()
            self._backend_ready.clear()
            await self._backend_ready.wait()
        return self.client, self.watcher

    @property
    def connected(self) -> bool:
        """Whether a backend is set (jobs and downloads would wait for one until then)."""
        return self.client is not None and self.watcher is not None

    async def download(self, url: str) -> bytes:
        """Fetch any URL with the current backend's client (its retry policy; a failure raises
        a `LegnextError` with a `user_message`). Waits for the backend if there is none yet."""
        client, _watcher = await self._backend()
        return await client.download(url)

    # ----- reading ------------------------------------------------------------------------
    def entry(self, key_or_job_id: str) -> JobEntry | None:
        """The entry for a local key or a server job id."""
        found = self._entries.get(key_or_job_id)
        if found is None and key_or_job_id in self._by_job_id:
            found = self._entries.get(self._by_job_id[key_or_job_id])
        return found

    def __getitem__(self, key_or_job_id: str) -> JobEntry:
        found = self.entry(key_or_job_id)
        if found is None:
            raise KeyError(key_or_job_id)
        return found

    def __contains__(self, key_or_job_id: object) -> bool:
        return isinstance(key_or_job_id, str) and self.entry(key_or_job_id) is not None

    def entries(self, *, include_hidden: bool = False) -> list[JobEntry]:
        """Every entry in submit order (oldest first)."""
        return [e for e in self._entries.values() if include_hidden or not e.hidden]

    def children(self, key_or_job_id: str) -> list[JobEntry]:
        """Entries started from an image of this job (lineage)."""
        parent = self.entry(key_or_job_id)
        if parent is None or parent.job_id is None:
            return []
        return [e for e in self._entries.values() if e.parent and e.parent[0] == parent.job_id]

    def lineage(self, key_or_job_id: str) -> list[JobEntry]:
        """The chain of ancestors (this session's, else the history's), root first, ending
        with this entry."""
        chain: list[JobEntry] = []
        current = self.entry(key_or_job_id)
        while current is not None and current not in chain and len(chain) < 64:
            chain.append(current)
            current = self._ancestor(current.parent[0]) if current.parent else None
        return list(reversed(chain))

    def _ancestor(self, job_id: str) -> JobEntry | None:
        """A parent: this session's entry, else a read-only view of its stored record (not
        registered: `open` brings it in when the artist goes to it)."""
        found = self.entry(job_id)
        if found is None and self.store is not None:
            try:
                record = self.store.find(job_id)
            except Exception:
                log.debug("store lookup failed for %s", job_id, exc_info=True)
                record = None
            found = JobEntry(record=record) if record is not None else None
        return found

    # ----- acting -------------------------------------------------------------------------
    def submit(
        self,
        op: str,
        *,
        parent: tuple[str, int] | None = None,
        prompt: str | None = None,
        request: dict[str, Any] | None = None,
        group: str | None = None,
        **kwargs: Any,
    ) -> JobEntry:
        """Start `client.<op>(**fields)` and watch the job; returns its entry at once.

        The operation's fields come as keywords, or as `request` (both merge): an operation
        with a field called `prompt` (video, extend, shorten) passes it in `request`, since the
        keyword `prompt` is the prompt the job is shown and searched by. Jobs sent together
        (a permutation set) share a `group`."""
        fields = {**(request or {}), **kwargs}
        if prompt is None:
            prompt = fields.get("text") or fields.get("remix_prompt") or fields.get("prompt")
        entry = JobEntry(op=op, request=fields, prompt=prompt, parent=parent)
        entry.record.group = group
        key = entry.key
        entry.model = self._model_for(entry)
        entry.record.backend = self.backend_id
        self._entries[key] = entry
        # The row exists before the POST can leave: a crash from here on leaves a record that
        # knows the job may have been sent.
        self._persist(entry)
        self.job_added.emit(key)
        self._tasks[key] = spawn(self._guarded(entry, self._run(entry)), name=f"job {key} {op}")
        return entry

    def submit_set(self, prompts: list[str]) -> list[JobEntry]:
        """One diffusion job per prompt, sent together: one group, so the queue and the history
        show them as a set and the set can be sent again as a whole."""
        from studio.store.records import new_key

        group = new_key()
        return [self.submit("diffusion", text=p, prompt=p, group=group) for p in prompts]

    def set_of(self, key_or_job_id: str) -> list[JobEntry]:
        """The jobs sent in one set with this one, in the order they were sent ([] when it was
        sent alone)."""
        entry = self.entry(key_or_job_id)
        group = entry.record.group if entry is not None else None
        if not group:
            return []
        if self._sets_size != len(self._entries):  # rebuilt when jobs came or went, not per paint
            sets: dict[str, list[JobEntry]] = {}
            for e in self._entries.values():
                if e.record.group:
                    sets.setdefault(e.record.group, []).append(e)
            for members in sets.values():
                members.sort(key=lambda e: e.submitted_at)
            self._sets, self._sets_size = sets, len(self._entries)
        return list(self._sets.get(group, []))

    def resubmit(self, key_or_job_id: str) -> JobEntry | None:
        """Send the same request again as a new job (after an error the user fixed)."""
        old = self.entry(key_or_job_id)
        if old is None:
            return None
        return self.submit(old.op, parent=old.parent, prompt=old.prompt, request=old.request)

    def resume(self, key_or_job_id: str) -> JobEntry | None:
        """Watch a job again on the same id after the studio lost contact with it or stopped
        watching (`entry.can_resume`), then download its outputs: nothing is sent again, so
        nothing is charged again. Returns the entry, or None when there is nothing to resume."""
        entry = self.entry(key_or_job_id)
        if entry is None or not entry.can_resume:
            return None
        entry.error = None
        entry.error_status = None
        entry.error_flag = None
        entry.error_span = None
        entry.notice = "Checking the job again"
        entry._t1 = None
        self._watch_again(entry)
        return entry

    def _watch_again(self, entry: JobEntry) -> None:
        """Follow an entry again on the id it has (or look for the job its lost POST made)."""
        if entry.job is not None:
            self._apply(entry, entry.job)  # its last known status and progress, not "sending"
        else:
            entry.status = Status.PENDING if entry.job_id else Status.SUBMITTING
            self._changed(entry)
        self._tasks[entry.key] = spawn(self._guarded(entry, self._look_again(entry)), name=f"resume {entry.key}")

    async def _look_again(self, entry: JobEntry) -> None:
        if entry.client is None:
            entry.client, entry.watcher = await self._backend()
        if entry.job_id is None and not await self._adopt(entry):
            raise NotAdoptedError(entry.adopt_note)
        await self._follow(entry)

    def resend_credits(self, key_or_job_id: str) -> int | None:
        """What sending this request again would cost: the credits the server froze for it,
        else the prompt package's estimate (None when neither can say)."""
        entry = self.entry(key_or_job_id)
        if entry is None:
            return None
        if entry.credits:
            return entry.credits
        try:
            from studio.prompt.cost import estimate

            options: dict[str, Any] = {"model": entry.model}
            if entry.request.get("target_resolution"):
                options["target_resolution"] = entry.request["target_resolution"]
            return int(estimate(entry.op, entry.prompt or "", **options).credits)
        except Exception:  # an unknown task or prompt: the confirmation says "cost not known"
            log.debug("no cost estimate for %s", entry.key, exc_info=True)
            return None

    def retry_downloads(self, key_or_job_id: str) -> asyncio.Task[Any] | None:
        """Fetch again, on the job's own client, the outputs of a finished job that could not
        be downloaded (their errors are cleared at once). Returns the task, or None if none failed."""
        entry = self.entry(key_or_job_id)
        if entry is None or entry.status != COMPLETED or not entry.missing:
            return None
        work = []
        for urls, into, errors in ((entry.image_urls, entry.images, entry.image_errors),
                                   (entry.video_urls, entry.videos, entry.video_errors)):
            if errors:
                work.append((urls, into, errors, sorted(errors)))
                errors.clear()
        self._changed(entry)
        task = spawn(self._download_again(entry, work), name=f"retry downloads {entry.key}")
        self._download_tasks.add(task)
        task.add_done_callback(self._download_tasks.discard)
        return task

    def fetch_missing_files(self, key_or_job_id: str) -> asyncio.Task[Any] | None:
        """Archived files deleted from disk fetched again while the server keeps its copies
        (30 days; the history's "Download again"). A job only the store holds is brought
        back first (out of the queue). Returns the task, or None for an unknown job."""
        entry = self.entry(key_or_job_id) or self.open(key_or_job_id, read_files=False)
        if entry is None:
            return None
        task = spawn(self._load_files([entry]), name=f"fetch missing files {entry.key}")
        self._download_tasks.add(task)
        task.add_done_callback(self._download_tasks.discard)
        return task

    async def _download_again(self, entry: JobEntry, work: list[Any]) -> None:
        import asyncio

        # Only the slots that failed: others may still be on their way in a fetch of their own.
        await asyncio.gather(*(self._download(entry, urls, into, errors, only=failed)
                               for urls, into, errors, failed in work))
        self._changed(entry)

    def hide(self, key_or_job_id: str) -> None:
        """Take the entry out of the queue view; a running job keeps being watched."""
        entry = self.entry(key_or_job_id)
        if entry is None or entry.hidden:
            return
        entry.hidden = True
        self.job_hidden.emit(entry.key)
        self.on_show.forget(entry.key)

    def cancel_watch(self, key_or_job_id: str) -> None:
        """Stop watching (the server may still finish and charge the job; we just stop asking)."""
        entry = self.entry(key_or_job_id)
        if entry is None or not entry.active:
            return
        task = self._tasks.get(entry.key)
        if entry.job_id is not None and hasattr(entry.watcher, "cancel"):
            try:
                entry.watcher.cancel(entry.job_id)
            except Exception:
                log.debug("watcher.cancel failed", exc_info=True)
        if task is not None and not task.done():
            task.cancel()
        entry.status = CANCELLED
        entry.notice = "Stopped watching; the job may still finish on the server. Resume watching to see it."
        entry._mark_finished()
        self._changed(entry)
        self.job_finished.emit(entry.key)

    def fetch_videos(self, key_or_job_id: str) -> asyncio.Task[Any] | None:
        """Download a finished video job's files into `entry.videos` (once; job_changed per file)."""
        entry = self.entry(key_or_job_id)
        if entry is None or entry.status != COMPLETED or not entry.video_urls:
            return None
        task = self._video_tasks.get(entry.key)
        # After a failure only `retry_downloads` fetches again: the grid asks on every change,
        # and a CDN that stays down must not be asked in a loop.
        if task is None and not entry.video_errors:
            task = spawn(self._download_videos(entry), name=f"videos {entry.key}")
            self._video_tasks[entry.key] = task
        return task

    async def _download_videos(self, entry: JobEntry) -> None:
        urls = entry.video_urls
        if len(entry.videos) != len(urls):
            entry.videos = [None] * len(urls)
        await self._download(entry, urls, entry.videos, entry.video_errors)
        if entry.video_errors:
            self._video_tasks.pop(entry.key, None)  # forgotten, so a retry can fetch them again

    async def save_images(self, key_or_job_id: str, indexes: list[int] | None, folder: Path | str) -> list[Path]:
        """Write the downloaded files of these outputs (None: all) into `folder`, each carrying
        its prompt, parameters, model, job id, parent and seed (studio.store.exports).

        Images, or a video job's videos. Names say what the file is
        (`<prompt-slug>_<jobid8>_<n>.<ext>`, n counted from 1); an existing file is never
        overwritten (`-2`, `-3`, ... are added). A PNG gets text chunks (its pixel data copied
        unchanged); any other file is copied unchanged with a `<name>.<ext>.json` sidecar. Each
        file is written to a temporary name and moved into place, so a reader never sees half
        a file; the writing runs in a worker thread. Outputs not downloaded are skipped.
        Returns the paths of the images (not of the sidecars). Raises OSError if the folder is
        unusable.
        """
        entry = self.entry(key_or_job_id)
        if entry is None:
            raise KeyError(key_or_job_id)
        datas = entry.images if entry.image_urls else entry.videos
        wanted = range(len(datas)) if indexes is None else indexes
        files = [(i, datas[i]) for i in wanted if 0 <= i < len(datas) and datas[i] is not None]
        stem = job_stem(entry.prompt, entry.task_type, entry.job_id or entry.key)
        written = await save_exports(entry.record, Path(folder), files, stem=stem)
        return [item.path for item in written]

    async def aclose(self) -> None:
        """Stop every job task of this session (at shutdown)."""
        import asyncio

        self._closing = True
        running = [*self._tasks.values(), *self._video_tasks.values(), *self._download_tasks,
                   *([self._balance_task] if self._balance_task is not None else [])]
        tasks = [t for t in running if not t.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=2.0)
