"""The sandbox is as strict as the docs for blend, describe, remove background, enhance and Topaz:
real transparency, Topaz results at the target resolution's long edge in the asked format and
aspect, refusals of blend with one or six images and of enhance on a non-draft parent, and the
server's own answer to an image it cannot read (a page, not an image; a file its CDN no longer
has) as a failed job, credits refunded."""

from __future__ import annotations

import io
import warnings

import pytest
from PIL import Image

from test_sandbox_support import client, fetch, refused, run, submit

URL = "https://example.com/photos/cat.png"


def _grid(sandbox, api, text="a lantern in the rain --v 7") -> dict:
    return run(sandbox, api, "diffusion", {"text": text})


def _file(url: str) -> tuple[Image.Image, str]:
    response = fetch(url)
    assert response.status_code == 200, (url, response.status_code)
    return Image.open(io.BytesIO(response.content)), response.headers["content-type"]


def test_describe_returns_four_prompts(sandbox):
    with client(sandbox) as api:
        out = run(sandbox, api, "describe", {"imgUrl": URL})["output"]
    assert len(out["prompts"]) == 4 and len(set(out["prompts"])) == 4
    assert all(p.strip() and "--ar" in p for p in out["prompts"])


def test_remove_background_is_a_png_with_real_transparency(sandbox):
    with client(sandbox) as api:
        grid = _grid(sandbox, api)
        out = run(sandbox, api, "remove-background", {"imgUrl": grid["output"]["image_urls"][0]})["output"]
    image, media = _file(out["image_urls"][0])
    assert media == "image/png" and image.mode == "RGBA"
    low, high = image.getchannel("A").getextrema()
    assert (low, high) == (0, 255)  # fully transparent background, fully opaque subject
    assert image.getpixel((0, 0))[3] == 0
    assert image.getpixel((image.width // 2, image.height // 2))[3] == 255


@pytest.mark.parametrize("target, edge", [("HD", 1920), ("2K", 2560), ("4K", 3840)])
def test_topaz_returns_the_target_resolutions_long_edge(sandbox, target, edge):
    with client(sandbox) as api:
        grid = _grid(sandbox, api, "a lantern in the rain --ar 3:2 --v 7")
        job = run(sandbox, api, "enhance-upscale",
                  {"jobId": grid["job_id"], "imageNo": 1, "target_resolution": target})
    url = job["output"]["image_urls"][0]
    image, media = _file(url)
    assert max(image.size) == edge
    source, _ = _file(grid["output"]["image_urls"][1])
    assert abs(image.width / image.height - source.width / source.height) < 0.01  # aspect "keep"
    assert media == "image/jpeg" and url.endswith(".jpg")  # output_format's default is jpeg


def test_topaz_12k_is_12288_px_long(sandbox):
    with client(sandbox) as api:
        job = run(sandbox, api, "enhance-upscale", {"image_url": URL, "target_resolution": "12K"})
    assert job["meta"]["usage"]["consume"] == 540
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # 151 Mpx is what 12K is
        image, _ = _file(job["output"]["image_urls"][0])
    assert image.size == (12288, 12288)  # read from the header: nothing decoded here


@pytest.mark.parametrize("crop_mode", ["letterbox", "crop", "stretch"])
def test_topaz_aspect_ratio_and_output_format(sandbox, crop_mode):
    with client(sandbox) as api:
        job = run(sandbox, api, "enhance-upscale", {"image_url": URL, "target_resolution": "HD",
                                                    "aspect_ratio": "16:9", "crop_mode": crop_mode,
                                                    "output_format": "png"})
    image, media = _file(job["output"]["image_urls"][0])
    assert media == "image/png" and image.size == (1920, 1080)
    rgb = image.convert("RGB")
    if crop_mode == "letterbox":  # the square source, whole, on black bars left and right
        assert rgb.getpixel((5, 540)) == (0, 0, 0) and rgb.getpixel((960, 540)) != (0, 0, 0)
    else:
        assert rgb.getpixel((5, 540)) != (0, 0, 0)


def test_topaz_file_is_only_served_under_its_own_ending(sandbox):
    with client(sandbox) as api:
        job = run(sandbox, api, "enhance-upscale", {"image_url": URL, "target_resolution": "HD",
                                                    "output_format": "tif"})
    url = job["output"]["image_urls"][0]
    assert url.endswith(".tiff")
    image, media = _file(url)
    assert media == "image/tiff" and max(image.size) == 1920
    assert fetch(url[: -len(".tiff")] + ".png").status_code == 404


@pytest.mark.parametrize("count", [1, 6])
def test_blend_refuses_one_or_six_images(sandbox, count):
    with client(sandbox) as api:
        payload = refused(api, "blend", {"imgUrls": [URL] * count, "aspect_ratio": "1:1"})
    assert "2-5" in payload["message"] and payload["detail"]["field"] == "imgUrls"


def test_enhance_refuses_a_parent_that_is_not_a_v7_draft(sandbox):
    with client(sandbox) as api:
        plain = _grid(sandbox, api)
        payload = refused(api, "enhance", {"jobId": plain["job_id"], "imageNo": 0})
        assert "--v 7 --draft" in payload["message"]
        draft = _grid(sandbox, api, "a lantern in the rain --v 7 --draft")
        assert run(sandbox, api, "enhance", {"jobId": draft["job_id"], "imageNo": 0})["status"] == "completed"


@pytest.mark.parametrize("endpoint, body, field", [
    ("retexture", {"imgUrl": "https://example.com/a.gif", "remixPrompt": "gold"}, "imgUrl"),
    ("enhance-upscale", {"image_url": "https://example.com/a.webp"}, "image_url"),
])
def test_documented_image_types_are_enforced(sandbox, endpoint, body, field):
    with client(sandbox) as api:
        payload = refused(api, endpoint, body)
    assert payload["detail"]["field"] == field and "accepted image types" in payload["message"]


def _failed(sandbox, api, endpoint: str, body: dict) -> dict:
    job = submit(api, endpoint, body)
    before = sandbox.state.balance
    sandbox.finish_all()
    done = api.get(f"/v1/job/{job['job_id']}").json()
    assert done["status"] == "failed", done
    assert sandbox.state.balance == before + job["meta"]["usage"]["frozen"]  # refunded
    return done


@pytest.mark.parametrize("endpoint, body", [
    ("describe", {"imgUrl": "https://example.com/gallery/page.html"}),
    ("remove-background", {"imgUrl": "https://example.com/clip.mp4"}),
    ("blend", {"imgUrls": [URL, "https://example.com/notes.pdf"], "aspect_ratio": "1:1"}),
])
def test_a_url_that_serves_no_image_fails_the_job_with_the_reason(sandbox, endpoint, body):
    with client(sandbox) as api:
        done = _failed(sandbox, api, endpoint, body)
    assert "not an image" in done["error"]["message"]


def test_topaz_of_an_image_the_cdn_no_longer_has_fails_with_the_reason(sandbox):
    with client(sandbox) as api:
        grid = _grid(sandbox, api)
        url = grid["output"]["image_urls"][0]
        gone = url.replace(grid["job_id"], "0" * 8 + grid["job_id"][8:])
        done = _failed(sandbox, api, "enhance-upscale", {"image_url": gone})
        assert "file not found (404)" in done["error"]["message"]
        sandbox.clock.advance(31 * 24 * 3600)
        done = _failed(sandbox, api, "enhance-upscale", {"image_url": url})
        assert "expired" in done["error"]["message"]
        # by job id the 3-day window says no at once
        payload = refused(api, "enhance-upscale", {"jobId": grid["job_id"], "imageNo": 0})
        assert "older than 3 days" in payload["message"]


def test_topaz_of_a_job_that_does_not_exist_is_404(sandbox):
    with client(sandbox) as api:
        payload = refused(api, "enhance-upscale", {"jobId": "no-such-job", "imageNo": 0}, status=404)
    assert "not found" in payload["message"]
