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
    ("describe", {"imgUrl": "http://[::1/a.png"}, "imgUrl"),  # unparseable: a 400, not a 500
    ("describe", {"imgUrl": "https://e.com:99999/a.png"}, "imgUrl"),
    ("describe", {"imgUrl": "https://e.com/a b.png"}, "imgUrl"),
    ("video-diffusion", {"prompt": "http://[::1/a.png waves"}, "prompt"),
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
    ("inpaint", {"jobId": "{job}", "imageNo": 0, "mask": {"areas": [POLY]}, "area": {**POLY, "width": 100}}, "area.width"),
    ("inpaint", {"jobId": "{job}", "imageNo": 0, "area": POLY}, "mask"),  # deprecated area is no mask
    ("inpaint", {"jobId": "{job}", "imageNo": 0, "mask": {"areas": [POLY], "url": URL}}, "mask"),
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
    ("video-diffusion", {"jobId": "{job}", "prompt": f"{URL} waves"}, "imageNo"),  # option 1 needs both
    ("video-diffusion", {"imageNo": 0, "prompt": f"{URL} waves"}, "jobId"),
    ("video-diffusion", {"prompt": "x", "videoType": 2}, "videoType"),
    ("video-diffusion", {"prompt": "a text only video"}, "prompt"),  # option 2: "[image_url] your prompt text"
    ("video-diffusion", {"prompt": f"waves --end {URL}"}, "prompt"),  # an end frame is not the start image
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
    ("enhance-upscale", {"image_url": URL, "jobId": "{job}"}, "image_url"),  # choose one: no field of both
    ("enhance-upscale", {"image_url": URL, "imageNo": 0}, "image_url"),
    ("enhance-upscale", {"jobId": "{job}"}, "imageNo"),
]

# Names the docs do not define, as a client typo would send them: (endpoint, body, field).
UNKNOWN_FIELDS = [
    ("variation", {"jobId": "{job}", "imageNo": 0, "type": 1, "remix_prompt": "rain"}, "remix_prompt"),
    ("diffusion", {"text": "a cat", "callbackUrl": "https://hooks.example.com/x"}, "callbackUrl"),
    ("diffusion", {"prompt": "a cat"}, "prompt"),  # reported as the typo, not as "text is required"
    ("remix", {"jobId": "{job}", "imageNo": 0, "remixPrompt": "x", "mode": 1, "strength": None}, "strength"),
    ("enhance-upscale", {"imageUrl": URL}, "imageUrl"),
    ("inpaint", {"jobId": "{job}", "imageNo": 0, "mask": {"areas": [POLY], "invert": True}}, "mask.invert"),
    ("inpaint", {"jobId": "{job}", "imageNo": 0, "mask": {"areas": [{**POLY, "closed": True}]}}, "mask.areas[0].closed"),
    ("edit", {"jobId": "{job}", "imageNo": 0, "canvas": {"width": 10, "height": 10, "dpi": 72},
              "imgPos": {"width": 1, "height": 1, "x": 0, "y": 0}, "remixPrompt": "x"}, "canvas.dpi"),
    ("edit", {"jobId": "{job}", "imageNo": 0, "canvas": {"width": 10, "height": 10},
              "imgPos": {"width": 1, "height": 1, "left": 0, "x": 0, "y": 0}, "remixPrompt": "x"}, "imgPos.left"),
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


@pytest.mark.parametrize("endpoint,body,field", UNKNOWN_FIELDS, ids=[f for _, _, f in UNKNOWN_FIELDS])
def test_unknown_fields_are_refused_naming_them_and_the_accepted_ones(sandbox, grid, endpoint, body, field):
    with client(sandbox) as api:
        payload = refused(api, endpoint, _fill(body, grid))
    assert payload["detail"]["field"] == field and field in payload["message"]
    accepted = payload["detail"]["accepted"]
    assert accepted and all(name in payload["message"] for name in accepted)
    assert field.rpartition(".")[2] not in accepted
    assert len(sandbox.state.created_job_ids()) == 1


def test_every_documented_field_is_accepted_together(sandbox, grid):
    # The strict field check must not refuse a name the docs define (each table in full).
    hook = {"callback": "https://hooks.example.com/done"}
    with client(sandbox) as api:
        submit(api, "variation", {"jobId": grid, "imageNo": 0, "type": 1, "remixPrompt": "rain", **hook})
        submit(api, "pan", {"jobId": grid, "imageNo": 0, "direction": 1, "scale": 1.5, "remixPrompt": "sea", **hook})
        submit(api, "inpaint", {"jobId": grid, "imageNo": 0, "mask": {"url": URL}, "area": POLY,
                                "remixPrompt": "leaves", **hook})
        submit(api, "edit", {"jobId": grid, "imageNo": 0, "canvas": {"width": 1024, "height": 1024},
                             "imgPos": {"width": 512, "height": 512, "x": 256, "y": 256}, "remixPrompt": "sky",
                             "mask": {"areas": [POLY]}, **hook})
        submit(api, "video-diffusion", {"jobId": grid, "imageNo": 0, "prompt": "waves --motion high",
                                        "videoType": 1, **hook})
        submit(api, "enhance-upscale", {"jobId": grid, "imageNo": 0, "target_resolution": "4K",
                                        "content_type": "photo", "aspect_ratio": "keep", "crop_mode": "crop",
                                        "output_format": "png", "face_enhancement_level": "subtle", **hook})


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


def test_deprecated_area_is_still_accepted_beside_the_required_mask(sandbox, grid):
    # Inpaint: `mask` Required: Yes; `area` "deprecated, use mask instead" (REFERENCE.md).
    with client(sandbox) as api:
        job = submit(api, "inpaint", {"jobId": grid, "imageNo": 1, "mask": {"areas": [POLY]}, "area": POLY})
    assert job["task_type"] == "inpaint"


def test_a_null_inside_the_mask_counts_as_absent(sandbox, grid):
    # The vendor SDK sends {"areas": null, "url": ...}.
    with client(sandbox) as api:
        submit(api, "inpaint", {"jobId": grid, "imageNo": 0, "mask": {"areas": None, "url": URL}})


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
