"""A small hostile Legnext server on loopback, for the hardening tests.

It speaks enough of the API for the studio to run jobs against it (POST /v1/<op>, GET
/v1/job/{id}, /account/balance, /account/active_tasks, and the output files), and each route
can be switched to one hostile behaviour (`server.cases[route] = case`):

    ok            the honest answer
    gzip-bomb     1 MiB of gzip that inflates to 1 GiB
    huge-json     64 MiB of JSON, sent with no Content-Length (only counting while reading stops it)
    huge-declared a Content-Length of 2 GB (refused from the header)
    trickle       the headers, then one byte every `trickle_every` seconds, for ever
    bad-id        a job id that is not one: ".." (POST) or "../../etc/passwd" (GET, listing)
    redirect:URL  302 to URL (file:, ftp:, data: ...)
    pixel-bomb    (file) a 100 KB PNG declaring 100,000 × 100,000 pixels
    big-png       (file) a real 12,000 × 12,000 PNG of 420 KB (432 MB of pixels)
    huge-file     (file) an endless "PNG" with no Content-Length
    missing       404 (active_tasks: a server without the listing)

Routes: "post", "job", "file", "tasks", "balance". The standard library only (http.server in a
thread), so the server's own memory and timing never depend on the client under test.
"""

from __future__ import annotations

import json
import re
import struct
import threading
import time
import uuid
import zlib
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MiB = 1 << 20


# ---- payloads, built without ever holding what they inflate to --------------------------------

def _flushed_block(chunk: bytes, level: int = 9) -> bytes:
    """`chunk` deflated then fully flushed: the same bytes every time, so N copies in a row are
    a valid raw deflate stream of N chunks (the trick that makes 1 GiB bombs in 0.5 s)."""
    c = zlib.compressobj(level, zlib.DEFLATED, -15)
    return c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)


def _final_block() -> bytes:
    return zlib.compressobj(9, zlib.DEFLATED, -15).flush()


@lru_cache(maxsize=1)
def gzip_bomb(inflated: int = 1 << 30) -> bytes:
    """A gzip body of about 1 MiB that inflates to `inflated` zero bytes (a multiple of 1 MiB)."""
    zeros = bytes(MiB)
    count = inflated // MiB
    crc = 0
    for _ in range(count):
        crc = zlib.crc32(zeros, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
    return header + _flushed_block(zeros) * count + _final_block() + struct.pack("<II", crc, inflated & 0xFFFFFFFF)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _png(width: int, height: int, idat: bytes) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")


@lru_cache(maxsize=2)
def black_png(width: int, height: int) -> bytes:
    """A real, decodable black RGB PNG of width × height, made from zero rows without ever
    holding them (12,000² is 432 MB of pixels in a 420 KB file)."""
    total = height * (1 + 3 * width)  # each row: filter byte 0, then zero pixels
    zeros = bytes(MiB)
    whole, rest = divmod(total, MiB)
    adler = 1
    for _ in range(whole):
        adler = zlib.adler32(zeros, adler)
    adler = zlib.adler32(bytes(rest), adler)
    stream = bytearray(b"\x78\xda")  # zlib header, best compression
    stream += _flushed_block(zeros) * whole
    tail = zlib.compressobj(9, zlib.DEFLATED, -15)
    stream += tail.compress(bytes(rest)) + tail.flush()
    stream += struct.pack(">I", adler)
    return _png(width, height, bytes(stream))


def pixel_bomb() -> bytes:
    """A PNG whose header declares 100,000 × 100,000 pixels (37 GiB decoded); its data is
    only the start of the rows, which is all a reader that checks the header ever sees."""
    c = zlib.compressobj(9)
    data = c.compress(bytes(4 * MiB)) + c.flush(zlib.Z_SYNC_FLUSH)
    return _png(100_000, 100_000, data)


@lru_cache(maxsize=1)
def small_png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 120, 40)).save(out, "PNG")
    return out.getvalue()


# ---- the server ---------------------------------------------------------------------------------

_POST = re.compile(r"^/api/v1/([a-z-]+)$")
_JOB = re.compile(r"^/api/v1/job/(.+)$")
_FILE = re.compile(r"^/files/(.+)$")


def job_body(job_id: str, status: str, images: list[str] | None = None, task_type: str = "diffusion") -> dict[str, Any]:
    return {
        "job_id": job_id, "model": "midjourney", "task_type": task_type, "status": status,
        "config": {"service_mode": "public", "webhook_config": {"endpoint": "", "secret": ""}},
        "input": None,
        "output": {"image_url": images[0] if images else "", "image_urls": images, "seed": "42"},
        "meta": {"created_at": "2026-01-01T00:00:00Z", "started_at": "0001-01-01T00:00:00Z",
                 "ended_at": "0001-01-01T00:00:00Z", "usage": {"type": "point", "frozen": 80, "consume": 0}},
        "detail": None, "logs": [], "error": {"code": 0, "raw_message": "", "message": "", "detail": None},
    }


class HostileServer:
    """The server (start/stop, or use as a context manager). `cases` picks each route's
    behaviour; `hits` counts requests per route; `jobs` holds the jobs POSTs created."""

    def __init__(self, *, trickle_every: float = 0.25, images_per_job: int = 4) -> None:
        self.cases: dict[str, str] = {}
        self.hits: dict[str, int] = {}
        self.jobs: dict[str, dict[str, Any]] = {}
        self.keys_seen: list[str | None] = []
        self.trickle_every = trickle_every
        self.images_per_job = images_per_job
        self._stop = threading.Event()
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def handle(self) -> None:
                try:
                    super().handle()
                except (ConnectionError, TimeoutError):
                    pass  # the client hung up: what a refusal looks like from here

            def do_GET(self) -> None:  # noqa: N802
                server._handle(self)

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("content-length") or 0)
                self.rfile.read(length)
                server._handle(self)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="hostile", daemon=True)

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> HostileServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> HostileServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- routing --

    def _route(self, method: str, path: str) -> tuple[str, str]:
        if method == "POST" and (m := _POST.match(path)):
            return "post", m.group(1)
        if (m := _JOB.match(path)):
            return "job", m.group(1)
        if (m := _FILE.match(path)):
            return "file", m.group(1)
        if path == "/api/account/balance":
            return "balance", ""
        if path == "/api/account/active_tasks":
            return "tasks", ""
        return "other", ""

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        path = h.path.split("?", 1)[0]
        route, arg = self._route(h.command, path)
        with self._lock:
            self.hits[route] = self.hits.get(route, 0) + 1
            self.keys_seen.append(h.headers.get("x-api-key"))
        case = self.cases.get(route, "ok")
        try:
            self._answer(h, route, arg, case)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            pass  # the client stopped reading: what a refusal looks like from here

    def _answer(self, h: BaseHTTPRequestHandler, route: str, arg: str, case: str) -> None:
        if case.startswith("redirect:"):
            return self._send(h, 302, b"", headers={"Location": case[len("redirect:"):]})
        if case == "missing" or route == "other":
            return self._json(h, {"code": 404, "message": "not found"}, status=404)
        if case == "gzip-bomb":
            self._created(route, arg)
            return self._send(h, 200, gzip_bomb(), headers={"Content-Type": "application/json",
                                                            "Content-Encoding": "gzip"})
        if case == "huge-json":
            self._created(route, arg)
            return self._stream(h, b'{"job_id": "' + str(uuid.uuid4()).encode() + b'", "pad": "',
                                b"a" * MiB, 64, b'"}')
        if case == "huge-declared":
            self._created(route, arg)
            h.send_response(200)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(2_000_000_000))
            h.end_headers()
            h.wfile.write(b'{"job_id": ')
            return None
        if case == "trickle":
            self._created(route, arg)
            return self._trickle(h)
        if route == "post":
            return self._post(h, arg, case)
        if route == "job":
            return self._job(h, arg, case)
        if route == "tasks":
            return self._tasks(h, case)
        if route == "balance":
            return self._json(h, {"code": 200, "message": "success",
                                  "data": {"account_id": 1, "available_credits": 5000, "available_points": 5000}})
        return self._file(h, arg, case)

    def _created(self, route: str, op: str) -> None:
        """A POST's job is created before its answer goes wrong (the case a lost answer makes)."""
        if route == "post":
            self._new_job(op)

    def _new_job(self, op: str) -> str:
        job_id = str(uuid.uuid4())
        with self._lock:
            self.jobs[job_id] = {"op": op.replace("-", "_"), "created": time.time()}
        return job_id

    def _post(self, h: BaseHTTPRequestHandler, op: str, case: str) -> None:
        job_id = self._new_job(op)
        shown = ".." if case == "bad-id" else job_id
        self._json(h, job_body(shown, "pending", task_type=op.replace("-", "_")))

    def _job(self, h: BaseHTTPRequestHandler, job_id: str, case: str) -> None:
        if case == "bad-id":
            return self._json(h, job_body("../../etc/passwd", "completed", [self.url("/files/x-0.png")]))
        job = self.jobs.get(job_id)
        if job is None:
            return self._json(h, {"code": 404, "message": f"job {job_id} not found"}, status=404)
        images = [self.url(f"/files/{job_id}-{n}.png") for n in range(self.images_per_job)]
        self._json(h, job_body(job_id, "completed", images, task_type=job["op"]))

    def _tasks(self, h: BaseHTTPRequestHandler, case: str) -> None:
        with self._lock:
            listed = [{"job_id": "../../x" if case == "bad-id" else job_id, "task_type": job["op"],
                       "status": "processing", "progress": 50, "estimated_time": 1,
                       "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(job["created"]))}
                      for job_id, job in self.jobs.items()]
        self._json(h, {"account_id": "5a4d6b1e-0000-4000-8000-000000000001", "total_active": len(listed),
                       "concurrent_limit": 10, "tasks": listed,
                       "updated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})

    def _file(self, h: BaseHTTPRequestHandler, name: str, case: str) -> None:
        if case == "pixel-bomb":
            return self._send(h, 200, pixel_bomb(), headers={"Content-Type": "image/png"})
        if case == "big-png":
            return self._send(h, 200, black_png(12_000, 12_000), headers={"Content-Type": "image/png"})
        if case == "huge-file":
            return self._stream(h, b"\x89PNG\r\n\x1a\n", bytes(MiB), 1 << 20, b"")
        self._send(h, 200, small_png(), headers={"Content-Type": "image/png"})

    # -- writing --

    def _json(self, h: BaseHTTPRequestHandler, body: Any, *, status: int = 200) -> None:
        self._send(h, status, json.dumps(body).encode(), headers={"Content-Type": "application/json"})

    def _send(self, h: BaseHTTPRequestHandler, status: int, payload: bytes, *,
              headers: dict[str, str] | None = None) -> None:
        h.send_response(status)
        for name, value in (headers or {}).items():
            h.send_header(name, value)
        h.send_header("Content-Length", str(len(payload)))
        h.end_headers()
        h.wfile.write(payload)

    def _stream(self, h: BaseHTTPRequestHandler, head: bytes, piece: bytes, count: int, tail: bytes) -> None:
        """`head`, `count` × `piece`, `tail`, with no length: the client learns the size only by
        reading (the connection closes at the end)."""
        h.send_response(200)
        h.send_header("Content-Type", "application/octet-stream")
        h.send_header("Connection", "close")
        h.end_headers()
        h.close_connection = True
        h.wfile.write(head)
        for _ in range(count):
            if self._stop.is_set():
                return
            h.wfile.write(piece)
        h.wfile.write(tail)

    def _trickle(self, h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Connection", "close")
        h.end_headers()
        h.close_connection = True
        h.wfile.flush()
        for byte in json.dumps(job_body(str(uuid.uuid4()), "pending")).encode() * 1000:
            if self._stop.wait(self.trickle_every):
                return
            h.wfile.write(bytes([byte]))
            h.wfile.flush()
