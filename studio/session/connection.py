"""Where jobs go, as one value the window shows: the built-in sandbox or a server, still being
looked up, or not connected and why. The app (studio.app) decides it; views only read it.

Failures of background work (connecting, a balance refresh, a key lookup) are told through the
same object, in the words the app chose, so no part of the app reaches into the window.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from PySide6.QtCore import QObject, Signal

NOT_CONNECTED = "Not connected"


@dataclass(frozen=True)
class ConnectionInfo:
    """Where jobs go; shown in the title and status bar."""

    sandbox: bool
    base_url: str
    reason: str = ""  # why this connection was chosen, e.g. "no API key set"
    pending: bool = False  # the key is still being looked up (the keyring is slow to load)
    problem: str = ""  # why there is no connection at all (a connect failed with no backend)

    @property
    def label(self) -> str:
        if self.problem:
            return NOT_CONNECTED
        if self.pending:
            return "Connecting…"
        if self.sandbox:
            return "Sandbox (offline)"
        return urlsplit(self.base_url).hostname or self.base_url


class Connection(QObject):
    """The connection state of this run, and the failures of its background work."""

    changed = Signal(object)  # ConnectionInfo
    # A background task failed: (message, whether the settings are the way out).
    failed = Signal(str, bool)

    def __init__(self, info: ConnectionInfo, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.info = info

    def set(self, info: ConnectionInfo) -> None:
        self.info = info
        self.changed.emit(info)

    def lost(self, message: str) -> None:
        """Connecting failed and nothing is connected: jobs cannot go anywhere."""
        self.set(replace(self.info, pending=False, problem=message))
        self.failed.emit(message, True)

    def task_failed(self, message: str, *, settings_help: bool = False) -> None:
        self.failed.emit(message, settings_help)
