"""Presets ("custom options"): names, expansion into the prompt, precedence, cycles, suitability,
the versioned file format, and the file in the config folder (atomic, nothing lost)."""

from __future__ import annotations

import json
import os

import pytest

from studio.prompt.presets import (FORMAT, VERSION, NewerPresetFile, Preset, PresetBook, PresetFileError,
                                   apply_presets, name_problem, suitability)
from studio.store import preset_file

GLOOMY = Preset("gloomy", "--ar 16:9 --s 400 --c 20", "volumetric fog", "dark and wide", ("7",))
BOOK = PresetBook((GLOOMY, Preset("film", "--raw --gloomy --w 50"), Preset("old", "--v 6 --stop 50")))


# ---- names -------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["ar", "AR", "aspect", "stylize", "s", "v", "niji", "v7", "niji6",
                                  "version6", "no", "bs", "repeat", "--ar"])
def test_a_real_flag_name_is_refused(name):
    reason = name_problem(name)
    assert reason and "cannot" in reason
    with pytest.raises(ValueError, match="cannot"):
        PresetBook().with_preset(Preset(name, "--tile"))


@pytest.mark.parametrize("name", ["", "9lives", "my-look", "a b", "ü", "x" * 33])
def test_bad_names_are_refused_with_the_rule(name):
    assert "letters, digits" in name_problem(name)


def test_names_are_lower_case_and_unique():
    book = PresetBook().with_preset(Preset("Gloomy", "--s 400"))
    assert book.get("GLOOMY").name == "gloomy"
    with pytest.raises(ValueError, match="exists already"):
        book.with_preset(Preset("gloomy", "--s 300"))
    renamed = book.with_preset(Preset("moody", "--s 300"), replacing="gloomy")
    assert renamed.names == {"moody"}


@pytest.mark.parametrize("preset,words", [
    (Preset("x", "castle --s 400"), "--flags only"),
    (Preset("x", "--s {100, 200}"), "set"),
    (Preset("x", "--s 400", "fog --ar 1:1"), "--flag"),
])
def test_content_is_checked(preset, words):
    with pytest.raises(ValueError, match=words):
        PresetBook().with_preset(preset)


def test_a_cycle_is_refused_when_saving():
    book = PresetBook().with_preset(Preset("a", "--tile"))
    book = book.with_preset(Preset("b", "--a"))
    with pytest.raises(ValueError, match="circle: --a → --b → --a"):
        book.with_preset(Preset("a", "--b"), replacing="a")


# ---- applying ----------------------------------------------------------------------------------

def test_name_becomes_its_parameters_and_fragment_joins_the_text():
    applied = apply_presets("castle on a cliff --gloomy", BOOK)
    assert applied.text == "castle on a cliff, volumetric fog --ar 16:9 --s 400 --c 20"
    (used,) = applied.used
    assert used.name == "gloomy" and used.span == (18, 26) and used.kept == "--ar 16:9 --s 400 --c 20"


def test_the_prompts_own_parameters_win():
    applied = apply_presets("castle --gloomy --s 100", BOOK)
    assert applied.text == "castle, volumetric fog --ar 16:9 --c 20 --s 100"
    assert applied.used[0].dropped == ("--s 400",)
    # A model named in the prompt beats one in the preset, whatever spelling.
    assert "--v 6" not in apply_presets("castle --niji 6 --old", BOOK).text


def test_presets_nest_and_the_later_wins():
    applied = apply_presets("castle --film", BOOK)
    assert applied.text == "castle, volumetric fog --raw --ar 16:9 --s 400 --c 20 --w 50"
    later = apply_presets("castle --old --gloomy", PresetBook((GLOOMY, Preset("old", "--s 50 --stop 50"))))
    assert "--s 50 " not in later.text + " " and "--s 400" in later.text


def test_the_suffix_comes_last_and_yields_to_everything():
    book = PresetBook((GLOOMY,), suffix="35mm film --s 750 --tile")
    applied = apply_presets("castle --gloomy", book)
    assert applied.text == "castle, volumetric fog, 35mm film --ar 16:9 --s 400 --c 20 --tile"
    plain = apply_presets("castle", PresetBook(suffix="moody --s 750"))
    assert plain.text == "castle, moody --s 750"
    a, b, exact, origin = plain.map.to_source(plain.text.index("--s"), len(plain.text))
    assert (a, b, exact, origin) == (6, 6, False, "suffix")


def test_a_cycle_in_a_file_is_a_problem_on_the_name_not_a_hang():
    book, _ = PresetBook.from_json({"format": FORMAT, "version": 1, "presets": [
        {"name": "a", "params": "--b --tile"}, {"name": "b", "params": "--a"}]})
    applied = apply_presets("x --a", book)
    assert [(p.code, p.span) for p in applied.problems] == [("preset-cycle", (2, 5))]
    assert "--a → --b → --a" in applied.problems[0].message
    assert applied.text == "x --tile"


def test_unknown_names_and_no_presets_leave_the_text_alone():
    assert apply_presets("castle --nothing", BOOK).text == "castle --nothing"
    assert apply_presets("castle --gloomy", None).text == "castle --gloomy"


def test_a_preset_maps_back_to_its_name():
    text = "castle --old"
    applied = apply_presets(text, BOOK)
    at = applied.text.index("--stop")
    a, b, exact, origin = applied.map.to_source(at, at + 9)
    assert (text[a:b], exact, origin) == ("--old", False, "--old")


# ---- suitability -------------------------------------------------------------------------------

def test_suitability_gives_the_rules_reasons():
    assert suitability(BOOK, "old", "6") == []
    reasons = suitability(BOOK, "old", "8")
    # --old names v6 itself, so it suits whatever the default; on v8 a v8 --stop would not.
    assert reasons == []
    stop = PresetBook((Preset("soft", "--stop 50"),))
    reasons = suitability(stop, "soft", "8.1")
    assert reasons and "--stop is not supported by v8.1" in reasons[0]
    assert suitability(BOOK, "gloomy", "niji6") == ["--gloomy is saved for v7, not niji 6"]


# ---- the format --------------------------------------------------------------------------------

def test_round_trip():
    text = BOOK.dumps()
    data = json.loads(text)
    assert data["format"] == FORMAT and data["version"] == VERSION
    book, skipped = PresetBook.loads(text)
    assert book == BOOK and skipped == []


@pytest.mark.parametrize("text,words", [
    ("{not json", "not JSON"), ("[]", "not a Legnext Studio presets file"),
    ('{"format": "other"}', "not a Legnext Studio presets file"),
    (json.dumps({"format": FORMAT}), "no readable version"),
])
def test_unreadable_files(text, words):
    with pytest.raises(PresetFileError, match=words):
        PresetBook.loads(text)


def test_a_newer_file_is_refused_with_its_version():
    with pytest.raises(NewerPresetFile, match="newer Legnext Studio .*format 2.* up to 1"):
        PresetBook.loads(json.dumps({"format": FORMAT, "version": 2, "presets": []}))


def test_bad_entries_are_skipped_with_reasons():
    book, skipped = PresetBook.from_json({"format": FORMAT, "version": 1, "presets": [
        {"name": "ar", "params": "--s 1"}, {"name": "ok", "params": "--tile"}, "nope",
        {"name": "ok", "params": "--raw"}, {"name": "m", "params": "--tile", "models": ["v99"]}]})
    assert book.names == {"ok"}
    assert len(skipped) == 4
    assert any("Midjourney parameter" in s for s in skipped)
    assert any("second preset" in s for s in skipped)
    assert any("unknown model" in s for s in skipped)


def test_import_never_overwrites():
    mine = PresetBook((GLOOMY,))
    theirs = PresetBook((Preset("gloomy", "--s 999"), GLOOMY.__class__("bright", "--s 50")))
    merged, notes = mine.merged(theirs)
    assert merged.get("gloomy") == GLOOMY
    assert merged.get("gloomy_2").params == "--s 999"
    assert "--gloomy added as --gloomy_2 (--gloomy exists already)" in notes
    again, notes = merged.merged(PresetBook((GLOOMY,)))
    assert again == merged and notes == ["--gloomy is already here"]


# ---- the file in the config folder -------------------------------------------------------------

def test_save_and_load(tmp_path):
    path = tmp_path / "cfg" / "presets.json"
    preset_file.save(BOOK, path)
    assert preset_file.load(path).book == BOOK
    assert [p.name for p in path.parent.iterdir()] == ["presets.json"]  # no temporary left


def test_a_damaged_file_is_kept_aside(tmp_path):
    path = tmp_path / "presets.json"
    path.write_bytes(b"\xff\xfe garbage")
    loaded = preset_file.load(path)
    assert loaded.book == PresetBook() and loaded.writable
    aside = [p for p in tmp_path.iterdir() if p.name.startswith("presets.json.damaged-")]
    assert len(aside) == 1 and aside[0].read_bytes() == b"\xff\xfe garbage"
    assert aside[0].name in loaded.message


def test_a_newer_file_is_never_written(tmp_path):
    path = tmp_path / "presets.json"
    newer = json.dumps({"format": FORMAT, "version": 9, "presets": [{"name": "x", "future": 1}]})
    path.write_text(newer)
    loaded = preset_file.load(path)
    assert not loaded.writable and "newer" in loaded.message
    assert path.read_text() == newer


def test_skipped_entries_are_copied_aside_before_the_first_save(tmp_path):
    path = tmp_path / "presets.json"
    original = json.dumps({"format": FORMAT, "version": 1, "presets": [
        {"name": "ar", "params": "--s 1"}, {"name": "ok", "params": "--tile"}]})
    path.write_text(original)
    loaded = preset_file.load(path)
    assert loaded.keep_copy and "left out" in loaded.message
    copy = preset_file.save(loaded.book, path, keep_copy=True)
    assert copy is not None and copy.read_text() == original
    assert preset_file.load(path).book.names == {"ok"}


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_an_unwritable_folder_raises(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(OSError):
            preset_file.save(BOOK, folder / "presets.json")
    finally:
        folder.chmod(0o700)
