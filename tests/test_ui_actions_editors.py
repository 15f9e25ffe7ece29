"""The grid's editor-flow actions open the mask package's editors, built explicitly: Repaint
drives the real MaskEditor end to end (a rectangle drawn with the mouse arrives at the sandbox as
a polygon in image pixels), a second click brings the open editor forward instead of opening
another, and an image that cannot be decoded is reported rather than ignored."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from studio.sandbox import SandboxServer
from studio.ui.grid import loader as image_loader
from studio.ui.grid.action_dialogs import EDITOR_DIALOGS
from studio.ui.grid.actions import ACTIONS, FLOW_EDITOR, spec_for
from studio.ui.mask import MaskEditor, PanDialog
from test_ui_grid_support import close_env, env, make_env  # noqa: F401  (fixture)

LEFT = Qt.MouseButton.LeftButton


def _click(qtbot, widget) -> None:
    qtbot.mouseClick(widget, LEFT)


def _mouse(view, kind, pos: QPointF, button, buttons) -> None:
    viewport = view.viewport()
    event = QMouseEvent(kind, pos, QPointF(viewport.mapToGlobal(pos)), button, buttons, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(viewport, event)


def _drag(view, a: QPoint, b: QPoint, steps: int = 6) -> None:
    a, b = QPointF(a), QPointF(b)
    _mouse(view, QEvent.Type.MouseButtonPress, a, LEFT, LEFT)
    for i in range(1, steps + 1):
        _mouse(view, QEvent.Type.MouseMove, a + (b - a) * (i / steps), Qt.MouseButton.NoButton, LEFT)
    _mouse(view, QEvent.Type.MouseButtonRelease, b, LEFT, Qt.MouseButton.NoButton)


def _image_point(editor, vp: QPoint) -> tuple[float, float]:
    painter = editor.painter
    p = painter.image_item.mapFromScene(painter.view.mapToScene(vp))
    return p.x(), p.y()


@pytest.fixture
def big_env(qtbot, qloop):
    # Images of 640 px: the API refuses mask polygons on images under 500 px.
    server = SandboxServer(keys=["test-key"], speed=200.0, image_size_cap=640)
    server.start()
    made = make_env(qtbot, server)
    try:
        yield made
    finally:
        close_env(made)
        server.stop()


def test_repaint_opens_the_mask_editor_and_sends_the_drawn_rectangle_in_image_pixels(qtbot, big_env):
    env = big_env
    entry = env.run("diffusion", text="a harbour at dawn")
    env.show(entry)
    decoded = env.grid.decoded(1)
    assert min(decoded.size) >= 500
    _click(qtbot, env.grid.button("inpaint", 1))
    qtbot.waitUntil(lambda: isinstance(env.grid.active_editor, MaskEditor), timeout=10000)
    editor = env.grid.active_editor
    assert editor.isVisible() and (editor.job_id, editor.image_no) == (entry.job_id, 1)
    assert editor.prompt.text() == entry.prompt  # prefilled from the parent job
    view = editor.painter.view
    qtbot.waitUntil(lambda: view.viewport().width() > 200)
    centre = view.viewport().rect().center()
    a, b = centre + QPoint(-70, -50), centre + QPoint(60, 40)
    editor.painter.set_tool("rectangle")
    _drag(view, a, b)
    assert len(editor.painter.model) == 1
    (ax, ay), (bx, by) = _image_point(editor, a), _image_point(editor, b)
    _click(qtbot, editor.apply_button)
    qtbot.waitUntil(lambda: bool(env.requests_to("/v1/inpaint")), timeout=10000)
    [body] = env.requests_to("/v1/inpaint")
    assert body["jobId"] == entry.job_id and body["imageNo"] == 1
    assert body["remixPrompt"] == entry.prompt
    [area] = body["mask"]["areas"]
    assert (area["width"], area["height"]) == decoded.size  # the image's own pixels
    xs, ys = area["points"][0::2], area["points"][1::2]
    assert (min(xs), max(xs)) == (round(ax), round(bx))
    assert (min(ys), max(ys)) == (round(ay), round(by))
    assert not editor.isVisible()


def test_a_second_click_brings_the_open_editor_forward(qtbot, env):
    entry = env.run("diffusion", text="a river delta")
    env.show(entry)
    button = env.grid.button("pan", 1)
    _click(qtbot, button)
    _click(qtbot, button)  # while the first one is still decoding its image
    qtbot.waitUntil(lambda: isinstance(env.grid.active_editor, PanDialog), timeout=10000)
    first = env.grid.active_editor
    _click(qtbot, button)  # once it is open
    assert env.grid.active_editor is first
    assert env.grid.open_editor((entry.job_id, 1, "pan")) is first
    open_pans = [w for w in QApplication.topLevelWidgets() if isinstance(w, PanDialog) and w.isVisible()]
    assert open_pans == [first]
    # another image gets its own editor
    _click(qtbot, env.grid.button("pan", 2))
    qtbot.waitUntil(lambda: env.grid.active_editor is not first, timeout=10000)
    assert env.grid.active_editor.image_no == 2
    for editor in (first, env.grid.active_editor):
        editor.close()
    # closed: a click opens a fresh one
    _click(qtbot, button)
    qtbot.waitUntil(lambda: env.grid.active_editor is not None and env.grid.active_editor.isVisible(), timeout=10000)
    assert env.grid.active_editor is not first
    env.grid.active_editor.close()


def test_an_image_that_cannot_be_decoded_is_reported_and_nothing_is_sent(qtbot, env):
    entry = env.run("diffusion", text="a broken mirror")
    entry.images[1] = b"\x89PNG\r\n\x1a\n not really a png"
    env.grid.loader = image_loader.ImageLoader()  # not the shared cache of the good decode
    env.grid.show_job(entry.key)
    qtbot.waitUntil(lambda: env.grid.displayed_count() == 3 and env.grid.tiles[1].cell.error is not None)
    messages: list[str] = []
    env.grid.status_message.connect(messages.append)
    before = len(env.sandbox.state.requests)
    _click(qtbot, env.grid.button("inpaint", 1))
    qtbot.waitUntil(lambda: bool(messages), timeout=5000)
    assert messages[0].startswith("Repaint: image 2 could not be decoded")
    assert env.grid.active_editor is None
    assert [r for r in env.sandbox.state.requests[before:] if r.method == "POST"] == []


def test_every_editor_action_names_an_editor_the_grid_builds():
    editors = {spec.dialog for spec in ACTIONS if spec.flow == FLOW_EDITOR}
    assert editors == set(EDITOR_DIALOGS) == {"PanDialog", "OutpaintDialog", "MaskEditor", "CanvasEditor"}
    extend, upscale = spec_for("extend_video"), spec_for("video_upscale")
    assert (extend.label, extend.op, extend.index_param) == ("Extend", "extend_video", "video_no")
    assert (upscale.label, upscale.op, upscale.index_param) == ("Upscale video", "video_upscale", "video_no")
