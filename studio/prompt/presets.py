"""Presets ("custom options"): a `--name` that stands for saved parameters and prompt words.

Midjourney users keep `--gloomy` for `--ar 16:9 --s 400 --c 20`, and a suffix added to every
prompt. A `Preset` is plain data (name, parameters, an optional prompt fragment, a note, the
models it was made for); a `PresetBook` holds them with the default suffix. `apply_presets`
rewrites one prompt: each `--name` becomes its parameters where it stands, its fragment joins the
prompt text, presets may name other presets (a circle is a problem, never a hang), and the
prompt's own parameters win over a preset's, a later preset's over an earlier one's, any preset's
over the suffix's. The result maps back to the typed text (studio.prompt.permute.SourceMap), so
a rule broken by a preset is shown on its `--name` with the reason.

The file format (`to_json` / `from_json`) is versioned: a file from a newer studio, or one that
is not JSON, is refused with a message; entries that break the rules are skipped with a reason.
Pure Python, no Qt; reading and writing the file is studio.store.preset_file.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from typing import Any

from studio.prompt.permute import Problem, Run, SourceMap, Variant, assemble, boundary
from studio.prompt.rules import Rules, load_rules, normalize_model
from studio.prompt.tokens import ATTACHED_VERSION, lex

FORMAT = "legnext-studio-presets"
VERSION = 1
NAME = re.compile(r"[a-z][a-z0-9_]{0,31}$")  # how the tokenizer reads a flag name, lower-case
SUFFIX_ORIGIN = "suffix"
PRESET_CODES = ("preset-cycle", "preset-model", "preset-missing")

# Parameters that exclude each other count as one when a preset's would repeat the prompt's.
_MODEL_FLAGS = frozenset({"v", "niji"})


class PresetFileError(ValueError):
    """A presets file that cannot be read at all (not JSON, not presets, from a newer studio)."""


class NewerPresetFile(PresetFileError):
    """A presets file from a newer studio: readable by it, never to be overwritten here."""


@dataclass(frozen=True)
class Preset:
    name: str
    params: str = ""  # "--ar 16:9 --s 400 --c 20" (may name other presets: "--gloomy --tile")
    fragment: str = ""  # prompt words it adds ("volumetric fog, 35mm")
    note: str = ""
    models: tuple[str, ...] = ()  # canonical ids it was made for; () means any

    @property
    def token(self) -> str:
        return f"--{self.name}"

    def summary(self) -> str:
        """What it stands for, in one line: `--ar 16:9 --s 400 · adds “fog”`."""
        parts = [self.params.strip()] if self.params.strip() else []
        if self.fragment.strip():
            parts.append(f"adds “{self.fragment.strip()}”")
        return " · ".join(parts) or "nothing yet"

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "params": self.params, "fragment": self.fragment,
                "note": self.note, "models": list(self.models)}

    @classmethod
    def from_dict(cls, data: Any) -> Preset:
        if not isinstance(data, dict):
            raise ValueError("a preset must be an object with a name")
        name = data.get("name")
        if not isinstance(name, str):
            raise ValueError("a preset needs a name")

        def text(key: str) -> str:
            value = data.get(key, "")
            if value is None:
                return ""
            if not isinstance(value, str):
                raise ValueError(f"`{key}` of --{name} must be text")
            return value

        models = data.get("models") or []
        if not isinstance(models, list) or not all(isinstance(m, str) for m in models):
            raise ValueError(f"`models` of --{name} must be a list of model names")
        known = []
        for m in models:
            mid = normalize_model(m)
            if mid is None:
                raise ValueError(f"--{name} names an unknown model {m!r}")
            known.append(mid)
        return cls(name=name.strip().lower(), params=text("params"), fragment=text("fragment"),
                   note=text("note"), models=tuple(dict.fromkeys(known)))


def name_problem(name: str, rules: Rules | None = None) -> str | None:
    """Why `name` cannot name a preset, or None. A real parameter's name (any spelling) is
    refused: the prompt would mean the parameter, never the preset."""
    rules = rules or load_rules()
    raw = name.strip()
    if raw.startswith("--"):
        raw = raw[2:]
    if not raw:
        return "A preset needs a name (letters, digits and _; it starts with a letter)"
    low = raw.lower()
    if not NAME.match(low):
        return (f"`{raw}` cannot be a preset name: use letters, digits and _ (at most 32), "
                "starting with a letter")
    if low in rules.aliases:
        canon = rules.aliases[low]
        label = rules.flag_defs[canon].label
        return f"`--{low}` is a Midjourney parameter ({label}); a preset cannot take its name"
    if ATTACHED_VERSION.match(low):
        return f"`--{low}` reads as a model version; a preset cannot take its name"
    return None


def content_problems(preset: Preset, rules: Rules | None = None) -> list[str]:
    """What is wrong with a preset's content (not its suitability for a model)."""
    rules = rules or load_rules()
    out: list[str] = []
    for what, text in (("parameters", preset.params), ("prompt words", preset.fragment)):
        if "{" in text or "}" in text:
            out.append(f"The {what} of {preset.token} hold a {{…}} set; write sets in the prompt itself")
    params = preset.params.strip()
    if params:
        lexed = lex(params, rules)
        if not lexed.flags or params[:lexed.body_end].strip():
            out.append(f"The parameters of {preset.token} must be --flags only "
                       f"(prompt words go in its prompt words): `{params[:lexed.body_end].strip() or params}`")
    fragment = preset.fragment.strip()
    if fragment and lex(fragment, rules).flags:
        out.append(f"The prompt words of {preset.token} hold a --flag; put parameters in its parameters")
    if len(preset.params) + len(preset.fragment) > rules.text_max:
        out.append(f"{preset.token} is longer than a whole prompt may be ({rules.text_max} characters)")
    return out


@dataclass(frozen=True)
class PresetBook:
    """The user's presets and the default suffix added to every prompt."""

    presets: tuple[Preset, ...] = ()
    suffix: str = ""

    @property
    def names(self) -> frozenset[str]:
        return frozenset(p.name for p in self.presets)

    def get(self, name: str) -> Preset | None:
        low = name.lstrip("-").lower()
        for p in self.presets:
            if p.name == low:
                return p
        return None

    def with_preset(self, preset: Preset, replacing: str | None = None) -> PresetBook:
        """The book with `preset` added (or put in place of `replacing`, an existing name).
        Raises ValueError with the reason when its name or content is refused."""
        problem = name_problem(preset.name)
        if problem:
            raise ValueError(problem)
        preset = replace(preset, name=preset.name.strip().lstrip("-").lower())
        problems = content_problems(preset)
        if problems:
            raise ValueError(problems[0])
        old = (replacing or preset.name).lstrip("-").lower()
        if (replacing is None or preset.name != old) and self.get(preset.name) is not None:
            raise ValueError(f"A preset named {preset.token} exists already")
        kept = [p for p in self.presets if p.name != old]
        at = next((i for i, p in enumerate(self.presets) if p.name == old), len(kept))
        kept.insert(at, preset)
        book = replace(self, presets=tuple(kept))
        cycle = book.cycle_from(preset.name)
        if cycle:
            raise ValueError(f"Presets would refer to each other in a circle: {' → '.join(cycle)}")
        return book

    def without(self, name: str) -> PresetBook:
        low = name.lstrip("-").lower()
        return replace(self, presets=tuple(p for p in self.presets if p.name != low))

    def with_suffix(self, suffix: str) -> PresetBook:
        """The book with a new default suffix; ValueError when it holds a {…} set."""
        if "{" in suffix or "}" in suffix:
            raise ValueError("The default suffix holds a {…} set; write sets in the prompt itself")
        return replace(self, suffix=suffix.strip())

    def cycle_from(self, name: str) -> list[str] | None:
        """The first circle of presets naming presets reachable from `name`, as tokens."""
        rules = load_rules()
        names = self.names
        seen: set[str] = set()

        def walk(current: str, chain: list[str]) -> list[str] | None:
            if current in chain:
                return chain[chain.index(current):] + [current]
            if current in seen:
                return None
            seen.add(current)
            preset = self.get(current)
            if preset is None:
                return None
            for f in lex(preset.params, rules, names).flags:
                if f.preset:
                    found = walk(f.name, chain + [current])
                    if found:
                        return found
            return None

        found = walk(name.lstrip("-").lower(), [])
        return [f"--{n}" for n in found] if found else None

    # ---- the file ----------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "version": VERSION, "suffix": self.suffix,
                "presets": [p.to_dict() for p in self.presets]}

    def dumps(self) -> str:
        return json.dumps(self.to_json(), ensure_ascii=False, indent=1) + "\n"

    @classmethod
    def loads(cls, text: str, what: str = "The presets file") -> tuple[PresetBook, list[str]]:
        """A book from a file's text, and the reasons entries were skipped. Raises
        PresetFileError when the text is not a presets file this studio can read."""
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise PresetFileError(f"{what} is not JSON ({exc}); nothing was read from it") from None
        return cls.from_json(data, what)

    @classmethod
    def from_json(cls, data: Any, what: str = "The presets file") -> tuple[PresetBook, list[str]]:
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise PresetFileError(f"{what} is not a Legnext Studio presets file "
                                  f"(it has no \"format\": \"{FORMAT}\")")
        version = data.get("version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise PresetFileError(f"{what} has no readable version; nothing was read from it")
        if version > VERSION:
            raise NewerPresetFile(f"{what} was written by a newer Legnext Studio (presets format "
                                  f"{version}; this one reads up to {VERSION}) — update the studio "
                                  "to read it; it was left untouched")
        skipped: list[str] = []
        book = cls()
        suffix = data.get("suffix") or ""
        if isinstance(suffix, str):
            try:
                book = book.with_suffix(suffix)
            except ValueError as exc:
                skipped.append(f"the default suffix: {exc}")
        else:
            skipped.append("the default suffix: it is not text")
        entries = data.get("presets") or []
        if not isinstance(entries, list):
            raise PresetFileError(f"{what} has no list of presets")
        loaded: list[Preset] = []
        for i, entry in enumerate(entries, 1):
            try:
                preset = Preset.from_dict(entry)
            except ValueError as exc:
                skipped.append(f"entry {i}: {exc}")
                continue
            reason = name_problem(preset.name) or next(iter(content_problems(preset)), None)
            if reason is None and any(p.name == preset.name for p in loaded):
                reason = f"a second preset named {preset.token}"
            if reason:
                skipped.append(f"entry {i} ({preset.token}): {reason}")
                continue
            loaded.append(preset)
        book = replace(book, presets=tuple(loaded))
        for p in loaded:
            cycle = book.cycle_from(p.name)
            if cycle:
                skipped.append(f"{' → '.join(cycle)}: presets that refer to each other in a circle "
                               "are kept, and a prompt using them says so")
                break
        return book, skipped

    def merged(self, other: PresetBook) -> tuple[PresetBook, list[str]]:
        """This book with `other`'s presets added (an import). A name already taken by a
        different preset comes in as name_2 (nothing is overwritten); the same preset is
        skipped. Returns the book and one line per preset saying what happened."""
        book = self
        notes: list[str] = []
        for p in other.presets:
            mine = book.get(p.name)
            if mine == p:
                notes.append(f"{p.token} is already here")
                continue
            target = p
            if mine is not None:
                n = 2
                while book.get(f"{p.name}_{n}") is not None:
                    n += 1
                target = replace(p, name=f"{p.name}_{n}")
            try:
                book = book.with_preset(target)
            except ValueError as exc:
                notes.append(f"{p.token} skipped: {exc}")
                continue
            notes.append(f"{p.token} added" if target is p else f"{p.token} added as {target.token} "
                         f"({p.token} exists already)")
        if other.suffix and not book.suffix:
            book = replace(book, suffix=other.suffix)
            notes.append("default suffix taken from the file")
        return book, notes


# ---- applying presets to a prompt ------------------------------------------------------------

@dataclass(frozen=True)
class Used:
    """A `--name` of a preset in the text it was applied to."""

    name: str
    span: tuple[int, int]
    kept: str  # the parameters it put in the prompt
    dropped: tuple[str, ...] = ()  # its parameters the prompt (or a later preset) overrides


@dataclass(frozen=True)
class Applied:
    text: str
    map: SourceMap  # text -> the text presets were applied to
    problems: tuple[Problem, ...] = ()
    used: tuple[Used, ...] = ()


@dataclass
class _Resolved:
    fragments: list[str] = field(default_factory=list)
    params: list[tuple[str, str]] = field(default_factory=list)  # (key, text)
    problems: list[str] = field(default_factory=list)


def _key(name: str, known: bool, rules: Rules) -> str:
    """Parameters with one key exclude each other (the later wins)."""
    if not known:
        return "?" + name
    if name in _MODEL_FLAGS:
        return "model"
    d = rules.flag_defs.get(name)
    if d is not None and d.concept in ("raw", "speed"):
        return d.concept
    return name


def _resolve_text(text: str, book: PresetBook, rules: Rules, chain: tuple[str, ...],
                  out: _Resolved) -> None:
    lexed = lex(text, rules, book.names)
    body = text[:lexed.body_end].strip()
    if body:
        out.fragments.append(body)
    for f in lexed.flags:
        if f.preset:
            _resolve(f.name, book, rules, chain, out)
        else:
            end = max(f.end, f.extras[-1][1]) if f.extras else f.end  # words after it stay with it
            out.params.append((_key(f.name, f.known, rules), text[f.start:end]))


def _resolve(name: str, book: PresetBook, rules: Rules, chain: tuple[str, ...], out: _Resolved) -> None:
    if name in chain:
        circle = " → ".join(f"--{n}" for n in chain[chain.index(name):] + (name,))
        out.problems.append(f"Presets refer to each other in a circle: {circle} — edit one of them")
        return
    preset = book.get(name)
    if preset is None:
        return
    if preset.fragment.strip():
        out.fragments.append(preset.fragment.strip())
    _resolve_text(preset.params, book, rules, chain + (name,), out)


def word_separator(body: str) -> str:
    """What goes between prompt text and prompt words added after it."""
    words = body.split()
    if not words or body[-1] in ",;:" or words[-1].lower().startswith(("http://", "https://")):
        return " "
    return ", "


def apply_presets(text: str, book: PresetBook | None, rules: Rules | None = None) -> Applied:
    """`text` with every `--preset` and the default suffix written out (see the module doc)."""
    identity = Applied(text, SourceMap.identity(len(text)))
    if book is None or (not book.presets and not book.suffix):
        return identity
    rules = rules or load_rules()
    lexed = lex(text, rules, book.names)
    tokens = [f for f in lexed.flags if f.preset]
    if not tokens and not book.suffix:
        return identity
    taken = {_key(f.name, f.known, rules) for f in lexed.flags if not f.preset}
    resolved = []
    problems: list[Problem] = []
    for f in tokens:
        r = _Resolved()
        _resolve(f.name, book, rules, (), r)
        resolved.append(r)
        problems.extend(Problem("preset-cycle", msg, (f.start, f.name_end)) for msg in r.problems)
    suffix = _Resolved()
    if book.suffix:
        _resolve_text(book.suffix, book, rules, (), suffix)
    n = len(text)
    problems.extend(Problem("preset-cycle", f"In the default suffix: {msg}", (n, n)) for msg in suffix.problems)
    # The prompt's own parameters win, then later presets over earlier ones, then the suffix.
    kept: list[list[str]] = [[] for _ in tokens]
    dropped: list[list[str]] = [[] for _ in tokens]
    for i in range(len(tokens) - 1, -1, -1):
        mine: set[str] = set()
        for key, param in reversed(resolved[i].params):
            if key in taken and not key.startswith("?"):
                dropped[i].insert(0, param)
            elif key in mine and not key.startswith("?"):
                dropped[i].insert(0, param)  # the preset repeats itself: its last one is used
            else:
                kept[i].insert(0, param)
                mine.add(key)
        taken |= mine
    suffix_params = [param for key, param in suffix.params if key not in taken or key.startswith("?")]

    runs: list[Run] = []
    body_end = len(text[:lexed.body_end].rstrip())
    body = text[:body_end]
    runs.append((0, body_end, body, True, ""))
    fragments: list[tuple[str, int, int, str]] = []
    for f, r in zip(tokens, resolved):
        fragments.extend((frag, f.start, f.name_end, f"--{f.name}") for frag in r.fragments)
    fragments.extend((frag, n, n, SUFFIX_ORIGIN) for frag in suffix.fragments)
    written = body
    for frag, a, b, origin in fragments:
        sep = word_separator(written) if written.strip() else ""
        runs.append((a, b, sep + frag, False, origin))
        written += sep + frag
    pos = body_end
    for f, params in zip(tokens, kept):
        runs.append((pos, f.start, text[pos:f.start], True, ""))
        runs.append(boundary(f.start))
        if params:
            runs.append((f.start, f.name_end, " ".join(params), False, f"--{f.name}"))
        runs.append(boundary(f.name_end))
        pos = f.name_end
    runs.append((pos, n, text[pos:], True, ""))
    if suffix_params:
        runs.append(boundary(n))
        runs.append((n, n, " " + " ".join(suffix_params), False, SUFFIX_ORIGIN))
    built: Variant = assemble([r for r in runs if r[2] or r[0] == r[1]], n)
    used = tuple(Used(f.name, (f.start, f.name_end), " ".join(k), tuple(d))
                 for f, k, d in zip(tokens, kept, dropped))
    return Applied(built.text, built.map, tuple(problems), used)


def prompt_words(book: PresetBook, name: str) -> str:
    """The prompt words preset `name` adds, its nested presets' included (", "-joined)."""
    r = _Resolved()
    _resolve(name.lstrip("-").lower(), book, load_rules(), (), r)
    return ", ".join(r.fragments)


def model_mismatch(preset: Preset, model: str) -> str | None:
    """Why `preset` was not made for `model` ("saved for v7 and niji 6"), or None."""
    if not preset.models or model in preset.models:
        return None
    rules = load_rules()
    labels = [rules.model(m).label for m in preset.models if m in rules.tables]
    listed = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]
    return f"{preset.token} is saved for {listed}, not {rules.model(model).label}"


def suitability(book: PresetBook, name: str, model: str, *, video: bool = False) -> list[str]:
    """Why preset `name` does not suit `model`, from the rules (empty: it suits). Errors and
    warnings its parameters get on that model, a circle, and the models it was saved for."""
    from studio.prompt.validate import lint  # validate does not import presets: no cycle

    preset = book.get(name)
    if preset is None:
        return [f"There is no preset named --{name.lstrip('-')}"]
    model = normalize_model(model) or load_rules().default_model
    reasons: list[str] = []
    mismatch = model_mismatch(preset, model)
    if mismatch:
        reasons.append(mismatch)
    probe = "x " + preset.token
    applied = apply_presets(probe, replace(book, suffix=""))
    reasons.extend(p.message for p in applied.problems)
    result = lint(applied.text, model=model, video=video)
    for d in result.diagnostics:
        if d.severity in ("error", "warning") and d.code not in ("no-prompt-text", "requires-sref",
                                                                  "requires-cref", "requires-oref",
                                                                  "requires-image-prompt"):
            reasons.append(d.message.replace("`", ""))
    return reasons


__all__ = ["Applied", "FORMAT", "NewerPresetFile", "PRESET_CODES", "Preset", "PresetBook", "PresetFileError",
           "SUFFIX_ORIGIN", "Used", "VERSION", "apply_presets", "content_problems", "model_mismatch",
           "name_problem", "prompt_words", "suitability", "word_separator"]
