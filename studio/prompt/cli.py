"""`legnext-studio lint "PROMPT" [--model v8.1] [--video] [--no-presets] [--json]`.

Checks what the prompt stands for, as Generate would send it: its `{a, b}` sets expanded, its
`--preset`s and the default suffix written out (the user's presets file, unless --no-presets),
each prompt against its own model. Prints the prompts, the diagnostics and the total cost; exit
status 1 when there is an error, 0 otherwise (2 for bad command-line usage). `--json` prints
one object:
{"model": ..., "prompts": ["...", ...], "diagnostics": [{"severity", "code", "message", "start",
 "end", "fix"[, "prompts": [i, ...]]}, ...], "cost": {"credits": <total>, "reasons": [...]}
 [, "expanded": [{"text", "model", "cost", "diagnostics"}, ...]]}
with start/end as character offsets into the typed prompt; a diagnostic found in only some of
the prompts lists their indices; "expanded" (when the text stands for other prompts) gives each
prompt's own findings, offsets into that prompt.
`studio/__main__.py` delegates `legnext-studio lint ...` here; `python -m studio.prompt.cli`
works too. A prompt of "-" is read from standard input.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TextIO

from studio.prompt.prompt_set import lint_set
from studio.prompt.rules import load_rules, normalize_model


def _parser() -> argparse.ArgumentParser:
    names = ", ".join(m.label for m in load_rules().models)
    p = argparse.ArgumentParser(
        prog="legnext-studio lint",
        description="Check a Midjourney prompt against the rules of the model it targets.")
    p.add_argument("prompt", help='the prompt text (quote it); "-" reads standard input')
    p.add_argument("--model", default=None,
                   help=f"model when the prompt names none (default v7): {names}")
    p.add_argument("--video", action="store_true", help="check it as a video prompt")
    p.add_argument("--no-presets", action="store_true", dest="no_presets",
                   help="ignore the saved presets and default suffix")
    p.add_argument("--json", action="store_true", dest="as_json", help="print one JSON object")
    return p


def _write(stream: TextIO, text: str) -> None:
    try:
        stream.write(text)
    except UnicodeEncodeError:
        enc = getattr(stream, "encoding", None) or "ascii"
        stream.write(text.encode(enc, "backslashreplace").decode(enc, "replace"))


def _split_prompt(argv: list[str]) -> list[str]:
    """argparse would read a prompt such as `--tile` as an option; everything that is not one
    of our options is the prompt, so pass it after `--`."""
    ours = {"--model", "--video", "--json", "--no-presets", "-h", "--help", "--"}
    out: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--":
            rest.extend(argv[i + 1:])
            break
        if a in ours or a.startswith("--model="):
            out.append(a)
            if a == "--model" and i + 1 < len(argv):
                out.append(argv[i + 1])
                i += 1
        else:
            rest.append(a)
        i += 1
    return out + (["--"] + rest if rest else [])


def main(argv: list[str] | None = None, stdout: TextIO | None = None,
         stderr: TextIO | None = None) -> int:
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    args_in = list(sys.argv[1:] if argv is None else argv)
    parser = _parser()
    try:
        args = parser.parse_args(_split_prompt(args_in))
    except SystemExit as exc:  # argparse exits on --help and on usage errors
        return int(exc.code or 0)
    model = None
    if args.model is not None:
        model = normalize_model(args.model)
        if model is None:
            names = ", ".join(m.label for m in load_rules().models)
            _write(err, f"legnext-studio lint: unknown model {args.model!r}; use one of {names}\n")
            return 2
    text = sys.stdin.read() if args.prompt == "-" else args.prompt
    if args.prompt == "-" and text.endswith("\n"):
        text = text[:-1]
    book = None
    if not args.no_presets:
        from studio.store.preset_file import load

        loaded = load()
        book = loaded.book
        if loaded.message:
            _write(err, f"legnext-studio lint: {loaded.message}\n")
    result = lint_set(text, model=model, video=args.video, presets=book)
    if args.as_json:
        _write(out, json.dumps(result.to_dict(), ensure_ascii=False) + "\n")
    else:
        _write(out, _human(result))
    return 1 if result.errors else 0


def _human(result) -> str:  # noqa: ANN001 - LintResult
    rules = load_rules()
    label = "video" if result.video else " + ".join(rules.model(m).label for m in result.models)
    lines = [f"model: {label}"]
    if result.expanded is not None:
        n = len(result.expanded)
        lines.append(f"prompts: {n}" if n else "prompts: none (the text cannot be expanded)")
        lines.extend(f"  {i}. {p.text}" for i, p in enumerate(result.expanded, 1))
    for d in result.diagnostics:
        fix = ""
        if d.fix is not None:
            fix = "  [fix: remove]" if d.fix == "" else f"  [fix: {d.fix!r}]"
        lines.append(f"{d.start}-{d.end} {d.severity}[{d.code}]: {d.message}{fix}")
    if not result.diagnostics:
        lines.append("no problems found")
    reasons = "; ".join(result.cost.reasons)
    lines.append(f"cost: {result.cost.credits} credits ({reasons})")
    n_err = len(result.errors)
    lines.append(f"{n_err} error{'s' if n_err != 1 else ''}, "
                 f"{len(result.diagnostics) - n_err} other finding"
                 f"{'s' if len(result.diagnostics) - n_err != 1 else ''}")
    return "\n".join(lines) + "\n"


def console_main() -> None:
    """The `legnext-lint` console script."""
    raise SystemExit(main())


if __name__ == "__main__":
    sys.exit(main())
