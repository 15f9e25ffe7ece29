"""The account panel (a popover from the status bar's balance) on the real window, against a
sandbox over loopback: balance, points, plan and quota after jobs end, refreshed with the jobs
(never on a timer of its own); the low-balance alert once per crossing; a server without
/account/info."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from studio.credits import credits_text, format_credits
from studio.sandbox import SandboxServer
from studio.session import failures
from studio.session.jobs import COMPLETED
from tests.studio_support import start_studio, stop_studio

PROMPT = "a lighthouse at dusk --v 7"  # 80 credits
COST = 80


def _info_reads(server) -> int:
    return len(server.state.requests_to("/account/info", "GET"))


def _balance_reads(server) -> int:
    return len(server.state.requests_to("/account/balance", "GET"))


def _jobs_end(qtbot, studio, server, count=1):
    """`count` jobs from the prompt, ended, and the balance read after them."""
    reads = _balance_reads(server)
    entries = [studio.jobs.submit("diffusion", text=PROMPT, prompt=PROMPT) for _ in range(count)]
    qtbot.waitUntil(lambda: all(e.finished and e.status == COMPLETED for e in entries), timeout=30000)
    qtbot.waitUntil(lambda: _balance_reads(server) > reads, timeout=10000)
    return entries


@pytest.fixture
def open_studio(qtbot, qloop):
    """start_studio on a given server, its first balance read; closed after the test."""
    made = []

    def start(server):
        studio = start_studio(qtbot, base_url=server.base_url)
        qtbot.waitUntil(lambda: studio.window.account.credits() is not None, timeout=10000)
        made.append(studio)
        return studio

    yield start
    for studio in made:
        stop_studio(qtbot, studio)


def test_the_panel_shows_the_account_and_follows_the_jobs(qtbot, open_studio, sandbox):
    studio = open_studio(sandbox)
    window = studio.window
    button = window.balance_label
    assert button.text() == f"balance {credits_text(10_000)}"
    assert _info_reads(sandbox) == 0  # nothing asked before the panel opens

    popover = button.toggle_panel()
    panel = popover.panel
    assert popover.isVisible() and window.account.watching
    qtbot.waitUntil(lambda: panel.plan.text() == "Pro plan", timeout=5000)
    assert _info_reads(sandbox) == 1
    assert panel.credits.text() == credits_text(10_000)
    assert panel.figures.text() == "0 points · $10.00"
    assert panel.quota.text() == f"This month: {format_credits(10_000)} of {credits_text(10_000)} left"
    assert panel.quota_note.text().startswith("Resets 1 ") and panel.quota_note.text().endswith(
        f"{credits_text(0)} used in all")
    assert not panel.low.isVisible()
    assert panel.threshold.text() == f"Warns below {credits_text(5 * COST)} (5 jobs at this prompt's cost)."

    # Refresh asks for both now.
    balance_before, info_before = _balance_reads(sandbox), _info_reads(sandbox)
    qtbot.mouseClick(panel.refresh_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _info_reads(sandbox) == info_before + 1, timeout=5000)
    assert _balance_reads(sandbox) == balance_before + 1
    assert panel.top_up.isVisible()  # a real account (the built-in sandbox has nothing to top up)

    # Two jobs ending together: one balance read and one info read for the batch.
    balance_before, info_before = _balance_reads(sandbox), _info_reads(sandbox)
    _jobs_end(qtbot, studio, sandbox, count=2)
    left = 10_000 - 2 * COST
    qtbot.waitUntil(lambda: panel.credits.text() == credits_text(left), timeout=5000)
    qtbot.waitUntil(lambda: panel.quota.text().startswith(f"This month: {format_credits(left)} of"), timeout=5000)
    assert _balance_reads(sandbox) - balance_before == 1
    assert _info_reads(sandbox) - info_before == 1
    assert panel.quota_note.text().endswith(f"{credits_text(2 * COST)} used in all")
    assert button.text() == f"balance {credits_text(left)}"

    # Closed, the panel asks nothing when jobs end; it catches up (once) when it opens again.
    popover.hide()
    assert not window.account.watching
    info_before = _info_reads(sandbox)
    _jobs_end(qtbot, studio, sandbox)
    qtbot.waitUntil(lambda: button.text() == f"balance {credits_text(left - COST)}", timeout=5000)
    assert _info_reads(sandbox) == info_before
    button.toggle_panel()
    qtbot.waitUntil(lambda: panel.quota.text().startswith(f"This month: {format_credits(left - COST)} of"),
                    timeout=5000)
    assert _info_reads(sandbox) == info_before + 1
    assert button.toggle_panel() is popover and not popover.isVisible()  # a second click closes it
    # The Jobs menu opens it too (keyboard users).
    window.account_action.trigger()
    assert popover.isVisible()
    popover.hide()


def test_low_balance_is_told_once_per_crossing(qtbot, open_studio):
    with SandboxServer(keys=["test-key"], speed=200.0, image_size_cap=128, balance=500) as server:
        studio = open_studio(server)
        window, account = studio.window, studio.window.account
        alerts = []
        account.low_balance.connect(alerts.append)
        assert not account.low() and window.banner.isHidden()  # 500 ≥ 5 jobs × 80

        _jobs_end(qtbot, studio, server)  # 420: still above
        qtbot.waitUntil(lambda: account.credits() == 420, timeout=5000)
        assert alerts == [] and window.balance_label.property("low") is False

        _jobs_end(qtbot, studio, server)  # 340: crosses the line
        qtbot.waitUntil(lambda: len(alerts) == 1, timeout=5000)
        assert alerts == [f"Low balance: {credits_text(340)} left, about 4 jobs at this prompt's cost "
                          f"({credits_text(COST)} each)."]
        assert not window.banner.isHidden() and window.banner.topic == "account"
        assert window.banner.label.text() == alerts[0]
        assert window.banner.button.text() == "Top up…"  # a real account (not the built-in sandbox)
        assert window.balance_label.property("low") is True
        assert alerts[0] in window.balance_label.toolTip()

        _jobs_end(qtbot, studio, server)  # 260: still low, not told again; the banner keeps to the figure
        qtbot.waitUntil(lambda: account.credits() == 260, timeout=5000)
        assert len(alerts) == 1
        assert window.banner.label.text().startswith(f"Low balance: {credits_text(260)} left")

        # Topped up: no longer low, the banner goes; the next crossing is told again.
        server.state.balance = 2000
        window.jobs.refresh_balance()
        qtbot.waitUntil(lambda: account.credits() == 2000, timeout=5000)
        assert window.banner.isHidden() and window.balance_label.property("low") is False

        # A dearer prompt moves the line (quietly) ...
        studio.prompt_state.set_text("a lighthouse --v 8 --hd", origin="program")
        dear = studio.prompt_state.lint().cost.credits
        assert dear > COST and account.threshold() == 5 * dear
        assert len(alerts) == 1 and not account.low()
        # ... and a larger number of jobs in Settings (the field saved, the line moved).
        dialog = window.open_settings()
        dialog.low_balance.setValue(30)
        dialog.save()
        assert window.settings.low_balance_jobs == 30
        assert account.threshold() == 30 * dear > 2000
        window.jobs.refresh_balance()
        qtbot.waitUntil(lambda: len(alerts) == 2, timeout=5000)
        assert "less than" not in alerts[1] and f"({credits_text(dear)} each)" in alerts[1]

        # Off: "never" in Settings.
        window.settings.low_balance_jobs = 0
        account.prompt_changed()
        assert account.threshold() is None and not account.low()
        assert account.threshold_text() == "The low-balance warning is off."


def test_the_alert_says_when_a_single_job_is_more_than_is_left(qtbot, open_studio):
    with SandboxServer(keys=["test-key"], speed=200.0, image_size_cap=128, balance=50) as server:
        studio = open_studio(server)
        window = studio.window
        qtbot.waitUntil(lambda: not window.banner.isHidden(), timeout=5000)
        assert window.banner.label.text() == (f"Low balance: {credits_text(50)} left, less than this "
                                              f"prompt costs ({credits_text(COST)}).")


def test_a_server_without_account_info(qtbot, open_studio, sandbox_without_listing):
    server = sandbox_without_listing
    studio = open_studio(server)
    button = studio.window.balance_label
    panel = button.toggle_panel().panel
    qtbot.waitUntil(lambda: panel.info_note.text() == failures.NO_ACCOUNT_INFO, timeout=5000)
    assert _info_reads(server) == 1
    assert panel.credits.text() == credits_text(10_000)  # the balance is there all the same
    assert not panel.plan.isVisible() and not panel.quota.isVisible() and not panel.quota_bar.isVisible()
    assert studio.window.banner.isHidden()  # said in the panel only, quietly
    _jobs_end(qtbot, studio, server)
    qtbot.waitUntil(lambda: panel.credits.text() == credits_text(10_000 - COST), timeout=5000)
    assert _info_reads(server) == 1  # a 404 is remembered for this server
    assert panel.info_note.text() == failures.NO_ACCOUNT_INFO
    button.toggle_panel()
