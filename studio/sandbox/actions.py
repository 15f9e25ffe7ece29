"""Which follow-up actions a finished job offers, and which the server accepts — as data.

Sources (shared/legnext-api/REFERENCE.md):
- Get Task sample / fixtures/job.completed.json: a v7 diffusion grid offers
  upscale, variation, remix, pan, outpaint, inpaint, edit on [0,1,2,3] and "reroll": true.
- Model Information, Feature Support tables: v8 and v8.1 offer Variation, Reroll, Remix and
  Animate; Upscale is "not needed (native 2K)"; "Inpaint / Outpaint / Pan: Not available".
  Edit is not listed for v8/v8.1, so it is not offered there (the safer reading).
- Important Information: enhance needs a parent made with `--v 7 --draft`.
- Changelog (April 3, 2026): the blend endpoint renders with V8 natively, so blend grids
  follow the v8 row.
- Video Diffusion: a generated image (any of 0-3) can be animated; Extend Video: at most
  4 extensions per video; Video Upscale works per video number.

Names: the image keys copy the fixture; the others use the vendor's feature name
("animate", image to video) and the task type ("enhance", "extend_video",
"video_upscale"). The docs never show those keys, so clients should treat them as hints.

Accepted ⊇ offered: the server also takes documented requests that the sample
available_actions does not list — video-diffusion on any image of a finished image job
(its imageNo is documented as 0-3 on grids) and Topaz enhance-upscale of any image. Actions
that a model cannot do are refused with a reason naming the rule.
"""

from __future__ import annotations

from dataclasses import dataclass

from studio.api.operations import operation

ALL = "all"  # every output index of the parent

# What a finished job produced, by task type.
GRID = "grid"  # four images
SINGLE = "single"  # one image that can be worked on further
PLAIN = "plain"  # one finished image (cut-out, Topaz result)
TEXT = "text"  # describe / shorten
VIDEO = "video"  # videos that can be extended / upscaled
VIDEO_FINAL = "video_final"  # upscaled videos

RESULT_KIND: dict[str, str] = {
    "diffusion": GRID,
    "reroll": GRID,
    "variation": GRID,
    "remix": GRID,
    "blend": GRID,
    "pan": GRID,
    "outpaint": GRID,
    "inpaint": GRID,
    "edit": GRID,
    "upload_paint": GRID,
    "retexture": GRID,
    "upscale": SINGLE,
    "enhance": SINGLE,
    "remove_background": PLAIN,
    "enhance_upscale": PLAIN,
    "describe": TEXT,
    "shorten": TEXT,
    "video_diffusion": VIDEO,
    "extend_video": VIDEO,
    "video_upscale": VIDEO_FINAL,
}

# (result kind, model family) -> offered actions. Family "v7" covers 6, 6.1, 7 and niji 6.
OFFERED: dict[tuple[str, str], dict[str, object]] = {
    (GRID, "v7"): {
        "edit": ALL, "inpaint": ALL, "outpaint": ALL, "pan": ALL,
        "remix": ALL, "reroll": True, "upscale": ALL, "variation": ALL,
    },
    (GRID, "v8"): {"animate": ALL, "remix": ALL, "reroll": True, "variation": ALL},
    (SINGLE, "v7"): {
        "animate": ALL, "edit": ALL, "inpaint": ALL, "outpaint": ALL,
        "pan": ALL, "remix": ALL, "variation": ALL,
    },
    (SINGLE, "v8"): {"animate": ALL, "remix": ALL, "variation": ALL},
    (VIDEO, "v7"): {"extend_video": ALL, "video_upscale": ALL},
    (VIDEO, "v8"): {"extend_video": ALL, "video_upscale": ALL},
}

# Extra offers for a v7 `--draft` grid (enhance turns a draft into a full render).
DRAFT_EXTRA: dict[str, object] = {"enhance": ALL}

# Documented requests accepted beyond what available_actions lists: action -> result kinds.
ACCEPTED_EXTRA: dict[str, frozenset[str]] = {
    "animate": frozenset({GRID, SINGLE}),
    "enhance_upscale": frozenset({GRID, SINGLE, PLAIN}),
}

MAX_VIDEO_EXTENSIONS = operation("extend_video").max_in_chain  # 4 (Extend Video)

# Why an action is refused, when a documented rule explains it (else a generic message).
REFUSAL_REASONS: dict[tuple[str, str], str] = {
    ("v8", "pan"): "pan is not available for v8/v8.1 images (Inpaint / Outpaint / Pan: not available)",
    ("v8", "outpaint"): "outpaint is not available for v8/v8.1 images (Inpaint / Outpaint / Pan: not available)",
    ("v8", "inpaint"): "inpaint is not available for v8/v8.1 images (Inpaint / Outpaint / Pan: not available)",
    ("v8", "upscale"): "upscale is not available for v8/v8.1 images: they are natively 2K",
    ("v8", "edit"): "edit is not offered for v8/v8.1 images",
    ("v7", "enhance"): "enhance requires a parent job created in draft mode with --v 7 --draft",
    ("v8", "enhance"): "enhance requires a parent job created in draft mode with --v 7 --draft",
}


def family(model: str) -> str:
    return "v8" if model in ("8", "8.1") else "v7"


@dataclass(frozen=True)
class Produced:
    """The facts about a finished job that decide its actions."""

    task_type: str
    model: str
    outputs: int
    draft: bool = False
    extensions: int = 0


def available_actions(job: Produced) -> dict[str, list[int] | bool]:
    """The `output.available_actions` object of a completed job."""
    kind = RESULT_KIND.get(job.task_type)
    table = dict(OFFERED.get((kind, family(job.model)), {}))
    if kind == GRID and job.draft and job.model == "7":
        table.update(DRAFT_EXTRA)
    if kind == VIDEO and job.extensions >= MAX_VIDEO_EXTENSIONS:
        table.pop("extend_video", None)
    actions: dict[str, list[int] | bool] = {}
    for name in sorted(table):
        value = table[name]
        actions[name] = list(range(job.outputs)) if value == ALL else bool(value)
    return actions


def refusal(job: Produced, action: str, index: int | None) -> str | None:
    """None if `action` on output `index` of `job` is accepted, else the reason."""
    kind = RESULT_KIND.get(job.task_type)
    offered = available_actions(job)
    if action in offered:
        value = offered[action]
        if isinstance(value, bool):
            return None if value else f"{action} is not available for this job"
        if index is None or index in value:
            return None
        return f"{action} is not available for output {index}: this {job.task_type} job has {job.outputs} output(s)"
    if action in ACCEPTED_EXTRA and kind in ACCEPTED_EXTRA[action]:
        if index is None or 0 <= index < job.outputs:
            return None
        return f"{action} is not available for output {index}: this {job.task_type} job has {job.outputs} output(s)"
    if action == "extend_video" and kind == VIDEO:
        return f"this video was already extended {MAX_VIDEO_EXTENSIONS} times (the maximum)"
    reason = REFUSAL_REASONS.get((family(job.model), action))
    if reason is not None:
        return reason
    return f"{action} is not available for a {job.task_type} job"
