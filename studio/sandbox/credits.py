"""What each task costs, and the balance response.

One source of truth: when `studio.prompt` is importable its `estimate()` prices every task
(its tables in resources/rules/costs.json come from the same docs). The table below is the
fallback that keeps the sandbox self-contained, written to agree with it:
base costs are the `meta.usage.frozen` of each endpoint's sample response in
shared/legnext-api/REFERENCE.md (80, 120, 20 or 480 points); Topaz (enhance-upscale) follows
its "Resolution Options" table. Prompt multipliers (Model Information) apply to the tasks
priced by a prompt — diffusion, reroll (its parent's prompt) and the video tasks: v8
`--hd` / `--q 4` / `--sv 6` are one premium tier, 4x; `--turbo` 2x; a video batch `--bs`
scales the 480 of the default batch of 4.
"""

from __future__ import annotations

from .prompt_info import PromptInfo, prompt_cost

BASE_COST: dict[str, int] = {
    "diffusion": 80,
    "reroll": 80,
    "blend": 80,
    "pan": 80,
    "outpaint": 80,
    "enhance": 80,
    "remove_background": 80,
    "variation": 120,
    "upscale": 120,
    "inpaint": 120,
    "remix": 120,
    "edit": 120,
    "upload_paint": 120,
    "retexture": 120,
    "describe": 20,
    "shorten": 20,
    "video_diffusion": 480,
    "extend_video": 480,
    "video_upscale": 480,
}

TOPAZ_COST: dict[str, int] = {"HD": 120, "FHD": 120, "2K": 120, "4K": 160, "6K": 200, "8K": 300, "12K": 540}
TOPAZ_DEFAULT_RESOLUTION = "2K"

DEFAULT_VIDEO_BATCH = 4

# Tasks whose prompt flags change the price (the others are flat).
PROMPT_PRICED = frozenset({"diffusion", "reroll", "video_diffusion", "extend_video"})

POINTS_PER_USD = 1000  # 80 points = $0.08 (Model Information, V8.1 cost model)


def multiplier(info: PromptInfo) -> int:
    factor = 1
    if info.model == "8" and (info.hd or info.quality == "4" or info.sv == "6"):
        factor *= 4
    if info.turbo and not info.v8_family:
        factor *= 2
    return factor


def task_cost(
    task_type: str,
    info: PromptInfo | None = None,
    *,
    prompt: str | None = None,
    model: str | None = None,
    target_resolution: str | None = None,
) -> int:
    """Credits frozen at submit. `prompt` is the text that prices the task (diffusion: its
    text; reroll: the parent's prompt; video: its prompt), `info` what it reads as."""
    priced = prompt if task_type in PROMPT_PRICED else None
    shared = prompt_cost(task_type, priced, model=model, target_resolution=target_resolution)
    if shared is not None:
        return shared
    if task_type == "enhance_upscale":
        return TOPAZ_COST[target_resolution or TOPAZ_DEFAULT_RESOLUTION]
    base = BASE_COST[task_type]
    if priced is None or info is None:
        return base
    cost = base * multiplier(info)
    if task_type in ("video_diffusion", "extend_video") and info.batch in (1, 2, 4):
        cost = cost * info.batch // DEFAULT_VIDEO_BATCH
    return cost


def balance_body(credits: int, updated_at: str, *, account_id: int = 1, alert_threshold: int = 1) -> dict:
    """GET /account/balance in the documented shape (fixtures/balance.response.json)."""
    usd = round(credits / POINTS_PER_USD, 3)
    return {
        "code": 200,
        "data": {
            "account_id": account_id,
            "balance_usd": usd,
            "available_credits": credits,
            "available_points": 0,
            "alert_threshold": alert_threshold,
            "low_balance_alert": usd < alert_threshold,
            "updated_at": updated_at,
        },
        "message": "success",
    }
