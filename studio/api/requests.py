"""Request value types and the documented argument rules, checked before anything is sent.

Every rule here is one the vendor docs state (REFERENCE.md); breaking one raises
`ValidationError` naming the API field, so the user sees what to fix without spending a request.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence
from urllib.parse import urlsplit

from studio.api.errors import ValidationError

MAX_TEXT_CHARS = 8192
MAX_URL_CHARS = 1024
POLYGON_MIN_SIDE = 500
POLYGON_MAX_SIDE = 4096
IMAGE_NUMBERS = range(0, 4)  # the 4-grid: 0/1/2/3
PAN_SCALE = (1.1, 3.0)
OUTPAINT_SCALE = (1.1, 2.0)
BLEND_IMAGES = (2, 5)

# Documented enumerations, as data.
VARIATION_TYPES = {0: "subtle", 1: "strong"}
UPSCALE_TYPES = {0: "subtle", 1: "creative"}  # 2/3 are deprecated v5-only types
REMIX_MODES = {0: "strong", 1: "subtle"}
PAN_DIRECTIONS = {0: "down", 1: "right", 2: "up", 3: "left"}
VIDEO_TYPES = {0: "480p", 1: "720p"}
BLEND_ASPECT_RATIOS = ("2:3", "1:1", "3:2")
# Topaz target resolution -> the output's long edge in pixels (Resolution Options table).
TOPAZ_LONG_EDGE = {"HD": 1920, "FHD": 1920, "2K": 2560, "4K": 3840, "6K": 6144, "8K": 7680, "12K": 12288}
TOPAZ_TARGET_RESOLUTIONS = tuple(TOPAZ_LONG_EDGE)
TOPAZ_CONTENT_TYPES = ("standard", "photo", "illustration", "text", "low_res")
TOPAZ_ASPECT_RATIOS = ("keep", "1:1", "16:9", "9:16", "4:5", "5:4", "3:2", "2:3", "4:3", "3:4")
TOPAZ_CROP_MODES = ("letterbox", "crop", "stretch")
TOPAZ_OUTPUT_FORMATS = ("jpeg", "jpg", "png", "tiff", "tif")
TOPAZ_FACE_ENHANCEMENT = ("off", "none", "subtle", "moderate", "strong")

# The image types an endpoint's docs name for its source image, by operation: Retexture ›
# Supported Formats ("JPG, PNG, WebP"), Topaz › Option 1 ("Supports JPEG, PNG, TIFF"). Other
# endpoints name none; what their server makes of a URL is its own answer.
IMAGE_TYPES: dict[str, tuple[str, ...]] = {
    "retexture": ("jpg", "jpeg", "png", "webp"),
    "enhance_upscale": ("jpeg", "jpg", "png", "tiff", "tif"),
}
# File name endings whose type is known: a URL whose path ends in one says what it serves.
IMAGE_FILE_TYPES = frozenset({"jpg", "jpeg", "png", "webp", "gif", "bmp", "tif", "tiff", "heic", "heif", "avif"})
OTHER_FILE_TYPES = frozenset({"html", "htm", "pdf", "txt", "json", "xml", "csv", "zip", "mp4", "mov", "webm",
                              "mkv", "avi", "mp3", "wav", "doc", "docx", "svg", "psd"})
KNOWN_FILE_TYPES = IMAGE_FILE_TYPES | OTHER_FILE_TYPES


# ---- scalar rules ---------------------------------------------------------------------------

def check_text(field: str, value: Any) -> str:
    """A prompt-like text of 1–8192 characters."""
    if not isinstance(value, str):
        raise ValidationError(field, f"must be text, not {type(value).__name__}")
    if not value.strip():
        raise ValidationError(field, "must not be empty")
    if len(value) > MAX_TEXT_CHARS:
        raise ValidationError(field, f"is {len(value)} characters; the limit is {MAX_TEXT_CHARS}")
    return value


def check_url(field: str, value: Any) -> str:
    """An http(s) URL of at most 1024 characters."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(field, "must be a non-empty URL")
    if len(value) > MAX_URL_CHARS:
        raise ValidationError(field, f"is {len(value)} characters; URLs may have at most {MAX_URL_CHARS}")
    if any(ch.isspace() for ch in value):
        raise ValidationError(field, "must not contain spaces")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:  # e.g. "http://[::1" (an unclosed IPv6 host)
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValidationError(field, f"must be an http(s) URL, got {value[:80]!r}")
    return value


_TYPE_NAMES = {"jpg": "JPEG", "jpeg": "JPEG", "png": "PNG", "webp": "WebP", "tif": "TIFF", "tiff": "TIFF"}


def url_file_type(url: str) -> str | None:
    """The known file type a URL's path ends in ("png", "html"), or None when it names none
    (a CDN path without an ending, an unknown ending)."""
    try:
        path = urlsplit(url).path
    except ValueError:
        return None
    name = path.rstrip("/").rsplit("/", 1)[-1]
    if "." not in name:
        return None
    ending = name.rsplit(".", 1)[1].lower()
    return ending if ending in KNOWN_FILE_TYPES else None


def check_image_type(field: str, url: str, allowed: Sequence[str]) -> str:
    """A URL whose file ending names a type outside the documented `allowed` ones is refused;
    one that names no known type is left to the server."""
    ending = url_file_type(url)
    if ending is not None and ending not in allowed:
        shown = ", ".join(dict.fromkeys(_TYPE_NAMES.get(t, t.upper()) for t in allowed))
        raise ValidationError(field, f"points at a .{ending} file; this endpoint takes {shown} images")
    return url


def check_job_id(field: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(field, "must be a non-empty job id")
    if "/" in value or any(ch.isspace() for ch in value):
        # It becomes a path segment of GET /v1/job/{id}.
        raise ValidationError(field, f"is not a job id: {value[:80]!r}")
    return value


# "job_id: Unique task identifier (UUID)" (REFERENCE.md, every task's response fields).
JOB_ID_FORM = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def is_job_id(value: Any) -> bool:
    """Whether `value` has the documented form of a job id (a uuid), the only form that may
    become part of a path (GET /v1/job/{id}) or a file name."""
    return isinstance(value, str) and JOB_ID_FORM.fullmatch(value) is not None


def check_server_job_id(field: str, value: Any) -> str:
    """A job id about to be used in a path: only the documented uuid form (never "..")."""
    if not is_job_id(value):
        raise ValidationError(field, f"is not a job id (the API's are uuids): {str(value)[:80]!r}")
    return value


def check_int(field: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(field, f"must be an integer, not {value!r}")
    return value


def check_choice(field: str, value: Any, allowed: Iterable[Any]) -> Any:
    allowed = list(allowed)
    wants_int = all(isinstance(a, int) for a in allowed)
    if isinstance(value, bool) or (wants_int and not isinstance(value, int)) or value not in allowed:
        shown = ", ".join(str(a) for a in allowed)
        raise ValidationError(field, f"must be one of {shown}; got {value!r}")
    return value


def check_image_no(field: str, value: Any) -> int:
    check_int(field, value)
    if value not in IMAGE_NUMBERS:
        raise ValidationError(field, f"must be 0, 1, 2 or 3 (the image in the grid); got {value}")
    return value


def check_range(field: str, value: Any, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValidationError(field, f"must be a number, not {value!r}")
    if not low <= value <= high:
        raise ValidationError(field, f"must be between {low:g} and {high:g}; got {value:g}")
    return float(value)


def _pixels(field: str, value: Any) -> int:
    """An integer pixel coordinate; a painter's sub-pixel float is rounded (the API wants ints)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValidationError(field, f"must be an integer pixel value, not {value!r}")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValidationError(field, f"must be a finite number, not {value!r}")
        return int(round(value))
    return value


# ---- structured values ----------------------------------------------------------------------

@dataclass
class Polygon:
    """A repaint area: the image size it refers to and its corners x1,y1,x2,y2,… clockwise."""

    width: int
    height: int
    points: list[int]

    def __post_init__(self) -> None:
        self.width = _pixels("mask.areas.width", self.width)
        self.height = _pixels("mask.areas.height", self.height)
        for name, side in (("width", self.width), ("height", self.height)):
            if not POLYGON_MIN_SIDE <= side <= POLYGON_MAX_SIDE:
                raise ValidationError(
                    f"mask.areas.{name}",
                    f"must be between {POLYGON_MIN_SIDE} and {POLYGON_MAX_SIDE} pixels; got {side}",
                )
        if not isinstance(self.points, (list, tuple)):
            raise ValidationError("mask.areas.points", "must be a list of x, y coordinates")
        points = [_pixels("mask.areas.points", p) for p in self.points]
        if len(points) % 2:
            raise ValidationError("mask.areas.points", f"needs an even count (x, y pairs); got {len(points)} numbers")
        if len(points) < 6:
            raise ValidationError("mask.areas.points", f"needs at least 3 points; got {len(points) // 2}")
        # Corners lie on the image, edges included (the sandbox holds the same rule). The
        # clockwise order the docs ask for is the mask painter's job, not checked here.
        for x, y in zip(points[::2], points[1::2]):
            if not (0 <= x <= self.width and 0 <= y <= self.height):
                raise ValidationError(
                    "mask.areas.points",
                    f"point ({x}, {y}) lies outside the {self.width}x{self.height} image",
                )
        self.points = points

    @classmethod
    def from_xy(cls, width: int, height: int, xy: Sequence[tuple[float, float]]) -> Polygon:
        return cls(width, height, [c for point in xy for c in point])

    def to_json(self) -> dict[str, Any]:
        return {"width": self.width, "height": self.height, "points": list(self.points)}


@dataclass
class Mask:
    """Either polygon areas or the URL of a black-and-white mask image (white is repainted)."""

    areas: list[Polygon] | None = None
    url: str | None = None

    def __post_init__(self) -> None:
        if self.areas is not None:
            if not isinstance(self.areas, (list, tuple)) or not self.areas:
                raise ValidationError("mask.areas", "must list at least one polygon")
            self.areas = [_coerce_polygon(area) for area in self.areas]
        if self.url is not None:
            check_url("mask.url", self.url)
        if (self.areas is None) == (self.url is None):
            # The docs say "choose one of the following methods".
            raise ValidationError("mask", "give either polygon areas or a mask image url (exactly one)")

    @classmethod
    def from_json(cls, data: Any) -> Mask:
        if isinstance(data, Mask):
            return data
        if not isinstance(data, Mapping):
            raise ValidationError("mask", f"must be a Mask or an object, not {type(data).__name__}")
        return cls(areas=data.get("areas"), url=data.get("url"))

    def to_json(self) -> dict[str, Any]:
        if self.areas is not None:
            return {"areas": [area.to_json() for area in self.areas]}
        return {"url": self.url}


def _coerce_polygon(value: Any) -> Polygon:
    if isinstance(value, Polygon):
        return value
    if isinstance(value, Mapping):
        try:
            return Polygon(value["width"], value["height"], value["points"])
        except KeyError as missing:
            raise ValidationError(f"mask.areas.{missing.args[0]}", "is required") from None
    raise ValidationError("mask.areas", f"each area must be a Polygon, not {type(value).__name__}")


@dataclass
class Canvas:
    """Target canvas size in pixels (edit, upload-paint)."""

    width: int
    height: int

    def __post_init__(self) -> None:
        for name in ("width", "height"):
            value = _pixels(f"canvas.{name}", getattr(self, name))
            if value <= 0:
                raise ValidationError(f"canvas.{name}", f"must be a positive number of pixels; got {value}")
            setattr(self, name, value)

    @classmethod
    def from_json(cls, data: Any) -> Canvas:
        if isinstance(data, Canvas):
            return data
        if not isinstance(data, Mapping):
            raise ValidationError("canvas", f"must be a Canvas or an object, not {type(data).__name__}")
        try:
            return cls(data["width"], data["height"])
        except KeyError as missing:
            raise ValidationError(f"canvas.{missing.args[0]}", "is required") from None

    def to_json(self) -> dict[str, Any]:
        return {"width": self.width, "height": self.height}


@dataclass
class CanvasImg:
    """Where the source image sits on the canvas: its size and top-left offset."""

    width: int
    height: int
    x: int
    y: int

    def __post_init__(self) -> None:
        for name in ("width", "height"):
            value = _pixels(f"imgPos.{name}", getattr(self, name))
            if value <= 0:
                raise ValidationError(f"imgPos.{name}", f"must be a positive number of pixels; got {value}")
            setattr(self, name, value)
        # Offsets may be negative: an image can hang over the canvas edge.
        self.x = _pixels("imgPos.x", self.x)
        self.y = _pixels("imgPos.y", self.y)

    @classmethod
    def from_json(cls, data: Any) -> CanvasImg:
        if isinstance(data, CanvasImg):
            return data
        if not isinstance(data, Mapping):
            raise ValidationError("imgPos", f"must be a CanvasImg or an object, not {type(data).__name__}")
        try:
            return cls(data["width"], data["height"], data["x"], data["y"])
        except KeyError as missing:
            raise ValidationError(f"imgPos.{missing.args[0]}", "is required") from None

    def to_json(self) -> dict[str, Any]:
        return {"width": self.width, "height": self.height, "x": self.x, "y": self.y}


def body(**fields: Any) -> dict[str, Any]:
    """A JSON request body: unset (None) optional fields are left out, never sent as null."""
    return {name: value for name, value in fields.items() if value is not None}
