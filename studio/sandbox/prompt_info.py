"""What the sandbox needs to know about a prompt, and the server rules it enforces on it.

The prompt language belongs to `studio.prompt` (one source of truth for flags, models, rules,
sizes and costs). This module asks it when it is importable and otherwise falls back to a
small reader of the few flags the simulator itself needs (model, aspect, seed, draft, hd,
turbo, quality, sv, bs) so the sandbox keeps running on its own. The fallback enforces no
prompt rules: those live only in `studio.prompt.lint`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

DEFAULT_MODEL = "7"
V8_FAMILY = frozenset({"8", "8.1"})


@dataclass(frozen=True)
class PromptInfo:
    model: str = DEFAULT_MODEL
    aspect: str | None = None  # "W:H"
    seed: int | None = None
    draft: bool = False
    hd: bool = False
    turbo: bool = False
    quality: str | None = None
    sv: str | None = None
    batch: int | None = None  # video --bs

    @property
    def v8_family(self) -> bool:
        return self.model in V8_FAMILY


@dataclass(frozen=True)
class LintRejection:
    """The first error diagnostic of a prompt, shaped for an HTTP 400."""

    message: str
    flag: str | None
    code: str


def _prompt_api():
    """(lint, Params) from studio.prompt, or None while that package is absent/incomplete."""
    try:
        from studio.prompt import lint
        from studio.prompt.params import Params
    except ImportError:
        return None
    return lint, Params


def prompt_package_available() -> bool:
    return _prompt_api() is not None


# --- reading prompts -------------------------------------------------------------------

_FLAG = re.compile(r"(?<!\S)--([A-Za-z]+)(\d+(?:\.\d+)?)?(?:\s+(?!--)(\S+))?")
_MODEL_ALIASES = {"6.0": "6", "6": "6", "6.1": "6.1", "7": "7", "7.0": "7", "8": "8", "8.0": "8", "8.1": "8.1"}


def _fallback_info(text: str, default_model: str) -> PromptInfo:
    flags: dict[str, str | None] = {}
    for m in _FLAG.finditer(text):
        name, glued, value = m.group(1).lower(), m.group(2), m.group(3)
        flags[name] = glued if glued is not None else value
    model = default_model
    if "niji" in flags:
        model = "niji6"
    for key in ("v", "version"):
        if key in flags and flags[key] is not None:
            model = _MODEL_ALIASES.get(flags[key] or "", model)
    aspect = flags.get("ar") or flags.get("aspect")
    seed = _int_or_none(flags.get("seed"))
    return PromptInfo(
        model=model,
        aspect=aspect if aspect and re.fullmatch(r"\d+:\d+", aspect) else None,
        seed=seed,
        draft="draft" in flags,
        hd="hd" in flags,
        turbo="turbo" in flags,
        quality=flags.get("q") or flags.get("quality"),
        sv=flags.get("sv"),
        batch=_int_or_none(flags.get("bs")),
    )


def _int_or_none(value: object) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def read_prompt(text: str | None, default_model: str = DEFAULT_MODEL) -> PromptInfo:
    """Model, aspect and the cost/size-relevant flags of a prompt."""
    if not text:
        return PromptInfo(model=default_model)
    fallback = _fallback_info(text, default_model)
    api = _prompt_api()
    if api is None:
        return fallback
    _, Params = api
    p = Params.from_text(text, default_model=default_model)
    quality = getattr(p, "quality", None)
    sv = getattr(p, "sv", None)
    return PromptInfo(
        model=str(getattr(p, "model", None) or default_model),
        aspect=getattr(p, "aspect", None) or None,
        seed=_int_or_none(getattr(p, "seed", None)),
        draft=bool(getattr(p, "draft", False)),
        hd=bool(getattr(p, "hd", False)),
        turbo=getattr(p, "speed", None) == "turbo",
        quality=None if quality is None else _number_text(quality),
        sv=None if sv is None else _number_text(sv),
        # the video batch size is a video flag the image Params may not carry
        batch=_int_or_none(getattr(p, "bs", None)) or fallback.batch,
    )


def _number_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# --- server rules ----------------------------------------------------------------------

_FLAG_NAME = re.compile(r"--[A-Za-z][\w.]*")


def lint_rejection(
    text: str, *, model: str | None = None, video: bool = False, task: str = "diffusion"
) -> LintRejection | None:
    """The first error `studio.prompt.lint` reports, or None (also while it is absent)."""
    api = _prompt_api()
    if api is None or not text:
        return None
    lint, _ = api
    result = lint(text, model=model, video=video, task=task)
    for diag in result.diagnostics:
        if diag.severity != "error":
            continue
        start, end = diag.span
        found = _FLAG_NAME.search(text[start:end])
        flag = found.group(0) if found else None
        message = diag.message
        if flag and flag not in message:
            message = f"{flag}: {message}"
        return LintRejection(message=message, flag=flag, code=diag.code)
    return None


def prompt_cost(
    task: str, text: str | None, *, model: str | None = None, target_resolution: str | None = None
) -> int | None:
    """Credits `studio.prompt.estimate` charges for this task, or None while it is absent."""
    try:
        from studio.prompt import estimate
    except ImportError:
        return None
    opts: dict[str, object] = {}
    if model:
        opts["model"] = model
    if target_resolution:
        opts["target_resolution"] = target_resolution
    return int(estimate(task, text, **opts).credits)


# --- image size ------------------------------------------------------------------------

# Fallback long-edge bases: v6/v7/niji render ~1 MP; v8 SD the same and v8 --hd 2K;
# v8.1 is HD (2K) by default (REFERENCE.md, Model Information).
_BASE_EDGE = {"8.1": 2048}


def _fallback_image_size(model: str, aspect: str | None, hd: bool) -> tuple[int, int]:
    base = _BASE_EDGE.get(model, 2048 if (model == "8" and hd) else 1024)
    w_ratio, h_ratio = _ratio(aspect)
    scale = math.sqrt(w_ratio / h_ratio)
    width = max(64, int(round(base * scale / 8)) * 8)
    height = max(64, int(round(base / scale / 8)) * 8)
    return width, height


def _ratio(aspect: str | None) -> tuple[float, float]:
    if aspect:
        a, _, b = aspect.partition(":")
        try:
            w, h = float(a), float(b)
            if w > 0 and h > 0:
                return w, h
        except ValueError:
            pass
    return 1.0, 1.0


def image_size(model: str, aspect: str | None, hd: bool) -> tuple[int, int]:
    """Pixel size of a generated image: `studio.prompt.size.image_size` when present."""
    try:
        from studio.prompt.size import image_size as prompt_image_size
    except ImportError:
        return _fallback_image_size(model, aspect, hd)
    width, height = prompt_image_size(model, aspect, hd)
    return int(width), int(height)


def cap_size(size: tuple[int, int], cap: int | None) -> tuple[int, int]:
    """Shrink (never grow) so the long edge is at most `cap`, keeping the aspect."""
    width, height = size
    if not cap or max(width, height) <= cap:
        return width, height
    factor = cap / max(width, height)
    return max(1, round(width * factor)), max(1, round(height * factor))
