"""Client-side validation: every documented rule raises ValidationError naming the field, before sending.

The client here points at a closed loopback port with retries off: had any request been sent,
the call would end in NetworkError instead of ValidationError.
"""

from __future__ import annotations

import asyncio
import socket

import pytest

from studio.api import Canvas, CanvasImg, LegnextClient, Mask, NetworkError, Polygon, RetryPolicy, ValidationError
from studio.api.job_requests import request_for

GOOD_MASK = Mask(areas=[Polygon(1024, 1024, [0, 0, 500, 0, 500, 500, 0, 500])])
URL = "https://example.com/a.png"
JOB = "5dd94ec3-7282-4f04-9445-59e850ef1822"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(op: str, **kwargs):
    async def body():
        async with LegnextClient("k", f"http://127.0.0.1:{closed_port()}/api",
                                 retry=RetryPolicy(max_attempts=1)) as client:
            return await client.submit(request_for(op, **kwargs))
    return asyncio.run(body())


BAD_CALLS = [
    # (operation, keyword arguments, the field the error must name)
    ("diffusion", dict(text=""), "text"),
    ("diffusion", dict(text="   "), "text"),
    ("diffusion", dict(text="x" * 8193), "text"),
    ("diffusion", dict(text=42), "text"),
    ("diffusion", dict(text="ok", callback="ftp://host/hook"), "callback"),
    ("variation", dict(job_id=JOB, image_no=4, type=0), "imageNo"),
    ("variation", dict(job_id=JOB, image_no=-1, type=0), "imageNo"),
    ("variation", dict(job_id=JOB, image_no=True, type=0), "imageNo"),
    ("variation", dict(job_id=JOB, image_no=0, type=2), "type"),
    ("variation", dict(job_id=JOB, image_no=0, type=0, remix_prompt=""), "remixPrompt"),
    ("variation", dict(job_id="", image_no=0, type=0), "jobId"),
    ("variation", dict(job_id="a/b", image_no=0, type=0), "jobId"),
    ("upscale", dict(job_id=JOB, image_no=0, type=3), "type"),
    ("upscale", dict(job_id=JOB, image_no=1.0, type=0), "imageNo"),
    ("reroll", dict(job_id=None), "jobId"),
    ("blend", dict(img_urls=[URL], aspect_ratio="1:1"), "imgUrls"),
    ("blend", dict(img_urls=[URL] * 6, aspect_ratio="1:1"), "imgUrls"),
    ("blend", dict(img_urls=URL, aspect_ratio="1:1"), "imgUrls"),
    ("blend", dict(img_urls=[URL, "not a url"], aspect_ratio="1:1"), "imgUrls[1]"),
    ("blend", dict(img_urls=[URL, URL], aspect_ratio="16:9"), "aspect_ratio"),
    ("describe", dict(img_url="https://e.com/" + "a" * 1024), "imgUrl"),
    ("describe", dict(img_url="file:///etc/passwd"), "imgUrl"),
    ("describe", dict(img_url="http://[::1/a.png"), "imgUrl"),  # urlsplit raises ValueError on this
    ("describe", dict(img_url="http://example.com:99999/a.png"), "imgUrl"),
    ("shorten", dict(prompt=""), "prompt"),
    ("pan", dict(job_id=JOB, image_no=0, direction=4, scale=1.5), "direction"),
    ("pan", dict(job_id=JOB, image_no=0, direction=0, scale=1.0), "scale"),
    ("pan", dict(job_id=JOB, image_no=0, direction=0, scale=3.01), "scale"),
    ("pan", dict(job_id=JOB, image_no=0, direction=0, scale=float("nan")), "scale"),
    ("outpaint", dict(job_id=JOB, image_no=0, scale=2.1), "scale"),
    ("outpaint", dict(job_id=JOB, image_no=0, scale=1.09), "scale"),
    ("inpaint", dict(job_id=JOB, image_no=0, mask={"areas": []}), "mask.areas"),
    ("inpaint", dict(job_id=JOB, image_no=0, mask={"areas": [{"width": 499, "height": 600,
                                                              "points": [0, 0, 1, 1, 2, 2]}]}), "mask.areas.width"),
    ("inpaint", dict(job_id=JOB, image_no=0, mask={"areas": [{"width": 600, "height": 4097,
                                                              "points": [0, 0, 1, 1, 2, 2]}]}), "mask.areas.height"),
    ("inpaint", dict(job_id=JOB, image_no=0, mask={"areas": [{"width": 600, "height": 600,
                                                              "points": [0, 0, 1, 1]}]}), "mask.areas.points"),
    ("inpaint", dict(job_id=JOB, image_no=0, mask={"areas": [{"width": 600, "height": 600,
                                                              "points": [0, 0, 1, 1, 2]}]}), "mask.areas.points"),
    ("inpaint", dict(job_id=JOB, image_no=0, mask={"areas": [{"width": 600, "height": 600,  # x beyond width
                                                              "points": [0, 0, 601, 0, 601, 600]}]}),
     "mask.areas.points"),
    ("inpaint", dict(job_id=JOB, image_no=0, mask={"areas": [{"width": 600, "height": 600,  # y above the top
                                                              "points": [0, -1, 100, 0, 100, 100]}]}),
     "mask.areas.points"),
    ("inpaint", dict(job_id=JOB, image_no=0, mask={"url": URL, "areas": GOOD_MASK.to_json()["areas"]}), "mask"),
    ("inpaint", dict(job_id=JOB, image_no=0, mask={}), "mask"),
    ("inpaint", dict(job_id=JOB, image_no=0, mask={"url": "nope"}), "mask.url"),
    ("remix", dict(job_id=JOB, image_no=0, remix_prompt="new", mode=2), "mode"),
    ("remix", dict(job_id=JOB, image_no=0, remix_prompt=""), "remixPrompt"),
    ("edit", dict(job_id=JOB, image_no=0, canvas={"width": 0, "height": 10},
                  img_pos=CanvasImg(10, 10, 0, 0), remix_prompt="p"), "canvas.width"),
    ("edit", dict(job_id=JOB, image_no=0, canvas=Canvas(10, 10), img_pos={"width": 10, "height": 10, "x": 0},
                  remix_prompt="p"), "imgPos.y"),
    ("upload_paint", dict(img_url=URL, canvas=Canvas(10, 10), img_pos=CanvasImg(10, 10, 0, 0),
                          remix_prompt="p", mask=None), "mask"),
    ("retexture", dict(img_url=URL, remix_prompt=""), "remixPrompt"),
    # documented source types: Retexture takes JPG, PNG, WebP; Topaz JPEG, PNG, TIFF
    ("retexture", dict(img_url="https://e.com/a.gif", remix_prompt="gold"), "imgUrl"),
    ("retexture", dict(img_url="https://e.com/page.html", remix_prompt="gold"), "imgUrl"),
    ("remove_background", dict(img_url=""), "imgUrl"),
    ("enhance", dict(job_id=JOB, image_no=9), "imageNo"),
    ("video_diffusion", dict(), "prompt"),
    ("video_diffusion", dict(job_id=JOB), "imageNo"),
    ("video_diffusion", dict(image_no=0, prompt="p"), "jobId"),
    ("video_diffusion", dict(prompt=URL + " waves", video_type=2), "videoType"),
    ("extend_video", dict(job_id=JOB, video_no=4), "videoNo"),
    ("video_upscale", dict(job_id=JOB, video_no=-1), "videoNo"),
    ("enhance_upscale", dict(), "image_url"),
    ("enhance_upscale", dict(image_url=URL, job_id=JOB, image_no=0), "image_url"),
    ("enhance_upscale", dict(job_id=JOB), "imageNo"),
    ("enhance_upscale", dict(image_no=0), "jobId"),
    ("enhance_upscale", dict(image_url=URL, target_resolution="16K"), "target_resolution"),
    ("enhance_upscale", dict(image_url=URL, target_resolution="4k"), "target_resolution"),
    ("enhance_upscale", dict(image_url=URL, content_type="anime"), "content_type"),
    ("enhance_upscale", dict(image_url=URL, aspect_ratio="21:9"), "aspect_ratio"),
    ("enhance_upscale", dict(image_url=URL, crop_mode="fill"), "crop_mode"),
    ("enhance_upscale", dict(image_url=URL, output_format="webp"), "output_format"),
    ("enhance_upscale", dict(image_url="https://e.com/a.webp"), "image_url"),
    ("enhance_upscale", dict(image_url=URL, face_enhancement_level="max"), "face_enhancement_level"),
    ("teleport", dict(), "op"),
    ("diffusion", dict(txt="typo in the keyword"), "op"),
]


@pytest.mark.parametrize("op,kwargs,field", BAD_CALLS, ids=[f"{c[0]}-{c[2]}-{i}" for i, c in enumerate(BAD_CALLS)])
def test_rule_breaks_raise_validation_error_before_sending(op, kwargs, field):
    with pytest.raises(ValidationError) as caught:
        call(op, **kwargs)
    assert caught.value.field == field
    assert field in caught.value.user_message  # the message names the field for the user


def test_a_valid_call_does_reach_the_network():
    # The control for the table above: with valid arguments the same client does try to send.
    with pytest.raises(NetworkError):
        call("pan", job_id=JOB, image_no=3, direction=1, scale=1.13)


def test_value_types_serialise_to_the_documented_json():
    poly = Polygon.from_xy(1024, 768, [(10, 20), (300.4, 20), (300, 400)])
    assert poly.to_json() == {"width": 1024, "height": 768, "points": [10, 20, 300, 20, 300, 400]}
    assert Mask(areas=[poly]).to_json() == {"areas": [poly.to_json()]}
    assert Mask(url=URL).to_json() == {"url": URL}
    assert Canvas(2048, 1024).to_json() == {"width": 2048, "height": 1024}
    assert CanvasImg(1024, 1024, 512, -10).to_json() == {"width": 1024, "height": 1024, "x": 512, "y": -10}


def test_polygon_limits_are_inclusive():
    Polygon(500, 4096, [0, 0, 1, 0, 1, 1])
    with pytest.raises(ValidationError):
        Polygon(4097, 500, [0, 0, 1, 0, 1, 1])


def test_polygon_points_must_lie_on_the_image():
    # Edges are on the image (the sandbox holds the same rule): 0..width and 0..height inclusive.
    Polygon(600, 500, [0, 0, 600, 0, 600, 500, 0, 500])
    Polygon(600, 500, [0.4, 0, 600.4, 0, 600, 500.2])  # sub-pixel floats round onto the edge
    for points in ([0, 0, 601, 0, 601, 500], [0, 0, 600, 0, 600, 501], [-1, 0, 600, 0, 600, 500],
                   [0, 0, 600, -2, 600, 500]):
        with pytest.raises(ValidationError) as caught:
            Polygon(600, 500, points)
        assert caught.value.field == "mask.areas.points"
        assert "outside the 600x500 image" in caught.value.user_message


def test_api_key_with_control_characters_is_refused_without_echoing_it():
    with pytest.raises(ValidationError) as caught:
        LegnextClient("sk-secret\n-pasted-twice")
    assert "sk-secret" not in str(caught.value) and caught.value.field == "api_key"
    assert "sk-live" not in repr(LegnextClient("sk-live-123"))


def test_each_operation_has_one_typed_request_and_unknown_ones_are_refused():
    from studio.api.job_requests import REQUESTS, UpscaleRequest
    from studio.api.operations import OPERATIONS

    assert set(REQUESTS) == set(OPERATIONS)  # one request type per operation, no more
    request = request_for("upscale", job_id=JOB, image_no=1, type=0)
    assert isinstance(request, UpscaleRequest) and request.operation is OPERATIONS["upscale"]
    assert request.body() == {"jobId": JOB, "imageNo": 1, "type": 0}
    assert request.arguments() == {"job_id": JOB, "image_no": 1, "type": 0, "callback": None}
    with pytest.raises(ValidationError, match="unknown operation"):
        request_for("teleport", job_id=JOB)
    with pytest.raises(ValidationError, match="upscale"):
        request_for("upscale", job_id=JOB, image_no=1, type=0, colour="red")


def test_a_url_naming_no_known_type_is_left_to_the_server():
    from studio.api.requests import url_file_type

    assert url_file_type("https://cdn.example.com/i/8f2a?w=1024") is None
    assert url_file_type("https://e.com/a.PNG") == "png" and url_file_type("https://e.com/x.php") is None
    body = request_for("retexture", img_url="https://cdn.example.com/i/8f2a", remix_prompt="gold").body()
    assert body["imgUrl"] == "https://cdn.example.com/i/8f2a"
    with pytest.raises(ValidationError, match=r"\.gif file; this endpoint takes JPEG, PNG, WebP images"):
        request_for("retexture", img_url="https://e.com/a.gif", remix_prompt="gold").body()
