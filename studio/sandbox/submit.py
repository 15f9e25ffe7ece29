"""From a validated request body to a new sandbox job, enforcing the server-side rules.

Rules enforced here (REFERENCE.md): the parent job must exist (404) and be finished (422);
operations are valid for 3 days after the parent's creation (Output Storage); the action
must be one the parent accepts (actions.py: v8/v8.1 refuse pan/outpaint/inpaint, enhance
needs a `--v 7 --draft` parent, imageNo/videoNo within the parent's outputs); prompts must
pass `studio.prompt.lint` (first error -> 400 naming the flag).
"""

from __future__ import annotations

import uuid
from typing import Any, Callable

from urllib.parse import urlparse

from studio.api.operations import OPERATIONS
from studio.api.requests import OTHER_FILE_TYPES, TOPAZ_LONG_EDGE, url_file_type
from studio.prompt import DEFAULT_MODEL, image_size

from . import actions
from .core import RequestRefused, SandboxCore
from .credits import TOPAZ_DEFAULT_RESOLUTION, task_cost
from .jobs import COMPLETED, FAILED, SandboxJob, phases_for
from .prompt_info import PromptInfo, cap_size, lint_rejection, read_prompt, video_batch
from .render import CDN_IMAGE, VIDEO_EDGE, shorten_prompt

ACTION_WINDOW_SECONDS = 3 * 24 * 3600  # "valid for 3 days post-creation"

ENDPOINT_TASK: dict[str, str] = {op.path.removeprefix("/v1/"): op.name for op in OPERATIONS.values()}

# The available_actions key a parent-based endpoint needs, and which body field indexes it.
ENDPOINT_ACTION: dict[str, tuple[str, str | None]] = {
    "variation": ("variation", "imageNo"), "upscale": ("upscale", "imageNo"), "reroll": ("reroll", None),
    "pan": ("pan", "imageNo"), "outpaint": ("outpaint", "imageNo"), "inpaint": ("inpaint", "imageNo"),
    "remix": ("remix", "imageNo"), "edit": ("edit", "imageNo"), "enhance": ("enhance", "imageNo"),
    "video-diffusion": ("animate", "imageNo"), "extend-video": ("extend_video", "videoNo"),
    "video-upscale": ("video_upscale", "videoNo"), "enhance-upscale": ("enhance_upscale", "imageNo"),
}

IMAGE_STORAGE_SECONDS = 30 * 24 * 3600  # "stored for 30 days after creation" (Output Storage)
# Topaz output_format -> the ending its file is served with.
TOPAZ_ENDINGS = {"jpeg": "jpg", "jpg": "jpg", "png": "png", "tiff": "tiff", "tif": "tiff"}
TOPAZ_DEFAULT_FORMAT = "jpeg"  # Topaz › Common Parameters: output_format defaults to jpeg


class Draft:
    """What an endpoint's builder decides about a new job; `build_job` adds the common parts
    (id, clock, durations, cost, fault draw) and makes the SandboxJob."""

    def __init__(self, task_type: str, info: PromptInfo, *, sources: tuple[tuple[str, str], ...] = (),
                 **fields: Any) -> None:
        self.task_type = task_type
        self.info = info
        self.sources = sources  # (field, url) of the images it reads from URLs
        self.fields = fields


def build_job(core: SandboxCore, endpoint: str, body: dict[str, Any], path: str) -> SandboxJob:
    """A new (not yet registered) job for a validated body, or RequestRefused."""
    parent, index = _parent(core, endpoint, body)
    draft = BUILDERS[endpoint](core, body, parent, index)
    task_type = ENDPOINT_TASK[endpoint]
    f = draft.fields
    info = draft.info
    model = f.pop("model", info.model)
    seed = f.pop("seed", None)
    if seed is None:
        seed = info.seed if info.seed is not None else core.random_seed()
    target = None
    if task_type == "enhance_upscale":
        target = body.get("target_resolution") or TOPAZ_DEFAULT_RESOLUTION
    phases = phases_for(
        task_type,
        model=model,
        draft=f.get("draft", False),
        turbo=info.turbo,
        hd=info.hd,
        target_resolution=target,
        speed=core.speed,
        overrides=core.durations,
    )
    cost = task_cost(task_type, prompt=f.pop("priced_prompt", None), model=model, target_resolution=target)
    unreadable = next((why for field, url in draft.sources if (why := _unreadable(core, field, url))), None)
    if unreadable is not None:  # found when the server fetches it: the job fails, credits go back
        f["fail_message"] = unreadable
    return SandboxJob(
        job_id=str(uuid.uuid4()),
        task_type=task_type,
        endpoint=endpoint,
        created_at=core.clock.now(),
        phases=phases,
        model=model,
        seed=seed,
        cost=cost,
        parent_id=parent.job_id if parent else None,
        parent_index=index,
        callback=body.get("callback"),
        will_fail=unreadable is not None or core.faults.job_should_fail(path),
        **f,
    )


# --- parent rules ---------------------------------------------------------------------


def _parent(core: SandboxCore, endpoint: str, body: dict[str, Any]) -> tuple[SandboxJob | None, int | None]:
    rule = ENDPOINT_ACTION.get(endpoint)
    if rule is None or "jobId" not in body:
        return None, None
    action, index_field = rule
    job_id = body["jobId"]
    parent = core.state.job(job_id)
    if parent is None:
        raise RequestRefused(404, f"job {job_id} not found", {"field": "jobId"})
    if parent.status == FAILED:
        raise RequestRefused(422, f"job {job_id} failed; there is nothing to {action}", {"field": "jobId"})
    if parent.status != COMPLETED:
        raise RequestRefused(
            422, f"job {job_id} is still {parent.status}; wait until it is completed", {"field": "jobId"}
        )
    if core.clock.now() - parent.created_at > ACTION_WINDOW_SECONDS:
        raise RequestRefused(
            400,
            f"job {job_id} is older than 3 days: operations on generated images are valid for 3 days after creation",
            {"field": "jobId"},
        )
    index = body.get(index_field) if index_field else None
    reason = actions.refusal(parent.produced, action, index)
    if reason is not None:
        raise RequestRefused(400, reason, {"field": index_field or "jobId", "action": action})
    return parent, index


def _unreadable(core: SandboxCore, field: str, url: str) -> str | None:
    """Why the server would find no image at `url` when it fetches it, or None. The sandbox
    never goes out to the network: its own CDN's URLs are checked as its CDN would answer
    them, any other URL only by what its file ending says it is."""
    match = CDN_IMAGE.match(urlparse(url).path)
    if match is not None:
        job = core.state.job(match["job"])
        if job is None or job.status != COMPLETED or (match["index"] != "grid" and int(match["index"]) >= job.outputs):
            return f"Could not download the image at {field}: file not found (404)."
        if core.clock.now() - job.created_at > IMAGE_STORAGE_SECONDS:
            return (f"Could not download the image at {field}: it has expired (generated images are "
                    "stored for 30 days).")
        return None
    ending = url_file_type(url)
    if ending in OTHER_FILE_TYPES:
        return f"Could not read an image at {field}: the URL points at a .{ending} file, not an image."
    return None


def _lint(text: str | None, *, field: str, model: str | None = None, video: bool = False, task: str) -> None:
    if not text:
        return
    rejection = lint_rejection(text, model=model, video=video, task=task)
    if rejection is not None:
        raise RequestRefused(
            400, rejection.message, {"field": field, "flag": rejection.flag, "code": rejection.code}
        )


def _parent_info(parent: SandboxJob) -> PromptInfo:
    info = read_prompt(parent.prompt, default_model=parent.model)
    return PromptInfo(**{**info.__dict__, "model": parent.model})


def _source(parent: SandboxJob, index: int) -> dict[str, Any]:
    return {"job": parent.job_id, "index": index}


def _mask_params(mask: dict[str, Any] | None) -> dict[str, Any]:
    if not mask:
        return {}
    if mask.get("areas"):
        return {"polygons": mask["areas"]}
    return {"mask_url": mask["url"]}


# --- one builder per endpoint -----------------------------------------------------------

Builder = Callable[[SandboxCore, dict[str, Any], SandboxJob | None, int | None], Draft]


def _diffusion(core, body, parent, index) -> Draft:
    text = body["text"]
    _lint(text, field="text", task="diffusion")
    info = read_prompt(text)
    size = cap_size(image_size(info.model, info.aspect, info.hd), core.image_size_cap)
    # Draft mode exists on v7 only; v7 is the default model, so `--draft` alone counts.
    draft = info.draft and info.model == "7"
    return Draft("diffusion", info, prompt=text, params={"size": list(size)}, outputs=4, draft=draft,
                 priced_prompt=text)


def _reroll(core, body, parent, index) -> Draft:
    info = _parent_info(parent)
    seed = info.seed if info.seed is not None else core.random_seed()
    return Draft("reroll", info, prompt=parent.prompt, recipe=parent.recipe, params=dict(parent.params),
                 outputs=parent.outputs, draft=parent.draft, seed=seed, priced_prompt=parent.prompt)


def _derived(recipe: str, prompt_field: str | None = "remixPrompt", outputs: int = 4, **extra_keys: str):
    """Builder for tasks that transform one parent image (variation, pan, inpaint, ...)."""

    def build(core, body, parent, index) -> Draft:
        task = recipe
        remix = body.get(prompt_field) if prompt_field else None
        _lint(remix, field=prompt_field or "", model=parent.model, task=task)
        params = {"source": _source(parent, index)}
        for param, key in extra_keys.items():
            params[param] = body.get(key, 0)
        return Draft(task, _parent_info(parent), prompt=remix or parent.prompt, recipe=recipe, params=params,
                     outputs=outputs)

    return build


def _inpaint(core, body, parent, index) -> Draft:
    remix = body.get("remixPrompt")
    _lint(remix, field="remixPrompt", model=parent.model, task="inpaint")
    # `mask` is required (validation.py); a deprecated `area` sent with it is not what repaints.
    params = {"source": _source(parent, index), **_mask_params(body["mask"])}
    return Draft("inpaint", _parent_info(parent), prompt=remix or parent.prompt, recipe="inpaint",
                 params=params, outputs=4)


def _canvas_params(body: dict[str, Any]) -> dict[str, Any]:
    canvas, pos = body["canvas"], body["imgPos"]
    return {
        "canvas": [canvas["width"], canvas["height"]],
        "box": [pos["x"], pos["y"], pos["width"], pos["height"]],
        **_mask_params(body.get("mask")),
    }


def _edit(core, body, parent, index) -> Draft:
    remix = body["remixPrompt"]
    _lint(remix, field="remixPrompt", model=parent.model, task="edit")
    params = {"source": _source(parent, index), **_canvas_params(body)}
    return Draft("edit", _parent_info(parent), prompt=remix, recipe="edit", params=params, outputs=4)


def _upload_paint(core, body, parent, index) -> Draft:
    remix = body["remixPrompt"]
    _lint(remix, field="remixPrompt", task="upload_paint")
    params = {"source": {"url": body["imgUrl"]}, **_canvas_params(body)}
    return Draft("upload_paint", read_prompt(remix), prompt=remix, recipe="upload_paint", params=params,
                 outputs=4, sources=(("imgUrl", body["imgUrl"]),))


def _retexture(core, body, parent, index) -> Draft:
    remix = body["remixPrompt"]
    _lint(remix, field="remixPrompt", task="retexture")
    return Draft("retexture", read_prompt(remix), prompt=remix, recipe="retexture",
                 params={"source": {"url": body["imgUrl"]}}, outputs=4, sources=(("imgUrl", body["imgUrl"]),))


def _remove_background(core, body, parent, index) -> Draft:
    return Draft("remove_background", PromptInfo(), recipe="remove_background",
                 params={"source": {"url": body["imgUrl"]}}, outputs=1, sources=(("imgUrl", body["imgUrl"]),))


def _blend(core, body, parent, index) -> Draft:
    # The blend endpoint renders with V8 natively (Changelog, April 3, 2026).
    size = cap_size(image_size("8", body["aspect_ratio"], False), core.image_size_cap)
    urls = list(body["imgUrls"])
    return Draft("blend", PromptInfo(model="8"), recipe="blend", params={"urls": urls, "size": list(size)},
                 outputs=4, sources=tuple((f"imgUrls[{i}]", url) for i, url in enumerate(urls)))


def _describe(core, body, parent, index) -> Draft:
    url = body["imgUrl"]
    if _unreadable(core, "imgUrl", url):
        return Draft("describe", PromptInfo(), outputs=0, sources=(("imgUrl", url),))
    return Draft("describe", PromptInfo(), outputs=0, text_output=core.renderer.describe(url),
                 sources=(("imgUrl", url),))


def _shorten(core, body, parent, index) -> Draft:
    return Draft("shorten", PromptInfo(), outputs=0, text_output=shorten_prompt(body["prompt"]))


def _enhance_upscale(core, body, parent, index) -> Draft:
    target = body.get("target_resolution") or TOPAZ_DEFAULT_RESOLUTION
    source = _source(parent, index) if parent else {"url": body["image_url"]}
    model = parent.model if parent else DEFAULT_MODEL
    ratio = body.get("aspect_ratio", "keep")
    params = {"source": source, "long_edge": TOPAZ_LONG_EDGE[target],
              "aspect": None if ratio == "keep" else [int(n) for n in ratio.split(":")],
              "crop_mode": body.get("crop_mode", "letterbox")}
    return Draft("enhance_upscale", PromptInfo(model=model), recipe="enhance_upscale", params=params, outputs=1,
                 image_ending=TOPAZ_ENDINGS[body.get("output_format", TOPAZ_DEFAULT_FORMAT)],
                 sources=() if parent else (("image_url", body["image_url"]),))


def _video_diffusion(core, body, parent, index) -> Draft:
    prompt = body.get("prompt")
    _lint(prompt, field="prompt", video=True, task="video_diffusion")
    info = read_prompt(prompt, default_model=parent.model if parent else DEFAULT_MODEL)
    # Without a parent the prompt starts with the image to animate (validation.py).
    still: dict[str, Any] = _source(parent, index) if parent is not None else {"url": prompt.split()[0]}
    if parent is None and core.renderer.gone(still["url"]):
        raise RequestRefused(400, f"the image to animate could not be fetched: no image at {still['url']}",
                             {"field": "prompt"})
    edge = VIDEO_EDGE[body.get("videoType", 0)]
    return Draft("video_diffusion", info, prompt=prompt or (parent.prompt if parent else None), recipe="video",
                 params={"still": still, "edge": edge, **_motion(info)}, outputs=video_batch(info),
                 model=parent.model if parent else info.model, priced_prompt=prompt)


def _motion(info: PromptInfo, before: dict[str, Any] | None = None) -> dict[str, Any]:
    """How a video moves: its prompt's --motion / --loop / --end, else what it continues."""
    before = before or {}
    return {"motion": info.motion or before.get("motion"), "loop": info.loop or bool(before.get("loop")),
            "end": info.end or before.get("end")}


def _extend_video(core, body, parent, index) -> Draft:
    prompt = body.get("prompt")
    _lint(prompt, field="prompt", video=True, task="extend_video")
    info = read_prompt(prompt, default_model=parent.model)
    return Draft("extend_video", info, prompt=prompt or parent.prompt, recipe="video",
                 params={"still": parent.params["still"], "edge": parent.params["edge"],
                         **_motion(info, parent.params)},
                 outputs=video_batch(info), extensions=parent.extensions + 1, model=parent.model,
                 priced_prompt=prompt)


def _video_upscale(core, body, parent, index) -> Draft:
    return Draft("video_upscale", PromptInfo(model=parent.model), prompt=parent.prompt, recipe="video",
                 params={**parent.params, "edge": parent.params["edge"] * 2}, outputs=1,
                 extensions=parent.extensions)


BUILDERS: dict[str, Builder] = {
    "diffusion": _diffusion,
    "reroll": _reroll,
    "variation": _derived("variation", type="type"),
    "upscale": _derived("upscale", prompt_field=None, outputs=1, type="type"),
    "remix": _derived("remix", mode="mode"),
    "pan": _derived("pan", direction="direction", scale="scale"),
    "outpaint": _derived("outpaint", scale="scale"),
    "enhance": _derived("enhance", prompt_field=None, outputs=1),
    "inpaint": _inpaint,
    "edit": _edit,
    "upload-paint": _upload_paint,
    "retexture": _retexture,
    "remove-background": _remove_background,
    "blend": _blend,
    "describe": _describe,
    "shorten": _shorten,
    "video-diffusion": _video_diffusion,
    "extend-video": _extend_video,
    "video-upscale": _video_upscale,
    "enhance-upscale": _enhance_upscale,
}
