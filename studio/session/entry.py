"""One job as the session holds it: its `JobRecord` (what the store keeps) and, beside it, the
runtime objects of this run (client, watcher, parsed server job, downloaded bytes)."""

from __future__ import annotations

import time
from typing import Any

from studio.store.files import Source, read_source
from studio.store.records import JobRecord, Origin, Status, decode_request, encode_request

# Entry states beyond the server's own job statuses (pending/staged/processing/completed/failed).
# (studio.store.records.Status is the one list; these names are kept for the views.)
SUBMITTING = Status.SUBMITTING
RATE_LIMITED = Status.RATE_LIMITED
DOWNLOADING = Status.DOWNLOADING
ERROR = Status.ERROR
CANCELLED = Status.CANCELLED
COMPLETED = Status.COMPLETED
FAILED = Status.FAILED

WAITING = Status.WAITING
_ACTIVE = {WAITING, SUBMITTING, RATE_LIMITED, Status.PENDING, Status.STAGED, Status.PROCESSING, DOWNLOADING}
# Jobs that hold one of the account's concurrent slots (or are about to).
_HOLDS_SLOT = {SUBMITTING, RATE_LIMITED, Status.PENDING, Status.STAGED, Status.PROCESSING}
# The server keeps outputs 30 days (REFERENCE.md); an archived file lost after that is gone.
# The largest file the archive takes: above the biggest documented output (Topaz 12K, video).
# How far the server's clock may differ from ours when matching a lost POST to a running job.
NO_LISTING = ("This server cannot list the account's running jobs, so the job the lost answer may "
               "have created cannot be found. Check your balance before sending it again.")
NOT_RUNNING = ("No job of this request is running on the account now: it either never started or "
                "has already ended, and it may have been charged. Check your balance before sending "
                "it again.")


def _on_record(name: str, doc: str = "") -> property:
    """An entry attribute kept in its `JobRecord` (so the store sees every change)."""

    def get(self: JobEntry) -> Any:
        return getattr(self.record, name)

    def set(self: JobEntry, value: Any) -> None:
        setattr(self.record, name, value)

    return property(get, set, doc=doc)


class JobEntry:
    """One job as the studio sees it: its `JobRecord` (plain data, what the store keeps) and,
    beside it, what only lives while the studio runs: the client and watcher it runs on, the
    server's parsed `Job`, the downloaded bytes, transient notices."""

    key = _on_record("key")
    op = _on_record("op")
    prompt = _on_record("prompt")
    model = _on_record("model")
    @property
    def status(self) -> Status:
        return self.record.status

    @status.setter
    def status(self, value: Any) -> None:
        self.record.status = Status.of(value)

    job_id = _on_record("job_id")
    progress = _on_record("progress")
    error = _on_record("error")
    error_status = _on_record("error_status")
    credits = _on_record("credits")
    # The POST failed in a way that may have reached the server (a dropped connection, a
    # timeout, a 5xx after sending): a job may exist, and be charged, without its id here.
    post_may_have_landed = _on_record("may_have_run")
    submitted_at = _on_record("created_at")

    def __init__(
        self,
        key: str | None = None,
        op: str = "diffusion",
        request: dict[str, Any] | None = None,
        prompt: str | None = None,
        parent: tuple[str, int] | None = None,
        *,
        model: str | None = None,
        status: str = SUBMITTING,
        progress: int | None = None,
        record: JobRecord | None = None,
    ) -> None:
        if record is None:
            record = JobRecord(op=op, request=encode_request(dict(request or {})), prompt=prompt,
                               model=model, status=Status.of(status), progress=progress)
            if key is not None:
                record.key = key
            if parent is not None:
                record.parent_job_id, record.parent_index = parent[0], int(parent[1])
        self.record = record
        self.request: dict[str, Any] = dict(request) if request is not None else decode_request(record.request)
        self.job: Any = None  # studio.api.models.Job once the server has answered
        # For a 400 that names a flag: the flag's name and its span in `prompt`, when locatable,
        # so the prompt editor can highlight it.
        self.error_flag: str | None = None
        self.error_span: tuple[int, int] | None = None
        self.notice: str | None = None  # a transient note such as "rate limited, retrying in 2 s"
        self.adopt_note = ""  # why a lost POST's job could not be found on the account
        self._t0 = time.monotonic() - max(0.0, time.time() - record.created_at)
        self._t1: float | None = None
        if record.ended_at is not None:
            self._t1 = self._t0 + max(0.0, record.ended_at - record.created_at)
        self.image_urls: list[str] = []
        # Each output's bytes until archived, then its file (studio.store.files.Source).
        self.images: list[Source | None] = []
        self.image_errors: dict[int, str] = {}
        # A video job's files, fetched on request by `JobsSession.fetch_videos`: indexes follow
        # `video_urls`.
        self.videos: list[Source | None] = []
        self.video_errors: dict[int, str] = {}
        self.hidden = False
        # The client and watcher this job runs on (a settings change may switch new jobs elsewhere).
        self.client: Any = None
        self.watcher: Any = None

    def output_bytes(self, index: int, kind: str = "image") -> bytes | None:
        """Output `index`'s bytes, read from its archived file if it has one (blocking)."""
        slots = self.images if kind == "image" else self.videos
        return read_source(slots[index]) if 0 <= index < len(slots) else None

    def __repr__(self) -> str:
        return f"JobEntry({self.key!r}, {self.op!r}, status={str(self.status)!r}, job_id={self.job_id!r})"

    @property
    def parent(self) -> tuple[str, int] | None:
        return self.record.parent

    @parent.setter
    def parent(self, value: tuple[str, int] | None) -> None:
        self.record.parent_job_id, self.record.parent_index = (value[0], int(value[1])) if value else (None, None)

    @property
    def external(self) -> bool:
        """Found on the account, not sent by this studio (another device, a script)."""
        return self.record.origin == Origin.EXTERNAL

    @property
    def task_type(self) -> str:
        task = getattr(self.job, "task_type", None)
        return task or self.op

    @property
    def active(self) -> bool:
        return self.status in _ACTIVE

    @property
    def finished(self) -> bool:
        return not self.active

    @property
    def ok(self) -> bool:
        return self.status == COMPLETED

    @property
    def elapsed(self) -> float:
        end = self._t1 if self._t1 is not None else time.monotonic()
        return max(0.0, end - self._t0)

    @property
    def may_exist_on_server(self) -> bool:
        """Whether a job for this request may exist (and be charged) on the server: it has an
        id, or its POST may have landed. Sending it again then risks paying twice."""
        return self.job_id is not None or self.post_may_have_landed

    @property
    def can_resume(self) -> bool:
        """Whether `JobsSession.resume` can look at this job again: the studio lost contact
        with it, or stopped watching, but knows its id (no new job, no new charge)."""
        if self.status not in (ERROR, CANCELLED, Status.UNKNOWN):
            return False
        if self.job_id is not None:
            return True
        # Without an id, a POST that may have landed can be looked for on the account, unless
        # the server cannot list its jobs or the last look found it not running.
        return self.post_may_have_landed and self.adopt_note not in (NO_LISTING, NOT_RUNNING)

    @property
    def missing(self) -> int:
        """Outputs of a finished job that could not be downloaded (`retry_downloads` fetches
        them again)."""
        return len(self.image_errors) + len(self.video_errors)

    @property
    def images_ready(self) -> bool:
        return bool(self.image_urls) and all(b is not None for b in self.images)

    @property
    def texts(self) -> list[str]:
        """Its text results (describe's prompts, shorten's suggestions), in order."""
        return self.record.text_outputs()

    @property
    def video_urls(self) -> list[str]:
        output = getattr(self.job, "output", None)
        return list(getattr(output, "video_urls", None) or [])

    @property
    def seed(self) -> str:
        output = getattr(self.job, "output", None)
        return str(getattr(output, "seed", "") or "")

    @property
    def available_actions(self) -> dict[str, Any]:
        output = getattr(self.job, "output", None)
        return dict(getattr(output, "available_actions", None) or {})

    def status_word(self) -> str:
        """What the queue shows: queued, processing 62%, done, failed, ..."""
        if self.status == WAITING:
            return "waiting for a free slot"
        if self.status in (SUBMITTING,):
            return "sending"
        if self.status in ("pending", "staged"):
            return "queued"
        if self.status == "processing":
            return f"processing {self.progress}%" if self.progress is not None else "processing"
        if self.status == RATE_LIMITED:
            return "rate limited"
        if self.status == DOWNLOADING:
            return "downloading"
        if self.status == COMPLETED:
            if self.missing:
                noun = "video" if self.video_errors and not self.image_errors else "image"
                return f"{self.missing} {noun}{'s' if self.missing != 1 else ''} missing"
            if self.image_urls and not self.images_ready:
                return "downloading"  # fetching again what failed
            return "done"
        if self.status == CANCELLED:
            return "not watched"
        if self.status in (FAILED, ERROR):
            return f"error {self.error_status}" if self.error_status else "failed"
        return self.status.value

    def _mark_finished(self) -> None:
        if self._t1 is None:
            self._t1 = time.monotonic()
            self.record.ended_at = time.time()


def _label(entry: JobEntry) -> str:
    """"Diffusion", "Video diffusion": the task type as the start of a sentence."""
    return entry.task_type.replace("_", " ").capitalize()
