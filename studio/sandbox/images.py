"""Pillow image making for the sandbox: abstract art, and the compositing each task implies.

Everything is deterministic from integer seeds. Operations that build on a parent image
(pan, outpaint, inpaint, edit) keep the parent's pixels exactly where the task says they
stay, so tests can check placement pixel by pixel (PNG is lossless):
- pan/outpaint paste the parent unchanged and only paint the new area;
- repaint changes every pixel inside the mask (each channel's top bit flips) and none
  outside it.
"""

from __future__ import annotations

import colorsys
import hashlib
import io
import math
import random

from PIL import Image, ImageChops, ImageDraw, ImageEnhance, ImageFilter

PNG_COMPRESS_LEVEL = 1  # fast to encode; the sandbox serves over loopback


def mix_seed(*parts: object) -> int:
    """A stable 32-bit seed from any parts (Python's hash() is salted per process)."""
    digest = hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big")


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=PNG_COMPRESS_LEVEL)
    return buffer.getvalue()


# The files the CDN serves, by name ending: (Pillow format, media type, save options).
FILE_FORMATS: dict[str, tuple[str, str, dict]] = {
    "png": ("PNG", "image/png", {"compress_level": PNG_COMPRESS_LEVEL}),
    "jpg": ("JPEG", "image/jpeg", {"quality": 88}),
    "tiff": ("TIFF", "image/tiff", {"compression": "tiff_deflate"}),
}


def file_bytes(image: Image.Image, ending: str) -> bytes:
    """`image` encoded as the CDN serves a file with this ending (JPEG has no alpha)."""
    fmt, _media, options = FILE_FORMATS[ending]
    if fmt == "JPEG" and image.mode != "RGB":
        image = image.convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


# --- abstract art ----------------------------------------------------------------------


def _colour(hue: float, sat: float, val: float) -> tuple[int, int, int]:
    r, g, b = colorsys.hsv_to_rgb(hue % 1.0, max(0.0, min(1.0, sat)), max(0.0, min(1.0, val)))
    return int(r * 255), int(g * 255), int(b * 255)


def abstract_art(width: int, height: int, seed: int) -> Image.Image:
    """Soft gradients with translucent shapes: pleasant, cheap, and unique per seed."""
    rng = random.Random(seed)
    hue = rng.random()
    # Background: a 3x3 lattice of analogous colours, smoothly interpolated.
    lattice = Image.new("RGB", (3, 3))
    lattice.putdata(
        [_colour(hue + rng.uniform(-0.09, 0.09), rng.uniform(0.35, 0.7), rng.uniform(0.5, 0.95)) for _ in range(9)]
    )
    image = lattice.resize((width, height), Image.Resampling.BICUBIC).convert("RGBA")

    # Soft shapes, drawn small and scaled up so their edges blur for free.
    small = (max(8, width // 4), max(8, height // 4))
    overlay = Image.new("RGBA", small, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    sw, sh = small
    for _ in range(rng.randint(5, 9)):
        fill = (*_colour(hue + rng.choice((0.33, 0.5, 0.66, 0.08)), rng.uniform(0.4, 0.85), rng.uniform(0.6, 1.0)),
                rng.randint(70, 170))
        cx, cy = rng.uniform(0, sw), rng.uniform(0, sh)
        r = rng.uniform(0.08, 0.35) * min(sw, sh)
        shape = rng.random()
        if shape < 0.5:
            draw.ellipse((cx - r, cy - r * rng.uniform(0.6, 1.4), cx + r, cy + r), fill=fill)
        elif shape < 0.75:
            draw.rounded_rectangle((cx - r, cy - r * 0.6, cx + r, cy + r * 0.6), radius=r * 0.3, fill=fill)
        else:
            pts = [(cx + rng.uniform(-r, r) * 1.5, cy + rng.uniform(-r, r) * 1.5) for _ in range(3)]
            draw.polygon(pts, fill=fill)
    # Soft edges instead of stair steps; premultiplied alpha avoids dark fringes.
    overlay = overlay.convert("RGBa").filter(ImageFilter.GaussianBlur(1.2))
    image.alpha_composite(overlay.resize((width, height), Image.Resampling.BICUBIC).convert("RGBA"))

    # A few crisp rings on top for detail.
    rings = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(rings)
    line = max(1, min(width, height) // 160)
    for _ in range(rng.randint(1, 3)):
        cx, cy = rng.uniform(0, width), rng.uniform(0, height)
        r = rng.uniform(0.05, 0.25) * min(width, height)
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=(255, 255, 255, rng.randint(90, 160)), width=line)
    image.alpha_composite(rings)
    return image.convert("RGB")


def grid(images: list[Image.Image]) -> Image.Image:
    """A 2x2 preview the size of one image (each tile at half size), like the API's grid URL."""
    width, height = images[0].size
    half = (max(1, width // 2), max(1, height // 2))
    sheet = Image.new("RGB", (half[0] * 2, half[1] * 2), (0, 0, 0))
    for i, img in enumerate(images[:4]):
        tile = img.convert("RGB").resize(half, Image.Resampling.BILINEAR)
        sheet.paste(tile, ((i % 2) * half[0], (i // 2) * half[1]))
    return sheet


# --- derived images --------------------------------------------------------------------


def blend_with_art(base: Image.Image, seed: int, alpha: float) -> Image.Image:
    art = abstract_art(base.width, base.height, seed)
    return Image.blend(base.convert("RGB"), art, alpha)


def upscale(parent: Image.Image, creative: bool, seed: int) -> Image.Image:
    big = parent.convert("RGB").resize((parent.width * 2, parent.height * 2), Image.Resampling.LANCZOS)
    if creative:
        big = blend_with_art(big, seed, 0.12).filter(ImageFilter.UnsharpMask(radius=2, percent=120))
    return big


def enhance(parent: Image.Image) -> Image.Image:
    image = ImageEnhance.Contrast(parent.convert("RGB")).enhance(1.15)
    return ImageEnhance.Sharpness(image).enhance(1.8)


def pan(parent: Image.Image, direction: int, scale: float, seed: int) -> tuple[Image.Image, tuple[int, int, int, int]]:
    """Extend in one direction (0 down, 1 right, 2 up, 3 left); returns the image and the new area."""
    w, h = parent.size
    if direction in (0, 2):
        nw, nh = w, max(h + 1, round(h * scale))
    else:
        nw, nh = max(w + 1, round(w * scale)), h
    canvas = abstract_art(nw, nh, seed)
    src = parent.convert("RGB")
    if direction == 0:
        at, new = (0, 0), (0, h, nw, nh)
        edge = src.crop((0, h - 1, w, h))
    elif direction == 1:
        at, new = (0, 0), (w, 0, nw, nh)
        edge = src.crop((w - 1, 0, w, h))
    elif direction == 2:
        at, new = (0, nh - h), (0, 0, nw, nh - h)
        edge = src.crop((0, 0, w, 1))
    else:
        at, new = (nw - w, 0), (0, 0, nw - w, nh)
        edge = src.crop((0, 0, 1, h))
    # Continue the parent's edge colours into the new area, blended with fresh art.
    size = (new[2] - new[0], new[3] - new[1])
    stretched = edge.resize(size, Image.Resampling.BILINEAR)
    canvas.paste(Image.blend(stretched, canvas.crop(new), 0.55), new[:2])
    canvas.paste(src, at)
    return canvas, new


def outpaint(parent: Image.Image, scale: float, seed: int) -> tuple[Image.Image, tuple[int, int]]:
    """Grow the canvas by `scale` on all sides, parent centred; returns image and parent offset."""
    w, h = parent.size
    nw, nh = max(w + 2, round(w * scale)), max(h + 2, round(h * scale))
    src = parent.convert("RGB")
    blurred = src.resize((max(1, w // 16), max(1, h // 16)), Image.Resampling.BILINEAR)
    backdrop = Image.blend(blurred.resize((nw, nh), Image.Resampling.BICUBIC), abstract_art(nw, nh, seed), 0.5)
    at = ((nw - w) // 2, (nh - h) // 2)
    backdrop.paste(src, at)
    return backdrop, at


def polygon_mask(size: tuple[int, int], polygons: list[dict], frame: tuple[int, int] | None = None) -> Image.Image:
    """An "L" mask (255 = repaint) from API polygons, scaled from each polygon's own
    width/height (or from `frame` when given) to `size`."""
    mask = Image.new("L", size, 0)
    draw = ImageDraw.Draw(mask)
    for polygon in polygons:
        pw, ph = frame or (polygon["width"], polygon["height"])
        sx, sy = size[0] / pw, size[1] / ph
        pts = polygon["points"]
        draw.polygon([(pts[i] * sx, pts[i + 1] * sy) for i in range(0, len(pts), 2)], fill=255)
    return mask


def canvas_polygon_mask(size: tuple[int, int], canvas: tuple[int, int],
                        box: tuple[int, int, int, int], polygons: list[dict]) -> Image.Image:
    """An "L" mask of `size` for edit/upload-paint: polygons stated in the canvas' own size
    cover the canvas; the others are in image pixels and land on the placed image `box`
    (x, y, w, h in output pixels)."""
    mask = Image.new("L", size, 0)
    draw = ImageDraw.Draw(mask)
    bx, by, bw, bh = box
    for polygon in polygons:
        pw, ph = polygon["width"], polygon["height"]
        if (pw, ph) == tuple(canvas):
            ox, oy, sx, sy = 0.0, 0.0, size[0] / pw, size[1] / ph
        else:
            ox, oy, sx, sy = bx, by, bw / pw, bh / ph
        pts = polygon["points"]
        draw.polygon([(ox + pts[i] * sx, oy + pts[i + 1] * sy) for i in range(0, len(pts), 2)], fill=255)
    return mask


def image_mask(mask_image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """A black-and-white mask image (white = repaint) resized and thresholded to `size`."""
    grey = mask_image.convert("L").resize(size, Image.Resampling.NEAREST)
    return grey.point(lambda v: 255 if v >= 128 else 0)


def default_mask(size: tuple[int, int]) -> Image.Image:
    """Stand-in for a mask URL the sandbox cannot fetch: a centred ellipse."""
    mask = Image.new("L", size, 0)
    w, h = size
    ImageDraw.Draw(mask).ellipse((w * 0.3, h * 0.3, w * 0.7, h * 0.7), fill=255)
    return mask


# Stripe pair per output index: both values flip bit 7, so every masked pixel changes.
_REPAINT_XOR = ((0x80, 0xC0), (0x80, 0xA0), (0x80, 0x90), (0x80, 0xE0))


def repaint(base: Image.Image, mask: Image.Image, index: int) -> Image.Image:
    """Change every pixel inside `mask` with a bold striped pattern; leave the rest as is."""
    src = base.convert("RGB")
    first, second = _REPAINT_XOR[index % len(_REPAINT_XOR)]
    a = src.point(lambda v: v ^ first)
    b = src.point(lambda v: v ^ second)
    w, h = src.size
    stripes = Image.new("L", (w, h), 0)
    draw = ImageDraw.Draw(stripes)
    period = max(6, min(w, h) // (10 + 3 * index))
    for k in range(-h, w + period, period):
        x = k if index % 2 == 0 else w - k
        d = h if index % 2 == 0 else -h
        draw.polygon([(x, 0), (x + period / 2, 0), (x + period / 2 + d, h), (x + d, h)], fill=255)
    pattern = Image.composite(a, b, stripes)
    return Image.composite(pattern, src, mask)


def place_on_canvas(
    source: Image.Image, canvas: tuple[int, int], box: tuple[int, int, int, int], seed: int
) -> Image.Image:
    """Fresh art of `canvas` size with `source` resized to box (x, y, w, h) on top."""
    out = abstract_art(canvas[0], canvas[1], seed)
    x, y, w, h = box
    src = source.convert("RGB")
    if src.size != (w, h):
        src = src.resize((max(1, w), max(1, h)), Image.Resampling.LANCZOS)
    out.paste(src, (x, y))
    return out


def retexture(source: Image.Image, seed: int) -> Image.Image:
    src = source.convert("RGB")
    texture = abstract_art(src.width, src.height, seed)
    return Image.blend(ImageChops.multiply(src, texture), src.quantize(8).convert("RGB"), 0.35)


def remove_background(source: Image.Image) -> Image.Image:
    """Keep a soft-edged centre subject, make everything else transparent (RGBA)."""
    src = source.convert("RGBA")
    w, h = src.size
    alpha = Image.new("L", (w, h), 0)
    ImageDraw.Draw(alpha).ellipse((w * 0.18, h * 0.12, w * 0.82, h * 0.92), fill=255)
    alpha = alpha.filter(ImageFilter.GaussianBlur(max(1, min(w, h) // 80)))
    src.putalpha(alpha)
    return src


def blend(sources: list[Image.Image], size: tuple[int, int], seed: int) -> Image.Image:
    fitted = [_cover(s.convert("RGB"), size) for s in sources]
    out = fitted[0]
    for i, img in enumerate(fitted[1:], start=2):
        out = Image.blend(out, img, 1.0 / i)  # running mean: every source weighs the same
    return blend_with_art(out, seed, 0.3)


def _cover(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """Scale to cover `size`, then centre-crop (like CSS object-fit: cover)."""
    w, h = size
    factor = max(w / image.width, h / image.height)
    scaled = image.resize((max(w, round(image.width * factor)), max(h, round(image.height * factor))))
    left, top = (scaled.width - w) // 2, (scaled.height - h) // 2
    return scaled.crop((left, top, left + w, top + h))


def fit_long_edge(image: Image.Image, long_edge: int) -> Image.Image:
    factor = long_edge / max(image.size)
    return image.resize((max(1, round(image.width * factor)), max(1, round(image.height * factor))),
                        Image.Resampling.LANCZOS)


SMOOTH_EDGE = 2048  # Topaz stand-ins are scaled smoothly up to this, then by whole pixels


def _quick_resize(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """Bilinear up to SMOOTH_EDGE on the long edge, then a whole-pixel (nearest) enlargement:
    a 12K stand-in in well under a second instead of five."""
    step = max(1, -(-max(size) // SMOOTH_EDGE))
    if step == 1:
        return image.resize(size, Image.Resampling.BILINEAR)
    middle = image.resize((max(1, -(-size[0] // step)), max(1, -(-size[1] // step))), Image.Resampling.BILINEAR)
    return middle.resize(size, Image.Resampling.NEAREST)


def topaz(source: Image.Image, long_edge: int, aspect: tuple[int, int] | None, crop_mode: str) -> Image.Image:
    """A Topaz result: `source` at the target's long edge, in the asked aspect (None: keep),
    fitted by `crop_mode` (letterbox pads, crop covers, stretch distorts)."""
    src = source.convert("RGBA" if "A" in source.getbands() else "RGB")
    w, h = src.size if aspect is None else aspect
    factor = long_edge / max(w, h)
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    if aspect is None or crop_mode == "stretch":
        return _quick_resize(src, size)
    if crop_mode == "crop":
        cover = max(size[0] / src.width, size[1] / src.height)
        scaled = _quick_resize(src, (max(size[0], round(src.width * cover)), max(size[1], round(src.height * cover))))
        left, top = (scaled.width - size[0]) // 2, (scaled.height - size[1]) // 2
        return scaled.crop((left, top, left + size[0], top + size[1]))
    fit = min(size[0] / src.width, size[1] / src.height)  # letterbox: the whole image, padded
    scaled = _quick_resize(src, (max(1, round(src.width * fit)), max(1, round(src.height * fit))))
    out = Image.new(src.mode, size, (0, 0, 0, 255) if src.mode == "RGBA" else (0, 0, 0))
    out.paste(scaled, ((size[0] - scaled.width) // 2, (size[1] - scaled.height) // 2))
    return out


# --- videos ---------------------------------------------------------------------------

VIDEO_FPS = 8  # a real video runs at 24; a third of that keeps encoding quick and seeking exact
VIDEO_DRIFT = {"low": 0.05, "high": 0.16}  # how far the view wanders: --motion low | high


def video_mp4(source: Image.Image, long_edge: int, seed: int, *, seconds: float = 5.0, motion: str = "low",
              loop: bool = False, end: Image.Image | None = None, fps: int = VIDEO_FPS) -> bytes:
    """A real H.264 MP4 of `source` slowly zooming and drifting (further with high motion), for
    `seconds` at `fps` frames a second. With `loop` the last frame is the first; with `end` the
    last second fades into that image (--end). Encoded with PyAV (FFmpeg): a key frame each
    second and no B-frames, so seeking lands on the exact frame."""
    import av

    src = fit_long_edge(source.convert("RGB"), long_edge)
    w, h = max(2, src.width - src.width % 2), max(2, src.height - src.height % 2)  # yuv420p: even sizes
    src = src.resize((w, h)) if (w, h) != src.size else src
    rng = random.Random(seed)
    drift = VIDEO_DRIFT.get(motion or "low", VIDEO_DRIFT["low"])
    dx, dy = rng.uniform(-drift, drift), rng.uniform(-drift, drift)
    tint = abstract_art(w, h, seed)
    last = end.convert("RGB").resize((w, h)) if end is not None else None
    count = max(2, round(seconds * fps))
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="mp4") as container:
        encoder = "libx264" if "libx264" in av.codecs_available else "mpeg4"
        stream = container.add_stream(encoder, rate=fps)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        if encoder == "libx264":
            stream.options = {"preset": "ultrafast", "tune": "zerolatency", "g": str(fps)}
        for i in range(count):
            t = i / (count - 1)
            phase = math.sin(math.pi * t) if loop else t  # a loop goes out and comes back
            zoom = 1.0 - 0.18 * phase
            cw, ch = w * zoom, h * zoom
            cx, cy = w / 2 + dx * w * phase, h / 2 + dy * h * phase
            box = (max(0, cx - cw / 2), max(0, cy - ch / 2), min(w, cx + cw / 2), min(h, cy + ch / 2))
            frame = Image.blend(src.resize((w, h), Image.Resampling.BILINEAR, box=box), tint, 0.1 + 0.15 * phase)
            fade = (i - (count - 1 - fps)) / fps if last is not None else 0.0
            if fade > 0:
                frame = Image.blend(frame, last, min(1.0, fade))
            for packet in stream.encode(av.VideoFrame.from_image(frame)):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return buffer.getvalue()


def dominant_colours(image: Image.Image, count: int = 3) -> list[tuple[int, int, int]]:
    small = image.convert("RGB").resize((32, 32)).quantize(count)
    palette = small.getpalette() or []
    ranked = sorted(small.getcolors() or [], reverse=True)
    return [tuple(palette[i * 3:i * 3 + 3]) for _, i in ranked[:count]]  # type: ignore[misc]
