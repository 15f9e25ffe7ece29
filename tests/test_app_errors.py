"""Failures reach the window: a background task that fails says so in the banner and the status
bar (the sandbox that cannot start, above all), and a 403 content-policy answer becomes the
documented message on the job that met it."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from studio.app import ConnectFailed, Studio
from studio.session import tasks
from studio.session.settings import KeyStore
from studio.session.tasks import spawn

from studio_support import build_studio, stop_studio

FIXTURES = Path("/work/shared/legnext-api/fixtures")
SENSITIVE = {"code": 403, "message": "Sensitive content detected", "raw_message": "", "detail": None}




def test_a_sandbox_that_cannot_start_is_reported_in_the_window(qtbot, qloop, monkeypatch):
    def no_port(self):
        raise OSError("no free port on 127.0.0.1")

    monkeypatch.setattr(Studio, "_start_sandbox", no_port)
    studio = build_studio(qtbot, size=(1100, 760), offline=True, keys=KeyStore())
    window = studio.window
    try:
        connect = spawn(studio.connect(), name="connect")
        qtbot.waitUntil(connect.done, timeout=5000)
        assert isinstance(connect.exception(), ConnectFailed)
        qtbot.waitUntil(window.banner.isVisible, timeout=5000)
        text = window.banner.label.text()
        assert text.startswith("Connecting failed: the offline sandbox could not start")
        assert "OSError: no free port on 127.0.0.1" in text
        assert window.banner.button.text() == "Open Settings…"
        # no longer claiming to be on the way
        assert window.mode_label.text() == "Not connected"
        assert window.statusBar().currentMessage() == "Not connected"
        assert studio.client is None

        waiter = spawn(studio.wait_connected(), name="wait")
        qtbot.waitUntil(waiter.done, timeout=5000)
        assert isinstance(waiter.exception(), ConnectFailed)  # --screenshot fails at once
    finally:
        stop_studio(qtbot, studio)


def test_any_failed_task_shows_its_message_until_the_studio_closes(qtbot, qloop, sandbox):
    keys = KeyStore()
    keys.set_session_key("test-key")
    studio = build_studio(qtbot, size=(1100, 760), base_url=sandbox.base_url, keys=keys)
    window = studio.window
    connect = spawn(studio.connect(), name="connect")
    qtbot.waitUntil(connect.done, timeout=10000)
    assert connect.exception() is None and not window.banner.isVisible()

    async def broken() -> None:
        raise RuntimeError("the balance answer had no data")

    failed = spawn(broken(), name="balance")
    qtbot.waitUntil(window.banner.isVisible, timeout=5000)
    assert failed.done()
    assert window.banner.label.text() == "Refreshing the balance failed: the balance answer had no data"
    assert window.statusBar().currentMessage() == window.banner.label.text()
    assert window.mode_label.text() != "Not connected"  # still connected: only the task failed

    stop_studio(qtbot, studio)
    assert studio._report_task_failure not in tasks._reporters  # no reporter outlives its studio


class _ContentPolicyServer(ThreadingHTTPServer):
    """A raw stand-in for the real API: the balance answers, every job is refused with 403."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _ContentPolicyHandler)
        self.posts: list[tuple[str, dict]] = []
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/api"


class _ContentPolicyHandler(BaseHTTPRequestHandler):
    server: _ContentPolicyServer

    def log_message(self, *args) -> None:  # quiet test output
        pass

    def _answer(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802
        if self.path == "/api/account/balance":
            self._answer(200, json.loads((FIXTURES / "balance.response.json").read_text()))
        else:
            self._answer(404, {"code": 404, "message": "not found", "raw_message": "", "detail": None})

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        self.server.posts.append((self.path, json.loads(self.rfile.read(length) or b"{}")))
        self._answer(403, SENSITIVE)


@pytest.fixture
def policy_server():
    server = _ContentPolicyServer()
    server.thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def test_content_policy_403_is_the_documented_message_on_that_job(qtbot, qloop, policy_server):
    keys = KeyStore()
    keys.set_session_key("test-key")
    studio = build_studio(qtbot, size=(1100, 760), base_url=policy_server.base_url, keys=keys)
    window = studio.window
    try:
        connect = spawn(studio.connect(), name="connect")
        qtbot.waitUntil(connect.done, timeout=10000)
        assert connect.exception() is None
        entry = window.submit_prompt("something the policy refuses")
        qtbot.waitUntil(lambda: entry.finished, timeout=10000)

        message = "Refused by the content policy (403): Sensitive content detected"
        assert entry.error_status == 403 and entry.error == message
        assert not entry.ok and entry.status_word() == "error 403"
        # the banner names the job kind and the documented message
        assert window.banner.isVisible()
        assert window.banner.label.text() == f"Diffusion: {message}"
        # a refusal is final: sent once per job, never retried (no double charge)
        assert policy_server.posts == [("/api/v1/diffusion", {"text": "something the policy refuses"})]
    finally:
        stop_studio(qtbot, studio)


def test_a_server_address_that_cannot_be_used_fails_jobs_with_the_reason(qtbot, qloop, sandbox):
    from studio.session.jobs import ERROR
    from studio.session.settings import Settings

    settings = Settings()
    settings.base_url = "api.legnext.ai/api"  # no scheme: what a user types (an older dialog kept it)
    keys = KeyStore()
    keys.set_session_key("test-key")
    studio = build_studio(qtbot, size=(1100, 760), settings=settings, keys=keys)
    window = studio.window
    try:
        waiting = window.submit_prompt("a red fox in snow")  # Generate before the studio connected
        connect = spawn(studio.connect(), name="connect")
        qtbot.waitUntil(connect.done, timeout=5000)
        assert isinstance(connect.exception(), ConnectFailed)
        # the job that waited for a backend fails with the reason, instead of "sending" for ever
        qtbot.waitUntil(lambda: waiting.finished, timeout=5000)
        assert waiting.status == ERROR
        assert waiting.error.startswith("Not connected: ") and "api.legnext.ai/api" in waiting.error
        qtbot.waitUntil(window.banner.isVisible, timeout=5000)
        assert window.banner.label.text().startswith("Connecting failed: the server settings cannot be used")
        assert window.banner.button.text() == "Open Settings…"
        assert window.mode_label.text() == "Not connected" and window.running_label.text() == ""

        # Generate again: refused at once for the same reason; the connection banner stays up
        again = window.submit_prompt("a red fox in snow at dusk")
        assert window.banner.isVisible()
        qtbot.waitUntil(lambda: again.finished, timeout=5000)
        assert again.error.startswith("Not connected: ")
        assert window.banner.label.text().startswith("Connecting failed:")

        # the server fixed in Settings: the studio connects, the banner goes, jobs run
        settings.base_url = sandbox.base_url
        window.settings_applied.emit()
        qtbot.waitUntil(lambda: studio.client is not None, timeout=10000)
        assert not window.banner.isVisible()
        job = window.submit_prompt("a red fox in snow")
        qtbot.waitUntil(lambda: job.finished, timeout=10000)
        assert job.ok, job.error
        assert [r.json_body for r in sandbox.state.requests if r.method == "POST"] == [{"text": "a red fox in snow"}]
    finally:
        stop_studio(qtbot, studio)
