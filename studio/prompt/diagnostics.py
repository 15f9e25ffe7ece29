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
    that should replace text[start:end] ("" removes it)."""

    severity: Severity
    code: str
    message: str
    span: tuple[int, int]
    fix: str | None = None

    @property
    def start(self) -> int:
        return self.span[0]

    @property
    def end(self) -> int:
        return self.span[1]

    def to_dict(self) -> dict[str, Any]:
        return {"severity": self.severity, "code": self.code, "message": self.message,
                "start": self.span[0], "end": self.span[1], "fix": self.fix}


@dataclass(frozen=True)
class LintResult:
    text: str
    model: str
    diagnostics: list[Diagnostic]
    cost: Cost
    video: bool = False
    parsed: ParsedPrompt | None = field(default=None, repr=False, compare=False)

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
        return {"model": self.model,
                "diagnostics": [d.to_dict() for d in self.diagnostics],
                "cost": {"credits": self.cost.credits, "reasons": list(self.cost.reasons)}}


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
