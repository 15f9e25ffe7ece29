"""Copy as cURL / Copy as Python (httpx) from the queue's and the history's menus and the grid's
right-click menu, on the real window against a sandbox over loopback: the copied text, run for
real, makes the sandbox receive the body the studio sent, and never holds the key."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from types import SimpleNamespace

import pytest
from PySide6.QtCore import QPoint
from PySide6.QtGui import QGuiApplication

from studio.sandbox import SandboxServer
from studio.session import request_copy
from studio.session.jobs import COMPLETED
from studio.store.records import JobRecord, Origin, encode_request
from tests.studio_support import start_studio, stop_studio

# A key that looks like a real one, so any trace of it in the copied text would be found.
SECRET = "lgx-SECRET-7f3a9c1e5b2d4a6f8e0c"
PROMPT = "a \"quoted\" tower's `echo` $HOME at night\n🌙 --ar 2:3 --v 7"


@pytest.fixture
def server():
    with SandboxServer(keys=[SECRET], speed=200.0, image_size_cap=128) as srv:
        yield srv


@pytest.fixture
def studio(qtbot, qloop, server):
    studio = start_studio(qtbot, key=SECRET, base_url=server.base_url)
    yield studio
    stop_studio(qtbot, studio)


def _finished(qtbot, studio, prompt=PROMPT):
    entry = studio.jobs.submit("diffusion", text=prompt, prompt=prompt)
    qtbot.waitUntil(lambda: entry.finished and entry.status == COMPLETED, timeout=30000)
    return entry


def _run(text: str, style: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env.update({"LEGNEXT_API_KEY": SECRET, "NO_PROXY": "127.0.0.1,localhost"})
    argv = ["bash", "-c", text] if style == "curl" else [sys.executable, "-c", text]
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)


def _check_copied(server, studio_post, style: str) -> None:
    """The clipboard's text: no key in it, and run for real it sends the studio's body."""
    text = QGuiApplication.clipboard().text()
    assert SECRET not in text
    assert "LEGNEXT_API_KEY" in text
    if style == "curl" and shutil.which("curl") is None:
        pytest.skip("curl is not installed on this machine")
    before = len(server.state.requests)
    result = _run(text, style)
    assert result.returncode == 0, result.stderr
    sent = server.state.requests[before:]
    assert [(r.method, r.path) for r in sent] == [(studio_post.method, studio_post.path)]
    assert json.dumps(sent[0].json_body, ensure_ascii=False) == json.dumps(studio_post.json_body, ensure_ascii=False)
    assert sent[0].headers["content-length"] == studio_post.headers["content-length"]


def _studio_post(server):
    return server.state.requests_to("/v1/diffusion", "POST")[0]


def test_copy_from_the_queue_menu(qtbot, studio, server):
    entry = _finished(qtbot, studio)
    panel = studio.window.queue_panel
    actions = {a.text(): a for a in panel.actions_for(entry.key)}
    said = []
    panel.status_message.connect(said.append)
    for style, label in (("curl", "Copy as cURL"), ("httpx", "Copy as Python (httpx)")):
        QGuiApplication.clipboard().clear()
        assert actions[label].isEnabled()
        actions[label].trigger()
        assert said and "$LEGNEXT_API_KEY" in said[-1]
        _check_copied(server, _studio_post(server), style)
    assert said[0] == "cURL copied: the key is read from $LEGNEXT_API_KEY."


def test_copy_from_the_history_menu(qtbot, studio, server):
    entry = _finished(qtbot, studio)
    window = studio.window
    window.history_dock.show()
    panel = window.history_panel
    qtbot.waitUntil(lambda: panel.browser.visible and panel.browser.count == 1, timeout=5000)
    menu = panel.actions.menu([entry.record], panel)
    actions = {a.text(): a for a in menu.actions()}
    with qtbot.waitSignal(panel.status_message, timeout=3000) as said:
        actions["Copy as Python (httpx)"].trigger()
    assert "Python (httpx) copied" in said.args[0]
    _check_copied(server, _studio_post(server), "httpx")
    actions["Copy as cURL"].trigger()
    _check_copied(server, _studio_post(server), "curl")


def test_copy_from_the_grid_menu(qtbot, studio, server):
    entry = _finished(qtbot, studio)
    window = studio.window
    qtbot.waitUntil(lambda: window.grid_ready(entry.key), timeout=10000)
    grid = window.grid
    grid._show_context_menu(1, QPoint(10, 10))  # popup(): no nested loop
    menu = grid.context_menu
    try:
        actions = {a.text(): a for a in menu.actions()}
        actions["Copy as cURL"].trigger()
    finally:
        menu.close()
    _check_copied(server, _studio_post(server), "curl")


def _jobs(record: JobRecord, *, backend_id: str, current: str | None) -> SimpleNamespace:
    return SimpleNamespace(stored=lambda _k: record, entry=lambda _k: None, backend_id=backend_id,
                           client=SimpleNamespace(base_url=current) if current else None)


def test_what_has_no_request_to_copy_says_why():
    external = JobRecord(op="diffusion", origin=Origin.EXTERNAL, job_id="x")
    assert "Started elsewhere" in request_copy.unavailable(external)
    never = JobRecord(op="diffusion", request=encode_request({"text": "   "}))
    assert request_copy.unavailable(never).startswith("This request was never sent: ")
    assert request_copy.unavailable(None)
    with pytest.raises(request_copy.CopyRefused):
        request_copy.request_text(_jobs(external, backend_id="b", current=None), "k", "curl")


def test_the_text_points_at_the_server_that_ran_the_job():
    record = JobRecord(op="diffusion", request=encode_request({"text": "castle"}),
                       backend="https://api.example.test/api")
    copied = request_copy.request_text(_jobs(record, backend_id="sandbox:now", current="http://127.0.0.1:5/api"),
                                       record.key, "curl")
    assert copied.url == "https://api.example.test/api/v1/diffusion" and not copied.note
    # A job of an earlier run of the built-in sandbox: that server is gone; say where it points.
    record.backend = "sandbox:earlier"
    copied = request_copy.request_text(_jobs(record, backend_id="sandbox:now", current="http://127.0.0.1:5/api"),
                                       record.key, "httpx")
    assert copied.url == "http://127.0.0.1:5/api/v1/diffusion"
    assert "has stopped" in copied.note and "http://127.0.0.1:5/api" in copied.note
    record.backend = "sandbox:now"
    copied = request_copy.request_text(_jobs(record, backend_id="sandbox:now", current="http://127.0.0.1:5/api"),
                                       record.key, "curl")
    assert copied.url == "http://127.0.0.1:5/api/v1/diffusion" and not copied.note
    # Not connected, and no server on the record: the Legnext API, said so.
    record.backend = None
    copied = request_copy.request_text(_jobs(record, backend_id="", current=None), record.key, "curl")
    assert copied.url == "https://api.legnext.ai/api/v1/diffusion" and "not known" in copied.note
