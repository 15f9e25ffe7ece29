"""Whether this machine can play video with QtMultimedia, asked once, on first use.

`import PySide6.QtMultimedia` fails on a machine without the PulseAudio client library
(`ImportError: libpulse.so.0`, Debian's `libpulse0`; see shared/notes/qt-async-testing.md). The
studio runs without it; the viewer then says why nothing plays and offers the system player.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Any

from studio.store.files import Source

log = logging.getLogger(__name__)

_loaded: dict[str, Any] = {}


def multimedia() -> Any | None:
    """The PySide6.QtMultimedia module, or None where it cannot load (`problem()` says why)."""
    if "module" not in _loaded:
        try:
            import PySide6.QtMultimedia as module
        except ImportError as exc:  # a missing system library, named in the message
            log.warning("QtMultimedia is not available: %s", exc)
            _loaded["module"] = None
            _loaded["problem"] = _explain(exc)
        else:
            _loaded["module"] = module
            _loaded["problem"] = None
    return _loaded["module"]


def problem() -> str | None:
    """Why videos cannot play in the studio on this machine, or None when they can."""
    multimedia()
    return _loaded["problem"]


def _explain(exc: ImportError) -> str:
    text = str(exc)
    if "libpulse" in text:
        return ("Videos cannot play inside the studio on this machine: Qt's multimedia needs the "
                "PulseAudio client library (libpulse.so.0; on Debian or Ubuntu: sudo apt-get install "
                "libpulse0), then restart the studio.")
    return f"Videos cannot play inside the studio on this machine: Qt's multimedia did not load ({text})."


def open_in_system_player(source: Source | None, name: str) -> str:
    """Hand a video to the desktop's own player: its archived file, else a temporary copy of its
    bytes named `<name>-….mp4`. Returns what happened, in words for the user."""
    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QDesktopServices

    if source is None:
        return f"{name.capitalize()} is not downloaded yet."
    path = source
    if not isinstance(path, Path):
        with tempfile.NamedTemporaryFile(prefix=f"legnext-{name.replace(' ', '-')}-", suffix=".mp4",
                                         delete=False) as f:
            f.write(source)
        path = Path(f.name)
    if QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))):
        return f"Opened {name} in the system player ({path.name})."
    return f"The desktop has no player for {name}: open {path} from your files."
