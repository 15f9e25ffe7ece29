"""Every operation of the Legnext API, once, as data: the client, the watcher, the sandbox,
the session and the UI read this table instead of keeping lists of their own.

Facts from REFERENCE.md (paths, what each returns); `typical_duration` is the studio's prior
for polling until it has seen jobs of that kind end (fast mode: grids well under a minute, text
tasks a few seconds, video a few minutes); `cost_key` names the entry in
resources/rules/costs.json that prices it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any


class Output(str, enum.Enum):
    IMAGES = "images"  # image URLs (a grid of four, or one for single-image operations)
    VIDEO = "video"
    TEXT = "text"      # prompts (describe, shorten)


@dataclass(frozen=True)
class Operation:
    name: str                 # the client method and the task_type the server reports
    path: str                 # under the base URL
    label: str                # "Upload paint"
    output: Output
    typical_duration: float   # seconds
    single: bool = False      # one output, not a grid of four
    needs_parent: bool = False  # acts on an image (or video) of an earlier job
    # How many times in a row it may act on what it made (Extend Video: at most 4), and the
    # seconds each time adds (4); 0 where the docs set no such limit.
    max_in_chain: int = 0
    adds_seconds: float = 0.0

    @property
    def cost_key(self) -> str:
        return self.name


def _op(name: str, label: str, output: Output, duration: float, **flags: Any) -> Operation:
    return Operation(name, "/v1/" + name.replace("_", "-"), label, output, duration, **flags)


_I, _V, _T = Output.IMAGES, Output.VIDEO, Output.TEXT

OPERATIONS: dict[str, Operation] = {op.name: op for op in (
    _op("diffusion", "Imagine", _I, 40.0),
    _op("variation", "Vary", _I, 40.0, needs_parent=True),
    _op("upscale", "Upscale", _I, 20.0, single=True, needs_parent=True),
    _op("reroll", "Reroll", _I, 40.0, needs_parent=True),
    _op("blend", "Blend", _I, 40.0),
    _op("describe", "Describe", _T, 8.0),
    _op("shorten", "Shorten", _T, 8.0),
    _op("pan", "Pan", _I, 40.0, needs_parent=True),
    _op("outpaint", "Zoom out", _I, 40.0, needs_parent=True),
    _op("inpaint", "Repaint", _I, 40.0, needs_parent=True),
    _op("remix", "Remix", _I, 40.0, needs_parent=True),
    _op("edit", "Edit", _I, 40.0, needs_parent=True),
    _op("upload_paint", "Upload paint", _I, 40.0),
    _op("retexture", "Retexture", _I, 40.0),
    _op("remove_background", "Remove background", _I, 15.0, single=True),
    _op("enhance", "Enhance", _I, 30.0, single=True, needs_parent=True),
    _op("video_diffusion", "Animate", _V, 120.0),
    # "Each extension adds 4 seconds ..., with a maximum of 4 extensions" (Extend Video).
    _op("extend_video", "Extend video", _V, 120.0, needs_parent=True, max_in_chain=4, adds_seconds=4.0),
    _op("video_upscale", "Upscale video", _V, 90.0, single=True, needs_parent=True),
    _op("enhance_upscale", "Topaz upscale", _I, 30.0, single=True),
)}


def operation(name: str) -> Operation:
    """The operation called `name` ("upload_paint" or "upload-paint")."""
    key = str(name).strip().lower().replace("-", "_")
    try:
        return OPERATIONS[key]
    except KeyError:
        raise KeyError(f"unknown operation {name!r}; known: {', '.join(OPERATIONS)}") from None


def names(*, output: Output | None = None, single: bool | None = None) -> frozenset[str]:
    """Names of the operations with this output kind and/or single-ness."""
    return frozenset(op.name for op in OPERATIONS.values()
                     if (output is None or op.output == output) and (single is None or op.single == single))
