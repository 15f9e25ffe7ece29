"""Shared fixtures: a sandbox server on loopback, an API client against it, a qasync loop for
Qt tests, and an in-memory keyring (these machines have no keyring backend).

Every test that needs a server talks to a real `SandboxServer` over a real socket.
"""

from __future__ import annotations

import asyncio
import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Tests must never see a developer's real key or settings.
os.environ.pop("LEGNEXT_API_KEY", None)

TEST_KEY = "test-key"


@pytest.fixture
def memory_keyring():
    """An in-memory keyring backend for the test, so tests never touch the OS keyring."""
    import keyring
    import keyring.backend

    # Resolve the machine's backend first, and keep ours out of keyring's own choice:
    # otherwise a first-ever lookup could pick this class as the default and "restore" it.
    previous = keyring.get_keyring()

    class MemoryKeyring(keyring.backend.KeyringBackend):
        priority = 1
        viable = False

        def __init__(self) -> None:
            super().__init__()
            self.store: dict[tuple[str, str], str] = {}

        def get_password(self, service: str, username: str) -> str | None:
            return self.store.get((service, username))

        def set_password(self, service: str, username: str, password: str) -> None:
            self.store[(service, username)] = password

        def delete_password(self, service: str, username: str) -> None:
            self.store.pop((service, username), None)

    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path, monkeypatch):
    """Point QSettings and platformdirs folders at a temporary home for every test."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    yield


@pytest.fixture
def sandbox():
    """A fast sandbox on a free loopback port with small images; accepts TEST_KEY only."""
    from studio.sandbox import SandboxServer

    server = SandboxServer(keys=[TEST_KEY], speed=200.0, image_size_cap=256)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def sandbox_without_listing():
    """Like `sandbox`, but a server without /account/active_tasks (and /account/info): a POST
    whose answer is lost cannot be matched to the job it made."""
    from studio.sandbox import SandboxServer

    server = SandboxServer(keys=[TEST_KEY], speed=200.0, image_size_cap=256, account_endpoints=False)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def qloop(qapp):
    """A qasync loop that reports itself as running while pytest-qt pumps Qt events.

    See shared/notes/qt-async-testing.md: httpx needs a *running* loop; `already_running=True`
    makes qasync's loop one while qtbot.waitUntil/waitSignal spin the Qt event loop.
    """
    import qasync

    loop = qasync.QEventLoop(qapp, already_running=True)
    asyncio.set_event_loop(loop)
    try:
        yield loop
    finally:
        # qasync registers itself as the *running* loop; unregister it, or every later
        # asyncio.run() in the session fails with "cannot be called from a running event loop".
        asyncio.events._set_running_loop(None)
        asyncio.set_event_loop(None)
        # close() refuses a loop made "already running", so stop its worker threads here: a
        # QThread still alive at interpreter exit aborts the whole test process.
        executor = getattr(loop, "_QEventLoop__default_executor", None)
        if executor is not None:
            executor.shutdown(wait=True)
