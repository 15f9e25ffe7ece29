"""lint_set(): the prompts one typed text stands for, each checked against its own model.

The typed text may hold `{a, b}` sets (studio.prompt.permute), `--name` presets and, through the
preset book, a default suffix (studio.prompt.presets). Each expanded prompt is linted on its own
(`lint`, the server's view: sets and presets are never sent); its findings are carried back onto
the typed text through the expansion's source map, so a squiggle sits where the user typed the
cause. A finding in some of the prompts only says which ("Prompt 2 of 4: ..."); a fix is kept
only where it maps exactly onto the typed text (a value inside a set option is fixed there; a
rule broken by a preset's parameters is shown on its `--name` without a fix). The cost is the
total of every prompt. Pure Python, no Qt.
"""

from __future__ import annotations

from studio.prompt.cost import Cost
from studio.prompt.diagnostics import ERROR, WARNING, Diagnostic, LintResult, sort_key
from studio.prompt.parser import parse
from studio.prompt.permute import SourceMap, Variant, expand
from studio.prompt.presets import SUFFIX_ORIGIN, PresetBook, apply_presets, model_mismatch
from studio.prompt.rules import load_rules, normalize_model
from studio.prompt.validate import lint

_SERVER_BRACES = "permutation-unsupported"  # lint's code for braces the server would refuse


def _which(indices: list[int], total: int) -> str:
    """"Prompt 2 of 4" / "Prompts 1–3, 5 of 8" (1-based, runs compressed)."""
    shown = [i + 1 for i in indices]
    parts: list[str] = []
    start = prev = shown[0]
    for n in shown[1:] + [None]:  # type: ignore[list-item]
        if n is not None and n == prev + 1:
            prev = n
            continue
        parts.append(str(start) if start == prev else f"{start}–{prev}" if prev > start + 1
                     else f"{start}, {prev}")
        if n is not None:
            start = prev = n
    word = "Prompt" if len(shown) == 1 else "Prompts"
    return f"{word} {', '.join(parts)} of {total}"


def _origin_prefix(origin: str) -> str:
    if not origin:
        return ""
    if origin == SUFFIX_ORIGIN:
        return "In the default suffix: "
    return f"In preset `{origin}`: "


def _total_cost(results: list[LintResult]) -> Cost:
    if not results:
        return Cost(0, ["nothing to send"], 0.0)
    if len(results) == 1:
        return results[0].cost
    credits = [r.cost.credits for r in results]
    total = sum(credits)
    if len(set(credits)) == 1:
        head = f"{len(results)} prompts × {credits[0]} credits"
    else:
        head = f"{len(results)} prompts: " + " + ".join(str(c) for c in credits) + " credits"
    reasons = [head]
    for r in results:
        for reason in r.cost.reasons:
            if reason not in reasons:
                reasons.append(reason)
    return Cost(total, reasons, sum(r.cost.multiplier for r in results))


def lint_set(text: str, model: str | None = None, video: bool = False, task: str = "diffusion",
             presets: PresetBook | None = None) -> LintResult:
    """Lint what `text` stands for (see the module doc). `prompts` of the result are the
    prompts to send (none when the text cannot be expanded); `ok` is False when any of them
    has an error or the expansion itself has one."""
    rules = load_rules()
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    default = normalize_model(model) or rules.default_model
    names = presets.names if presets is not None else frozenset()
    expansion = expand(text)
    failed = bool(expansion.problems)
    variants = (Variant(text, SourceMap.identity(len(text))),) if failed else expansion.variants

    results: list[LintResult] = []
    maps: list[SourceMap] = []
    found: dict[tuple, list[int]] = {}

    def note(index: int, d: Diagnostic) -> None:
        key = (d.severity, d.code, d.message, d.span, d.fix)
        found.setdefault(key, [])
        if index not in found[key]:
            found[key].append(index)

    for i, variant in enumerate(variants):
        applied = apply_presets(variant.text, presets, rules)
        mapping = variant.map.then(applied.map)
        maps.append(mapping)
        result = lint(applied.text, model=default, video=video, task=task)
        results.append(result)
        for d in result.diagnostics:
            if failed and d.code == _SERVER_BRACES:
                continue  # the expansion's own problems say what is wrong with the braces
            a, b, exact, origin = mapping.to_source(*d.span)
            note(i, Diagnostic(d.severity, d.code, _origin_prefix(origin) + d.message, (a, b),
                               d.fix if exact and not origin else None))
        for problem in applied.problems:
            a, b, _exact, _origin = variant.map.to_source(*problem.span)
            note(i, Diagnostic(ERROR, problem.code, problem.message, (a, b), None))
        for used in applied.used:
            preset = presets.get(used.name) if presets is not None else None
            why = model_mismatch(preset, result.model) if preset is not None else None
            if why:
                a, b, _exact, _origin = variant.map.to_source(*used.span)
                note(i, Diagnostic(WARNING, "preset-model", why, (a, b), None))

    parsed = parse(text, default, rules, names)
    unchanged = (not failed and not expansion.has_sets and len(results) == 1
                 and results[0].text == text)
    if unchanged:
        only = results[0]
        return LintResult(text=text, model=only.model, diagnostics=only.diagnostics, cost=only.cost,
                          video=only.video, parsed=parsed)

    total = len(variants)
    diagnostics: list[Diagnostic] = []
    for (severity, code, message, span, fix), indices in found.items():
        if fix is not None and total > 1 and len(indices) < total:
            # Text typed once for several prompts: fixing it for some would change the others.
            holding = [i for i, m in enumerate(maps) if m.covers(*span)]
            if holding != sorted(indices):
                fix = None
        if total > 1 and len(indices) < total:
            diagnostics.append(Diagnostic(severity, code, f"{_which(sorted(indices), total)}: {message}",
                                          span, fix, tuple(sorted(indices))))
        else:
            diagnostics.append(Diagnostic(severity, code, message, span, fix))
    for problem in expansion.problems:
        diagnostics.append(Diagnostic(ERROR, problem.code, problem.message, problem.span, problem.fix))
    diagnostics.sort(key=sort_key)
    sent = () if failed else tuple(results)
    return LintResult(text=text, model=results[0].model if results else parsed.model,
                      diagnostics=diagnostics, cost=_total_cost(list(sent)) if sent else results[0].cost,
                      video=bool(results[0].video) if results else video, parsed=parsed,
                      expanded=sent, marks=expansion.marks)


__all__ = ["lint_set"]
