"""What each task costs, and the balance response.

Every price comes from `studio.prompt.estimate`, whose tables (resources/rules/costs.json and
the model tables' `cost` entries) are written from shared/legnext-api/REFERENCE.md: base
credits are each endpoint's sample `meta.usage.frozen`, Topaz follows its "Resolution
Options" table, and prompt flags (v8 premium tier, --turbo, video --bs) scale the tasks that
costs.json marks as prompt-priced. The sandbox keeps no price table of its own.
"""

from __future__ import annotations

from studio.prompt import estimate
from studio.prompt.rules import load_rules

# Topaz target when a request names none (costs.json `topaz_default`).
TOPAZ_DEFAULT_RESOLUTION: str = load_rules().costs["topaz_default"]

POINTS_PER_USD = 1000  # 80 points = $0.08 (Model Information, V8.1 cost model)


def task_cost(
    task_type: str,
    *,
    prompt: str | None = None,
    model: str | None = None,
    target_resolution: str | None = None,
) -> int:
    """Credits frozen at submit. `prompt` is the text that prices the task (diffusion: its
    text; reroll: the parent's prompt; video: its prompt), read with `model` as the default
    model; tasks costs.json does not mark as prompt-priced ignore it."""
    opts: dict[str, object] = {}
    if model:
        opts["model"] = model
    if target_resolution:
        opts["target_resolution"] = target_resolution
    return int(estimate(task_type, prompt, **opts).credits)


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
