"""SandboxServer: the simulator on a loopback port, served by uvicorn in a daemon thread.

Start and stop are quick (tests run one server per test): the socket is bound before the
thread starts (so port=0 yields a free port at once), and stop() wakes the serving loop
directly instead of waiting for uvicorn's 100 ms polling tick.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from .account import DEFAULT_CONCURRENT_LIMIT
from .app import create_app
from .clock import SandboxClock
from .core import SandboxCore
from .faults import FaultInjector, FaultSpec
from .state import DEFAULT_MAX_REQUESTS, SandboxState

START_TIMEOUT = 10.0


def _protocol_class(core: SandboxCore) -> type[H11Protocol]:
    """uvicorn's h11 protocol, registering each connection so a fault can drop it."""

    class TrackedH11Protocol(H11Protocol):
        def connection_made(self, transport: Any) -> None:  # type: ignore[override]
            super().connection_made(transport)
            if self.client:
                core.connections[tuple(self.client)] = self

        def connection_lost(self, exc: Exception | None) -> None:
            if self.client:
                core.connections.pop(tuple(self.client), None)
            super().connection_lost(exc)

    return TrackedH11Protocol


class _Server(uvicorn.Server):
    """uvicorn.Server whose main loop ends as soon as stop() is called."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.wake: asyncio.Event | None = None
        self.failed: BaseException | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        self.loop = asyncio.get_running_loop()
        self.wake = asyncio.Event()
        await super().startup(sockets=sockets)

    async def main_loop(self) -> None:
        assert self.wake is not None
        while not await self.on_tick(0):  # tick 0 also refreshes the Date header
            try:
                await asyncio.wait_for(self.wake.wait(), timeout=1.0)
            except asyncio.TimeoutError:
                pass

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """uvicorn's shutdown without its fixed 100 ms pause: close the listeners, close idle
        keep-alive connections, and cancel what is still running (stop() means stop now)."""
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()
        await asyncio.sleep(0)  # let the closed transports report connection_lost
        for task in list(self.server_state.tasks):
            task.cancel()
        if self.server_state.tasks:
            await asyncio.wait(list(self.server_state.tasks), timeout=1.0)

    def request_stop(self) -> None:
        self.should_exit = True
        self.force_exit = True  # do not wait for idle keep-alive connections
        if self.loop is not None and self.wake is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self.wake.set)


class SandboxServer:
    """The offline Legnext API. See studio/sandbox/__init__.py for what it simulates."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        keys: list[str] | None = None,
        speed: float = 1.0,
        faults: FaultSpec | None = None,
        balance: int = 10_000,
        image_size_cap: int | None = None,
        *,
        durations: dict[str, float] | None = None,
        seed: int | None = None,
        progress: bool = True,
        max_requests: int | None = DEFAULT_MAX_REQUESTS,
        concurrent_limit: int = DEFAULT_CONCURRENT_LIMIT,
        account_endpoints: bool = True,
    ) -> None:
        """progress=False leaves `progress` out of job JSON (the vendor samples never show it);
        max_requests bounds `state.requests` to the latest ones (None keeps all);
        concurrent_limit is what /account/active_tasks reports (nothing is refused for it);
        account_endpoints=False answers /account/info and /account/active_tasks with 404, like
        a server that lacks them."""
        self.host = host
        self._requested_port = port
        self.core = SandboxCore(
            keys=frozenset(keys) if keys else None,
            speed=speed,
            balance=balance,
            image_size_cap=image_size_cap,
            faults_spec=faults,
            durations=durations,
            seed=seed,
            progress=progress,
            max_requests=max_requests,
            concurrent_limit=concurrent_limit,
            account_endpoints=account_endpoints,
        )
        self._socket: socket.socket | None = None
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.port: int | None = None

    # --- what tests and the app use ----------------------------------------------------

    @property
    def origin(self) -> str:
        if self.port is None:
            raise RuntimeError("the sandbox is not started")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        """API base, like https://api.legnext.ai/api."""
        return f"{self.origin}/api"

    @property
    def cdn_url(self) -> str:
        return f"{self.origin}/cdn"

    @property
    def state(self) -> SandboxState:
        return self.core.state

    @property
    def clock(self) -> SandboxClock:
        return self.core.clock

    @property
    def faults(self) -> FaultInjector:
        """Runtime fault control: `.spec = FaultSpec(...)`, `.next(path, kind, n)`, `.clear()`."""
        return self.core.faults

    def finish_all(self) -> None:
        """Move the sandbox clock just past the end of every unfinished job (no waiting)."""
        remaining = self.core.state.time_to_finish_all()
        if remaining > 0:
            self.core.clock.advance(remaining + 1e-3)

    def set_faults(self, spec: FaultSpec | None) -> None:
        self.core.faults.spec = spec or FaultSpec()

    @property
    def speed(self) -> float:
        return self.core.speed

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # --- lifecycle ---------------------------------------------------------------------

    def start(self) -> SandboxServer:
        if self.running:
            return self
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        # proto=IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on accepted sockets whose
        # proto says TCP; without it every keep-alive answer stalls ~40 ms (Nagle + delayed ACK).
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self._requested_port))
        sock.listen(128)
        sock.setblocking(False)
        self._socket = sock
        self.port = sock.getsockname()[1]

        config = uvicorn.Config(
            create_app(self.core),
            http=_protocol_class(self.core),
            lifespan="off",
            log_level=logging.WARNING,
            access_log=False,  # never log requests (and so never a key)
            timeout_graceful_shutdown=1,
            timeout_keep_alive=30,
        )
        server = _Server(config)
        self._server = server
        ready = threading.Event()

        def serve() -> None:
            try:
                asyncio.run(self._serve(server, sock, ready))
            except BaseException as exc:  # reported by start(); the thread must not die silently
                server.failed = exc
                ready.set()

        self._thread = threading.Thread(target=serve, name=f"legnext-sandbox:{self.port}", daemon=True)
        self._thread.start()
        if not ready.wait(START_TIMEOUT) or server.failed is not None or not server.started:
            self.stop()
            raise RuntimeError(f"the sandbox did not start: {server.failed!r}")
        return self

    @staticmethod
    async def _serve(server: _Server, sock: socket.socket, ready: threading.Event) -> None:
        task = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started and not task.done():
            await asyncio.sleep(0.001)
        ready.set()
        await task

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is not None:
            server.request_stop()
        if thread is not None:
            thread.join(timeout=5)
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.base_url if self.port else "not started"
        return f"<SandboxServer {where} speed={self.core.speed:g}>"
