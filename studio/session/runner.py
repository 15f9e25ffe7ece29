"""The runner of each job's life, a part of `JobsSession` (a mixin it inherits): send the
request (waiting out rate limits), follow the job the server made (riding out outages), download
and archive its outputs, and turn every failure into the words on its row (studio.session.failures).
Every status change goes through the session's one transition point, `_changed`.
"""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.credits import balance_credits
from studio.session import failures
from studio.session.entry import (
    CANCELLED, COMPLETED, DOWNLOADING, ERROR, FAILED, RATE_LIMITED, SUBMITTING, JobEntry, _label,
)
from studio.session.job_history import NotAdoptedError

# studio.api (httpx under it) and asyncio are imported inside the functions: start-up time.
if TYPE_CHECKING:
    import asyncio  # noqa: F401

log = logging.getLogger(__name__)

_FLAG_IN_MESSAGE = re.compile(r"--([A-Za-z][\w-]*)")


class JobRunner:
    """Mixed into JobsSession: needs its `_tasks`, `_sending`, signals, `_changed`, `_backend`,
    the slot gate (AccountState) and the archive (JobHistory)."""

    # ----- the life of one job ------------------------------------------------------------
    async def _guarded(self, entry: JobEntry, work: Any) -> None:
        """Run a stretch of a job's life as its task: every failure ends as a message on its
        row, never a crash. A task that `resume` has replaced leaves the entry alone."""
        import asyncio

        task = asyncio.current_task()
        try:
            await work
        except asyncio.CancelledError:
            # At quit the job goes on on the server: its record keeps its last status, and the
            # next start watches it again. A job that has ended stays as it ended.
            if (not self._closing and self._tasks.get(entry.key) is task
                    and not entry.record.status.ended):
                entry.status = CANCELLED
                entry._mark_finished()
                self._changed(entry)
            raise
        except Exception as exc:
            if self._closing:
                # Shutting down pulls the ground from under a job (its client is closed, its
                # balance lookup cancelled): not a failure of the job, which the next start
                # watches again from the status its record keeps.
                log.info("job %s interrupted by the shutdown: %r", entry.key, exc)
                return
            await self._fail(entry, exc)
        finally:
            if self._tasks.get(entry.key) is task:
                del self._tasks[entry.key]

    async def _run(self, entry: JobEntry) -> None:
        """Send the request, then follow the job it made."""
        entry.client, entry.watcher = await self._backend()
        await self._wait_for_slot(entry)
        try:
            job = await self._submit_with_retries(entry)
        except Exception as exc:
            self._sending.discard(entry.key)
            entry.post_may_have_landed = _post_may_have_landed(exc)
            if entry.post_may_have_landed and await self._adopt(entry):
                await self._follow(entry)
                return
            raise
        self._sending.discard(entry.key)  # from here its job id holds the slot
        if job is None:
            return
        self._accept(entry, job)
        await self._follow(entry)

    async def _follow(self, entry: JobEntry) -> None:
        """Watch a job the server has accepted until it ends, then download its outputs."""
        final = await self._watch_with_retries(entry)
        if final is None:
            return
        self._apply(entry, final)
        if entry.image_urls:
            entry.status = DOWNLOADING
            self._changed(entry)
            await self._download(entry, entry.image_urls, entry.images, entry.image_errors)
        entry.status = COMPLETED
        entry.notice = None
        entry._mark_finished()
        self._changed(entry)
        self.job_finished.emit(entry.key)
        self._balance_soon()

    async def _submit_with_retries(self, entry: JobEntry) -> Any:
        from studio.api.errors import RateLimitError
        from studio.api.job_requests import request_for

        attempt = 0
        while True:
            try:
                return await entry.client.submit(request_for(entry.op, **entry.request))
            except RateLimitError as exc:
                attempt += 1
                if attempt > self.rate_limit_retries:
                    raise
                await self._wait_rate_limited(entry, exc, attempt)
                entry.status = SUBMITTING
                self._changed(entry)

    async def _watch_with_retries(self, entry: JobEntry) -> Any:
        """Watch until the job ends. Polls that keep failing (5xx, dropped connections) are
        waited out for `poll_outage_tolerance` seconds with growing pauses: the job exists and
        is charged, so giving up early only leaves the user a second, paid "Send again"."""
        import asyncio

        from studio.api.errors import (
            MalformedResponseError,
            NetworkError,
            RateLimitError,
            ServerError,
            WatchTimeoutError,
        )

        assert entry.job_id is not None
        attempt = 0
        outage: list[float] = []  # when the current run of failed polls began
        deadline = time.monotonic() + self.watch_timeout if self.watch_timeout else None

        def on_update(job: Any) -> None:
            if outage:  # the server answers again
                outage.clear()
                entry.notice = None
            self._on_update(entry, job)

        while True:
            timeout = None
            if deadline is not None:
                timeout = deadline - time.monotonic()
                if timeout <= 0:
                    raise WatchTimeoutError(entry.job_id, float(self.watch_timeout or 0), entry.job)
            try:
                return await entry.watcher.watch(entry.job_id, on_update=on_update, timeout=timeout,
                                                 **_hint(entry.watcher, self.expected_duration(entry)))
            except RateLimitError as exc:
                attempt += 1
                if attempt > self.rate_limit_retries:
                    raise
                await self._wait_rate_limited(entry, exc, attempt)
            except (NetworkError, ServerError, MalformedResponseError) as exc:
                # The watcher already retried a few polls; past that, keep trying for a while.
                now = time.monotonic()
                outage.append(now)
                if now - outage[0] >= self.poll_outage_tolerance:
                    raise
                entry.notice = f"Lost contact with the server ({failures.why(exc)}); still trying. The job may still be running."
                self._changed(entry)
                await asyncio.sleep(_outage_pause(entry.watcher, len(outage)))

    async def _wait_rate_limited(self, entry: JobEntry, exc: Any, attempt: int) -> None:
        import asyncio

        delay = getattr(exc, "retry_after", None)
        if delay is None or delay <= 0:
            delay = 2.0 ** (attempt - 1)
        delay = min(float(delay), self.rate_limit_max_delay)
        previous = entry.status
        entry.status = RATE_LIMITED if previous == SUBMITTING else previous
        entry.notice = f"Rate limited, retrying in {delay:.0f} s" if delay >= 1 else "Rate limited, retrying"
        self._changed(entry)
        self.message.emit(f"{_label(entry)}: {entry.notice}")
        await asyncio.sleep(delay)
        entry.notice = None

    def _accept(self, entry: JobEntry, job: Any) -> None:
        entry.job = job
        entry.job_id = job.job_id
        if job.job_id:
            self._by_job_id[job.job_id] = entry.key
        self._apply(entry, job)

    def _on_update(self, entry: JobEntry, job: Any) -> None:
        if entry.status == CANCELLED:
            return
        self._apply(entry, job)

    def _apply(self, entry: JobEntry, job: Any) -> None:
        entry.job = job
        status = str(getattr(job, "status", "") or "pending")
        # "completed" becomes final only after the images are in; until then it reads processing.
        entry.status = "processing" if status == COMPLETED else status
        progress = getattr(job, "progress", None)
        if status == COMPLETED:
            progress = 100
        entry.progress = progress
        usage = getattr(getattr(job, "meta", None), "usage", None)
        if usage is not None:
            consumed = getattr(usage, "consume", 0) or 0
            frozen = getattr(usage, "frozen", 0) or 0
            entry.credits = int(consumed or frozen) if (consumed or frozen) else entry.credits
        images = list(getattr(job, "images", None) or [])
        if images and images != entry.image_urls:
            entry.image_urls = images
            entry.images = [None] * len(images)
        self._changed(entry)

    async def _download(
        self, entry: JobEntry, urls: list[str], into: list[Any], errors: dict[int, str],
        only: list[int] | None = None,
    ) -> None:
        """Fetch every URL whose slot in `into` is still empty (of `only`, when given), all at
        once, on the job's own client; a failure is kept in `errors` by index and the others
        carry on."""
        import asyncio

        from studio.api.errors import LegnextError
        from studio.store.archive import ArchiveError
        from studio.store.images import TooManyPixelsError

        kind = "video" if into is entry.videos else "image"

        async def fetch(index: int, url: str) -> None:
            try:
                into[index] = await self._fetch_output(entry, kind, index, url)  # its file, once kept
            except (LegnextError, ArchiveError, TooManyPixelsError) as exc:
                errors[index] = failures.download_problem(exc)
            self._changed(entry)
            if isinstance(into[index], Path):
                await self._add_thumbnail(entry, kind, index, into[index])
                self._changed(entry)

        await asyncio.gather(*(fetch(i, url) for i, url in enumerate(urls)
                               if into[i] is None and (only is None or i in only)))

    async def _fail(self, entry: JobEntry, exc: BaseException) -> None:
        from studio.api.errors import APIError, AuthenticationError, JobFailedError

        # The message may need a server round trip (402 names the balance): build it before
        # the entry reads as finished, so nobody sees a finished entry without its error.
        error = await self._message_for(entry, exc)
        if isinstance(exc, JobFailedError) and getattr(exc, "job", None) is not None:
            self._apply(entry, exc.job)
        entry.status = FAILED if isinstance(exc, JobFailedError) else ERROR
        entry.notice = None
        entry.error_status = getattr(exc, "status", None) if isinstance(exc, APIError) else None
        entry.error = error
        entry._mark_finished()
        self._changed(entry)
        self.job_finished.emit(entry.key)
        self.message.emit(f"{_label(entry)} failed: {entry.error}")
        if isinstance(exc, AuthenticationError):
            self.auth_failed.emit(entry.error)
        if not isinstance(exc, AuthenticationError):
            self._balance_soon()

    async def _message_for(self, entry: JobEntry, exc: BaseException) -> str:
        """The words the user reads for an error (studio.session.failures owns them)."""
        from studio.api.errors import BadRequestError, InsufficientCreditsError, LegnextError

        if isinstance(exc, NotAdoptedError):
            return str(exc)
        balance = None
        if isinstance(exc, InsufficientCreditsError):  # a 402 names what is left
            balance = balance_credits(await self._fetch_balance_quietly())
        if not isinstance(exc, LegnextError):
            log.exception("unexpected error in job %s", entry.key, exc_info=exc)
        text = failures.describe(exc, failures.Context(
            job_known=entry.job_id is not None, may_have_run=entry.post_may_have_landed,
            balance=balance, waited=self.watch_timeout, adopt_note=entry.adopt_note))
        if isinstance(exc, BadRequestError):
            self._locate_flag(entry, text)
        return text

    def _locate_flag(self, entry: JobEntry, message: str) -> None:
        match = _FLAG_IN_MESSAGE.search(message)
        if match is None:
            return
        named = match.group(1).lower()
        entry.error_flag = named
        if not entry.prompt:
            return
        try:
            from studio.prompt import parse

            parsed = parse(entry.prompt)
        except Exception:
            log.debug("could not parse prompt to locate flag", exc_info=True)
            return
        for flag in parsed.flags:
            names = {str(flag.name).lower(), str(flag.raw_name).lstrip("-").lower()}
            if named in names:
                entry.error_flag = str(flag.name)
                entry.error_span = (flag.start, flag.end)
                return

    def _model_for(self, entry: JobEntry) -> str | None:
        if entry.parent is not None:
            parent = self.entry(entry.parent[0])
            if parent is not None and parent.model:
                return parent.model
        if entry.prompt and entry.op in ("diffusion", "video_diffusion"):
            try:
                from studio.prompt import parse

                return parse(entry.prompt).model
            except Exception:
                return None
        return None

def _post_may_have_landed(exc: BaseException) -> bool:
    """Whether a failed POST may still have created the job on the server."""
    from studio.api.errors import MalformedResponseError, NetworkError, ServerError

    if getattr(exc, "may_have_run", False):  # the client's own word
        return True
    if isinstance(exc, NetworkError):
        return exc.request_sent
    # A 5xx or an unreadable answer: the server may have acted before it failed to say so.
    return isinstance(exc, (ServerError, MalformedResponseError))


def _hint(watcher: Any, expected: float | None) -> dict[str, Any]:
    """The expected duration for `watch`, for watchers that take one (tests use others)."""
    from studio.api.watcher import JobWatcher

    return {"expected": expected} if expected and isinstance(watcher, JobWatcher) else {}


def _outage_pause(watcher: Any, rounds: int) -> float:
    """Seconds to wait before watching again after the `rounds`-th failed watch in a row: the
    watcher's longest poll interval, doubling each time up to 8 times that (4 s to 32 s)."""
    policy = getattr(watcher, "policy", None)
    base = policy.scaled(policy.max_interval) if policy is not None else 4.0
    return base * 2 ** min(3, max(0, rounds - 1))


