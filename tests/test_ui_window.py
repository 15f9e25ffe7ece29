"""The main window built by the real composition root (studio.app.Studio) against a sandbox:
type a prompt, Generate, see the grid; queue and grid follow jobs; errors become the documented
messages; the in-process sandbox says so; docks and layout persist."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPlainTextEdit, QPushButton, QTextEdit

from studio.session.jobs import COMPLETED

from studio_support import start_studio, stop_studio




@pytest.fixture
def studio(qtbot, qloop, sandbox):
    s = start_studio(qtbot, base_url=sandbox.base_url)
    yield s
    stop_studio(qtbot, s)


def _text_widget(window):
    found = window.editor.findChild(QPlainTextEdit) or window.editor.findChild(QTextEdit)
    assert found is not None, "the prompt editor has a text field"
    return found


def _generate_button(window) -> QPushButton:
    for button in window.editor.findChildren(QPushButton):
        if button.text().replace("&", "").startswith("Generate"):
            return button
    raise AssertionError("the prompt editor has a Generate button")


def _posts(sandbox, path: str) -> list:
    return [r for r in sandbox.state.requests if r.method == "POST" and r.path.endswith(path)]


def test_type_prompt_click_generate_shows_four_images(qtbot, studio, sandbox):
    window = studio.window
    assert window.stack.currentWidget() is window.empty_state
    field = _text_widget(window)
    field.setFocus()
    qtbot.keyClicks(field, "a red fox in fresh snow --ar 3:2")
    qtbot.waitUntil(lambda: _generate_button(window).isEnabled(), timeout=3000)
    qtbot.mouseClick(_generate_button(window), Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: len(window.jobs.entries()) == 1, timeout=3000)
    entry = window.jobs.entries()[0]
    # The images are on show as they arrive; the job is done once they are archived too.
    qtbot.waitUntil(lambda: window.grid_ready(entry.key) and entry.finished, timeout=15000)
    assert entry.status == COMPLETED
    assert window.grid.image_count() == 4 and window.grid.displayed_count() == 4
    assert [r.json_body for r in _posts(sandbox, "/v1/diffusion")] == [{"text": "a red fox in fresh snow --ar 3:2"}]
    assert window.queue_panel.model.rowCount() == 1
    assert window.queue_panel.delegate.current_key == entry.key
    # the balance in the status bar was refreshed after the job
    expected = f"{sandbox.state.balance:,}".replace(",", "\u2009")
    qtbot.waitUntil(lambda: expected in window.balance_label.text(), timeout=3000)


def test_ctrl_enter_generates_and_errors_block_generate(qtbot, studio, sandbox):
    window = studio.window
    studio.prompt_state.set_text("harbour at dawn --v 8.1 --q 2", origin="program")
    assert not studio.prompt_state.lint().ok
    assert window.generate() is None
    assert "Not sent" in window.statusBar().currentMessage()
    assert not _generate_button(window).isEnabled()
    assert _posts(sandbox, "/v1/diffusion") == []

    studio.prompt_state.set_text("harbour at dawn --v 8.1", origin="program")
    field = _text_widget(window)
    field.setFocus()
    qtbot.keyClick(field, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: len(window.jobs.entries()) == 1, timeout=3000)
    qtbot.waitUntil(lambda: window.jobs.entries()[0].finished, timeout=10000)
    assert len(_posts(sandbox, "/v1/diffusion")) == 1  # one press, one job


def test_grid_follows_newest_job_unless_one_is_picked(qtbot, studio):
    window = studio.window
    first = window.submit_prompt("first castle")
    qtbot.waitUntil(lambda: window.grid_ready(first.key), timeout=10000)
    second = window.submit_prompt("second castle")
    qtbot.waitUntil(lambda: window.grid_ready(second.key), timeout=10000)
    assert window.shown_key == second.key

    # a third job starts; while it runs the user picks the first job in the queue: the third
    # finishing is announced but does not pull the grid away from what the user chose
    announced_before = len(window.notifier.announced)
    third = window.submit_prompt("third castle")
    model = window.queue_panel.model
    window.queue_panel.view.clicked.emit(model.index(model.row_of(first.key)))
    assert window.grid.key == first.key and third.active
    qtbot.waitUntil(lambda: third.finished, timeout=10000)
    qtbot.waitUntil(lambda: len(window.notifier.announced) > announced_before, timeout=3000)
    assert window.grid.key == first.key
    assert window.notifier.announced[-1].startswith("Diffusion finished")
    assert "third castle" in window.notifier.announced[-1]
    assert "Diffusion finished" in window.statusBar().currentMessage()

    # starting a new job follows the newest again
    fourth = window.submit_prompt("fourth castle")
    qtbot.waitUntil(lambda: window.grid_ready(fourth.key), timeout=10000)


def test_action_from_the_grid_lands_with_its_lineage(qtbot, studio, sandbox):
    window = studio.window
    parent = window.submit_prompt("a lone tree on a hill")
    qtbot.waitUntil(lambda: window.grid_ready(parent.key), timeout=10000)
    announced = len(window.notifier.announced)
    child = window.jobs.submit("upscale", parent=(parent.job_id, 1), job_id=parent.job_id, image_no=1, type=1)
    qtbot.waitUntil(lambda: child.finished, timeout=10000)
    # A child never takes the grid by itself: the artist may be about to click the next one.
    # It is announced, and waits in the queue.
    assert window.shown_key == parent.key == window.grid.key and window.grid.image_count() == 4
    qtbot.waitUntil(lambda: len(window.notifier.announced) > announced, timeout=3000)
    assert "finished" in window.notifier.announced[-1]
    assert [e.key for e in window.jobs.lineage(child.key)] == [parent.key, child.key]
    model = window.queue_panel.model
    window.queue_panel.view.clicked.emit(model.index(model.row_of(child.key)))
    qtbot.waitUntil(lambda: window.grid_ready(child.key), timeout=10000)
    assert window.grid.image_count() == 1


def test_a_job_ending_while_a_popover_is_open_leaves_the_popover_and_the_grid_alone(qtbot, studio):
    window = studio.window
    first = window.submit_prompt("a lone tree on a hill")
    qtbot.waitUntil(lambda: window.grid_ready(first.key), timeout=10000)
    second = window.submit_prompt("a lone tree in the snow")  # followed: it would take the grid
    qtbot.waitUntil(lambda: any(b.name == "variation" for b in window.grid.action_buttons(0)), timeout=5000)
    window.grid.button("variation", 0).click()  # the artist starts typing a remix prompt
    popover = window.grid.active_popover
    assert popover is not None and popover.isVisible()
    qtbot.waitUntil(lambda: second.finished, timeout=10000)
    assert window.shown_key == first.key and window.grid.active_popover is popover and popover.isVisible()
    assert window.queue_panel.model.row_of(second.key) is not None


def test_unauthorised_key_offers_to_open_settings(qtbot, qloop, sandbox):
    studio = start_studio(qtbot, key="wrong-key", base_url=sandbox.base_url)
    try:
        window = studio.window
        entry = window.submit_prompt("a red fox")
        qtbot.waitUntil(lambda: entry.finished, timeout=5000)
        assert window.banner.isVisible()
        assert "401" in window.banner.label.text() and "Open Settings" in window.banner.label.text()
        assert window.banner.button.isVisible() and window.banner.button.text() == "Open Settings…"
        window.banner.button.click()
        assert window.settings_dialog is not None and window.settings_dialog.isVisible()
        window.settings_dialog.reject()
    finally:
        stop_studio(qtbot, studio)


def test_no_credits_shows_the_balance(qtbot, qloop):
    from studio.sandbox import SandboxServer

    with SandboxServer(keys=["test-key"], speed=200.0, image_size_cap=128, balance=30) as server:
        studio = start_studio(qtbot, base_url=server.base_url)
        try:
            window = studio.window
            entry = window.submit_prompt("a quiet lake")
            qtbot.waitUntil(lambda: entry.finished, timeout=5000)
            assert window.banner.isVisible()
            assert "No credits left" in window.banner.label.text()
            assert "Balance: 30 credits" in window.banner.label.text()
            qtbot.waitUntil(lambda: "30 credits" in window.balance_label.text(), timeout=3000)
        finally:
            stop_studio(qtbot, studio)


def test_server_rejection_names_the_flag_and_marks_it_in_the_editor(qtbot, studio):
    from studio.session.prompt_state import SERVER_ERROR_CODE

    window = studio.window
    text = "misty harbour --v 8.1 --q 2"
    studio.prompt_state.set_text(text, origin="program")
    # the prompt checker knows this rule too; send it anyway, as an outdated checker would
    entry = window.jobs.submit("diffusion", text=studio.prompt_state.text_for_submit())
    qtbot.waitUntil(lambda: entry.finished, timeout=5000)
    assert entry.error_status == 400 and "--q" in entry.error
    assert window.banner.isVisible() and "--q" in window.banner.label.text()
    marks = [d for d in studio.prompt_state.lint().diagnostics if d.code == SERVER_ERROR_CODE]
    assert marks and text[marks[0].span[0]:marks[0].span[1]].startswith("--q")


def test_rate_limit_says_retrying_then_finishes(qtbot, studio, sandbox):
    from studio.sandbox import FaultSpec

    window = studio.window
    sandbox.faults.spec = FaultSpec(retry_after=0.05)
    sandbox.faults.next("/v1/diffusion", "429", count=1)
    messages: list[str] = []
    window.statusBar().messageChanged.connect(messages.append)
    entry = window.submit_prompt("rain on neon streets")
    qtbot.waitUntil(lambda: entry.finished, timeout=10000)
    assert entry.ok
    assert any("rate limited, retrying" in m.lower() for m in messages)


def test_offline_start_runs_the_in_process_sandbox_and_says_so(qtbot, qloop):
    studio = start_studio(qtbot, key=None, sandbox_speed=200.0, sandbox_options={"image_size_cap": 128})
    try:
        window = studio.window
        assert studio.plan.sandbox and studio.sandbox is not None
        assert window.windowTitle() == "Legnext Studio — Sandbox (offline)"
        assert window.mode_label.text() == "Sandbox (offline)"
        assert "nothing is charged" in window.statusBar().currentMessage()
        assert "offline sandbox, nothing is charged" in window.empty_state.text()
        assert "no API key" in window.mode_label.toolTip()
        qtbot.waitUntil(lambda: "balance 10\u2009000 credits" == window.balance_label.text(), timeout=5000)
        entry = window.submit_prompt("a paper boat on a puddle")
        qtbot.waitUntil(lambda: window.grid_ready(entry.key), timeout=15000)
        server = studio.sandbox
    finally:
        stop_studio(qtbot, studio)
    assert studio.sandbox is None
    import httpx

    with pytest.raises(httpx.TransportError):
        httpx.get(server.base_url + "/account/balance", timeout=1)


def test_docks_close_restore_and_layout_persists(qtbot, qloop, sandbox):
    studio = start_studio(qtbot, base_url=sandbox.base_url, size=(1100, 760))
    window = studio.window
    try:
        names = [a.text() for a in window.view_menu.actions() if a.text()]
        assert names[:2] == ["Prompt", "Queue"] and "Reset layout" in names
        toggle = window.queue_dock.toggleViewAction()
        toggle.trigger()
        assert not window.queue_dock.isVisible()
        toggle.trigger()
        assert window.queue_dock.isVisible()
        window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, window.queue_dock)
        window.close()
    finally:
        stop_studio(qtbot, studio)

    again = start_studio(qtbot, base_url=sandbox.base_url, size=(1100, 760))
    try:
        w2 = again.window
        assert w2.dockWidgetArea(w2.queue_dock) == Qt.DockWidgetArea.LeftDockWidgetArea
        w2.reset_layout()
        assert w2.dockWidgetArea(w2.queue_dock) == Qt.DockWidgetArea.RightDockWidgetArea
    finally:
        stop_studio(qtbot, again)


def test_saving_settings_applies_new_polling_to_new_jobs(qtbot, studio):
    window = studio.window
    old_watcher = studio.watcher
    dialog = window.open_settings()
    assert dialog.isVisible() and window.open_settings() is dialog  # one dialog at a time
    dialog.poll_initial.setValue(3.0)
    dialog.poll_max.setValue(12.0)
    dialog.save()
    qtbot.waitUntil(lambda: studio.watcher is not old_watcher, timeout=3000)
    assert studio.watcher.policy.first_delay == 3.0 and studio.watcher.policy.max_interval == 12.0
    assert window.jobs.watcher is studio.watcher


# ---- Jobs → Edit an image from a URL… (upload paint) -------------------------------------------

def _open_url(qtbot, window, url: str):
    box = window.url_edit.box
    box.url_edit.setText(url)
    qtbot.mouseClick(box.open_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: box.task is not None and box.task.done(), timeout=10000)
    return box


def test_edit_an_image_from_a_url_sends_upload_paint(qtbot, qloop, tmp_path):
    import os

    from studio.sandbox import SandboxServer
    from studio.ui.mask.canvas_editor import Placement
    from studio.ui.mask.geometry import rectangle

    shots = os.environ.get("STUDIO_SHOTS_DIR")
    # 1:1 images at 600 px: inside the API's 500–4096 range; 16:9 ones (600×338) are not
    with SandboxServer(keys=["test-key"], speed=200.0, image_size_cap=600) as server:
        studio = start_studio(qtbot, base_url=server.base_url)
        try:
            window = studio.window
            square = window.submit_prompt("a stone bridge --ar 1:1")
            wide = window.submit_prompt("a stone bridge --ar 16:9")
            qtbot.waitUntil(lambda: square.finished and wide.finished, timeout=15000)
            url, small_url = square.job.images[0], wide.job.images[0]
            cdn = url.split("/cdn/")[0]

            jobs_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Jobs")
            names = [a.text() for a in jobs_menu.actions()]
            assert "Edit an image from a URL…" in names
            window.edit_url_action.trigger()
            box = window.url_edit.box
            assert box.isVisible() and not box.isModal()
            window.edit_url_action.trigger()  # a second click raises the same box
            assert window.url_edit.box is box

            for bad, said in [
                ("not a url", "Invalid image URL"),
                (cdn + "/cdn/no-such-job/0.png", "Could not fetch the image"),
                (server.base_url + "/account/balance", "did not return an image"),
                (small_url, "upload paint takes images of 500–4096 px"),
            ]:
                _open_url(qtbot, window, bad)
                assert said in box.message.text(), (bad, box.message.text())
                assert box.isVisible() and window.url_edit.editor is None
            if shots:
                box.grab().save(os.path.join(shots, "upload-paint-0-refused.png"))
            assert _posts(server, "/v1/upload-paint") == []

            box.url_edit.setText(url)
            if shots:
                box.grab().save(os.path.join(shots, "upload-paint-1-url.png"))
            _open_url(qtbot, window, url)
            qtbot.waitUntil(lambda: window.url_edit.editor is not None, timeout=5000)
            editor = window.url_edit.editor
            assert not box.isVisible()
            assert editor.op == "upload_paint" and editor.img_url == url
            assert (editor.image.width(), editor.image.height()) == (600, 600)
            editor.resize(1280, 820)
            qtbot.waitExposed(editor)
            editor.set_placement(Placement(900, 700, 180, 90, 480, 480))
            editor.painter.model.add_area(rectangle(150, 150, 420, 380))
            editor.prompt.set_text("a stone bridge over a river, autumn")
            if shots:
                editor.grab().save(os.path.join(shots, "upload-paint-2-editor.png"))
            editor.apply_button.click()

            qtbot.waitUntil(lambda: len(window.jobs.entries()) == 3, timeout=3000)
            entry = window.jobs.entries()[-1]
            assert entry.op == "upload_paint" and entry.prompt == "a stone bridge over a river, autumn"
            qtbot.waitUntil(lambda: entry.finished, timeout=15000)
            assert entry.ok, entry.error
            (post,) = _posts(server, "/v1/upload-paint")
            body = post.json_body
            assert body["imgUrl"] == url
            assert body["canvas"] == {"width": 900, "height": 700}
            assert body["imgPos"] == {"width": 480, "height": 480, "x": 180, "y": 90}
            (area,) = body["mask"]["areas"]
            assert (area["width"], area["height"]) == (600, 600)
            assert body["remixPrompt"] == "a stone bridge over a river, autumn"
        finally:
            stop_studio(qtbot, studio)


def test_edit_from_url_before_the_client_exists_says_so(qtbot, qloop):
    from studio.ui.mask.open_url import UrlEditLauncher
    from PySide6.QtWidgets import QWidget

    class NoClient:
        connected = False

    host = QWidget()
    qtbot.addWidget(host)
    launcher = UrlEditLauncher(NoClient(), host)
    box = launcher.open()
    box.url_edit.setText("https://example.com/a.png")
    box.open_button.click()
    assert "Not connected yet" in box.message.text() and box.task is None
