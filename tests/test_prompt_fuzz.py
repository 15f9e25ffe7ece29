"""Hypothesis fuzzing: nothing a user can type crashes the parser or linter, spans stay inside
the text, fixes apply cleanly, and set_param round-trips while keeping the rest byte-identical."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from studio.prompt import lint, parse
from studio.prompt.diagnostics import apply_fix
from studio.prompt.params import FIELD_FLAGS, Params, set_param

PIECES = st.sampled_from([
    " ", "  ", "--", "-", "—", "–", "::", "::2", "::-0.5", ":", "{", "}", "\n", "\x00", "🐱", "é",
    "--ar", "--aspect", "16:9", "1.5:1", "--s", "--stylize", "250", "-5", "--no", "cars,",
    "--sref", "https://a.png", "http://b", "random", "123", "--v", "--version", "7", "8.1", "8",
    "--niji", "6", "--q", "4", "--hd", "--turbo", "--fast", "--raw", "--style", "raw", "--tile",
    "--oref", "--cref", "--iw", "--exp", "--p", "--draft", "--seed", "--stop", "--bs", "--motion",
    "high", "--end", "--loop", "--repeat", "--v7", "—ar", "--foo", "castle", "fog", "x",
])
PROMPTS = st.one_of(
    st.text(max_size=200),
    st.lists(PIECES, max_size=40).map("".join),
    st.lists(st.one_of(PIECES, st.text(max_size=5)), max_size=30).map(" ".join),
)
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(PROMPTS, st.booleans(), st.sampled_from([None, "6", "8", "8.1", "niji6"]))
def test_lint_never_crashes_and_spans_are_inside(text, video, model):
    r = lint(text, model=model, video=video)
    n = len(text)
    assert r.model in {"6", "6.1", "7", "8", "8.1", "niji6"}
    assert r.cost.credits >= 0
    for d in r.diagnostics:
        assert 0 <= d.span[0] <= d.span[1] <= n
        assert d.severity in ("error", "warning", "info")
        assert d.message
        if d.fix is not None:
            apply_fix(text, d)
    p = parse(text)
    last = 0
    for t in p.tokens:
        assert last <= t.start <= t.end <= n and text[t.start:t.end] == t.text
        last = t.end
    for f in p.flags:
        assert f.start < f.name_end <= f.end <= n
        if f.value is not None:
            assert text[f.value_start:f.value_end] == f.value


VALUES = st.one_of(
    st.tuples(st.just("aspect"), st.tuples(st.integers(1, 50), st.integers(1, 50)).map(lambda t: f"{t[0]}:{t[1]}")),
    st.tuples(st.sampled_from(["stylize", "chaos", "weird", "seed", "stop", "sw", "cw", "ow", "sv", "bs"]),
              st.integers(0, 5000)),
    st.tuples(st.sampled_from(["quality", "iw"]), st.sampled_from([0.25, 0.5, 1, 2, 4, 1.5])),
    st.tuples(st.sampled_from(["tile", "raw", "draft", "hd", "loop"]), st.booleans()),
    st.tuples(st.just("speed"), st.sampled_from(["fast", "turbo", "relax", None])),
    st.tuples(st.just("model"), st.sampled_from(["6", "6.1", "7", "8", "8.1", "niji6"])),
    st.tuples(st.just("no"), st.lists(st.sampled_from(["people", "cars,", "dead", "plants"]), min_size=1, max_size=4).map(" ".join)),
    st.tuples(st.sampled_from(["sref", "cref", "oref"]),
              st.lists(st.sampled_from(["https://a.png", "https://b.jpg"]), max_size=3)),
    st.tuples(st.just("exp"), st.one_of(st.just(True), st.integers(0, 100))),
)


RELATED = {"model": {"v", "niji"}, "speed": {"fast", "turbo", "relax"}, "raw": {"raw", "style"}}


def _widen(text: str, a: int, b: int) -> tuple[int, int]:
    """A flag's span plus the whitespace around it (which space a removal takes is ambiguous
    to a diff) and anything glued to its end."""
    while b < len(text) and not text[b].isspace():
        b += 1
    while a > 0 and text[a - 1].isspace():
        a -= 1
    while b < len(text) and text[b].isspace():
        b += 1
    return a, b


def _changes_stay_on_the_flag(before: str, after: str, name: str) -> bool:
    """Every edit set_param made lies on a flag of that parameter (plus one adjacent space),
    or is an append at the very end: the rest of the text is byte-identical."""
    names = RELATED.get(name) or {FIELD_FLAGS[name]}
    allowed = [_widen(before, f.start, f.end) for f in parse(before).flags if f.name in names]
    # The text outside those regions must survive intact and in order; anything may change
    # inside them, and something may be appended at the end.
    pieces: list[tuple[int, str]] = []
    pos = 0
    for a, b in sorted(allowed):
        if a > pos:
            pieces.append((pos, before[pos:a]))
        pos = max(pos, b)
    tail = before[pos:]
    at = 0
    for start, piece in pieces:
        found = (0 if after.startswith(piece) else -1) if start == 0 else after.find(piece, at)
        if found < 0:
            return False
        at = found + len(piece)
    if not allowed:
        return after.startswith(before)
    return after.find(tail, at) >= 0 if tail else True


@FUZZ
@given(PROMPTS, VALUES)
def test_set_param_round_trips(text, name_value):
    name, value = name_value
    out = set_param(text, name, value)
    got = getattr(Params.from_text(out), name)
    if name in ("sref", "cref", "oref"):
        assert got == list(value)
    elif name in ("tile", "raw", "draft", "hd", "loop"):
        assert got is value
    else:
        assert got == value
    assert _changes_stay_on_the_flag(text, out, name)
    # Writing the same value again changes nothing.
    assert set_param(out, name, value) == out


MULTI = st.lists(st.sampled_from(["a", " ", ":", "::", "::-1", "::2", "::-0.5", "::0.5", "1", "-",
                                  "::-3", ".", "b c", "\n", "https://a.png "]),
                 min_size=1, max_size=16).map("".join)


@FUZZ
@given(MULTI)
def test_fast_multi_prompt_checks_agree_with_the_segments(text):
    """lint checks `::` prompts with regex passes for speed; they must report exactly what the
    segment model (text_segments) says: each empty segment, and a non-positive weight total."""
    p = parse(text)
    diagnostics = lint(text).diagnostics
    empty = [(s.weight_start, s.weight_end) for s in p.text_segments if not s.text]
    assert [d.span for d in diagnostics if d.code == "empty-segment"] == empty
    with_text = [s for s in p.text_segments if s.text]
    negative = "::-" in text[p.body_start:p.body_end]
    expected = bool(with_text) and negative and sum(s.weight for s in with_text) <= 1e-9
    assert any(d.code == "weights-sum" for d in diagnostics) == expected
