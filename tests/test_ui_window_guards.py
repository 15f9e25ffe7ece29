"""The main window guards the user's money and work: one job per Generate however the keys are
held, a question before quitting with jobs still running, the prompt kept across restarts, one
clear 402 message with the way to top up, and a grid that keeps its share of a small window."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QMessageBox

from studio.app import Studio
from studio.session.jobs import SUBMITTING
from studio.session.settings import KeyStore, Settings
from studio.ui import main_window
from studio.session.connection import ConnectionInfo

from studio_support import start_studio, stop_studio




def _posts(server, path: str) -> list:
    return [r for r in server.state.requests if r.method == "POST" and r.path.endswith(path)]


def _ctrl_enter(widget, *, repeat: bool) -> None:
    QApplication.sendEvent(widget, QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_Return,
                                             Qt.KeyboardModifier.ControlModifier, "\r", repeat))


# ---- one job per Generate ----------------------------------------------------------------------

def test_a_held_ctrl_enter_and_a_second_click_send_one_job(qtbot, qloop, sandbox):
    studio = start_studio(qtbot, base_url=sandbox.base_url)
    window = studio.window
    try:
        studio.prompt_state.set_text("a red fox in snow", origin="program")
        field = window.editor.text_edit
        field.setFocus()
        _ctrl_enter(field, repeat=False)
        for _ in range(3):  # the key is held a moment: auto-repeats follow the press
            _ctrl_enter(field, repeat=True)
        assert len(window.jobs.entries()) == 1
        first = window.jobs.entries()[0]
        assert first.status == SUBMITTING  # the POST has not been answered yet

        # a double click's second click, or Generate again before the server answered
        window.editor.generate_button.click()
        assert len(window.jobs.entries()) == 1
        assert "Already sending this prompt" in window.statusBar().currentMessage()

        qtbot.waitUntil(lambda: first.finished, timeout=10000)
        assert first.ok and len(_posts(sandbox, "/v1/diffusion")) == 1
        # once the server has it, the same prompt may be sent again on purpose
        window.editor.generate_button.click()
        qtbot.waitUntil(lambda: len(window.jobs.entries()) == 2 and window.jobs.entries()[1].finished,
                        timeout=10000)
        assert len(_posts(sandbox, "/v1/diffusion")) == 2
        # the window's own Ctrl+Enter (focus elsewhere) does not repeat either
        assert not window.generate_action.autoRepeat()
    finally:
        stop_studio(qtbot, studio)


# ---- quitting -----------------------------------------------------------------------------------

def test_quitting_with_running_jobs_asks_first(qtbot, qloop):
    from studio.sandbox import SandboxServer

    # slow jobs (several seconds): still running while the question is answered
    with SandboxServer(keys=["test-key"], speed=0.5, image_size_cap=128) as server:
        studio = start_studio(qtbot, base_url=server.base_url)
        window = studio.window
        closed: list[bool] = []
        window.closed.connect(lambda: closed.append(True))
        try:
            entry = window.submit_prompt("a slow lighthouse")
            qtbot.waitUntil(lambda: entry.job_id is not None, timeout=5000)
            assert entry.active

            window.close()
            box = window.quit_box
            assert box is not None and box.isVisible() and window.isVisible() and closed == []
            assert "1 job is still running" in box.text()
            assert "picks it up again" in box.text() and "next start" in box.text()
            assert box.defaultButton() is box.button(QMessageBox.StandardButton.Cancel)
            box.button(QMessageBox.StandardButton.Cancel).click()
            assert window.isVisible() and closed == [] and entry.active

            window.close()
            box = window.quit_box
            quit_button = next(b for b in box.buttons() if b.text() == "Quit")
            quit_button.click()
            assert not window.isVisible() and closed == [True]
        finally:
            stop_studio(qtbot, studio)


def test_the_quit_question_on_the_sandbox_says_nothing_is_charged(qtbot, qloop):
    studio = Studio(offline=True, keys=KeyStore())
    window = studio.build_window()
    qtbot.addWidget(window)
    window.set_connection(ConnectionInfo(sandbox=True, base_url=""))
    box = window.ask_before_quitting(3)
    assert "3 jobs are still running on the offline sandbox" in box.text()
    assert "nothing is charged" in box.text()
    box.reject()  # Escape, or the box's own close button
    assert window.quit_box is None
    assert window.ask_before_quitting(1).text().startswith("1 job is still running")


# ---- the prompt survives a restart ---------------------------------------------------------------

def test_the_prompt_is_back_after_a_restart_and_the_key_never_in_the_file(qtbot, qloop):
    secret = "sk-live-do-not-write-me"
    keys = KeyStore()
    keys.set_session_key(secret)
    text = "a harbour at dawn --ar 16:9 --s 250 --v 7"
    first = Studio(offline=True, keys=keys)
    window = first.build_window()
    qtbot.addWidget(window)
    window.show()
    first.prompt_state.set_text(text, origin="editor")
    window.close()  # no job running: closes without asking

    again = Studio(offline=True, keys=KeyStore())
    restored = again.build_window()
    qtbot.addWidget(restored)
    assert again.prompt_state.text() == text
    assert restored.editor.text_edit.toPlainText() == text
    assert restored.param_panel.rows["stylize"].spin.value() == 250  # the parameters came back too
    assert again.prompt_state.undo_stack.count() == 0  # a start, not an edit to undo
    saved = Settings().path.read_text()
    assert "harbour at dawn" in saved and secret not in saved

    # a scripted run (--screenshot) neither asks nor replaces the saved prompt
    restored.interactive = False
    again.prompt_state.set_text("the demo prompt", origin="program")
    restored.close()
    assert Settings().prompt_text == text


# ---- 402: one message, with the way to top up -----------------------------------------------------

class _Browser:
    opened: list[str] = []

    @classmethod
    def openUrl(cls, url):  # noqa: N802 - Qt's name
        cls.opened.append(url.toString())
        return True


def test_no_credits_is_said_once_with_a_top_up_link(qtbot, qloop, monkeypatch):
    from studio.sandbox import SandboxServer

    monkeypatch.setattr(main_window, "QDesktopServices", _Browser)
    _Browser.opened = []
    with SandboxServer(keys=["test-key"], speed=200.0, image_size_cap=128, balance=30) as server:
        studio = start_studio(qtbot, base_url=server.base_url)
        window = studio.window
        try:
            window.activateWindow()
            qtbot.waitUntil(window.isActiveWindow, timeout=3000)  # looking at it: no announcement
            messages: list[str] = []
            window.statusBar().messageChanged.connect(messages.append)
            entry = window.submit_prompt("a quiet lake")
            qtbot.waitUntil(lambda: entry.finished, timeout=5000)
            assert entry.error_status == 402
            # the banner: the message and the way out
            assert window.banner.isVisible() and "No credits left" in window.banner.label.text()
            assert window.banner.button.isVisible() and window.banner.button.text() == "Top up…"
            # the status bar does not repeat what the banner and the job's row already say
            assert not any("No credits left" in m for m in messages), messages
            window.banner.button.click()
            assert _Browser.opened == ["https://legnext.ai/dashboard"]
        finally:
            stop_studio(qtbot, studio)


def test_no_credits_on_the_sandbox_offers_no_top_up(qtbot, qloop):
    studio = start_studio(qtbot, base_url=None, key=None, sandbox_speed=200.0,
                    sandbox_options={"image_size_cap": 128, "balance": 30})
    window = studio.window
    try:
        entry = window.submit_prompt("a quiet lake")
        qtbot.waitUntil(lambda: entry.finished, timeout=5000)
        assert entry.error_status == 402 and window.banner.isVisible()
        assert not window.banner.button.isVisible()  # the sandbox is no account to top up
    finally:
        stop_studio(qtbot, studio)


# ---- small windows ---------------------------------------------------------------------------------

def _window(qtbot, size: tuple[int, int]):
    studio = Studio(offline=True, keys=KeyStore())
    window = studio.build_window()
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    qtbot.waitExposed(window)
    QApplication.processEvents()  # the first layout pass places the docks at their start sizes
    return window


def _grid_width(window) -> int:
    return window.centralWidget().width()


def test_a_small_window_keeps_more_than_half_for_the_grid(qtbot, qloop):
    window = _window(qtbot, (800, 600))
    # three columns would leave the grid too little: the queue starts under the prompt
    qtbot.waitUntil(lambda: _grid_width(window) >= 400, timeout=3000)
    assert window.dockWidgetArea(window.queue_dock) == window.dockWidgetArea(window.prompt_dock)
    assert window.queue_dock.y() > window.prompt_dock.y()
    assert window.prompt_dock.width() >= main_window.PROMPT_DOCK_MIN
    # the parameter rows are never clipped
    panel = window.param_panel
    assert panel.width() >= panel.minimumSizeHint().width()


def test_a_wide_window_has_the_queue_on_the_right(qtbot, qloop):
    window = _window(qtbot, (1280, 800))
    assert window.dockWidgetArea(window.queue_dock) == Qt.DockWidgetArea.RightDockWidgetArea
    assert _grid_width(window) >= 640


def test_narrowing_the_window_takes_width_from_the_docks_not_the_grid(qtbot, qloop):
    window = _window(qtbot, (1440, 900))
    assert window.dockWidgetArea(window.queue_dock) == Qt.DockWidgetArea.RightDockWidgetArea
    wide = (window.prompt_dock.width(), window.queue_dock.width())
    window.resize(800, 600)
    # the docks go down to their minimums (Qt alone squeezed the grid to ~180 px)
    qtbot.waitUntil(lambda: window.queue_dock.width() <= main_window.QUEUE_DOCK_MIN + 2, timeout=3000)
    assert window.prompt_dock.width() <= window.prompt_dock.minimumSizeHint().width() + 2
    assert _grid_width(window) >= 0.38 * 800
    window.resize(1440, 900)
    # room again: the docks get their widths back (give or take what Qt took before we could)
    qtbot.waitUntil(lambda: abs(window.prompt_dock.width() - wide[0]) <= 8
                    and abs(window.queue_dock.width() - wide[1]) <= 8, timeout=3000)


@pytest.mark.parametrize("size", [(800, 600), (1280, 800), (1920, 1200)])
def test_screens_at_common_sizes(qtbot, qloop, size, tmp_path):
    """Every size paints without a dock clipping its contents (saved when STUDIO_SHOTS_DIR is set)."""
    import os

    window = _window(qtbot, size)
    assert window.queue_panel.width() >= main_window.QUEUE_DOCK_MIN
    assert window.editor.generate_button.width() > 150
    shots = os.environ.get("STUDIO_SHOTS_DIR")
    image = window.grab()
    assert not image.isNull() and (image.width(), image.height()) == size
    if shots:
        image.save(os.path.join(shots, f"window-empty-{size[0]}x{size[1]}.png"))
