"""The account panel: credits, points and the dollar balance from /account/balance, the plan
and this month's quota from /account/info where the server has it, and the low-balance line;
shown as a popover from the status bar's balance (studio.ui.account.balance_button).

It only shows what `AccountSummary` (studio.session.account) holds and asks it to refresh;
numbers are written with studio.credits like everywhere else.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

import shiboken6
from PySide6.QtCore import QPoint, QRect, Qt, QTimer
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from studio.credits import credits_text, format_credits
from studio.session import failures
from studio.session.account import INFO_FAILED, INFO_MISSING, INFO_READING, AccountSummary

PANEL_WIDTH = 340
_QUOTA_STEPS = 1000


def _label(name: str = "Muted", *, wrap: bool = True) -> QLabel:
    label = QLabel()
    label.setObjectName(name)
    label.setWordWrap(wrap)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def _break(layout: QVBoxLayout) -> None:
    """A thin rule between two parts of the panel."""
    line = QFrame()
    line.setObjectName("AccountRule")
    line.setFrameShape(QFrame.Shape.HLine)
    line.setFixedHeight(1)
    layout.addSpacing(4)
    layout.addWidget(line)
    layout.addSpacing(4)


def _day(when: datetime) -> str:
    local = when.astimezone()
    return f"{local.day} {local:%b %Y}"


def _set(label: QLabel, text: str) -> None:
    """Text when there is some, hidden when not (no empty rows in the panel)."""
    label.setText(text)
    label.setVisible(bool(text))


class AccountPanel(QFrame):
    """The panel's body, bound to an `AccountSummary`."""

    def __init__(self, account: AccountSummary, *, sandbox: Callable[[], bool],
                 open_settings: Callable[[], Any], top_up: Callable[[], Any],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("AccountPanel")
        self.account = account
        self._sandbox = sandbox
        self.setFixedWidth(PANEL_WIDTH)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 14)
        layout.setSpacing(6)

        head = QHBoxLayout()
        title = QLabel("ACCOUNT")
        title.setObjectName("AccountTitle")
        head.addWidget(title)
        head.addStretch(1)
        self.plan = _label("PlanBadge", wrap=False)
        head.addWidget(self.plan)
        layout.addLayout(head)

        self.credits = _label("AccountCredits", wrap=False)
        layout.addWidget(self.credits)
        self.figures = _label()  # points · dollars
        layout.addWidget(self.figures)
        self.server_alert = _label("WarningText")  # the account's own alert (balance_usd < threshold)
        layout.addWidget(self.server_alert)

        _break(layout)
        self.quota = _label("AccountText")
        layout.addWidget(self.quota)
        self.quota_bar = QProgressBar()
        self.quota_bar.setRange(0, _QUOTA_STEPS)
        self.quota_bar.setTextVisible(False)
        self.quota_bar.setFixedHeight(4)
        layout.addWidget(self.quota_bar)
        self.quota_note = _label()
        layout.addWidget(self.quota_note)
        self.info_note = _label()  # why there is no plan and quota to show
        layout.addWidget(self.info_note)

        _break(layout)
        self.low = _label("WarningText")
        layout.addWidget(self.low)
        threshold_row = QHBoxLayout()
        threshold_row.setSpacing(8)
        self.threshold = _label()
        threshold_row.addWidget(self.threshold, 1)
        self.change = QPushButton("Change…")
        self.change.setObjectName("LinkButton")
        self.change.setToolTip("Settings → Warn below")
        self.change.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.change.clicked.connect(lambda: (self.window().hide(), open_settings()))
        threshold_row.addWidget(self.change, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(threshold_row)

        _break(layout)
        self.updated = _label()
        layout.addWidget(self.updated)
        foot = QHBoxLayout()
        foot.setSpacing(8)
        foot.addStretch(1)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setToolTip("Ask the server for the balance (and the plan) now")
        self.refresh_button.clicked.connect(account.refresh)
        foot.addWidget(self.refresh_button)
        self.top_up = QPushButton("Top up…")
        self.top_up.setToolTip("Buy credits in the Legnext dashboard (opens the browser)")
        self.top_up.clicked.connect(lambda: (self.window().hide(), top_up()))
        foot.addWidget(self.top_up)
        layout.addLayout(foot)

        account.changed.connect(self.show_account)
        self.show_account()

    # ----- what it shows ----------------------------------------------------------------------
    def show_account(self) -> None:
        account = self.account
        balance, credits = account.balance, account.credits()
        sandbox = self._sandbox()
        self.credits.setText(credits_text(credits) if credits is not None else "—")
        figures = []
        points = getattr(balance, "available_points", None)
        if points is not None:
            figures.append(f"{format_credits(points)} point{'s' if points != 1 else ''}")
        usd = getattr(balance, "balance_usd", None)
        if usd is not None:
            figures.append(f"${usd:,.2f}")
        _set(self.figures, " · ".join(figures) if balance is not None
             else "The balance shows once the server has answered.")
        threshold = getattr(balance, "alert_threshold", None)
        _set(self.server_alert, "Below the account's own alert threshold"
             + (f" (${threshold:,.0f})." if threshold is not None else ".")
             if getattr(balance, "low_balance_alert", False) else "")
        self._show_info()
        _set(self.low, account.low_text() if account.low() else "")
        self.threshold.setText(account.threshold_text())
        when = getattr(balance, "updated_at", None)
        self.updated.setText(("Offline sandbox: nothing is charged. " if sandbox else "")
                             + (f"Updated {when.astimezone():%H:%M}" if when else "Not read yet")
                             + ", refreshed after each job.")
        self.top_up.setVisible(not sandbox)

    def _show_info(self) -> None:
        account, info = self.account, self.account.info
        state = account.info_state
        if info is None:
            self.plan.hide()
            for widget in (self.quota, self.quota_bar, self.quota_note):
                widget.hide()
            _set(self.info_note, {
                INFO_MISSING: failures.NO_ACCOUNT_INFO,
                INFO_READING: "Reading the plan and quota…",
                INFO_FAILED: account.info_problem,
            }.get(state, "The plan and quota are read when the server has answered."))
            return
        status = info.status if info.status and info.status != "active" else ""
        _set(self.plan, " · ".join(p for p in (f"{info.plan.capitalize()} plan" if info.plan else "", status) if p))
        self.plan.setProperty("warn", bool(status))
        self.plan.style().unpolish(self.plan)
        self.plan.style().polish(self.plan)
        quota = info.quota
        limit, remaining = quota.monthly_limit, quota.remaining
        if limit and remaining is not None:
            _set(self.quota, f"This month: {format_credits(int(remaining))} of {credits_text(int(limit))} left")
            self.quota_bar.setValue(max(0, min(_QUOTA_STEPS, round(_QUOTA_STEPS * remaining / limit))))
            self.quota_bar.show()
        else:
            _set(self.quota, "This month's quota is not reported.")
            self.quota_bar.hide()
        notes = []
        if quota.reset_at is not None:
            notes.append(f"Resets {_day(quota.reset_at)}")
        if info.used is not None:
            notes.append(f"{credits_text(int(info.used))} used in all")
        _set(self.quota_note, " · ".join(notes))
        _set(self.info_note, account.info_problem if state == INFO_FAILED else "")


class AccountPopover(QFrame):
    """The panel as a popover: opens above the status bar's balance, closes on a click outside
    or Esc, never modal. While open, /account/info follows the balance."""

    def __init__(self, panel: AccountPanel, parent: QWidget) -> None:
        super().__init__(parent, Qt.WindowType.Popup | Qt.WindowType.FramelessWindowHint)
        self.setObjectName("AccountPopover")
        # The click that closes it stays with it: a click on the balance closes, not reopens.
        self.setAttribute(Qt.WidgetAttribute.WA_NoMouseReplay)
        self.panel = panel
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(panel)
        self._anchor: QWidget | None = None
        panel.account.changed.connect(self._content_changed)  # after the panel's own update

    def open_at(self, anchor: QWidget) -> None:
        """Above `anchor`, right edges aligned, inside the anchor's window."""
        self._anchor = anchor
        self._place()
        self.show()
        self.panel.refresh_button.setFocus()

    def _place(self) -> None:
        """Sized to the panel's content (it grows when the plan arrives), its bottom just above
        the anchor."""
        anchor = self._anchor
        if anchor is None:
            return
        width = PANEL_WIDTH + 2  # the 1 px border each side
        layout = self.layout()
        layout.activate()
        height = max(self.minimumSizeHint().height(), layout.totalHeightForWidth(width)
                     if layout.hasHeightForWidth() else self.sizeHint().height())
        corner = anchor.mapToGlobal(QPoint(anchor.width(), 0))
        place = QRect(corner.x() - width, corner.y() - height - 4, width, height)
        window = anchor.window()
        area = QRect(window.mapToGlobal(QPoint(0, 0)), window.size())
        place.moveLeft(max(area.left(), min(place.left(), area.right() - width)))
        place.moveTop(max(area.top(), place.top()))
        self.setGeometry(place)

    def _content_changed(self) -> None:
        # Once the labels' new sizes (posted as events) have reached the layout.
        QTimer.singleShot(0, self._refit)

    def _refit(self) -> None:
        if shiboken6.isValid(self) and self.isVisible():
            self._place()

    def showEvent(self, event: Any) -> None:  # noqa: N802
        super().showEvent(event)
        self.panel.account.watch(True)

    def hideEvent(self, event: Any) -> None:  # noqa: N802
        super().hideEvent(event)
        self.panel.account.watch(False)
