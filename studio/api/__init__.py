"""The Legnext API client: endpoints, typed models, errors, retry policy and job watcher (no Qt).

The names below are loaded on first use (PEP 562): importing a light part of the package (the
operations table, a request's text) does not pull in httpx and the client before the window is
on screen (benchmarks/startup.py)."""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    **dict.fromkeys(("DEFAULT_BASE_URL", "ENDPOINTS", "LegnextClient"), "client"),
    **dict.fromkeys((
        "APIError", "AuthenticationError", "BadRequestError", "ForbiddenError", "InsufficientCreditsError",
        "JobFailedError", "LegnextError", "MalformedResponseError", "NetworkError", "NotFoundError",
        "PayloadTooLargeError", "RateLimitError", "RedirectError", "RequestTimeoutError", "ServerError",
        "UnknownStatusError", "UnprocessableError", "ValidationError", "WatchTimeoutError"), "errors"),
    **dict.fromkeys(("Balance", "Job", "JobErrorInfo", "JobMeta", "JobOutput", "JobStatus", "TaskType", "Usage"),
                    "models"),
    **dict.fromkeys(("Canvas", "CanvasImg", "Mask", "Polygon"), "requests"),
    **dict.fromkeys(("NO_RETRY", "RetryPolicy"), "retry"),
    **dict.fromkeys(("JobWatcher", "PollPolicy"), "watcher"),
}

__all__ = list(_WHERE)


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'studio.api' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"studio.api.{module}"), name)
    globals()[name] = value
    return value
