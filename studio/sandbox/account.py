"""GET /account/info and GET /account/active_tasks, in the shapes the vendor's OpenAPI file
(shared/legnext-api/vendor/openapi-complete.yaml) gives them.

REFERENCE.md (the published docs, which win where they disagree) does not describe either
endpoint, so the OpenAPI file is all there is: paths `/account/info` and
`/account/active_tasks` under the base URL, without /v1 (like /account/balance), and the
schemas `AccountInfo` and `ActiveTasksResponse` / `ActiveTask`. Neither schema has the
{"code", "message", "data"} envelope of BalanceResponse, so neither answer has one. Both fall
under the file's global `security: ApiKeyAuth`, so both need the key, like balance.

The docs say nothing about what a submit does once `concurrent_limit` jobs are active (the
only 429 they document is "Rate limit exceeded. Reduce request frequency"), so the sandbox
only reports the limit and never refuses a job because of it.

The spec shows no example values; the sandbox's choices: one account with a fixed uuid, plan
"pro", `concurrent_limit` 10 (SandboxServer(concurrent_limit=...), --concurrent-limit),
`balance` = available credits (the balance endpoint's `available_credits`), `used` = credits
taken by jobs, `quota.monthly_limit` = the starting balance, `quota.remaining` = the balance
now, `quota.reset_at` = the first of next month (sandbox clock, UTC).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from .clock import iso

ACCOUNT_ID = "5a4d6b1e-0000-4000-8000-000000000001"  # the sandbox's one account (uuid, per the spec)
ACCOUNT_EMAIL = "sandbox@example.com"
ACCOUNT_PLAN = "pro"  # one of the spec's [free, basic, pro, premium]
ACCOUNT_STATUS = "active"  # one of the spec's [active, inactive, suspended, limited]
DEFAULT_CONCURRENT_LIMIT = 10


def _next_month(now: float) -> float:
    when = datetime.fromtimestamp(now, tz=timezone.utc)
    year, month = (when.year + 1, 1) if when.month == 12 else (when.year, when.month + 1)
    return datetime(year, month, 1, tzinfo=timezone.utc).timestamp()


def active_tasks_body(tasks: list[dict[str, Any]], concurrent_limit: int, now: float) -> dict[str, Any]:
    """ActiveTasksResponse: account_id, total_active, concurrent_limit, tasks, updated_at."""
    return {
        "account_id": ACCOUNT_ID,
        "total_active": len(tasks),
        "concurrent_limit": concurrent_limit,
        "tasks": tasks,
        "updated_at": iso(now),
    }


def account_info_body(*, balance: int, used: int, monthly_limit: int, created_at: float, now: float) -> dict[str, Any]:
    """AccountInfo: account_id, email, plan, balance, used, quota, status, created_at, updated_at."""
    return {
        "account_id": ACCOUNT_ID,
        "email": ACCOUNT_EMAIL,
        "plan": ACCOUNT_PLAN,
        "balance": balance,
        "used": used,
        "quota": {
            "monthly_limit": monthly_limit,
            "remaining": balance,
            "reset_at": iso(_next_month(now)),
        },
        "status": ACCOUNT_STATUS,
        "created_at": iso(created_at),
        "updated_at": iso(now),
    }
