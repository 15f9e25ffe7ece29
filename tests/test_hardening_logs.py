"""The log file: rotating, in the platform log folder, with the last errors and their tracebacks,
and never the API key (a redacting filter sees every record before a handler writes it)."""

from __future__ import annotations

import logging
import logging.handlers

import pytest

from studio import logs, paths
from studio.session.settings import KeyStore
from studio_support import build_studio, stop_studio

KEY = "sk-live-7f3a9c2e1b"


@pytest.fixture
def log_file(tmp_path, monkeypatch):
    monkeypatch.setenv(paths.HOME_ENV, str(tmp_path / "home"))
    path = logs.setup(stderr=False)
    yield path
    for handler in logs._installed:
        logging.getLogger().removeHandler(handler)
        handler.close()
    logs._installed.clear()


def _flush() -> None:
    for handler in logs._installed:
        handler.flush()


def test_the_log_is_in_the_platform_log_folder_and_rotates(log_file, monkeypatch):
    assert log_file == paths.log_dir() / "studio.log"
    log = logging.getLogger("studio.test")
    log.info("hello from the studio")
    _flush()
    assert "hello from the studio" in log_file.read_text(encoding="utf-8")

    monkeypatch.setattr(logs, "MAX_BYTES", 2000)
    logs.setup(stderr=False)  # set up again: the handlers are replaced, not added
    assert sum(isinstance(h, logging.handlers.RotatingFileHandler) for h in logging.getLogger().handlers) == 1
    for n in range(200):
        log.info("line %d of a long run", n)
    _flush()
    rotated = sorted(p.name for p in log_file.parent.iterdir())
    assert "studio.log.1" in rotated and len(rotated) <= 1 + logs.BACKUPS
    assert log_file.stat().st_size <= 2000 + 200


def test_the_key_never_reaches_the_file_whatever_carries_it(log_file):
    KeyStore().set_session_key(KEY)  # a key the process holds is registered by value
    log = logging.getLogger("studio.test")
    log.warning("request headers: %s", {"x-api-key": KEY, "accept": "application/json"})
    log.error("a message with the key %s inside", KEY)
    log.info("a header someone dumped: x-api-key: sk-never-registered-42")
    try:
        raise RuntimeError(f"the server echoed {KEY} back")
    except RuntimeError:
        log.exception("a failure with the key in its traceback")
    _flush()
    text = log_file.read_text(encoding="utf-8")
    assert KEY not in text and "sk-never-registered-42" not in text
    assert text.count(logs.REDACTED) >= 4
    assert "Traceback (most recent call last)" in text and "RuntimeError" in text


def test_a_studio_run_logs_its_errors_with_tracebacks_and_no_key(qtbot, qloop, log_file, sandbox):
    from studio.session.tasks import spawn
    from studio_support import start_studio

    studio = start_studio(qtbot, key="wrong-" + KEY, base_url=sandbox.base_url)
    try:
        entry = studio.jobs.submit("diffusion", text="a red fox", prompt="a red fox")
        qtbot.waitUntil(lambda: entry.finished, timeout=10000)  # 401: the sandbox knows no such key

        async def broken() -> None:
            raise ValueError(f"a background task failed holding wrong-{KEY}")

        task = spawn(broken(), name="a test task")
        qtbot.waitUntil(task.done)
    finally:
        stop_studio(qtbot, studio)
    _flush()
    text = log_file.read_text(encoding="utf-8")
    assert "task a test task failed" in text and "ValueError" in text and "Traceback" in text
    assert KEY not in text


def test_help_opens_the_log_folder(qtbot, qloop, tmp_path, monkeypatch):
    from PySide6.QtGui import QDesktopServices

    monkeypatch.setenv(paths.HOME_ENV, str(tmp_path / "home"))
    opened = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url.toLocalFile()) or True)
    studio = build_studio(qtbot, keys=KeyStore())
    try:
        help_menu = next(a.menu() for a in studio.window.menuBar().actions() if a.text() == "&Help")
        assert studio.window.open_logs_action in help_menu.actions()
        studio.window.open_logs_action.trigger()
    finally:
        stop_studio(qtbot, studio)
    assert opened == [str(paths.log_dir())] and paths.log_dir().is_dir()


def test_what_is_logged_before_the_file_opens_is_written_to_it(tmp_path, monkeypatch):
    """Start-up paints the window before the log file opens: earlier records wait in memory,
    and a key registered meanwhile is redacted from them too."""
    monkeypatch.setenv(paths.HOME_ENV, str(tmp_path / "home"))
    monkeypatch.setattr(logs, "_early", None)
    logs.early()
    logging.getLogger("studio.start").warning("settings said %s", "sk-early-0042")
    logs.add_secret("sk-early-0042")
    path = logs.setup(stderr=False)
    try:
        _flush()
        text = path.read_text(encoding="utf-8")
        assert "settings said [redacted]" in text and "sk-early-0042" not in text
    finally:
        for handler in logs._installed:
            logging.getLogger().removeHandler(handler)
            handler.close()
        logs._installed.clear()
