"""Fault injection: rate limits, server errors, dropped connections, slow answers, failed jobs.

Two ways to inject, both deterministic:
- a `FaultSpec` of shares drawn from a seeded RNG (per run, or swapped at runtime), e.g.
  `FaultSpec.parse("429=0.1,500=0.05,drop=0.02,slow=0.1,fail=0.05")`;
- a queue of exact faults for the NEXT n requests to a path:
  `server.faults.next("/v1/diffusion", "500", count=2)`.

Faults hit `/api/...` only (images under `/cdn/...` stay reliable unless `cdn=True`), so a
retry test counts exactly the API calls it cares about.
"""

from __future__ import annotations

import fnmatch
import random
import threading
from dataclasses import dataclass, field

# Kinds a fault can take. A status is any 4xx/5xx code given as a string ("429", "503").
DROP = "drop"  # close the connection without any response
SLOW = "slow"  # answer normally, but only after `slow_seconds`
FAIL = "fail"  # accept the job, then let it end as failed (refunding its credits)

_SERVER_ERRORS = (500, 502, 503)


@dataclass
class FaultSpec:
    """Shares (0..1) of requests that meet each fault, drawn from a seeded RNG.

    statuses: share per HTTP status, e.g. {429: 0.1, 500: 0.05}; `server_error` spreads a
    share over 500/502/503 in turn. `after_share` is the part of POST 5xx/drop faults that
    strike *after* the job was created (the response is lost, the job exists) — the case
    that makes blind POST retries double-charge.
    """

    statuses: dict[int, float] = field(default_factory=dict)
    server_error: float = 0.0
    drop: float = 0.0
    slow: float = 0.0
    fail: float = 0.0
    slow_seconds: float = 1.5
    retry_after: float = 1.0
    after_share: float = 0.0
    cdn: bool = False
    seed: int = 0

    @classmethod
    def parse(cls, text: str) -> FaultSpec:
        """Parse "429=0.1,500=0.05,5xx=0.1,drop=0.02,slow=0.1,fail=0.05,seed=7,...".

        Also: slow_seconds=S, retry_after=S, after=SHARE, cdn=1.
        """
        spec = cls()
        for part in filter(None, (p.strip() for p in text.split(","))):
            name, sep, raw = part.partition("=")
            name = name.strip().lower()
            if not sep:
                raise ValueError(f"fault {part!r} needs a value, e.g. {name}=0.1")
            try:
                value = float(raw)
            except ValueError:
                raise ValueError(f"fault {name!r}: {raw!r} is not a number") from None
            if name.isdigit():
                code = int(name)
                if not 400 <= code <= 599:
                    raise ValueError(f"fault status {code} is not a 4xx/5xx code")
                spec.statuses[code] = value
            elif name == "5xx":
                spec.server_error = value
            elif name in ("drop", "slow", "fail", "slow_seconds", "retry_after"):
                setattr(spec, name, value)
            elif name == "after":
                spec.after_share = value
            elif name == "cdn":
                spec.cdn = bool(value)
            elif name == "seed":
                spec.seed = int(value)
            else:
                raise ValueError(f"unknown fault {name!r}")
        total = sum(spec.statuses.values()) + spec.server_error + spec.drop + spec.slow
        if total > 1.0 + 1e-9:
            raise ValueError(f"fault shares add up to {total:.2f} > 1")
        return spec


@dataclass(frozen=True)
class Fault:
    kind: str  # "drop", "slow", "fail", or a status code as text
    after: bool = False  # strike after the request was processed (POSTs only)
    seconds: float = 0.0  # delay for "slow"

    @property
    def status(self) -> int | None:
        return int(self.kind) if self.kind.isdigit() else None


@dataclass
class _Queued:
    pattern: str
    kind: str
    remaining: int
    after: bool
    method: str | None
    seconds: float | None


class FaultInjector:
    """Decides, request by request, which fault (if any) strikes. Thread-safe."""

    def __init__(self, spec: FaultSpec | None = None) -> None:
        self._lock = threading.Lock()
        self._queue: list[_Queued] = []
        self.spec = spec or FaultSpec()

    @property
    def spec(self) -> FaultSpec:
        return self._spec

    @spec.setter
    def spec(self, spec: FaultSpec) -> None:
        with self._lock:
            self._spec = spec
            # Separate streams so adding a job-failure share does not reshuffle request faults.
            self._request_rng = random.Random(spec.seed)
            self._job_rng = random.Random(spec.seed + 1)
            self._error_turn = 0

    def next(
        self,
        path: str,
        kind: str | int,
        count: int = 1,
        *,
        after: bool = False,
        method: str | None = None,
        seconds: float | None = None,
    ) -> None:
        """Make the next `count` requests whose path matches fail as `kind`.

        `path` is matched with or without the "/api" prefix and may use shell wildcards
        ("/v1/job/*"). kind: a status ("429", 503), "drop", "slow", or "fail" (the job is
        accepted and later fails). after=True applies a 5xx status or a drop once the job
        exists (ValueError for a 4xx: that answer means nothing was created).
        """
        kind = str(kind).lower()
        if not (kind.isdigit() or kind in (DROP, SLOW, FAIL)):
            raise ValueError(f"unknown fault kind {kind!r}")
        if after and kind.isdigit() and int(kind) < 500:
            # A 4xx (429 above all) says the request was refused: it cannot follow a job that
            # was created, and a client trusting it would be right to resend.
            raise ValueError(f"a {kind} answer means the request was not accepted; after=True is for 5xx and drop")
        with self._lock:
            self._queue.append(_Queued(path, kind, count, after, method and method.upper(), seconds))

    def clear(self) -> None:
        """Forget queued faults and turn random faults off."""
        with self._lock:
            self._queue.clear()
        self.spec = FaultSpec()

    def _take_queued(self, method: str, path: str, kinds: tuple[str, ...] | None) -> _Queued | None:
        for item in self._queue:
            if item.remaining <= 0 or (item.method and item.method != method):
                continue
            if kinds is not None and item.kind not in kinds:
                continue
            if kinds is None and item.kind == FAIL:
                continue
            if _matches(item.pattern, path):
                item.remaining -= 1
                if item.remaining <= 0:
                    self._queue.remove(item)
                return item
        return None

    def for_request(self, method: str, path: str) -> Fault | None:
        """The transport-level fault for this request, if any (not job failures)."""
        with self._lock:
            queued = self._take_queued(method, path, None)
            if queued is not None:
                seconds = queued.seconds if queued.seconds is not None else self._spec.slow_seconds
                return Fault(queued.kind, after=queued.after and method == "POST", seconds=seconds)
            spec = self._spec
            if path.startswith("/cdn/") and not spec.cdn:
                return None
            if not path.startswith(("/api/", "/cdn/")):
                return None
            draw = self._request_rng.random()
            after = method == "POST" and self._request_rng.random() < spec.after_share
            edge = 0.0
            for code, share in sorted(spec.statuses.items()):
                edge += share
                if draw < edge:
                    return Fault(str(code), after=after and code >= 500)  # a 4xx never follows a job
            edge += spec.server_error
            if draw < edge:
                code = _SERVER_ERRORS[self._error_turn % len(_SERVER_ERRORS)]
                self._error_turn += 1
                return Fault(str(code), after=after)
            edge += spec.drop
            if draw < edge:
                return Fault(DROP, after=after)
            edge += spec.slow
            if draw < edge:
                return Fault(SLOW, seconds=spec.slow_seconds)
            return None

    def job_should_fail(self, path: str) -> bool:
        """Whether a job just accepted on `path` is destined to fail."""
        with self._lock:
            if self._take_queued("POST", path, (FAIL,)) is not None:
                return True
            return self._spec.fail > 0 and self._job_rng.random() < self._spec.fail

    @property
    def retry_after(self) -> float:
        return self._spec.retry_after


def _matches(pattern: str, path: str) -> bool:
    bare = path[len("/api"):] if path.startswith("/api/") else path
    return fnmatch.fnmatchcase(path, pattern) or fnmatch.fnmatchcase(bare, pattern)


def retry_after_header(seconds: float) -> str:
    """Whole seconds as an integer (RFC 9110); fractions kept for fast test runs."""
    return str(int(seconds)) if float(seconds).is_integer() else f"{seconds:g}"
