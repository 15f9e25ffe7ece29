"""Generated images: size, determinism, and exact placement of parent pixels."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageDraw
from test_sandbox_support import client, http, image, run, same_pixels, submit

from studio.sandbox import SandboxServer

DAY = 24 * 3600


@pytest.fixture
def grid(sandbox):
    with client(sandbox) as api:
        job = run(sandbox, api, "diffusion", {"text": "a harbour --ar 3:2"})
    return job


def test_sizes_follow_aspect_model_and_cap(sandbox):
    with client(sandbox) as api:
        wide = run(sandbox, api, "diffusion", {"text": "a road --ar 16:9"})
        tall = run(sandbox, api, "diffusion", {"text": "a tower --ar 9:16 --v 8.1"})
        square = run(sandbox, api, "diffusion", {"text": "a tile"})
    w, h = image(wide["output"]["image_urls"][0]).size
    assert max(w, h) == 256 and abs(w / h - 16 / 9) < 0.02
    w, h = image(tall["output"]["image_urls"][3]).size
    assert max(w, h) == 256 and abs(w / h - 9 / 16) < 0.02
    assert image(square["output"]["image_urls"][1]).size == (256, 256)


def test_uncapped_sizes_come_from_the_prompt_size_table():
    from studio.prompt.size import image_size as size_of

    with SandboxServer(speed=500) as server, client(server) as api:
        api.headers["x-api-key"] = "k"
        v7 = run(server, api, "diffusion", {"text": "a boat --ar 2:3"})
        v81 = run(server, api, "diffusion", {"text": "a boat --ar 1:1 --v 8.1"})
        assert image(v7["output"]["image_urls"][0]).size == size_of("7", "2:3", False)
        assert image(v81["output"]["image_urls"][0]).size == size_of("8.1", "1:1", False)


def test_images_are_deterministic_from_the_seed(sandbox):
    with client(sandbox) as api:
        a = run(sandbox, api, "diffusion", {"text": "a cat --seed 1234"})
        b = run(sandbox, api, "diffusion", {"text": "a cat --seed 1234"})
        c = run(sandbox, api, "diffusion", {"text": "a cat --seed 1235"})
    assert a["output"]["seed"] == b["output"]["seed"] == "1234"
    first = [http.get(u).content for u in a["output"]["image_urls"]]
    second = [http.get(u).content for u in b["output"]["image_urls"]]
    other = [http.get(u).content for u in c["output"]["image_urls"]]
    assert first == second
    assert len(set(first)) == 4  # four different pictures in a grid
    assert not set(first) & set(other)


def test_seeds_are_random_without_a_seed_flag(sandbox):
    with client(sandbox) as api:
        seeds = {run(sandbox, api, "diffusion", {"text": "a cat"})["output"]["seed"] for _ in range(3)}
    assert len(seeds) == 3


def test_grid_image_is_a_2x2_composite_of_the_four(sandbox, grid):
    sheet = image(grid["output"]["image_url"])
    tiles = [image(u) for u in grid["output"]["image_urls"]]
    w, h = tiles[0].size
    assert sheet.size == (w // 2 * 2, h // 2 * 2)
    # the top-left quarter is image 0 shrunk
    expected = tiles[0].resize((w // 2, h // 2), Image.Resampling.BILINEAR)
    quarter = sheet.crop((0, 0, w // 2, h // 2))
    diff = sum(abs(a - b) for a, b in zip(quarter.tobytes(), expected.tobytes())) / len(quarter.tobytes())
    assert diff < 1.0


@pytest.mark.parametrize("direction", [0, 1, 2, 3])
def test_pan_extends_one_side_and_keeps_the_parent_unchanged(sandbox, grid, direction):
    parent = image(grid["output"]["image_urls"][2])
    w, h = parent.size
    with client(sandbox) as api:
        job = run(sandbox, api, "pan", {"jobId": grid["job_id"], "imageNo": 2, "direction": direction, "scale": 1.5})
    results = [image(u) for u in job["output"]["image_urls"]]
    assert len({r.tobytes() for r in results}) == 4  # new content differs per image
    for out in results:
        if direction in (0, 2):
            assert out.size == (w, round(h * 1.5))
        else:
            assert out.size == (round(w * 1.5), h)
        at = {0: (0, 0), 1: (0, 0), 2: (0, out.height - h), 3: (out.width - w, 0)}[direction]
        assert same_pixels(out.crop((at[0], at[1], at[0] + w, at[1] + h)), parent)


def test_outpaint_centres_the_unchanged_parent_on_a_larger_canvas(sandbox, grid):
    parent = image(grid["output"]["image_urls"][1])
    w, h = parent.size
    with client(sandbox) as api:
        job = run(sandbox, api, "outpaint", {"jobId": grid["job_id"], "imageNo": 1, "scale": 2.0})
    for url in job["output"]["image_urls"]:
        out = image(url)
        assert out.size == (w * 2, h * 2)
        x, y = (out.width - w) // 2, (out.height - h) // 2
        assert same_pixels(out.crop((x, y, x + w, y + h)), parent)
        assert not same_pixels(out.crop((0, 0, w, h)), parent)


def _inside(mask: Image.Image, xy: tuple[int, int]) -> bool:
    return mask.getpixel(xy) == 255


def test_inpaint_changes_only_pixels_inside_the_polygons(sandbox, grid):
    parent = image(grid["output"]["image_urls"][0])
    w, h = parent.size
    # Polygons in a 1000x600 frame (not the image size): the server scales them to the image.
    polygons = [
        {"width": 1000, "height": 600, "points": [100, 100, 400, 100, 400, 300, 100, 300]},
        {"width": 1000, "height": 600, "points": [600, 350, 900, 500, 650, 580]},
    ]
    with client(sandbox) as api:
        job = run(sandbox, api, "inpaint", {"jobId": grid["job_id"], "imageNo": 0, "mask": {"areas": polygons}})
    # Our own rendering of the scaled polygons, shrunk/grown by a pixel to skip edge rasterising.
    mask = Image.new("L", (w, h), 0)
    draw = ImageDraw.Draw(mask)
    for p in polygons:
        sx, sy = w / p["width"], h / p["height"]
        pts = p["points"]
        draw.polygon([(pts[i] * sx, pts[i + 1] * sy) for i in range(0, len(pts), 2)], fill=255)
    from PIL import ImageFilter

    surely_in = mask.filter(ImageFilter.MinFilter(5))
    surely_out = mask.filter(ImageFilter.MaxFilter(5))
    for url in job["output"]["image_urls"]:
        out = image(url)
        assert out.size == parent.size
        changed_in = changed_out = total_in = 0
        for y in range(0, h, 2):
            for x in range(0, w, 2):
                differs = out.getpixel((x, y)) != parent.getpixel((x, y))
                if surely_in.getpixel((x, y)) == 255:
                    total_in += 1
                    changed_in += differs
                elif surely_out.getpixel((x, y)) == 0:
                    changed_out += differs
        assert total_in > 100
        assert changed_in == total_in  # every pixel inside the mask is repainted
        assert changed_out == 0  # nothing outside it moves


def test_inpaint_with_a_sandbox_mask_image_url(sandbox, grid):
    parent = image(grid["output"]["image_urls"][0])
    with client(sandbox) as api:
        # A remove-background result is an RGBA cut-out; any sandbox image works as a mask source.
        bright = run(sandbox, api, "diffusion", {"text": "mask --seed 7 --ar 3:2"})
        mask_url = bright["output"]["image_urls"][0]
        job = run(sandbox, api, "inpaint", {"jobId": grid["job_id"], "imageNo": 0, "mask": {"url": mask_url}})
    mask = image(mask_url).convert("L").resize(parent.size, Image.Resampling.NEAREST)
    out = image(job["output"]["image_urls"][0])
    for xy in [(x, y) for x in range(0, parent.width, 7) for y in range(0, parent.height, 7)]:
        white = mask.getpixel(xy) >= 128
        assert (out.getpixel(xy) != parent.getpixel(xy)) == white


def test_edit_places_the_image_at_imgpos_and_repaints_the_mask(sandbox, grid):
    parent = image(grid["output"]["image_urls"][3])  # 256 x 171 (3:2 capped)
    w, h = parent.size
    body = {
        "jobId": grid["job_id"], "imageNo": 3, "remixPrompt": "a red door",
        # a 512 canvas, shrunk to 256 by image_size_cap: the parent lands at (0, 60) of the output
        "canvas": {"width": 512, "height": 512},
        "imgPos": {"width": 2 * w, "height": 2 * h, "x": 0, "y": 120},
        # a polygon stated in the canvas' own size covers output (128..192, 100..150)
        "mask": {"areas": [{"width": 512, "height": 512, "points": [256, 200, 384, 200, 384, 300, 256, 300]}]},
    }
    with client(sandbox) as api:
        job = run(sandbox, api, "edit", body)
    out = image(job["output"]["image_urls"][0])
    assert out.size == (256, 256)
    # outside the mask the parent sits unchanged at (0, 60)
    assert same_pixels(out.crop((0, 60, 120, 60 + h)), parent.crop((0, 0, 120, h)))
    # inside the mask every pixel differs from the parent underneath
    for x in range(132, 188, 5):
        for y in range(104, 146, 5):
            assert out.getpixel((x, y)) != parent.getpixel((x, y - 60))
    # above the placed image is new canvas content, not the parent
    assert not same_pixels(out.crop((0, 0, w, 60)), parent.crop((0, 0, w, 60)))


def test_edit_polygons_in_image_pixels_land_on_the_placed_image(sandbox, grid):
    """The docs' reading: mask areas are on the original image, wherever imgPos puts it."""
    parent = image(grid["output"]["image_urls"][2])
    w, h = parent.size
    body = {
        "jobId": grid["job_id"], "imageNo": 2, "remixPrompt": "a red door",
        "canvas": {"width": 512, "height": 512},
        "imgPos": {"width": 2 * w, "height": 2 * h, "x": 0, "y": 120},
        # the image's own frame at 4x the capped size: the square (40..100, 20..80) of the image
        "mask": {"areas": [{"width": 4 * w, "height": 4 * h, "points": [160, 80, 400, 80, 400, 320, 160, 320]}]},
    }
    with client(sandbox) as api:
        job = run(sandbox, api, "edit", body)
    out = image(job["output"]["image_urls"][0])
    for x in range(44, 97, 6):
        for y in range(24, 77, 6):
            assert out.getpixel((x, y + 60)) != parent.getpixel((x, y))
    # the rest of the placed image is untouched
    assert same_pixels(out.crop((120, 60, w, 60 + h)), parent.crop((120, 0, w, h)))


def test_upload_paint_reads_a_sandbox_image_url(sandbox, grid):
    source_url = grid["output"]["image_urls"][1]
    parent = image(source_url)
    with client(sandbox) as api:
        job = run(sandbox, api, "upload-paint", {
            "imgUrl": source_url, "remixPrompt": "glow",
            "canvas": {"width": parent.width, "height": parent.height},
            "imgPos": {"width": parent.width, "height": parent.height, "x": 0, "y": 0},
            "mask": {"areas": [{"width": 1000, "height": 1000, "points": [0, 0, 300, 0, 300, 300, 0, 300]}]},
        })
    out = image(job["output"]["image_urls"][2])
    assert same_pixels(out.crop((120, 100, parent.width, parent.height)), parent.crop((120, 100, parent.width, parent.height)))
    assert out.getpixel((20, 20)) != parent.getpixel((20, 20))


def test_upscale_doubles_the_chosen_image(sandbox, grid):
    parent = image(grid["output"]["image_urls"][2])
    with client(sandbox) as api:
        job = run(sandbox, api, "upscale", {"jobId": grid["job_id"], "imageNo": 2, "type": 0})
    big = image(job["output"]["image_url"])
    assert big.size == (parent.width * 2, parent.height * 2)
    # subtle upscale: shrinking it back gives the parent (within resampling error)
    back = big.resize(parent.size, Image.Resampling.BOX)
    diff = sum(abs(a - b) for a, b in zip(back.tobytes(), parent.tobytes())) / len(back.tobytes())
    assert diff < 4


def test_remove_background_returns_a_transparent_cut_out(sandbox):
    with client(sandbox) as api:
        job = run(sandbox, api, "remove-background", {"imgUrl": "https://example.com/x.png"})
    data = http.get(job["output"]["image_url"]).content
    cut = Image.open(io.BytesIO(data))
    assert cut.mode == "RGBA"
    assert cut.getpixel((0, 0))[3] == 0 and cut.getpixel((cut.width // 2, cut.height // 2))[3] == 255


def test_blend_image_has_the_requested_aspect(sandbox):
    with client(sandbox) as api:
        job = run(sandbox, api, "blend", {"imgUrls": ["https://e.com/1.png", "https://e.com/2.png"], "aspect_ratio": "2:3"})
    w, h = image(job["output"]["image_urls"][0]).size
    assert abs(w / h - 2 / 3) < 0.02


def _video(url: str) -> tuple[str, tuple[int, int], float, list[Image.Image]]:
    """A served video decoded with PyAV: codec, size, seconds and its frames."""
    import av

    with av.open(io.BytesIO(http.get(url).content)) as container:
        stream = container.streams.video[0]
        frames = [frame.to_image() for frame in container.decode(stream)]
        return stream.codec_context.name, (stream.width, stream.height), float(container.duration) / 1e6, frames


def test_videos_are_served_as_real_mp4_files(sandbox, grid):
    with client(sandbox) as api:
        video = run(sandbox, api, "video-diffusion", {"jobId": grid["job_id"], "imageNo": 0, "videoType": 1})
        upscaled = run(sandbox, api, "video-upscale", {"jobId": video["job_id"], "videoNo": 1})
        extended = run(sandbox, api, "extend-video", {"jobId": video["job_id"], "videoNo": 2, "prompt": "--bs 1"})
    codec, small, seconds, frames = _video(video["output"]["video_urls"][1])
    assert codec == "h264" and len(frames) > 8 and small[0] % 2 == small[1] % 2 == 0
    assert seconds == pytest.approx(5.0, abs=0.2)  # "up to 21-second videos" after 4 extensions of 4 s
    assert frames[0].tobytes() != frames[-1].tobytes()  # it moves
    _codec, big, _seconds, _frames = _video(upscaled["output"]["video_urls"][0])
    assert max(big) == 2 * max(small)
    assert _video(extended["output"]["video_urls"][0])[2] == pytest.approx(9.0, abs=0.2)  # 4 s longer


def test_a_looping_video_ends_on_its_first_frame(sandbox, grid):
    from PIL import ImageChops

    with client(sandbox) as api:
        looped = run(sandbox, api, "video-diffusion",
                     {"jobId": grid["job_id"], "imageNo": 3, "prompt": "--loop --motion high --bs 1"})
    _codec, _size, _seconds, frames = _video(looped["output"]["video_urls"][0])
    assert len(looped["output"]["video_urls"]) == 1
    assert max(ImageChops.difference(frames[0], frames[-1]).convert("L").getextrema()) < 24  # lossy, but the same


def test_images_expire_after_30_days(sandbox, grid):
    url = grid["output"]["image_urls"][0]
    assert http.get(url).status_code == 200
    sandbox.clock.advance(29 * DAY)
    assert http.get(url).status_code == 200
    sandbox.clock.advance(2 * DAY)
    gone = http.get(url)
    assert gone.status_code == 404 and "30 days" in gone.json()["message"]


def test_images_of_unfinished_jobs_are_not_served():
    with SandboxServer(speed=1, image_size_cap=64) as sandbox, client(sandbox) as api:
        job_id = submit(api, "diffusion", {"text": "a cat"})["job_id"]
        assert http.get(f"{sandbox.origin}/cdn/mj/{job_id}_0.png").status_code == 404
        sandbox.finish_all()
        assert http.get(f"{sandbox.origin}/cdn/mj/{job_id}_0.png").status_code == 200
        assert http.get(f"{sandbox.origin}/cdn/mj/{job_id}_4.png").status_code == 404
