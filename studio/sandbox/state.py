"""The sandbox's thread-safe record: received requests, jobs, and the credit balance.

Tests read it from their own thread while the server thread writes it, so every access
goes through one lock. Job lifecycles are brought up to date ("settled") on every read,
which is also when finished jobs consume their frozen credits or refund failed ones.

The request log keeps only the latest `max_requests` (the app's embedded sandbox runs all
session and is polled every few seconds); tests that inspect more can raise or lift it.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from .clock import SandboxClock
from .jobs import FAILED, SandboxJob

REDACTED = "<redacted>"
DEFAULT_MAX_REQUESTS = 5_000  # a long session's worth of polls; plenty for any test
SECRET_HEADERS = frozenset({"x-api-key", "authorization", "cookie"})


@dataclass(frozen=True)
class Received:
    """One request as the sandbox saw it; secrets in headers are redacted."""

    method: str
    path: str
    json_body: Any
    headers: dict[str, str]
    query: str = ""
    at: float = field(default_factory=time.time)


def redact(headers: dict[str, str]) -> dict[str, str]:
    return {k: (REDACTED if k.lower() in SECRET_HEADERS else v) for k, v in headers.items()}


class InsufficientCredits(Exception):
    def __init__(self, needed: int, available: int) -> None:
        super().__init__(f"needs {needed}, balance {available}")
        self.needed = needed
        self.available = available


class SandboxState:
    def __init__(self, clock: SandboxClock, balance: int, max_requests: int | None = DEFAULT_MAX_REQUESTS) -> None:
        if max_requests is not None and max_requests < 1:
            raise ValueError("max_requests must be at least 1 (or None: keep every request)")
        self._lock = threading.RLock()
        self._clock = clock
        self._requests: deque[Received] = deque(maxlen=max_requests)  # oldest dropped first
        self._jobs: dict[str, SandboxJob] = {}
        self._order: list[str] = []
        self._balance = int(balance)

    # --- requests -----------------------------------------------------------------------

    def record(self, received: Received) -> None:
        with self._lock:
            self._requests.append(received)

    @property
    def requests(self) -> list[Received]:
        with self._lock:
            return list(self._requests)

    def requests_to(self, path_suffix: str, method: str | None = None) -> list[Received]:
        """Requests whose path ends with `path_suffix` (e.g. "/v1/diffusion")."""
        with self._lock:
            return [
                r for r in self._requests
                if r.path.endswith(path_suffix) and (method is None or r.method == method.upper())
            ]

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    # --- jobs ---------------------------------------------------------------------------

    def settle(self) -> None:
        """Advance every unfinished job to the current sandbox time."""
        with self._lock:
            # Read under the lock: a time read before another thread's settle must not be
            # applied after it (SandboxJob.advance also ignores an earlier time).
            now = self._clock.now()
            for job in self._jobs.values():
                if job.advance(now, self._clock):
                    if job.status == FAILED:
                        self._balance += job.cost  # frozen credits go back
                    else:
                        job.consumed = job.cost

    def time_to_finish_all(self) -> float:
        """Sandbox seconds until the last unfinished job ends (0 if none)."""
        with self._lock:
            self.settle()
            now = self._clock.now()
            ends = [j.created_at + j.phases.total - now for j in self._jobs.values() if not j.is_terminal]
        return max(ends, default=0.0)

    def add_job(self, job: SandboxJob) -> None:
        """Register a job, freezing its cost; InsufficientCredits if the balance is short."""
        with self._lock:
            self.settle()
            if job.cost > self._balance:
                raise InsufficientCredits(job.cost, self._balance)
            self._balance -= job.cost
            self._jobs[job.job_id] = job
            self._order.append(job.job_id)

    def accept(self, job: SandboxJob, cdn_base: str, *, progress: bool = True) -> dict[str, Any]:
        """Register a job and return its JSON as accepted (pending), built under the lock so
        a concurrent poll cannot settle it halfway through."""
        with self._lock:
            self.add_job(job)
            return job.to_json(cdn_base, progress=progress)

    def job(self, job_id: str) -> SandboxJob | None:
        with self._lock:
            self.settle()
            return self._jobs.get(job_id)

    def peek(self, job_id: str) -> SandboxJob | None:
        """A job without settling (for the image renderer, which only needs its recipe)."""
        with self._lock:
            return self._jobs.get(job_id)

    def job_json(self, job_id: str, cdn_base: str, *, progress: bool = True) -> dict[str, Any] | None:
        with self._lock:
            self.settle()
            job = self._jobs.get(job_id)
            return None if job is None else job.to_json(cdn_base, progress=progress)

    @property
    def jobs(self) -> dict[str, SandboxJob]:
        with self._lock:
            self.settle()
            return dict(self._jobs)

    def active_tasks(self, *, progress: bool = True) -> list[dict[str, Any]]:
        """The jobs that have not ended (pending / staged / processing), oldest first, as
        GET /account/active_tasks lists them; built under the lock from one settled moment."""
        with self._lock:
            self.settle()
            now = self._clock.now()  # not before the settle: remaining time only shrinks
            jobs = (self._jobs[job_id] for job_id in self._order)
            return [job.active_task_json(now, progress=progress) for job in jobs if not job.is_terminal]

    @property
    def used_credits(self) -> int:
        """Credits jobs have taken: consumed by finished ones plus frozen by unfinished ones
        (a failed job's credits went back)."""
        with self._lock:
            self.settle()
            return sum(j.cost for j in self._jobs.values() if j.status != FAILED)

    def created_job_ids(self) -> list[str]:
        with self._lock:
            return list(self._order)

    # --- credits ------------------------------------------------------------------------

    @property
    def balance(self) -> int:
        """Credits available now (frozen ones already taken out)."""
        with self._lock:
            self.settle()
            return self._balance

    @balance.setter
    def balance(self, value: int) -> None:
        with self._lock:
            self._balance = int(value)
