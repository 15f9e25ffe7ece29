"""When to try a request again, and how long to wait first.

The rule that matters most: a POST creates (and charges for) a job, so it is re-sent only when it
certainly never reached the server (the connection could not be made) or when the server
explicitly refused it with 429. After a timeout, a dropped connection or a 5xx the job may exist
already; the error goes to the caller instead of risking a duplicate, double-charged job.
GETs have no side effects and are retried on 429, 5xx and any network error, except a request
that ran out its whole deadline (TooSlowError): the server is too slow, and trying again would
only take that long again.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from typing import Awaitable, Callable

from studio.api.errors import LegnextError, NetworkError, RateLimitError, ServerError, TooSlowError

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter, honouring Retry-After.

    max_attempts counts the first try: 4 means up to 3 retries. `sleep` and `random` are
    injectable so tests run without waiting in real time and get repeatable delays.
    """

    max_attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 8.0
    jitter: float = 0.5  # share of each backoff delay that is randomised (0 = none)
    # A Retry-After longer than this is not waited out inside a call: the caller is told instead.
    max_retry_after: float = 60.0
    sleep: Sleep = field(default=asyncio.sleep, compare=False, repr=False)
    random: Callable[[], float] = field(default=random.random, compare=False, repr=False)

    def should_retry(self, method: str, error: LegnextError, attempt: int) -> bool:
        """Whether to try again after `error` on try number `attempt` (1-based)."""
        if attempt >= self.max_attempts:
            return False
        if isinstance(error, TooSlowError):
            # The whole deadline went by (a trickling server): another try would only take as
            # long again, and a POST may have landed meanwhile.
            return False
        if isinstance(error, RateLimitError):
            # 429 means the server turned the request away without acting on it.
            return error.retry_after is None or error.retry_after <= self.max_retry_after
        if method.upper() in ("GET", "HEAD"):
            return isinstance(error, (ServerError, NetworkError))
        # Anything that creates something: only when the request never left this machine.
        return isinstance(error, NetworkError) and not error.request_sent

    def delay(self, attempt: int, error: LegnextError | None = None) -> float:
        """Seconds to wait before try number `attempt + 1`."""
        retry_after = error.retry_after if isinstance(error, RateLimitError) else None
        backoff = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        # Take away up to `jitter` of the delay so many clients do not retry in lockstep.
        backoff *= 1.0 - self.jitter * self.random()
        if retry_after is not None:
            # The server said how long; wait at least that, plus a little spread.
            return min(self.max_retry_after, retry_after) + self.jitter * self.base_delay * self.random()
        return max(0.0, backoff)


NO_RETRY = RetryPolicy(max_attempts=1)
