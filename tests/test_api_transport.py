"""The client on the wire, against a scripted raw HTTP server on a real loopback socket.

The scripted server lets each test decide exactly what the "server" does with each request —
answer with any status and body, drop the connection after reading the request, or never
answer — so the documented bodies, the error mapping and the retry rules (above all: a POST
that may have reached the server is never sent twice) are checked byte for byte.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import httpx
import pytest

from studio.api import (
    APIError,
    AuthenticationError,
    BadRequestError,
    Canvas,
    CanvasImg,
    ForbiddenError,
    InsufficientCreditsError,
    LegnextClient,
    MalformedResponseError,
    Mask,
    NetworkError,
    NotFoundError,
    PayloadTooLargeError,
    Polygon,
    RateLimitError,
    RedirectError,
    RequestTimeoutError,
    RetryPolicy,
    ServerError,
    UnprocessableError,
    ValidationError,
)
from studio.api.job_requests import request_for

KEY = "sk-test-9f8e7d"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "vendor"
# The Text to Image sample response (fixtures/diffusion.response.json), inline so this module
# does not depend on the shared docs being present.
JOB_BODY = {
    "job_id": "789320d3-4b20-46d3-a804-6165a079176a", "model": "midjourney", "task_type": "diffusion",
    "status": "pending", "config": {"service_mode": "public", "webhook_config": {"endpoint": "", "secret": ""}},
    "input": None, "output": {"image_url": "", "image_urls": None, "seed": ""},
    "meta": {"created_at": "2025-12-17T11:08:36Z", "started_at": "0001-01-01T00:00:00Z",
             "ended_at": "0001-01-01T00:00:00Z", "usage": {"type": "point", "frozen": 80, "consume": 0}},
    "detail": None, "logs": [], "error": {"code": 0, "raw_message": "", "message": "", "detail": None},
}
REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 402: "Payment Required", 403: "Forbidden",
           404: "Not Found", 413: "Payload Too Large", 422: "Unprocessable Entity", 429: "Too Many Requests",
           500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Reply:
    status: int = 200
    body: Any = field(default_factory=lambda: JOB_BODY)
    headers: dict[str, str] = field(default_factory=dict)

    def encode(self) -> bytes:
        if isinstance(self.body, bytes):
            payload, ctype = self.body, "application/octet-stream"
        elif isinstance(self.body, str):
            payload, ctype = self.body.encode(), "text/html"
        else:
            payload, ctype = json.dumps(self.body).encode(), "application/json"
        head = [f"HTTP/1.1 {self.status} {REASONS.get(self.status, 'Status')}",
                f"Content-Type: {ctype}", f"Content-Length: {len(payload)}", "Connection: close"]
        head += [f"{k}: {v}" for k, v in self.headers.items()]
        return ("\r\n".join(head) + "\r\n\r\n").encode() + payload


DROP = "drop"  # read the request, then close without answering
HANG = "hang"  # read the request, never answer


class ScriptedServer:
    """A tiny HTTP/1.1 server: the n-th request gets script[n] (the last entry repeats)."""

    def __init__(self, *script: Reply | str, port: int = 0) -> None:
        self.script = list(script) or [Reply()]
        self.port = port
        self.received: list[Received] = []
        self._closing = asyncio.Event()
        self._server: asyncio.Server | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    async def __aenter__(self) -> ScriptedServer:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._closing.set()
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()
            return
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        self.received.append(Received(method, target, headers, body))
        action = self.script[min(len(self.received), len(self.script)) - 1]
        if action == HANG:
            await self._closing.wait()
        elif isinstance(action, Reply):
            writer.write(action.encode())
            await writer.drain()
        writer.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Sleeps:
    """An injected sleep: records the delays and returns at once."""

    def __init__(self, on_sleep: Callable[[], Any] | None = None) -> None:
        self.delays: list[float] = []
        self.on_sleep = on_sleep

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        if self.on_sleep is not None:
            await self.on_sleep()


def policy(sleeps: Sleeps | None = None, attempts: int = 4) -> RetryPolicy:
    return RetryPolicy(max_attempts=attempts, base_delay=0.5, max_delay=4.0, jitter=0.0,
                       sleep=sleeps or Sleeps())


def run(coro):
    return asyncio.run(coro)


# ---- every endpoint sends the documented body to the documented path -------------------------

MASK = Mask(areas=[Polygon(1024, 1024, [100, 100, 600, 100, 600, 600, 100, 600])])
URL = "https://example.com/a.png"
JOB = "0f1e2d3c-0000-4000-8000-000000000001"

CALLS = [
    ("diffusion", dict(text="a red fox --ar 16:9"), "/v1/diffusion", {"text": "a red fox --ar 16:9"}),
    ("variation", dict(job_id=JOB, image_no=2, type=1), "/v1/variation", {"jobId": JOB, "imageNo": 2, "type": 1}),
    ("variation", dict(job_id=JOB, image_no=0, type=0, remix_prompt="in snow"), "/v1/variation",
     {"jobId": JOB, "imageNo": 0, "type": 0, "remixPrompt": "in snow"}),
    ("upscale", dict(job_id=JOB, image_no=3, type=0), "/v1/upscale", {"jobId": JOB, "imageNo": 3, "type": 0}),
    ("reroll", dict(job_id=JOB), "/v1/reroll", {"jobId": JOB}),
    ("blend", dict(img_urls=[URL, URL + "?2"], aspect_ratio="3:2"), "/v1/blend",
     {"imgUrls": [URL, URL + "?2"], "aspect_ratio": "3:2"}),
    ("describe", dict(img_url=URL), "/v1/describe", {"imgUrl": URL}),
    ("shorten", dict(prompt="a very long prompt"), "/v1/shorten", {"prompt": "a very long prompt"}),
    ("pan", dict(job_id=JOB, image_no=1, direction=3, scale=1.13), "/v1/pan",
     {"jobId": JOB, "imageNo": 1, "direction": 3, "scale": 1.13}),
    ("outpaint", dict(job_id=JOB, image_no=1, scale=2, remix_prompt="wider"), "/v1/outpaint",
     {"jobId": JOB, "imageNo": 1, "scale": 2.0, "remixPrompt": "wider"}),
    ("inpaint", dict(job_id=JOB, image_no=0, mask=MASK), "/v1/inpaint",
     {"jobId": JOB, "imageNo": 0, "mask": {"areas": [{"width": 1024, "height": 1024,
                                                      "points": [100, 100, 600, 100, 600, 600, 100, 600]}]}}),
    ("remix", dict(job_id=JOB, image_no=0, remix_prompt="at dusk"), "/v1/remix",
     {"jobId": JOB, "imageNo": 0, "remixPrompt": "at dusk"}),
    ("edit", dict(job_id=JOB, image_no=0, canvas=Canvas(2048, 1024), img_pos=CanvasImg(1024, 1024, 512, 0),
                  remix_prompt="a beach", mask=MASK), "/v1/edit",
     {"jobId": JOB, "imageNo": 0, "canvas": {"width": 2048, "height": 1024},
      "imgPos": {"width": 1024, "height": 1024, "x": 512, "y": 0}, "remixPrompt": "a beach",
      "mask": MASK.to_json()}),
    ("edit", dict(job_id=JOB, image_no=0, canvas={"width": 1024, "height": 1024},
                  img_pos={"width": 512, "height": 512, "x": 0, "y": 0}, remix_prompt="no mask"), "/v1/edit",
     {"jobId": JOB, "imageNo": 0, "canvas": {"width": 1024, "height": 1024},
      "imgPos": {"width": 512, "height": 512, "x": 0, "y": 0}, "remixPrompt": "no mask"}),
    ("upload_paint", dict(img_url=URL, canvas=Canvas(1024, 1024), img_pos=CanvasImg(1024, 1024, 0, 0),
                          remix_prompt="gold", mask=Mask(url=URL + "?mask")), "/v1/upload-paint",
     {"imgUrl": URL, "canvas": {"width": 1024, "height": 1024},
      "imgPos": {"width": 1024, "height": 1024, "x": 0, "y": 0}, "remixPrompt": "gold",
      "mask": {"url": URL + "?mask"}}),
    ("retexture", dict(img_url=URL, remix_prompt="marble"), "/v1/retexture", {"imgUrl": URL, "remixPrompt": "marble"}),
    ("remove_background", dict(img_url=URL), "/v1/remove-background", {"imgUrl": URL}),
    ("enhance", dict(job_id=JOB, image_no=2), "/v1/enhance", {"jobId": JOB, "imageNo": 2}),
    ("video_diffusion", dict(job_id=JOB, image_no=1, video_type=1), "/v1/video-diffusion",
     {"jobId": JOB, "imageNo": 1, "videoType": 1}),
    ("video_diffusion", dict(prompt=URL + " waves --motion high"), "/v1/video-diffusion",
     {"prompt": URL + " waves --motion high"}),
    ("extend_video", dict(job_id=JOB, video_no=0, prompt="keep going"), "/v1/extend-video",
     {"jobId": JOB, "videoNo": 0, "prompt": "keep going"}),
    ("video_upscale", dict(job_id=JOB, video_no=3), "/v1/video-upscale", {"jobId": JOB, "videoNo": 3}),
    ("enhance_upscale", dict(image_url=URL, target_resolution="4K", content_type="photo"), "/v1/enhance-upscale",
     {"image_url": URL, "target_resolution": "4K", "content_type": "photo"}),
    ("enhance_upscale", dict(job_id=JOB, image_no=0, aspect_ratio="16:9", crop_mode="crop", output_format="png",
                             face_enhancement_level="off"), "/v1/enhance-upscale",
     {"jobId": JOB, "imageNo": 0, "aspect_ratio": "16:9", "crop_mode": "crop", "output_format": "png",
      "face_enhancement_level": "off"}),
]


@pytest.mark.parametrize("op,kwargs,path,expected", CALLS, ids=[f"{c[0]}-{i}" for i, c in enumerate(CALLS)])
def test_each_endpoint_sends_the_documented_body(op, kwargs, path, expected):
    async def body():
        async with ScriptedServer(Reply()) as server:
            async with LegnextClient(KEY, server.base_url) as client:
                job = await client.submit(request_for(op, **kwargs))
                direct = await getattr(client, op)(**kwargs)  # the method itself, not only dispatch
            return server.received, job, direct

    received, job, direct = run(body())
    assert [r.path for r in received] == ["/api" + path] * 2
    for request in received:
        assert request.method == "POST"
        assert request.json() == expected  # exact: unset optionals are absent, not null
        assert request.headers["x-api-key"] == KEY
        assert request.headers["content-type"] == "application/json"
    assert job.job_id == direct.job_id == JOB_BODY["job_id"]


def test_client_has_an_operation_for_every_documented_post_endpoint():
    client = LegnextClient(KEY)
    assert len(client.operations) == 20
    assert {c[0] for c in CALLS} == set(client.operations)


@pytest.mark.parametrize("fixture,op,kwargs", [
    ("inpaint.request0.json", "inpaint", dict(job_id="job_12345", image_no=0, remix_prompt="Add autumn leaves",
                                              mask=Mask(url="https://example.com/mask-image.png"),
                                              callback="https://your-domain.com/webhook")),
    ("remix.request0.json", "remix", dict(job_id="5dd94ec3-7282-4f04-9445-59e850ef1822", image_no=0,
                                          remix_prompt="Change the time of day to golden hour sunset", mode=1,
                                          callback="https://webhook.site/c98cb890-fb92-439f-8d60-42c8a51eb52d")),
])
def test_bodies_match_the_vendor_request_samples(fixture, op, kwargs):
    async def body():
        async with ScriptedServer(Reply()) as server:
            async with LegnextClient(KEY, server.base_url) as client:
                await client.submit(request_for(op, **kwargs))
            return server.received[0].json()

    assert run(body()) == json.loads((FIXTURES / fixture).read_text())


def test_get_job_and_balance_paths():
    balance_body = json.loads((FIXTURES / "balance.response.json").read_text())
    completed = json.loads((FIXTURES / "job.completed.json").read_text())

    async def body():
        async with ScriptedServer(Reply(body=completed), Reply(body=balance_body)) as server:
            async with LegnextClient(KEY, server.base_url + "/") as client:
                job = await client.get_job(completed["job_id"])
                balance = await client.balance()
            return server.received, job, balance

    received, job, balance = run(body())
    assert [(r.method, r.path) for r in received] == [
        ("GET", f"/api/v1/job/{completed['job_id']}"), ("GET", "/api/account/balance")]
    assert all(r.headers["x-api-key"] == KEY for r in received)
    assert job.is_completed and len(job.images) == 4
    assert balance.available_credits == 71000


# ---- error statuses and body shapes ----------------------------------------------------------

STATUS_CLASSES = [(400, BadRequestError), (401, AuthenticationError), (402, InsufficientCreditsError),
                  (403, ForbiddenError), (404, NotFoundError), (413, PayloadTooLargeError),
                  (422, UnprocessableError), (429, RateLimitError), (500, ServerError), (502, ServerError),
                  (503, ServerError), (418, APIError)]


@pytest.mark.parametrize("status,cls", STATUS_CLASSES)
@pytest.mark.parametrize("shape", ["top", "nested"])
def test_error_status_maps_to_its_class_with_the_server_fields(status, cls, shape):
    fields = {"code": status, "message": f"thing {status} went wrong", "raw_message": "upstream said no",
              "detail": {"field": "text"}}
    payload = fields if shape == "top" else {"error": fields, "request_id": "r1"}

    async def body():
        async with ScriptedServer(Reply(status, payload)) as server:
            async with LegnextClient(KEY, server.base_url, retry=RetryPolicy(max_attempts=1)) as client:
                with pytest.raises(APIError) as caught:
                    await client.diffusion("a cat")
            return caught.value, len(server.received)

    error, requests = run(body())
    assert type(error) is cls and requests == 1
    assert (error.status, error.code, error.message, error.raw_message) == (
        status, status, f"thing {status} went wrong", "upstream said no")
    assert error.detail == {"field": "text"} and error.body == payload
    assert error.user_message


def test_user_messages_say_what_to_do():
    async def status_error(status):
        async with ScriptedServer(Reply(status, {"code": status, "message": "Failed to verify api key"})) as server:
            async with LegnextClient(KEY, server.base_url, retry=RetryPolicy(max_attempts=1)) as client:
                try:
                    await client.balance()
                except APIError as exc:
                    return exc.user_message

    assert "check your API key in Settings" in run(status_error(401))
    assert "credits" in run(status_error(402)).lower()
    assert "content policy" in run(status_error(403))
    assert "rate limited" in run(status_error(429)).lower()


@pytest.mark.parametrize("status,payload,cls,needle", [
    (502, "<html><body>Bad gateway from the proxy</body></html>", ServerError, "Bad gateway from the proxy"),
    (401, "", AuthenticationError, "Unauthorized"),
    (422, {"detail": "text: field required"}, UnprocessableError, "text: field required"),
    (400, ["not", "an", "object"], BadRequestError, "Bad Request"),
])
def test_error_bodies_that_are_not_the_documented_shape(status, payload, cls, needle):
    async def body():
        async with ScriptedServer(Reply(status, payload)) as server:
            async with LegnextClient(KEY, server.base_url, retry=RetryPolicy(max_attempts=1)) as client:
                with pytest.raises(APIError) as caught:
                    await client.get_job(JOB)
            return caught.value

    error = run(body())
    assert type(error) is cls and error.status == status
    assert needle in error.message


@pytest.mark.parametrize("payload,op", [
    ("<html>maintenance</html>", "diffusion"),
    (b"\x89PNG\x00\x01", "get_job"),
    ([1, 2, 3], "diffusion"),
    ({"status": "pending"}, "diffusion"),  # a job without a job_id cannot be followed
    ("", "balance"),
])
def test_unreadable_success_answers_are_malformed_not_crashes(payload, op):
    async def body():
        async with ScriptedServer(Reply(200, payload)) as server:
            async with LegnextClient(KEY, server.base_url) as client:
                call = {"diffusion": lambda: client.diffusion("a cat"), "get_job": lambda: client.get_job(JOB),
                        "balance": client.balance}[op]
                with pytest.raises(MalformedResponseError) as caught:
                    await call()
            return caught.value, len(server.received)

    error, requests = run(body())
    assert error.user_message and requests == 1


def test_an_error_object_sent_with_status_200_is_still_an_error():
    async def body():
        async with ScriptedServer(Reply(200, {"code": 401, "message": "Failed to verify api key"})) as server:
            async with LegnextClient(KEY, server.base_url) as client:
                with pytest.raises(AuthenticationError):
                    await client.diffusion("a cat")

    run(body())


# ---- retries ---------------------------------------------------------------------------------

def test_get_retries_5xx_with_exponential_backoff_then_succeeds():
    sleeps = Sleeps()

    async def body():
        async with ScriptedServer(Reply(503, {"code": 503, "message": "busy"}), Reply(502, "bad gateway"),
                                  Reply(500, {"error": {"code": 500, "message": "oops"}}), Reply()) as server:
            async with LegnextClient(KEY, server.base_url, retry=policy(sleeps)) as client:
                job = await client.get_job(JOB)
            return job, len(server.received)

    job, requests = run(body())
    assert job.job_id == JOB_BODY["job_id"] and requests == 4
    assert sleeps.delays == [0.5, 1.0, 2.0]


def test_get_gives_up_after_max_attempts():
    async def body():
        async with ScriptedServer(Reply(500, {"code": 500, "message": "down"})) as server:
            async with LegnextClient(KEY, server.base_url, retry=policy(attempts=3)) as client:
                with pytest.raises(ServerError):
                    await client.balance()
            return len(server.received)

    assert run(body()) == 3


def test_get_retries_dropped_connections_and_read_timeouts():
    async def body():
        async with ScriptedServer(DROP, HANG, Reply()) as server:
            async with LegnextClient(KEY, server.base_url, timeout=0.3, retry=policy()) as client:
                job = await client.get_job(JOB)
            return job, len(server.received)

    job, requests = run(body())
    assert job.job_id and requests == 3


def test_retry_after_is_waited_out():
    sleeps = Sleeps()

    async def body():
        async with ScriptedServer(Reply(429, {"code": 429, "message": "slow down"}, {"Retry-After": "7"}),
                                  Reply()) as server:
            async with LegnextClient(KEY, server.base_url, retry=policy(sleeps)) as client:
                await client.get_job(JOB)

    run(body())
    assert sleeps.delays == [7.0]


def test_rate_limit_error_carries_retry_after_when_out_of_attempts():
    async def body():
        async with ScriptedServer(Reply(429, {"code": 429, "message": "slow down"}, {"Retry-After": "12"})) as server:
            async with LegnextClient(KEY, server.base_url, retry=RetryPolicy(max_attempts=1)) as client:
                with pytest.raises(RateLimitError) as caught:
                    await client.diffusion("a cat")
            return caught.value

    assert run(body()).retry_after == 12.0


@pytest.mark.parametrize("first,error", [
    (Reply(500, {"code": 500, "message": "internal"}), ServerError),
    (Reply(503, "upstream unavailable"), ServerError),
    (DROP, NetworkError),
    (HANG, RequestTimeoutError),
])
def test_post_that_may_have_reached_the_server_is_never_resent(first, error):
    sleeps = Sleeps()

    async def body():
        async with ScriptedServer(first, Reply()) as server:
            async with LegnextClient(KEY, server.base_url, timeout=0.3, retry=policy(sleeps)) as client:
                with pytest.raises(error) as caught:
                    await client.diffusion("a lighthouse")
            return caught.value, server.received

    exc, received = run(body())
    assert len(received) == 1 and received[0].json() == {"text": "a lighthouse"}  # it did arrive
    assert sleeps.delays == []
    assert exc.user_message
    if isinstance(exc, NetworkError):
        assert exc.request_sent


def test_post_is_resent_after_429():
    sleeps = Sleeps()

    async def body():
        async with ScriptedServer(Reply(429, {"code": 429, "message": "slow"}, {"Retry-After": "1"}), Reply()) as server:
            async with LegnextClient(KEY, server.base_url, retry=policy(sleeps)) as client:
                job = await client.diffusion("a lighthouse")
            return job, len(server.received)

    job, requests = run(body())
    assert job.job_id and requests == 2 and sleeps.delays == [1.0]


def test_post_is_resent_when_the_connection_was_refused():
    # Nothing listens on the port at first; the server comes up during the client's back-off.
    port = free_port()
    server = ScriptedServer(Reply(), port=port)

    async def start_server():
        if server._server is None:
            await server.__aenter__()

    sleeps = Sleeps(on_sleep=start_server)

    async def body():
        try:
            async with LegnextClient(KEY, f"http://127.0.0.1:{port}/api", retry=policy(sleeps)) as client:
                job = await client.diffusion("a lighthouse")
        finally:
            if server._server is not None:
                await server.__aexit__(None, None, None)
        return job

    job = run(body())
    assert job.job_id == JOB_BODY["job_id"]
    assert len(sleeps.delays) == 1 and len(server.received) == 1


def test_refused_connection_is_a_network_error_once_attempts_run_out():
    async def body():
        async with LegnextClient(KEY, f"http://127.0.0.1:{free_port()}/api", retry=policy(attempts=2)) as client:
            with pytest.raises(NetworkError) as caught:
                await client.diffusion("x")
        return caught.value

    error = run(body())
    assert not error.request_sent and "network" in error.user_message


# ---- downloads and the key -------------------------------------------------------------------

def test_download_sends_the_key_only_to_the_api_origin():
    async def body():
        async with ScriptedServer(Reply(body=b"\x89PNG-api")) as api, ScriptedServer(Reply(body=b"\x89PNG-cdn")) as cdn:
            async with LegnextClient(KEY, api.base_url) as client:
                own = await client.download(f"http://127.0.0.1:{api.port}/cdn/a.png")
                other = await client.download(f"http://127.0.0.1:{cdn.port}/cdn/b.png")
            return own, other, api.received[0], cdn.received[0]

    own, other, to_api, to_cdn = run(body())
    assert (own, other) == (b"\x89PNG-api", b"\x89PNG-cdn")
    assert to_api.headers.get("x-api-key") == KEY
    assert "x-api-key" not in to_cdn.headers


def test_download_retries_and_maps_404():
    async def body():
        async with ScriptedServer(Reply(503, "busy"), Reply(body=b"data"), Reply(404, "gone")) as cdn:
            async with LegnextClient(KEY, "https://api.legnext.ai/api", retry=policy()) as client:
                data = await client.download(f"http://127.0.0.1:{cdn.port}/cdn/x.png")
                with pytest.raises(NotFoundError) as caught:
                    await client.download(f"http://127.0.0.1:{cdn.port}/cdn/old.png")
            return data, caught.value

    data, error = run(body())
    assert data == b"data" and "expired" in error.user_message


def test_the_key_never_appears_in_errors_or_logs(caplog):
    caplog.set_level(logging.DEBUG)

    async def body():
        async with ScriptedServer(Reply(401, {"code": 401, "message": "Failed to verify api key"}),
                                  Reply(500, "oops"), DROP) as server:
            async with LegnextClient(KEY, server.base_url, timeout=0.3, retry=RetryPolicy(max_attempts=1)) as client:
                errors = []
                for _ in range(3):
                    try:
                        await client.diffusion("x")
                    except Exception as exc:  # noqa: BLE001 - collecting every kind on purpose
                        errors.append(exc)
            return errors

    errors = run(body())
    assert len(errors) == 3
    for exc in errors:
        assert KEY not in str(exc) and KEY not in exc.user_message and KEY not in repr(exc.__dict__)
    assert KEY not in caplog.text


# ---- redirects: the key goes to the API's origin only, on every hop --------------------------

@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_to_another_origin_never_carries_the_key(status):
    async def body():
        async with ScriptedServer(Reply(body=b"\x89PNG-cdn")) as cdn:
            target = f"http://127.0.0.1:{cdn.port}/cdn/a.png"
            async with ScriptedServer(Reply(status, b"", {"Location": target})) as api:
                async with LegnextClient(KEY, api.base_url) as client:
                    data = await client.download(f"http://127.0.0.1:{api.port}/api/files/a.png")
            return data, api.received, cdn.received

    data, to_api, to_cdn = run(body())
    assert data == b"\x89PNG-cdn"
    assert [r.headers.get("x-api-key") for r in to_api] == [KEY]  # the first hop is the API's own
    assert len(to_cdn) == 1 and "x-api-key" not in to_cdn[0].headers


def test_same_origin_redirects_keep_the_key_and_it_comes_back_after_a_foreign_hop():
    async def body():
        async with ScriptedServer() as cdn, ScriptedServer() as api:
            api_root, cdn_root = f"http://127.0.0.1:{api.port}", f"http://127.0.0.1:{cdn.port}"
            api.script = [Reply(302, b"", {"Location": "/api/files/moved.png"}),    # same origin
                          Reply(307, b"", {"Location": f"{cdn_root}/cdn/a.png"}),   # away...
                          Reply(body=b"back home")]
            cdn.script = [Reply(302, b"", {"Location": f"{api_root}/api/files/final.png"})]  # ...and back
            async with LegnextClient(KEY, api.base_url) as client:
                data = await client.download(f"{api_root}/api/files/a.png")
            return data, api.received, cdn.received

    data, to_api, to_cdn = run(body())
    assert data == b"back home"
    assert [r.path for r in to_api] == ["/api/files/a.png", "/api/files/moved.png", "/api/files/final.png"]
    assert all(r.headers.get("x-api-key") == KEY for r in to_api)
    assert "x-api-key" not in to_cdn[0].headers


def test_a_redirect_loop_is_a_redirect_error_and_not_retried():
    async def body():
        async with ScriptedServer(Reply(302, b"", {"Location": "/cdn/loop.png"})) as cdn:
            async with LegnextClient(KEY, "https://api.legnext.ai/api", retry=policy()) as client:
                with pytest.raises(RedirectError) as caught:
                    await client.download(f"http://127.0.0.1:{cdn.port}/cdn/loop.png")
                limit = client.http.max_redirects
            return caught.value, len(cdn.received), limit

    error, requests, limit = run(body())
    assert requests == limit + 1  # the first request and `limit` redirects, once: no retry
    assert "redirect" in error.user_message and not error.may_have_run


def test_a_redirect_to_an_unusable_port_is_a_redirect_error():
    async def body():
        async with ScriptedServer(Reply(302, b"", {"Location": "http://127.0.0.1:99999/x.png"})) as cdn:
            async with LegnextClient(KEY, "https://api.legnext.ai/api", retry=policy()) as client:
                with pytest.raises(RedirectError) as caught:
                    await client.download(f"http://127.0.0.1:{cdn.port}/cdn/x.png")
            return caught.value, len(cdn.received)

    error, requests = run(body())
    assert requests == 1 and error.status == 302 and "cannot be used" in error.user_message


@pytest.mark.parametrize("url", ["http://127.0.0.1:99999/x.png", "http://[::1/x.png", "http://exa\x00mple.com/x"])
def test_download_of_an_unusable_url_is_a_validation_error(url):
    # httpx would raise an ExceptionGroup (port), urlsplit a ValueError (host), httpx InvalidURL.
    async def body():
        async with LegnextClient(KEY, "https://api.legnext.ai/api", retry=policy(attempts=1)) as client:
            with pytest.raises(ValidationError) as caught:
                await client.download(url)
        return caught.value

    assert run(body()).field == "url"


# ---- no httpx exception reaches the caller raw -----------------------------------------------

BAD_GZIP = Reply(200, b"\x00 this is not gzip", {"Content-Encoding": "gzip"})


def test_a_broken_gzip_body_is_a_malformed_response():
    async def body():
        async with ScriptedServer(BAD_GZIP) as server:
            async with LegnextClient(KEY, server.base_url, retry=policy()) as client:
                with pytest.raises(MalformedResponseError) as get_error:
                    await client.get_job(JOB)
                with pytest.raises(MalformedResponseError) as download_error:
                    await client.download(f"http://127.0.0.1:{server.port}/cdn/a.png")
                with pytest.raises(MalformedResponseError) as post_error:
                    await client.diffusion("a cat")
            return get_error.value, download_error.value, post_error.value, len(server.received)

    get_error, download_error, post_error, requests = run(body())
    assert requests == 3  # no retries: the answer came, it was unreadable
    assert not get_error.may_have_run and not download_error.may_have_run
    assert post_error.may_have_run  # a 200 came back to the POST: the job may well exist


def test_any_other_httpx_request_error_is_a_network_error():
    def transport(request):
        raise httpx.RequestError("something httpx has not named yet", request=request)

    async def body():
        http = httpx.AsyncClient(transport=httpx.MockTransport(transport))
        async with LegnextClient(KEY, "https://api.legnext.ai/api", http=http, retry=policy(attempts=1)) as client:
            with pytest.raises(NetworkError) as caught:
                await client.diffusion("a cat")
        await http.aclose()
        return caught.value

    error = run(body())
    assert error.request_sent and error.may_have_run


# ---- after a POST that may have landed, the message does not say "try again" -----------------

MAY_HAVE_RUN = "may have started this job (and charged for it)"
CHECK_FIRST = "Check the queue and your balance before trying again."

MAYBE_LANDED = [
    # (the answer to both a POST and a GET, the error class, what the GET's message still says)
    (Reply(500, {"code": 500, "message": "internal"}), ServerError,
     "The Legnext server had a problem (HTTP 500). Try again in a little while."),
    (Reply(503, "upstream unavailable"), ServerError,
     "The Legnext server had a problem (HTTP 503). Try again in a little while."),
    (DROP, NetworkError, "Could not reach the server: check your network connection."),
    (HANG, RequestTimeoutError, "The server did not answer in time."),
    (Reply(200, "<html>maintenance</html>"), MalformedResponseError,
     "The server sent an answer the studio could not read."),
]


@pytest.mark.parametrize("reply,cls,get_message", MAYBE_LANDED, ids=["500", "503", "drop", "timeout", "html"])
def test_a_post_that_may_have_landed_says_check_before_trying_again(reply, cls, get_message):
    async def body():
        async with ScriptedServer(reply) as server:
            async with LegnextClient(KEY, server.base_url, timeout=0.3, retry=policy(attempts=1)) as client:
                with pytest.raises(cls) as post:
                    await client.diffusion("a lighthouse")
                with pytest.raises(cls) as get:
                    await client.get_job(JOB)
            return post.value, get.value

    post, get = run(body())
    assert post.may_have_run is True
    assert MAY_HAVE_RUN in post.user_message and CHECK_FIRST in post.user_message
    assert "try again in a little while" not in post.user_message.lower()
    # A GET has no side effect: its message is the usual one.
    assert get.may_have_run is False and get.user_message == get_message


def test_a_post_answered_without_a_job_id_may_have_run():
    async def body():
        async with ScriptedServer(Reply(200, {"status": "pending"})) as server:
            async with LegnextClient(KEY, server.base_url) as client:
                with pytest.raises(MalformedResponseError) as caught:
                    await client.diffusion("a lighthouse")
            return caught.value

    error = run(body())
    assert error.may_have_run and MAY_HAVE_RUN in error.user_message


@pytest.mark.parametrize("reply", [
    Reply(400, {"code": 400, "message": "--v 9 is not a version"}),
    Reply(402, {"code": 402, "message": "insufficient credits"}),
    Reply(429, {"code": 429, "message": "slow down"}),
    Reply(200, {"job_id": "", "status": "failed", "error": {"code": 403, "message": "Sensitive content detected"}}),
], ids=["400", "402", "429", "refused-in-200"])
def test_a_post_the_server_refused_did_not_run(reply):
    async def body():
        async with ScriptedServer(reply) as server:
            async with LegnextClient(KEY, server.base_url, retry=policy(attempts=1)) as client:
                with pytest.raises(APIError) as caught:
                    await client.diffusion("a lighthouse")
            return caught.value

    error = run(body())
    assert error.may_have_run is False and MAY_HAVE_RUN not in error.user_message


def test_a_post_whose_connection_was_refused_did_not_run():
    async def body():
        async with LegnextClient(KEY, f"http://127.0.0.1:{free_port()}/api", retry=policy(attempts=1)) as client:
            with pytest.raises(NetworkError) as caught:
                await client.diffusion("x")
        return caught.value

    error = run(body())
    assert not error.request_sent and not error.may_have_run and MAY_HAVE_RUN not in error.user_message


# ---- error bodies sent with 2xx ---------------------------------------------------------------

@pytest.mark.parametrize("payload,cls", [
    ({"code": 401, "message": "Failed to verify api key", "data": None}, AuthenticationError),
    ({"code": 402, "message": "no credits", "data": {}}, InsufficientCreditsError),
    ({"code": 500, "message": "internal", "data": {}}, ServerError),
])
def test_the_balance_envelope_carrying_an_error_code_is_that_error(payload, cls):
    async def body():
        async with ScriptedServer(Reply(200, payload)) as server:
            async with LegnextClient(KEY, server.base_url, retry=policy(attempts=1)) as client:
                with pytest.raises(APIError) as caught:
                    await client.balance()
            return caught.value

    error = run(body())
    assert type(error) is cls and error.message == payload["message"]


def test_a_refused_submission_in_a_200_raises_the_servers_error():
    refused = {**JOB_BODY, "job_id": "", "status": "failed",
               "error": {"code": 403, "message": "Sensitive content detected", "raw_message": "", "detail": None}}
    vendor = {**refused, "error": {"code": 10001, "message": "banned prompt detected"}}

    async def body():
        async with ScriptedServer(Reply(200, refused), Reply(200, vendor)) as server:
            async with LegnextClient(KEY, server.base_url) as client:
                with pytest.raises(ForbiddenError) as forbidden:
                    await client.diffusion("something sensitive")
                with pytest.raises(APIError) as other:
                    await client.diffusion("something banned")
            return forbidden.value, other.value

    forbidden, other = run(body())
    assert forbidden.message == "Sensitive content detected" and "Sensitive content detected" in forbidden.user_message
    assert forbidden.code == 403 and forbidden.body["job_id"] == ""
    assert type(other) is APIError and other.code == 10001
    assert "banned prompt detected" in other.user_message


def test_a_failed_job_with_an_id_is_a_job_not_an_error():
    failed = {**JOB_BODY, "status": "failed", "error": {"code": 403, "message": "Sensitive content detected"}}

    async def body():
        async with ScriptedServer(Reply(200, failed)) as server:
            async with LegnextClient(KEY, server.base_url) as client:
                return await client.get_job(JOB_BODY["job_id"]), await client.diffusion("x")

    polled, submitted = run(body())
    assert polled.is_failed and polled.error.code == 403
    assert submitted.is_failed and submitted.job_id == JOB_BODY["job_id"]


def test_every_vendor_job_sample_reads_as_a_job_over_the_wire():
    samples = [json.loads(path.read_text()) for path in sorted(FIXTURES.glob("*.json"))
               if ".response" in path.name and not path.name.startswith("balance")]
    samples.append(json.loads((FIXTURES / "job.completed.json").read_text()))

    async def body():
        async with ScriptedServer(*(Reply(body=sample) for sample in samples)) as server:
            async with LegnextClient(KEY, server.base_url) as client:
                return [await client.get_job(sample["job_id"] or JOB) for sample in samples]

    jobs = run(body())
    assert [job.task_type for job in jobs] == [sample["task_type"] for sample in samples]
