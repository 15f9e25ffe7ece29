"""The sandbox's HTTP surface: Starlette routes for the Legnext API and the image CDN.

Paths, bodies and answers follow shared/legnext-api/REFERENCE.md:
  POST /api/v1/<endpoint>        20 task endpoints -> a Job object (status "pending")
  GET  /api/v1/job/{job_id}      the Job, with progress while processing (unless turned off)
  GET  /api/account/balance      {"code": 200, "data": {...}, "message": "success"}
  GET  /api/account/info         AccountInfo (OpenAPI only; see account.py)
  GET  /api/account/active_tasks ActiveTasksResponse: the jobs not yet ended (see account.py)
  GET  /cdn/mj/<job>_<n|grid>.png (.jpg/.tiff: Topaz's output_format), /cdn/video/<job>_<n>.mp4   generated media (no key)
Errors use the documented body {"code", "message", "raw_message", "detail"}.

Deviation on purpose: a multipart/form body (how the vendor SDK sends inpaint) is answered
with 400 saying the API takes JSON — the published docs define inpaint's mask as JSON.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .account import account_info_body, active_tasks_body
from .clock import iso
from .core import RequestRefused, SandboxCore
from .credits import balance_body
from .faults import DROP, SLOW, Fault, retry_after_header
from .images import FILE_FORMATS
from .render import CDN_IMAGE, CDN_VIDEO
from .state import InsufficientCredits, Received, redact
from .submit import IMAGE_STORAGE_SECONDS, build_job
from .validation import ENDPOINT_FIELDS, BodyError, validate


_FAULT_MESSAGES = {
    429: "Too many requests: rate limit exceeded, retry later",
    500: "Internal server error",
    502: "Bad gateway",
    503: "Service temporarily unavailable",
    504: "Gateway timeout",
}


def error_response(status: int, message: str, detail: Any = None, headers: dict[str, str] | None = None) -> JSONResponse:
    body = {"code": status, "message": message, "raw_message": "", "detail": detail}
    return JSONResponse(body, status_code=status, headers=headers)


def _core(request: Request) -> SandboxCore:
    return request.app.state.core


def _cdn_base(request: Request) -> str:
    # Built from the Host the client used, so URLs work for whoever asked.
    return f"{request.url.scheme}://{request.url.netloc}/cdn"


def _unauthorized(request: Request) -> JSONResponse | None:
    if _core(request).key_accepted(request.headers.get("x-api-key")):
        return None
    return error_response(401, "Failed to verify api key")


async def _json_body(request: Request, endpoint: str) -> Any:
    content_type = request.headers.get("content-type", "").lower()
    if content_type.startswith(("multipart/", "application/x-www-form-urlencoded")):
        raise RequestRefused(
            400,
            f"{endpoint} expects a JSON body (Content-Type: application/json); form/multipart uploads are not "
            "supported — send the mask as JSON {\"areas\": [...]} or {\"url\": ...}",
            {"field": "body"},
        )
    raw = await request.body()
    if not raw.strip():
        raise RequestRefused(400, "request body must be a JSON object", {"field": "body"})
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise RequestRefused(400, "request body is not valid JSON", {"field": "body"}) from None


# --- API routes ---------------------------------------------------------------------------


async def submit(request: Request) -> Response:
    if (denied := _unauthorized(request)) is not None:
        return denied
    core = _core(request)
    endpoint = request.path_params["endpoint"]
    if endpoint not in ENDPOINT_FIELDS:
        return error_response(404, f"unknown endpoint /v1/{endpoint}")
    try:
        body = validate(endpoint, await _json_body(request, endpoint))
        if endpoint == "describe":  # may render the described image: keep the loop free
            job = await run_in_threadpool(build_job, core, endpoint, body, request.url.path)
        else:
            job = build_job(core, endpoint, body, request.url.path)
        answer = core.state.accept(job, _cdn_base(request), progress=core.progress)
    except BodyError as exc:
        return error_response(400, exc.message, exc.detail)
    except RequestRefused as exc:
        return error_response(exc.status, exc.message, exc.detail)
    except InsufficientCredits as exc:
        return error_response(
            402,
            f"Insufficient credits: this task needs {exc.needed}, the balance is {exc.available}",
            {"needed": exc.needed, "available": exc.available},
        )
    return JSONResponse(answer)


async def get_job(request: Request) -> Response:
    if (denied := _unauthorized(request)) is not None:
        return denied
    job_id = request.path_params["job_id"]
    core = _core(request)
    body = core.state.job_json(job_id, _cdn_base(request), progress=core.progress)
    if body is None:
        return error_response(404, f"job {job_id} not found")
    return JSONResponse(body)


async def balance(request: Request) -> Response:
    if (denied := _unauthorized(request)) is not None:
        return denied
    core = _core(request)
    return JSONResponse(balance_body(core.state.balance, iso(core.clock.now())))


async def account_info(request: Request) -> Response:
    if (denied := _unauthorized(request)) is not None:
        return denied
    core = _core(request)
    body = account_info_body(
        balance=core.state.balance,
        used=core.state.used_credits,
        monthly_limit=core.balance,
        created_at=core.account_created,
        now=core.clock.now(),
    )
    return JSONResponse(body)


async def active_tasks(request: Request) -> Response:
    # No refusal at submit when len(tasks) reaches concurrent_limit: neither the OpenAPI file
    # nor REFERENCE.md documents one (see account.py).
    if (denied := _unauthorized(request)) is not None:
        return denied
    core = _core(request)
    tasks = core.state.active_tasks(progress=core.progress)
    return JSONResponse(active_tasks_body(tasks, core.concurrent_limit, core.clock.now()))


# --- CDN ----------------------------------------------------------------------------------


def _media_job(request: Request, pattern) -> tuple[Any, str] | Response:
    match = pattern.match(request.url.path)
    core = _core(request)
    job = core.state.job(match["job"]) if match else None
    if job is None or job.status != "completed":
        return error_response(404, "file not found")
    if core.clock.now() - job.created_at > IMAGE_STORAGE_SECONDS:
        return error_response(404, "file expired: generated images are stored for 30 days")
    index = match["index"]
    if index != "grid" and int(index) >= job.outputs:
        return error_response(404, "file not found")
    return job, index


async def cdn_image(request: Request) -> Response:
    found = _media_job(request, CDN_IMAGE)
    if isinstance(found, Response):
        return found
    job, index = found
    ending = CDN_IMAGE.match(request.url.path)["ending"]
    if ending != job.image_ending:
        return error_response(404, "file not found")
    data = await run_in_threadpool(_core(request).renderer.file, job.job_id, index)
    return Response(data, media_type=FILE_FORMATS[ending][1], headers={"cache-control": "public, max-age=86400"})


async def cdn_video(request: Request) -> Response:
    found = _media_job(request, CDN_VIDEO)
    if isinstance(found, Response):
        return found
    job, index = found
    data = await run_in_threadpool(_core(request).renderer.video, job.job_id, int(index))
    return Response(data, media_type="video/mp4", headers={"cache-control": "public, max-age=86400"})


async def _http_error(request: Request, exc: Exception) -> Response:
    status = getattr(exc, "status_code", 500)
    if status == 405:
        return error_response(405, f"method {request.method} not allowed on {request.url.path}")
    return error_response(status, "not found" if status == 404 else str(getattr(exc, "detail", "error")))


# --- faults and recording -----------------------------------------------------------------


class RecordAndFaults:
    """Outermost ASGI layer: records every request (key redacted), then injects faults."""

    def __init__(self, app: Any, core: SandboxCore) -> None:
        self.app = app
        self.core = core

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        method, path = scope["method"], scope["path"]
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        self.core.state.record(
            Received(method, path, _maybe_json(bytes(body), headers), redact(headers),
                     scope.get("query_string", b"").decode("latin-1"))
        )

        fault = self.core.faults.for_request(method, path)
        if fault is not None and fault.kind == SLOW:
            if not await self._delay(fault.seconds, receive, scope):
                return  # the client gave up (or the server is stopping): nobody to answer
            fault = None

        delivered = False

        async def replay() -> dict:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()

        if fault is None:
            await self.app(scope, replay, send)
            return
        if fault.after:

            async def swallow(message: dict) -> None:
                return None

            await self.app(scope, replay, swallow)  # the job is created; its answer is lost
        await self._strike(fault, scope, send)

    async def _delay(self, seconds: float, receive: Any, scope: dict) -> bool:
        """Wait `seconds`; False if the client disconnected or the server stopped meanwhile."""
        sleeper = asyncio.ensure_future(asyncio.sleep(seconds))
        listener = asyncio.ensure_future(receive())  # the body is read: this waits for a disconnect
        try:
            done, _ = await asyncio.wait({sleeper, listener}, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            await self._drop(scope)  # stopping: close quietly instead of logging a traceback
            return False
        finally:
            sleeper.cancel()
            listener.cancel()
        return sleeper in done and listener not in done

    async def _strike(self, fault: Fault, scope: dict, send: Any) -> None:
        if fault.kind == DROP:
            await self._drop(scope)
            return
        status = fault.status or 500
        headers = {}
        if status == 429:
            headers["retry-after"] = retry_after_header(self.core.faults.retry_after)
        response = error_response(status, _FAULT_MESSAGES.get(status, "injected fault"), headers=headers)
        await response(scope, self._no_receive, send)

    @staticmethod
    async def _no_receive() -> dict:
        return {"type": "http.disconnect"}

    async def _drop(self, scope: dict) -> None:
        client = scope.get("client")
        protocol = self.core.connections.get(tuple(client)) if client else None
        transport = getattr(protocol, "transport", None)
        if transport is None:
            return
        transport.close()
        # Let the server notice the closed connection before this app returns, so it does
        # not try to answer with a 500 of its own.
        for _ in range(10):
            cycle = getattr(protocol, "cycle", None)
            if cycle is None or getattr(cycle, "disconnected", True):
                break
            await asyncio.sleep(0)


def _maybe_json(body: bytes, headers: dict[str, str]) -> Any:
    if not body or headers.get("content-type", "").lower().startswith("multipart/"):
        return None
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None


def create_app(core: SandboxCore) -> Any:
    routes = [
        Route("/api/v1/job/{job_id}", get_job, methods=["GET"]),
        Route("/api/account/balance", balance, methods=["GET"]),
        *(
            [
                Route("/api/account/info", account_info, methods=["GET"]),
                Route("/api/account/active_tasks", active_tasks, methods=["GET"]),
            ]
            if core.account_endpoints
            else []  # a server without them: Starlette's 404, answered by _http_error
        ),
        Route("/api/v1/{endpoint}", submit, methods=["POST"]),
        Route("/cdn/mj/{name}", cdn_image, methods=["GET"]),
        Route("/cdn/video/{name}", cdn_video, methods=["GET"]),
    ]
    app = Starlette(routes=routes, exception_handlers={HTTPException: _http_error})
    app.state.core = core
    return RecordAndFaults(app, core)
