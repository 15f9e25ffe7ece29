"""Credit estimates per task type and prompt, each multiplier with the reason the UI shows.

Base credits come from the frozen credits in the endpoint samples (rules/costs.json); prompt
multipliers from the `cost` entries of the model tables (v8 premium ×4, turbo ×2, oref ×2 GPU).
Choices where the docs are vague are written in the tables: the v8 premium features form one
tier and do not stack; the 480-credit video sample is the default batch of 4.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from studio.prompt.parser import ParsedPrompt, parse
from studio.prompt.rules import OK, ModelTable, Rules, load_rules, normalize_model


@dataclass(frozen=True)
class Cost:
    credits: int
    reasons: list[str] = field(default_factory=list)
    multiplier: float = 1.0


def canonical_task(task: str, rules: Rules | None = None) -> str:
    rules = rules or load_rules()
    key = (task or "diffusion").strip().lower()
    key = rules.costs["aliases"].get(key, key).replace("-", "_")
    if key not in rules.costs["tasks"]:
        known = ", ".join(sorted(rules.costs["tasks"]))
        raise ValueError(f"no cost known for task {task!r}; known tasks: {known}")
    return key


def is_video_task(task: str, rules: Rules | None = None) -> bool:
    rules = rules or load_rules()
    try:
        key = canonical_task(task, rules)
    except ValueError:
        return False
    return rules.costs["tasks"][key].get("prompt") == "video"


def _num(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def prompt_multiplier(parsed: ParsedPrompt, table: ModelTable) -> tuple[float, list[str]]:
    """Multiplier a prompt's flags put on its task's base credits, with one reason each.
    Only flags the model accepts count: a rejected flag means no job, not a dearer one."""
    if table.flat_cost:
        return 1.0, [table.flat_cost["reason"]]
    groups: dict[str, tuple[float, str]] = {}
    for f in parsed.flags:
        rule = table.flags.get(f.name)
        if rule is None or rule.status != OK or not rule.cost:
            continue
        c: dict[str, Any] = rule.cost
        values = c.get("values")
        if values is not None:
            v = _num(f.value)
            if v is None or v not in values:
                continue
        g = c.get("group", f.name)
        if g not in groups or c["x"] > groups[g][0]:
            groups[g] = (float(c["x"]), c["reason"])
    mult = 1.0
    reasons: list[str] = []
    for x, reason in groups.values():
        mult *= x
        reasons.append(reason)
    return mult, reasons


def _video_batch(parsed: ParsedPrompt, table: ModelTable, batch_size: int | None) -> tuple[float, str]:
    batch = table.batch or {"flag": "bs", "default": 4}
    default = int(batch["default"])
    allowed = table.flags.get(batch["flag"])
    size: int | None = batch_size
    if size is None:
        f = parsed.last(batch["flag"])
        v = _num(f.value if f else None)
        if v is not None and (allowed is None or allowed.set is None or v in allowed.set):
            size = int(v)
    if size is None or size <= 0:
        return 1.0, f"batch of {default} videos (default)"
    return size / default, f"×{_fmt(size / default)} --bs {size} ({size} of the default {default} videos)"


def cost_of(parsed: ParsedPrompt | None, task: str = "diffusion", *, video: bool = False,
            batch_size: int | None = None, target_resolution: str | None = None,
            rules: Rules | None = None) -> Cost:
    """Cost for an already parsed prompt (lint uses this to avoid parsing twice)."""
    rules = rules or load_rules()
    key = canonical_task(task, rules)
    entry = rules.costs["tasks"][key]
    if entry.get("by_resolution"):
        table = rules.costs["topaz_resolutions"]
        res = (target_resolution or rules.costs["topaz_default"]).strip().upper()
        if res not in table:
            res = rules.costs["topaz_default"]
        credits = int(table[res])
        return Cost(credits, [f"{key}: {credits} credits at {res}"])
    base = int(entry["credits"])
    reasons = [f"{key}: {base} credits"]
    mult = 1.0
    kind = entry.get("prompt")
    if parsed is not None and (kind or video):
        if kind == "video" or video:
            vtable = rules.tables["video"]
            m, why = _video_batch(parsed, vtable, batch_size)
            mult *= m
            reasons.append(why)
            m2, more = prompt_multiplier(parsed, vtable)
            mult *= m2
            reasons.extend(more)
        else:
            m, more = prompt_multiplier(parsed, rules.tables[parsed.model])
            mult *= m
            reasons.extend(more)
    elif kind == "video":
        m, why = _video_batch(parse("", rules=rules), rules.tables["video"], batch_size)
        mult *= m
        reasons.append(why)
    credits = int(round(base * mult))
    return Cost(credits, reasons, mult)


def estimate(task: str = "diffusion", text: str | None = None, **opts: Any) -> Cost:
    """Credits a task will freeze, with reasons.

    `task` is a client method name ("diffusion", "variation", "upscale", "video_diffusion",
    "enhance_upscale", ...; "video" and "topaz" are accepted too). `text` is the prompt for
    prompt-driven tasks. Options: `model` (default model when the prompt names none),
    `video` (treat text as a video prompt), `batch_size` (video), `target_resolution`
    (Topaz: HD, FHD, 2K, 4K, 6K, 8K, 12K). Raises ValueError for an unknown task.
    """
    rules = load_rules()
    parsed = None
    if text is not None:
        default = normalize_model(opts.get("model")) or rules.default_model
        parsed = parse(text, default, rules)
    return cost_of(parsed, task, video=bool(opts.get("video", False)),
                   batch_size=opts.get("batch_size"),
                   target_resolution=opts.get("target_resolution"), rules=rules)
