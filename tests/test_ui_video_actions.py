"""Video actions from the grid, against the sandbox through real sockets: Animate with a motion
prompt reaches the server (it used to close its popover and do nothing), its prompt is checked
by the video rules before sending, the cost is shown and a second click sends; Extend counts the
extensions used and refuses the fifth before sending; and no action fails without a message on
screen."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt

from test_ui_grid_support import GridEnv, env  # noqa: F401  (fixture)


def _click(qtbot, widget) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def _popover(env: GridEnv) -> Any:
    popover = env.grid.active_popover
    assert popover is not None and popover.isVisible()
    return popover


def _send(qtbot, popover) -> None:
    """Send an expensive action: the first click arms, the second sends."""
    _click(qtbot, popover.send_button)
    if popover.isVisible():
        _click(qtbot, popover.send_button)


def test_animate_with_a_motion_prompt_sends_it_and_the_video_job_runs(qtbot, env):
    entry = env.run("diffusion", text="a lighthouse on a cliff --ar 3:2")
    env.show(entry)
    submitted: list[str] = []
    env.grid.job_submitted.connect(submitted.append)
    _click(qtbot, env.grid.button("animate", 2))
    popover = _popover(env)
    popover.prompt_edit.setText("waves crash below --motion high --bs 2")
    _click(qtbot, popover.segments["video_type"][1])  # 720p
    _send(qtbot, popover)
    qtbot.waitUntil(lambda: len(env.requests_to("/v1/video-diffusion")) == 1, timeout=10000)
    assert env.requests_to("/v1/video-diffusion") == [{
        "jobId": entry.job_id, "imageNo": 2, "videoType": 1, "prompt": "waves crash below --motion high --bs 2",
    }]
    video = env.jobs.entry(submitted[-1])
    assert video.op == "video_diffusion" and video.parent == (entry.job_id, 2)
    assert video.prompt == "waves crash below --motion high --bs 2"
    qtbot.waitUntil(lambda: video.finished, timeout=20000)
    assert video.status == "completed", video.error
    assert len(video.video_urls) == 2  # --bs 2: two videos


def test_a_failure_in_an_actions_submit_path_is_said_on_screen(qtbot, env, monkeypatch):
    entry = env.run("diffusion", text="a paper boat")
    env.show(entry)
    messages: list[str] = []
    env.grid.status_message.connect(messages.append)

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("the session is on fire")

    monkeypatch.setattr(env.jobs, "submit", broken)
    before = len(env.sandbox.state.requests)
    _click(qtbot, env.grid.button("upscale", 0))
    _click(qtbot, _popover(env).send_button)
    assert messages and messages[-1].startswith("Upscale was not sent:")
    assert "the session is on fire" in messages[-1] and "Nothing was charged." in messages[-1]
    assert [r for r in env.sandbox.state.requests[before:] if r.method == "POST"] == []

    # An action whose popover cannot even be built says so too (not only on stderr).
    import studio.ui.grid.action_flow as flow

    def no_popover(*_args: Any, **_kwargs: Any) -> Any:
        raise ValueError("no such popover")

    monkeypatch.setattr(flow, "make_popover", no_popover)
    _click(qtbot, env.grid.button("variation", 1))
    assert messages[-1].startswith("Vary could not be opened:") and "no such popover" in messages[-1]


def test_resubmitting_a_video_job_keeps_its_prompt_field(qtbot, env):
    entry = env.run("diffusion", text="a fox in the snow")
    video = env.run("video_diffusion", parent=(entry.job_id, 0),
                    request={"job_id": entry.job_id, "image_no": 0, "prompt": "it turns its head --bs 1"})
    again = env.jobs.resubmit(video.key)
    qtbot.waitUntil(lambda: again.finished, timeout=20000)
    bodies = env.requests_to("/v1/video-diffusion")
    assert bodies[0] == bodies[1] == {"jobId": entry.job_id, "imageNo": 0, "prompt": "it turns its head --bs 1"}


@pytest.mark.parametrize("text", ["", "slow zoom --loop --raw"])
def test_the_animate_popover_prices_the_typed_video_prompt(qtbot, env, text):
    from studio.prompt.cost import estimate

    entry = env.run("diffusion", text="a harbour at night --v 8 --hd")
    env.show(entry)
    _click(qtbot, env.grid.button("animate", 0))
    popover = _popover(env)
    popover.prompt_edit.setText(text)
    # the video prompt is priced (not the parent's image flags: --hd is no video parameter)
    assert popover.credits == estimate("video_diffusion", text, video=True).credits == 480
    popover.close()
