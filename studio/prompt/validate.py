"""lint(): check a prompt against the rules of the model it targets.

Severity policy (issue 13): a documented limit is an error. A value outside a documented range
or value set, a flag the model does not support (🚫 in the comparison table, or replaced by
another), a flag no doc describes: each would spend credits on a request the docs do not cover,
so each is an error whose fix (Ctrl+.) is the nearest valid value, the replacement flag or the
removal. Where the docs contradict each other, the rule's `note` says which reading was taken:
the one that spends no credits by mistake. Warnings remain for what the docs say is accepted
but useless (no-ops, duplicates, a weight without its reference) and for prompt-text style.
All knowledge of flags and models comes from the rule tables; this module only applies them.
"""

from __future__ import annotations

import difflib
import math
import re
from fractions import Fraction
from functools import lru_cache

from studio.prompt.cost import canonical_task, cost_of, is_video_task
from studio.prompt.diagnostics import ERROR, INFO, WARNING, Diagnostic, LintResult, sort_key
from studio.prompt.parser import ParsedPrompt, model_of_flag, parse
from studio.prompt.rules import (IGNORED, NOOP, OK, REJECTED, REPLACED, UNSUPPORTED, FlagDef,
                                 FlagRule, ModelTable, Rules, load_rules, normalize_model)
from studio.prompt.tokens import (ISSUE_ATTACHED, ISSUE_BRACES, ISSUE_CONTROL,
                                  ISSUE_EMDASH, ISSUE_STRAY, LEADING_EMPTY_SEGMENT, MARKER,
                                  WEIGHT_MARK, Flag)

_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$")
_RATIO = re.compile(r"([0-9]+):([0-9]+)$")
_LOOSE_RATIO = re.compile(r"([0-9]+(?:\.[0-9]+)?|\.[0-9]+)\s*[:xX\u00d7/]\s*([0-9]+(?:\.[0-9]+)?|\.[0-9]+)$")
_URL = re.compile(r"https?://\S+$", re.I)
_SREF_ITEM = re.compile(r"(?:https?://\S+?|[0-9]+|random)(?:::-?[0-9]+(?:\.[0-9]+)?)?$", re.I)
_CODE = re.compile(r"[A-Za-z0-9_-]+$")

_WHITESPACE_CONTROLS = {"\t": "tab", "\n": "line break", "\r": "carriage return"}


@lru_cache(maxsize=256)
def _close_flag(name: str) -> tuple[str, ...]:
    """Nearest known spelling for a mistyped flag (cached: difflib is slow per keystroke)."""
    return tuple(difflib.get_close_matches(name, list(load_rules().aliases), n=1, cutoff=0.75))


def _fmt(x: float) -> str:
    if isinstance(x, float) and not math.isfinite(x):
        return str(x)
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def nearest(values: tuple[float, ...], v: float) -> float:
    """The allowed value closest to v; on a tie the lower one (it never costs more)."""
    return min(values, key=lambda x: (abs(x - v), x))


def _values_text(values: tuple[float, ...]) -> str:
    parts = [_fmt(v) for v in values]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " or " + parts[-1]


class _Linter:
    def __init__(self, parsed: ParsedPrompt, rules: Rules, video: bool, task: str) -> None:
        self.p = parsed
        self.text = parsed.text
        self.rules = rules
        self.video = video
        self.task = task
        self.table: ModelTable = rules.tables["video" if video else parsed.model]
        self.where = "video prompts" if video else self.table.label
        self.out: list[Diagnostic] = []
        self.present = {f.name for f in parsed.flags}

    # ---- helpers -------------------------------------------------------------------------
    def add(self, severity: str, code: str, message: str, start: int, end: int,
            fix: str | None = None) -> None:
        self.out.append(Diagnostic(severity, code, message, (start, end), fix))  # type: ignore[arg-type]

    def rule_for(self, name: str) -> FlagRule | None:
        r = self.table.flags.get(name)
        if r is not None:
            return r
        if self.video:
            if name in self.rules.flag_defs:
                return FlagRule(IGNORED, "not a video parameter", source="Video Parameters")
            return None
        return self.rules.image_context.get(name)

    def accepted(self, name: str) -> bool:
        r = self.rule_for(name)
        return r is None or r.status == OK

    # ---- passes --------------------------------------------------------------------------
    def run(self) -> list[Diagnostic]:
        self.length()
        self.lexical()
        self.segments()
        for f in self.p.flags:
            self.flag(f)
        self.models()
        self.duplicates()
        self.cross()
        self.context_notes()
        self.out.sort(key=sort_key)
        return self.out

    def length(self) -> None:
        n = len(self.text)
        lo, hi = self.rules.text_min, self.rules.text_max
        if n > hi:
            self.add(ERROR, "text-too-long",
                     f"The prompt is {n} characters; the API accepts {lo}–{hi} — shorten it by "
                     f"{n - hi} characters", hi, n)
        text_required = self.rules.costs["tasks"].get(self.task, {}).get("text_required", False)
        if not self.text.strip():
            if text_required and not self.video:
                self.add(ERROR, "text-empty",
                         f"The prompt is empty; the API needs {lo}–{hi} characters", 0, n)
            return
        if not self.video and text_required and not self.p.has_text():
            if len(self.p.image_url_tokens) < 2:
                end = self.p.body_end if self.p.body_end else n
                self.add(WARNING, "no-prompt-text",
                         "The prompt has no text before its parameters; describe the image "
                         "(or give two image URLs to mix them)", 0, end)

    def lexical(self) -> None:
        t = self.text
        for iss in self.p.issues:
            if iss.kind == ISSUE_EMDASH:
                dash, name = t[iss.start:iss.end], iss.detail
                self.add(WARNING, "emdash",
                         f"`{dash}{name}` starts with a dash character, not two hyphens — "
                         f"write `--{name}` (text editors often turn -- into {dash})",
                         iss.start, iss.end, "--")
            elif iss.kind == ISSUE_STRAY:
                self.add(WARNING, "stray-dashes",
                         f"`{t[iss.start:iss.end]}` is not followed by a parameter name — "
                         "finish the flag (e.g. --ar 16:9) or remove it", iss.start, iss.end, "")
            elif iss.kind == ISSUE_BRACES:
                rule = self.rules.permutations
                self.add(ERROR, "permutation-unsupported",
                         f"`{t[iss.start:iss.end]}`: {{}} permutations are not supported "
                         f"({rule.why}) — write one prompt per job", iss.start, iss.end)
            elif iss.kind == ISSUE_CONTROL:
                ch = iss.detail
                if ch in _WHITESPACE_CONTROLS:
                    self.add(INFO, "control-char",
                             f"A {_WHITESPACE_CONTROLS[ch]} in the prompt; Midjourney reads the "
                             "prompt as one line — use a space", iss.start, iss.end, " ")
                else:
                    self.add(WARNING, "control-char",
                             f"Invisible control character U+{ord(ch):04X} in the prompt — "
                             "remove it", iss.start, iss.end, "")
            elif iss.kind == ISSUE_ATTACHED:
                f = next((x for x in self.p.flags if x.start == iss.start), None)
                if f is not None and f.value is not None:
                    sel = "niji" if f.name == "niji" else "v"
                    self.add(INFO, "attached-version",
                             f"`{t[f.start:f.value_end]}`: write the version as a separate "
                             f"value, `--{sel} {f.value}`", f.start, f.value_end,
                             f"--{sel} {f.value}")

    def segments(self) -> None:
        t, a, b = self.text, self.p.body_start, self.p.body_end
        if t.find("::", a, b) < 0:
            return
        # One findall (C speed) over the `::weight` markers, paired exactly as the tokenizer
        # pairs them: (weight, "::" when another marker follows with only spaces between).
        marks = MARKER.findall(t, a, b)
        empty_weight = 0.0
        if LEADING_EMPTY_SEGMENT.match(t, a, b) is not None or any(f for _, f in marks):
            follows = LEADING_EMPTY_SEGMENT.match(t, a, b) is not None
            for m in MARKER.finditer(t, a, b):
                if follows:
                    self.empty_segment(m.start(), m.end())
                    empty_weight += float(m.group(1) or 1.0)
                follows = m.group(2) is not None
        if t.find("::-", a, b) < 0 or not self.p.has_text():
            return  # without a negative weight (or any text) there is no total to check
        # Each `::` weighs the text on its left (empty segments weigh nothing); text after
        # the last one weighs 1.
        total = sum(float(w) if w else 1.0 for w, _ in marks) - empty_weight
        # The last marker: rfind finds the last `::`, which ends its run of colons; the scan
        # pairs colons from the start of that run, so the last marker is the run's last pair.
        k = t.rfind("::", a, b)
        before = t[a:k]
        run_start = k - (len(before) - len(before.rstrip(":")))
        k = run_start + 2 * ((k + 2 - run_start) // 2 - 1)
        last = WEIGHT_MARK.match(t, k, b)
        last_end = last.end() if last is not None else b
        if t[last_end:b].strip():
            total += 1.0
            last_end = b
        if total <= 1e-9:  # float sums of weights such as 0.5 - 0.5
            body = t[a:b]
            first = a + len(body) - len(body.lstrip())
            self.add(WARNING, "weights-sum",
                     f"The multi-prompt weights add up to {_fmt(total)}; Midjourney needs a "
                     "positive total — raise a weight", first, max(first, last_end))

    def empty_segment(self, start: int, end: int) -> None:
        self.add(WARNING, "empty-segment",
                 f"`{self.text[start:end]}` has no text before it; a multi-prompt weight "
                 "applies to the text on its left — remove it", start, end, "")

    # ---- one flag ------------------------------------------------------------------------
    def flag(self, f: Flag) -> None:
        t = self.text
        if not f.known:
            self.unknown(f)
            return
        d = self.rules.flag_defs[f.name]
        rule = self.rule_for(f.name)
        shown = f"`{f.spelling}`"
        if rule is not None and rule.status != OK:
            self.status(f, d, rule)
            return
        if f.extras:
            a, b = f.extras[0][0], f.extras[-1][1]
            what = f"`{t[f.start:f.end]}`"
            self.add(WARNING, "unexpected-text",
                     f"`{t[a:b]}` after {what} is not part of any parameter; Midjourney reads "
                     "parameters only at the end — move the text before the first --flag",
                     a, b)
        if f.name in ("v", "niji"):
            return  # checked in models()
        if d.takes_value and f.value is None:
            if not d.optional_value:
                self.add(ERROR, "value-missing",
                         f"{shown} needs a value ({self.expected(d, rule)}) on {self.where}",
                         f.start, f.end)
            return
        if f.value is None:
            return
        shape = d.value
        if shape in ("int", "number"):
            self.number(f, d, rule)
        elif shape == "ratio":
            self.ratio(f)
        elif shape == "choice":
            self.choice(f, d)
        elif shape in ("urls", "srefs"):
            self.urls(f, d)
        elif shape == "codes":
            for a, b in f.items:
                if not _CODE.match(t, a, b):
                    self.add(WARNING, "value-invalid",
                             f"`{t[a:b]}` does not look like a {d.label} code for {shown}", a, b)

    def unknown(self, f: Flag) -> None:
        guess = _close_flag(f.name)
        hint = f" — did you mean `--{guess[0]}`?" if guess else ""
        self.add(ERROR, "flag-unknown",
                 f"`{f.spelling}` is not a parameter of {self.where} in the docs, nor a preset"
                 f"{hint or ' — remove it or save a preset by that name'}", f.start, f.name_end,
                 f"--{guess[0]}" if guess else None)

    def status(self, f: Flag, d: FlagDef, rule: FlagRule) -> None:
        shown = f.spelling
        msgs = self.rules.messages
        sev = self.rules.severity.get(rule.status) or WARNING
        fields = {"flag": shown, "model": self.where, "why": rule.why,
                  "replacement": rule.replacement or ""}
        if rule.status == REJECTED:
            self.add(sev, "flag-rejected", msgs["rejected"].format(**fields), f.start, f.end, "")
        elif rule.status == UNSUPPORTED:
            model_specific = not self.video and f.name not in self.rules.image_context
            msg = msgs["unsupported_model" if model_specific else "unsupported"].format(**fields)
            if rule.replacement:
                msg = msg.replace("— remove it", f"— use `--{rule.replacement}`")
                self.add(sev, "flag-unsupported", msg, f.start, f.name_end, f"--{rule.replacement}")
            else:
                self.add(sev, "flag-unsupported", msg, f.start, f.end, "")
        elif rule.status == NOOP:
            self.add(sev, "flag-noop", msgs["noop"].format(**fields) + " — remove it",
                     f.start, f.end, "")
        elif rule.status == REPLACED:
            self.add(sev, "flag-replaced", msgs["replaced"].format(**fields),
                     f.start, f.name_end, f"--{rule.replacement}")
        else:  # IGNORED
            if self.video:
                self.add(sev, "video-ignored", msgs["video_ignored"].format(**fields) + " — remove it",
                         f.start, f.end, "")
            else:
                self.add(sev, "flag-ignored", msgs["ignored"].format(**fields), f.start, f.end, "")

    def expected(self, d: FlagDef, rule: FlagRule | None) -> str:
        if rule is not None and rule.set is not None:
            return _values_text(rule.set)
        rng = (rule.range if rule is not None else None) or d.range
        if rng is not None:
            return f"{_fmt(rng[0])}–{_fmt(rng[1])}"
        return {"ratio": "W:H with whole numbers, e.g. 16:9", "choice": " | ".join(d.choices),
                "urls": "image URLs", "srefs": "image URLs, style codes or `random`",
                "text": "the things to leave out, e.g. `--no people, cars`",
                "version": "a model version"}.get(d.value, "a value")

    def number(self, f: Flag, d: FlagDef, rule: FlagRule | None) -> None:
        a, b = f.value_start, f.value_end
        raw = f.value or ""
        shown = f"`{f.spelling}`"
        if not _NUMBER.match(raw):
            self.add(ERROR, "value-invalid",
                     f"{shown} takes a number, not `{raw}`; {self.where} accepts "
                     f"{self.expected(d, rule)}", a, b)
            return
        v = float(raw)
        allowed_set = rule.set if rule is not None else None
        if allowed_set is not None:
            if v not in allowed_set:
                near = nearest(allowed_set, v)
                self.add(ERROR, "value-not-allowed",
                         f"`{f.spelling} {raw}` is not a {d.label} {self.where} accepts "
                         f"({_values_text(allowed_set)}) — use {_fmt(near)}", a, b, _fmt(near))
            return
        fixed = v
        if d.value == "int" and not v.is_integer():
            fixed = float(round(v))
        rng = (rule.range if rule is not None else None) or d.range
        if rng is not None and not (rng[0] <= fixed <= rng[1]):
            near = min(max(fixed, rng[0]), rng[1])
            self.add(ERROR, "value-range",
                     f"`{f.spelling} {raw}` is outside {_fmt(rng[0])}–{_fmt(rng[1])}, the "
                     f"{d.label} range {self.where} accepts — use {_fmt(near)}", a, b, _fmt(near))
        elif fixed != v:
            self.add(ERROR, "value-integer",
                     f"`{f.spelling}` takes a whole number on {self.where}, not {raw} — use "
                     f"{_fmt(fixed)}", a, b, _fmt(fixed))

    def ratio(self, f: Flag) -> None:
        a, b = f.value_start, f.value_end
        raw = f.value or ""
        shown = f"`{f.spelling}`"
        m = _RATIO.match(raw)
        if m is None:
            loose = _LOOSE_RATIO.match(raw)
            fix = None
            if loose:
                try:
                    fw, fh = Fraction(loose.group(1)), Fraction(loose.group(2))
                    if fw > 0 and fh > 0:
                        scale = math.lcm(fw.denominator, fh.denominator)
                        fix = f"{int(fw * scale)}:{int(fh * scale)}"
                except (ValueError, ZeroDivisionError):
                    fix = None
            self.add(ERROR, "value-invalid",
                     f"{shown} takes a ratio of whole numbers W:H (e.g. 16:9, 139:100 for 1.39:1), "
                     f"not `{raw}`", a, b, fix)
            return
        w, h = int(m.group(1)), int(m.group(2))
        if w == 0 or h == 0:
            self.add(ERROR, "value-invalid",
                     f"`{f.spelling} {raw}`: both sides of the ratio must be at least 1", a, b)
            return
        g = math.gcd(w, h)
        if g > 1:
            self.add(INFO, "aspect-simplify",
                     f"`{f.spelling} {raw}` is the same ratio as {w // g}:{h // g}",
                     a, b, f"{w // g}:{h // g}")
        extreme = self.rules.flag_defs["ar"].extreme_ratio
        if extreme and max(w, h) / min(w, h) > extreme:
            self.add(INFO, "aspect-extreme",
                     f"`{f.spelling} {raw}` is an extreme ratio; results may be unstable "
                     "(experimental)", a, b)

    def choice(self, f: Flag, d: FlagDef) -> None:
        raw = f.value or ""
        low = raw.lower()
        if low in d.choices:
            return
        a, b = f.value_start, f.value_end
        fix = None
        if d.numeric_choices and _NUMBER.match(raw):
            # Image Parameters says --motion 1-4; the video page says low|high (rules note).
            fix = d.numeric_choices.get(_fmt(float(raw)))
        self.add(ERROR, "value-not-allowed",
                 f"`{f.spelling} {raw}` is not a {d.label} {self.where} accepts "
                 f"({' | '.join(d.choices)})"
                 + (f" — use {fix}" if fix else ""), a, b, fix)

    def urls(self, f: Flag, d: FlagDef) -> None:
        t = self.text
        shown = f"`{f.spelling}`"
        pattern = _SREF_ITEM if d.value == "srefs" else _URL
        for a, b in f.items:
            if not pattern.match(t, a, b):
                what = "image URLs, numeric style codes or `random`" if d.value == "srefs" else "image URLs"
                self.add(ERROR, "value-invalid",
                         f"{shown} takes {what}; `{t[a:b]}` is not one", a, b)
        if d.max_items is not None and len(f.items) > d.max_items:
            a = f.items[d.max_items - 1][1]
            b = f.items[-1][1]
            self.add(ERROR, "too-many-values",
                     f"{shown} takes {d.max_items} image on {self.where} — remove the others",
                     a, b, "")

    # ---- whole-prompt rules --------------------------------------------------------------
    def models(self) -> None:
        t = self.text
        names = ", ".join(m.label for m in self.rules.models)
        for f in self.p.flags:
            if f.name not in ("v", "niji"):
                continue
            if self.video and not self.accepted(f.name):
                continue
            if f.name == "v" and f.value is None:
                self.add(ERROR, "value-missing",
                         f"`{f.spelling}` needs a version; the API supports {names}", f.start, f.end)
                continue
            if model_of_flag(f, self.rules) is None:
                self.add(ERROR, "model-unsupported",
                         f"`{t[f.start:f.end]}` is not a model the Legnext API supports "
                         f"(supported: {names})", f.start, f.end)
        mf = self.p.model_flag
        table = self.rules.tables[self.p.model]
        if self.video or mf is None:
            return
        if table.migrate:
            mig = table.migrate
            target = self.rules.tables[mig["to"]]
            blockers = sorted({g.spelling for g in self.p.flags
                               if (r := target.flags.get(g.name)) is not None
                               and self.rules.severity.get(r.status) == ERROR})
            if blockers:
                msg = (f"{mig['why']} — consider `--v {mig['to']}`; first remove "
                       f"{', '.join('`' + b + '`' for b in blockers)} ({target.label} rejects them)")
                self.add(mig["severity"], mig["code"], msg, mf.start, mf.end)
            else:
                self.add(mig["severity"], mig["code"],
                         f"{mig['why']} — consider `--v {mig['to']}`", mf.value_start, mf.value_end,
                         mig["to"] if mf.name == "v" and not mf.attached else None)
        note = table.image_prompt_note
        if note and self.p.image_url_tokens:
            first = self.p.image_url_tokens[0]
            self.add(note["severity"], note["code"], f"On {table.label}: {note['why']}",
                     first.start, first.end)

    def duplicates(self) -> None:
        dup = self.rules.duplicate
        groups: dict[str, list[Flag]] = {}
        for f in self.p.flags:
            d = self.rules.flag_defs.get(f.name)
            key = f.name
            if d is not None and d.concept == "raw":
                if f.name == "style" and (f.value or "").lower() != "raw":
                    continue
                key = "raw"
            elif d is not None and d.concept == "speed":
                key = f.name
            groups.setdefault(key, []).append(f)
        t = self.text
        for key, fs in groups.items():
            if len(fs) < 2:
                continue
            last = fs[-1]
            kept = t[last.start:last.end]
            spellings = {f.spelling for f in fs}
            for f in fs[:-1]:
                if len(spellings) > 1 and key == "raw":
                    msg = (f"`{t[f.start:f.end]}` and `{kept}` both turn on raw mode — remove one")
                else:
                    msg = (f"`{f.spelling}` appears {len(fs)} times; {dup['why'].split('; ')[-1]} "
                           f"(`{kept}`) — remove this one")
                self.add(dup["severity"], dup["code"], msg, f.start, f.end, "")

    def cross(self) -> None:
        t = self.text
        for rule in self.rules.cross_rules:
            kind = rule["type"]
            if kind == "conflict":
                fs = [f for f in self.p.flags if f.name in rule["flags"]]
                if len({f.name for f in fs}) < 2:
                    continue
                last = fs[-1]
                fix = "" if rule.get("offer_fix", True) else None
                for f in fs[:-1]:
                    if f.name == last.name:
                        continue  # a plain duplicate, reported by duplicates()
                    self.add(rule["severity"], rule["code"],
                             f"`{t[f.start:f.end]}` conflicts with `{t[last.start:last.end]}` "
                             f"({rule['why']}) — remove one", f.start, f.end, fix)
            elif kind == "incompatible":
                anchor = self.p.last(rule["flag"])
                if anchor is None or not self.accepted(rule["flag"]):
                    continue
                for w in rule["with"]:
                    for f in self.p.find(w["flag"]):
                        vals = w.get("values")
                        if vals is not None:
                            try:
                                if f.value is None or float(f.value) not in vals:
                                    continue
                            except ValueError:
                                continue
                        self.add(rule["severity"], rule["code"],
                                 f"`{t[f.start:f.end]}` with `{anchor.spelling}` on {self.where}: "
                                 f"{rule['why']} — remove it", f.start, f.end, "")
            elif kind == "requires":
                name = rule["flag"]
                if name not in self.present or not self.accepted(name):
                    continue
                ok = False
                for need in rule["any_of"]:
                    if need == "@image_prompt":
                        ok = ok or bool(self.p.image_url_tokens)
                    else:
                        ok = ok or need in self.present
                if ok:
                    continue
                for f in self.p.find(name):
                    self.add(rule["severity"], rule["code"],
                             f"`{f.spelling}` has no effect here: {rule['why']} — remove it or add one",
                             f.start, f.end, "")

    def context_notes(self) -> None:
        if self.video:
            if not self.p.image_url_tokens and self.text.strip():
                self.add(INFO, "video-image",
                         "A video prompt without a leading image URL only works when animating "
                         "an existing job (job_id + image_no)", 0, min(len(self.text), self.p.body_end))
            return
        why = self.table.tasks_unavailable.get(self.task)
        if why:
            mf = self.p.model_flag
            a, b = (mf.start, mf.end) if mf else (0, 0)
            self.add(WARNING, "task-unavailable",
                     f"{self.task} on {self.table.label}: {why}", a, b)


def validate(parsed: ParsedPrompt, *, video: bool = False, task: str = "diffusion",
             rules: Rules | None = None) -> list[Diagnostic]:
    return _Linter(parsed, rules or load_rules(), video, task).run()


def lint(text: str, model: str | None = None, video: bool = False,
         task: str = "diffusion") -> LintResult:
    """Parse, validate and price a prompt. `model` is the default when the prompt names none
    (v7 if None); `video` checks it as a video prompt; `task` prices it (and is a video task
    for video_diffusion / extend_video)."""
    rules = load_rules()
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    default = normalize_model(model) or rules.default_model
    parsed = parse(text, default, rules)
    try:
        task_key = canonical_task(task, rules)
    except ValueError:
        task_key = "diffusion"
    video = bool(video) or is_video_task(task_key, rules)
    diagnostics = _Linter(parsed, rules, video, task_key).run()
    cost_task = task_key
    if video and not is_video_task(task_key, rules) and task_key == "diffusion":
        cost_task = "video_diffusion"  # a video prompt checked with the default task
    cost = cost_of(parsed, cost_task, video=video, rules=rules)
    return LintResult(text=text, model=parsed.model, diagnostics=diagnostics, cost=cost,
                      video=video, parsed=parsed)
