"""Per-model rules, table-driven from the docs' Model Parameter Comparison table.

The table below is transcribed from REFERENCE.md › Model Information › Model Parameter
Comparison (the spec); the tests check that lint() behaves as each cell says, for every row
and every model, independently of how resources/rules/*.json encodes it.
"""

from __future__ import annotations

import json
import re

import pytest

from studio.prompt import lint
from studio.prompt.diagnostics import apply_fix
from studio.prompt.rules import RULES_DIR, load_rules

MODELS = ["v6", "v6.1", "v7", "v8", "v8.1", "niji 6", "video"]
SELECT = {"v6": "--v 6", "v6.1": "--v 6.1", "v7": "--v 7", "v8": "--v 8", "v8.1": "--v 8.1",
          "niji 6": "--niji 6"}
X = "🚫"
REMOVED = "🚫 (removed)"

# row: (flag as written, needs, cells for v6, v6.1, v7, v8, v8.1, niji 6, video)
TABLE: dict[str, tuple[str, str, list[str]]] = {
    "Original Mode": ("--raw", "", ["raw"] * 7),
    "Tile": ("--tile", "", ["true/false"] * 6 + [X]),
    "Chaos": ("--c", "", ["0-100"] * 6 + [X]),
    "Seed": ("--seed", "", ["0-4294967295"] * 6 + [X]),
    "Stop": ("--stop", "", ["10-100", "10-100", "10-100", X, X, "10-100", X]),
    "Weird": ("--w", "", ["0-3000"] * 6 + [X]),
    "Stylize": ("--s", "", ["0-1000"] * 6 + [X]),
    "Quality": ("--q", "", ["(1, 2)", "(0.5, 1, 2)", "(1, 2, 4)", "(1, 4)", REMOVED, "(0.5, 1, 2)", X]),
    "HD Mode": ("--hd", "", [X, X, X, "✓ (4x cost)", "Default (no flag)", X, X]),
    "Fast Mode": ("--fast", "", ["✓"] * 7),
    "Turbo Mode": ("--turbo", "", ["✓", "✓", "✓", X, X, "✓", "✓"]),
    "Relax Mode": ("--relax", "", [X] * 7),
    "Image Weight": ("--iw", "image", ["0-3"] * 6 + [X]),
    "Negative Prompt (--no)": ("--no", "", [X, "✓", "✓", "✓", REMOVED, X, X]),
    "Style Reference": ("--sref", "", ["✓"] * 6 + [X]),
    "Omni Reference (--oref)": ("--oref", "", [X, X, "✓", "✓", REMOVED, X, X]),
    "Character Reference (--cref)": ("--cref", "", ["✓", "✓", "✓", "Replaced by --oref", REMOVED, "✓", X]),
    "Style Version (--sv)": ("--sv", "sref", ["(1, 2, 3, 4)"] * 3 + ["6 (legacy, 4x cost)", "(1, 2, 3, 4)", "(1, 2, 3, 4)", X]),
    "Style Weight": ("--sw", "sref", ["0-1000"] * 6 + [X]),
    "Draft": ("--draft", "", [X, X, "✓", X, X, X, X]),
    "Experimental": ("--exp", "", [X, X, "0-100", "✓", "✓", X, X]),
    "Personalization (--p)": ("--p", "", [X, X, "✓", "✓ (V7 compatible)", "✓ (V7 compatible)", X, X]),
}

# Every 🚫 cell is an error (issue 13): "no support for this parameter" is a documented limit,
# and a flag sent on a guess spends credits on a request the docs do not cover. The cells the
# docs also word as refusals keep their own codes (unsupported / rejected).
REFUSED_CELLS = {("Relax Mode", m) for m in MODELS} | {("Turbo Mode", "v8"), ("Turbo Mode", "v8.1")}

URL = "https://example.com/ref.png"
SAMPLE_VALUE = {"--sref": URL, "--oref": URL, "--cref": URL, "--no": "people, cars", "--p": "abc123"}


def build(model: str, flag: str, value: str | None, needs: str) -> tuple[str, int]:
    """A prompt for `model` ending in `flag value`; returns it and where the flag starts."""
    video = model == "video"
    head = "https://example.com/start.png a lighthouse"
    if needs == "sref" and not video:
        head += f" --sref {URL}"
    if not video:
        head += " " + SELECT[model]
    text = head + " " + flag + (f" {value}" if value is not None else "")
    return text, len(head) + 1


def run(model: str, text: str):
    return lint(text, video=(model == "video"))


def on_flag(result, start: int):
    return [d for d in result.diagnostics if d.span[0] >= start]


def cells():
    for row, (flag, needs, values) in TABLE.items():
        for model, cell in zip(MODELS, values):
            yield pytest.param(row, flag, needs, model, cell, id=f"{row}-{model}")


def _range(cell: str) -> tuple[int, int] | None:
    m = re.fullmatch(r"(\d+)-(\d+)", cell)
    return (int(m.group(1)), int(m.group(2))) if m else None


def _set(cell: str) -> list[float] | None:
    m = re.match(r"\(([\d., ]+)\)$", cell)
    if m:
        return [float(x) for x in m.group(1).split(",")]
    m = re.match(r"(\d+) \(legacy", cell)
    return [float(m.group(1))] if m else None


def _fmt(x: float) -> str:
    return str(int(x)) if x.is_integer() else str(x)


@pytest.mark.parametrize("row,flag,needs,model,cell", list(cells()))
def test_comparison_table_cell(row, flag, needs, model, cell):
    rng, allowed = _range(cell), _set(cell)
    if rng is not None:
        for v in rng:
            text, start = build(model, flag, str(v), needs)
            assert on_flag(run(model, text), start) == [], (text, cell)
        if rng[0] > 0:
            text, start = build(model, flag, str(rng[0] - 1), needs)
            ds = on_flag(run(model, text), start)
            assert [(d.severity, d.code, d.fix) for d in ds] == [("error", "value-range", str(rng[0]))]
            assert lint(apply_fix(text, ds[0]), video=(model == "video")).ok
        text, start = build(model, flag, str(rng[1] + 1), needs)
        result = run(model, text)
        ds = on_flag(result, start)
        assert [(d.severity, d.code, d.fix) for d in ds] == [("error", "value-range", str(rng[1]))]
        assert not result.ok
        assert model in ds[0].message or (model == "video" and "video" in ds[0].message)
        assert "clamp" not in ds[0].message  # the docs never say Midjourney clamps
        assert lint(apply_fix(text, ds[0]), video=(model == "video")).ok
        return
    if allowed is not None:
        for v in allowed:
            text, start = build(model, flag, _fmt(v), needs)
            assert on_flag(run(model, text), start) == [], (text, cell)
        outside = [v for v in (0.25, 0.5, 1, 2, 3, 4, 6) if v not in allowed]
        text, start = build(model, flag, _fmt(outside[0]), needs)
        ds = on_flag(run(model, text), start)
        assert [(d.severity, d.code) for d in ds] == [("error", "value-not-allowed")], text
        assert ds[0].fix is not None and float(ds[0].fix) in allowed
        assert lint(apply_fix(text, ds[0]), video=(model == "video")).ok
        for v in allowed:
            assert _fmt(v) in ds[0].message
        return
    value = SAMPLE_VALUE.get(flag)
    text, start = build(model, flag, value, needs)
    result = run(model, text)
    ds = on_flag(result, start)
    shown = flag
    if cell in ("✓", "raw", "true/false", "0-100") or cell.startswith("✓"):
        assert ds == [], (text, ds)
        assert result.ok
    elif cell == REMOVED:
        assert [(d.severity, d.code, d.fix) for d in ds] == [("error", "flag-rejected", "")]
        assert f"`{shown}`" in ds[0].message and "v8.1" in ds[0].message
        assert text[ds[0].span[0]:ds[0].span[1]].startswith(flag)
        assert lint(apply_fix(text, ds[0])).ok
    elif cell == "Default (no flag)":
        assert [(d.severity, d.code, d.fix) for d in ds] == [("warning", "flag-noop", "")]
        assert result.ok
    elif cell == "Replaced by --oref":
        assert [(d.severity, d.code, d.fix) for d in ds] == [("error", "flag-replaced", "--oref")]
        assert not result.ok
        assert lint(apply_fix(text, ds[0])).ok
    elif cell == X:
        assert [d.severity for d in ds] == ["error"], (text, ds)
        refused = {"flag-unsupported", "flag-rejected"}
        assert (ds[0].code in refused) == ((row, model) in REFUSED_CELLS), ds[0].code
        assert f"`{shown}`" in ds[0].message
        assert ds[0].fix == ""  # removing the flag is the fix
        assert not result.ok
        assert lint(apply_fix(text, ds[0]), video=(model == "video")).ok
    else:  # pragma: no cover - a transcription mistake in TABLE
        raise AssertionError(f"unhandled cell {cell!r}")


@pytest.mark.parametrize("model,cell", list(zip(MODELS[:6], ["Subtle & Creative"] * 3 + ["Not needed (native 2K)"] * 2 + ["Subtle & Creative"])))
def test_upscale_row(model, cell):
    text = "a lighthouse " + SELECT[model]
    ds = [d for d in lint(text, task="upscale").diagnostics if d.code == "task-unavailable"]
    if cell.startswith("Not needed"):
        assert len(ds) == 1 and ds[0].severity == "warning" and "Not needed" in ds[0].message
    else:
        assert ds == []


# ---- the explicit rejections, no-ops and unsupported features -----------------------------

@pytest.mark.parametrize("flag", ["--q 1", "--quality 2", "--cref " + URL, "--cw 50", "--oref " + URL,
                                  "--ow 100", "--no people", "--turbo", "--sd"])
def test_v81_rejects_removed_flags_with_http_400_errors(flag):
    text = f"a lighthouse --v 8.1 {flag}"
    r = lint(text)
    assert not r.ok
    (d,) = r.errors
    assert d.code == "flag-rejected"
    assert text[d.span[0]:d.span[1]] == flag
    assert d.fix == ""
    assert "v8.1" in d.message and flag.split()[0] in d.message and d.message.endswith("remove it")


def test_v81_quality_message_is_exact():
    d = lint("castle --v 8.1 --q 2").errors[0]
    assert d.message == ("`--q` is not accepted by v8.1 (quality tiers were removed; HD is the "
                         "default) — remove it")


def test_default_model_from_caller_applies_v81_rules():
    assert not lint("castle --q 2", model="8.1").ok
    assert lint("castle --q 2", model="7").ok
    assert lint("castle --q 2 --v 7", model="8.1").ok


def test_v81_hd_is_a_noop_warning():
    r = lint("castle --v 8.1 --hd")
    assert r.ok
    assert [(d.severity, d.code) for d in r.diagnostics] == [("warning", "flag-noop")]


@pytest.mark.parametrize("flag,code", [
    ("--repeat 3", "flag-unsupported"), ("--r 3", "flag-unsupported"),
    ("--personalize", "flag-unsupported"), ("--stealth", "flag-unsupported"),
    ("--public", "flag-unsupported"), ("--relax", "flag-unsupported"),
    ("--video", "flag-unsupported"), ("--bs 2", "flag-unsupported"),
    ("--batchsize 2", "flag-unsupported"),
])
@pytest.mark.parametrize("model", ["6", "6.1", "7", "8", "8.1", "niji6"])
def test_unsupported_everywhere_is_an_error(flag, code, model):
    r = lint(f"a lighthouse {flag}", model=model)
    assert [d.code for d in r.errors] == [code]
    assert "not supported" in r.errors[0].message


def test_personalize_fix_points_to_p():
    text = "a lighthouse --personalize abc"
    d = lint(text).errors[0]
    assert d.fix == "--p" and text[d.span[0]:d.span[1]] == "--personalize"
    assert lint(apply_fix(text, d)).ok


def test_permutations_are_unsupported_errors():
    text = "a {red, blue} bird --ar {1:1, 16:9}"
    r = lint(text)
    spans = [text[d.span[0]:d.span[1]] for d in r.errors if d.code == "permutation-unsupported"]
    assert spans == ["{red, blue}", "{1:1, 16:9}"]


@pytest.mark.parametrize("size,fix", [("3", "2"), ("0", "1"), ("5", "4"), ("8", "4")])
def test_video_batch_size_outside_1_2_4_is_an_error_with_the_nearest_size(size, fix):
    for ok in ("1", "2", "4"):
        assert lint(f"https://a.png a lighthouse --bs {ok}", video=True).ok
    text = f"https://a.png a lighthouse --bs {size}"
    r = lint(text, video=True)
    assert [(d.severity, d.code, d.fix) for d in r.diagnostics] == [("error", "value-not-allowed", fix)]
    assert "1, 2 or 4" in r.diagnostics[0].message
    assert lint(apply_fix(text, r.diagnostics[0]), video=True).ok


@pytest.mark.parametrize("value,fix", [("4", "high"), ("3", "high"), ("2", "low"), ("1", "low"),
                                       ("medium", None), ("fast", None)])
def test_video_motion_is_low_or_high_only(value, fix):
    assert lint("https://a.png sea --motion high", video=True).diagnostics == []
    assert lint("https://a.png sea --motion low", video=True).diagnostics == []
    text = f"https://a.png sea --motion {value}"
    (d,) = lint(text, video=True).diagnostics
    assert (d.severity, d.code, d.fix) == ("error", "value-not-allowed", fix)
    assert "low | high" in d.message
    if fix is not None:
        assert lint(apply_fix(text, d), video=True).ok


def test_video_only_flags_in_image_prompts_are_errors():
    text = "a lighthouse --motion high --loop --end https://a.png"
    r = lint(text)
    assert not r.ok
    assert [(d.severity, d.code, d.fix) for d in r.diagnostics] == [("error", "flag-ignored", "")] * 3
    fixed = text
    for d in sorted(r.diagnostics, key=lambda d: d.span, reverse=True):
        fixed = apply_fix(fixed, d)
    assert fixed == "a lighthouse" and lint(fixed).ok


@pytest.mark.parametrize("text,fix", [
    ("castle --s 1001", "1000"), ("castle --chaos 101", "100"), ("castle --stop 9", "10"),
    ("castle --seed 4294967296", "4294967295"), ("castle --v 6 --q 4", "2"), ("castle --w -1", "0"),
    ("castle --v 7 --q 3", "2"), ("castle --v 8 --q 2", "1"), ("castle --v 8.1 --sref 1 --sv 6", "4"),
    ("https://a.png castle --iw 3.5", "3"), ("castle --sref 1 --sw 1200", "1000"),
    ("castle --oref https://a.png --ow 0", "1"), ("castle --cref https://a.png --cw 101", "100"),
    ("castle --exp 101", "100"),
])
def test_issue_13_values_outside_the_docs_are_errors_with_the_nearest_value(text, fix):
    r = lint(text)
    assert not r.ok, text
    (d,) = [d for d in r.errors if d.code in ("value-range", "value-not-allowed")]
    assert d.fix == fix
    assert "clamp" not in d.message and d.message.endswith(f"use {fix}")
    assert lint(apply_fix(text, d)).ok


def test_a_decimal_for_a_whole_number_parameter_is_an_error_rounded():
    text = "castle --s 100.6"
    (d,) = lint(text).diagnostics
    assert (d.severity, d.code, d.fix) == ("error", "value-integer", "101")
    assert apply_fix(text, d) == "castle --s 101"


# ---- cross-flag rules -----------------------------------------------------------------------

@pytest.mark.parametrize("model", ["6", "6.1", "8", "8.1", "niji6"])
def test_draft_only_on_v7(model):
    # The parameter list says "V7 and above", the table v7 only: the table (no credits spent
    # on a guess) wins, and the rule's note says so.
    r = lint("sketch --draft", model=model)
    assert not r.ok and [d.code for d in r.diagnostics] == ["flag-ignored"]
    assert "v7" in r.diagnostics[0].message
    assert lint("sketch --draft", model="7").diagnostics == []


@pytest.mark.parametrize("model,code", [("8", "flag-unsupported"), ("8.1", "flag-rejected")])
def test_turbo_not_on_the_v8_family(model, code):
    r = lint("sketch --turbo", model=model)
    assert [d.code for d in r.errors] == [code]


@pytest.mark.parametrize("other", ["--fast", "--turbo", "--q 4"])
@pytest.mark.parametrize("model", ["7", "8"])
def test_oref_incompatible_with_speed_modes_and_q4(other, model):
    text = f"duck --oref {URL} {other}"
    r = lint(text, model=model)
    hits = [d for d in r.diagnostics if d.code == "oref-incompatible"]
    assert len(hits) == 1 and not r.ok  # documented as incompatible: an error
    assert hits[0].severity == "error" and hits[0].fix == ""
    assert text[hits[0].span[0]:hits[0].span[1]] == other
    if not (model == "8" and other == "--turbo"):  # turbo on v8 is itself an error too
        assert lint(apply_fix(text, hits[0]), model=model).ok


def test_oref_with_q2_is_fine():
    assert lint(f"duck --oref {URL} --q 2").diagnostics == []


def test_duplicate_flags_warn_on_all_but_the_last():
    text = "cat --ar 1:1 --s 100 --aspect 16:9 --stylize 200"
    r = lint(text)
    assert r.ok
    dups = [(text[d.span[0]:d.span[1]], d.fix) for d in r.diagnostics if d.code == "duplicate-flag"]
    assert dups == [("--ar 1:1", ""), ("--s 100", "")]


def test_raw_and_style_raw_are_duplicates():
    r = lint("cat --raw --style raw")
    assert [d.code for d in r.diagnostics] == ["duplicate-flag"]
    assert "raw mode" in r.diagnostics[0].message


@pytest.mark.parametrize("text,code", [
    ("cat --fast --turbo", "conflicting-speed"),
    ("cat --v 7 --niji 6", "conflicting-model"),
    ("cat --v 8 --hd --sd", "conflicting-hd-sd"),
])
def test_conflicting_flags(text, code):
    r = lint(text)
    assert code in [d.code for d in r.diagnostics]
    assert all(d.severity != "error" for d in r.diagnostics if d.code == code)


def test_conflicting_model_uses_the_last():
    assert lint("cat --v 7 --niji 6").model == "niji6"
    assert lint("cat --niji 6 --v 6.1").model == "6.1"


def test_v8_migration_hint_offers_the_fix_when_clean():
    text = "cat --v 8 --s 100"
    d = [d for d in lint(text).diagnostics if d.code == "migrate-v8.1"][0]
    assert d.severity == "info" and d.fix == "8.1"
    fixed = apply_fix(text, d)
    assert fixed == "cat --v 8.1 --s 100" and lint(fixed).diagnostics == []


def test_v8_migration_hint_names_blockers():
    d = [d for d in lint("cat --v 8 --q 4 --no dogs").diagnostics if d.code == "migrate-v8.1"][0]
    assert d.fix is None and "`--no`" in d.message and "`--q`" in d.message


@pytest.mark.parametrize("text,code", [
    ("cat --sw 100", "requires-sref"), ("cat --sv 4", "requires-sref"),
    ("cat --cw 50", "requires-cref"), ("cat --ow 50", "requires-oref"),
    ("cat --iw 2", "requires-image-prompt"),
])
def test_weights_without_their_reference_warn(text, code):
    r = lint(text)
    assert [d.code for d in r.diagnostics] == [code] and r.ok


def test_oref_takes_one_image():
    text = f"duck --oref {URL} https://example.com/two.png"
    d = [d for d in lint(text).diagnostics if d.code == "too-many-values"][0]
    assert d.severity == "error"
    assert apply_fix(text, d) == f"duck --oref {URL}"


# ---- values ------------------------------------------------------------------------------------

@pytest.mark.parametrize("value,severity,fix", [
    ("16:9", None, None), ("1920:1080", "info", "16:9"), ("1.39:1", "error", "139:100"),
    ("16x9", "error", "16:9"), ("0:1", "error", None), ("wide", "error", None), ("1:10", "info", None),
])
def test_aspect_ratio_values(value, severity, fix):
    r = lint(f"cat --ar {value}")
    if severity is None:
        assert r.diagnostics == []
    else:
        assert r.diagnostics[0].severity == severity and r.diagnostics[0].fix == fix


def test_non_numbers_are_errors_and_decimals_on_integers_are_rounded():
    assert lint("cat --s abc").errors[0].code == "value-invalid"
    d = lint("cat --s 100.6").diagnostics[0]
    assert (d.severity, d.code, d.fix) == ("error", "value-integer", "101")
    assert lint("cat --seed 4294967296").diagnostics[0].fix == "4294967295"


def test_missing_values_are_errors():
    for text in ("cat --ar", "cat --s", "cat --no", "cat --sref", "cat --v", "cat --ar --s 5"):
        r = lint(text)
        assert [d.code for d in r.errors] == ["value-missing"], text


def test_reference_values_must_be_urls():
    r = lint("cat --cref not-a-url")
    assert r.errors[0].code == "value-invalid"
    assert lint("cat --sref 123 random https://a.png::2").ok


def test_unsupported_model_versions_are_errors():
    for text in ("cat --v 5.2", "cat --niji 5", "cat --v 9"):
        r = lint(text)
        assert [d.code for d in r.errors] == ["model-unsupported"], text
        assert "v8.1" in r.errors[0].message


def test_unknown_flag_is_an_error_with_a_guess():
    text = "cat --stylze 100"
    d = lint(text).diagnostics[0]
    assert (d.severity, d.code, d.fix) == ("error", "flag-unknown", "--stylize")
    assert lint(apply_fix(text, d)).diagnostics == []
    d = lint("cat --gloomy").diagnostics[0]
    assert (d.severity, d.code, d.fix) == ("error", "flag-unknown", None)
    assert "preset" in d.message


def test_em_dash_fix():
    text = "cat \u2014ar 16:9"
    d = lint(text).diagnostics[0]
    assert (d.severity, d.code, d.fix) == ("warning", "emdash", "--")
    assert apply_fix(text, d) == "cat --ar 16:9"


def test_length_limits():
    assert lint("x" * 8192).ok
    r = lint("x" * 8193)
    assert [(d.code, d.span) for d in r.errors] == [("text-too-long", (8192, 8193))]
    assert [d.code for d in lint("").errors] == ["text-empty"]
    assert [d.code for d in lint("   ").errors] == ["text-empty"]


def test_control_characters_are_reported():
    r = lint("cat\x00 dog\nbird")
    assert [(d.severity, d.fix) for d in r.diagnostics if d.code == "control-char"] == [
        ("warning", ""), ("info", " ")]


def test_negative_weights_that_cancel_out_warn():
    assert [d.code for d in lint("cat::-1 dog::-1").diagnostics] == ["weights-sum"]
    assert lint("castle on a cliff::2 fog::-0.5").diagnostics == []
    assert [d.code for d in lint("cat:: ::2 dog").diagnostics] == ["empty-segment"]


# ---- the data files ----------------------------------------------------------------------------

def test_every_rule_carries_a_status_and_a_source():
    statuses = {"ok", "rejected", "unsupported", "noop", "ignored", "replaced"}
    for path in RULES_DIR.glob("*.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        for name, rule in data.get("flags", {}).items():
            if path.name == "common.json":
                assert rule.get("source"), (path.name, name)
                continue
            assert rule["status"] in statuses, (path.name, name)
            assert rule.get("source"), (path.name, name)
            if rule["status"] != "ok":
                assert rule.get("why"), (path.name, name)


def test_every_model_table_covers_every_comparison_row():
    rules = load_rules()
    rows = {"raw", "tile", "c", "seed", "stop", "w", "s", "q", "hd", "fast", "turbo", "relax", "iw",
            "no", "sref", "oref", "cref", "sv", "sw", "draft", "exp", "p"}
    for mid, table in rules.tables.items():
        if mid != "video":
            assert rows <= set(table.flags), mid
