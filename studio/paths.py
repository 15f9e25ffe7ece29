"""Where the studio's own files live: the resources shipped with it, and its folders for
settings, history, the archive, caches and logs."""

from __future__ import annotations

import os
import sys
from pathlib import Path

# A source checkout (and an editable install) reads resources/ beside the package; an
# installed wheel carries them under <prefix>/share/legnext-studio (pyproject's data-files).
_CHECKOUT = Path(__file__).resolve().parent.parent / "resources"
_INSTALLED = Path(sys.prefix) / "share" / "legnext-studio"
RESOURCES = _CHECKOUT if _CHECKOUT.is_dir() else _INSTALLED


def resource(*parts: str) -> Path:
    return RESOURCES.joinpath(*parts)


# ---- the studio's own folders --------------------------------------------------------------
# The one place that decides where settings, history, the archive, caches and logs go.
# platformdirs follows each platform's convention (XDG_* on Linux, ~/Library on macOS,
# %APPDATA% on Windows); LEGNEXT_STUDIO_HOME puts everything under one folder instead, so
# tests and scripts can run isolated from the user's real data. Nothing here creates a folder:
# the code that writes there does, when it first needs to.

HOME_ENV = "LEGNEXT_STUDIO_HOME"
APP_NAME = "legnext-studio"
# Only Windows puts the author in the path (%LOCALAPPDATA%\Legnext\legnext-studio); elsewhere
# platformdirs ignores it, and False keeps it out explicitly.
APP_AUTHOR: str | bool = "Legnext" if sys.platform == "win32" else False


def _home(part: str) -> Path | None:
    # Read on every call, not at import: a test's monkeypatch.setenv must take effect.
    value = os.environ.get(HOME_ENV, "").strip()
    return Path(value).expanduser() / part if value else None


def config_dir() -> Path:
    """Settings (what the user chose)."""
    import platformdirs  # not at module level: start-up time

    return _home("config") or Path(platformdirs.user_config_dir(APP_NAME, APP_AUTHOR))


def data_dir() -> Path:
    """History and the archive of job outputs (what the user would miss if it were lost)."""
    import platformdirs

    return _home("data") or Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR))


def cache_dir() -> Path:
    """Anything that can be fetched or made again."""
    import platformdirs

    return _home("cache") or Path(platformdirs.user_cache_dir(APP_NAME, APP_AUTHOR))


def log_dir() -> Path:
    import platformdirs

    return _home("logs") or Path(platformdirs.user_log_dir(APP_NAME, APP_AUTHOR))


def store_path() -> Path:
    """The job history database."""
    return data_dir() / "history.sqlite3"


def archive_dir() -> Path:
    """The root of `studio.store.archive.Archive`: every job's downloaded files."""
    return data_dir() / "archive"
