"""Settings that cannot crash start-up: every value the studio writes is corrupted in turn and the
window starts each time, reading the default for that value; a file PySide cannot read whole
(a stored Python value that no longer unpickles) is kept aside and the studio starts with what
could be read, saying so once."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
from PySide6.QtCore import QByteArray

from studio.session.settings import DEFAULT_BASE_URL, KeyStore, Settings
from studio_support import build_studio, stop_studio

# PySide-pickled Python values that no longer load: reading one raised at every start.
BROKEN_PICKLES = {
    "EOFError": r"@Variant(\0\0\0\x7f\0\0\0\x18PySide::PyObjectWrapper\0\0\0\0\0)",
    "UnpicklingError": r"@Variant(\0\0\0\x7f\0\0\0\x18PySide::PyObjectWrapper\0\0\0\0\x3\x80\x4\x95)",
}
# Values of every wrong kind: a Qt type where text or a number belongs, text where a number or
# bytes belong, numbers that are no numbers, bytes that are not what Qt saved.
CORRUPTIONS = ["@Point(1 2)", "nan", "\"unterminated, text", "@ByteArray(\\xzz)", "1e999", "@Rect(0 0 -1 -1)"]


def _written_settings(qtbot, tmp_path) -> Path:
    """Every value the studio writes, as a real run leaves them."""
    studio = build_studio(qtbot, keys=KeyStore())
    settings = studio.settings
    settings.base_url = "http://127.0.0.1:8123/api"
    settings.use_sandbox = True
    settings.sandbox_speed = 3.0
    settings.poll_initial = 0.5
    settings.poll_max = 6.0
    settings.watch_timeout = 600.0
    settings.download_dir = tmp_path / "saved"
    settings.prompt_text = "a lighthouse at dusk, fog --ar 3:2"
    for key in ("references", "advanced"):
        settings.set_section_expanded(key, True)
    studio.window.save_layout()
    settings.sync()
    stop_studio(qtbot, studio)
    return settings.path


def _with_line(path: Path, key: str, value: str) -> None:
    """Rewrite `path` with `key` (section/name) set to the raw INI text `value`."""
    section, name = key.split("/", 1) if "/" in key else ("General", key)
    lines, current = [], None
    for line in path.read_text(encoding="utf-8").splitlines():
        found = re.fullmatch(r"\[(.+)\]", line)
        if found:
            current = found.group(1)
        elif current == section and line.split("=", 1)[0] == name:
            line = f"{name}={value}"
        lines.append(line)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _typed_reads(settings: Settings) -> dict[str, object]:
    """Every option through its accessor: each a value of its type, never an exception."""
    values = {
        "base_url": settings.base_url, "use_sandbox": settings.use_sandbox,
        "sandbox_speed": settings.sandbox_speed, "poll_initial": settings.poll_initial,
        "poll_max": settings.poll_max, "watch_timeout": settings.watch_timeout,
        "download_dir": settings.download_dir, "prompt_text": settings.prompt_text,
        "references": settings.section_expanded("references"),
    }
    assert isinstance(values["base_url"], str) and values["base_url"]
    assert isinstance(values["use_sandbox"], bool) and isinstance(values["references"], bool)
    for name in ("sandbox_speed", "poll_initial", "poll_max", "watch_timeout"):
        assert isinstance(values[name], float) and math.isfinite(values[name]), name
    assert values["poll_max"] >= values["poll_initial"] > 0
    assert isinstance(values["download_dir"], Path) and str(values["download_dir"]).strip()
    assert isinstance(values["prompt_text"], str)
    assert isinstance(settings.value("window/geometry", QByteArray()), QByteArray)
    return values


def test_every_value_corrupted_in_turn_still_starts_the_window(qtbot, qloop, tmp_path):
    path = _written_settings(qtbot, tmp_path)
    pristine = path.read_text(encoding="utf-8")
    keys = sorted(Settings(path).qsettings.allKeys())
    assert {"api/base_url", "polling/max", "session/prompt", "window/geometry", "window/state",
            "param_panel/references_expanded"} <= set(keys)
    defaults = _typed_reads(Settings(tmp_path / "fresh.ini"))
    for n, key in enumerate(keys):
        for corruption in (CORRUPTIONS[n % len(CORRUPTIONS)], CORRUPTIONS[(n + 3) % len(CORRUPTIONS)]):
            path.write_text(pristine, encoding="utf-8")
            _with_line(path, key, corruption)
            studio = build_studio(qtbot, keys=KeyStore())
            try:
                assert studio.window.isVisible(), (key, corruption)
                values = _typed_reads(studio.settings)
                assert studio.settings.problem is None  # one bad value is no reason to set the file aside
                if key == "api/base_url" and corruption.startswith("@"):
                    assert values["base_url"] == defaults["base_url"] == DEFAULT_BASE_URL
                if key == "session/prompt" and corruption.startswith("@"):
                    assert studio.prompt_state.text() == ""
            finally:
                stop_studio(qtbot, studio)


@pytest.mark.parametrize("raised", sorted(BROKEN_PICKLES))
def test_a_value_that_cannot_be_unpickled_sets_the_file_aside_and_keeps_the_rest(qtbot, qloop, tmp_path, raised):
    path = _written_settings(qtbot, tmp_path)
    _with_line(path, "window/state", BROKEN_PICKLES[raised])
    studio = build_studio(qtbot, keys=KeyStore())
    try:
        problem = studio.settings.problem
        assert problem and "could not be read whole" in problem and raised in problem
        asides = list(path.parent.glob("studio.ini.unreadable-*"))
        assert len(asides) == 1 and str(asides[0]) in problem
        assert "PyObjectWrapper" in asides[0].read_text(encoding="utf-8")  # the original, untouched
        # What could be read is kept; only the broken value is back to its default.
        assert studio.settings.base_url == "http://127.0.0.1:8123/api"
        assert studio.settings.prompt_text == "a lighthouse at dusk, fog --ar 3:2"
        assert studio.settings.poll_max == 6.0
        # Said once, in the window.
        banner = studio.window.banner
        assert banner.isVisible() and "could not be read whole" in banner.label.text()
    finally:
        stop_studio(qtbot, studio)
    again = build_studio(qtbot, keys=KeyStore())
    try:
        assert again.settings.problem is None  # the fresh file reads cleanly: not said again
        assert len(list(path.parent.glob("studio.ini.unreadable-*"))) == 1
        assert again.settings.base_url == "http://127.0.0.1:8123/api"
    finally:
        stop_studio(qtbot, again)


@pytest.mark.parametrize("text", ["\x00\x01\x02binary", "[api\nbase_url", "=\n==\n[]\n", "@Variant(" * 50])
def test_a_file_that_is_not_an_ini_at_all_starts_with_defaults(qtbot, qloop, text):
    path = Settings().path
    path.write_text(text, encoding="latin-1")
    studio = build_studio(qtbot, keys=KeyStore())
    try:
        assert studio.window.isVisible()
        _typed_reads(studio.settings)
    finally:
        stop_studio(qtbot, studio)


def test_the_typed_accessor_falls_back_and_says_so_in_the_log(tmp_path, caplog):
    path = tmp_path / "s.ini"
    path.write_text("[polling]\nmax=fast\ninitial=-inf\n[api]\nuse_sandbox=perhaps\n", encoding="utf-8")
    settings = Settings(path)
    with caplog.at_level("WARNING", logger="studio.session.settings"):
        assert settings.poll_max == 8.0
        assert settings.poll_max == 8.0
        assert settings.poll_initial == 1.0
        assert settings.use_sandbox is False
    warned = [r.getMessage() for r in caplog.records]
    assert sum("polling/max" in m for m in warned) == 1  # once per value and run, not per read
    assert any("api/use_sandbox" in m and "yes/no" in m for m in warned)
