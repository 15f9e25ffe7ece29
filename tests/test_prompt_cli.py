"""`legnext-studio lint` (studio.prompt.cli.main) output and exit status."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

from studio.prompt.cli import main

ROOT = Path(__file__).resolve().parent.parent


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_error_exits_1_and_prints_diagnostic_and_cost():
    code, out, _ = run(["castle --v 8.1 --q 2"])
    assert code == 1
    assert "error[flag-rejected]" in out and "`--q` is not accepted by v8.1" in out
    assert "cost: 80 credits" in out and "model: v8.1" in out


def test_clean_prompt_exits_0():
    code, out, _ = run(["castle --ar 16:9"])
    assert code == 0 and "no problems found" in out


def test_warnings_only_exit_0():
    code, out, _ = run(["castle --s 100 --s 200"])
    assert code == 0 and "warning[duplicate-flag]" in out


def test_a_value_outside_the_documented_range_exits_1_with_the_nearest_value():
    code, out, _ = run(["castle --s 5000"])
    assert code == 1 and "error[value-range]" in out and "[fix: '1000']" in out


def test_model_option_is_the_default_model():
    assert run(["castle --q 2", "--model", "v8.1"])[0] == 1
    assert run(["castle --q 2 --v 7", "--model", "v8.1"])[0] == 0
    assert run(["--model=8.1", "castle --q 2"])[0] == 1


def test_json_output_shape():
    text = "castle --v 8.1 --q 2 \u2014ar 16:9"
    code, out, _ = run([text, "--json"])
    assert code == 1
    data = json.loads(out)
    assert set(data) == {"model", "prompts", "diagnostics", "cost"}
    assert data["model"] == "8.1" and data["prompts"] == [text]
    assert set(data["cost"]) == {"credits", "reasons"} and data["cost"]["credits"] == 80
    for d in data["diagnostics"]:
        assert set(d) == {"severity", "code", "message", "start", "end", "fix"}
    q = next(d for d in data["diagnostics"] if d["code"] == "flag-rejected")
    assert text[q["start"]:q["end"]] == "--q 2" and q["fix"] == ""
    dash = next(d for d in data["diagnostics"] if d["code"] == "emdash")
    assert text[dash["start"]:dash["end"]] == "\u2014" and dash["fix"] == "--"


def test_video_option():
    code, out, _ = run(["https://a.png waves --motion high --bs 2", "--video", "--json"])
    data = json.loads(out)
    assert code == 0 and data["diagnostics"] == [] and data["cost"]["credits"] == 240
    assert run(["https://a.png waves --bs 2"])[0] == 1  # --bs is video-only


def test_prompt_that_looks_like_an_option():
    code, out, _ = run(["--tile", "--json"])
    assert code == 0 and json.loads(out)["model"] == "7"


def test_bad_usage_exits_2():
    code, _, err = run(["castle", "--model", "v5"])
    assert code == 2 and "unknown model" in err
    assert run([])[0] == 2


def test_module_entry_point_as_a_subprocess():
    proc = subprocess.run([sys.executable, "-m", "studio.prompt.cli", "castle --v 8.1 --no people",
                           "--json"], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          encoding="utf-8")
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)
    assert data["diagnostics"][0]["code"] == "flag-rejected"
