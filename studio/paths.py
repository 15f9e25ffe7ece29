"""Where the studio's own files live: the resources shipped with it."""

from __future__ import annotations

import sys
from pathlib import Path

# A source checkout (and an editable install) reads resources/ beside the package; an
# installed wheel carries them under <prefix>/share/legnext-studio (pyproject's data-files).
_CHECKOUT = Path(__file__).resolve().parent.parent / "resources"
_INSTALLED = Path(sys.prefix) / "share" / "legnext-studio"
RESOURCES = _CHECKOUT if _CHECKOUT.is_dir() else _INSTALLED


def resource(*parts: str) -> Path:
    return RESOURCES.joinpath(*parts)
