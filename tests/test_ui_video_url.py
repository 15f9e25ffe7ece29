"""Animate an image from a URL, from the window's Jobs menu to the videos on the grid, against
the sandbox through real sockets: the request body the sandbox received, the job shown with its
videos, and every bad input told before anything is sent (a file on this computer, a URL over
1024 characters, a prompt the video rules reject) or, where no rule is documented, in the
server's own words."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from studio.session.jobs import COMPLETED
from studio.ui.video.animate_url import AnimateUrlBox
from studio_support import start_studio, stop_studio


@pytest.fixture
def studio(qtbot, qloop, sandbox):
    s = start_studio(qtbot, base_url=sandbox.base_url)
    yield s
    stop_studio(qtbot, s)


def _posts(sandbox, path: str) -> list:
    return [r.json_body for r in sandbox.state.requests if r.method == "POST" and r.path.endswith(path)]


def _box(studio) -> AnimateUrlBox:
    window = studio.window
    jobs = next(a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == "Jobs")
    assert window.animate_url_action in jobs.actions()
    window.animate_url_action.trigger()
    box = window.animate_url
    assert isinstance(box, AnimateUrlBox) and box.isVisible() and not box.isModal()
    return box


def _click(qtbot, widget) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def test_animate_an_image_url_from_the_jobs_menu(qtbot, studio, sandbox):
    image = studio.jobs.submit("diffusion", text="a lighthouse at dusk")
    qtbot.waitUntil(lambda: image.finished, timeout=20000)
    url = image.image_urls[2]
    box = _box(studio)
    assert not box.send_button.isEnabled() and "Paste the URL" in box.send_button.toolTip()
    box.url_edit.setText(url)
    box.prompt_edit.setText("the beam sweeps the sea --motion high --bs 2")
    _click(qtbot, box.quality_buttons[1])  # 720p
    assert box.cost_label.text() == "240 credits · 2 videos"
    _click(qtbot, box.send_button)  # video is expensive: the first click arms ...
    assert box.isVisible() and box.send_button.text() == "Confirm · 240 credits"
    assert _posts(sandbox, "/v1/video-diffusion") == []
    _click(qtbot, box.send_button)  # ... the second sends
    qtbot.waitUntil(lambda: len(_posts(sandbox, "/v1/video-diffusion")) == 1, timeout=10000)
    assert _posts(sandbox, "/v1/video-diffusion") == [
        {"prompt": f"{url} the beam sweeps the sea --motion high --bs 2", "videoType": 1}]
    assert not box.isVisible()
    entry = next(e for e in studio.jobs.entries() if e.op == "video_diffusion")
    assert entry.prompt == "the beam sweeps the sea --motion high --bs 2" and entry.parent is None
    qtbot.waitUntil(lambda: entry.finished, timeout=20000)
    assert entry.status == COMPLETED, entry.error
    grid = studio.window.grid
    qtbot.waitUntil(lambda: grid.key == entry.key and grid.displayed_count() == 2, timeout=20000)
    assert [t.cell.kind for t in grid.tiles] == ["video", "video"]


@pytest.mark.parametrize("url,words", [
    ("/home/artist/pictures/cat.png", "not files on this computer"),
    ("file:///home/artist/cat.png", "not files on this computer"),
    ("https://e.com/" + "a" * 1100 + ".png", "URLs may have at most 1024"),
    ("ftp://e.com/cat.png", "must be an http(s) URL"),
])
def test_a_url_the_api_cannot_take_is_told_before_sending(qtbot, studio, sandbox, url, words):
    box = _box(studio)
    box.url_edit.setText(url)
    assert box.url_check.isVisible() and words in box.url_check.text()
    assert not box.send_button.isEnabled() and words in box.send_button.toolTip()
    qtbot.keyClick(box.prompt_edit, Qt.Key.Key_Return)
    qtbot.keyClick(box.prompt_edit, Qt.Key.Key_Return)
    assert _posts(sandbox, "/v1/video-diffusion") == []
    assert box.prompt_edit.text() == ""  # nothing pasted into the prompt
    box.close()


def test_a_prompt_the_video_rules_reject_is_told_before_sending(qtbot, studio, sandbox):
    box = _box(studio)
    box.url_edit.setText("https://e.com/cat.png")
    box.prompt_edit.setText("the cat yawns --repeat 2")
    assert box.prompt_check.isVisible() and box.prompt_check.property("severity") == "error"
    assert "--repeat" in box.prompt_check.text() and not box.send_button.isEnabled()
    box.prompt_edit.setText("the cat yawns --bs 4 --loop")
    assert not box.prompt_check.isVisible() and box.send_button.isEnabled()
    box.close()


def test_an_image_that_no_longer_exists_gets_the_servers_message(qtbot, studio, sandbox):
    image = studio.jobs.submit("diffusion", text="a paper crane")
    qtbot.waitUntil(lambda: image.finished, timeout=20000)
    gone = image.image_urls[0].replace(image.job_id, "0" * 8 + image.job_id[8:])
    box = _box(studio)
    box.url_edit.setText(gone)
    _click(qtbot, box.send_button)
    _click(qtbot, box.send_button)
    entry = next(e for e in studio.jobs.entries() if e.op == "video_diffusion")
    qtbot.waitUntil(lambda: entry.finished, timeout=10000)
    assert entry.status == "error" and "could not be fetched" in entry.error and gone in entry.error
    assert image.status == COMPLETED and all(image.images)  # nothing made is lost
    banner = studio.window.banner  # followed like a prompt's job: its failure is told on screen
    qtbot.waitUntil(lambda: banner.isVisible(), timeout=5000)
    assert "could not be fetched" in banner.label.text()
