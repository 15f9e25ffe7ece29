"""Settings: the API key lives in a secure keyring (never a file: keyrings.alt's file backends
count as no keyring); without one the studio says so and takes LEGNEXT_API_KEY or a key for
this session; keyring calls and Test connection run off the GUI thread in the session layer;
the folder picker is non-modal; the plain options persist."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import keyring
import keyring.backend
import pytest

from studio.session.settings import (
    KEYRING_SERVICE,
    KEYRING_USER,
    ConnectionCheck,
    KeyringUnavailable,
    KeyStore,
    Settings,
    check_connection,
)
from studio.ui.settings_dialog import SettingsDialog

SECRET = "sk-live-abcdef123456"


def _all_files_text(root: Path) -> str:
    chunks = []
    for path in root.rglob("*"):
        if path.is_file():
            chunks.append(path.read_bytes().decode("utf-8", "replace"))
    return "\n".join(chunks)


class _RecordingKeyring(keyring.backend.KeyringBackend):
    """Remembers what it was asked and on which thread; `gate` can hold a lookup back."""

    priority = 1
    # Out of keyring's own discovery: a viable class defined at import would become the
    # default backend of every later test that first asks keyring for one.
    viable = False

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}
        self.threads: list[threading.Thread] = []
        self.gate = threading.Event()
        self.gate.set()

    def get_password(self, service: str, username: str) -> str | None:
        self.threads.append(threading.current_thread())
        assert self.gate.wait(10)
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.threads.append(threading.current_thread())
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.threads.append(threading.current_thread())
        self.store.pop((service, username), None)


def _file_backend(module: str, name: str, priority: float = 1.0) -> type[_RecordingKeyring]:
    """A stand-in for a file-backed keyring (keyrings.alt is not installed here)."""
    cls = type(name, (_RecordingKeyring,), {"priority": priority})
    cls.__module__ = module
    return cls


@pytest.fixture
def use_keyring():
    previous = keyring.get_keyring()

    def install(backend: keyring.backend.KeyringBackend) -> keyring.backend.KeyringBackend:
        keyring.set_keyring(backend)
        return backend

    yield install
    keyring.set_keyring(previous)


@pytest.mark.parametrize("module, name", [
    ("keyrings.alt.file", "PlaintextKeyring"),
    ("keyrings.alt.file", "EncryptedKeyring"),
    ("keyrings.alt.pyfs", "SomeFutureKeyring"),      # anything under keyrings.alt
    ("my_plugin.backends", "PlaintextKeyring"),      # the file class, wherever it lives
    ("keyring.backends.null", "Keyring"),
])
def test_file_and_null_keyrings_are_refused_and_never_get_the_key(use_keyring, module, name):
    backend = use_keyring(_file_backend(module, name, priority=5)())
    keys = KeyStore()
    assert not keys.backend_available()
    problem = keys.backend_problem()
    assert problem is not None and "no secure keyring here" in problem.lower()
    assert "LEGNEXT_API_KEY" in problem
    with pytest.raises(KeyringUnavailable, match="LEGNEXT_API_KEY"):
        keys.store(SECRET)
    keys.set_session_key(SECRET)
    assert keys.resolve().source == "session"
    keys.forget()
    assert backend.store == {} and backend.threads == []  # never asked, never written


def test_a_subclass_of_a_file_keyring_and_a_chain_holding_one_are_refused(use_keyring):
    from keyring.backends.chainer import ChainerBackend

    plaintext = _file_backend("keyrings.alt.file", "PlaintextKeyring")
    sub = type("CorporateKeyring", (plaintext,), {})
    sub.__module__ = "corp.keyring"
    use_keyring(sub())
    assert not KeyStore.backend_available()

    def chain_of(*backends):
        return type("Chain", (ChainerBackend,), {"backends": list(backends), "viable": False})()

    use_keyring(chain_of(_RecordingKeyring(), plaintext()))
    assert not KeyStore.backend_available()  # the chain may hand the key to the file
    use_keyring(chain_of(_RecordingKeyring(), _RecordingKeyring()))
    assert KeyStore.backend_available()
    use_keyring(chain_of())
    assert not KeyStore.backend_available()


def test_without_a_keyring_backend_the_key_comes_from_the_environment(monkeypatch):
    keys = KeyStore()
    assert not keys.backend_available()  # these machines only have keyring's fail backend
    assert "no secure keyring here" in keys.backend_problem().lower()
    assert keys.resolve().source == "none" and not keys.resolve().present
    with pytest.raises(KeyringUnavailable):
        keys.store(SECRET)
    monkeypatch.setenv("LEGNEXT_API_KEY", SECRET)
    resolved = keys.resolve()
    assert (resolved.value, resolved.source) == (SECRET, "environment")
    assert SECRET not in repr(resolved)
    keys.set_session_key("typed-key")
    assert keys.resolve().source == "session"  # what the user typed last wins over the env


def test_keyring_backend_stores_the_key(memory_keyring):
    keys = KeyStore()
    assert keys.backend_available()
    keys.store(SECRET)
    assert memory_keyring.store[(KEYRING_SERVICE, KEYRING_USER)] == SECRET
    assert keys.resolve().source == "keyring" and keys.resolve().value == SECRET
    keys.forget()
    assert keys.resolve().source == "none"


def _open(qtbot, settings: Settings, keys: KeyStore, **options) -> SettingsDialog:
    """The dialog, once its keyring lookup (on a worker thread) has answered."""
    dialog = SettingsDialog(settings, keys, **options)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.key_status is not None, timeout=5000)
    return dialog


def test_dialog_without_backend_says_so_and_keeps_key_for_session(qtbot, qloop, tmp_path):
    settings = Settings()
    keys = KeyStore()
    dialog = _open(qtbot, settings, keys)
    assert "no secure keyring here" in dialog.key_note.text().lower()
    assert "LEGNEXT_API_KEY" in dialog.key_note.text()
    dialog.key_edit.setText(SECRET)
    dialog.base_url_edit.setText("http://127.0.0.1:9/api")
    dialog.poll_initial.setValue(2.5)
    dialog.watch_timeout.setValue(10)
    with qtbot.waitSignal(dialog.applied, timeout=2000):
        dialog.buttons.accepted.emit()
    assert keys.resolve().source == "session" and keys.resolve().value == SECRET
    assert dialog.key_edit.text() == ""
    # plain options persisted, the key nowhere on disk
    again = Settings()
    assert again.base_url == "http://127.0.0.1:9/api"
    assert again.poll_initial == 2.5
    assert again.watch_timeout == 600.0
    assert SECRET not in _all_files_text(tmp_path)


def test_dialog_with_keyring_stores_key_there(qtbot, qloop, memory_keyring, tmp_path):
    keys = KeyStore()
    dialog = _open(qtbot, Settings(), keys)
    assert "keyring" in dialog.key_note.text() and "no secure" not in dialog.key_note.text().lower()
    dialog.key_edit.setText(SECRET)
    with qtbot.waitSignal(dialog.applied, timeout=5000):
        dialog.save()
    assert memory_keyring.store[(KEYRING_SERVICE, KEYRING_USER)] == SECRET
    assert keys.resolve().source == "keyring"
    assert SECRET not in _all_files_text(tmp_path)
    # reopening never shows the key, only that one is stored
    second = _open(qtbot, Settings(), keys)
    assert second.key_edit.text() == "" and "stored in the keyring" in second.key_edit.placeholderText()
    second.forget_button.click()
    qtbot.waitUntil(lambda: second.key_task.done(), timeout=5000)
    assert keys.resolve().source == "none"
    assert not second.forget_button.isEnabled()


def test_dialog_with_a_file_keyring_keeps_the_key_out_of_it(qtbot, qloop, use_keyring, tmp_path):
    backend = use_keyring(_file_backend("keyrings.alt.file", "PlaintextKeyring", priority=1)())
    keys = KeyStore()
    dialog = _open(qtbot, Settings(), keys)
    assert "no secure keyring here" in dialog.key_note.text().lower()
    assert "keyrings.alt.file.PlaintextKeyring" in dialog.key_note.text()
    dialog.key_edit.setText(SECRET)
    with qtbot.waitSignal(dialog.applied, timeout=5000):
        dialog.save()
    assert keys.resolve().source == "session"
    assert backend.store == {}
    assert SECRET not in _all_files_text(tmp_path)


def test_keyring_calls_run_off_the_gui_thread_and_the_dialog_says_looking_up(
        qtbot, qloop, use_keyring):
    backend = use_keyring(_RecordingKeyring())
    backend.store[(KEYRING_SERVICE, KEYRING_USER)] = SECRET
    backend.gate.clear()  # the keyring is slow to answer (a D-Bus prompt, a locked wallet)
    dialog = SettingsDialog(Settings(), KeyStore())
    qtbot.addWidget(dialog)
    # the constructor returned while the lookup is still held back
    assert "looking up" in dialog.key_note.text().lower()
    assert dialog.key_edit.placeholderText() == "Looking up…"
    assert not dialog.forget_button.isEnabled()
    backend.gate.set()
    qtbot.waitUntil(lambda: dialog.key_status is not None, timeout=5000)
    assert "stored in the keyring" in dialog.key_edit.placeholderText()
    assert dialog.forget_button.isEnabled()

    dialog.key_edit.setText("sk-new-key")
    with qtbot.waitSignal(dialog.applied, timeout=5000):
        dialog.save()
    assert backend.store[(KEYRING_SERVICE, KEYRING_USER)] == "sk-new-key"
    assert backend.threads and threading.main_thread() not in backend.threads


def test_browse_opens_a_non_modal_folder_picker(qtbot, qloop, tmp_path):
    from PySide6.QtWidgets import QFileDialog, QPushButton

    target = tmp_path / "renders"
    target.mkdir()
    dialog = _open(qtbot, Settings(), KeyStore())
    browse = next(b for b in dialog.findChildren(QPushButton) if b.text() == "Browse…")
    browse.click()  # returns at once: no nested event loop
    picker = dialog.folder_dialog
    assert isinstance(picker, QFileDialog) and picker.isVisible()
    assert picker.fileMode() == QFileDialog.FileMode.Directory
    picker.setDirectory(str(tmp_path))
    picker.selectFile(str(target))
    picker.accept()
    assert dialog.download_edit.text() == str(target)
    assert not picker.isVisible()


def test_test_connection_checks_the_key_against_balance(qtbot, qloop, sandbox):
    dialog = _open(qtbot, Settings(), KeyStore())
    dialog.base_url_edit.setText(sandbox.base_url)
    dialog.key_edit.setText("test-key")
    dialog.test_connection()
    assert dialog.test_result.text() == "Checking…" and not dialog.test_button.isEnabled()
    qtbot.waitUntil(lambda: dialog.test_task.done(), timeout=5000)
    assert "the key works" in dialog.test_result.text()
    assert "credits available" in dialog.test_result.text()
    assert any(r.path.endswith("/account/balance") for r in sandbox.state.requests)

    dialog.key_edit.setText("wrong-key")
    dialog.test_connection()
    qtbot.waitUntil(lambda: dialog.test_task.done(), timeout=5000)
    assert dialog.test_result.objectName() == "ErrorText"
    assert "key" in dialog.test_result.text().lower()
    assert dialog.test_button.isEnabled()


def test_the_dialog_only_shows_what_the_session_check_answered(qtbot, qloop, monkeypatch):
    import studio.ui.settings_dialog as module

    asked = []

    async def fake_check(base_url, key, *, keys=None, sandbox=False):
        asked.append((base_url, key, sandbox))
        return ConnectionCheck(False, "The server said no.")

    monkeypatch.setattr(module, "check_connection", fake_check)
    dialog = _open(qtbot, Settings(), KeyStore(), sandbox_url=lambda: "http://127.0.0.1:1/api")
    dialog.sandbox_check.setChecked(True)
    dialog.key_edit.setText("typed")
    dialog.test_connection()
    qtbot.waitUntil(lambda: dialog.test_task.done(), timeout=5000)
    assert asked == [("http://127.0.0.1:1/api", "typed", True)]
    assert dialog.test_result.text() == "The server said no."
    assert dialog.test_result.objectName() == "ErrorText"


def test_check_connection_in_the_session_layer(sandbox, monkeypatch):
    async def body() -> None:
        ok = await check_connection(sandbox.base_url, "test-key")
        assert ok.ok and ok.credits == sandbox.state.balance and "the key works" in ok.message
        bad = await check_connection(sandbox.base_url, "wrong-key")
        assert not bad.ok and "api key" in bad.message.lower()
        none = await check_connection(sandbox.base_url, "", keys=KeyStore())
        assert none == ConnectionCheck(False, "Enter an API key first.")
        # an empty field tries the key in use
        monkeypatch.setenv("LEGNEXT_API_KEY", "test-key")
        assert (await check_connection(sandbox.base_url, "", keys=KeyStore())).ok
        refused = await check_connection("http://127.0.0.1:9/api", "k", timeout=2)
        assert not refused.ok

    asyncio.run(body())


def test_test_connection_without_any_key_says_what_to_do(qtbot, qloop):
    dialog = _open(qtbot, Settings(), KeyStore())
    dialog.sandbox_check.setChecked(False)
    dialog.test_connection()
    qtbot.waitUntil(lambda: dialog.test_task.done(), timeout=5000)
    assert dialog.test_result.text() == "Enter an API key first."


def test_settings_defaults_and_round_trip(tmp_path):
    settings = Settings(tmp_path / "s.ini")
    assert settings.base_url == "https://api.legnext.ai/api"
    assert settings.use_sandbox is False
    settings.use_sandbox = True
    settings.download_dir = tmp_path / "out"
    settings.poll_max = 0.1  # below the first delay: clamped up to it
    settings.sync()
    again = Settings(tmp_path / "s.ini")
    assert again.use_sandbox is True
    assert again.download_dir == tmp_path / "out"
    assert again.poll_max == again.poll_initial


# ---- the server address ---------------------------------------------------------------------------

@pytest.mark.parametrize("typed, used", [
    ("api.legnext.ai/api", "https://api.legnext.ai/api"),  # no scheme: https, the API's only one
    ("  https://api.legnext.ai/api/  ", "https://api.legnext.ai/api"),
    ("http://127.0.0.1:8765/api", "http://127.0.0.1:8765/api"),
    ("localhost:8765/api", "https://localhost:8765/api"),
    ("", "https://api.legnext.ai/api"),  # empty: the real API, as the field's hint shows
])
def test_server_addresses_are_completed(typed, used):
    from studio.session.settings import normalise_base_url

    assert normalise_base_url(typed) == used


@pytest.mark.parametrize("typed, said", [
    ("ftp://files.example.com/api", "must start with https:// or http://"),
    ("https://", "names no host"),
    ("api legnext ai", "no spaces"),
    ("https://api.legnext.ai:port/api", "Not a server address"),
])
def test_a_server_address_that_cannot_work_is_not_saved(qtbot, qloop, typed, said):
    from studio.session.settings import DEFAULT_BASE_URL

    settings = Settings()
    dialog = _open(qtbot, settings, KeyStore())
    applied: list[bool] = []
    dialog.applied.connect(lambda: applied.append(True))
    dialog.base_url_edit.setText(typed)
    dialog.save()
    assert said in dialog.url_note.text() and dialog.url_note.objectName() == "ErrorText"
    assert not dialog.url_note.isHidden()
    assert applied == [] and dialog.result() == 0  # nothing saved, still open
    assert Settings().base_url == DEFAULT_BASE_URL
    dialog.test_connection()
    assert dialog.test_task is None  # nor tried


def test_a_server_address_without_https_is_completed_and_saved(qtbot, qloop):
    settings = Settings()
    dialog = _open(qtbot, settings, KeyStore())
    dialog.base_url_edit.setText("api.legnext.ai/api/")
    with qtbot.waitSignal(dialog.applied, timeout=2000):
        dialog.save()
    assert Settings().base_url == "https://api.legnext.ai/api"
    assert dialog.base_url_edit.text() == "https://api.legnext.ai/api"  # shown as it is used


# ---- Forget --------------------------------------------------------------------------------------

def test_forget_switches_the_studio_to_the_sandbox_at_once(qtbot, qloop, memory_keyring, sandbox):
    from studio.app import Studio
    from studio.session.tasks import spawn

    memory_keyring.store[(KEYRING_SERVICE, KEYRING_USER)] = "test-key"
    settings = Settings()
    settings.base_url = sandbox.base_url  # "the account": a server that takes this key only
    studio = Studio(settings=settings, keys=KeyStore(), poll_time_scale=1 / 200, sandbox_speed=200.0,
                    sandbox_options={"image_size_cap": 128})
    window = studio.build_window()
    qtbot.addWidget(window)
    window.show()
    spawn(studio.connect(), name="connect")
    try:
        qtbot.waitUntil(lambda: studio.client is not None, timeout=10000)
        assert not studio.plan.sandbox and studio.client.base_url == sandbox.base_url
        dialog = window.open_settings()
        qtbot.waitUntil(dialog.forget_button.isEnabled, timeout=5000)
        account_client = studio.client

        dialog.forget_button.click()
        # no Save needed: the studio stops using the forgotten key now
        qtbot.waitUntil(lambda: studio.plan.sandbox and studio.client is not account_client
                        and studio.client is not None, timeout=10000)
        assert window.mode_label.text() == "Sandbox (offline)"
        qtbot.waitUntil(lambda: "Key forgotten" in dialog.key_note.text(), timeout=5000)
        assert "New jobs now run on the offline sandbox" in dialog.key_note.text()
        assert dialog.isVisible()
        entry = window.submit_prompt("a paper boat")
        qtbot.waitUntil(lambda: entry.finished, timeout=10000)
        assert entry.ok, entry.error
        assert [r for r in sandbox.state.requests if r.method == "POST"] == []  # not on the account
        dialog.reject()
    finally:
        task = spawn(studio.aclose(), name="close")
        qtbot.waitUntil(task.done, timeout=10000)
