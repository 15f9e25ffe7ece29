"""What the operations need before anything is sent (studio.session.operations): which way a
request names its image (job id within 3 days, web address within 30), local files and bad
addresses refused in words, blend's count checked, and the job started with its parent."""

from __future__ import annotations

from typing import Any

import pytest

from studio.session import operations as ops
from studio.session.operations import ImageRef, NotSent

DAY = 24 * 3600
NOW = 1_800_000_000.0
URL = "https://cdn.example.com/mj/abc_1.png"


class FakeJobs:
    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []

    def submit(self, op: str, *, parent=None, prompt=None, request=None, **kwargs: Any) -> Any:
        self.sent.append((op, {"parent": parent, "prompt": prompt, **(request or {}), **kwargs}))
        return op


def ref(age_days: float, url: str | None = URL) -> ImageRef:
    return ImageRef(url, "job-1", 2, NOW - age_days * DAY)


def test_topaz_names_a_young_image_by_its_job_and_an_older_one_by_its_address():
    assert ops.image_arguments("enhance_upscale", ref(1), NOW) == {"job_id": "job-1", "image_no": 2}
    assert ops.image_arguments("enhance_upscale", ref(5), NOW) == {"image_url": URL}
    with pytest.raises(NotSent, match="keeps images 30 days"):
        ops.image_arguments("enhance_upscale", ref(31), NOW)


def test_url_operations_always_send_the_address():
    for op in ("describe", "retexture", "remove_background"):
        assert ops.image_arguments(op, ref(0.5), NOW) == {"img_url": URL}
    assert "no web address" in ops.image_unavailable("describe", ref(1, url=None), NOW)
    assert ops.image_unavailable("describe", ImageRef(URL), NOW) == ""  # a typed URL: its age is unknown


@pytest.mark.parametrize("text, name", [
    ("file:///home/ada/Pictures/cat%20face.png", "cat face.png"),
    ("/home/ada/cat.png", "cat.png"),
    ("C:\\Users\\ada\\cat.jpg", "cat.jpg"),
    ("https://example.com/cat.png", None),
])
def test_local_files_are_named(text, name):
    assert ops.local_file_name(text) == name


def test_read_url_says_what_is_wrong():
    with pytest.raises(NotSent, match=r"cat.png is a file on this computer.*image URLs, not uploads"):
        ops.read_url("file:///tmp/cat.png")
    with pytest.raises(NotSent, match=r"^The image URL is 1100 characters; URLs may have at most 1024\.$"):
        ops.read_url("https://e.com/" + "a" * 1086)
    with pytest.raises(NotSent, match="http"):
        ops.read_url("ftp://e.com/a.png")
    assert ops.read_url("  https://e.com/a.png ") == "https://e.com/a.png"


@pytest.mark.parametrize("count", [1, 6])
def test_blend_with_one_or_six_images_is_not_sent(count):
    jobs = FakeJobs()
    with pytest.raises(NotSent, match=rf"^Blend takes 2 to 5 images; got {count}\.$"):
        ops.blend(jobs, [ImageRef(URL)] * count, "1:1", NOW)
    assert jobs.sent == []


def test_blend_names_the_image_that_cannot_be_sent():
    with pytest.raises(NotSent, match="^Image 2: The server keeps images 30 days"):
        ops.blend(FakeJobs(), [ImageRef(URL), ref(40)], "1:1", NOW)


def test_start_sends_with_the_images_job_as_parent():
    jobs = FakeJobs()
    ops.start(jobs, "retexture", ref(1), options={"remix_prompt": "brushed copper"}, now=NOW)
    assert jobs.sent == [("retexture", {"parent": ("job-1", 2), "prompt": "brushed copper", "img_url": URL,
                                        "remix_prompt": "brushed copper"})]


def test_shorten_sends_the_prompt_as_its_request_field():
    jobs = FakeJobs()
    ops.shorten(jobs, "a very beautiful castle --ar 3:2")
    assert jobs.sent == [("shorten", {"parent": None, "prompt": "a very beautiful castle --ar 3:2"})]


def test_documented_rules_are_worded_before_sending():
    with pytest.raises(NotSent, match=r"^The image URL points at a \.gif file; this endpoint takes JPEG, PNG, WebP"):
        ops.start(FakeJobs(), "retexture", ImageRef("https://e.com/a.gif"), options={"remix_prompt": "gold"})
    with pytest.raises(NotSent, match="^The prompt must not be empty"):
        ops.start(FakeJobs(), "retexture", ImageRef(URL), options={"remix_prompt": " "})
