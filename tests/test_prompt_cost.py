"""Credit estimates and pixel sizes."""

from __future__ import annotations

import pytest

from studio.prompt import Cost, estimate, lint
from studio.prompt.size import image_size


@pytest.mark.parametrize("task,credits", [
    ("diffusion", 80), ("imagine", 80), ("reroll", 80), ("blend", 80), ("pan", 80), ("outpaint", 80),
    ("variation", 120), ("upscale", 120), ("inpaint", 120), ("remix", 120), ("edit", 120),
    ("upload_paint", 120), ("upload-paint", 120), ("retexture", 120), ("describe", 20),
    ("shorten", 20), ("video", 480), ("video_diffusion", 480), ("extend_video", 480),
    ("video_upscale", 480), ("remove_background", 80), ("enhance", 80),
])
def test_task_base_credits(task, credits):
    c = estimate(task)
    assert isinstance(c, Cost) and c.credits == credits and c.reasons


@pytest.mark.parametrize("res,credits", [("HD", 120), ("FHD", 120), ("2K", 120), ("4K", 160),
                                         ("6K", 200), ("8K", 300), ("12K", 540), (None, 120),
                                         ("8k", 300)])
def test_topaz_by_resolution(res, credits):
    assert estimate("enhance_upscale", target_resolution=res).credits == credits
    assert estimate("topaz", target_resolution=res).credits == credits


def test_unknown_task_raises():
    with pytest.raises(ValueError):
        estimate("teleport")


@pytest.mark.parametrize("text,credits,reason", [
    ("castle", 80, None),
    ("castle --v 8 --hd", 320, "--hd"),
    ("castle --v 8 --q 4", 320, "--q 4"),
    ("castle --v 8 --sv 6 --sref https://a.png", 320, "--sv 6"),
    ("castle --v 8 --hd --q 4 --sv 6 --sref https://a.png", 320, "premium"),  # one tier, no stacking
    ("castle --turbo", 160, "--turbo"),
    ("castle --v 7 --oref https://a.png", 160, "--oref"),
    ("castle --v 7 --oref https://a.png --turbo", 320, "--turbo"),
    ("castle --v 8.1", 80, "flat 1×"),
    ("castle --v 8.1 --hd", 80, "flat 1×"),
    ("castle --v 8.1 --turbo", 80, "flat 1×"),  # rejected anyway; never priced up
    ("castle --v 8 --turbo", 80, None),  # unsupported on v8: no job, no multiplier
    ("castle --v 7 --q 4", 80, None),
    ("castle --v 6 --hd", 80, None),
])
def test_prompt_multipliers_with_reasons(text, credits, reason):
    c = estimate("diffusion", text)
    assert c.credits == credits
    assert lint(text).cost.credits == credits
    if reason:
        assert any(reason in r for r in c.reasons), c.reasons
    else:
        assert len(c.reasons) == 1


@pytest.mark.parametrize("text,credits", [
    ("https://a.png waves", 480), ("https://a.png waves --bs 4", 480),
    ("https://a.png waves --bs 2", 240), ("https://a.png waves --bs 1", 120),
    ("https://a.png waves --bs 3", 480), ("https://a.png waves --bs 1 --turbo", 240),
])
def test_video_cost_by_batch_size(text, credits):
    assert estimate("video_diffusion", text).credits == credits
    assert lint(text, video=True).cost.credits == credits


def test_video_batch_size_option():
    assert estimate("video", batch_size=1).credits == 120


def test_default_model_option_prices_v8():
    assert estimate("diffusion", "castle --hd", model="8").credits == 320
    assert estimate("diffusion", "castle --hd", model="7").credits == 80


# ---- sizes -------------------------------------------------------------------------------------

@pytest.mark.parametrize("model", ["6", "6.1", "7", "niji6", "v7", "niji 6", None])
def test_base_models_render_about_1024_squared(model):
    assert image_size(model, None, False) == (1024, 1024)
    w, h = image_size(model, "16:9", False)
    assert (w, h) == (1360, 768)
    assert image_size(model, "16:9", True) == (1360, 768)  # --hd does nothing before v8


def test_v8_hd_and_v81_render_2k():
    assert image_size("8", "1:1", False) == (1024, 1024)
    assert image_size("8", "1:1", True) == (2048, 2048)
    assert image_size("8.1", "1:1", False) == (2048, 2048)
    assert image_size("v8.1", "16:9", False) == (2736, 1536)


@pytest.mark.parametrize("aspect", ["2:3", "3:2", "4:5", "9:16", "139:100", "1:10", "21:9", "7:3"])
@pytest.mark.parametrize("model,hd,side", [("7", False, 1024), ("8", True, 2048), ("8.1", False, 2048)])
def test_sizes_preserve_area_and_ratio(aspect, model, hd, side):
    w, h = image_size(model, aspect, hd)
    a, b = (int(x) for x in aspect.split(":"))
    assert w % 16 == 0 and h % 16 == 0
    assert abs(w * h / side ** 2 - 1) < 0.06
    assert abs((w / h) / (a / b) - 1) < 0.06
    assert (w > h) == (a > b) or a == b


@pytest.mark.parametrize("aspect", ["", "junk", "0:5", "-1:2", None])
def test_unreadable_aspect_falls_back_to_square(aspect):
    assert image_size("7", aspect, False) == (1024, 1024)
