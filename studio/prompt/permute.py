"""Midjourney's `{a, b}` permutations, expanded here because the API refuses them.

`a {red, blue} bird --ar {1:1, 16:9}` stands for four prompts: several sets multiply (the last
set varies fastest, as Midjourney lists them), sets nest (`{red {cat, dog}, blue bird}`), a set
may stand anywhere, inside a parameter too (`--{v 7, niji 6}`), `\\,` is a comma that does not
separate options, and each option is trimmed of surrounding spaces. One typed text makes at most
MAX_PROMPTS prompts (Midjourney's own cap).

`expand()` never raises: unbalanced braces, an empty set (`{}`, `{,}`), too deep a nesting or
too many combinations come back as problems with the span to show, and then no prompt at all,
so nothing is sent. Each expanded prompt carries a `SourceMap` back to the typed text, so a
diagnostic found in an expanded prompt can be shown (and fixed) where the user typed it.
Pure Python, no Qt.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import NamedTuple

MAX_PROMPTS = 40  # Midjourney's largest permutation batch
MAX_DEPTH = 8  # sets inside sets; deeper nesting is refused (never a use for it, and bounded work)
_COUNT_CAP = 10**12  # counts saturate here: "more than a trillion" needs no exact figure

PERMUTATION_CODES = ("permutation-unbalanced", "permutation-empty", "permutation-too-many",
                     "permutation-nesting")


class Piece(NamedTuple):
    """Output text [out_start, out_end) came from the typed text [src_start, src_end).
    `literal`: copied character for character (a span inside it maps back exactly).
    `origin`: "" for the typed text, else what put it there (a preset name, "suffix")."""

    out_start: int
    out_end: int
    src_start: int
    src_end: int
    literal: bool
    origin: str = ""


class SourceMap:
    """Where each stretch of an expanded prompt came from in the typed text."""

    __slots__ = ("pieces", "_starts", "source_length")

    def __init__(self, pieces: list[Piece] | tuple[Piece, ...], source_length: int) -> None:
        self.pieces = tuple(pieces)
        self._starts = [p.out_start for p in self.pieces]
        self.source_length = source_length

    @classmethod
    def identity(cls, length: int) -> SourceMap:
        return cls([Piece(0, length, 0, length, True)] if length else [], length)

    def _at(self, offset: int) -> int:
        """Index of the piece holding output offset `offset` (the last one at the end)."""
        i = bisect.bisect_right(self._starts, offset) - 1
        return max(0, min(i, len(self.pieces) - 1))

    def to_source(self, start: int, end: int) -> tuple[int, int, bool, str]:
        """(src_start, src_end, exact, origin) for the output span [start, end). `exact` when the
        span lies within one literal piece (a fix for it applies to the typed text as it is)."""
        if not self.pieces:
            return (0, 0, start == end == 0, "")
        end = max(start, end)
        i = self._at(start)
        p = self.pieces[i]
        if start == end:
            if p.literal and p.out_start <= start <= p.out_end:
                at = p.src_start + (start - p.out_start)
                return (at, at, True, p.origin)
            at = p.src_end if start >= p.out_end else p.src_start
            return (at, at, False, p.origin)
        j = self._at(end - 1)
        q = self.pieces[j]
        if i == j and p.literal and p.out_start <= start and end <= p.out_end:
            return (p.src_start + (start - p.out_start), p.src_start + (end - p.out_start), True,
                    p.origin)
        origin = next((x.origin for x in self.pieces[i:j + 1] if x.origin), "")
        # The ends land where they are in their pieces; what lies between is covered whole.
        lo = p.src_start + (max(start, p.out_start) - p.out_start) if p.literal else p.src_start
        hi = q.src_start + (min(end, q.out_end) - q.out_start) if q.literal else q.src_end
        inner = self.pieces[i:j + 1]
        lo = min([lo] + [x.src_start for x in inner[1:]])
        hi = max([hi] + [x.src_end for x in inner[:-1]])
        return (lo, max(lo, hi), False, origin)

    def covers(self, start: int, end: int) -> bool:
        """Whether typed text [start, end) was copied whole into the output (one literal piece)."""
        return any(p.literal and p.src_start <= start and end <= p.src_end and not p.origin
                   for p in self.pieces)

    def then(self, outer: SourceMap) -> SourceMap:
        """The map of a text made from this map's output by `outer` (outer's source is this
        map's output): outer output -> this map's source."""
        pieces: list[Piece] = []
        for op in outer.pieces:
            if op.literal and not op.origin:
                # Split the literal stretch along this map's pieces: each keeps its own nature.
                pos = op.src_start
                while pos < op.src_end:
                    inner = self.pieces[self._at(pos)] if self.pieces else None
                    if inner is None:
                        break
                    stop = min(op.src_end, inner.out_end) if inner.out_end > pos else op.src_end
                    out_a = op.out_start + (pos - op.src_start)
                    out_b = op.out_start + (stop - op.src_start)
                    if inner.literal:
                        a = inner.src_start + (pos - inner.out_start)
                        pieces.append(Piece(out_a, out_b, a, a + (stop - pos), True, inner.origin))
                    else:
                        pieces.append(Piece(out_a, out_b, inner.src_start, inner.src_end, False,
                                            inner.origin))
                    pos = stop
            else:
                a, b, _exact, origin = self.to_source(op.src_start, op.src_end)
                pieces.append(Piece(op.out_start, op.out_end, a, b, False, op.origin or origin))
        return SourceMap(pieces, self.source_length)


@dataclass(frozen=True)
class Problem:
    code: str
    message: str
    span: tuple[int, int]
    fix: str | None = None


@dataclass(frozen=True)
class Variant:
    """One expanded prompt and the way back to the typed text."""

    text: str
    map: SourceMap


@dataclass(frozen=True)
class Expansion:
    source: str
    variants: tuple[Variant, ...]  # empty when there are problems: nothing may be sent
    problems: tuple[Problem, ...]
    count: int  # combinations the sets make (saturates at _COUNT_CAP); 1 without sets
    has_sets: bool
    marks: tuple[int, ...] = ()  # positions of the braces and separating commas (highlighting)

    @property
    def ok(self) -> bool:
        return not self.problems


# ---- the tree ------------------------------------------------------------------------------
# A sequence is a list of items; an item is a text run (start, end, text, literal) or a set
# (start, end, alternatives), each alternative a sequence.

class _Text(NamedTuple):
    start: int
    end: int
    text: str
    literal: bool


class _Set(NamedTuple):
    start: int
    end: int
    alts: list[list]  # list of sequences


class _Frame:
    __slots__ = ("start", "alts")

    def __init__(self, start: int) -> None:
        self.start = start
        self.alts: list[list] = [[]]


def _parse(text: str) -> tuple[list, list[Problem], list[int], int]:
    """(root sequence, problems, marks, deepest nesting). Iterative: any input, any depth."""
    problems: list[Problem] = []
    marks: list[int] = []
    root: list = []
    stack: list[_Frame] = []
    deepest = 0
    run = 0  # start of the pending text run
    i = 0
    n = len(text)

    def current() -> list:
        return stack[-1].alts[-1] if stack else root

    def flush(upto: int) -> None:
        if upto > run:
            current().append(_Text(run, upto, text[run:upto], True))

    while i < n:
        c = text[i]
        if c == "{":
            flush(i)
            stack.append(_Frame(i))
            deepest = max(deepest, len(stack))
            marks.append(i)
            run = i + 1
        elif c == "}":
            if not stack:
                problems.append(Problem(
                    "permutation-unbalanced",
                    "`}` closes no set — remove it, or open the set with `{`", (i, i + 1), ""))
                i += 1
                continue  # left in the text as it is; nothing is sent anyway
            flush(i)
            frame = stack.pop()
            marks.append(i)
            current().append(_Set(frame.start, i + 1, [_trim(alt) for alt in frame.alts]))
            run = i + 1
        elif stack and c == ",":
            flush(i)
            stack[-1].alts.append([])
            marks.append(i)
            run = i + 1
        elif stack and c == "\\" and i + 1 < n and text[i + 1] == ",":
            flush(i)
            current().append(_Text(i, i + 2, ",", False))  # an escaped comma: text, not a split
            run = i + 2
            i += 2
            continue
        i += 1
    if stack:
        for frame in stack:
            problems.append(Problem(
                "permutation-unbalanced",
                "`{` is never closed — close the set with `}`, or remove the `{`",
                (frame.start, frame.start + 1), ""))
        return root, problems, marks, deepest
    flush(n)
    return root, problems, marks, deepest


def _trim(seq: list) -> list:
    """An option without the spaces around it (`{red, blue}` is `red` and `blue`)."""
    seq = list(seq)
    while seq and isinstance(seq[0], _Text) and seq[0].literal:
        t = seq[0]
        stripped = t.text.lstrip()
        if stripped:
            cut = len(t.text) - len(stripped)
            seq[0] = _Text(t.start + cut, t.end, stripped, True)
            break
        seq.pop(0)
    while seq and isinstance(seq[-1], _Text) and seq[-1].literal:
        t = seq[-1]
        stripped = t.text.rstrip()
        if stripped:
            seq[-1] = _Text(t.start, t.start + len(stripped), stripped, True)
            break
        seq.pop()
    return seq


def _count(seq: list) -> int:
    total = 1
    for item in seq:
        if isinstance(item, _Set):
            total = min(_COUNT_CAP, total * max(1, sum(_count(alt) for alt in item.alts)))
    return total


def _sets(seq: list, out: list[_Set]) -> list[_Set]:
    for item in seq:
        if isinstance(item, _Set):
            out.append(item)
            for alt in item.alts:
                _sets(alt, out)
    return out


# A prompt being built: runs (src_start, src_end, text, literal, origin) in output order; a
# run with no text and no width marks a boundary (where an option or a replacement starts/ends).
Run = tuple[int, int, str, bool, str]


def boundary(at: int) -> Run:
    return (at, at, "", False, "")


def _expand(seq: list) -> list[list[Run]]:
    partial: list[list[Run]] = [[]]
    for item in seq:
        if isinstance(item, _Text):
            for p in partial:
                p.append((item.start, item.end, item.text, item.literal, ""))
        else:
            options: list[list[Run]] = []
            for alt in item.alts:
                options.extend(_expand(alt))
            # Each option is marked by a zero-width run at the set's place, so joins know a set
            # boundary is there (and an empty option still has a place in the typed text).
            partial = [p + [boundary(item.start)] + o + [boundary(item.end)]
                       for p in partial for o in options]
    return partial


def assemble(runs: list[Run], source_length: int) -> Variant:
    """Join runs into a prompt: at a boundary, spaces never double (`a {, red} bird` is
    `a bird`), and the prompt has no spaces at its ends."""
    out: list[str] = []
    pieces: list[Piece] = []
    pos = 0
    boundary = True  # the start counts as a boundary: no leading spaces
    for a, b, text, literal, origin in runs:
        if a == b and not text:
            boundary = True
            continue
        if boundary and (pos == 0 or out[-1][-1:].isspace()):
            stripped = text.lstrip()
            cut = len(text) - len(stripped)
            text = stripped
            if literal:
                a += cut
        if not text:
            continue
        boundary = False
        pieces.append(Piece(pos, pos + len(text), a, b if not literal else a + len(text), literal,
                            origin))
        out.append(text)
        pos += len(text)
    # No trailing spaces (the last option may have left one before an empty option).
    while pieces:
        last = pieces[-1]
        body = out[-1]
        trimmed = body.rstrip()
        if trimmed == body:
            break
        cut = len(body) - len(trimmed)
        if trimmed:
            out[-1] = trimmed
            pieces[-1] = last._replace(out_end=last.out_end - cut,
                                       src_end=last.src_end - cut if last.literal else last.src_end)
            break
        out.pop()
        pieces.pop()
    return Variant("".join(out), SourceMap(_merge(pieces), source_length))


def _merge(pieces: list[Piece]) -> list[Piece]:
    """Adjacent literal pieces that are adjacent in the source too become one."""
    merged: list[Piece] = []
    for p in pieces:
        if merged:
            q = merged[-1]
            if (q.literal and p.literal and q.out_end == p.out_start and q.src_end == p.src_start
                    and q.origin == p.origin):
                merged[-1] = q._replace(out_end=p.out_end, src_end=p.src_end)
                continue
        merged.append(p)
    return merged


def _number(n: int) -> str:
    return f"more than {_COUNT_CAP:,}" if n >= _COUNT_CAP else f"{n:,}"


def expand(text: str, limit: int = MAX_PROMPTS) -> Expansion:
    """The prompts `text` stands for (itself alone when it has no set), or the problems."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    if "{" not in text and "}" not in text:
        return Expansion(text, (Variant(text, SourceMap.identity(len(text))),), (), 1, False)
    root, problems, marks, deepest = _parse(text)
    if problems:
        return Expansion(text, (), tuple(problems), 0, True, tuple(marks))
    if deepest > MAX_DEPTH:
        # Checked before walking the tree: the walks below recurse once per level.
        outer = max((item for item in root if isinstance(item, _Set)), key=lambda s: s.end - s.start)
        return Expansion(text, (), (Problem(
            "permutation-nesting",
            f"Sets are nested {deepest} deep; the studio expands at most {MAX_DEPTH} — flatten them",
            (outer.start, outer.end)),), 0, True, tuple(marks))
    for s in _sets(root, []):
        if all(not alt for alt in s.alts):
            problems.append(Problem(
                "permutation-empty",
                f"`{text[s.start:s.end]}` is an empty set — write the options inside it "
                "(e.g. {red, blue}) or remove it", (s.start, s.end), ""))
    if problems:
        return Expansion(text, (), tuple(problems), 0, True, tuple(marks))
    count = _count(root)
    if count > limit:
        top = [item for item in root if isinstance(item, _Set)]
        sizes = [max(1, sum(_count(alt) for alt in s.alts)) for s in top]
        how = " × ".join(str(n) for n in sizes) if 1 < len(sizes) <= 8 else ""
        problems.append(Problem(
            "permutation-too-many",
            f"These sets make {_number(count)} prompts" + (f" ({how})" if how else "")
            + f"; at most {limit} are sent at once — remove options or split the prompt",
            (top[0].start, top[-1].end)))
        return Expansion(text, (), tuple(problems), count, True, tuple(marks))
    variants = tuple(assemble(runs, len(text)) for runs in _expand(root))
    return Expansion(text, variants, (), count, True, tuple(marks))


__all__ = ["Expansion", "MAX_PROMPTS", "PERMUTATION_CODES", "Piece", "Problem", "Run", "SourceMap",
           "Variant", "assemble", "boundary", "expand"]
