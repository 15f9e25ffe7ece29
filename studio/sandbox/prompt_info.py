"""What the sandbox needs to know about a prompt, and the server rules it enforces on it.

The prompt language belongs to `studio.prompt` (one source of truth for flags, models, rules,
sizes and costs); this module only reshapes its answers for the simulator: `Params` for the
few flags that change a job (model, aspect, seed, draft, hd, turbo, video batch) and `lint`
for the first error, which the server turns into an HTTP 400.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from studio.prompt import DEFAULT_MODEL, Params, lint
from studio.prompt.rules import load_rules


@dataclass(frozen=True)
class PromptInfo:
    model: str = DEFAULT_MODEL
    aspect: str | None = None  # "W:H"
    seed: int | None = None
    draft: bool = False
    hd: bool = False
    turbo: bool = False
    batch: int | None = None  # video --bs
    motion: str | None = None  # video --motion low | high
    loop: bool = False  # video --loop
    end: str | None = None  # video --end URL


@dataclass(frozen=True)
class LintRejection:
    """The first error diagnostic of a prompt, shaped for an HTTP 400."""

    message: str
    flag: str | None
    code: str


# --- reading prompts -------------------------------------------------------------------


def _int_or_none(value: object) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def read_prompt(text: str | None, default_model: str = DEFAULT_MODEL) -> PromptInfo:
    """Model, aspect and the size/duration-relevant flags of a prompt."""
    if not text:
        return PromptInfo(model=default_model)
    p = Params.from_text(text, default_model=default_model)
    return PromptInfo(
        model=p.model or default_model,
        aspect=p.aspect or None,
        seed=_int_or_none(p.seed),
        draft=p.draft,
        hd=p.hd,
        turbo=p.speed == "turbo",
        batch=_int_or_none(p.bs),
        motion=str(p.motion).lower() if p.motion else None,
        loop=p.loop,
        end=p.end or None,
    )


def video_batch(info: PromptInfo) -> int:
    """Videos a video task renders: its `--bs` when the video table allows it, else the
    table's default batch (rules/video.json `batch`)."""
    table = load_rules().tables["video"]
    rule = table.batch or {"flag": "bs", "default": 4}
    allowed = table.flags.get(rule["flag"])
    if info.batch is not None and (allowed is None or allowed.set is None or info.batch in allowed.set):
        return info.batch
    return int(rule["default"])


# --- server rules ----------------------------------------------------------------------

_FLAG_NAME = re.compile(r"--[A-Za-z][\w.]*")


def lint_rejection(
    text: str, *, model: str | None = None, video: bool = False, task: str = "diffusion"
) -> LintRejection | None:
    """The first error `studio.prompt.lint` reports, or None: a value outside a documented
    range or set is one (`--bs 3`, `--motion medium`; where the docs contradict each other the
    rule files say which reading they take, e.g. `--motion` low | high over Image Parameters'
    older 1-4)."""
    if not text:
        return None
    result = lint(text, model=model, video=video, task=task)
    for diag in result.diagnostics:
        if diag.severity != "error":
            continue
        start, end = diag.span
        found = _FLAG_NAME.search(text[start:end])
        flag = found.group(0) if found else None
        if flag is None and (named := _flag_at(result, diag)) is not None:
            flag = named.spelling
        message = diag.message
        if flag and flag not in message:
            message = f"{flag}: {message}"
        return LintRejection(message=message, flag=flag, code=diag.code)
    return None


def _flag_at(result, diag):  # noqa: ANN001, ANN202 - a LintResult, its Diagnostic, a Flag
    """The flag whose value the diagnostic points at, if any."""
    return next((f for f in result.parsed.flags if (f.value_start, f.value_end) == tuple(diag.span)), None)


# --- image size ------------------------------------------------------------------------


def cap_size(size: tuple[int, int], cap: int | None) -> tuple[int, int]:
    """Shrink (never grow) so the long edge is at most `cap`, keeping the aspect."""
    width, height = size
    if not cap or max(width, height) <= cap:
        return width, height
    factor = cap / max(width, height)
    return max(1, round(width * factor)), max(1, round(height * factor))
