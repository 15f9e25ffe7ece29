"""Pixel size a model renders for an aspect ratio (the sandbox draws images this size).

Choice (the docs give no pixel table): sizes are area-preserving around a square base —
1024×1024 for v6, v6.1, v7, niji 6 and v8 without --hd; 2048×2048 ("native 2K") for v8 --hd
and for v8.1, which renders HD by default. Each side is rounded to a multiple of 16, as
Midjourney's own sizes are. The bases live in the model tables (`render` in rules/*.json).
"""

from __future__ import annotations

import math
import re

from studio.prompt.rules import load_rules, normalize_model

_ASPECT = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*[:xX]\s*([0-9]+(?:\.[0-9]+)?)\s*$")
_MAX_SIDE_RATIO = 64.0  # keeps absurd ratios from producing zero-height images


def parse_aspect(aspect: str | None) -> tuple[float, float]:
    """"16:9" -> (16.0, 9.0); None or anything unreadable -> (1.0, 1.0) (the docs' default)."""
    if not aspect:
        return 1.0, 1.0
    m = _ASPECT.match(str(aspect))
    if not m:
        return 1.0, 1.0
    w, h = float(m.group(1)), float(m.group(2))
    if w <= 0 or h <= 0:
        return 1.0, 1.0
    r = min(max(w / h, 1 / _MAX_SIDE_RATIO), _MAX_SIDE_RATIO)
    return r, 1.0


def _round(x: float, step: int) -> int:
    return max(step, int(round(x / step)) * step)


def image_size(model: str | None, aspect: str | None, hd: bool = False) -> tuple[int, int]:
    """(width, height) in pixels for `model` ("7", "v8.1", "niji 6", ...; None = v7),
    `aspect` "W:H" or None (1:1), and `hd` (the `--hd` flag; only v8 changes with it)."""
    rules = load_rules()
    mid = normalize_model(model) or rules.default_model
    render = rules.tables[mid].render
    side = render.get("area") or 1024
    if hd and render.get("hd_area"):
        side = render["hd_area"]
    step = int(render.get("round_to") or 16)
    rw, rh = parse_aspect(aspect)
    ratio = rw / rh
    w = side * math.sqrt(ratio)
    h = side / math.sqrt(ratio)
    return _round(w, step), _round(h, step)
