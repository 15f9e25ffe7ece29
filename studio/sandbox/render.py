"""Turning a job's recipe into pixels (on first download, then cached) and text outputs.

A job stores a recipe name and its parameters; its images are rendered lazily when a
client fetches them, which keeps job polling cheap. A recipe names its source as
{"job": id, "index": n} (a sandbox image) or {"url": u} (a URL: a sandbox CDN URL is
resolved to that image, any other URL gets a stand-in picture seeded by the URL since the
sandbox never touches the network).
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
import threading
from collections import OrderedDict
from typing import Any, Callable
from urllib.parse import urlparse

from PIL import Image

from studio.api.operations import operation

from . import images
from .images import mix_seed
from .jobs import SandboxJob
from .prompt_info import cap_size
from .state import SandboxState

CDN_IMAGE = re.compile(r"^/cdn/mj/(?P<job>[0-9a-fA-F-]{8,64})_(?P<index>\d|grid)\.(?P<ending>png|jpg|tiff)$")
CDN_VIDEO = re.compile(r"^/cdn/video/(?P<job>[0-9a-fA-F-]{8,64})_(?P<index>\d)\.mp4$")

STAND_IN_EDGE = 1024  # outside URLs become a square picture of this size (capped)
VIDEO_EDGE = {0: 240, 1: 320}  # long edge of the sandbox's small MP4s for 480p / 720p
# Extend Video: "Each extension adds 4 seconds ... up to 21-second videos" (4 extensions).
VIDEO_SECONDS = 5.0

# Blend strength of fresh art over the parent: variation type 0 subtle / 1 strong;
# remix mode 0 strong / 1 subtle (REFERENCE.md tables).
VARIATION_ALPHA = {0: 0.18, 1: 0.45}
REMIX_ALPHA = {0: 0.55, 1: 0.3}


# Cache budgets: decoded images (bytes of pixel data) and encoded files. Everything is
# deterministic, so an evicted entry is simply rendered again when asked for.
IMAGE_CACHE_BYTES = 96 * 1024 * 1024
FILE_CACHE_BYTES = 64 * 1024 * 1024


class _Cache:
    """A least-recently-used cache bounded by the total weight of its values."""

    def __init__(self, budget: int, weigh: Callable[[Any], int]) -> None:
        self._items: OrderedDict[Any, tuple[Any, int]] = OrderedDict()
        self._budget = budget
        self._weigh = weigh
        self._total = 0
        self._lock = threading.Lock()

    def get_or_make(self, key: Any, make: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key][0]
        value = make()  # outside the lock; a rare double render is harmless
        weight = self._weigh(value)
        with self._lock:
            if key not in self._items:
                self._items[key] = (value, weight)
                self._total += weight
            while self._total > self._budget and len(self._items) > 1:
                _, (_, dropped) = self._items.popitem(last=False)
                self._total -= dropped
        return value


def _image_bytes(image: Image.Image) -> int:
    return image.width * image.height * len(image.getbands())


class Renderer:
    def __init__(self, state: SandboxState, cap: int | None) -> None:
        self._state = state
        self._cap = cap
        self._images = _Cache(IMAGE_CACHE_BYTES, _image_bytes)
        self._files = _Cache(FILE_CACHE_BYTES, len)

    def image(self, job_id: str, index: int) -> Image.Image:
        job = self._state.peek(job_id)
        if job is None or not 0 <= index < job.outputs:
            raise KeyError((job_id, index))
        if job.recipe == "enhance_upscale":
            # Up to 12288 px on the long edge (450 MB of pixels): encoded and let go, never
            # cached; its file is (a few MB).
            return self._render(job, index)
        return self._images.get_or_make((job_id, index), lambda: self._render(job, index))

    def file(self, job_id: str, which: str) -> bytes:
        """Image file `which` ("0".."3" or "grid") of a job, encoded as its URL ends."""
        job = self._state.peek(job_id)
        if job is None:
            raise KeyError(job_id)
        if job.image_ending == "png":
            return self.png(job_id, which)
        return self._files.get_or_make((job_id, which, job.image_ending),
                                       lambda: images.file_bytes(self.image(job_id, int(which)), job.image_ending))

    def png(self, job_id: str, which: str) -> bytes:
        def make() -> bytes:
            if which == "grid":
                job = self._state.peek(job_id)
                if job is None:
                    raise KeyError(job_id)
                return images.png_bytes(images.grid([self.image(job_id, i) for i in range(job.outputs)]))
            return images.png_bytes(self.image(job_id, int(which)))

        return self._files.get_or_make((job_id, which), make)

    def video(self, job_id: str, index: int) -> bytes:
        job = self._state.peek(job_id)
        if job is None or not 0 <= index < job.outputs:
            raise KeyError((job_id, index))
        return self._files.get_or_make((job_id, f"v{index}"), lambda: self._render_video(job, index))

    # --- sources ------------------------------------------------------------------------

    def url_image(self, url: str) -> Image.Image | None:
        """The sandbox image a CDN URL points at (whatever host it names), else None."""
        match = CDN_IMAGE.match(urlparse(url).path)
        if not match:
            return None
        job = self._state.peek(match["job"])
        if job is None or job.status != "completed":
            return None
        if match["index"] == "grid":
            return images.grid([self.image(job.job_id, i) for i in range(job.outputs)])
        index = int(match["index"])
        return self.image(job.job_id, index) if index < job.outputs else None

    def gone(self, url: str) -> bool:
        """Whether `url` is one of this sandbox's image addresses with no image behind it (an
        unknown or unfinished job, or an index it does not have). Other servers' images are
        never fetched, so never gone."""
        return CDN_IMAGE.match(urlparse(url).path) is not None and self.url_image(url) is None

    def stand_in(self, url: str) -> Image.Image:
        w, h = cap_size((STAND_IN_EDGE, STAND_IN_EDGE), self._cap)
        return images.abstract_art(w, h, mix_seed("url", url))

    def source(self, spec: dict[str, Any]) -> Image.Image:
        if "job" in spec:
            return self.image(spec["job"], spec["index"])
        return self.url_image(spec["url"]) or self.stand_in(spec["url"])

    def _mask(self, params: dict[str, Any], size: tuple[int, int]) -> Image.Image | None:
        if params.get("polygons"):
            return images.polygon_mask(size, params["polygons"])
        if params.get("mask_url"):
            found = self.url_image(params["mask_url"])
            return images.image_mask(found, size) if found is not None else images.default_mask(size)
        return None

    # --- recipes ------------------------------------------------------------------------

    def _render(self, job: SandboxJob, index: int) -> Image.Image:
        p = job.params
        seed = mix_seed(job.seed, index, job.recipe)
        recipe = job.recipe
        if recipe == "generate":
            return images.abstract_art(*p["size"], seed)
        if recipe == "blend":
            sources = [self.source({"url": u}) for u in p["urls"]]
            return images.blend(sources, tuple(p["size"]), seed)
        src = self.source(p["source"])
        if recipe == "variation":
            out = images.blend_with_art(src, seed, VARIATION_ALPHA[p["type"]])
        elif recipe == "remix":
            out = images.blend_with_art(src, seed, REMIX_ALPHA[p["mode"]])
        elif recipe == "retexture":
            out = images.retexture(src, seed)
        elif recipe == "upscale":
            return images.upscale(src, p["type"] == 1, seed)
        elif recipe == "enhance":
            return images.enhance(src)
        elif recipe == "remove_background":
            return images.remove_background(src)
        elif recipe == "enhance_upscale":
            # The documented long edge whatever image_size_cap says: the size is the point.
            aspect = tuple(p["aspect"]) if p.get("aspect") else None
            return images.topaz(src, p["long_edge"], aspect, p.get("crop_mode", "letterbox"))
        elif recipe == "pan":
            return images.pan(src, p["direction"], p["scale"], seed)[0]
        elif recipe == "outpaint":
            return images.outpaint(src, p["scale"], seed)[0]
        elif recipe == "inpaint":
            return images.repaint(src, self._mask(p, src.size), index)
        elif recipe in ("edit", "upload_paint"):
            return self._render_canvas(src, p, seed, index)
        else:  # pragma: no cover - every recipe above is built by submit.py
            raise ValueError(f"unknown recipe {recipe}")
        return out

    def _render_canvas(self, src: Image.Image, p: dict[str, Any], seed: int, index: int) -> Image.Image:
        """Edit / upload-paint: the image at imgPos on the canvas, repainted inside the mask.

        The output is the canvas (shrunk to image_size_cap when set, imgPos scaled alike);
        The docs say the mask covers "areas on the original image" while the vendor SDK's
        example states the canvas size in each polygon; both are honoured: a polygon whose
        width/height equal the canvas maps onto the whole canvas, any other polygon maps from
        its own width/height onto the image where it sits on the canvas (imgPos).
        """
        cw, ch = p["canvas"]
        out_size = cap_size((cw, ch), self._cap)
        fx, fy = out_size[0] / cw, out_size[1] / ch
        x, y, w, h = p["box"]
        box = (round(x * fx), round(y * fy), max(1, round(w * fx)), max(1, round(h * fy)))
        out = images.place_on_canvas(src, out_size, box, seed)
        if p.get("polygons"):
            mask = images.canvas_polygon_mask(out_size, (cw, ch), box, p["polygons"])
        else:
            mask = self._mask(p, out_size)
        return images.repaint(out, mask, index) if mask is not None else out

    def _render_video(self, job: SandboxJob, index: int) -> bytes:
        p = job.params
        still = self.source(p["still"])
        end = self.source({"url": p["end"]}) if p.get("end") else None
        seconds = VIDEO_SECONDS + job.extensions * operation("extend_video").adds_seconds
        return images.video_mp4(still, p["edge"], mix_seed(job.seed, index, "video"), seconds=seconds,
                                motion=p.get("motion") or "low", loop=bool(p.get("loop")), end=end)

    # --- text outputs -------------------------------------------------------------------

    def describe(self, url: str) -> dict[str, Any]:
        image = self.url_image(url)
        if image is None:
            image = self.stand_in(url)
        return describe_image(image)


# --- describe / shorten -----------------------------------------------------------------

_NAMED = (
    ("crimson", 0.0), ("amber", 0.08), ("golden", 0.14), ("lime", 0.22), ("emerald", 0.36),
    ("teal", 0.47), ("azure", 0.56), ("cobalt", 0.64), ("violet", 0.75), ("magenta", 0.86),
    ("rose", 0.95),
)


def colour_name(rgb: tuple[int, int, int]) -> str:
    import colorsys

    h, s, v = colorsys.rgb_to_hsv(*(c / 255 for c in rgb))
    if v < 0.2:
        return "charcoal"
    if s < 0.15:
        return "ivory" if v > 0.8 else "slate grey"
    return min(_NAMED, key=lambda named: min(abs(h - named[1]), 1 - abs(h - named[1])))[0]


_COMMON_RATIOS = ((1, 1), (4, 3), (3, 4), (3, 2), (2, 3), (16, 9), (9, 16), (5, 4), (4, 5), (2, 1), (1, 2),
                  (21, 9), (9, 21), (7, 4), (4, 7))


def _aspect(size: tuple[int, int]) -> str:
    """The --ar a picture reads as: a common ratio within 2 % (sizes are rounded), else a
    small-number approximation."""
    w, h = size
    ratio = w / h
    for a, b in _COMMON_RATIOS:
        if abs(ratio / (a / b) - 1) < 0.02:
            return f"{a}:{b}"
    approx = Fraction(w, h).limit_denominator(12)
    return f"{approx.numerator}:{approx.denominator}"


def describe_image(image: Image.Image) -> dict[str, Any]:
    names = []
    for rgb in images.dominant_colours(image, 3):
        name = colour_name(rgb)
        if name not in names:
            names.append(name)
    while len(names) < 2:
        names.append("pearl")
    first, second = names[0], names[1]
    ar = _aspect(image.size)
    prompts = [
        f"an abstract composition of {first} and {second} gradients with soft translucent shapes --ar {ar}",
        f"dreamy {first} color field, floating {second} circles, minimal modern art --ar {ar}",
        f"soft focus geometric shapes in {first}, {second} light rings, calm atmosphere --ar {ar}",
        f"generative art poster, {first} to {second} gradient, overlapping translucent forms --ar {ar}",
    ]
    return {
        "promptEn": prompts[0],
        "description": f"A {ar} abstract image dominated by {first} and {second} tones, "
        "with blurred overlapping shapes and thin light rings.",
        "finalPrompt": prompts[0],
        "prompts": prompts,
    }


_FILLER = frozenset(
    "a an the very really quite some of with and in on at to for by from that this is are "
    "beautiful amazing stunning highly extremely incredibly detailed ultra".split()
)


def shorten_prompt(prompt: str) -> dict[str, Any]:
    """Four progressively shorter versions; parameters (--flags) are kept as they are."""
    text, sep, flags = prompt.partition(" --")
    flags = f"--{flags}" if sep else ""
    words = re.findall(r"[^\s,]+", text)
    essential = [w for w in words if w.lower().strip(".;:!") not in _FILLER] or words[:1]
    versions = []
    for keep in (1.0, 0.75, 0.5, 0.3):
        count = max(1, math.ceil(len(essential) * keep))
        versions.append(" ".join(essential[:count] + ([flags] if flags else [])).strip())
    return {
        "promptEn": prompt,
        "description": f"Kept {len(essential)} of {len(words)} words; parameters unchanged.",
        "finalPrompt": versions[0],
        "prompts": versions,
    }
