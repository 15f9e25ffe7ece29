"""Settings: the API key (OS keyring only), server, sandbox, polling and download folder.

The key field never shows a stored key; leaving it empty keeps the key already in use.
"""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from studio.session.settings import ENV_KEY, KeyringUnavailable, KeyStore, Settings
from studio.session.tasks import spawn


def _section(title: str) -> QLabel:
    label = QLabel(title.upper())
    label.setObjectName("Muted")
    font = label.font()
    font.setPointSizeF(font.pointSizeF() - 1)
    font.setBold(True)
    label.setFont(font)
    return label


class SettingsDialog(QDialog):
    """Edit the settings; `applied` fires after Save wrote them (the app then reconnects)."""

    applied = Signal()

    def __init__(
        self,
        settings: Settings,
        keys: KeyStore,
        parent: QWidget | None = None,
        *,
        sandbox_url: Callable[[], str | None] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings — Legnext Studio")
        self.setMinimumWidth(520)
        self.settings = settings
        self.keys = keys
        self._sandbox_url = sandbox_url or (lambda: None)
        self.test_task: Any = None

        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 16, 18, 14)
        layout.setSpacing(8)

        # --- API key ----------------------------------------------------------------------
        layout.addWidget(_section("Legnext account"))
        form = QFormLayout()
        form.setHorizontalSpacing(12)
        form.setVerticalSpacing(8)
        self.key_edit = QLineEdit()
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_edit.setClearButtonEnabled(True)
        key_row = QHBoxLayout()
        key_row.addWidget(self.key_edit, 1)
        self.forget_button = QPushButton("Forget")
        self.forget_button.setToolTip("Remove the stored key from the keyring")
        self.forget_button.clicked.connect(self._forget)
        key_row.addWidget(self.forget_button)
        form.addRow("API key", key_row)
        self.key_note = QLabel()
        self.key_note.setWordWrap(True)
        self.key_note.setObjectName("Muted")
        form.addRow("", self.key_note)

        self.base_url_edit = QLineEdit(settings.base_url)
        form.addRow("Server", self.base_url_edit)
        self.sandbox_check = QCheckBox("Use the built-in offline sandbox (nothing is charged)")
        self.sandbox_check.setChecked(settings.use_sandbox)
        self.sandbox_check.setToolTip("Without an API key the studio always runs on the sandbox")
        form.addRow("", self.sandbox_check)

        test_row = QHBoxLayout()
        self.test_button = QPushButton("Test connection")
        self.test_button.clicked.connect(self.test_connection)
        test_row.addWidget(self.test_button)
        self.test_result = QLabel()
        self.test_result.setWordWrap(True)
        test_row.addWidget(self.test_result, 1)
        form.addRow("", test_row)
        layout.addLayout(form)

        # --- polling ----------------------------------------------------------------------
        layout.addSpacing(6)
        layout.addWidget(_section("Watching jobs"))
        poll = QFormLayout()
        poll.setHorizontalSpacing(12)
        self.poll_initial = QDoubleSpinBox()
        self.poll_initial.setRange(0.2, 30.0)
        self.poll_initial.setSingleStep(0.5)
        self.poll_initial.setSuffix(" s")
        self.poll_initial.setValue(settings.poll_initial)
        poll.addRow("First check after", self.poll_initial)
        self.poll_max = QDoubleSpinBox()
        self.poll_max.setRange(1.0, 120.0)
        self.poll_max.setSuffix(" s")
        self.poll_max.setValue(settings.poll_max)
        poll.addRow("Longest pause between checks", self.poll_max)
        self.watch_timeout = QSpinBox()
        self.watch_timeout.setRange(0, 240)
        self.watch_timeout.setSuffix(" min")
        self.watch_timeout.setSpecialValueText("never")
        self.watch_timeout.setValue(int(round(settings.watch_timeout / 60)))
        poll.addRow("Stop watching after", self.watch_timeout)
        for spin in (self.poll_initial, self.poll_max, self.watch_timeout):
            # Typed or scrolled (the theme draws no arrow buttons); the values are short.
            spin.setButtonSymbols(QSpinBox.ButtonSymbols.NoButtons)
            spin.setMinimumWidth(110)
            spin.setMaximumWidth(140)
        layout.addLayout(poll)

        # --- files ------------------------------------------------------------------------
        layout.addSpacing(6)
        layout.addWidget(_section("Files"))
        files = QFormLayout()
        files.setHorizontalSpacing(12)
        folder_row = QHBoxLayout()
        self.download_edit = QLineEdit(str(settings.download_dir))
        folder_row.addWidget(self.download_edit, 1)
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        folder_row.addWidget(browse)
        files.addRow("Download folder", folder_row)
        layout.addLayout(files)

        layout.addStretch(1)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        save = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        save.setProperty("primary", True)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self._describe_key()

    # ----- key ----------------------------------------------------------------------------
    def _describe_key(self) -> None:
        current = self.keys.resolve()
        has_backend = self.keys.backend_available()
        if has_backend:
            self.key_edit.setPlaceholderText(
                "•••••••• stored in the keyring — type to replace" if current.source == "keyring"
                else "Paste your key from legnext.ai/dashboard")
            note = "Saved in the system keyring, never in a file."
            if current.source == "environment":
                note += f" Currently using {ENV_KEY} from the environment."
        else:
            self.key_edit.setPlaceholderText(
                "•••••••• in use for this session — type to replace" if current.source == "session"
                else "Paste your key (used for this session only)")
            note = (
                "This machine has no keyring backend, so the key cannot be saved. A key typed "
                f"here is used for this session only; set {ENV_KEY} in the environment to have "
                "it at every start."
            )
            if current.source == "environment":
                note += f" Currently using {ENV_KEY} from the environment."
        self.key_note.setText(note)
        self.forget_button.setEnabled(current.source in ("keyring", "session"))

    def _forget(self) -> None:
        self.keys.forget()
        self.key_edit.clear()
        self.test_result.clear()
        self._describe_key()

    def _key_to_test(self) -> str | None:
        typed = self.key_edit.text().strip()
        return typed or self.keys.resolve().value

    # ----- actions ------------------------------------------------------------------------
    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Download folder", self.download_edit.text())
        if folder:
            self.download_edit.setText(folder)

    def test_connection(self) -> None:
        """Ask /account/balance with the key and server shown; the answer goes in the label."""
        sandbox = self._sandbox_url() if self.sandbox_check.isChecked() else None
        base_url = sandbox or self.base_url_edit.text().strip()
        key = self._key_to_test() or ("sandbox" if sandbox else None)
        if not key:
            self._show_result("Enter an API key first.", error=True)
            return
        self.test_button.setEnabled(False)
        self._show_result("Checking…", error=False)
        self.test_task = spawn(self._test(key, base_url), name="settings: test connection")

    async def _test(self, key: str, base_url: str) -> None:
        from studio.api.client import LegnextClient
        from studio.api.errors import LegnextError

        try:
            async with LegnextClient(key, base_url, timeout=15) as client:
                balance = await client.balance()
        except LegnextError as exc:
            self._show_result(exc.user_message, error=True)
        except Exception as exc:  # e.g. a malformed URL: say it, do not crash the dialog
            self._show_result(f"Could not connect: {exc}", error=True)
        else:
            credits = balance.available_credits
            points = balance.available_points
            amount = credits if credits is not None else points
            where = "sandbox" if "127.0.0.1" in base_url else base_url
            text = f"Connected to {where}: the key works"
            if amount is not None:
                text += f" — {amount:,} credits available"
            self._show_result(text + ".", error=False)
        finally:
            self.test_button.setEnabled(True)

    def _show_result(self, text: str, *, error: bool) -> None:
        self.test_result.setText(text)
        self.test_result.setObjectName("ErrorText" if error else "Muted")
        self.test_result.style().unpolish(self.test_result)
        self.test_result.style().polish(self.test_result)

    def save(self) -> None:
        typed = self.key_edit.text().strip()
        if typed:
            try:
                self.keys.store(typed)
            except KeyringUnavailable:
                self.keys.set_session_key(typed)
            except Exception as exc:  # a keyring that refuses (locked, denied): keep it for now
                self.keys.set_session_key(typed)
                self.key_note.setText(f"The keyring refused the key ({exc}); it is used for this session only.")
        self.settings.base_url = self.base_url_edit.text().strip()
        self.settings.use_sandbox = self.sandbox_check.isChecked()
        self.settings.poll_initial = self.poll_initial.value()
        self.settings.poll_max = max(self.poll_max.value(), self.poll_initial.value())
        self.settings.watch_timeout = self.watch_timeout.value() * 60.0
        self.settings.download_dir = self.download_edit.text().strip() or str(self.settings.download_dir)
        self.settings.sync()
        self.key_edit.clear()
        self.applied.emit()
        self.accept()
