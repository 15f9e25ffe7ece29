"""Reading an answer's body within its limit, while it arrives.

httpx would read a body whole (`response.content`) and inflate a compressed one in a single
call: a 1 MB gzip body that inflates to 1 GiB then ends in a MemoryError. Here the raw bytes
are inflated in steps of at most `STEP` bytes and counted as they come out, so the read stops
at the limit (studio.limits) having held no more than that, whatever the server sends.
Only the codings the client asks for (gzip, deflate) are accepted. No Qt.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator, Iterator
from contextlib import aclosing

import httpx

from studio.api.errors import MalformedResponseError, ResponseTooLargeError
from studio.limits import BodyLimit, size_text

# What the client tells servers it can read; anything else in Content-Encoding is refused.
ACCEPT_ENCODING = "gzip, deflate"
STEP = 64 * 1024  # the most bytes one inflating step produces
# An error answer (4xx/5xx) is read only this far: its first words say what went wrong.
ERROR_BODY_BYTES = 64 * 1024


class _Inflater:
    """One content coding (gzip or deflate), inflated in bounded steps."""

    def __init__(self, coding: str) -> None:
        self.coding = coding
        self._raw_deflate = False
        self._new()

    def _new(self) -> None:
        if self.coding == "deflate":
            # "deflate" should be zlib-wrapped, but servers send raw deflate too (as httpx allows).
            self._d = zlib.decompressobj(-zlib.MAX_WBITS if self._raw_deflate else zlib.MAX_WBITS)
        else:
            self._d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self._started = False

    def feed(self, data: bytes) -> Iterator[bytes]:
        while True:
            try:
                out = self._d.decompress(data, STEP)
            except zlib.error as exc:
                if self.coding == "deflate" and not self._started and not self._raw_deflate:
                    self._raw_deflate = True
                    self._new()
                    continue
                raise MalformedResponseError(f"the {self.coding} body could not be inflated ({exc})") from None
            self._started = True
            # Past the end of the stream anything more is ignored (as httpx does).
            data = b"" if self._d.eof else self._d.unconsumed_tail
            if out:
                yield out  # then again: zlib may hold more output for the same input
            elif not data:
                return

    def flush(self) -> Iterator[bytes]:
        yield from self.feed(b"")


def _codings(response: httpx.Response) -> list[_Inflater]:
    """The inflaters for the answer's Content-Encoding, in the order they are undone."""
    header = response.headers.get("content-encoding", "")
    found = []
    for coding in (part.strip().lower() for part in header.split(",")):
        if coding in ("", "identity"):
            continue
        if coding in ("gzip", "x-gzip", "deflate"):
            found.append(_Inflater("deflate" if coding == "deflate" else "gzip"))
        else:
            raise MalformedResponseError(
                f"the answer is encoded as {coding!r}, which the studio did not ask for and cannot read",
                status=response.status_code)
    return list(reversed(found))


def _through(stages: list[_Inflater], data: bytes, *, final: bool = False) -> Iterator[bytes]:
    """`data` undone through every stage in turn (each step bounded)."""
    if not stages:
        if data:
            yield data
        return
    first, rest = stages[0], stages[1:]
    pieces = first.feed(data) if not final else _chain(first.feed(data), first.flush())
    for piece in pieces:
        yield from _through(rest, piece)
    if final and rest:
        yield from _through(rest, b"", final=True)


def _chain(*iterators: Iterator[bytes]) -> Iterator[bytes]:
    for iterator in iterators:
        yield from iterator


def too_large(limit: BodyLimit, where: str, *, inflated: bool, status: int | None) -> ResponseTooLargeError:
    packed = " once inflated" if inflated else ""
    return ResponseTooLargeError(
        f"{where}: the {limit.what} is larger than {size_text(limit.max_bytes)}{packed}; refused while it arrived",
        what=limit.what, limit=limit.max_bytes, inflated=inflated, status=status)


async def iter_body(response: httpx.Response, limit: BodyLimit, where: str) -> AsyncIterator[bytes]:
    """The answer's body, inflated, in pieces; raises ResponseTooLargeError the moment it goes
    past `limit.max_bytes` (before, when its Content-Length already says it would)."""
    stages = _codings(response)
    declared = response.headers.get("content-length", "")
    if not stages and declared.isdigit() and int(declared) > limit.max_bytes:
        raise too_large(limit, where, inflated=False, status=response.status_code)
    total = 0

    def counted(pieces: Iterator[bytes]) -> Iterator[bytes]:
        nonlocal total
        for piece in pieces:
            total += len(piece)
            if total > limit.max_bytes:
                raise too_large(limit, where, inflated=bool(stages), status=response.status_code)
            yield piece

    raws = response.aiter_raw(STEP)
    done = False
    try:
        async for raw in raws:
            for piece in counted(_through(stages, raw)):
                yield piece
        done = True
    finally:
        if not done:
            await _unwind(response, raws)
    for piece in counted(_through(stages, b"", final=True)):
        yield piece


async def _unwind(response: httpx.Response, raws: AsyncIterator[bytes]) -> None:
    """End a body read that stopped early, in this task: close the connection, then let httpx's
    and httpcore's nested stream generators run to their end (closing only the outer one would
    leave the inner ones to the garbage collector, which ends them from no task at all)."""
    await response.aclose()
    try:
        async for _ in raws:
            pass
    except Exception:  # the closed connection's read error: the end we wanted
        pass


async def read_body(response: httpx.Response, limit: BodyLimit, where: str) -> bytes:
    """The whole body (at most `limit.max_bytes` of it, else ResponseTooLargeError)."""
    body = bytearray()
    async with aclosing(iter_body(response, limit, where)) as pieces:
        async for piece in pieces:
            body += piece
    return bytes(body)


async def read_start(response: httpx.Response, max_bytes: int = ERROR_BODY_BYTES) -> bytes:
    """The first `max_bytes` of the body (an error answer's words); the rest is left unread."""
    body = bytearray()
    try:
        async with aclosing(iter_body(response, BodyLimit("answer", 1 << 62, 0.0), "error answer")) as pieces:
            async for piece in pieces:
                body += piece[: max_bytes - len(body)]
                if len(body) >= max_bytes:
                    break
    except MalformedResponseError:
        pass  # an undecodable error body: the status still says what happened
    return bytes(body)
