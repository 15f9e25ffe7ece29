"""The composition root: the one place that builds and wires the whole studio.

    settings + key  →  connection plan (real API, another server, or the in-process sandbox)
    LegnextClient + JobWatcher  →  JobsSession        PromptState
                         ↘                 ↙
                          MainWindow (prompt dock, grid, queue, status bar)

`run()` starts Qt with a qasync loop, shows the window first (so start-up feels instant), then
starts the sandbox if needed and connects the client in the background. Closing the window
(after asking, while jobs still run) stops every job task, closes the HTTP client and stops the
sandbox. A connection that cannot be made is said in the window, and jobs fail with the reason.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from studio.session.settings import SANDBOX_KEY, ApiKey, KeyStore, Settings
from studio.session.tasks import add_error_reporter, remove_error_reporter, run_in_thread, spawn

# asyncio is imported inside the functions that use it: the window paints before it is
# needed, and its import is a noticeable share of start-up (benchmarks/startup.py).
if TYPE_CHECKING:
    import asyncio

log = logging.getLogger(__name__)

# SANDBOX_KEY now lives with the settings (the connection test uses it too); re-exported here.
__all__ = ["DEMO_PROMPT", "SANDBOX_KEY", "ConnectFailed", "Plan", "Studio", "choose_plan", "run"]

# The demo job rendered by --screenshot and by a start on a machine with no display.
DEMO_PROMPT = "a lighthouse on a sea cliff at dusk, volumetric fog, warm windows --ar 3:2 --v 7"
# A far-off limit stands for "never stop watching" (asyncio needs a finite timeout).
_NEVER = 7 * 24 * 3600.0
# What a background task was doing, in the words of the message shown when it fails.
_TASK_WORDS = {
    "connect": "Connecting",
    "reconnect": "Applying the new settings",
    "balance": "Refreshing the balance",
    "settings: key lookup": "Looking up the API key",
    "settings: save key": "Saving the API key",
    "settings: forget key": "Forgetting the API key",
    "settings: test connection": "Testing the connection",
}


class ConnectFailed(RuntimeError):
    """The studio could not get a backend to talk to; `user_message` says why."""

    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message


class _NotConnected:
    """Stands in for the client and the watcher while connecting failed: every request is
    refused with the reason (nothing is sent), and the balance is unknown. A later successful
    connect replaces it through `JobsSession.set_backend`."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def _refusal(self) -> Exception:
        from studio.api.errors import LegnextError

        return LegnextError(self.reason, user_message=f"Not connected: {self.reason}")

    async def submit(self, request: Any) -> Any:
        raise self._refusal()

    async def watch(self, job_id: str, **kwargs: Any) -> Any:
        raise self._refusal()

    async def download(self, url: str, **kwargs: Any) -> bytes:
        raise self._refusal()

    async def balance(self) -> None:
        return None  # unknown: the window shows "balance —"


@dataclass(frozen=True)
class Plan:
    """Where the studio sends jobs, and why (shown to the user)."""

    sandbox: bool
    base_url: str
    key: str | None = field(repr=False)  # never in a repr: reprs end up in logs and tracebacks
    reason: str = ""


def choose_plan(*, offline: bool, base_url: str | None, settings: Settings, api_key: ApiKey) -> Plan:
    """--offline beats everything; --base-url beats the settings; no key means the sandbox."""
    if offline:
        return Plan(True, "", None, "started with --offline")
    if base_url:
        return Plan(False, base_url.rstrip("/"), api_key.value, "server given with --base-url")
    if settings.use_sandbox:
        return Plan(True, "", None, "sandbox chosen in Settings")
    if api_key.present:
        return Plan(False, settings.base_url, api_key.value, f"API key from the {api_key.source}")
    return Plan(True, "", None, "no API key set — add one in Settings to use your account")


class Studio(QObject):
    """Owns the backend (sandbox, client, watcher), the session objects and the window."""

    connected = Signal()

    def __init__(
        self,
        *,
        offline: bool = False,
        base_url: str | None = None,
        sandbox_speed: float | None = None,
        settings: Settings | None = None,
        keys: KeyStore | None = None,
        sandbox_options: dict[str, Any] | None = None,
        poll_time_scale: float | None = None,
        keep_history: bool = True,
    ) -> None:
        super().__init__()
        # False: jobs live for this run only (the --screenshot demo leaves no trace).
        self._keep_history = keep_history
        # Watch again, once connected, the jobs of earlier runs that had not ended.
        self.auto_resume = True
        self.store: Any = None
        self.archive: Any = None
        self.store_message: str | None = None
        self._sandbox_run: str | None = None
        self._poll_time_scale = poll_time_scale
        self.settings = settings or Settings()
        self.keys = keys or KeyStore()
        self._offline = offline
        self._base_url_arg = base_url
        self._sandbox_speed = sandbox_speed
        self._sandbox_options = dict(sandbox_options or {})
        # Decided in connect(): looking the key up loads the keyring (slow), after the window shows.
        self.plan: Plan | None = None
        self.sandbox: Any = None
        self.client: Any = None
        self.watcher: Any = None
        self._retired: list[Any] = []  # clients replaced by a reconnect, closed at shutdown
        self._ready: asyncio.Event | None = None  # set once connect() succeeded or failed
        self.connect_error: Exception | None = None
        self.prompt_state: Any = None
        self.jobs: Any = None
        self.window: Any = None
        from studio.session.connection import Connection

        self.connection = Connection(self.connection_info(), self)

    # ----- building -----------------------------------------------------------------------
    def connection_info(self) -> Any:
        from studio.session.connection import ConnectionInfo

        plan = self.plan
        if plan is None:
            if self._offline:  # known without the key
                return ConnectionInfo(sandbox=True, base_url="", reason="started with --offline")
            return ConnectionInfo(sandbox=False, base_url="", pending=True)
        base = self.sandbox.base_url if (plan.sandbox and self.sandbox is not None) else plan.base_url
        return ConnectionInfo(sandbox=plan.sandbox, base_url=base, reason=plan.reason)

    async def _choose_plan(self) -> Plan:
        # A keyring backend may talk to D-Bus or the OS: keep that off the GUI thread.
        api_key = await run_in_thread(self.keys.resolve, name="key lookup")
        return choose_plan(offline=self._offline, base_url=self._base_url_arg, settings=self.settings,
                           api_key=api_key)

    def build_session(self) -> Any:
        """The jobs session over the store and archive, without a window (the command line
        uses it as it is; `build_window` puts the window on it)."""
        from studio.session.jobs import JobsSession

        if self.jobs is None:
            self._open_store()
            self.jobs = JobsSession(watch_timeout=self._watch_timeout(), store=self.store, archive=self.archive)
        return self.jobs

    def build_window(self) -> Any:
        from studio.session.prompt_state import PromptState
        from studio.ui.main_window import MainWindow

        # The prompt (its parameters are flags in it) is where the user left it last time.
        self.prompt_state = PromptState(self.settings.prompt_text)
        self.build_session()
        # Presets (--name) and the default suffix, from the config folder; a problem with the
        # file is said in the window once it exists (below).
        from studio.session.presets import PresetLibrary

        self.presets = PresetLibrary() if self._keep_history else PresetLibrary.in_memory()
        self.prompt_state.set_presets(self.presets)
        # Ctrl+Up in the editor walks back through the prompts sent before (the store's).
        self.prompt_state.set_recall_source(
            lambda: self.store.recent_prompts(200) if self.store is not None else [])
        self.window = MainWindow(
            self.jobs, self.prompt_state, self.settings, self.keys, self.connection,
            sandbox_url=lambda: self.sandbox.base_url if self.sandbox is not None else None,
        )
        self.window.settings_applied.connect(lambda: spawn(self.reconnect(), name="reconnect"))
        # A background task that fails must say so in the window, not only in the log.
        add_error_reporter(self._report_task_failure)
        # The jobs of earlier runs, where they were; those not ended are watched once connected.
        restored = self.jobs.restore()
        if restored:
            self.jobs.on_show.show(restored[-1].key)  # the newest, where the artist left off
        # What start-up found wrong (or risky), said once: the history, the settings file, the
        # plain-http override.
        from studio.session.failures import insecure_http_warning
        from studio.session.settings import plain_http_allowed

        notices = [t for t in (self.settings.problem, insecure_http_warning() if plain_http_allowed() else None) if t]
        for notice in notices:
            log.warning("%s", notice)
        if self.store_message:
            self.window.show_history_problem("\n".join([self.store_message, *notices]))
        elif notices:
            self.window.banner.show_message("\n".join(notices), severity="warning", topic="startup")
        self.presets.message.connect(self.window.show_presets_problem)
        if self.presets.last_message:
            self.window.show_presets_problem(self.presets.last_message)
        return self.window

    def _open_store(self) -> None:
        from studio.store.db import JobStore, open_store

        if not self._keep_history:
            self.store = JobStore.memory()
            return
        from studio import paths
        from studio.store.archive import Archive

        self.store, self.store_message = open_store(paths.store_path())
        self.archive = Archive(paths.archive_dir())
        try:
            self.archive.clean_partials(older_than=3600)  # what a crash left half-written (not a live writer's)
        except OSError:
            log.debug("could not clean partial archive files", exc_info=True)

    def _report_task_failure(self, name: str, exc: BaseException) -> None:
        what = _TASK_WORDS.get(name, f"A background task ({name})")
        detail = getattr(exc, "user_message", None) or str(exc) or type(exc).__name__
        text = f"{what} failed: {detail}"
        if name in ("connect", "reconnect"):
            if self.client is None:
                # Otherwise the window keeps saying "Connecting…" / "Looking up the API key…".
                self.connection.lost(text)
            else:  # the jobs keep the server they had; the settings are the way out
                self.connection.task_failed(text, settings_help=True)
        else:
            self.connection.task_failed(text)

    def _watch_timeout(self) -> float:
        timeout = self.settings.watch_timeout
        return timeout if timeout > 0 else _NEVER

    def _sandbox_speed_value(self) -> float:
        return self._sandbox_speed if self._sandbox_speed else self.settings.sandbox_speed

    def _poll_policy(self) -> Any:
        from studio.api.watcher import PollPolicy

        if self._poll_time_scale is not None:
            scale = self._poll_time_scale  # a fast test server outside the studio's own sandbox
        else:
            sandbox = self.plan is not None and self.plan.sandbox
            scale = 1.0 / self._sandbox_speed_value() if sandbox else 1.0
        return PollPolicy(
            first_delay=self.settings.poll_initial,
            max_interval=self.settings.poll_max,
            time_scale=scale,
        )

    async def connect(self) -> None:
        """Start the sandbox if the plan says so, then build the client and watcher.

        A failure is raised for the task's error reporter (the window shows it) and wakes
        `wait_connected`, which raises it too.
        """
        try:
            await self._connect()
        except Exception as exc:
            self.connect_error = exc
            if self.client is None:
                # Jobs waiting for a backend (and jobs sent before the settings are fixed) fail
                # at once with the reason, instead of saying "sending" for ever.
                reason = getattr(exc, "user_message", None) or str(exc) or type(exc).__name__
                refusing = _NotConnected(reason)
                self.jobs.set_backend(refusing, refusing)
            self._ready_event().set()
            raise
        self.connect_error = None

    async def _connect(self) -> None:
        from studio.api.client import LegnextClient
        from studio.api.watcher import JobWatcher
        from studio.session.jobs import SessionRetryPolicy

        if self.plan is None:
            self.plan = await self._choose_plan()
        if self.plan.sandbox and self.sandbox is None:
            try:
                self.sandbox = await run_in_thread(self._start_sandbox, name="sandbox start")
            except Exception as exc:  # e.g. no free port, a missing dependency
                raise ConnectFailed(
                    f"the offline sandbox could not start ({exc.__class__.__name__}: {exc}). "
                    "Add an API key in Settings to use your Legnext account instead.") from exc
        base_url = self.sandbox.base_url if self.plan.sandbox else self.plan.base_url
        key = SANDBOX_KEY if self.plan.sandbox else (self.plan.key or "")
        from studio.session.settings import plain_http_allowed

        try:
            client = LegnextClient(key, base_url, retry=SessionRetryPolicy(), allow_plain_http=plain_http_allowed())
        except Exception as exc:  # a bad base URL or key from the settings: nothing to send to
            from studio.api.errors import InsecureURLError
            from studio.session.failures import describe

            why = describe(exc) if isinstance(exc, InsecureURLError) else getattr(exc, "user_message", exc)
            raise ConnectFailed(f"the server settings cannot be used ({why}). Fix them in Settings.") from exc
        if self.client is not None:
            self._retired.append(self.client)
        self.client = client
        self.watcher = JobWatcher(client, self._poll_policy())
        self.jobs.watch_timeout = self._watch_timeout()
        self.jobs.set_backend(self.client, self.watcher, self._backend_id())
        self.watcher.seed(self.jobs.past_durations())
        self.connection.set(self.connection_info())
        if self.auto_resume:
            self.jobs.resume_unfinished()  # jobs restored unsent are offered (waiting_found)
        self.connected.emit()
        self._ready_event().set()
        await self.jobs.refresh_limit()
        await self.jobs._refresh_balance()

    def _backend_id(self) -> str:
        """What job records name their server by: the built-in sandbox (its port changes every
        run), or the base URL."""
        assert self.plan is not None
        if self.plan.sandbox:
            # The built-in sandbox's jobs end with it: each run is a server of its own.
            if self._sandbox_run is None:
                import uuid

                self._sandbox_run = f"sandbox:{uuid.uuid4().hex[:12]}"
            return self._sandbox_run
        return self.plan.base_url.rstrip("/")

    def _ready_event(self) -> asyncio.Event:
        import asyncio

        if self._ready is None:
            self._ready = asyncio.Event()
        return self._ready

    async def wait_connected(self) -> None:
        await self._ready_event().wait()
        if self.client is None and self.connect_error is not None:
            raise self.connect_error

    def _start_sandbox(self) -> Any:
        from studio.sandbox import SandboxServer

        options: dict[str, Any] = {"speed": self._sandbox_speed_value()}
        options.update(self._sandbox_options)
        server = SandboxServer(host="127.0.0.1", port=0, **options)
        server.start()
        return server

    async def reconnect(self) -> None:
        """After Settings were saved: pick the connection again and switch new jobs to it."""
        plan = await self._choose_plan()
        changed = plan != self.plan
        self.plan = plan
        if not changed and self.client is not None:
            # Same server: only the polling options may have changed.
            self.watcher = type(self.watcher)(self.client, self._poll_policy())
            self.jobs.watch_timeout = self._watch_timeout()
            self.jobs.set_backend(self.client, self.watcher, self._backend_id())
            return
        await self.connect()

    async def aclose(self) -> None:
        """Stop jobs, close every client, stop the sandbox."""
        from studio.session import tasks

        remove_error_reporter(self._report_task_failure)
        if self.jobs is not None:
            await self.jobs.aclose()
        await tasks.cancel_all(timeout=1.0)
        for client in [*self._retired, self.client]:
            if client is not None:
                try:
                    await client.aclose()
                except Exception:
                    log.debug("closing a client failed", exc_info=True)
        self._retired.clear()
        if self.sandbox is not None:
            sandbox, self.sandbox = self.sandbox, None
            await run_in_thread(sandbox.stop, name="sandbox stop")
        if self.store is not None:
            self.store.close()

    # ----- the demo -----------------------------------------------------------------------
    async def render_demo(self, path: Path, *, timeout: float = 90.0) -> Path:
        """Run the demo prompt, wait until its grid is on screen, save the window as a PNG."""
        import asyncio

        await asyncio.wait_for(self.wait_connected(), timeout)
        entry = self.window.submit_prompt(DEMO_PROMPT)
        if entry is None:
            raise RuntimeError("the demo prompt was refused by the prompt checker")
        deadline = time.monotonic() + timeout
        while not (entry.finished and self.window.grid_ready(entry.key)):
            if time.monotonic() > deadline:
                raise TimeoutError(f"the demo job did not finish in {timeout:.0f} s ({entry.status_word()})")
            await asyncio.sleep(0.05)
        if not entry.ok:
            raise RuntimeError(f"the demo job failed: {entry.error}")
        await asyncio.sleep(0.1)  # let the last paint land
        path = Path(path).expanduser().resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        if not self.window.grab().save(str(path), "PNG"):
            raise OSError(f"could not write {path}")
        return path


def run(
    *,
    offline: bool = False,
    base_url: str | None = None,
    screenshot: Path | None = None,
    sandbox_speed: float | None = None,
    size: tuple[int, int] | None = None,
) -> int:
    """Start the studio; returns the process exit code."""
    from PySide6.QtWidgets import QApplication

    from studio.memory import keep_heap_small, settle_startup_objects
    from studio.ui.common.theme import apply_theme

    keep_heap_small()  # before the first image is decoded
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Legnext Studio")
    app.setOrganizationName("Legnext")
    app.setQuitOnLastWindowClosed(False)  # the loop below ends the app after a clean shutdown
    apply_theme(app)

    if screenshot is not None and sandbox_speed is None:
        sandbox_speed = 40.0  # the demo should render in a second or two
    studio = Studio(offline=offline or screenshot is not None, base_url=None if screenshot else base_url,
                    sandbox_speed=sandbox_speed, keep_history=screenshot is None)
    window = studio.build_window()
    if screenshot is not None:
        window.interactive = False  # the demo neither asks on close nor replaces the saved prompt
    if size is not None:
        window.resize(*size)
    elif screenshot is not None:
        window.resize(1440, 900)
    probe = _maybe_report_startup(window)
    window.show()
    # Paint the window now; the event loop, the key lookup, the sandbox and the HTTP client
    # all come after the user already sees the studio.
    app.processEvents()
    if probe is not None:
        probe.report()  # the first frame was painted in there (if the platform exposed it)
    from studio import logs

    logs.setup()  # the log file, with what was logged before the window was on screen
    settle_startup_objects()  # a full collection never walks the window on the GUI thread

    import asyncio

    import qasync

    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)

    async def main() -> int:
        closed = asyncio.Event()
        window.closed.connect(closed.set)
        if not window.isVisible():  # closed already while the first paint was processed
            closed.set()
        spawn(studio.connect(), name="connect")
        code = 0
        try:
            if screenshot is not None:
                try:
                    saved = await studio.render_demo(Path(screenshot))
                except Exception as exc:
                    print(f"legnext-studio: the demo could not be rendered: {exc}", file=sys.stderr)
                    code = 1
                else:
                    print(f"legnext-studio: saved a screenshot of the studio to {saved}")
                window.close()
            else:
                await closed.wait()
        finally:
            await studio.aclose()
        return code

    try:
        with loop:
            return loop.run_until_complete(main())
    finally:
        asyncio.set_event_loop(None)


def _maybe_report_startup(window: Any) -> Any:
    """For benchmarks/startup.py: print the time the window's first full frame is on screen,
    then quit. Returns the probe (its `report()` is called once the first events are processed),
    or None when no probe was asked for."""
    if not os.environ.get("LEGNEXT_STUDIO_STARTUP_PROBE"):
        return None
    from PySide6.QtCore import QEvent, QObject, QTimer

    class _Probe(QObject):
        painted = False
        reported = False

        def eventFilter(self, obj: Any, event: Any) -> bool:  # noqa: N802
            # The window's Paint opens the pass that paints every child; a zero timer runs
            # only after that pass ended, i.e. after the first full frame.
            if event.type() == QEvent.Type.Paint and not self.painted:
                self.painted = True
                QTimer.singleShot(0, self.report)
            return False

        def report(self) -> None:
            """Stamp once, at the first call after the frame was painted (never before)."""
            if not self.painted or self.reported:
                return
            self.reported = True
            print(f"window-shown {time.time():.6f} {time.process_time():.6f}", flush=True)
            QTimer.singleShot(0, window.close)

    probe = _Probe(window)
    window.installEventFilter(probe)
    return probe
