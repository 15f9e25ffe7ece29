"""Tokenizer: prompt text -> tokens and flags with character spans.

A Midjourney prompt is `[image URLs] text[::weight] ... --flag value --flag value ...`.
Everything before the first flag is the prompt body; each flag owns the words up to the next
flag. Which of those words are its value depends on the flag's value shape (rules/common.json):
a number takes one word, `--no` takes them all, `--sref` takes a list of URLs or codes.
The tokenizer never raises: any string yields tokens, flags and lexical issues.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from studio.prompt.rules import Rules, load_rules

# Token kinds.
IMAGE_URL = "image_url"  # a leading image prompt
TEXT = "text"  # prompt text (one multi-prompt segment)
WEIGHT = "weight"  # `::` or `::2` / `::-0.5`
FLAG = "flag"  # `--ar` (dash and name)
VALUE = "value"  # one value word of a flag (or the whole `--no` text)
EXTRA = "extra"  # words after a flag that are not its value
PRESET = "preset"  # `--name` of a saved preset (studio.prompt.presets), expanded before sending

# Lexical issue kinds (turned into diagnostics by validate.py).
ISSUE_EMDASH = "emdash"
ISSUE_STRAY = "stray-dashes"
ISSUE_BRACES = "permutation"
ISSUE_CONTROL = "control-char"
ISSUE_ATTACHED = "attached-version"

# A flag starts after whitespace (or at 0): `--name`, or an em/en dash typed for `--`.
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*(?:\.[0-9]+)?")
_DASH_RUN = re.compile(r"-+")
_WORD = re.compile(r"\S+")
_LEAD_URL = re.compile(r"\s*(https?://\S+)", re.I)
# The body before its first `::` holds nothing but spaces: the first segment is empty.
LEADING_EMPTY_SEGMENT = re.compile(r"\s*(?=::)")
_WEIGHT_NUM = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
WEIGHT_MARK = re.compile(r"::(?:-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))?")
# A marker with its weight (group 1) and, when only spaces separate it from the next marker
# (whose segment is then empty), that gap and `::` (group 2). Scanning it left to right pairs
# colons exactly as markers() does.
MARKER = re.compile(r"::(-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))?(?:(?=(\s*::)))?")
# A character that can only be prompt text, never part of a `::-0.5` weight.
TEXT_CHAR = re.compile(r"[^\s:0-9.\-]")
_BRACES = re.compile(r"\{[^{}]*\}|[{}]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_ATTACHED = re.compile(r"(v|version|niji)([0-9]+(?:\.[0-9]+)?)$", re.I)
ATTACHED_VERSION = _ATTACHED  # `--v7`: a name that reads as a model version
_NUMERIC = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$")

# Value shapes whose flag owns every word up to the next flag.
_TAKES_ALL = frozenset({"text", "urls", "srefs", "codes"})


class Token(NamedTuple):
    kind: str
    start: int
    end: int
    text: str


class Flag(NamedTuple):
    """One `--flag [value]` occurrence.

    `name` is canonical ("ar" for `--aspect`), or the lower-cased spelling when unknown
    (`known` False). `value` is the raw value text (text[value_start:value_end]) or None.
    `items` are the spans of the value words (several for `--sref url1 url2`; one for `--no`),
    `extras` the spans of words after the flag that are not part of its value.
    `preset`: the name is one of the user's presets (lex(..., presets=...)), not a parameter.
    """

    name: str
    raw_name: str
    value: str | None
    start: int
    end: int
    value_start: int
    value_end: int
    dash: str = "--"
    name_end: int = 0
    items: tuple[tuple[int, int], ...] = ()
    extras: tuple[tuple[int, int], ...] = ()
    known: bool = True
    attached: bool = False
    preset: bool = False

    @property
    def spelling(self) -> str:
        """How the user wrote the flag name, with dashes normalised: `--aspect`."""
        return "--" + self.raw_name

    def item_texts(self, text: str) -> list[str]:
        return [text[a:b] for a, b in self.items]


class Segment(NamedTuple):
    """A multi-prompt segment: text plus the weight written after it (`::2`), if any."""

    text: str
    start: int
    end: int
    weight: float
    weight_text: str | None  # "::2", "::" or None for the last segment without `::`
    weight_start: int
    weight_end: int


class Issue(NamedTuple):
    kind: str
    start: int
    end: int
    detail: str = ""


class Lexed(NamedTuple):
    flags: tuple[Flag, ...]
    image_urls: tuple[Token, ...]
    issues: tuple[Issue, ...]
    body_start: int  # where the text after the leading image URLs starts
    body_end: int  # where the prompt body ends (first flag start, or len(text))


def _lead_urls(text: str, end: int) -> tuple[list[Token], int]:
    urls: list[Token] = []
    pos = 0
    while True:
        m = _LEAD_URL.match(text, pos, end)
        if not m:
            break
        urls.append(Token(IMAGE_URL, m.start(1), m.end(1), m.group(1)))
        pos = m.end()
    return urls, pos


_new = tuple.__new__  # building tokens without the NamedTuple __new__ frame: hundreds per prompt


def markers(text: str, pos: int, end: int):
    """(start, end, weight text or "") of every `::weight` marker in text[pos:end], left to
    right. str.find keeps it linear: a regex that captures the text between markers would
    backtrack quadratically on long runs of single colons."""
    find = text.find
    match = _WEIGHT_NUM.match
    k = find("::", pos, end)
    while k >= 0:
        m = match(text, k + 2, end)
        if m is None:
            yield k, k + 2, ""
            k = find("::", k + 2, end)
        else:
            e = m.end()
            yield k, e, m.group(0)
            k = find("::", e, end)


def body_tokens(text: str, pos: int, end: int) -> list[Token]:
    """Text and weight tokens of text[pos:end] (the prompt body after its image URLs).
    Separate from lex(): lint needs them only for `::` prompts, the highlighter always."""
    tokens: list[Token] = []
    add = tokens.append
    last = pos
    for k, e, _w in markers(text, pos, end):
        chunk = text[last:k]
        stripped = chunk.strip()
        if stripped:
            a = last + chunk.find(stripped[0])
            add(_new(Token, (TEXT, a, a + len(stripped), stripped)))
        add(_new(Token, (WEIGHT, k, e, text[k:e])))
        last = e
    chunk = text[last:end]
    stripped = chunk.strip()
    if stripped:
        a = last + chunk.find(stripped[0])
        add(_new(Token, (TEXT, a, a + len(stripped), stripped)))
    return tokens


def segments_of(tokens: list[Token] | tuple[Token, ...]) -> list[Segment]:
    """Multi-prompt segments from body tokens: each text with the `::weight` after it."""
    segments: list[Segment] = []
    pending: Token | None = None
    for t in tokens:
        if t.kind == TEXT:
            if pending is not None:
                segments.append(Segment(pending.text, pending.start, pending.end, 1.0, None,
                                        pending.end, pending.end))
            pending = t
        elif t.kind == WEIGHT:
            num = t.text[2:]
            w = float(num) if num else 1.0
            if pending is not None:
                segments.append(Segment(pending.text, pending.start, pending.end, w, t.text,
                                        t.start, t.end))
            else:
                segments.append(Segment("", t.start, t.start, w, t.text, t.start, t.end))
            pending = None
    if pending is not None:
        segments.append(Segment(pending.text, pending.start, pending.end, 1.0, None,
                                pending.end, pending.end))
    return segments


def _flag_starts(text: str, aliases: dict[str, str], issues: list[Issue]) -> list[tuple[int, str, str, int]]:
    """(start, dash, name, name_end) of every flag, in order; stray dashes go to `issues`."""
    found: list[tuple[int, str, str, int]] = []
    find = text.find
    k = find("--")
    while k >= 0:
        if k > 0 and not text[k - 1].isspace():
            k = find("--", k + 2)
            continue
        m = _NAME.match(text, k + 2)
        if m is None:
            run = _DASH_RUN.match(text, k)
            stop = run.end() if run else k + 2
            issues.append(Issue(ISSUE_STRAY, k, stop))
            k = find("--", stop)
            continue
        found.append((k, "--", m.group(0), m.end()))
        k = find("--", m.end())
    for dash in ("\u2014", "\u2013"):
        if dash not in text:
            continue
        k = find(dash)
        while k >= 0:
            if k == 0 or text[k - 1].isspace():
                m = _NAME.match(text, k + 1)
                if m is not None:
                    low = m.group(0).lower()
                    if low in aliases or _ATTACHED.match(low):
                        found.append((k, dash, m.group(0), m.end()))
                        issues.append(Issue(ISSUE_EMDASH, k, k + 1, m.group(0)))
            k = find(dash, k + 1)
    if len(found) > 1 and ("\u2014" in text or "\u2013" in text):
        found.sort()
    return found


def lex(text: str, rules: Rules | None = None, presets: frozenset[str] | set[str] = frozenset()) -> Lexed:
    """Flags, leading image URLs and lexical issues of `text`. `presets` are the lower-case
    names of the user's presets: `--name` for one of them is a preset flag (it takes no value)."""
    rules = rules or load_rules()
    aliases = rules.aliases
    defs = rules.flag_defs
    issues: list[Issue] = []

    starts = _flag_starts(text, aliases, issues) if ("-" in text or "\u2014" in text
                                                     or "\u2013" in text) else []
    body_end = starts[0][0] if starts else len(text)
    urls, body_start = _lead_urls(text, body_end)

    flags: list[Flag] = []
    add_flag = flags.append
    n = len(starts)
    text_len = len(text)
    for i, (start, dash, raw, name_end) in enumerate(starts):
        region_end = starts[i + 1][0] if i + 1 < n else text_len
        low = raw.lower()
        canon = aliases.get(low)
        attached = False
        preset = False
        words = [w.span() for w in _WORD.finditer(text, name_end, region_end)]
        items: list[tuple[int, int]] = []
        extras: list[tuple[int, int]] = []
        if canon is None:
            am = _ATTACHED.match(low)
            if am:
                # `--v7` / `--niji6`: the number is glued to the name.
                canon = "niji" if am.group(1).lower() == "niji" else "v"
                vs = start + len(dash) + len(am.group(1))
                items = [(vs, name_end)]
                extras = words
                attached = True
                issues.append(Issue(ISSUE_ATTACHED, start, name_end, canon))
            elif low in presets:
                preset = True
                extras = words  # a preset stands for its whole set of parameters
            else:
                items = words
        else:
            d = defs[canon]
            shape = d.value
            if shape == "none":
                extras = words
            elif shape in _TAKES_ALL:
                if shape != "text":
                    items = words
                elif words:
                    items = [(words[0][0], words[-1][1])]
            elif d.optional_value:
                if words and _NUMERIC.match(text, words[0][0], words[0][1]):
                    items, extras = words[:1], words[1:]
                else:
                    extras = words
            elif words:
                items, extras = words[:1], words[1:]
        if items:
            vs, ve = items[0][0], items[-1][1]
            value: str | None = text[vs:ve]
        else:
            vs = ve = name_end
            value = None
        if attached:
            add_flag(_new(Flag, ("niji" if canon == "niji" else "v", raw[: vs - start - len(dash)],
                                 value, start, ve, vs, ve, dash, vs, tuple(items), tuple(extras),
                                 True, True, False)))
        else:
            add_flag(_new(Flag, (canon if canon is not None else low, raw, value, start,
                                 ve if ve > name_end else name_end, vs, ve, dash, name_end,
                                 tuple(items), tuple(extras), canon is not None, False, preset)))

    if "{" in text or "}" in text:
        for m in _BRACES.finditer(text):
            issues.append(Issue(ISSUE_BRACES, m.start(), m.end()))
    if not text.isprintable() and _CONTROL.search(text):
        for m in _CONTROL.finditer(text):
            issues.append(Issue(ISSUE_CONTROL, m.start(), m.end(), m.group(0)))
    return Lexed(tuple(flags), tuple(urls), tuple(issues), body_start, body_end)


def flag_tokens(text: str, flags: tuple[Flag, ...]) -> list[Token]:
    """Flag, value and extra tokens, in text order (built on demand: lint does not need them)."""
    tokens: list[Token] = []
    add = tokens.append
    for f in flags:
        add(_new(Token, (PRESET if f.preset else FLAG, f.start, f.name_end, text[f.start:f.name_end])))
        for a, b in f.items:
            add(_new(Token, (VALUE, a, b, text[a:b])))
        for a, b in f.extras:
            add(_new(Token, (EXTRA, a, b, text[a:b])))
    return tokens
