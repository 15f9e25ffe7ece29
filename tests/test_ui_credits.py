"""Credits are written one way everywhere (UI.md: "9 840 credits", a thin space grouping
thousands): the balance in the status bar, a popover's cost, the editor's cost line and the
connection test all use studio.credits."""

from __future__ import annotations

from types import SimpleNamespace

from studio.credits import balance_credits, credits_text, format_credits
from studio.ui.grid.action_dialogs import cost_text

THIN = "\u2009"


def test_one_format_for_credits():
    assert format_credits(9840) == f"9{THIN}840"
    assert format_credits(1_250_000) == f"1{THIN}250{THIN}000"
    assert format_credits(80) == "80"
    assert credits_text(9840) == f"9{THIN}840 credits"
    assert credits_text(1) == "1 credit"
    assert cost_text(12000) == f"12{THIN}000 credits"  # a popover's cost line
    assert cost_text(None) == "cost not known"


def test_credits_of_a_balance():
    assert balance_credits(None) is None
    assert balance_credits(SimpleNamespace(available_credits=9840, available_points=5)) == 9840
    assert balance_credits(SimpleNamespace(available_credits=None, available_points=120)) == 120
    assert balance_credits(SimpleNamespace(available_credits=None, available_points=None)) is None


def test_the_window_and_the_connection_test_use_it(qtbot, qloop, sandbox):
    from studio.app import Studio
    from studio.session.settings import KeyStore, check_connection
    from studio.session.tasks import spawn

    sandbox.state.balance = 12345
    keys = KeyStore()
    keys.set_session_key("test-key")
    studio = Studio(base_url=sandbox.base_url, keys=keys, poll_time_scale=1 / 200)
    window = studio.build_window()
    qtbot.addWidget(window)
    spawn(studio.connect(), name="connect")
    try:
        qtbot.waitUntil(lambda: window.balance_label.text() == f"balance 12{THIN}345 credits", timeout=10000)
        check = spawn(check_connection(sandbox.base_url, "test-key"), name="check")
        qtbot.waitUntil(check.done, timeout=10000)
        assert f"12{THIN}345 credits available" in check.result().message
    finally:
        task = spawn(studio.aclose(), name="close")
        qtbot.waitUntil(task.done, timeout=10000)
