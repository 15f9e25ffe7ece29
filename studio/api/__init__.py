"""The Legnext API client: endpoints, typed models, errors, retry policy and job watcher (no Qt)."""

from studio.api.client import DEFAULT_BASE_URL, ENDPOINTS, LegnextClient
from studio.api.errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    ForbiddenError,
    InsufficientCreditsError,
    JobFailedError,
    LegnextError,
    MalformedResponseError,
    NetworkError,
    NotFoundError,
    PayloadTooLargeError,
    RateLimitError,
    RedirectError,
    RequestTimeoutError,
    ServerError,
    UnknownStatusError,
    UnprocessableError,
    ValidationError,
    WatchTimeoutError,
)
from studio.api.models import Balance, Job, JobErrorInfo, JobMeta, JobOutput, JobStatus, TaskType, Usage
from studio.api.requests import Canvas, CanvasImg, Mask, Polygon
from studio.api.retry import NO_RETRY, RetryPolicy
from studio.api.watcher import JobWatcher, PollPolicy

__all__ = [
    "DEFAULT_BASE_URL", "ENDPOINTS", "LegnextClient",
    "APIError", "AuthenticationError", "BadRequestError", "ForbiddenError", "InsufficientCreditsError",
    "JobFailedError", "LegnextError", "MalformedResponseError", "NetworkError", "NotFoundError",
    "PayloadTooLargeError", "RateLimitError", "RedirectError", "RequestTimeoutError", "ServerError",
    "UnknownStatusError", "UnprocessableError", "ValidationError", "WatchTimeoutError",
    "Balance", "Job", "JobErrorInfo", "JobMeta", "JobOutput", "JobStatus", "TaskType", "Usage",
    "Canvas", "CanvasImg", "Mask", "Polygon",
    "NO_RETRY", "RetryPolicy",
    "JobWatcher", "PollPolicy",
]
