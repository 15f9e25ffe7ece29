"""Two-way editing: the values the parameter panels show, read from prompt text and written back.

`Params.from_text` reads the effective value of each parameter (the last occurrence wins, as in
lint). `set_param` changes one parameter by rewriting only that flag's span — everything else
in the text stays byte-identical: a value is replaced in place, a removed flag takes one
adjacent space with it, a new flag is appended as ` --flag value`.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from studio.prompt.parser import ParsedPrompt, parse
from studio.prompt.rules import load_rules, normalize_model
from studio.prompt.tokens import Flag

_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$")

# Params field -> canonical flag, for the fields that are one plain flag each.
FIELD_FLAGS: dict[str, str] = {
    "aspect": "ar", "stylize": "s", "chaos": "c", "weird": "w", "quality": "q",
    "seed": "seed", "stop": "stop", "sw": "sw", "iw": "iw", "cw": "cw", "ow": "ow", "sv": "sv",
    "tile": "tile", "draft": "draft", "hd": "hd", "sd": "sd", "loop": "loop", "exp": "exp",
    "no": "no", "sref": "sref", "oref": "oref", "cref": "cref", "p": "p", "motion": "motion",
    "bs": "bs", "end": "end",
}
_FLAG_FIELDS = {v: k for k, v in FIELD_FLAGS.items()}
SPEEDS = ("fast", "turbo", "relax")
_LIST_FIELDS = frozenset({"sref", "oref", "cref", "p"})
_BOOL_FIELDS = frozenset({"tile", "draft", "hd", "sd", "loop", "raw"})


def _num(value: str | None) -> int | float | None:
    if value is None or not _NUMBER.match(value):
        return None
    x = float(value)
    return int(x) if x.is_integer() else x


@dataclass
class Params:
    model: str = "7"
    aspect: str | None = None
    stylize: int | float | None = None
    chaos: int | float | None = None
    weird: int | float | None = None
    quality: int | float | None = None
    seed: int | float | None = None
    stop: int | float | None = None
    sw: int | float | None = None
    iw: int | float | None = None
    cw: int | float | None = None
    ow: int | float | None = None
    sv: int | float | None = None
    tile: bool = False
    raw: bool = False
    draft: bool = False
    hd: bool = False
    sd: bool = False
    exp: int | float | bool | None = None  # True for a bare `--exp`
    speed: str | None = None  # "fast" | "turbo" | "relax"
    no: str | None = None
    sref: list[str] = field(default_factory=list)
    oref: list[str] = field(default_factory=list)
    cref: list[str] = field(default_factory=list)
    p: list[str] | None = None  # [] for a bare `--p` (default profile)
    motion: str | None = None
    loop: bool = False
    bs: int | float | None = None
    end: str | None = None
    image_urls: list[str] = field(default_factory=list)

    @classmethod
    def from_text(cls, text: str, default_model: str = "7") -> Params:
        return cls.from_parsed(parse(text, default_model))

    @classmethod
    def from_parsed(cls, parsed: ParsedPrompt) -> Params:
        last: dict[str, Flag] = {}
        raw = False
        speed = None
        for f in parsed.flags:
            last[f.name] = f
            if f.name == "raw" or (f.name == "style" and (f.value or "").lower() == "raw"):
                raw = True
            if f.name in SPEEDS:
                speed = f.name
        text = parsed.text
        out = cls(model=parsed.model, raw=raw, speed=speed, image_urls=parsed.image_urls)
        for fld, name in FIELD_FLAGS.items():
            hit = last.get(name)
            if hit is None:
                continue
            f = hit
            if fld in _BOOL_FIELDS:
                setattr(out, fld, True)
            elif fld in _LIST_FIELDS:
                setattr(out, fld, f.item_texts(text))
            elif fld == "exp":
                out.exp = True if f.value is None else _num(f.value)
            elif fld in ("aspect", "no", "motion"):
                setattr(out, fld, f.value)
            elif fld == "end":
                out.end = text[f.items[0][0]:f.items[0][1]] if f.items else None
            else:
                setattr(out, fld, _num(f.value))
        return out

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# ---- writing ---------------------------------------------------------------------------------

def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        # Slider arithmetic gives 0.30000000000000004; the prompt should say 0.3.
        return f"{value:.6f}".rstrip("0").rstrip(".") or "0"
    return str(value).strip()


def _remove(text: str, spans: list[tuple[int, int]]) -> str:
    """Remove spans (each with one adjacent whitespace character), right to left. Text glued
    to the end of a flag (`--tile--tile`) goes with it: left behind it could read as a flag."""
    for a, b in sorted(spans, reverse=True):
        b = _word_end(text, b)
        if a > 0 and text[a - 1].isspace():
            a -= 1
        elif b < len(text) and text[b].isspace():
            b += 1
        text = text[:a] + text[b:]
    return text


def _append(text: str, fragment: str) -> str:
    sep = "" if not text or text[-1].isspace() else " "
    return text + sep + fragment


def _write_value(text: str, f: Flag, value: str) -> str:
    if f.value is not None:
        a, b = f.value_start, f.value_end
        if a == f.name_end and not f.attached:
            value = " " + value  # `--ar:1` -> keep the value a separate word
        return text[:a] + value + text[b:]
    return text[:f.name_end] + " " + value + text[_word_end(text, f.name_end):]


def _word_end(text: str, at: int) -> int:
    """End of the non-space run at `at`: junk glued to a flag (`--ar:`) is rewritten with it,
    since left behind it would become the value, or even a flag of its own (`--niji--v7`)."""
    n = len(text)
    while at < n and not text[at].isspace():
        at += 1
    return at


def _replace_flag(text: str, f: Flag, fragment: str) -> str:
    return text[:f.start] + fragment + text[_word_end(text, f.end):]


def _resolve(name: str) -> str:
    key = name.strip().lstrip("-").strip()
    low = key.lower()
    if low in ("model", "speed", "raw") or low in FIELD_FLAGS:
        return low
    canon = load_rules().aliases.get(low)
    if canon in ("v", "niji"):
        return "model"
    if canon == "style":
        return "raw"
    if canon is not None:
        return _FLAG_FIELDS.get(canon, canon)
    raise ValueError(f"unknown parameter {name!r}")


def set_param(text: str, name: str, value: Any) -> str:
    """Return `text` with parameter `name` set to `value` (None or False removes it).

    `name` is a Params field ("aspect", "stylize", "model", "speed", "raw", ...) or a flag
    spelling ("ar", "--s", "quality", "turbo"). Raises ValueError when the value cannot be
    written so that it reads back the same (e.g. a `--no` text containing `--`)."""
    field_name = _resolve(name)
    parsed = parse(text)
    if field_name == "model":
        new = _set_model(text, parsed, value)
        expect: Any = normalize_model(value) if value is not None else None
    elif field_name == "speed":
        new = _set_speed(text, parsed, value)
        expect = str(value).strip().lstrip("-").lower() if value else None
    elif field_name == "raw":
        new = _set_raw(text, parsed, bool(value))
        expect = bool(value)
    elif field_name in FIELD_FLAGS or field_name in SPEEDS:
        flag = FIELD_FLAGS.get(field_name, field_name)
        new, expect = _set_flag(text, parsed, field_name, flag, value)
    else:
        new, expect = _set_flag(text, parsed, field_name, field_name, value)
    _check(new, field_name, expect, value)
    return new


def _check(new: str, field_name: str, expect: Any, value: Any) -> None:
    if expect is None and field_name == "model":
        return
    got = Params.from_text(new)
    if field_name in SPEEDS:
        actual: Any = got.speed == field_name
        expect = bool(expect)
    else:
        actual = getattr(got, field_name, None)
    ok = actual == expect
    if not ok and isinstance(expect, (int, float)) and isinstance(actual, (int, float)) \
            and not isinstance(expect, bool) and not isinstance(actual, bool):
        ok = math.isclose(actual, expect, rel_tol=1e-6, abs_tol=1e-6)
    if not ok:
        raise ValueError(f"cannot write {field_name}={value!r} into the prompt")


def _set_flag(text: str, parsed: ParsedPrompt, field_name: str, flag: str,
              value: Any) -> tuple[str, Any]:
    flags = parsed.find(flag)
    defs = load_rules().flag_defs
    shape = defs[flag].value if flag in defs else "text"
    # Bool-shaped: present or absent.
    if shape == "none":
        if not value:
            return _remove(text, [(f.start, f.end) for f in flags]), False
        return (text if flags else _append(text, f"--{flag}")), True
    if field_name == "exp" and value is True:
        if flags:
            f = flags[-1]
            if f.value is None:
                return text, True
            return text[:f.name_end] + text[f.value_end:], True
        return _append(text, "--exp"), True
    # Value-shaped.
    if value is None or value is False or (isinstance(value, str) and not value.strip()) \
            or (isinstance(value, (list, tuple)) and not value and field_name != "p"):
        return _remove(text, [(f.start, f.end) for f in flags]), (
            [] if field_name in _LIST_FIELDS and field_name != "p" else None)
    if isinstance(value, (list, tuple)):
        items = [str(v).strip() for v in value]
        if any(not i or any(c.isspace() for c in i) for i in items):
            raise ValueError(f"cannot write {field_name}={value!r}: list items must be single words")
        rendered = " ".join(items)
        expect: Any = items
    else:
        rendered = _fmt(value)
        if field_name in _LIST_FIELDS:
            expect = rendered.split()
        elif field_name in ("aspect", "no", "motion", "end"):
            expect = rendered
        else:
            if not _NUMBER.match(rendered):
                raise ValueError(f"cannot write {field_name}={value!r}: a number is needed")
            expect = _num(rendered)
    if field_name == "p" and not rendered:
        if flags:
            f = flags[-1]
            return (text if f.value is None else text[:f.name_end] + text[f.value_end:]), []
        return _append(text, "--p"), []
    if flags:
        return _write_value(text, flags[-1], rendered), expect
    return _append(text, f"--{flag} {rendered}"), expect


def _set_model(text: str, parsed: ParsedPrompt, value: Any) -> str:
    flags = [f for f in parsed.flags if f.name in ("v", "niji")]
    if value is None:
        return _remove(text, [(f.start, f.end) for f in flags])
    mid = normalize_model(value)
    if mid is None:
        raise ValueError(f"unknown model {value!r}")
    info = load_rules().model(mid)
    if flags:
        f = flags[-1]
        if parsed.model_flag is f and parsed.model == mid:
            return text
        if f.name == info.selector and info.selector == "v":
            return _write_value(text, f, mid)
        if f.name == info.selector:  # niji
            return _write_value(text, f, "6")
        return _replace_flag(text, f, info.flag_text)
    return _append(text, info.flag_text)


def _set_speed(text: str, parsed: ParsedPrompt, value: Any) -> str:
    flags = [f for f in parsed.flags if f.name in SPEEDS]
    if not value:
        return _remove(text, [(f.start, f.end) for f in flags])
    speed = str(value).strip().lstrip("-").lower()
    if speed not in SPEEDS:
        raise ValueError(f"unknown speed {value!r}; use fast, turbo or relax")
    if flags:
        f = flags[-1]
        if f.name == speed:
            return text
        return text[:f.start] + f"--{speed}" + text[f.name_end:]
    return _append(text, f"--{speed}")


def _set_raw(text: str, parsed: ParsedPrompt, on: bool) -> str:
    flags = [f for f in parsed.flags
             if f.name == "raw" or (f.name == "style" and (f.value or "").lower() == "raw")]
    if not on:
        return _remove(text, [(f.start, f.end) for f in flags])
    return text if flags else _append(text, "--raw")
