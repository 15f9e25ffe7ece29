"""The sandbox clock: wall time plus a controllable offset.

Job lifecycles, the 3-day action window and the 30-day image storage rule all read this
clock, so tests can jump days (or through a job's phases) with `advance()` instead of
waiting. It also converts a sandbox instant back to the wall-clock moment it was reached,
which is how a job records *when* it really completed (the polling benchmark needs that).
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone


class SandboxClock:
    """Monotonic wall time since construction, plus offsets added by `advance()`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._wall0 = time.time()
        self._mono0 = time.monotonic()
        # (monotonic instant of the jump, total offset from then on); first segment has 0.
        self._segments: list[tuple[float, float]] = [(self._mono0, 0.0)]

    def now(self) -> float:
        """Sandbox time as POSIX seconds."""
        mono = time.monotonic()
        with self._lock:
            offset = self._segments[-1][1]
        return self._wall0 + (mono - self._mono0) + offset

    def now_datetime(self) -> datetime:
        return datetime.fromtimestamp(self.now(), tz=timezone.utc)

    @property
    def offset(self) -> float:
        with self._lock:
            return self._segments[-1][1]

    def advance(self, seconds: float) -> None:
        """Move sandbox time forward (never backward: jobs and expiry only move on)."""
        if seconds < 0:
            raise ValueError("the sandbox clock only moves forward")
        mono = time.monotonic()
        with self._lock:
            self._segments.append((mono, self._segments[-1][1] + float(seconds)))

    def wall_time_of(self, instant: float) -> float:
        """The wall-clock time (time.time() scale) at which sandbox time reached `instant`.

        If a jump carried the clock over `instant`, the answer is the moment of the jump.
        An instant still in the future is projected with the current offset.
        """
        with self._lock:
            segments = list(self._segments)
        for i, (start, offset) in enumerate(segments):
            end = segments[i + 1][0] if i + 1 < len(segments) else float("inf")
            mono = instant - self._wall0 - offset + self._mono0
            if mono < start:
                mono = start
            if mono < end:
                return self._wall0 + (mono - self._mono0)
        return self._wall0 + (time.monotonic() - self._mono0)


def iso(ts: float | None) -> str:
    """ISO 8601 in UTC as the API writes it; the API's "not yet" is year 1."""
    if ts is None:
        return "0001-01-01T00:00:00Z"
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
