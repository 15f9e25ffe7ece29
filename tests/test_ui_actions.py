"""Clicking each grid action (and confirming its popover or editor) sends the right request:
asserted on what the sandbox received — path and JSON body (jobId, imageNo, type, mode,
remixPrompt, videoType) — and the new job remembers its parent (job id, image index)."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from studio.ui.grid.action_dialogs import ConfirmPopover, OptionsPopover
from studio.ui.grid.actions import ACTIONS, FLOW_EDITOR, spec_for
from studio.ui.grid.view import GridView
from test_ui_grid_support import RECIPES, GridEnv, env, server_buttons  # noqa: F401  (fixture)

ENDPOINT = {
    "upscale": "/v1/upscale",
    "variation": "/v1/variation",
    "remix": "/v1/remix",
    "pan": "/v1/pan",
    "outpaint": "/v1/outpaint",
    "inpaint": "/v1/inpaint",
    "edit": "/v1/edit",
    "enhance": "/v1/enhance",
    "animate": "/v1/video-diffusion",
    "reroll": "/v1/reroll",
    "extend_video": "/v1/extend-video",
    "video_upscale": "/v1/video-upscale",
}
INDEX_FIELD = {"image_no": "imageNo", "video_no": "videoNo"}


def _click(qtbot, widget) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def _popover(env: GridEnv):
    popover = env.grid.active_popover
    assert popover is not None and popover.isVisible()
    return popover


def _fill_and_send(qtbot, env: GridEnv, name: str) -> dict[str, Any]:
    """Confirm the open popover with non-default choices; return the body we expect sent."""
    popover = _popover(env)
    if name == "upscale":
        _click(qtbot, popover.segments["type"][1])  # Creative
        _click(qtbot, popover.send_button)
        return {"type": 1}
    if name == "variation":
        _click(qtbot, popover.segments["type"][1])  # Strong
        popover.prompt_edit.setText("the same scene in a storm")
        _click(qtbot, popover.send_button)
        return {"type": 1, "remixPrompt": "the same scene in a storm"}
    if name == "remix":
        _click(qtbot, popover.segments["mode"][1])  # Subtle is mode 1 for remix
        popover.prompt_edit.setText("the same scene at night")
        _click(qtbot, popover.send_button)
        return {"mode": 1, "remixPrompt": "the same scene at night"}
    if name == "animate":
        _click(qtbot, popover.segments["video_type"][1])  # 720p
        _click(qtbot, popover.send_button)
        assert popover.isVisible() and popover.second_click.armed  # video is expensive: a second click sends
        _click(qtbot, popover.send_button)
        return {"videoType": 1}
    if name == "extend_video":
        popover.prompt_edit.setText("the camera rises --motion high")
        _click(qtbot, popover.send_button)
        _click(qtbot, popover.send_button)
        return {"prompt": "the camera rises --motion high"}
    if name in ("enhance", "reroll", "video_upscale"):
        assert isinstance(popover, ConfirmPopover)
        _click(qtbot, popover.send_button)
        if popover.spec.expensive:
            _click(qtbot, popover.send_button)
        return {}
    raise AssertionError(f"no popover recipe for {name}")


def _editor_send(qtbot, env: GridEnv, name: str, image_no: int) -> dict[str, Any]:
    qtbot.waitUntil(lambda: env.grid.active_editor is not None, timeout=10000)
    editor = env.grid.active_editor
    spec = spec_for(name)
    assert type(editor).__name__ == spec.dialog
    # every editor gets the full-resolution source image and the parent job's details
    decoded = env.grid.decoded(image_no)
    assert (editor.image_no, editor.job_id) == (image_no, env.grid.entry.job_id)
    if name == "pan":  # drive the real dialog: direction up, scale 1.5, Send
        assert (editor.width_px, editor.height_px) == decoded.size
        editor.set_direction(2)
        editor.set_scale(1.5)
        assert editor.send()
        env.grid.active_editor = None
        return {"direction": 2, "scale": 1.5}
    if name == "outpaint":
        assert (editor.width_px, editor.height_px) == decoded.size
        editor.set_scale(1.3)
        assert editor.send()
        env.grid.active_editor = None
        return {"scale": 1.3}
    if name == "inpaint":
        from studio.api.requests import Mask, Polygon

        mask = Mask(areas=[Polygon(width=1024, height=1024, points=[10, 10, 500, 10, 500, 500, 10, 500])])
        kwargs = {"mask": mask, "remix_prompt": "a small boat"}
        body = {"mask": mask.to_json(), "remixPrompt": "a small boat"}
    elif name == "edit":
        from studio.api.requests import Canvas, CanvasImg

        kwargs = {"canvas": Canvas(1024, 1024), "img_pos": CanvasImg(512, 512, 256, 256), "remix_prompt": "on a table"}
        body = {"canvas": {"width": 1024, "height": 1024},
                "imgPos": {"width": 512, "height": 512, "x": 256, "y": 256}, "remixPrompt": "on a table"}
    else:
        raise AssertionError(name)
    # The repaint / canvas editors need a painted mask or a dragged image to Apply; what is
    # under test here is the grid's routing of their `submitted(op, kwargs)` to the session.
    editor.submitted.emit(spec.op, {"job_id": env.grid.entry.job_id, "image_no": image_no, **kwargs})
    editor.close()
    env.grid.active_editor = None
    return body


@pytest.mark.parametrize("task", list(RECIPES))
def test_every_offered_action_sends_the_documented_request(qtbot, env, task):
    entry = RECIPES[task](env)
    env.show(entry)
    grid: GridView = env.grid
    image_no = grid.image_count() - 1  # the last image: indexes must not default to 0
    submitted: list[str] = []
    grid.job_submitted.connect(submitted.append)
    # (the studio's own tools are sent by test_ui_operations)
    targets = [(b.name, image_no) for b in server_buttons(grid, image_no)] + [(b.name, None) for b in grid.job_buttons()]
    assert targets, "every image job offers actions"
    for name, index in targets:
        spec = spec_for(name)
        assert spec is not None, name
        before = len(env.requests_to(ENDPOINT[name]))
        button = grid.button(name, index)
        _click(qtbot, button)
        if spec.flow == FLOW_EDITOR:
            extra = _editor_send(qtbot, env, name, image_no)
        else:
            extra = _fill_and_send(qtbot, env, name)
            assert grid.active_popover is None  # closed on send
        qtbot.waitUntil(lambda: len(env.requests_to(ENDPOINT[name])) == before + 1, timeout=10000)
        body = env.requests_to(ENDPOINT[name])[-1]
        expected = {"jobId": entry.job_id, **({} if index is None else {INDEX_FIELD[spec.index_param]: index}), **extra}
        assert body == expected, (name, body)
        new = env.jobs.entry(submitted[-1])
        assert new.op == spec.op
        assert new.parent == (entry.job_id, index if index is not None else 0)
    assert len(submitted) == len(targets)


def test_popover_defaults_follow_the_documented_numbering(qtbot, env):
    entry = env.run("diffusion", text="a still life with pears")
    env.show(entry)
    # variation: Subtle is type 0 and the default
    _click(qtbot, env.grid.button("variation", 0))
    popover = _popover(env)
    assert isinstance(popover, OptionsPopover)
    assert popover.segments["type"][0].isChecked() and popover.segments["type"][0].text() == "Subtle"
    qtbot.keyClick(popover.send_button, Qt.Key.Key_Return)  # Enter confirms
    qtbot.waitUntil(lambda: len(env.requests_to("/v1/variation")) == 1)
    assert env.requests_to("/v1/variation")[-1] == {"jobId": entry.job_id, "imageNo": 0, "type": 0}

    # remix: modes are numbered the other way round — Strong is 0 (the API default)
    _click(qtbot, env.grid.button("remix", 2))
    popover = _popover(env)
    assert popover.segments["mode"][0].text() == "Strong" and popover.segments["mode"][0].isChecked()
    assert popover.segments["mode"][1].text() == "Subtle"
    assert popover.prompt_edit.text() == entry.prompt  # prefilled from the parent
    popover.prompt_edit.setText("")
    assert not popover.send_button.isEnabled()  # remix needs a prompt
    assert "prompt" in popover.send_button.toolTip().lower()
    popover.prompt_edit.setText("pears in the moonlight")
    _click(qtbot, popover.send_button)
    qtbot.waitUntil(lambda: len(env.requests_to("/v1/remix")) == 1)
    assert env.requests_to("/v1/remix")[-1] == {
        "jobId": entry.job_id, "imageNo": 2, "remixPrompt": "pears in the moonlight", "mode": 0,
    }


def test_escape_closes_a_popover_without_sending(qtbot, env):
    entry = env.run("diffusion", text="a bowl of cherries")
    env.show(entry)
    before = len(env.sandbox.state.requests)
    _click(qtbot, env.grid.button("upscale", 1))
    popover = _popover(env)
    qtbot.keyClick(popover, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: env.grid.active_popover is None or not popover.isVisible())
    assert [r for r in env.sandbox.state.requests[before:] if r.method == "POST"] == []


def test_popovers_show_the_cost_before_sending(qtbot, env):
    entry = env.run("diffusion", text="a wide valley --v 8 --hd")
    env.show(entry)
    from studio.prompt.cost import estimate

    _click(qtbot, env.grid.button("variation", 0))
    popover = _popover(env)
    assert popover.credits == estimate("variation", entry.prompt, model=entry.model).credits
    assert f"{popover.credits} credits" in popover.cost_label.text()
    popover.close()

    _click(qtbot, env.grid.button("reroll"))
    popover = _popover(env)
    expected = estimate("reroll", entry.prompt, model=entry.model).credits
    assert popover.credits == expected and f"{expected} credits" in popover.cost_label.text().replace(" ", " ")
    popover.close()

    _click(qtbot, env.grid.button("animate", 3))
    popover = _popover(env)
    assert popover.credits == estimate("video_diffusion", entry.prompt, model=entry.model, video=True).credits
    assert popover.credits > 0
    popover.close()


def test_registry_is_data_for_every_documented_action():
    names = {spec.name for spec in ACTIONS}
    # the Get Task sample's names, plus the sandbox's enhance (draft) and animate (v8)
    assert {"upscale", "variation", "remix", "pan", "outpaint", "inpaint", "edit", "reroll", "enhance", "animate"} <= names
    remix = spec_for("remix").options[0]
    variation = spec_for("variation").options[0]
    assert {c.label: c.value for c in remix.choices} == {"Strong": 0, "Subtle": 1}
    assert {c.label: c.value for c in variation.choices} == {"Subtle": 0, "Strong": 1}
    assert {c.label: c.value for c in spec_for("upscale").options[0].choices} == {"Subtle": 0, "Creative": 1}
    assert {c.label: c.value for c in spec_for("animate").options[0].choices} == {"480p": 0, "720p": 1}
    assert spec_for("no_such_action") is None


def test_popover_stays_on_screen_near_its_button(qtbot, env):
    entry = env.run("diffusion", text="a lantern")
    env.show(entry)
    button = env.grid.button("variation", 3)  # bottom right of the grid
    _click(qtbot, button)
    popover = _popover(env)
    screen = QApplication.primaryScreen().availableGeometry()
    assert screen.contains(popover.frameGeometry().topLeft()) and screen.contains(popover.frameGeometry().bottomRight())
    anchor = button.mapToGlobal(button.rect().bottomLeft())
    assert abs(popover.frameGeometry().left() - anchor.x()) < popover.width()
    popover.close()
