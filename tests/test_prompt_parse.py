"""Tokenizer and parser: spans, aliases, values, multi-prompts, model selection, bad input."""

from __future__ import annotations

import pytest

from studio.prompt import MODELS, parse
from studio.prompt.tokens import EXTRA, FLAG, IMAGE_URL, TEXT, VALUE, WEIGHT


def kinds(text: str) -> list[tuple[str, str]]:
    return [(t.kind, t.text) for t in parse(text).tokens]


def test_full_prompt_tokens_have_exact_spans():
    text = "https://a.png castle on a cliff::2 fog::-0.5 --ar 16:9 --v 8.1 --s 250 --no people"
    p = parse(text)
    assert kinds(text) == [
        (IMAGE_URL, "https://a.png"), (TEXT, "castle on a cliff"), (WEIGHT, "::2"),
        (TEXT, "fog"), (WEIGHT, "::-0.5"), (FLAG, "--ar"), (VALUE, "16:9"), (FLAG, "--v"),
        (VALUE, "8.1"), (FLAG, "--s"), (VALUE, "250"), (FLAG, "--no"), (VALUE, "people"),
    ]
    for t in p.tokens:
        assert text[t.start:t.end] == t.text
    assert p.model == "8.1"
    assert p.image_urls == ["https://a.png"]
    assert [(s.text, s.weight) for s in p.text_segments] == [("castle on a cliff", 2.0), ("fog", -0.5)]
    ar = p.flags[0]
    assert (ar.name, ar.raw_name, ar.value) == ("ar", "ar", "16:9")
    assert text[ar.start:ar.end] == "--ar 16:9"
    assert text[ar.value_start:ar.value_end] == "16:9"


@pytest.mark.parametrize("spelling,canonical", [
    ("--ar 3:2", "ar"), ("--aspect 3:2", "ar"), ("--s 10", "s"), ("--stylize 10", "s"),
    ("--c 5", "c"), ("--chaos 5", "c"), ("--w 5", "w"), ("--weird 5", "w"), ("--q 2", "q"),
    ("--quality 2", "q"), ("--v 7", "v"), ("--version 7", "v"), ("--style raw", "style"),
    ("--raw", "raw"), ("--niji 6", "niji"), ("--iw 2", "iw"), ("--sw 10", "sw"), ("--sv 4", "sv"),
    ("--cw 10", "cw"), ("--ow 10", "ow"), ("--exp 5", "exp"), ("--p abc", "p"), ("--tile", "tile"),
    ("--draft", "draft"), ("--hd", "hd"), ("--sd", "sd"), ("--fast", "fast"), ("--turbo", "turbo"),
    ("--relax", "relax"), ("--seed 7", "seed"), ("--stop 50", "stop"), ("--bs 2", "bs"),
    ("--batchsize 2", "bs"), ("--r 2", "repeat"), ("--repeat 2", "repeat"), ("--AR 3:2", "ar"),
])
def test_aliases_map_to_canonical_names(spelling, canonical):
    p = parse("cat " + spelling)
    assert [f.name for f in p.flags] == [canonical]
    assert p.flags[0].spelling.lower() == spelling.split()[0].lower()


def test_no_takes_every_word_up_to_the_next_flag():
    text = "Beautiful garden --no weeds, dead plants, brown leaves --ar 1:1"
    p = parse(text)
    no = p.flags[0]
    assert no.value == "weeds, dead plants, brown leaves"
    assert text[no.start:no.end] == "--no weeds, dead plants, brown leaves"
    assert p.flags[1].value == "1:1"


def test_url_flags_take_several_urls_and_sref_codes():
    text = "cat --sref https://a.png 12345 random --cref https://b.png https://c.png --oref https://d.png"
    p = parse(text)
    assert p.flags[0].item_texts(text) == ["https://a.png", "12345", "random"]
    assert p.flags[1].item_texts(text) == ["https://b.png", "https://c.png"]
    assert p.flags[2].item_texts(text) == ["https://d.png"]


def test_single_value_flag_leaves_extra_words_as_extra_tokens():
    p = parse("cat --ar 16:9 more words")
    assert p.flags[0].value == "16:9"
    assert [t.text for t in p.tokens if t.kind == EXTRA] == ["more", "words"]


def test_boolean_flag_has_no_value():
    p = parse("cat --tile --raw")
    assert [(f.name, f.value) for f in p.flags] == [("tile", None), ("raw", None)]
    assert p.flags[0].value_start == p.flags[0].value_end == p.flags[0].name_end


def test_optional_values_only_take_numbers():
    p = parse("cat --niji --exp --tile")
    assert [(f.name, f.value) for f in p.flags] == [("niji", None), ("exp", None), ("tile", None)]
    p = parse("cat --niji 6 --exp 25")
    assert [(f.name, f.value) for f in p.flags] == [("niji", "6"), ("exp", "25")]


def test_em_dash_before_a_known_flag_is_a_flag_and_an_issue():
    text = "cat \u2014ar 16:9 \u2013s 100 a \u2014 dash \u2014notaflag"
    p = parse(text)
    assert [(f.name, f.dash, f.value) for f in p.flags] == [("ar", "\u2014", "16:9"), ("s", "\u2013", "100")]
    assert [i.kind for i in p.issues] == ["emdash", "emdash"]


def test_dashes_inside_words_are_not_flags():
    p = parse("state-of-the-art a--b https://x.com/a--b.png --ar 1:1")
    assert [f.name for f in p.flags] == ["ar"]


def test_stray_dashes_are_issues_not_flags():
    p = parse("cat -- dog --- --ar 1:1 --")
    assert [f.name for f in p.flags] == ["ar"]
    assert [(i.kind, i.start, i.end) for i in p.issues] == [
        ("stray-dashes", 4, 6), ("stray-dashes", 11, 14), ("stray-dashes", 24, 26)]


def test_attached_version_is_read():
    p = parse("cat --v7 --draft")
    assert p.model == "7"
    v = p.flags[0]
    assert (v.name, v.value, v.attached) == ("v", "7", True)
    assert parse("cat --v6.1").model == "6.1"
    assert parse("cat --niji6").model == "niji6"


@pytest.mark.parametrize("text,model", [
    ("cat", "7"), ("cat --v 6", "6"), ("cat --v 6.0", "6"), ("cat --version 6.1", "6.1"),
    ("cat --v 7", "7"), ("cat --v 8", "8"), ("cat --v 8.1", "8.1"), ("cat --niji 6", "niji6"),
    ("cat --niji", "niji6"), ("cat --v 6 --v 8.1", "8.1"), ("cat --v 5", "7"), ("cat --niji 5", "7"),
])
def test_model_follows_version_flags_default_v7(text, model):
    assert parse(text).model == model


def test_default_model_is_the_callers_when_prompt_names_none():
    assert parse("cat", default_model="8.1").model == "8.1"
    assert parse("cat", default_model="v6").model == "6"
    assert parse("cat --v 7", default_model="8.1").model == "7"
    assert parse("cat", default_model="bogus").model == "7"


def test_models_list_is_ordered_with_labels():
    assert [m.id for m in MODELS] == ["6", "6.1", "7", "8", "8.1", "niji6"]
    assert [m["label"] for m in MODELS] == ["v6", "v6.1", "v7", "v8", "v8.1", "niji 6"]


def test_multi_prompt_segments():
    p = parse("Hot:: dog:: animal --ar 16:9")
    assert [(s.text, s.weight) for s in p.text_segments] == [("Hot", 1.0), ("dog", 1.0), ("animal", 1.0)]
    p = parse("Beach::2 mountain forest")
    assert [(s.text, s.weight_text) for s in p.text_segments] == [("Beach", "::2"), ("mountain forest", None)]


@pytest.mark.parametrize("text", [
    "", " ", "--", "::", ":::::", "::-", "--ar", "--no", "--sref", "—", "— —ar", "{", "}", "{a,b}",
    "\x00\x01\x7f", "\u202e\u200b", "🐱 --ar 🐱:🐱", "x" * 9000, "--" * 500, "::2::-1::.5",
    "https://", "https://a.png", "--v", "--v 99", "--niji 5", "--ar 1:", "--s -5", "a\nb\tc",
    "--\u2014ar", "\u2014", "--v8.1.2", "--exp --exp 5", "http://a http://b",
])
def test_bad_input_never_crashes_and_spans_stay_inside(text):
    p = parse(text)
    n = len(text)
    for t in p.tokens:
        assert 0 <= t.start <= t.end <= n
        assert text[t.start:t.end] == t.text
    for f in p.flags:
        assert 0 <= f.start <= f.value_start <= f.value_end <= n
        assert f.end <= n
    for i in p.issues:
        assert 0 <= i.start <= i.end <= n


@pytest.mark.parametrize("text", ["a::" + ":b" * 4000, ":b" * 4000, "a::" + "b:" * 4000,
                                  "--sref " + "https://a::" * 800])
def test_long_runs_of_colons_stay_linear(text):
    """A regex over the text between `::` markers used to backtrack quadratically here (about
    a second per keystroke); the bound is a thousand times the linear cost, not a benchmark."""
    import time

    t0 = time.perf_counter()
    p = parse(text)
    assert p.tokens is not None and p.text_segments is not None
    assert time.perf_counter() - t0 < 0.5
