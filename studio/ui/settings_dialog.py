"""Settings: the API key (OS keyring only), server, sandbox, low-balance warning, polling and
download folder.

The key field never shows a stored key; leaving it empty keeps the key already in use.
The dialog only shows and edits: the keyring calls and the connection test run in the session
layer (studio.session.settings), on a worker thread or the event loop, never blocking the GUI.
"""

from __future__ import annotations

from typing import Any, Callable

import shiboken6
from PySide6.QtCore import QTimer, Signal
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

from studio.session.settings import (
    ENV_KEY,
    BadServerUrl,
    ConnectionCheck,
    KeyStatus,
    KeyStore,
    Settings,
    check_connection,
    forget_key,
    look_up_key,
    normalise_base_url,
    save_key,
)
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
        self.key_task: Any = None  # the keyring lookup / store / forget under way
        self.folder_dialog: QFileDialog | None = None
        self.key_status: KeyStatus | None = None  # None until the lookup answered

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
        self.base_url_edit.setPlaceholderText("https://api.legnext.ai/api")
        self.base_url_edit.textEdited.connect(lambda _text: self._show_url_note(""))
        form.addRow("Server", self.base_url_edit)
        self.url_note = QLabel()  # why the address cannot be used, or how it was completed
        self.url_note.setWordWrap(True)
        self.url_note.hide()
        form.addRow("", self.url_note)
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

        low_row = QHBoxLayout()
        low_row.setSpacing(8)
        self.low_balance = QSpinBox()
        self.low_balance.setRange(0, 100)
        self.low_balance.setSuffix(" jobs")
        self.low_balance.setSpecialValueText("never")
        self.low_balance.setValue(settings.low_balance_jobs)
        self.low_balance.setToolTip("The status bar's balance turns amber, and says so once, when the "
                                    "credits left pay for fewer jobs than this at the prompt's cost")
        low_row.addWidget(self.low_balance)
        low_note = QLabel("at the prompt's cost")
        low_note.setObjectName("Muted")
        low_row.addWidget(low_note, 1)
        form.addRow("Warn below", low_row)
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
        for spin in (self.poll_initial, self.poll_max, self.watch_timeout, self.low_balance):
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
        self._look_up_key()

    # ----- key ----------------------------------------------------------------------------
    def _look_up_key(self) -> None:
        self.key_status = None
        self.key_edit.setPlaceholderText("Looking up…")
        self.key_note.setText("Looking up the key in use…")
        self.forget_button.setEnabled(False)
        self.key_task = spawn(self._show_key_status(), name="settings: key lookup")

    def _note_changed(self) -> None:
        """A wrapped note grew after the dialog was laid out: grow the dialog, once the layout
        has taken the new text, so no line of it is cut off."""
        QTimer.singleShot(0, self._grow_to_fit)

    def _grow_to_fit(self) -> None:
        if not self._alive() or not self.isVisible():
            return
        # What each wrapped note lacks at its real width (the form layout's own estimate is
        # made for narrower columns and would overshoot).
        short = sum(max(0, label.heightForWidth(label.width()) - label.height())
                    for label in (self.key_note, self.url_note, self.test_result) if label.isVisible())
        if short:
            self.resize(self.width(), self.height() + short)

    def _alive(self) -> bool:
        # The dialog deletes itself on close; an answer arriving after that has nowhere to go.
        return shiboken6.isValid(self)

    async def _show_key_status(self) -> None:
        status = await look_up_key(self.keys)
        if not self._alive():
            return
        self.key_status = status
        self._describe_key(status)

    def _describe_key(self, status: KeyStatus) -> None:
        current = status.key
        if status.can_store:
            self.key_edit.setPlaceholderText(
                "•••••••• stored in the keyring — type to replace" if current.source == "keyring"
                else "Paste your key from legnext.ai/dashboard")
            note = "Saved in the system keyring, never in a file."
        else:
            self.key_edit.setPlaceholderText(
                "•••••••• in use for this session — type to replace" if current.source == "session"
                else "Paste your key (used for this session only)")
            note = f"{status.problem} A key typed here is used for this session only."
        if current.source == "environment":
            note += f" Currently using {ENV_KEY} from the environment."
        self.key_note.setText(note)
        self._note_changed()
        self.forget_button.setEnabled(current.source in ("keyring", "session"))

    def _forget(self) -> None:
        self.key_edit.clear()
        self.test_result.clear()
        self.forget_button.setEnabled(False)
        self.key_note.setText("Forgetting the key…")
        self.buttons.setEnabled(False)  # stays open until `applied` has fired (see reject)
        self.key_task = spawn(self._forget_then_look_up(), name="settings: forget key")

    async def _forget_then_look_up(self) -> None:
        try:
            await forget_key(self.keys)
            status = await look_up_key(self.keys)
        finally:
            if self._alive():
                self.buttons.setEnabled(True)
        if not self._alive():
            return
        # The studio must stop using the forgotten key now, not at the next Save.
        self.applied.emit()
        self.key_status = status
        self._describe_key(status)
        if status.key.source == "environment":
            now = f"New jobs now use {ENV_KEY} from the environment."
        elif status.key.present:
            now = f"New jobs now use the key from the {status.key.source}."
        else:
            now = "New jobs now run on the offline sandbox (nothing is charged)."
        self.key_note.setText(f"Key forgotten. {now}")
        self._note_changed()

    # ----- actions ------------------------------------------------------------------------
    def _browse(self) -> None:
        # Non-modal with a signal: a static getExistingDirectory would spin a nested event
        # loop inside qasync's.
        if self.folder_dialog is not None and self.folder_dialog.isVisible():
            self.folder_dialog.raise_()
            return
        dialog = QFileDialog(self, "Download folder", self.download_edit.text())
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        dialog.fileSelected.connect(self._folder_chosen)
        self.folder_dialog = dialog
        dialog.open()

    def _folder_chosen(self, folder: str) -> None:
        if folder:
            self.download_edit.setText(folder)

    def _show_url_note(self, text: str, *, error: bool = False) -> None:
        self.url_note.setText(text)
        self.url_note.setObjectName("ErrorText" if error else "Muted")
        self.url_note.style().unpolish(self.url_note)
        self.url_note.style().polish(self.url_note)
        self.url_note.setVisible(bool(text))
        self._note_changed()

    def _checked_base_url(self) -> str | None:
        """The server field as a usable address (a missing https:// is added, and shown), or
        None with the reason under the field."""
        typed = self.base_url_edit.text().strip()
        try:
            url = normalise_base_url(typed)
        except BadServerUrl as exc:
            self._show_url_note(str(exc), error=True)
            self.base_url_edit.setFocus()
            return None
        if url != typed:
            self.base_url_edit.setText(url)
        if not typed:
            self._show_url_note("Using the Legnext API")
        elif "://" not in typed:
            self._show_url_note(f"Completed to {url}")
        return url

    def test_connection(self) -> None:
        """Ask /account/balance with the key and server shown; the answer goes in the label."""
        sandbox = self._sandbox_url() if self.sandbox_check.isChecked() else None
        base_url = sandbox or self._checked_base_url()
        if base_url is None:
            return
        self.test_button.setEnabled(False)
        self._show_result("Checking…", error=False)
        self.test_task = spawn(
            self._test(base_url, self.key_edit.text().strip(), bool(sandbox)),
            name="settings: test connection")

    async def _test(self, base_url: str, typed: str, sandbox: bool) -> None:
        try:
            result: ConnectionCheck = await check_connection(base_url, typed, keys=self.keys,
                                                             sandbox=sandbox)
        finally:
            if self._alive():
                self.test_button.setEnabled(True)
        if self._alive():
            self._show_result(result.message, error=not result.ok)

    def _show_result(self, text: str, *, error: bool) -> None:
        self.test_result.setText(text)
        self._note_changed()
        self.test_result.setObjectName("ErrorText" if error else "Muted")
        self.test_result.style().unpolish(self.test_result)
        self.test_result.style().polish(self.test_result)

    def save(self) -> None:
        """Write the plain options; a typed key goes to the keyring off the GUI thread, then
        `applied` fires (the app reconnects with the new key). A server address that cannot
        be used keeps the dialog open with the reason, and saves nothing."""
        base_url = self._checked_base_url()
        if base_url is None:
            return
        self.settings.base_url = base_url
        self.settings.use_sandbox = self.sandbox_check.isChecked()
        self.settings.poll_initial = self.poll_initial.value()
        self.settings.poll_max = max(self.poll_max.value(), self.poll_initial.value())
        self.settings.watch_timeout = self.watch_timeout.value() * 60.0
        self.settings.low_balance_jobs = self.low_balance.value()
        self.settings.download_dir = self.download_edit.text().strip() or str(self.settings.download_dir)
        self.settings.sync()
        typed = self.key_edit.text().strip()
        self.key_edit.clear()
        if not typed:
            self.applied.emit()
            self.accept()
            return
        self.buttons.setEnabled(False)  # also keeps reject() (Esc) away until the key is saved
        self.key_note.setText("Saving the key…")
        self.key_task = spawn(self._save_key(typed), name="settings: save key")

    def reject(self) -> None:
        if not self.buttons.isEnabled():  # a key is being saved or forgotten: `applied` must still fire
            return
        super().reject()

    async def _save_key(self, typed: str) -> None:
        try:
            saved = await save_key(self.keys, typed)
        finally:
            if self._alive():
                self.buttons.setEnabled(True)
        if not self._alive():
            return
        self.applied.emit()
        if saved.note:
            # The key is in use for this session; stay open so the user reads why.
            self.key_note.setText(saved.note)
            self._note_changed()
            return
        self.accept()
