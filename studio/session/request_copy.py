"""The request behind a job, for "Copy as cURL" and "Copy as Python (httpx)" in the queue, the
history and the grid: the job record's request rebuilt as its typed request, sent to the
server that ran it, written by studio.api.request_text (the key as $LEGNEXT_API_KEY, never the
key itself). No Qt here; the menus ask `unavailable` and `request_text`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from studio.store.records import JobRecord, Origin, decode_request

SANDBOX_PREFIX = "sandbox:"  # what records name a run of the built-in sandbox by


class CopyRefused(Exception):
    """There is no request to copy; the message says why, in the artist's words."""


@dataclass(frozen=True)
class CopiedRequest:
    text: str
    url: str
    note: str = ""  # said beside "copied" when the address is not the one the job went to


def _sent(record: JobRecord, base_url: str) -> Any:
    from studio.api.errors import ValidationError
    from studio.api.job_requests import request_for
    from studio.api.request_text import SentRequest

    if record.origin == Origin.EXTERNAL:
        raise CopyRefused("Started elsewhere (another device or a script): the studio did not send "
                          "this request, so it has none to copy.")
    try:
        return SentRequest.of(request_for(record.op, **decode_request(record.request)), base_url)
    except (ValidationError, TypeError, ValueError) as exc:
        detail = getattr(exc, "user_message", None) or str(exc)
        raise CopyRefused(f"This request was never sent: {detail}") from None


def unavailable(record: JobRecord | None) -> str:
    """Why a job has no request to copy ("" when it has one)."""
    if record is None:
        return "This job is no longer in the history."
    try:
        _sent(record, "http://localhost")
    except CopyRefused as exc:
        return str(exc)
    return ""


def _server(jobs: Any, record: JobRecord) -> tuple[str, str]:
    """The base URL the job was sent to, and a note when that server cannot be named (the
    built-in sandbox of an earlier run has stopped: the text then points at the server in
    use now)."""
    entry = jobs.entry(record.key)
    url = getattr(getattr(entry, "client", None), "base_url", None)
    if url:
        return url, ""
    backend = record.backend or ""
    if backend and not backend.startswith(SANDBOX_PREFIX):
        return backend, ""
    current = getattr(jobs.client, "base_url", None)
    if current and backend in ("", jobs.backend_id):
        return current, ""  # this run's server (a record without one was sent before it was named)
    from studio.api.client import DEFAULT_BASE_URL

    where = current or DEFAULT_BASE_URL
    if backend:
        return where, f"the offline sandbox that ran this job has stopped, so it points at {where}"
    return where, f"the server that ran this job is not known, so it points at {where}"


def request_text(jobs: Any, key: str, style: str) -> CopiedRequest:
    """The request of job `key` written in `style` (a name in studio.api.request_text.FORMATS).
    CopyRefused says why there is none."""
    from studio.api.request_text import FORMATS

    record = jobs.stored(key)
    reason = unavailable(record)
    if reason:
        raise CopyRefused(reason)
    assert record is not None
    url, note = _server(jobs, record)
    sent = _sent(record, url)
    return CopiedRequest(FORMATS[style].write(sent), sent.url, note)
