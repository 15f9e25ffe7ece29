"""{a, b} permutations expanded locally: products, nesting, escapes, sets in parameters, caps,
bad input, and the map from each expanded prompt back to the typed text."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from studio.prompt.permute import MAX_DEPTH, MAX_PROMPTS, SourceMap, expand


def texts(text: str) -> list[str]:
    e = expand(text)
    assert e.ok, e.problems
    return [v.text for v in e.variants]


def problem(text: str):
    e = expand(text)
    assert e.variants == () and len(e.problems) >= 1
    return e.problems[0]


# ---- what a set stands for ------------------------------------------------------------------

def test_no_set_is_the_text_itself():
    e = expand("castle --ar 16:9")
    assert not e.has_sets and e.count == 1
    assert [v.text for v in e.variants] == ["castle --ar 16:9"]


def test_several_sets_multiply_last_fastest():
    assert texts("a {red, blue} bird --ar {1:1, 16:9}") == [
        "a red bird --ar 1:1", "a red bird --ar 16:9", "a blue bird --ar 1:1", "a blue bird --ar 16:9"]
    assert expand("{a,b,c} {d,e}").count == 6


def test_sets_nest():
    assert texts("a {red {cat, dog}, blue bird}") == ["a red cat", "a red dog", "a blue bird"]
    assert texts("{x {1, {2, 3}}, y}") == ["x 1", "x 2", "x 3", "y"]


def test_sets_inside_parameters_and_values():
    assert texts("castle --{v 7, niji 6}") == ["castle --v 7", "castle --niji 6"]
    assert texts("castle --s {100, 250}") == ["castle --s 100", "castle --s 250"]
    assert texts("castle --ar {1:1,16:9}") == ["castle --ar 1:1", "castle --ar 16:9"]


def test_escaped_comma_is_text():
    assert texts(r"a {red\, green, blue} bird") == ["a red, green bird", "a blue bird"]


def test_whitespace_is_trimmed_and_never_doubled():
    assert texts("a {  red  ,blue   } bird") == ["a red bird", "a blue bird"]
    assert texts("a {, red} bird") == ["a bird", "a red bird"]
    assert texts("{cat, dog} in fog") == ["cat in fog", "dog in fog"]
    assert texts("fog {, at dusk}") == ["fog", "fog at dusk"]


def test_a_single_option_set_is_that_option():
    assert texts("a {red} bird") == ["a red bird"]


# ---- bad input ------------------------------------------------------------------------------

@pytest.mark.parametrize("text,span", [("a {red, blue bird", (2, 3)), ("a red} bird", (5, 6)),
                                       ("{{a, b}", (0, 1))])
def test_unbalanced_braces(text, span):
    p = problem(text)
    assert p.code == "permutation-unbalanced" and p.span == span
    assert p.fix == ""  # removing the stray brace is the one-key fix


@pytest.mark.parametrize("text", ["a {} bird", "a {,} bird", "a { , } bird", "a {red, {}} bird"])
def test_empty_sets(text):
    p = problem(text)
    assert p.code == "permutation-empty" and "empty set" in p.message
    assert text[p.span[0]] == "{" and text[p.span[1] - 1] == "}"


def test_more_than_forty_is_refused_with_the_arithmetic():
    text = "{a,b,c,d,e,f,g} {1,2,3,4,5,6,7}"  # 49
    p = problem(text)
    assert p.code == "permutation-too-many"
    assert "49 prompts" in p.message and "7 × 7" in p.message and str(MAX_PROMPTS) in p.message
    assert p.span == (0, len(text))
    assert expand(text).count == 49
    assert len(expand("{a,b,c,d,e,f,g,h} {1,2,3,4,5}").variants) == 40  # exactly the cap is fine


def test_huge_products_are_counted_not_built():
    text = " ".join(["{a,b,c}"] * 200)
    p = problem(text)
    assert p.code == "permutation-too-many" and "more than" in p.message


def test_deep_nesting_is_refused():
    deep = "{" * (MAX_DEPTH + 1) + "a" + "}" * (MAX_DEPTH + 1)
    assert problem(deep).code == "permutation-nesting"
    very_deep = "{" * 5000 + "a" + "}" * 5000
    assert problem(very_deep).code == "permutation-nesting"
    ok = "{" * MAX_DEPTH + "a" + "}" * MAX_DEPTH
    assert texts(ok) == ["a"]


# ---- the way back to the typed text -----------------------------------------------------------

def test_source_map_points_into_the_typed_option():
    text = "castle --s {100, 5000} --ar 3:2"
    variants = expand(text).variants
    second = variants[1]
    at = second.text.index("5000")
    a, b, exact, origin = second.map.to_source(at, at + 4)
    assert (text[a:b], exact, origin) == ("5000", True, "")
    at = second.text.index("--ar 3:2")
    a, b, exact, _ = second.map.to_source(at, at + 8)
    assert (text[a:b], exact) == ("--ar 3:2", True)


def test_a_span_across_a_set_boundary_maps_to_the_whole_stretch_inexactly():
    text = "a {red, blue} bird"
    v = expand(text).variants[0]
    a, b, exact, _ = v.map.to_source(0, len(v.text))
    assert (a, b, exact) == (0, len(text), False)


def test_escaped_comma_maps_inexactly_to_its_two_characters():
    text = r"{x\,y, z}"
    v = expand(text).variants[0]
    assert v.text == "x,y"
    assert v.map.to_source(1, 2)[:3] == (2, 4, False)


def test_composed_maps():
    inner = expand("a {b, c} d").variants[1]  # "a c d"
    outer = SourceMap.identity(len(inner.text))
    both = inner.map.then(outer)
    assert both.to_source(2, 3)[:3] == (6, 7, True)


# ---- never raises ---------------------------------------------------------------------------

PIECES = st.sampled_from(["{", "}", ",", "\\,", "\\", " ", "a", "red", "--v 7", "--ar", "1:1",
                          "🐱", "é", "::2", "\n", "{}", "{,}", "--{", "niji 6}"])
TEXTS = st.one_of(st.text(max_size=120), st.lists(PIECES, max_size=60).map("".join))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXTS)
def test_expansion_never_raises_and_maps_stay_inside(text):
    e = expand(text)
    assert bool(e.variants) != bool(e.problems)
    assert len(e.variants) <= MAX_PROMPTS
    for p in e.problems:
        assert 0 <= p.span[0] <= p.span[1] <= len(text)
        assert p.message
    for v in e.variants:
        if e.has_sets:
            assert v.text == v.text.strip()
        assert "{" not in v.text and "}" not in v.text
        for start in range(0, len(v.text) + 1, 7):
            for end in (start, min(len(v.text), start + 3)):
                a, b, exact, _ = v.map.to_source(start, end)
                assert 0 <= a <= b <= len(text)
                if exact:
                    assert text[a:b] == v.text[start:end]
