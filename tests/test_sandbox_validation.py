"""Request bodies are checked as the docs state; a bad one gets 400 naming the field."""

from __future__ import annotations

import pytest
from test_sandbox_support import HEADERS, client, http, refused, run, submit

URL = "https://example.com/a.png"
POLY = {"width": 1000, "height": 1000, "points": [0, 0, 500, 0, 500, 500]}


@pytest.fixture
def grid(sandbox):
    with client(sandbox) as api:
        return run(sandbox, api, "diffusion", {"text": "a meadow"})["job_id"]


# (endpoint, body with "{job}" for a finished grid id, the field the message must name)
BAD_BODIES = [
    ("diffusion", {}, "text"),
    ("diffusion", {"text": ""}, "text"),
    ("diffusion", {"text": "x" * 8193}, "text"),
    ("diffusion", {"text": 42}, "text"),
    ("diffusion", {"text": "a cat", "callback": "not a url"}, "callback"),
    ("variation", {"jobId": "{job}", "imageNo": 4, "type": 0}, "imageNo"),
    ("variation", {"jobId": "{job}", "imageNo": -1, "type": 0}, "imageNo"),
    ("variation", {"jobId": "{job}", "imageNo": "1", "type": 0}, "imageNo"),
    ("variation", {"jobId": "{job}", "imageNo": True, "type": 0}, "imageNo"),
    ("variation", {"jobId": "{job}", "imageNo": 0, "type": 2}, "type"),
    ("variation", {"jobId": "{job}", "imageNo": 0}, "type"),
    ("variation", {"jobId": "{job}", "imageNo": 0, "type": 0, "remixPrompt": ""}, "remixPrompt"),
    ("variation", {"imageNo": 0, "type": 0}, "jobId"),
    ("upscale", {"jobId": "{job}", "imageNo": 0, "type": 3}, "type"),
    ("reroll", {"jobId": ""}, "jobId"),
    ("blend", {"imgUrls": [URL], "aspect_ratio": "1:1"}, "imgUrls"),
    ("blend", {"imgUrls": [URL] * 6, "aspect_ratio": "1:1"}, "imgUrls"),
    ("blend", {"imgUrls": [URL, "ftp://x/y.png"], "aspect_ratio": "1:1"}, "imgUrls[1]"),
    ("blend", {"imgUrls": [URL, URL], "aspect_ratio": "16:9"}, "aspect_ratio"),
    ("blend", {"imgUrls": [URL, URL]}, "aspect_ratio"),
    ("describe", {"imgUrl": "https://e.com/" + "a" * 1024}, "imgUrl"),
    ("describe", {}, "imgUrl"),
    ("shorten", {"prompt": ""}, "prompt"),
    ("pan", {"jobId": "{job}", "imageNo": 0, "direction": 4, "scale": 1.5}, "direction"),
    ("pan", {"jobId": "{job}", "imageNo": 0, "direction": 0, "scale": 3.01}, "scale"),
    ("pan", {"jobId": "{job}", "imageNo": 0, "direction": 0, "scale": 1.0}, "scale"),
    ("pan", {"jobId": "{job}", "imageNo": 0, "direction": 0, "scale": "1.5"}, "scale"),
    ("outpaint", {"jobId": "{job}", "imageNo": 0, "scale": 2.5}, "scale"),
    ("inpaint", {"jobId": "{job}", "imageNo": 0}, "mask"),
    ("inpaint", {"jobId": "{job}", "imageNo": 0, "mask": {}}, "mask"),
    ("inpaint", {"jobId": "{job}", "imageNo": 0, "mask": {"areas": []}}, "mask.areas"),
    ("inpaint", {"jobId": "{job}", "imageNo": 0, "mask": {"areas": [{**POLY, "width": 499}]}}, "mask.areas[0].width"),
    ("inpaint", {"jobId": "{job}", "imageNo": 0, "mask": {"areas": [{**POLY, "height": 4097}]}}, "mask.areas[0].height"),
    ("inpaint", {"jobId": "{job}", "imageNo": 0, "mask": {"areas": [{**POLY, "points": [0, 0, 10, 10]}]}}, "mask.areas[0].points"),
    ("inpaint", {"jobId": "{job}", "imageNo": 0, "mask": {"areas": [{**POLY, "points": [0, 0, 10, 10, 5]}]}}, "mask.areas[0].points"),
    ("inpaint", {"jobId": "{job}", "imageNo": 0, "mask": {"areas": [{**POLY, "points": [0, 0, 1001, 0, 5, 5]}]}}, "mask.areas[0].points"),
    ("inpaint", {"jobId": "{job}", "imageNo": 0, "mask": {"url": "nope"}}, "mask.url"),
    ("inpaint", {"jobId": "{job}", "imageNo": 0, "area": {**POLY, "width": 100}}, "area.width"),
    ("remix", {"jobId": "{job}", "imageNo": 0}, "remixPrompt"),
    ("remix", {"jobId": "{job}", "imageNo": 0, "remixPrompt": "x", "mode": 2}, "mode"),
    ("edit", {"jobId": "{job}", "imageNo": 0, "imgPos": {"width": 1, "height": 1, "x": 0, "y": 0}, "remixPrompt": "x"}, "canvas"),
    ("edit", {"jobId": "{job}", "imageNo": 0, "canvas": {"width": 0, "height": 10},
              "imgPos": {"width": 1, "height": 1, "x": 0, "y": 0}, "remixPrompt": "x"}, "canvas.width"),
    ("edit", {"jobId": "{job}", "imageNo": 0, "canvas": {"width": 10, "height": 10},
              "imgPos": {"width": 1, "height": 1, "x": 0.5, "y": 0}, "remixPrompt": "x"}, "imgPos.x"),
    ("upload-paint", {"imgUrl": URL, "canvas": {"width": 10, "height": 10},
                      "imgPos": {"width": 1, "height": 1, "x": 0, "y": 0}, "remixPrompt": "x"}, "mask"),
    ("retexture", {"imgUrl": URL}, "remixPrompt"),
    ("remove-background", {"imgUrl": 5}, "imgUrl"),
    ("enhance", {"jobId": "{job}"}, "imageNo"),
    ("video-diffusion", {}, "jobId"),
    ("video-diffusion", {"jobId": "{job}"}, "imageNo"),
    ("video-diffusion", {"prompt": "x", "videoType": 2}, "videoType"),
    ("extend-video", {"jobId": "{job}", "videoNo": 4}, "videoNo"),
    ("video-upscale", {"jobId": "{job}"}, "videoNo"),
    ("enhance-upscale", {}, "image_url"),
    ("enhance-upscale", {"image_url": URL, "target_resolution": "16K"}, "target_resolution"),
    ("enhance-upscale", {"image_url": URL, "content_type": "painting"}, "content_type"),
    ("enhance-upscale", {"image_url": URL, "aspect_ratio": "7:5"}, "aspect_ratio"),
    ("enhance-upscale", {"image_url": URL, "crop_mode": "fit"}, "crop_mode"),
    ("enhance-upscale", {"image_url": URL, "output_format": "gif"}, "output_format"),
    ("enhance-upscale", {"image_url": URL, "face_enhancement_level": "max"}, "face_enhancement_level"),
    ("enhance-upscale", {"image_url": URL, "jobId": "{job}", "imageNo": 0}, "image_url"),
]


def _fill(value, job_id):
    if isinstance(value, dict):
        return {k: _fill(v, job_id) for k, v in value.items()}
    return job_id if value == "{job}" else value


@pytest.mark.parametrize("endpoint,body,field", BAD_BODIES, ids=[f"{e}-{f}-{i}" for i, (e, _, f) in enumerate(BAD_BODIES)])
def test_bad_body_is_refused_naming_the_field(sandbox, grid, endpoint, body, field):
    with client(sandbox) as api:
        payload = refused(api, endpoint, _fill(body, grid))
    assert payload["detail"]["field"] == field
    assert field in payload["message"]
    assert len(sandbox.state.created_job_ids()) == 1  # only the parent grid


def test_nulls_count_as_absent_optional_fields(sandbox, grid):
    # The vendor SDK sends unset optional fields as null.
    with client(sandbox) as api:
        submit(api, "variation", {"jobId": grid, "imageNo": 0, "type": 0, "remixPrompt": None, "callback": None})
        submit(api, "remix", {"jobId": grid, "imageNo": 0, "remixPrompt": "rain", "mode": None})


def test_callback_is_echoed_in_the_webhook_config(sandbox):
    with client(sandbox) as api:
        job = submit(api, "diffusion", {"text": "a cat", "callback": "https://hooks.example.com/done"})
    assert job["config"]["webhook_config"] == {"endpoint": "https://hooks.example.com/done", "secret": ""}


def test_bounds_are_inclusive(sandbox, grid):
    with client(sandbox) as api:
        submit(api, "pan", {"jobId": grid, "imageNo": 3, "direction": 3, "scale": 3.0})
        submit(api, "pan", {"jobId": grid, "imageNo": 0, "direction": 0, "scale": 1.1})
        submit(api, "outpaint", {"jobId": grid, "imageNo": 0, "scale": 2})
        submit(api, "diffusion", {"text": "x" * 8192})
        submit(api, "blend", {"imgUrls": [URL] * 5, "aspect_ratio": "2:3"})
        submit(api, "inpaint", {"jobId": grid, "imageNo": 0, "mask": {"areas": [
            {"width": 500, "height": 4096, "points": [0, 0, 500, 0, 500, 4096, 0, 4096]}]}})


def test_deprecated_single_area_is_accepted_on_inpaint(sandbox, grid):
    with client(sandbox) as api:
        job = submit(api, "inpaint", {"jobId": grid, "imageNo": 1, "area": POLY})
    assert job["task_type"] == "inpaint"


def test_multipart_inpaint_is_answered_with_a_clear_json_only_error(sandbox, grid):
    # This is how the vendor SDK sends inpaint; the published docs define a JSON mask.
    response = http.post(
        sandbox.base_url + "/v1/inpaint", headers=HEADERS,
        data={"jobId": grid, "imageNo": "0"}, files={"mask": ("mask.png", b"\x89PNG\r\n", "image/png")},
    )
    assert response.status_code == 400
    message = response.json()["message"]
    assert "JSON" in message and "multipart" in message
    assert sandbox.state.requests[-1].json_body is None


@pytest.mark.parametrize("raw,ctype", [(b"{not json", "application/json"), (b"", "application/json"),
                                        (b"[1, 2]", "application/json"), (b"text=a", "application/x-www-form-urlencoded")])
def test_unreadable_bodies_are_400(sandbox, raw, ctype):
    response = http.post(sandbox.base_url + "/v1/diffusion", headers={**HEADERS, "content-type": ctype}, content=raw)
    assert response.status_code == 400
    assert response.json()["detail"] == {"field": "body"}


def test_json_without_content_type_is_accepted(sandbox):
    # The docs list Content-Type as optional.
    response = http.post(sandbox.base_url + "/v1/diffusion", headers=HEADERS, content=b'{"text": "a cat"}')
    assert response.status_code == 200
