"""Request-body checks for every POST endpoint, written as data from REFERENCE.md.

Each endpoint lists its fields (name, kind, required, range or choices); a few documented
either/or rules (video-diffusion, enhance-upscale, inpaint's deprecated `area`) are
expressed as `one_of` groups. A violation raises `BodyError` naming the field, which the app
turns into HTTP 400. A JSON null counts as "absent" (the vendor SDK sends `"callback": null`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

TEXT_MAX = 8192
URL_MAX = 1024
POLYGON_MIN, POLYGON_MAX = 500, 4096
CANVAS_MAX = 8192


class BodyError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class F:
    """One body field: kind is text|url|id|int|number|choice|url_list|canvas|img_pos|mask|polygon."""

    name: str
    kind: str
    required: bool = False
    lo: float | None = None
    hi: float | None = None
    choices: tuple[Any, ...] = ()


_TEXT = dict(lo=1, hi=TEXT_MAX)
CALLBACK = F("callback", "url")
TOPAZ = (
    F("target_resolution", "choice", choices=("HD", "FHD", "2K", "4K", "6K", "8K", "12K")),
    F("content_type", "choice", choices=("standard", "photo", "illustration", "text", "low_res")),
    F("aspect_ratio", "choice", choices=("keep", "1:1", "16:9", "9:16", "4:5", "5:4", "3:2", "2:3", "4:3", "3:4")),
    F("crop_mode", "choice", choices=("letterbox", "crop", "stretch")),
    F("output_format", "choice", choices=("jpeg", "jpg", "png", "tiff", "tif")),
    F("face_enhancement_level", "choice", choices=("off", "none", "subtle", "moderate", "strong")),
)


def _job(required: bool = True) -> F:
    return F("jobId", "id", required)


def _image_no(required: bool = True) -> F:
    return F("imageNo", "int", required, 0, 3)


def _remix(required: bool = False) -> F:
    return F("remixPrompt", "text", required, **_TEXT)


ENDPOINT_FIELDS: dict[str, tuple[F, ...]] = {
    "diffusion": (F("text", "text", True, **_TEXT), CALLBACK),
    "variation": (_job(), _image_no(), F("type", "int", True, 0, 1), _remix(), CALLBACK),
    "upscale": (_job(), _image_no(), F("type", "int", True, 0, 1), CALLBACK),
    "reroll": (_job(), CALLBACK),
    "blend": (
        F("imgUrls", "url_list", True, 2, 5),
        F("aspect_ratio", "choice", True, choices=("2:3", "1:1", "3:2")),
        CALLBACK,
    ),
    "describe": (F("imgUrl", "url", True), CALLBACK),
    "shorten": (F("prompt", "text", True, **_TEXT), CALLBACK),
    "pan": (
        _job(), _image_no(), F("direction", "int", True, 0, 3), F("scale", "number", True, 1.1, 3.0),
        _remix(), CALLBACK,
    ),
    "outpaint": (_job(), _image_no(), F("scale", "number", True, 1.1, 2.0), _remix(), CALLBACK),
    "inpaint": (_job(), _image_no(), F("mask", "mask"), F("area", "polygon"), _remix(), CALLBACK),
    "remix": (_job(), _image_no(), _remix(True), F("mode", "int", False, 0, 1), CALLBACK),
    "edit": (
        _job(), _image_no(), F("canvas", "canvas", True), F("imgPos", "img_pos", True), _remix(True),
        F("mask", "mask"), CALLBACK,
    ),
    "upload-paint": (
        F("imgUrl", "url", True), F("canvas", "canvas", True), F("imgPos", "img_pos", True), _remix(True),
        F("mask", "mask", True), CALLBACK,
    ),
    "retexture": (F("imgUrl", "url", True), _remix(True), CALLBACK),
    "remove-background": (F("imgUrl", "url", True), CALLBACK),
    "enhance": (_job(), _image_no(), CALLBACK),
    "video-diffusion": (
        _job(False), _image_no(False), F("prompt", "text", False, **_TEXT),
        F("videoType", "int", False, 0, 1), CALLBACK,
    ),
    "extend-video": (_job(), F("videoNo", "int", True, 0, 3), F("prompt", "text", False, **_TEXT), CALLBACK),
    "video-upscale": (_job(), F("videoNo", "int", True, 0, 3), CALLBACK),
    "enhance-upscale": (F("image_url", "url"), _job(False), _image_no(False), *TOPAZ, CALLBACK),
}

# Documented either/or inputs: each inner tuple is one complete way to give the input.
ONE_OF: dict[str, tuple[tuple[str, ...], ...]] = {
    "inpaint": (("mask",), ("area",)),
    "video-diffusion": (("jobId", "imageNo"), ("prompt",)),
    "enhance-upscale": (("image_url",), ("jobId", "imageNo")),
}


def validate(endpoint: str, body: Any) -> dict[str, Any]:
    """The body with nulls dropped, or BodyError naming the first bad field."""
    if not isinstance(body, dict):
        raise BodyError("body", "request body must be a JSON object")
    clean = {k: v for k, v in body.items() if v is not None}
    for spec in ENDPOINT_FIELDS[endpoint]:
        if spec.name not in clean:
            if spec.required:
                raise BodyError(spec.name, f"{spec.name} is required")
            continue
        _check(spec, clean[spec.name], spec.name)
    groups = ONE_OF.get(endpoint)
    if groups:
        complete = [g for g in groups if all(name in clean for name in g)]
        if not complete:
            options = " or ".join("+".join(g) for g in groups)
            partial = next((n for g in groups for n in g if n in clean), groups[0][0])
            missing = next((n for g in groups if partial in g for n in g if n not in clean), partial)
            raise BodyError(missing, f"{missing} is required: give {options}")
        if len(complete) > 1 and endpoint == "enhance-upscale":
            raise BodyError(groups[0][0], f"give either {' or '.join('+'.join(g) for g in groups)}, not both")
    return clean


def _check(spec: F, value: Any, where: str) -> None:
    kind = spec.kind
    if kind == "text":
        if not isinstance(value, str):
            raise BodyError(where, f"{where} must be a string")
        if not spec.lo <= len(value) <= spec.hi:
            raise BodyError(where, f"{where} must be {int(spec.lo)}-{int(spec.hi)} characters (got {len(value)})")
    elif kind == "id":
        if not isinstance(value, str) or not value.strip():
            raise BodyError(where, f"{where} must be a non-empty job id string")
    elif kind == "url":
        check_url(value, where)
    elif kind == "int":
        if not _is_int(value):
            raise BodyError(where, f"{where} must be an integer {_range(spec)}")
        if not spec.lo <= value <= spec.hi:
            raise BodyError(where, f"{where} must be {_range(spec)} (got {value})")
    elif kind == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise BodyError(where, f"{where} must be a number {_range(spec)}")
        if not spec.lo - 1e-9 <= value <= spec.hi + 1e-9:
            raise BodyError(where, f"{where} must be {_range(spec)} (got {value})")
    elif kind == "choice":
        if value not in spec.choices:
            raise BodyError(where, f"{where} must be one of {', '.join(map(str, spec.choices))} (got {value!r})")
    elif kind == "url_list":
        if not isinstance(value, list):
            raise BodyError(where, f"{where} must be a list of image URLs")
        if not spec.lo <= len(value) <= spec.hi:
            raise BodyError(where, f"{where} must hold {int(spec.lo)}-{int(spec.hi)} image URLs (got {len(value)})")
        for i, item in enumerate(value):
            check_url(item, f"{where}[{i}]")
    elif kind == "canvas":
        _check_object(value, where, ("width", "height"), lo=1)
    elif kind == "img_pos":
        _check_object(value, where, ("width", "height"), lo=1)
        _check_object(value, where, ("x", "y"), lo=-CANVAS_MAX)
    elif kind == "polygon":
        check_polygon(value, where)
    elif kind == "mask":
        check_mask(value, where)
    else:  # pragma: no cover - a table typo, caught by the endpoint tests
        raise AssertionError(kind)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _range(spec: F) -> str:
    lo, hi = spec.lo, spec.hi
    if spec.kind == "int" and hi is not None and hi - lo <= 3:
        return "(" + "/".join(str(v) for v in range(int(lo), int(hi) + 1)) + ")"
    return f"from {lo:g} to {hi:g}"


def check_url(value: Any, where: str) -> None:
    if not isinstance(value, str) or not value:
        raise BodyError(where, f"{where} must be a URL string")
    if len(value) > URL_MAX:
        raise BodyError(where, f"{where} is longer than {URL_MAX} characters")
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise BodyError(where, f"{where} must be an http(s) URL")


def _check_object(value: Any, where: str, keys: tuple[str, ...], lo: int) -> None:
    if not isinstance(value, dict):
        raise BodyError(where, f"{where} must be an object with {', '.join(keys)}")
    for key in keys:
        item = value.get(key)
        if not _is_int(item):
            raise BodyError(f"{where}.{key}", f"{where}.{key} must be an integer")
        if not lo <= item <= CANVAS_MAX:
            raise BodyError(f"{where}.{key}", f"{where}.{key} must be from {lo} to {CANVAS_MAX} (got {item})")


def check_polygon(value: Any, where: str) -> None:
    if not isinstance(value, dict):
        raise BodyError(where, f"{where} must be an object with width, height and points")
    for key in ("width", "height"):
        item = value.get(key)
        if not _is_int(item):
            raise BodyError(f"{where}.{key}", f"{where}.{key} must be an integer")
        if not POLYGON_MIN <= item <= POLYGON_MAX:
            raise BodyError(
                f"{where}.{key}", f"{where}.{key} must be from {POLYGON_MIN} to {POLYGON_MAX} pixels (got {item})"
            )
    points = value.get("points")
    if not isinstance(points, list) or not all(_is_int(p) for p in points):
        raise BodyError(f"{where}.points", f"{where}.points must be a list of integers (x1, y1, x2, y2, ...)")
    if len(points) < 6 or len(points) % 2:
        raise BodyError(f"{where}.points", f"{where}.points needs an even number of coordinates for at least 3 points")
    width, height = value["width"], value["height"]
    for i in range(0, len(points), 2):
        x, y = points[i], points[i + 1]
        if not (0 <= x <= width and 0 <= y <= height):
            raise BodyError(f"{where}.points", f"{where}.points: point ({x}, {y}) lies outside {width}x{height}")


def check_mask(value: Any, where: str) -> None:
    if not isinstance(value, dict):
        raise BodyError(where, f"{where} must be an object with areas or url")
    areas, url = value.get("areas"), value.get("url")
    if areas is None and url is None:
        raise BodyError(where, f"{where} needs areas (polygons) or url (mask image)")
    if areas is not None:
        if not isinstance(areas, list) or not areas:
            raise BodyError(f"{where}.areas", f"{where}.areas must be a non-empty list of polygons")
        for i, polygon in enumerate(areas):
            check_polygon(polygon, f"{where}.areas[{i}]")
    if url is not None:
        check_url(url, f"{where}.url")
