"""The async Legnext client: one method per documented endpoint, on one httpx connection pool.

Each method checks its arguments against the documented rules (nothing is sent when one is
broken), builds the JSON body with the documented field names (unset optional fields left
out), sends it under the retry policy, and returns a typed `Job` (or `Balance`).
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import ssl
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any, Awaitable, Callable, Mapping, Sequence, TypeVar
from urllib.parse import quote, urlsplit

import httpx

from studio.api import bodies
from studio.api.errors import (
    APIError,
    BadJobIdError,
    InsecureURLError,
    LegnextError,
    MalformedResponseError,
    NetworkError,
    RedirectError,
    RequestTimeoutError,
    ServerError,
    TooSlowError,
    ValidationError,
    api_error,
    parse_retry_after,
)
from studio import limits as limits_module
from studio import logs
from studio.limits import BodyLimit, Limits
from studio.api.origins import is_loopback, origin as _origin, plain_http_off_machine
from studio.api.models import AccountInfo, ActiveTasks, Balance, Job
from studio.api.requests import (
    Canvas,
    CanvasImg,
    Mask,
    check_server_job_id,
    is_job_id,
)
from studio.api.job_requests import (
    BlendRequest,
    DescribeRequest,
    DiffusionRequest,
    EditRequest,
    EnhanceRequest,
    EnhanceUpscaleRequest,
    ExtendVideoRequest,
    InpaintRequest,
    JobRequest,
    OutpaintRequest,
    PanRequest,
    RemixRequest,
    RemoveBackgroundRequest,
    RerollRequest,
    RetextureRequest,
    ShortenRequest,
    UploadPaintRequest,
    UpscaleRequest,
    VariationRequest,
    VideoDiffusionRequest,
    VideoUpscaleRequest,
)
from studio.api.operations import OPERATIONS
from studio.api.retry import RetryPolicy

log = logging.getLogger("studio.api")

DEFAULT_BASE_URL = "https://api.legnext.ai/api"
USER_AGENT = "legnext-studio/0.1"
KEY_HEADER = "x-api-key"  # how the documented API takes the key
ACCEPT_JSON = {"Accept": "application/json"}  # on every API request the client sends

# Client method name → endpoint path under the base URL, from the one operations table.
ENDPOINTS: dict[str, str] = {op.name: op.path for op in OPERATIONS.values()}
JOB_PATH = "/v1/job/{job_id}"
BALANCE_PATH = "/account/balance"  # documented without /v1
# In the OpenAPI file only (REFERENCE.md lacks them), also without /v1.
ACCOUNT_INFO_PATH = "/account/info"
ACTIVE_TASKS_PATH = "/account/active_tasks"


@functools.lru_cache(maxsize=2)
def _ssl_context(trust_env: bool) -> ssl.SSLContext:
    """httpx's default TLS context, built once: loading the CA bundle costs ~40 ms per client."""
    return httpx.create_ssl_context(trust_env=trust_env)


T = TypeVar("T")


def _request_error(exc: httpx.HTTPError, method: str, url: str) -> LegnextError:
    """Any httpx failure as one of ours: no httpx exception may reach the caller raw."""
    where = f"{method} {urlsplit(url).path}"
    if isinstance(exc, httpx.DecodingError):
        # The body arrived but its content-encoding was broken (e.g. a bad gzip stream).
        return MalformedResponseError(f"{where}: the answer could not be decoded ({exc})")
    if isinstance(exc, httpx.TooManyRedirects):
        return RedirectError(f"{where}: {exc}")
    if isinstance(exc, httpx.TransportError):
        return _network_error(exc, method, url)
    # Any other kind: the request may have gone out, so count it as sent (a POST is not re-sent).
    return NetworkError(f"{where}: request failed ({type(exc).__name__}: {exc})", request_sent=True)


def _network_error(exc: httpx.TransportError, method: str, url: str) -> NetworkError:
    where = f"{method} {urlsplit(url).path}"
    # Connect/pool failures happen before a byte of the request is written: certainly not sent.
    if isinstance(exc, (httpx.ConnectTimeout, httpx.PoolTimeout)):
        return RequestTimeoutError(f"{where}: could not connect in time ({exc!r})", request_sent=False)
    if isinstance(exc, httpx.TimeoutException):
        return RequestTimeoutError(f"{where}: no answer in time ({type(exc).__name__})", request_sent=True)
    if isinstance(exc, (httpx.ConnectError, httpx.UnsupportedProtocol)):
        return NetworkError(f"{where}: could not connect ({exc})", request_sent=False)
    return NetworkError(f"{where}: connection failed ({type(exc).__name__}: {exc})", request_sent=True)


def _decode_json(body: bytes, status: int) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: absurdly nested JSON
        text = body.decode("utf-8", "replace")
        snippet = text[:200] if body else "(empty body)"
        raise MalformedResponseError(
            f"HTTP {status}: expected JSON, got {snippet!r}", body=text, status=status,
        ) from None


def _error_from_response(response: httpx.Response, body: bytes) -> LegnextError:
    try:
        parsed: Any = json.loads(body) if body else ""
    except (ValueError, UnicodeDecodeError, RecursionError):
        parsed = body.decode("utf-8", "replace")
    return api_error(
        response.status_code,
        parsed,
        reason=response.reason_phrase,
        retry_after=parse_retry_after(response.headers.get("retry-after")),
    )


class _Sent:
    """Whether any byte of a request may have left (httpcore's trace events say when sending
    starts): a request cut off before that certainly never reached the server. A transport
    that reports no events at all (a test's MockTransport) is taken as having sent."""

    def __init__(self) -> None:
        self.traced = False
        self.started = False

    async def __call__(self, name: str, info: Mapping[str, Any]) -> None:
        self.traced = True
        if name.endswith("send_request_headers.started"):
            self.started = True

    @property
    def certainly_not(self) -> bool:
        return self.traced and not self.started


def _error_code(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value != 0 else None


def _error_for(code: int, data: Mapping[str, Any], status: int) -> APIError:
    """The error an error code in a 2xx body stands for: its own class when it is an HTTP status,
    else (a vendor-specific code) a plain refusal that still shows the server's words."""
    if 400 <= code <= 599:
        return api_error(code, data)
    refused = api_error(status, data)
    refused.user_message = f"The Legnext server refused the request: {refused.message}"
    return refused


def _embedded_error(data: Any, status: int) -> APIError | None:
    """A 2xx answer whose body is really an error object, {"code": >= 400, "message": ...}.

    The balance endpoint's own {"code", "message", "data": null} envelope is one of them. A body
    with a job id never is: that job exists, and the watcher reports how it ended.
    """
    if not isinstance(data, Mapping) or data.get("job_id") or data.get("jobId"):
        return None
    code = _error_code(data.get("code"))
    return _error_for(code, data, status) if code is not None and code >= 400 else None


def _refusal(job: Job, data: Mapping[str, Any], status: int) -> APIError | None:
    """A POST answered with no job_id but an "error" saying why: the server refused the job."""
    if not job.error.is_set:
        return None
    code = _error_code(job.error.code)
    return _error_for(code if code is not None else status, data, status)


def _check_answered_id(job_id: Any, op: str, status: int) -> None:
    """A job id a server answered with: it will be part of a path and a file name, so only the
    documented uuid form is taken."""
    if not is_job_id(job_id):
        raise BadJobIdError(f"{op}: the answer's job_id {str(job_id)[:80]!r} is not a job id (a uuid)",
                            job_id=job_id, status=status)


class LegnextClient:
    """Async client for the Legnext API (or the sandbox, which speaks the same API).

    The API key is kept only in memory and sent only to the API's own origin; it never appears
    in repr, logs or exception texts.
    """

    def __init__(
        self,
        api_key: str,
        base_url: str = DEFAULT_BASE_URL,
        *,
        timeout: float = 30,
        retry: RetryPolicy | None = None,
        http: httpx.AsyncClient | None = None,
        limits: Limits | None = None,
        allow_plain_http: bool = False,
    ) -> None:
        key = (api_key or "").strip()
        if not key.isascii() or any(not ch.isprintable() for ch in key):
            raise ValidationError("api_key", "contains characters an API key cannot have; paste it again")
        origin = _origin(base_url)
        if origin is None or origin[0] not in ("http", "https"):
            raise ValidationError("base_url", f"must be an http(s) URL, got {base_url!r}")
        # The key would travel in clear: only with the documented override (it warns every start).
        if plain_http_off_machine(base_url) and not allow_plain_http:
            raise InsecureURLError("base_url", base_url)
        logs.add_secret(key)  # whatever is logged from here on, the key is not in it
        self._api_key = key
        self.base_url = base_url.rstrip("/")
        self._origin = origin
        self._allow_plain_http = allow_plain_http
        self.retry = retry or RetryPolicy()
        self.timeout = timeout
        self.limits = limits or limits_module.DEFAULT_LIMITS
        self._owns_http = http is None
        # Proxy settings from the environment apply to the real API, never to a loopback sandbox.
        trust_env = not is_loopback(origin[1])
        self._http = http or httpx.AsyncClient(
            timeout=httpx.Timeout(timeout),
            trust_env=trust_env,
            verify=_ssl_context(trust_env),
            headers={"User-Agent": USER_AGENT},
        )
        self.operations: dict[str, Callable[..., Awaitable[Job]]] = {
            name: getattr(self, name) for name in ENDPOINTS
        }

    def __repr__(self) -> str:
        return f"LegnextClient(base_url={self.base_url!r})"

    async def __aenter__(self) -> LegnextClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    @property
    def http(self) -> httpx.AsyncClient:
        """The one connection pool every call (and the job watcher) goes through."""
        return self._http

    # ---- transport ------------------------------------------------------------------------

    def _set_key(self, request: httpx.Request) -> None:
        """The key on a request to the API's own origin, and off any other (checked per hop);
        never over plain http to another machine, unless the override allowed that origin."""
        request.headers.pop(KEY_HEADER, None)
        if _origin(request.url) == self._origin and (
                not plain_http_off_machine(request.url) or self._allow_plain_http):
            request.headers[KEY_HEADER] = self._api_key

    async def _request(
        self, method: str, url: str, json_body: dict[str, Any] | None, follow_redirects: bool,
        sent: _Sent,
    ) -> httpx.Response:
        """One try, the answer's body not yet read (the caller reads it within its limit),
        following redirects by hand when asked: httpx would copy the key onto every hop
        whatever its host (it strips only Authorization)."""
        accept = ACCEPT_JSON["Accept"] if not follow_redirects else "*/*"
        # Only the codings the body reader can inflate within its limit (whatever httpx offers).
        request = self._http.build_request(
            method, url, json=json_body, headers={"Accept": accept, "Accept-Encoding": bodies.ACCEPT_ENCODING})
        hops = 0
        while True:
            self._set_key(request)
            request.extensions["trace"] = sent
            try:
                response = await self._http.send(request, follow_redirects=False, stream=True)
            except httpx.InvalidURL as exc:  # the URL was checked: what fails is a redirect's target
                raise RedirectError(
                    f"{method} {urlsplit(url).path}: redirected to an address httpx cannot use ({exc})",
                    user_message="The server redirected the request to an address that cannot be used.",
                ) from None
            if not follow_redirects or response.next_request is None:
                return response
            await response.aclose()
            hops += 1
            if hops > self._http.max_redirects:
                raise httpx.TooManyRedirects(
                    f"gave up after {self._http.max_redirects} redirects", request=request
                )
            request = response.next_request
            if request.url.scheme not in ("http", "https") or _origin(request.url) is None:
                raise RedirectError(
                    f"{method} {urlsplit(url).path}: redirected to an unusable URL {str(request.url)[:200]!r}",
                    status=response.status_code,
                    user_message="The server redirected the request to an address that cannot be used.",
                )

    async def _exchange(
        self,
        method: str,
        url: str,
        limit: BodyLimit,
        read: Callable[[httpx.Response, str], Awaitable[T]],
        *,
        json_body: dict[str, Any] | None = None,
        follow_redirects: bool = False,
    ) -> T:
        """One logical request under the retry policy: each try must complete (connect, send,
        the whole answer read by `read`) within `limit.deadline`; a 2xx answer is handed to
        `read(response, where)`, whose result is returned; anything else raises."""
        where = f"{method} {urlsplit(url).path}"
        attempt = 1
        while True:
            sent = _Sent()
            cause: BaseException | None = None
            try:
                async with asyncio.timeout(limit.deadline):
                    response = await self._request(method, url, json_body, follow_redirects, sent)
                    try:
                        if response.is_success:
                            return await read(response, where)
                        body = await bodies.read_start(response)
                    finally:
                        await response.aclose()
                error: LegnextError = _error_from_response(response, body)
            except TimeoutError:
                error = TooSlowError(
                    f"{where}: no complete answer within {limit.deadline:g} s (the server was too slow)",
                    deadline=limit.deadline, request_sent=not sent.certainly_not)
            except httpx.InvalidURL as exc:  # raised before anything is sent
                raise ValidationError("url", f"is not a usable URL ({exc})") from None
            except httpx.HTTPError as exc:
                error, cause = _request_error(exc, method, url), exc
            except LegnextError as exc:  # the body was refused while it arrived (too large, ...)
                error, cause = exc, None
            if isinstance(error, NetworkError) and sent.certainly_not:
                error.request_sent = False  # cut off before a byte of the request left
            if not self.retry.should_retry(method, error, attempt):
                log.info("%s failed after %d attempt(s): %s", where, attempt, type(error).__name__)
                raise error from cause
            delay = self.retry.delay(attempt, error)
            log.info("%s: %s, retrying in %.2f s", where, type(error).__name__, delay)
            await self.retry.sleep(delay)
            attempt += 1

    async def _json(self, method: str, url: str, limit: BodyLimit,
                    json_body: dict[str, Any] | None = None) -> tuple[int, Any]:
        """(status, parsed JSON) of a 2xx answer read within `limit`."""

        async def read(response: httpx.Response, where: str) -> tuple[int, bytes]:
            return response.status_code, await bodies.read_body(response, limit, where)

        status, body = await self._exchange(method, url, limit, read, json_body=json_body)
        return status, _decode_json(body, status)

    async def _get_json(self, path: str) -> Any:
        status, data = await self._json("GET", self.base_url + path, self.limits.json)
        embedded = _embedded_error(data, status)
        if embedded is not None:
            raise embedded
        return data

    async def _post_job(self, op: str, payload: dict[str, Any]) -> Job:
        try:
            status, data = await self._json("POST", self.base_url + ENDPOINTS[op], self.limits.post, payload)
            embedded = _embedded_error(data, status)
            if embedded is not None:
                raise embedded
            job = Job.from_dict(data)
            if not job.job_id:
                raise _refusal(job, data, status) or MalformedResponseError(
                    f"{op}: the answer has no job_id, so the job cannot be followed",
                    body=data,
                    status=status,
                )
            _check_answered_id(job.job_id, op, status)
            return job
        except (NetworkError, ServerError, MalformedResponseError) as exc:
            # The POST may have reached the server and created (and charged for) the job: the
            # message must not say "try again". Only a connection never made is certainly safe.
            if not isinstance(exc, NetworkError) or exc.request_sent:
                exc.mark_may_have_run()
            raise

    # ---- dispatch ---------------------------------------------------------------------------

    async def submit(self, request: JobRequest) -> Job:
        """POST one typed request (studio.api.job_requests): its checks run first, so a bad
        argument sends nothing; the endpoint is its operation's."""
        return await self._post_job(request.operation.name, request.body())

    # ---- reads ------------------------------------------------------------------------------

    async def get_job(self, job_id: str) -> Job:
        check_server_job_id("job_id", job_id)  # it becomes a path segment: never "..", never "a/b"
        data = await self._get_json(JOB_PATH.format(job_id=quote(job_id, safe="")))
        job = Job.from_dict(data)
        if not job.job_id:
            job.job_id = job_id
        elif job.job_id != job_id:
            _check_answered_id(job.job_id, "job", 200)
        return job

    async def balance(self) -> Balance:
        return Balance.from_dict(await self._get_json(BALANCE_PATH))

    async def active_tasks(self) -> ActiveTasks:
        """The account's jobs that have not ended, and its concurrent_limit. NotFoundError
        means the server lacks the endpoint (it is in the OpenAPI file, not the published docs).
        A listed job whose id is not a job id is left out (it could never be followed)."""
        listing = ActiveTasks.from_dict(await self._get_json(ACTIVE_TASKS_PATH))
        bad = [task.job_id for task in listing.tasks if not is_job_id(task.job_id)]
        if bad:
            log.warning("active tasks: left out %d job(s) whose id is not a uuid: %r", len(bad), bad[:3])
            listing.tasks = [task for task in listing.tasks if is_job_id(task.job_id)]
        return listing

    async def account_info(self) -> AccountInfo:
        """Plan, balance, used credits and quota. NotFoundError: the server lacks the endpoint."""
        return AccountInfo.from_dict(await self._get_json(ACCOUNT_INFO_PATH))

    def _file_url(self, url: str) -> str:
        origin = _origin(url) if isinstance(url, str) else None
        if origin is None or origin[0] not in ("http", "https"):
            raise ValidationError("url", f"must be an http(s) URL, got {url!r}")
        return url

    async def download(self, url: str, *, kind: str = "image") -> bytes:
        """Fetch an output file (image or video) with the GET retry policy, in memory: at most
        the limit of its kind (studio.limits), within its deadline."""
        limit = self.limits.file(kind)

        async def read(response: httpx.Response, where: str) -> bytes:
            return await bodies.read_body(response, limit, where)

        return await self._exchange("GET", self._file_url(url), limit, read, follow_redirects=True)

    async def download_into(self, url: str, consume: Callable[[AsyncIterator[bytes]], Awaitable[T]],
                            *, kind: str = "image") -> T:
        """Fetch an output file straight into `consume(chunks)` (the archive writes it to
        disk as it arrives, so memory never holds the file); returns what `consume` returns.
        The chunks stop with ResponseTooLargeError past the kind's limit. A try that fails on
        the wire is made again whole (`consume` is called again with fresh chunks); whatever
        `consume` itself raises ends the download."""
        limit = self.limits.file(kind)

        async def read(response: httpx.Response, where: str) -> T:
            # Closed in this task whether `consume` read it all or stopped early.
            async with aclosing(bodies.iter_body(response, limit, where)) as chunks:
                return await consume(chunks)

        return await self._exchange("GET", self._file_url(url), limit, read, follow_redirects=True)

    # ---- image generation -------------------------------------------------------------------

    async def diffusion(self, text: str, *, callback: str | None = None) -> Job:
        return await self.submit(DiffusionRequest(text=text, callback=callback))

    async def variation(
        self,
        job_id: str,
        image_no: int,
        type: int,
        remix_prompt: str | None = None,
        *,
        callback: str | None = None,
    ) -> Job:
        return await self.submit(
            VariationRequest(
                job_id=job_id, image_no=image_no, type=type, remix_prompt=remix_prompt, callback=callback
            )
        )

    async def upscale(self, job_id: str, image_no: int, type: int, *, callback: str | None = None) -> Job:
        return await self.submit(
            UpscaleRequest(job_id=job_id, image_no=image_no, type=type, callback=callback)
        )

    async def reroll(self, job_id: str, *, callback: str | None = None) -> Job:
        return await self.submit(RerollRequest(job_id=job_id, callback=callback))

    async def blend(self, img_urls: Sequence[str], aspect_ratio: str, *, callback: str | None = None) -> Job:
        return await self.submit(
            BlendRequest(img_urls=img_urls, aspect_ratio=aspect_ratio, callback=callback)
        )

    async def describe(self, img_url: str, *, callback: str | None = None) -> Job:
        return await self.submit(DescribeRequest(img_url=img_url, callback=callback))

    async def shorten(self, prompt: str, *, callback: str | None = None) -> Job:
        return await self.submit(ShortenRequest(prompt=prompt, callback=callback))

    async def pan(
        self,
        job_id: str,
        image_no: int,
        direction: int,
        scale: float,
        remix_prompt: str | None = None,
        *,
        callback: str | None = None,
    ) -> Job:
        return await self.submit(
            PanRequest(
                job_id=job_id,
                image_no=image_no,
                direction=direction,
                scale=scale,
                remix_prompt=remix_prompt,
                callback=callback,
            )
        )

    async def outpaint(
        self,
        job_id: str,
        image_no: int,
        scale: float,
        remix_prompt: str | None = None,
        *,
        callback: str | None = None,
    ) -> Job:
        return await self.submit(
            OutpaintRequest(
                job_id=job_id, image_no=image_no, scale=scale, remix_prompt=remix_prompt, callback=callback
            )
        )

    async def inpaint(
        self,
        job_id: str,
        image_no: int,
        mask: Mask,
        remix_prompt: str | None = None,
        *,
        callback: str | None = None,
    ) -> Job:
        return await self.submit(
            InpaintRequest(
                job_id=job_id, image_no=image_no, mask=mask, remix_prompt=remix_prompt, callback=callback
            )
        )

    async def remix(
        self,
        job_id: str,
        image_no: int,
        remix_prompt: str,
        mode: int | None = None,
        *,
        callback: str | None = None,
    ) -> Job:
        return await self.submit(
            RemixRequest(
                job_id=job_id, image_no=image_no, remix_prompt=remix_prompt, mode=mode, callback=callback
            )
        )

    async def edit(
        self,
        job_id: str,
        image_no: int,
        canvas: Canvas,
        img_pos: CanvasImg,
        remix_prompt: str,
        mask: Mask | None = None,
        *,
        callback: str | None = None,
    ) -> Job:
        return await self.submit(
            EditRequest(
                job_id=job_id,
                image_no=image_no,
                canvas=canvas,
                img_pos=img_pos,
                remix_prompt=remix_prompt,
                mask=mask,
                callback=callback,
            )
        )

    async def upload_paint(
        self,
        img_url: str,
        canvas: Canvas,
        img_pos: CanvasImg,
        remix_prompt: str,
        mask: Mask,
        *,
        callback: str | None = None,
    ) -> Job:
        return await self.submit(
            UploadPaintRequest(
                img_url=img_url,
                canvas=canvas,
                img_pos=img_pos,
                remix_prompt=remix_prompt,
                mask=mask,
                callback=callback,
            )
        )

    async def retexture(self, img_url: str, remix_prompt: str, *, callback: str | None = None) -> Job:
        return await self.submit(
            RetextureRequest(img_url=img_url, remix_prompt=remix_prompt, callback=callback)
        )

    async def remove_background(self, img_url: str, *, callback: str | None = None) -> Job:
        return await self.submit(RemoveBackgroundRequest(img_url=img_url, callback=callback))

    async def enhance(self, job_id: str, image_no: int, *, callback: str | None = None) -> Job:
        return await self.submit(EnhanceRequest(job_id=job_id, image_no=image_no, callback=callback))

    # ---- video --------------------------------------------------------------------------------

    async def video_diffusion(
        self,
        prompt: str | None = None,
        job_id: str | None = None,
        image_no: int | None = None,
        video_type: int | None = None,
        *,
        callback: str | None = None,
    ) -> Job:
        return await self.submit(
            VideoDiffusionRequest(
                prompt=prompt, job_id=job_id, image_no=image_no, video_type=video_type, callback=callback
            )
        )

    async def extend_video(
        self, job_id: str, video_no: int, prompt: str | None = None, *, callback: str | None = None
    ) -> Job:
        return await self.submit(
            ExtendVideoRequest(job_id=job_id, video_no=video_no, prompt=prompt, callback=callback)
        )

    async def video_upscale(self, job_id: str, video_no: int, *, callback: str | None = None) -> Job:
        return await self.submit(VideoUpscaleRequest(job_id=job_id, video_no=video_no, callback=callback))

    # ---- Topaz --------------------------------------------------------------------------------

    async def enhance_upscale(
        self,
        image_url: str | None = None,
        job_id: str | None = None,
        image_no: int | None = None,
        target_resolution: str | None = None,
        content_type: str | None = None,
        aspect_ratio: str | None = None,
        crop_mode: str | None = None,
        output_format: str | None = None,
        face_enhancement_level: str | None = None,
        *,
        callback: str | None = None,
    ) -> Job:
        return await self.submit(
            EnhanceUpscaleRequest(
                image_url=image_url,
                job_id=job_id,
                image_no=image_no,
                target_resolution=target_resolution,
                content_type=content_type,
                aspect_ratio=aspect_ratio,
                crop_mode=crop_mode,
                output_format=output_format,
                face_enhancement_level=face_enhancement_level,
                callback=callback,
            )
        )
