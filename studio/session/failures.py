"""The words the user reads for every kind of failure: one place, so a 401 reads the same on a
job's row, after a balance refresh and in Settings' connection check.

`studio.api.errors` stays technical (what happened on the wire); this module says what it means
for the artist and what to do next. No Qt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from studio.credits import credits_text


@dataclass(frozen=True)
class Context:
    """What the session knows about the failed step."""

    what: str = "job"              # "job", "balance", "account", "connection", "download"
    job_known: bool = False        # the server gave this job an id (it exists, it is charged)
    may_have_run: bool = False     # a POST may have created the job though no answer came back
    balance: int | None = None     # credits left, for a 402
    waited: float | None = None    # seconds watched, for a watch timeout
    adopt_note: str = ""           # why the lost POST's job could not be found on the account


def why(exc: BaseException) -> str:
    """A few words for what went wrong on the wire: "HTTP 503", "no answer in time"."""
    from studio.api.errors import (
        BadJobIdError,
        MalformedResponseError,
        RequestTimeoutError,
        ResponseTooLargeError,
        TooSlowError,
    )

    status = getattr(exc, "status", None)
    if isinstance(status, int) and not isinstance(exc, MalformedResponseError):
        return f"HTTP {status}"
    if isinstance(exc, TooSlowError):
        return f"the server was too slow: nothing complete within {duration(exc.deadline)}"
    if isinstance(exc, RequestTimeoutError):
        return "no answer in time"
    if isinstance(exc, ResponseTooLargeError):
        return f"an answer larger than {_limit_text(exc)}, refused"
    if isinstance(exc, BadJobIdError):
        return "a job id that is not one"
    if isinstance(exc, MalformedResponseError):
        return "an unreadable answer"
    return "the connection failed"


def _limit_text(exc: BaseException) -> str:
    from studio.limits import size_text

    return size_text(getattr(exc, "limit", 0)) + (" once inflated" if getattr(exc, "inflated", False) else "")


def duration(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds >= 90 else f"{seconds:.0f} s"


def server_text(exc: BaseException) -> str:
    for name in ("message", "raw_message"):
        value = getattr(exc, name, None)
        if value:
            return str(value)
    return ""


BAD_KEY = "The API key was refused (401). Open Settings to set a valid key."
WRONG_ADDRESS = ("The server answered 404 (not found) where the Legnext API should be: check the "
                 "server URL in Settings (it ends in /api, e.g. https://api.legnext.ai/api).")
CHECK_BALANCE = "Check your balance before sending it again."


# The documented override that lets the key go over plain http to another machine (README).
INSECURE_HTTP_ENV = "LEGNEXT_STUDIO_INSECURE_HTTP"


def insecure_url(url: str) -> str:
    """Why a plain-http address off this machine is refused, and the way out."""
    return (f"{url} uses plain http to another machine: the API key would travel unencrypted. Use an "
            "https:// address (plain http is accepted only for this machine, such as "
            f"http://127.0.0.1:8123/api). To allow it anyway, start the studio with {INSECURE_HTTP_ENV}=1.")


def insecure_http_warning() -> str:
    """Said at every start while the override is set."""
    return (f"{INSECURE_HTTP_ENV} is set: plain http:// server addresses are allowed, and the API key is "
            "sent unencrypted to them. Unset it unless you need it.")


def image_problem(exc: BaseException, *, done: str = "opened") -> str:
    """Why an image was not opened (or kept: `done`): a pixel bomb, or what else went wrong."""
    from studio.store.images import TooManyPixelsError

    if isinstance(exc, TooManyPixelsError):
        return (f"The image declares {exc.width:,} × {exc.height:,} pixels, more than the largest the API "
                f"makes ({exc.max_edge:,} × {exc.max_edge:,}), so it was not {done}.")
    return f"The image could not be read ({exc})."


def _refused_words(exc: BaseException, context: Context) -> str | None:
    """The words for the hardening refusals: too large, too slow, not a job id, plain http."""
    from studio.api.errors import BadJobIdError, InsecureURLError, ResponseTooLargeError, TooSlowError

    if isinstance(exc, InsecureURLError):
        return insecure_url(exc.url)
    if isinstance(exc, ResponseTooLargeError):
        what = {"answer": "an answer", "image": "an image", "video": "a video"}.get(exc.what, exc.what)
        if context.what == "download":
            return (f"The server sent {what} larger than {_limit_text(exc)}, far above the largest the API "
                    "makes, so the download was stopped and nothing was kept.")
        return f"The server sent {what} larger than {_limit_text(exc)}, so the studio refused to read it."
    if isinstance(exc, TooSlowError):
        if context.what == "download":
            return (f"The server was too slow: the file had not arrived after {duration(exc.deadline)}, so "
                    "the download was stopped. Retry to fetch it again.")
        return (f"The server was too slow: its answer had not arrived after {duration(exc.deadline)}, so "
                "the studio stopped waiting.")
    if isinstance(exc, BadJobIdError):
        return (f"The server answered with a job id that is not one ({str(exc.job_id)[:40]!r}), so the "
                "job cannot be followed.")
    return None


def describe(exc: BaseException, context: Context = Context()) -> str:
    """One clear sentence or two for `exc`, given what the session knows."""
    from studio.api.errors import (
        AuthenticationError,
        BadJobIdError,
        BadRequestError,
        ForbiddenError,
        InsufficientCreditsError,
        JobFailedError,
        LegnextError,
        MalformedResponseError,
        NetworkError,
        NotFoundError,
        RateLimitError,
        ResponseTooLargeError,
        ServerError,
        TooSlowError,
        WatchTimeoutError,
    )

    if isinstance(exc, AuthenticationError):
        return BAD_KEY
    if isinstance(exc, InsufficientCreditsError):
        left = f" Balance: {credits_text(context.balance)}." if context.balance is not None else ""
        return f"No credits left for this job (402).{left} Top up your Legnext account."
    if isinstance(exc, ForbiddenError):
        detail = server_text(exc)
        return "Refused by the content policy (403)" + (f": {detail}" if detail else ".")
    if isinstance(exc, NotFoundError):
        if context.what == "job" and context.job_known:
            return ("The server no longer knows this job (404): its files are deleted after 30 days, "
                    "or it was made on another server.")
        if context.what == "download":
            return "The file is gone from the server (404): outputs are deleted after 30 days."
        # A POST or an account call that is "not found" means the address is not the API.
        return WRONG_ADDRESS
    lost = (NetworkError, ServerError, MalformedResponseError, RateLimitError)
    if context.what == "job" and context.job_known and isinstance(exc, lost):
        # The job exists (and is charged): say it can be looked at again, not re-sent.
        return (f"Lost contact while watching this job ({why(exc)}). "
                "It may still be running: Check again to get its result.")
    if isinstance(exc, RateLimitError):
        return "Rate limited (429) and still refused after retrying; try again in a minute."
    if isinstance(exc, BadRequestError):
        return server_text(exc) or "The server refused the request (400)."
    if isinstance(exc, JobFailedError):
        return exc.user_message
    if isinstance(exc, WatchTimeoutError):
        waited = context.waited or exc.timeout
        return (f"Stopped waiting after {duration(waited)}; the job may still be running. "
                "Check again to get its result.")
    if context.what == "job" and not context.job_known and context.may_have_run:
        if isinstance(exc, ServerError):
            happened = f"The server failed ({why(exc)}) after the request reached it"
        elif isinstance(exc, TooSlowError):
            happened = (f"The server was too slow: no complete answer within {duration(exc.deadline)} "
                        "after the request was sent")
        elif isinstance(exc, ResponseTooLargeError):
            happened = f"The server's answer was larger than {_limit_text(exc)} and was refused unread"
        elif isinstance(exc, BadJobIdError):
            happened = f"The server answered with a job id that is not one ({str(exc.job_id)[:40]!r})"
        elif isinstance(exc, MalformedResponseError):
            happened = "The server's answer could not be read"
        else:
            happened = f"No answer came back after the request was sent ({why(exc)})"
        return (f"{happened}, so the job may have been created and charged anyway. "
                + (context.adopt_note or CHECK_BALANCE))
    if isinstance(exc, ServerError):
        return f"The Legnext server had a problem ({why(exc)}). Try again in a little while."
    refused = _refused_words(exc, context)
    if refused is not None:
        return refused
    if isinstance(exc, LegnextError):
        return exc.user_message or str(exc)
    return f"Unexpected error: {exc}"


def balance_problem_text(text: str) -> str:
    return f"Could not refresh the balance: {text}"


def balance_problem(exc: BaseException) -> str:
    return balance_problem_text(describe(exc, Context(what="balance")))


def connection_problem(exc: BaseException) -> str:
    return describe(exc, Context(what="connection"))


def download_problem(exc: BaseException) -> str:
    """A download that failed on the wire, or whose file the archive refused."""
    from studio.store.archive import ArchiveError
    from studio.store.images import TooManyPixelsError

    if isinstance(exc, TooManyPixelsError):
        return image_problem(exc, done="kept")
    if isinstance(exc, ArchiveError):
        return str(exc)  # the archive's own words: damaged, incomplete, not an image
    return describe(exc, Context(what="download"))


def account_info_problem(exc: BaseException) -> str:
    """/account/info failed (a 404 is not a failure: the server lacks it, see NO_ACCOUNT_INFO)."""
    return f"Could not read the plan and quota: {describe(exc, Context(what='account'))}"


NO_ACCOUNT_INFO = "This server does not report the plan or the monthly quota."
# ---- operations that are refused before anything is sent (studio.session.operations) -------

def local_file(name: str) -> str:
    """A file on this machine was given where the API wants an image's web address."""
    return (f"{name} is a file on this computer, and the Legnext API takes image URLs, not uploads. "
            "Put the image online (any image host) and paste or drop its web address (https://…).")


def image_too_old(label: str) -> str:
    return (f"The server keeps images 30 days; this one is older, so {label} cannot be sent from it. "
            "Use an image made in the last 30 days, or put this one online and use its URL.")


def no_image_url(label: str) -> str:
    return f"This image has no web address the server can be pointed at, so {label} cannot be sent from it."


# How a request's fields read in a sentence (ValidationError names the API field).
_FIELD_WORDS = {"imgUrl": "the image URL", "image_url": "the image URL", "imgUrls": "",
                "remixPrompt": "the prompt", "prompt": "the prompt", "aspect_ratio": "the aspect ratio",
                "target_resolution": "the target resolution"}


def invalid(exc: Any) -> str:
    """A request argument that broke a documented rule (studio.api ValidationError), in words:
    "The image URL is 1 100 characters; URLs may have at most 1024."."""
    field = str(getattr(exc, "field", "") or "")
    text = str(exc)
    message = text.split(": ", 1)[1] if text.startswith(f"{field}: ") else text
    listed = re.fullmatch(r"imgUrls\[(\d+)\]", field)
    subject = f"the URL of image {int(listed.group(1)) + 1}" if listed else _FIELD_WORDS.get(field, field)
    sentence = f"{subject} {message}".strip() if subject else message
    return sentence[:1].upper() + sentence[1:] + ("" if sentence.endswith(".") else ".")
def not_archived(exc: BaseException) -> str:
    """An output on screen that the archive could not keep (a full disk, no permission)."""
    return f"Not saved to the archive: {exc}"
