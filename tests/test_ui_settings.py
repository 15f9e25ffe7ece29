"""Settings: the API key lives in the keyring (never a file); without a keyring backend the
studio says so and takes LEGNEXT_API_KEY or a key for this session; Test connection asks
/account/balance; the plain options persist."""

from __future__ import annotations

from pathlib import Path

import pytest

from studio.session.settings import (
    KEYRING_SERVICE,
    KEYRING_USER,
    KeyringUnavailable,
    KeyStore,
    Settings,
)
from studio.ui.settings_dialog import SettingsDialog

SECRET = "sk-live-abcdef123456"


def _all_files_text(root: Path) -> str:
    chunks = []
    for path in root.rglob("*"):
        if path.is_file():
            chunks.append(path.read_bytes().decode("utf-8", "replace"))
    return "\n".join(chunks)


def test_without_a_keyring_backend_the_key_comes_from_the_environment(monkeypatch):
    keys = KeyStore()
    assert not keys.backend_available()  # these machines only have keyring's fail backend
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


def test_dialog_without_backend_says_so_and_keeps_key_for_session(qtbot, qloop, tmp_path):
    settings = Settings()
    keys = KeyStore()
    dialog = SettingsDialog(settings, keys)
    qtbot.addWidget(dialog)
    assert "no keyring backend" in dialog.key_note.text().lower()
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
    dialog = SettingsDialog(Settings(), keys)
    qtbot.addWidget(dialog)
    assert "keyring" in dialog.key_note.text() and "no keyring" not in dialog.key_note.text().lower()
    dialog.key_edit.setText(SECRET)
    dialog.save()
    assert memory_keyring.store[(KEYRING_SERVICE, KEYRING_USER)] == SECRET
    assert keys.resolve().source == "keyring"
    assert SECRET not in _all_files_text(tmp_path)
    # reopening never shows the key, only that one is stored
    second = SettingsDialog(Settings(), keys)
    qtbot.addWidget(second)
    assert second.key_edit.text() == "" and "stored in the keyring" in second.key_edit.placeholderText()
    second.forget_button.click()
    assert keys.resolve().source == "none"


def test_test_connection_checks_the_key_against_balance(qtbot, qloop, sandbox):
    dialog = SettingsDialog(Settings(), KeyStore())
    qtbot.addWidget(dialog)
    dialog.base_url_edit.setText(sandbox.base_url)
    dialog.key_edit.setText("test-key")
    dialog.test_connection()
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


def test_test_connection_without_any_key_says_what_to_do(qtbot, qloop):
    dialog = SettingsDialog(Settings(), KeyStore())
    qtbot.addWidget(dialog)
    dialog.sandbox_check.setChecked(False)
    dialog.test_connection()
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
