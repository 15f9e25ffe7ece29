"""The prompt language: tokenizer with spans, per-model rules (resources/rules/*.json),
diagnostics, credit costs, and two-way editing of parameters. Pure Python, no Qt.

    from studio.prompt import lint, parse, LintResult, Diagnostic, Cost, MODELS

`lint` checks one prompt as the server reads it; `lint_set` checks what a typed text stands for
({a, b} sets expanded, presets and the default suffix written out), as Generate sends it.
"""

from __future__ import annotations

from studio.prompt.cost import Cost, estimate
from studio.prompt.diagnostics import Diagnostic, LintResult, apply_fix
from studio.prompt.params import Params, set_param
from studio.prompt.parser import ParsedPrompt, parse
from studio.prompt.prompt_set import lint_set
from studio.prompt.rules import ModelInfo, load_rules, normalize_model
from studio.prompt.size import image_size
from studio.prompt.tokens import Flag, Segment, Token
from studio.prompt.validate import lint

MODELS: list[ModelInfo] = list(load_rules().models)
DEFAULT_MODEL: str = load_rules().default_model

__all__ = [
    "Cost", "DEFAULT_MODEL", "Diagnostic", "Flag", "LintResult", "MODELS", "ModelInfo", "Params",
    "ParsedPrompt", "Segment", "Token", "apply_fix", "estimate", "image_size", "lint",
    "lint_set", "normalize_model", "parse", "set_param",
]
