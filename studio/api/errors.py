"""The exceptions the API client raises, each with a short text fit to show the user.

Every failure a caller can meet is a `LegnextError`, so one `except LegnextError` in the session
layer is enough to turn any of them into a message; the subclasses let callers (and the retry
policy) tell apart what happened: nothing sent (`ValidationError`), the server said no
(`APIError` and its status classes), the wire failed (`NetworkError`), the answer was unreadable
(`MalformedResponseError`), or the job itself failed (`JobFailedError`).

Hierarchy (technical: what happened; studio.session.failures words it for the user):

    LegnextError
    ├── ValidationError              nothing sent: an argument broke a documented rule
    │   └── InsecureURLError         plain http to a host off this machine (the key would travel in clear)
    ├── APIError                     the server said no (one class per status; RedirectError)
    ├── NetworkError                 the wire failed (`.request_sent`)
    │   └── RequestTimeoutError      no answer in time
    │       └── TooSlowError         the whole request overran its deadline (a trickling server)
    ├── MalformedResponseError       an answer that cannot be read
    │   ├── ResponseTooLargeError    more bytes (once inflated) than the limit for that answer
    │   └── BadJobIdError            a job id that is not the documented uuid
    ├── JobFailedError               the job itself failed (UnknownStatusError)
    └── WatchTimeoutError            the job did not end in the time given

`.may_have_run` is True when a request that creates (and charges for) a job failed in a way that
leaves the job possibly created: a POST whose connection broke or timed out after sending, or
that got a 5xx or an unreadable 2xx. Its `.user_message` then says so instead of "try again",
and callers should ask before sending the same request again.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, Mapping

if TYPE_CHECKING:  # pragma: no cover - typing only
    from studio.api.models import Job

# Error bodies can be pages of HTML from a proxy; keep only enough to recognise them.
_SNIPPET_CHARS = 200


_CHECK_FIRST = "Check the queue and your balance before trying again."


class LegnextError(Exception):
    """Base of every error the client raises; `.user_message` is short and safe to display."""

    default_user_message = "Something went wrong talking to Legnext."
    may_have_run = False

    def __init__(self, message: str = "", *, user_message: str | None = None) -> None:
        super().__init__(message or self.default_user_message)
        self.message = message or self.default_user_message
        self.user_message = user_message or self.default_user_message

    def mark_may_have_run(self) -> None:
        """Record that the failed request may have created (and charged for) a job anyway."""
        self.may_have_run = True
        self.user_message = self._may_have_run_message()

    # What went wrong with the answer, for errors after which the job may still exist: "The server
    # was too slow to answer" -> "..., but it may have started this job (and charged for it)."
    lost_answer: str | None = None

    def _may_have_run_message(self) -> str:
        if self.lost_answer:
            return f"{self.lost_answer}, but it may have started this job (and charged for it). {_CHECK_FIRST}"
        return f"The server may have started this job (and charged for it) before this went wrong. {_CHECK_FIRST}"


class ValidationError(LegnextError):
    """A request argument broke a documented rule; nothing was sent. `.field` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}", user_message=f"Invalid {field}: {message}")
        self.field = field


class InsecureURLError(ValidationError):
    """A plain http:// address off this machine: the API key would travel in clear. Allowed only
    by the documented override (studio.session.failures.INSECURE_HTTP_ENV)."""

    def __init__(self, field: str, url: str) -> None:
        super().__init__(field, f"{url} is plain http to another machine; the API key would travel "
                                "unencrypted (use https://)")
        self.url = url


class APIError(LegnextError):
    """The server answered with an error status.

    `.code`, `.message`, `.raw_message` and `.detail` come from the body whichever shape it had
    (`{"code","message",...}` at the top level or under `"error"`); `.body` is the parsed JSON
    (or the text when it was not JSON).
    """

    status_code: int | None = None
    default_user_message = "The Legnext server refused the request."

    def __init__(
        self,
        message: str = "",
        *,
        status: int | None = None,
        code: Any = None,
        raw_message: str = "",
        detail: Any = None,
        body: Any = None,
        user_message: str | None = None,
    ) -> None:
        self.status = status if status is not None else self.status_code
        super().__init__(message, user_message=user_message or self._user_message(message))
        self.code = code if code is not None else self.status
        self.raw_message = raw_message
        self.detail = detail
        self.body = body

    def _user_message(self, message: str) -> str:
        return self.default_user_message

    def __str__(self) -> str:
        return f"HTTP {self.status}: {self.message}" if self.status is not None else self.message


class BadRequestError(APIError):
    status_code = 400
    default_user_message = "The server rejected the request."

    def _user_message(self, message: str) -> str:
        # The server's 400 text names the offending flag or field: that is what the user needs.
        return f"The server rejected the request: {message}" if message else self.default_user_message


class AuthenticationError(APIError):
    status_code = 401
    default_user_message = "The API key was not accepted: check your API key in Settings."


class InsufficientCreditsError(APIError):
    status_code = 402
    default_user_message = "Out of credits: top up your Legnext balance or upgrade your plan."


class ForbiddenError(APIError):
    status_code = 403
    default_user_message = "Refused by the content policy (or not permitted for this account)."

    def _user_message(self, message: str) -> str:
        if message:
            return f"Refused by the content policy or permissions: {message}"
        return self.default_user_message


class NotFoundError(APIError):
    status_code = 404
    default_user_message = "Not found: the job or image does not exist or has expired."


class PayloadTooLargeError(APIError):
    status_code = 413
    default_user_message = "The file is too large for the server: reduce its size and try again."


class UnprocessableError(APIError):
    status_code = 422
    default_user_message = "The server could not accept these parameter values."

    def _user_message(self, message: str) -> str:
        if message:
            return f"The server could not accept these values: {message}"
        return self.default_user_message


class RateLimitError(APIError):
    status_code = 429
    default_user_message = "Rate limited: too many requests. Wait a moment and try again."

    def __init__(self, message: str = "", *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ServerError(APIError):
    status_code = 500
    default_user_message = "The Legnext server had a problem. Try again in a little while."

    def _user_message(self, message: str) -> str:
        return f"The Legnext server had a problem (HTTP {self.status}). Try again in a little while."

    def _may_have_run_message(self) -> str:
        return (f"The Legnext server had a problem (HTTP {self.status}), but it may have started this job "
                f"(and charged for it) first. {_CHECK_FIRST}")


class RedirectError(APIError):
    """A redirect the client would not follow: a loop or too long a chain (the default text),
    or a target that is not a usable URL."""

    default_user_message = "The server kept redirecting the request (too many redirects), so it could not be completed."


class NetworkError(LegnextError):
    """The connection failed or dropped.

    `.request_sent` is False only when the request certainly never reached the server
    (the connection itself could not be made); the retry policy relies on that for POSTs.
    """

    default_user_message = "Could not reach the server: check your network connection."

    def __init__(self, message: str = "", *, request_sent: bool = True, user_message: str | None = None) -> None:
        super().__init__(message, user_message=user_message)
        self.request_sent = request_sent

    def _may_have_run_message(self) -> str:
        if self.lost_answer:
            return super()._may_have_run_message()
        return f"The server may have started this job (and charged for it) before the connection broke. {_CHECK_FIRST}"


class RequestTimeoutError(NetworkError):
    default_user_message = "The server did not answer in time."

    lost_answer = "The server did not answer in time"


class TooSlowError(RequestTimeoutError):
    """The request did not complete within its overall deadline (connect, send and the whole
    answer): the server answers too slowly, or trickles. `.deadline` is the time allowed, in s."""

    default_user_message = "The server was too slow: its answer did not arrive in time."

    def __init__(self, message: str, *, deadline: float, request_sent: bool = True) -> None:
        super().__init__(message, request_sent=request_sent)
        self.deadline = deadline

    lost_answer = "The server was too slow to answer"


class MalformedResponseError(LegnextError):
    """A response the client could not read (not JSON, wrong shape, missing job id)."""

    default_user_message = "The server sent an answer the studio could not read."

    def __init__(self, message: str = "", *, body: Any = None, status: int | None = None) -> None:
        super().__init__(message)
        self.body = body
        self.status = status

    lost_answer = "The server's answer could not be read"


class ResponseTooLargeError(MalformedResponseError):
    """The answer went past its limit while it arrived (studio.limits); it was not read on.

    `.what` names it ("answer", "image", "video"), `.limit` is the limit in bytes and
    `.inflated` says the body was compressed and the limit was met while inflating it.
    """

    default_user_message = "The server sent more than the studio accepts, so it was refused."

    def __init__(self, message: str, *, what: str, limit: int, inflated: bool = False,
                 status: int | None = None) -> None:
        super().__init__(message, status=status)
        self.what = what
        self.limit = limit
        self.inflated = inflated

    lost_answer = "The server's answer was too large to read"


class BadJobIdError(MalformedResponseError):
    """A job id from a server that is not the documented form (a uuid); never used in a path."""

    default_user_message = "The server sent a job id that is not one, so the job cannot be followed."

    def __init__(self, message: str, *, job_id: Any = None, status: int | None = None) -> None:
        super().__init__(message, status=status)
        self.job_id = job_id


class JobFailedError(LegnextError):
    """The job ended with status `failed`; `.job` is its last state, error message included."""

    def __init__(self, job: Job) -> None:
        reason = job.error_message
        super().__init__(f"job {job.job_id} failed: {reason}", user_message=f"The job failed: {reason}")
        self.job = job


class UnknownStatusError(JobFailedError):
    """The server reported a status outside the documented five ("cancelled", "expired", ...).

    Taken as the end of the job: polling on would never see it finish. `.status` is the raw status.
    """

    def __init__(self, job: Job) -> None:
        self.status = job.status
        reason = f": {job.error_message}" if job.error.is_set else ""
        LegnextError.__init__(
            self,
            f"job {job.job_id} reported the undocumented status {job.status!r}{reason}",
            user_message=f"The server reported status '{job.status}' for this job{reason}; "
                         "it is no longer being watched.",
        )
        self.job = job


class WatchTimeoutError(LegnextError):
    """The job did not finish within the watch timeout; `.job` is the last state seen (or None)."""

    def __init__(self, job_id: str, timeout: float, job: Job | None = None) -> None:
        super().__init__(
            f"job {job_id} not finished after {timeout:g} s",
            user_message=f"Stopped waiting for the job after {timeout:g} seconds; it may still finish.",
        )
        self.job_id = job_id
        self.timeout = timeout
        self.job = job


STATUS_ERRORS: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    402: InsufficientCreditsError,
    403: ForbiddenError,
    404: NotFoundError,
    413: PayloadTooLargeError,
    422: UnprocessableError,
    429: RateLimitError,
}


def error_class_for(status: int) -> type[APIError]:
    if status in STATUS_ERRORS:
        return STATUS_ERRORS[status]
    if status >= 500:
        return ServerError
    return APIError


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date); None if absent/bad."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = (when - (now or datetime.now(timezone.utc))).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


def _error_fields(body: Any) -> Mapping[str, Any]:
    """The mapping holding code/message: `body["error"]` when that is an object, else the body."""
    if isinstance(body, Mapping):
        inner = body.get("error")
        if isinstance(inner, Mapping) and (inner.get("message") or inner.get("raw_message") or inner.get("code")):
            return inner
        return body
    return {}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def api_error(
    status: int,
    body: Any,
    *,
    reason: str = "",
    retry_after: float | None = None,
) -> APIError:
    """Build the exception for an error `status` with its parsed `body` (JSON value or text)."""
    fields = _error_fields(body)
    code = fields.get("code", status)
    raw_message = _text(fields.get("raw_message"))
    detail = fields.get("detail")
    message = _text(fields.get("message")) or raw_message
    if not message and isinstance(detail, (str, list)):
        # Frameworks such as FastAPI answer {"detail": "..."}.
        message = _text(detail)
    if not message and isinstance(body, str) and body.strip():
        message = f"{reason or 'error'}: {body.strip()[:_SNIPPET_CHARS]}"
    if not message:
        message = reason or f"HTTP {status}"
    cls = error_class_for(status)
    kwargs: dict[str, Any] = dict(status=status, code=code, raw_message=raw_message, detail=detail, body=body)
    if cls is RateLimitError:
        return RateLimitError(message, retry_after=retry_after, **kwargs)
    return cls(message, **kwargs)
