"""What the session knows about video jobs (studio.session.video): prompts checked by the video
rules and priced, extensions counted along the lineage against the documented four, Animate
requests from a URL checked before sending; and an archived video's still for the history."""

from __future__ import annotations

import pytest

from studio.session import video
from studio.session.entry import JobEntry
from studio.session.jobs import COMPLETED
from studio_support import start_studio, stop_studio


@pytest.mark.parametrize("text,credits,batch", [
    ("", 480, 4), ("sway --bs 1", 120, 1), ("sway --bs 2 --motion high", 240, 2), ("sway --bs 4 --loop", 480, 4),
])
def test_a_video_prompt_is_priced_by_its_batch(text, credits, batch):
    check = video.check_prompt(text)
    assert check.ok and (check.credits, check.batch) == (credits, batch)


def test_the_video_rules_speak_through_the_check():
    assert not video.check_prompt("sway --repeat 2").ok
    assert "--repeat" in video.check_prompt("sway --repeat 2").first
    assert "1, 2 or 4" in video.check_prompt("sway --bs 3").first  # a warning now, an error once the rules say so
    assert video.check_prompt("sway --ar 16:9").first.startswith("`--ar")  # not a video parameter
    assert video.check_prompt("sway").first is None  # the "no image URL" note is not for the grid


class _Lineage:
    """A session stand-in: `lineage` as JobsSession gives it, root first."""

    def __init__(self, ops: list[str]) -> None:
        self.chain = [JobEntry(op=op) for op in ops]

    def lineage(self, _key: str) -> list[JobEntry]:
        return self.chain


@pytest.mark.parametrize("ops,used", [
    (["diffusion", "video_diffusion"], 0),
    (["diffusion", "video_diffusion", "extend_video"], 1),
    (["diffusion", "video_diffusion"] + ["extend_video"] * 4, 4),
    (["video_diffusion", "extend_video", "video_upscale"], 0),  # an upscaled video starts no chain
])
def test_extensions_are_counted_along_the_lineage(ops, used):
    assert video.extensions_used(_Lineage(ops), "key") == used


def test_the_fifth_extension_is_refused_with_the_documented_limit():
    assert video.extend_limit() == 4 and video.extend_seconds() == 4.0  # the operations table
    assert video.extend_refusal(3) is None
    refusal = video.extend_refusal(4)
    assert refusal is not None and "4 times" in refusal and "4 s" in refusal
    assert video.extend_note(2) == "Extended 2 of 4 times · this adds 4 s"


def test_an_animate_request_from_a_url_is_the_documented_prompt():
    assert video.animate_url_request(" https://e.com/cat.png ", " it yawns --bs 1 ", 1) == {
        "prompt": "https://e.com/cat.png it yawns --bs 1", "video_type": 1}
    assert video.animate_url_request("https://e.com/cat.png", "") == {"prompt": "https://e.com/cat.png", "video_type": 0}
    for url, words in (("C:\\pictures\\cat.png", "not files on this computer"), ("~/cat.png", "not files on this computer"),
                       ("https://e.com/" + "x" * 1024, "at most 1024"), ("", "Paste the URL")):
        with pytest.raises(video.NotSendable, match=words):
            video.animate_url_request(url, "it yawns")
    with pytest.raises(video.NotSendable, match="--repeat"):
        video.animate_url_request("https://e.com/cat.png", "it yawns --repeat 2")


def test_an_archived_video_gets_a_still_for_the_history(qtbot, qloop, sandbox):
    from studio.session.history_browser import HistoryBrowser

    studio = start_studio(qtbot, base_url=sandbox.base_url)
    try:
        image = studio.jobs.submit("diffusion", text="a fox in the snow")
        qtbot.waitUntil(lambda: image.finished, timeout=20000)
        clip = studio.jobs.submit("video_diffusion", parent=(image.job_id, 0),
                                  request={"job_id": image.job_id, "image_no": 0, "prompt": "it sniffs --bs 1"})
        qtbot.waitUntil(lambda: clip.finished, timeout=20000)
        assert clip.status == COMPLETED
        task = studio.jobs.fetch_videos(clip.key)
        qtbot.waitUntil(task.done, timeout=20000)
        [output] = [o for o in clip.record.outputs if o.kind == "video"]
        assert output.path.endswith("video-0.mp4") and output.thumb and "thumb-0" in output.thumb
        browser = HistoryBrowser(studio.jobs)
        thumb = browser.thumb_path(clip.record)
        assert thumb is not None and thumb.is_file() and thumb.suffix in (".webp", ".jpg")
    finally:
        stop_studio(qtbot, studio)
