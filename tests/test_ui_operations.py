"""The studio's tools on a grid image, against the sandbox over loopback: Topaz (typed options,
credits by resolution, a result at the target's long edge), Retexture (the prompt checked before
sending), Remove background (a cut-out on a checkerboard, archived with its alpha) and Describe
(four prompts as cards; one click puts one in the editor, undoable). Each asserts the request
body the sandbox received and what the grid then shows. The action bar: labels on one row, the
rest in "More", full contrast on the selected image."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QComboBox

from studio.ui.common import theme
from studio.session.prompt_state import PromptState
from studio.ui.grid.action_bar import BUTTON_GAP
from studio.ui.grid.action_dialogs import ConfirmPopover, OptionsPopover
from studio.ui.grid.view import GridView
from test_ui_grid_support import JOB_TIMEOUT_MS, GridEnv, close_env, env, make_env  # noqa: F401


def _click(qtbot, widget) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def _open_tool(qtbot, grid: GridView, name: str, image_no: int):
    """Open a tool's popover the way an artist does: its button, or its "More" menu entry."""
    bar = grid.tiles[image_no].bar
    button = grid.button(name, image_no)
    if button in bar.overflowed:
        menu = bar.overflow_menu()
        menu.aboutToShow.emit()
        (action,) = [a for a in menu.actions() if a.objectName() == f"more-{name}"]
        assert action.isEnabled() and action.text() == button.text()
        action.trigger()
    else:
        _click(qtbot, button)
    popover = grid.active_popover
    assert popover is not None and popover.isVisible()
    return popover


def _finished(env: GridEnv, key: str):
    entry = env.jobs.entry(key)
    env.qtbot.waitUntil(lambda: entry.finished, timeout=JOB_TIMEOUT_MS)
    assert entry.status == "completed", entry.error
    return entry


def test_topaz_from_a_grid_image_sends_typed_options_and_lands_at_the_target_size(qtbot, env):
    parent = env.run("diffusion", text="a lighthouse at dusk --ar 3:2")
    env.show(parent)
    grid = env.grid
    submitted: list[str] = []
    grid.job_submitted.connect(submitted.append)
    popover = _open_tool(qtbot, grid, "enhance_upscale", 2)
    assert isinstance(popover, OptionsPopover) and popover.title.text() == "Topaz image 3"
    # Resolution is a list whose entries carry the docs' credits; the default is 2K.
    resolution: QComboBox = popover.combos["target_resolution"]
    entries = [resolution.itemText(i) for i in range(resolution.count())]
    assert entries[3] == "4K  ·  3840 px on the long edge  ·  160 credits"
    assert entries[6].endswith("540 credits") and resolution.currentData() == "2K"
    assert popover.cost_label.text() == "120 credits"
    assert not popover.segments["crop_mode"]["crop"].isEnabled()  # the fit matters once the aspect changes
    popover.choose("aspect_ratio", "16:9")
    assert popover.segments["crop_mode"]["crop"].isEnabled()
    popover.choose("crop_mode", "crop")
    popover.choose("target_resolution", "4K")
    popover.choose("content_type", "photo")
    popover.choose("output_format", "png")
    assert popover.cost_label.text() == "160 credits"
    popover.choose("target_resolution", "12K")
    assert popover.cost_label.text() == "540 credits" and popover.cost_label.property("expensive")
    popover.choose("target_resolution", "4K")
    _click(qtbot, popover.send_button)
    qtbot.waitUntil(lambda: len(env.requests_to("/v1/enhance-upscale")) == 1, timeout=10000)
    assert env.requests_to("/v1/enhance-upscale")[0] == {
        "jobId": parent.job_id, "imageNo": 2, "target_resolution": "4K", "content_type": "photo",
        "aspect_ratio": "16:9", "crop_mode": "crop", "output_format": "png",
        "face_enhancement_level": "moderate",
    }
    child = _finished(env, submitted[0])
    assert child.parent == (parent.job_id, 2) and child.op == "enhance_upscale"
    env.show(child)
    assert grid.decoded(0).size == (3840, 2160)
    assert "Topaz 3" in grid.crumbs.text()


def test_topaz_after_three_days_is_sent_by_web_address_and_refused_after_thirty(qtbot, qloop, sandbox):
    made = make_env(qtbot, sandbox, clock=sandbox.clock.now_datetime)
    try:
        parent = made.run("diffusion", text="an old photograph")
        made.show(parent)
        sandbox.clock.advance(timedelta(days=4).total_seconds())
        made.grid.show_job(parent.key)
        assert not made.grid.button("upscale", 0).isEnabled()  # the server's actions have expired
        popover = _open_tool(qtbot, made.grid, "enhance_upscale", 0)
        _click(qtbot, popover.send_button)
        qtbot.waitUntil(lambda: len(made.requests_to("/v1/enhance-upscale")) == 1, timeout=10000)
        body = made.requests_to("/v1/enhance-upscale")[0]
        assert body["image_url"] == parent.image_urls[0] and "jobId" not in body
        sandbox.clock.advance(timedelta(days=27).total_seconds())
        made.grid.show_job(parent.key)
        topaz = made.grid.button("enhance_upscale", 0)
        assert not topaz.isEnabled() and "keeps images 30 days" in topaz.toolTip()
    finally:
        close_env(made)


def test_retexture_checks_its_prompt_then_sends_the_image_address(qtbot, env):
    parent = env.run("diffusion", text="a wooden chair in a white room")
    env.show(parent)
    popover = _open_tool(qtbot, env.grid, "retexture", 1)
    assert not popover.send_button.isEnabled() and "prompt" in popover.send_button.toolTip().lower()
    popover.prompt_edit.setText("brushed copper --v 9")
    assert not popover.send_button.isEnabled()
    assert "--v 9 is not a model" in popover.problem_label.text() and popover.problem_label.isVisible()
    popover.prompt_edit.setText("brushed copper")
    assert popover.send_button.isEnabled() and popover.problem_label.isHidden()
    _click(qtbot, popover.send_button)
    qtbot.waitUntil(lambda: len(env.requests_to("/v1/retexture")) == 1, timeout=10000)
    assert env.requests_to("/v1/retexture")[0] == {"imgUrl": parent.image_urls[1], "remixPrompt": "brushed copper"}
    child = env.jobs.entries()[-1]
    assert child.parent == (parent.job_id, 1)
    _finished(env, child.key)


def test_remove_background_shows_a_cutout_on_a_checkerboard(qtbot, env, tmp_path):
    parent = env.run("diffusion", text="a red apple on a table")
    env.show(parent)
    popover = _open_tool(qtbot, env.grid, "remove_background", 0)
    assert isinstance(popover, ConfirmPopover) and "80 credits" in popover.cost_label.text()
    _click(qtbot, popover.send_button)
    qtbot.waitUntil(lambda: len(env.requests_to("/v1/remove-background")) == 1, timeout=10000)
    assert env.requests_to("/v1/remove-background")[0] == {"imgUrl": parent.image_urls[0]}
    child = _finished(env, env.jobs.entries()[-1].key)
    env.show(child)
    cell = env.grid.tiles[0].cell
    assert cell.image.hasAlphaChannel()  # painted over the checkerboard
    shot = env.grid.grab().toImage()
    corner = cell.mapTo(env.grid, cell.image_rect().topLeft().toPoint()) * shot.devicePixelRatio()
    pixel = shot.pixelColor(corner.x() + 10, corner.y() + 10)  # a see-through corner of the cut-out
    squares = {QColor(theme.current.raised).name(), QColor(theme.current.border).lighter(115).name()}
    assert pixel.name() in squares
    # Saved with its alpha: the file written is the PNG the server sent.
    env.grid.download_dir = lambda: tmp_path
    task = env.grid.save([0])
    qtbot.waitUntil(task.done, timeout=10000)
    paths = task.result()
    with Image.open(paths[0]) as saved:
        assert saved.mode == "RGBA" and saved.getchannel("A").getextrema() == (0, 255)


def test_describe_from_a_grid_image_shows_four_prompts_and_one_click_uses_one(qtbot, env):
    parent = env.run("diffusion", text="a teapot on velvet")
    env.show(parent)
    state = PromptState()
    state.set_text("my own prompt --ar 2:3", origin="program")
    env.grid.prompt_chosen.connect(state.use_prompt)
    popover = _open_tool(qtbot, env.grid, "describe", 3)
    assert "20 credits" in popover.cost_label.text()
    _click(qtbot, popover.send_button)
    qtbot.waitUntil(lambda: len(env.requests_to("/v1/describe")) == 1, timeout=10000)
    assert env.requests_to("/v1/describe")[0] == {"imgUrl": parent.image_urls[3]}
    child = _finished(env, env.jobs.entries()[-1].key)
    assert len(child.texts) == 4 and child.record.text_outputs() == child.texts
    assert [o.kind for o in child.record.outputs] == ["text"] * 4
    env.grid.show_job(child.key)
    view = env.grid.text_view
    assert view is not None and view.isVisible() and not env.grid.canvas.isVisible()
    assert [card.text for card in view.cards] == child.texts
    assert "describe 4" in view.title.text()
    _click(qtbot, view.cards[2].use_button)
    assert state.text() == child.texts[2]
    state.undo_stack.undo()
    assert state.text() == "my own prompt --ar 2:3"


@pytest.mark.parametrize("width", [1024, 1440, 1920])
def test_every_image_shows_its_actions_on_one_labelled_row(qtbot, env, width):
    env.grid.resize(int(width * 0.55), int(width * 0.45))
    parent = env.run("diffusion", text="a fox in the snow --ar 3:2")
    env.show(parent)
    for tile in env.grid.tiles:
        bar = tile.bar
        shown = [b for b in bar.buttons if b.isVisible()]
        assert not any(b.compact for b in bar.buttons)  # labels, never icons alone
        assert all(b.geometry().y() == 0 for b in shown) and bar.height() == bar.height_for(bar.width())
        assert bar.overflowed and bar.more.isVisible()  # 7 actions + 4 tools never all fit here
        assert shown + bar.overflowed == bar.buttons
        right = max(b.geometry().right() for b in [*shown, bar.more])
        assert right < bar.width() and bar.more.text() in ("More", "Actions")
        if shown:
            assert sum(b.width() for b in shown) + BUTTON_GAP * len(shown) + bar.more.width() <= bar.width()
        assert all(name in bar.more.toolTip() for name in (b.text() for b in bar.overflowed))


def test_the_selected_image_has_full_contrast_actions(qtbot, env):
    parent = env.run("diffusion", text="a fox in the snow")
    env.show(parent)
    tiles = env.grid.tiles
    assert all(not t.hot and t._effect.opacity() >= 0.8 for t in tiles)  # readable at rest
    tiles[1].cell.setFocus()
    qtbot.waitUntil(lambda: env.grid.selected == 1)
    env.grid.setFocus()  # the focus leaves the image: it stays the selected one
    assert env.grid.selected == 1 and tiles[1].hot and tiles[1]._effect.opacity() == 1.0
    assert all(b.emphasised for b in tiles[1].bar.buttons) and not tiles[0].bar.buttons[0].emphasised
