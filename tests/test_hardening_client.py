"""The client against a hostile server on loopback (tests/hostile.py): every answer is read within
its limit while it arrives, every request within its deadline, job ids are checked before they
become a path, and the key never travels over plain http to another machine. After each case
the same client still works."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from pathlib import Path

import httpx
import pytest

from studio.api import LegnextClient, RetryPolicy
from studio.api.errors import (
    BadJobIdError,
    InsecureURLError,
    RedirectError,
    ResponseTooLargeError,
    TooSlowError,
    ValidationError,
)
from studio.limits import DEFAULT_LIMITS, BodyLimit, Limits
from studio.session import failures
from studio.store.archive import Archive
from studio.store.images import TooManyPixelsError
from hostile import HostileServer

KEY = "sk-hostile-5e4d"
FAST = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.02, jitter=0.0)


@pytest.fixture
def hostile():
    with HostileServer(trickle_every=0.2) as server:
        yield server


def client_for(server: HostileServer, **options) -> LegnextClient:
    options.setdefault("retry", FAST)
    return LegnextClient(KEY, server.base_url, **options)


def run(coro):
    return asyncio.run(coro)


async def still_works(client: LegnextClient, server: HostileServer) -> None:
    """After a refusal the same client (and its connection pool) does an honest job end to end."""
    server.cases.clear()
    job = await client.diffusion("a calm sea")
    done = await client.get_job(job.job_id)
    assert done.status == "completed" and len(done.images) == 4
    assert (await client.download(done.images[0])).startswith(b"\x89PNG")


# ---- bodies: limited while they arrive, inflated size counted --------------------------------

@pytest.mark.parametrize("route", ["job", "post"])
def test_a_gzip_bomb_is_refused_at_the_limit_not_inflated_whole(hostile, route):
    hostile.cases[route] = "gzip-bomb"

    async def body():
        async with client_for(hostile) as client:
            started = time.monotonic()
            with pytest.raises(ResponseTooLargeError) as caught:
                if route == "post":
                    await client.diffusion("a red fox")
                else:
                    await client.get_job(next(iter(hostile.jobs), "0f1e2d3c-0000-4000-8000-000000000001"))
            elapsed = time.monotonic() - started
            await still_works(client, hostile)
        return caught.value, elapsed

    if route == "job":
        hostile.jobs["0f1e2d3c-0000-4000-8000-000000000001"] = {"op": "diffusion", "created": time.time()}
    error, elapsed = run(body())
    assert error.inflated and error.what == "answer" and error.limit == DEFAULT_LIMITS.json.max_bytes
    assert elapsed < 5  # stopped after 8 MiB, not after inflating 1 GiB
    assert hostile.hits[route] >= 1
    if route == "post":
        # The job may exist: the words say so, never "try again".
        assert error.may_have_run
        text = failures.describe(error, failures.Context(may_have_run=True))
        assert "larger than 8 MB once inflated" in text and "may have been created and charged" in text
    else:
        assert hostile.hits["job"] == 2  # not retried (the answer would be as large again), + still_works


@pytest.mark.parametrize("case", ["huge-json", "huge-declared"])
@pytest.mark.parametrize("route", ["job", "post", "balance"])
def test_an_oversized_json_answer_is_refused_while_it_arrives(hostile, case, route):
    hostile.cases[route] = case
    job_id = "0f1e2d3c-0000-4000-8000-000000000002"
    hostile.jobs[job_id] = {"op": "diffusion", "created": time.time()}

    async def body():
        async with client_for(hostile) as client:
            with pytest.raises(ResponseTooLargeError) as caught:
                if route == "post":
                    await client.diffusion("a red fox")
                elif route == "job":
                    await client.get_job(job_id)
                else:
                    await client.balance()
            await still_works(client, hostile)
        return caught.value

    error = run(body())
    assert not error.inflated and error.limit == 8 * 1024 * 1024
    assert error.may_have_run == (route == "post")
    assert "larger than 8 MB" in failures.describe(error)


# ---- deadlines: the whole request, not each read ---------------------------------------------

def short(limits: Limits = DEFAULT_LIMITS, seconds: float = 1.0) -> Limits:
    return Limits(json=dataclasses.replace(limits.json, deadline=seconds),
                  post=dataclasses.replace(limits.post, deadline=seconds),
                  image=dataclasses.replace(limits.image, deadline=seconds),
                  video=limits.video)


@pytest.mark.parametrize("route", ["job", "post", "file"])
def test_a_trickling_server_ends_in_a_timeout_that_says_it_was_too_slow(hostile, route):
    hostile.cases[route] = "trickle"
    job_id = "0f1e2d3c-0000-4000-8000-000000000003"
    hostile.jobs[job_id] = {"op": "diffusion", "created": time.time()}

    async def body():
        async with client_for(hostile, limits=short()) as client:
            started = time.monotonic()
            with pytest.raises(TooSlowError) as caught:
                if route == "post":
                    await client.diffusion("a red fox")
                elif route == "job":
                    await client.get_job(job_id)
                else:
                    await client.download(hostile.url("/files/a.png"))
            elapsed = time.monotonic() - started
            await still_works(client, hostile)
        return caught.value, elapsed

    error, elapsed = run(body())
    # One try of one second (a byte every 0.2 s would keep every per-read timeout happy for ever).
    assert 0.9 <= elapsed < 3
    assert hostile.hits[route] == 2  # not retried: one try, then still_works
    assert error.deadline == 1.0 and error.request_sent
    if route == "post":
        assert error.may_have_run
        assert "too slow" in failures.describe(error, failures.Context(may_have_run=True))
    else:
        words = failures.describe(error, failures.Context(what="download" if route == "file" else "balance"))
        assert words.startswith("The server was too slow")


def test_a_request_cut_off_before_sending_is_known_unsent():
    """The deadline can end a request while it still connects: nothing left, so a POST may
    safely be sent again. (A listening socket that never accepts keeps connect() pending.)"""
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    try:
        for _ in range(8):  # fill the accept backlog, so the next connect hangs
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", port))
            fillers.append(s)

        async def body():
            async with LegnextClient(KEY, f"http://127.0.0.1:{port}/api", retry=RetryPolicy(max_attempts=1),
                                     limits=short(seconds=0.5)) as client:
                with pytest.raises(Exception) as caught:
                    await client.diffusion("a red fox")
            return caught.value

        error = run(body())
    finally:
        for s in fillers:
            s.close()
        listener.close()
    assert not getattr(error, "may_have_run", False)


# ---- redirects and addresses ------------------------------------------------------------------

@pytest.mark.parametrize("target", ["file:///etc/passwd", "ftp://127.0.0.1/x.png", "data:image/png;base64,AAAA",
                                    "gopher://127.0.0.1:70/", "http://127.0.0.1:99999/x"])
def test_a_redirect_to_another_scheme_is_refused(hostile, target):
    hostile.cases["file"] = "redirect:" + target

    async def body():
        async with client_for(hostile) as client:
            with pytest.raises(RedirectError):
                await client.download(hostile.url("/files/a.png"))
            await still_works(client, hostile)

    run(body())


def test_plain_http_to_another_machine_is_refused_and_never_gets_the_key():
    with pytest.raises(InsecureURLError) as caught:
        LegnextClient(KEY, "http://203.0.113.7/api")
    assert "travel unencrypted" in failures.describe(caught.value)
    for url in ("http://127.0.0.1:8123/api", "http://localhost:1/api", "http://[::1]:8/api", "https://203.0.113.7/api"):
        LegnextClient(KEY, url)  # loopback, or https: fine

    # With the override the address is accepted; a plain-http hop elsewhere never gets the key.
    client = LegnextClient(KEY, "https://api.example.com/api")
    for url, keyed in (("https://api.example.com/api/x", True), ("http://api.example.com/api/x", False),
                       ("https://cdn.example.com/x", False)):
        request = httpx.Request("GET", url)
        client._set_key(request)
        assert ("x-api-key" in request.headers) is keyed, url
    allowed = LegnextClient(KEY, "http://203.0.113.7/api", allow_plain_http=True)
    request = httpx.Request("GET", "http://203.0.113.7/api/v1/job/x")
    allowed._set_key(request)
    assert request.headers["x-api-key"] == KEY


def test_the_key_follows_a_same_origin_downgrade_never(hostile):
    """https → http on the same host is another origin: the key stays behind."""
    client = LegnextClient(KEY, "https://api.example.com/api")
    request = httpx.Request("GET", "http://api.example.com/api/v1/job/x")
    client._set_key(request)
    assert "x-api-key" not in request.headers


# ---- job ids ---------------------------------------------------------------------------------

def test_a_job_id_that_is_not_a_uuid_never_becomes_a_path(hostile):
    async def body():
        async with client_for(hostile) as client:
            for bad in ("..", ".", "../account/balance", "a/b", "%2e%2e", "job-1"):
                with pytest.raises(ValidationError):
                    await client.get_job(bad)
        return hostile.hits.get("job", 0) + hostile.hits.get("other", 0) + hostile.hits.get("balance", 0)

    assert run(body()) == 0  # nothing was sent


@pytest.mark.parametrize("route", ["post", "job"])
def test_a_server_answering_with_a_bad_job_id_is_refused(hostile, route):
    hostile.cases[route] = "bad-id"
    job_id = "0f1e2d3c-0000-4000-8000-000000000004"
    hostile.jobs[job_id] = {"op": "diffusion", "created": time.time()}

    async def body():
        async with client_for(hostile) as client:
            with pytest.raises(BadJobIdError) as caught:
                if route == "post":
                    await client.diffusion("a red fox")
                else:
                    await client.get_job(job_id)
            await still_works(client, hostile)
        return caught.value

    error = run(body())
    assert error.may_have_run == (route == "post")
    assert "job id that is not one" in failures.describe(error, failures.Context(may_have_run=route == "post"))


def test_listed_jobs_with_bad_ids_are_left_out(hostile):
    hostile.cases["tasks"] = "bad-id"
    hostile.jobs["0f1e2d3c-0000-4000-8000-000000000005"] = {"op": "diffusion", "created": time.time()}

    async def body():
        async with client_for(hostile) as client:
            return await client.active_tasks()

    listing = run(body())
    assert listing.tasks == []


# ---- files: limited while they arrive, pixel bombs refused unread ----------------------------

def test_an_oversized_file_is_refused_by_its_declared_length_or_while_it_streams(hostile, tmp_path):
    archive = Archive(tmp_path / "archive")
    key = "ab" + "0" * 30
    small_image = BodyLimit("image", 4 * 1024 * 1024, deadline=30.0)

    async def body():
        async with client_for(hostile, limits=Limits(image=small_image)) as client:
            hostile.cases["file"] = "huge-file"
            with pytest.raises(ResponseTooLargeError) as streamed:
                await client.download_into(
                    hostile.url("/files/a.png"),
                    lambda chunks: archive.store(key, "image", 0, chunks, max_bytes=10 * small_image.max_bytes))
            with pytest.raises(ResponseTooLargeError):
                await client.download(hostile.url("/files/a.png"))
            await still_works(client, hostile)
        async with client_for(hostile) as client:  # the real limits: 640 MiB, refused from the header
            hostile.cases["file"] = "huge-declared"
            started = time.monotonic()
            with pytest.raises(ResponseTooLargeError) as declared:
                await client.download(hostile.url("/files/a.png"))
            assert time.monotonic() - started < 2
        return streamed.value, declared.value

    streamed, declared = run(body())
    assert streamed.what == "image" and streamed.limit == small_image.max_bytes
    assert "download was stopped" in failures.download_problem(streamed)
    assert declared.limit == DEFAULT_LIMITS.image.max_bytes
    assert not list((tmp_path / "archive").rglob("*.part*"))  # nothing half-written is left
    assert not list((tmp_path / "archive").rglob("image-*"))


def test_a_pixel_bomb_is_refused_before_it_is_decoded(hostile, tmp_path):
    archive = Archive(tmp_path / "archive")
    hostile.cases["file"] = "pixel-bomb"

    async def body():
        async with client_for(hostile) as client:
            with pytest.raises(TooManyPixelsError) as caught:
                await client.download_into(hostile.url("/files/a.png"),
                                           lambda chunks: archive.store("cd" + "0" * 30, "image", 0, chunks,
                                                                        max_bytes=64 * 1024 * 1024))
        return caught.value

    error = run(body())
    assert (error.width, error.height) == (100_000, 100_000)
    assert "declares 100,000 × 100,000 pixels" in failures.download_problem(error)
    assert not any(p.is_file() for p in (tmp_path / "archive").rglob("*"))


def test_every_limit_is_above_the_largest_documented_output():
    """REFERENCE.md: Topaz 12K has a long edge of 12288 px; an uncompressed RGBA file of the
    square is 576 MiB. Videos: 21 s at most."""
    from studio import limits

    assert limits.MAX_IMAGE_PIXELS >= 12288 * 12288 and limits.MAX_IMAGE_EDGE >= 12288
    assert DEFAULT_LIMITS.image.max_bytes > 12288 * 12288 * 4
    assert DEFAULT_LIMITS.video.max_bytes >= 21 * 100_000_000 // 8  # 21 s at 100 Mbit/s
    assert DEFAULT_LIMITS.json.max_bytes >= 1024 * 1024
    deadlines = {DEFAULT_LIMITS.json.deadline, DEFAULT_LIMITS.post.deadline, DEFAULT_LIMITS.image.deadline}
    assert len(deadlines) == 3  # POSTs, job GETs and downloads each have their own


def test_the_hostile_payloads_are_what_they_claim():
    """The test server's bombs really are bombs (else the tests above prove nothing)."""
    import zlib

    from hostile import black_png, gzip_bomb, pixel_bomb

    bomb = gzip_bomb()
    assert len(bomb) < 1_200_000
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    total = 0
    data = bomb
    while data:
        total += len(d.decompress(data, 64 << 20))
        data = d.unconsumed_tail
    total += len(d.flush())
    assert total == 1 << 30
    from PIL import Image
    import io

    with Image.open(io.BytesIO(pixel_bomb())) as im:
        assert im.size == (100_000, 100_000)
    png = black_png(12_000, 12_000)
    assert len(png) < 600_000
    with Image.open(io.BytesIO(png)) as im:
        assert im.size == (12_000, 12_000)


def test_an_answer_in_a_coding_the_client_did_not_ask_for_is_refused_in_words():
    from studio.api.errors import MalformedResponseError

    seen = []

    def transport(request):
        seen.append(request.headers.get("accept-encoding"))
        return httpx.Response(200, headers={"content-encoding": "br"}, content=b"\x1b\x00\x00")

    async def body():
        http = httpx.AsyncClient(transport=httpx.MockTransport(transport))
        async with LegnextClient(KEY, "https://api.legnext.ai/api", http=http, retry=FAST) as client:
            with pytest.raises(MalformedResponseError) as caught:
                await client.balance()
        await http.aclose()
        return caught.value

    error = run(body())
    assert seen == ["gzip, deflate"] and "'br'" in str(error)
