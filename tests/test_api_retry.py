"""The retry policy's decisions and delays, as a pure function of method, error and attempt."""

from __future__ import annotations

import pytest

from studio.api import (
    AuthenticationError,
    BadRequestError,
    MalformedResponseError,
    NetworkError,
    RateLimitError,
    RequestTimeoutError,
    RetryPolicy,
    ServerError,
)
from studio.api.errors import parse_retry_after

POLICY = RetryPolicy(max_attempts=4, base_delay=0.5, max_delay=4.0, jitter=0.5, random=lambda: 0.0)

REFUSED = NetworkError("refused", request_sent=False)
DROPPED = NetworkError("dropped", request_sent=True)
READ_TIMEOUT = RequestTimeoutError("slow", request_sent=True)
CONNECT_TIMEOUT = RequestTimeoutError("no connect", request_sent=False)
RATE = RateLimitError("slow down", retry_after=2.0)
SERVER = ServerError("boom", status=502)


@pytest.mark.parametrize("error,get,post", [
    (REFUSED, True, True),          # never reached the server: safe to send again
    (CONNECT_TIMEOUT, True, True),  # no connection was made, so no request left
    (RATE, True, True),             # the server turned it away without acting
    (DROPPED, True, False),         # may have been received: a POST could create a duplicate job
    (READ_TIMEOUT, True, False),
    (SERVER, True, False),
    (BadRequestError("no"), False, False),
    (AuthenticationError("no"), False, False),
    (MalformedResponseError("?"), False, False),
])
def test_which_errors_are_retried(error, get, post):
    assert POLICY.should_retry("GET", error, 1) is get
    assert POLICY.should_retry("POST", error, 1) is post


def test_attempts_are_capped():
    assert POLICY.should_retry("GET", SERVER, 3)
    assert not POLICY.should_retry("GET", SERVER, 4)
    assert not RetryPolicy(max_attempts=1).should_retry("GET", SERVER, 1)


def test_exponential_backoff_capped():
    assert [POLICY.delay(n, SERVER) for n in range(1, 6)] == [0.5, 1.0, 2.0, 4.0, 4.0]


def test_jitter_only_shortens_and_stays_within_its_share():
    policy = RetryPolicy(base_delay=1.0, max_delay=100, jitter=0.5, random=lambda: 1.0)
    assert policy.delay(3, SERVER) == pytest.approx(2.0)  # 4 s minus half
    no_jitter = RetryPolicy(base_delay=1.0, max_delay=100, jitter=0.0, random=lambda: 1.0)
    assert no_jitter.delay(3, SERVER) == 4.0


def test_retry_after_is_honoured_and_a_very_long_one_is_not_waited_out():
    assert POLICY.delay(1, RATE) == pytest.approx(2.0)
    assert POLICY.delay(1, RateLimitError("x", retry_after=0.0)) == 0.0
    long_wait = RateLimitError("x", retry_after=3600.0)
    assert not POLICY.should_retry("GET", long_wait, 1)
    assert not POLICY.should_retry("POST", long_wait, 1)


def test_retry_after_header_forms():
    from datetime import datetime, timezone

    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=timezone.utc)
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(" 1.5 ") == 1.5
    assert parse_retry_after("Thu, 01 Jan 2026 12:00:10 GMT", now=now) == 10.0
    assert parse_retry_after("Thu, 01 Jan 2026 11:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
    assert parse_retry_after("-4") == 0.0
