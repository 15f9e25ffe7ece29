"""lint_set: every prompt a typed text stands for, each against its own model, findings shown on
the typed text, the total cost; and `legnext-studio lint --json` reporting it."""

from __future__ import annotations

import io
import json

from studio.prompt import lint
from studio.prompt.diagnostics import apply_fix
from studio.prompt.presets import Preset, PresetBook
from studio.prompt.prompt_set import lint_set
from studio.prompt.cli import main
from studio.store import preset_file


def test_a_plain_prompt_is_its_own_one_prompt():
    r = lint_set("castle --ar 16:9")
    assert r.expanded is None and [p.text for p in r.prompts] == ["castle --ar 16:9"]
    assert r.diagnostics == lint("castle --ar 16:9").diagnostics and r.ok


def test_each_prompt_against_its_own_model_with_the_total_cost():
    text = "castle --{v 7, niji 6} --draft"
    r = lint_set(text)
    assert [p.text for p in r.prompts] == ["castle --v 7 --draft", "castle --niji 6 --draft"]
    assert [p.model for p in r.prompts] == ["7", "niji6"] and r.models == ("7", "niji6")
    assert not r.ok
    (d,) = r.errors
    assert d.message.startswith("Prompt 2 of 2: ") and "niji 6" in d.message
    assert d.prompts == (1,)
    assert text[d.span[0]:d.span[1]] == "--draft"
    assert r.cost.credits == sum(p.cost.credits for p in r.prompts) == 160


def test_a_fix_inside_an_option_applies_to_the_typed_text():
    text = "castle --s {100, 5000}"
    r = lint_set(text)
    (d,) = r.errors
    assert (text[d.span[0]:d.span[1]], d.fix) == ("5000", "1000")
    assert apply_fix(text, d) == "castle --s {100, 1000}"
    assert lint_set(apply_fix(text, d)).ok


def test_a_fix_on_text_shared_with_prompts_it_does_not_concern_is_withheld():
    text = "castle --{v 7, v 6} --q 4"
    (d,) = lint_set(text).errors
    assert d.prompts == (1,) and d.fix is None
    (d,) = lint_set("castle --{v 7, v 6 --q 4}").errors  # typed for the v6 prompt only
    assert d.fix == "2"


def test_findings_in_every_prompt_are_shown_once_without_a_prefix():
    r = lint_set("castle {red, blue} --s 5000")
    (d,) = r.errors
    assert d.prompts is None and d.message.startswith("`--s 5000`")


def test_bad_sets_send_nothing():
    for text, code in [("a {red bird", "permutation-unbalanced"), ("a {} bird", "permutation-empty"),
                       ("{a,b,c,d,e,f,g} {1,2,3,4,5,6,7}", "permutation-too-many")]:
        r = lint_set(text)
        assert not r.ok and r.prompts == () and code in [d.code for d in r.errors], text
        assert "permutation-unsupported" not in [d.code for d in r.diagnostics]


def test_the_server_view_still_refuses_braces():
    assert [d.code for d in lint("a {red, blue} bird").errors] == ["permutation-unsupported"] * 1


def test_a_preset_that_breaks_a_rule_is_shown_on_its_name_with_the_reason():
    book = PresetBook((Preset("soft", "--stop 50", models=("7",)),))
    text = "castle --v 8.1 --soft"
    r = lint_set(text, presets=book)
    assert [p.text for p in r.prompts] == ["castle --v 8.1 --stop 50"]
    errors = r.errors
    assert len(errors) == 1 and text[errors[0].span[0]:errors[0].span[1]] == "--soft"
    assert errors[0].message.startswith("In preset `--soft`: `--stop` is not supported by v8.1")
    assert errors[0].fix is None  # the preset is not the typed text: no blind fix
    warnings = [d for d in r.diagnostics if d.code == "preset-model"]
    assert warnings and "saved for v7, not v8.1" in warnings[0].message
    assert r.parsed.flags[-1].preset  # the typed text reads --soft as one preset token


def test_sets_and_presets_together():
    book = PresetBook((Preset("wide", "--ar 16:9"), Preset("tall", "--ar 9:16")))
    r = lint_set("a lighthouse --{wide, tall}", presets=book)
    assert [p.text for p in r.prompts] == ["a lighthouse --ar 16:9", "a lighthouse --ar 9:16"]
    assert r.ok and r.cost.credits == 160


def test_the_suffix_is_added_to_every_prompt():
    book = PresetBook(suffix="--s 250")
    r = lint_set("castle {a, b}", presets=book)
    assert [p.text for p in r.prompts] == ["castle a --s 250", "castle b --s 250"]


def run(argv):
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_cli_json_reports_prompts_total_cost_and_per_prompt_diagnostics():
    code, out, _ = run(["--json", "a {red, blue} bird --{v 7, v 6} --q 4"])
    data = json.loads(out)
    assert code == 1
    assert data["prompts"] == ["a red bird --v 7 --q 4", "a red bird --v 6 --q 4",
                               "a blue bird --v 7 --q 4", "a blue bird --v 6 --q 4"]
    assert data["cost"]["credits"] == sum(p["cost"]["credits"] for p in data["expanded"])
    (d,) = data["diagnostics"]
    # --q 4 is typed once for all four prompts: a fix for the v6 ones would change the v7 ones.
    assert d["code"] == "value-not-allowed" and d["prompts"] == [1, 3] and d["fix"] is None
    assert [len(p["diagnostics"]) for p in data["expanded"]] == [0, 1, 0, 1]


def test_cli_json_single_prompt_is_a_one_item_list():
    code, out, _ = run(["--json", "castle --ar 16:9"])
    data = json.loads(out)
    assert code == 0 and data["prompts"] == ["castle --ar 16:9"] and "expanded" not in data


def test_cli_reads_the_users_presets(tmp_path):
    preset_file.save(PresetBook((Preset("gloomy", "--ar 16:9 --s 400"),)))
    code, out, _ = run(["--json", "castle --gloomy"])
    assert code == 0 and json.loads(out)["prompts"] == ["castle --ar 16:9 --s 400"]
    code, out, _ = run(["--json", "--no-presets", "castle --gloomy"])
    assert code == 1 and json.loads(out)["diagnostics"][0]["code"] == "flag-unknown"


def test_cli_says_when_the_presets_file_is_damaged():
    path = preset_file.presets_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{oops")
    code, _out, err = run(["castle"])
    assert code == 0 and "not JSON" in err and "kept as presets.json.damaged-" in err


from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

FUZZ_BOOK = PresetBook((Preset("wide", "--ar 16:9 --wide2"), Preset("wide2", "--s 900", "fog"),
                        Preset("loop", "--loop2"), Preset("loop2", "--tile")), suffix="--c 5")
PIECES = st.sampled_from(["{", "}", ",", "\\,", " ", "a", "--wide", "--loop", "--v 7", "niji 6",
                          "--s", "5000", "--q 4", "--ar", "1:1", "🐱", "::2", "--", "—"])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=80), st.lists(PIECES, max_size=30).map("".join)), st.booleans())
def test_lint_set_never_raises_and_spans_stay_in_the_typed_text(text, with_book):
    r = lint_set(text, presets=FUZZ_BOOK if with_book else None)
    assert len(r.prompts) <= 40
    for d in r.diagnostics:
        assert 0 <= d.span[0] <= d.span[1] <= len(text)
        if d.fix is not None:
            apply_fix(text, d)
