"""The balance in the status bar ("balance 9 840 credits"): amber while low, and a click (or
Space / Enter, or Jobs → Account…) opens the account panel above it."""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QToolButton, QWidget

from studio.credits import credits_text
from studio.session.account import AccountSummary
from studio.ui.account.panel import AccountPanel, AccountPopover

TIP = "Credits left on the account, refreshed after each job. Click for the account."


class BalanceButton(QToolButton):
    def __init__(self, account: AccountSummary, *, sandbox: Callable[[], bool],
                 open_settings: Callable[[], Any], top_up: Callable[[], Any],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("BalanceButton")
        self.setAutoRaise(True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.account = account
        self._panel_options = dict(sandbox=sandbox, open_settings=open_settings, top_up=top_up)
        self.popover: AccountPopover | None = None  # built on first open
        self.clicked.connect(self.toggle_panel)
        account.changed.connect(self.show_balance)
        self.show_balance()

    def show_balance(self) -> None:
        credits = self.account.credits()
        self.setText(f"balance {credits_text(credits)}" if credits is not None else "balance —")
        low = self.account.low()
        if self.property("low") != low:
            self.setProperty("low", low)
            self.style().unpolish(self)
            self.style().polish(self)
        self.setToolTip(f"{self.account.low_text()}\n{TIP}" if low else TIP)

    def toggle_panel(self) -> AccountPopover:
        if self.popover is None:
            panel = AccountPanel(self.account, **self._panel_options)
            self.popover = AccountPopover(panel, self.window())
        if self.popover.isVisible():
            self.popover.hide()
        else:
            self.popover.panel.show_account()
            self.popover.open_at(self)
        return self.popover
