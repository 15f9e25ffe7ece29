"""The operations an artist starts from an image or from the prompt rather than from the buttons
the server lists under a grid — blend, describe, shorten, retexture, remove background, Topaz
upscale — and what each needs before anything is sent: which image (a job's output, or a web
address), whether the server can still be pointed at it, and the documented checks of its
request. Every refusal is a `NotSent` whose text is for the artist (studio.session.failures);
nothing is charged and no job row is made for it.

No widgets: the grid's buttons and the Tools dock ask here, then start jobs through
`JobsSession.submit`, with the image's job as the parent when it has one (lineage).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable
from urllib.parse import unquote, urlsplit

from studio.session import failures
from studio.session.job_history import REMOTE_LIFETIME_S

if TYPE_CHECKING:
    from studio.session.entry import JobEntry

# "Operations on generated images (e.g., upscaling, variations) are valid for 3 days
# post-creation" (Output Storage): a request that names a job must be sent within them.
ACTION_VALID_DAYS = 3
ACTION_WINDOW_S = ACTION_VALID_DAYS * 24 * 3600

# The request fields that name an image by its web address, by how the docs spell them.
_URL_FIELDS = ("img_url", "image_url")


class NotSent(Exception):
    """An operation refused before sending; `str()` says why, for the artist."""


@dataclass(frozen=True)
class ImageRef:
    """An image the server can be pointed at: its web address, and the job output it is when the
    studio knows (then requests that take a job id may use it, and the new job's parent is it)."""

    url: str | None
    job_id: str | None = None
    index: int | None = None
    created_at: float | None = None  # when its job was made (unknown for a typed URL)

    @property
    def parent(self) -> tuple[str, int] | None:
        return (self.job_id, int(self.index or 0)) if self.job_id else None


def output_ref(entry: JobEntry, index: int) -> ImageRef:
    """Image `index` of a job the session holds."""
    url = entry.image_urls[index] if 0 <= index < len(entry.image_urls) else None
    return ImageRef(url, entry.job_id, index, entry.record.created_at)


def find_image(entries: Iterable[JobEntry], url: str) -> ImageRef:
    """The job output a web address is (for lineage and the 3-day window), else the address alone."""
    for entry in entries:
        if url in entry.image_urls:
            return output_ref(entry, entry.image_urls.index(url))
    return ImageRef(url)


def local_file_name(text: str) -> str | None:
    """The file name when `text` is a file on this machine (a file:// URL or a path), else None."""
    text = text.strip()
    if text.lower().startswith("file:"):
        path = unquote(urlsplit(text).path)
    elif text.startswith(("/", "~")) or (len(text) > 2 and text[1] == ":" and text[2] in "\\/"):
        path = text
    else:
        return None
    return Path(path.replace("\\", "/")).name or path


def read_url(text: str) -> str:
    """A typed, pasted or dropped image address, checked as the API will (NotSent otherwise)."""
    from studio.api.errors import ValidationError
    from studio.api.requests import check_url

    text = text.strip()
    name = local_file_name(text)
    if name is not None:
        raise NotSent(failures.local_file(name))
    try:
        return check_url("imgUrl", text)
    except ValidationError as exc:
        raise NotSent(failures.invalid(exc)) from None


def _request_fields(op: str) -> set[str]:
    from studio.api.job_requests import REQUESTS

    return {f.name for f in fields(REQUESTS[op])}


def _label(op: str) -> str:
    from studio.api.operations import operation

    return operation(op).label


def image_arguments(op: str, ref: ImageRef, now: float | None = None) -> dict[str, Any]:
    """How a request for `op` names `ref`: by job id and image number while that works (the
    request takes them, the job is under 3 days old), else by web address while the server
    keeps the image (30 days). NotSent when neither can."""
    now = time.time() if now is None else now
    names = _request_fields(op)
    age = None if ref.created_at is None else now - ref.created_at
    if {"job_id", "image_no"} <= names and ref.job_id and ref.index is not None \
            and age is not None and age <= ACTION_WINDOW_S:
        return {"job_id": ref.job_id, "image_no": ref.index}
    url_field = next((name for name in _URL_FIELDS if name in names), None)
    if url_field is None:
        raise NotSent(f"{_label(op)} works on a job's image only.")
    return {url_field: web_address(ref, _label(op), now)}


def web_address(ref: ImageRef, label: str, now: float | None = None) -> str:
    """The image's web address while the server keeps it (30 days); NotSent otherwise."""
    now = time.time() if now is None else now
    if not ref.url:
        raise NotSent(failures.no_image_url(label))
    if ref.created_at is not None and now - ref.created_at > REMOTE_LIFETIME_S:
        raise NotSent(failures.image_too_old(label))
    return ref.url


def image_unavailable(op: str, ref: ImageRef, now: float | None = None) -> str:
    """Why `op` cannot be sent from this image now ("" when it can)."""
    try:
        image_arguments(op, ref, now)
    except NotSent as exc:
        return str(exc)
    return ""


def checked(op: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """`arguments` once the request they make passes every documented check (NotSent, with
    the rule in words, when one fails: nothing is sent)."""
    from studio.api.errors import ValidationError
    from studio.api.job_requests import request_for

    try:
        request_for(op, **arguments).body()
    except ValidationError as exc:
        raise NotSent(failures.invalid(exc)) from None
    return arguments


def start(jobs: Any, op: str, ref: ImageRef | None = None, *, options: dict[str, Any] | None = None,
          shown_as: str | None = None, now: float | None = None) -> JobEntry:
    """Check, then submit `op` on image `ref` (None: an operation without one, such as shorten)
    with its request `options`; the image's job is the new job's parent; `shown_as` is the
    prompt the job is listed by (its own prompt by default). NotSent when refused."""
    arguments = dict(options or {})
    if ref is not None:
        arguments.update(image_arguments(op, ref, now))
    checked(op, arguments)
    return send(jobs, op, ref, arguments, shown_as=shown_as)


def send(jobs: Any, op: str, ref: ImageRef | None, request: dict[str, Any], *,
         shown_as: str | None = None) -> JobEntry:
    """Submit a request already built (a popover's), the image's job as its parent; the job
    is listed by `shown_as`, else by its own prompt."""
    prompt = shown_as or request.get("remix_prompt") or request.get("prompt")
    return jobs.submit(op, parent=ref.parent if ref is not None else None, prompt=prompt, request=dict(request))


def blend(jobs: Any, refs: list[ImageRef], aspect_ratio: str, now: float | None = None) -> JobEntry:
    """Blend these images (2 to 5, by web address: the endpoint takes no job ids)."""
    urls = []
    for position, ref in enumerate(refs, start=1):
        try:
            urls.append(web_address(ref, "Blend", now))
        except NotSent as exc:
            raise NotSent(f"Image {position}: {exc}") from None
    return start(jobs, "blend", options={"img_urls": urls, "aspect_ratio": aspect_ratio})


def shorten(jobs: Any, prompt: str) -> JobEntry:
    """Ask for shorter versions of `prompt` (the text results say what each one kept)."""
    return start(jobs, "shorten", options={"prompt": prompt})


def prompt_problem(op: str, text: str, model: str | None = None) -> str:
    """The first error the prompt rules find in `text` typed for `op` (a retexture's material
    prompt, say), as the editor would underline it; "" when there is none."""
    from studio.prompt import lint

    result = lint(text, model=model, task=op)
    first = next((d for d in result.diagnostics if d.severity == "error"), None)
    return "" if first is None else first.message.replace("`", "")


def dropped_words(original: str, shorter: str) -> list[tuple[str, bool]]:
    """`original` in pieces (words and the spaces between), each marked True when `shorter`
    left it out: what a shorten suggestion dropped, for highlighting. Words are compared
    without case or trailing punctuation, in order (difflib's longest matching runs)."""
    import difflib
    import re

    pieces = re.findall(r"\s+|\S+", original)
    words = [i for i, piece in enumerate(pieces) if not piece.isspace()]

    def norm(word: str) -> str:
        return word.lower().strip(".,;:!?\"'()")

    kept_words = [norm(w) for w in shorter.split()]
    matcher = difflib.SequenceMatcher(None, [norm(pieces[i]) for i in words], kept_words, autojunk=False)
    kept = {words[block.a + k] for block in matcher.get_matching_blocks() for k in range(block.size)}
    return [(piece, not piece.isspace() and i not in kept) for i, piece in enumerate(pieces)]
