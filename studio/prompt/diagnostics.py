"""Diagnostic and LintResult: what the linter reports, and applying a diagnostic's fix."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from studio.prompt.cost import Cost
    from studio.prompt.parser import ParsedPrompt

Severity = Literal["error", "warning", "info"]
ERROR: Severity = "error"
WARNING: Severity = "warning"
INFO: Severity = "info"

_RANK = {ERROR: 0, WARNING: 1, INFO: 2}


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One finding. `span` is (start, end) into the prompt; `fix`, when not None, is the text
    that should replace text[start:end] ("" removes it). `prompts`: for a text that stands for
    several prompts ({…} sets), the indices of those it was found in, when not all of them."""

    severity: Severity
    code: str
    message: str
    span: tuple[int, int]
    fix: str | None = None
    prompts: tuple[int, ...] | None = None

    @property
    def start(self) -> int:
        return self.span[0]

    @property
    def end(self) -> int:
        return self.span[1]

    def to_dict(self) -> dict[str, Any]:
        out = {"severity": self.severity, "code": self.code, "message": self.message,
               "start": self.span[0], "end": self.span[1], "fix": self.fix}
        if self.prompts is not None:
            out["prompts"] = list(self.prompts)
        return out


@dataclass(frozen=True)
class LintResult:
    """What lint found in a text. For a text that stands for other prompts ({…} sets, presets,
    the default suffix: studio.prompt.prompt_set), `expanded` holds each of them linted on its
    own (empty when the text cannot be expanded: nothing may be sent), `diagnostics` are theirs
    shown on the typed text, and `cost` is their total. `parsed` is always the typed text's."""

    text: str
    model: str
    diagnostics: list[Diagnostic]
    cost: Cost
    video: bool = False
    parsed: ParsedPrompt | None = field(default=None, repr=False, compare=False)
    expanded: tuple[LintResult, ...] | None = field(default=None, repr=False)
    marks: tuple[int, ...] = field(default=(), repr=False, compare=False)  # {, } and , of sets

    @property
    def prompts(self) -> tuple[LintResult, ...]:
        """The prompts Generate sends: the text itself, or what it expands to."""
        return (self,) if self.expanded is None else self.expanded

    @property
    def models(self) -> tuple[str, ...]:
        """The models of the prompts, each once, in order."""
        return tuple(dict.fromkeys(p.model for p in self.prompts)) or (self.model,)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == ERROR]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == WARNING]

    @property
    def ok(self) -> bool:
        return not any(d.severity == ERROR for d in self.diagnostics)

    @property
    def first_error(self) -> Diagnostic | None:
        for d in self.diagnostics:
            if d.severity == ERROR:
                return d
        return None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "model": self.model,
            "prompts": [p.text for p in self.prompts],
            "diagnostics": [d.to_dict() for d in self.diagnostics],
            "cost": {"credits": self.cost.credits, "reasons": list(self.cost.reasons)}}
        if self.expanded is not None:
            out["expanded"] = [{"text": p.text, "model": p.model,
                                "cost": {"credits": p.cost.credits, "reasons": list(p.cost.reasons)},
                                "diagnostics": [d.to_dict() for d in p.diagnostics]}
                               for p in self.expanded]
        return out


def sort_key(d: Diagnostic) -> tuple[int, int, int]:
    return (d.span[0], _RANK.get(d.severity, 3), d.span[1])


def apply_fix(text: str, diagnostic: Diagnostic) -> str:
    """Apply a diagnostic's fix. A removal also drops one now-redundant adjacent space, so
    fixing `a --q 2 --ar 1:1` gives `a --ar 1:1`, not `a  --ar 1:1`."""
    if diagnostic.fix is None:
        return text
    start, end = diagnostic.span
    start = max(0, min(start, len(text)))
    end = max(start, min(end, len(text)))
    if diagnostic.fix == "":
        if start > 0 and text[start - 1] == " " and (end == len(text) or text[end] == " "):
            start -= 1
        elif start == 0 and end < len(text) and text[end] == " ":
            end += 1
    return text[:start] + diagnostic.fix + text[end:]
