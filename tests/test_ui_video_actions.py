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


def _animate_popover(qtbot, env: GridEnv, text: str, index: int = 0) -> tuple[Any, Any]:
    """A finished diffusion of `text` on show, and the Animate popover of its image `index`."""
    entry = env.run("diffusion", text=text)
    env.show(entry)
    _click(qtbot, env.grid.button("animate", index))
    return entry, _popover(env)


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

    _entry, popover = _animate_popover(qtbot, env, "a harbour at night --v 8 --hd")
    popover.prompt_edit.setText(text)
    # the video prompt is priced (not the parent's image flags: --hd is no video parameter)
    assert popover.credits == estimate("video_diffusion", text, video=True).credits == 480
    popover.close()


def test_the_animate_prompt_is_checked_by_the_video_rules_before_sending(qtbot, env):
    _entry, popover = _animate_popover(qtbot, env, "a red kite --ar 16:9", 1)
    assert "--motion low|high" in popover.prompt_edit.placeholderText()  # the flags, where they are typed
    popover.prompt_edit.setText("it flies away --repeat 3")
    assert popover.check_label.isVisible() and "--repeat" in popover.check_label.text()
    assert popover.check_label.property("severity") == "error"
    assert not popover.send_button.isEnabled()
    assert popover.send_button.toolTip().startswith("Fix the prompt first: `--repeat`")
    qtbot.keyClick(popover.prompt_edit, Qt.Key.Key_Return)
    qtbot.keyClick(popover.prompt_edit, Qt.Key.Key_Return)
    assert env.requests_to("/v1/video-diffusion") == []  # nothing sent

    popover.prompt_edit.setText("it flies away --bs 3")  # outside the documented 1, 2, 4
    assert "--bs 3" in popover.check_label.text() and "1, 2 or 4" in popover.check_label.text()

    popover.prompt_edit.setText("it flies away --motion high --bs 2")
    assert not popover.check_label.isVisible() and popover.send_button.isEnabled()
    assert popover.credits == 240 and popover.cost_label.text() == "240 credits"  # half the default batch
    popover.prompt_edit.setText("it flies away --bs 1 --loop")
    assert popover.credits == 120
    popover.close()


def test_video_needs_a_second_click_and_a_change_starts_over(qtbot, env):
    _entry, popover = _animate_popover(qtbot, env, "a koi pond")
    assert popover.cost_label.text() == "480 credits" and popover.cost_label.property("expensive")
    _click(qtbot, popover.send_button)
    assert popover.isVisible() and popover.second_click.armed
    assert popover.send_button.text() == "Confirm · 480 credits"
    popover.prompt_edit.setText("ripples --bs 2")  # a change: the cost changed, so ask again
    assert not popover.second_click.armed and popover.send_button.text() == "Animate"
    qtbot.keyClick(popover.prompt_edit, Qt.Key.Key_Return)  # Enter arms ...
    assert popover.isVisible() and popover.send_button.text() == "Confirm · 240 credits"
    assert env.requests_to("/v1/video-diffusion") == []
    qtbot.keyClick(popover.prompt_edit, Qt.Key.Key_Return)  # ... and Enter again sends
    qtbot.waitUntil(lambda: len(env.requests_to("/v1/video-diffusion")) == 1, timeout=10000)
    assert env.requests_to("/v1/video-diffusion")[0]["prompt"] == "ripples --bs 2"


def test_extend_shows_the_count_used_and_refuses_the_fifth_before_sending(qtbot, env, monkeypatch):
    import studio.sandbox.actions as server_actions

    # A server kinder than the docs, still offering Extend after four: the studio holds the line.
    monkeypatch.setattr(server_actions, "MAX_VIDEO_EXTENSIONS", 10)
    image = env.run("diffusion", text="a paper lantern")
    video = env.run("video_diffusion", parent=(image.job_id, 0),
                    request={"job_id": image.job_id, "image_no": 0, "prompt": "it glows --bs 1"})
    env.show(video)
    _click(qtbot, env.grid.button("extend_video", 0))
    popover = _popover(env)
    assert popover.extend_label.text() == "Not extended yet (up to 4 times) · this adds 4 s"
    popover.close()
    for n in range(1, 5):
        video = env.run("extend_video", parent=(video.job_id, 0),
                        request={"job_id": video.job_id, "video_no": 0, "prompt": "--bs 1"})
        env.show(video)
        button = env.grid.button("extend_video", 0)
        if n < 4:
            assert button.isEnabled()
            _click(qtbot, button)
            popover = _popover(env)
            assert popover.extend_label.text() == f"Extended {n} of 4 times · this adds 4 s"
            popover.close()
    # four extensions: the fifth is refused on the button itself, with the documented reason
    assert not button.isEnabled()
    assert "already extended 4 times, the most the API allows" in button.toolTip()
    before = len(env.requests_to("/v1/extend-video"))
    _click(qtbot, button)
    assert env.grid.active_popover is None and len(env.requests_to("/v1/extend-video")) == before
    # the upscale of the same video is still offered
    assert env.grid.button("video_upscale", 0).isEnabled()
