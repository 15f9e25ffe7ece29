"""The studio's folders: platform conventions (XDG on Linux), or one folder for isolated runs."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from studio import paths

FOLDERS = (paths.config_dir, paths.data_dir, paths.cache_dir, paths.log_dir)


@pytest.fixture
def no_home(monkeypatch):
    monkeypatch.delenv(paths.HOME_ENV, raising=False)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="XDG is the Linux convention")
def test_xdg_variables_are_honoured(monkeypatch, tmp_path, no_home):
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(var, str(tmp_path / var.lower()))
    assert paths.config_dir() == tmp_path / "xdg_config_home" / "legnext-studio"
    assert paths.data_dir() == tmp_path / "xdg_data_home" / "legnext-studio"
    assert paths.cache_dir() == tmp_path / "xdg_cache_home" / "legnext-studio"
    assert paths.log_dir().is_relative_to(tmp_path / "xdg_state_home" / "legnext-studio")
    assert paths.store_path() == tmp_path / "xdg_data_home" / "legnext-studio" / "history.sqlite3"
    assert paths.archive_dir() == tmp_path / "xdg_data_home" / "legnext-studio" / "archive"


def test_folders_are_named_for_the_app_and_not_created(monkeypatch, tmp_path, no_home):
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(var, str(tmp_path / var.lower()))
    for folder in FOLDERS:
        path = folder()
        assert isinstance(path, Path)
        assert "legnext-studio" in path.parts
        assert not path.exists()
    assert list(tmp_path.iterdir()) == []


def test_home_variable_puts_everything_under_one_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "elsewhere"))
    monkeypatch.setenv(paths.HOME_ENV, str(tmp_path / "home"))
    home = tmp_path / "home"
    assert paths.config_dir() == home / "config"
    assert paths.data_dir() == home / "data"
    assert paths.cache_dir() == home / "cache"
    assert paths.log_dir() == home / "logs"
    assert paths.store_path() == home / "data" / "history.sqlite3"
    assert paths.archive_dir() == home / "data" / "archive"
    assert not home.exists()


def test_an_empty_home_variable_is_ignored(monkeypatch, tmp_path):
    monkeypatch.setenv(paths.HOME_ENV, "")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    assert paths.config_dir().name == "legnext-studio"


def test_import_does_not_load_platformdirs():
    import subprocess

    code = "import sys, studio.paths; print('platformdirs' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
