"""Announcements: a line in the status bar, and a system tray message where the desktop has one."""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QMainWindow, QStatusBar, QSystemTrayIcon


class Notifier(QObject):
    """Tells the user about things that happened away from where they are looking."""

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self._window = window
        self._tray: QSystemTrayIcon | None = None
        self.announced: list[str] = []  # every announcement of this run, newest last

    @property
    def status_bar(self) -> QStatusBar:
        return self._window.statusBar()

    def tray_available(self) -> bool:
        return QSystemTrayIcon.isSystemTrayAvailable() and QSystemTrayIcon.supportsMessages()

    def _ensure_tray(self) -> QSystemTrayIcon | None:
        if self._tray is None and self.tray_available():
            self._tray = QSystemTrayIcon(self._window.windowIcon(), self)
            self._tray.setToolTip("Legnext Studio")
            self._tray.messageClicked.connect(self._raise_window)
            self._tray.show()
        return self._tray

    def _raise_window(self) -> None:
        self._window.showNormal()
        self._window.raise_()
        self._window.activateWindow()

    def status(self, text: str, timeout_ms: int = 6000) -> None:
        """A passing note in the status bar."""
        self.status_bar.showMessage(text, timeout_ms)

    def announce(self, title: str, text: str, *, error: bool = False) -> None:
        """Status bar line plus a tray message (when the desktop offers one)."""
        line = f"{title} — {text}" if text else title
        self.announced.append(line)
        self.status(line, 10000)
        tray = self._ensure_tray()
        if tray is not None:
            icon = QSystemTrayIcon.MessageIcon.Warning if error else QSystemTrayIcon.MessageIcon.Information
            tray.showMessage(title, text, icon, 6000)
