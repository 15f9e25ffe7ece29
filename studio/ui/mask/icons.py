"""Stroke icons for the painter's tool buttons (24x24 SVG path data, drawn in theme colours)."""

from __future__ import annotations

from PySide6.QtGui import QColor, QIcon

from studio.ui.common.icons import stroke_pixmap

PATHS = {
    "select": "M5 3l13 8-6 1.5L9 19z M12.5 12.5l5 6",
    "rectangle": "M4 6h16v12H4z",
    "polygon": "M5 17L8 5l11 4-3 10z",
    "lasso": "M12 4c5 0 8.5 2.5 8.5 5.5S17 15 12 15 3.5 12.5 3.5 9.5 7 4 12 4z M7 14c-1 2 0 4 2 4.5 M9 18.5l-1 2.5",
    "add": "M12 5v14 M5 12h14",
    "subtract": "M5 12h14",
    "undo": "M9 14L4 9l5-5 M4 9h10.5a5.5 5.5 0 0 1 0 11H11",
    "redo": "M15 14l5-5-5-5 M20 9H9.5a5.5 5.5 0 0 0 0 11H13",
    "clear": "M5 7h14 M10 7V5h4v2 M7 7l1 13h8l1-13",
    "fit": "M4 9V4h5 M15 4h5v5 M20 15v5h-5 M9 20H4v-5",
    "zoom_in": "M11 4a7 7 0 1 1 0 14a7 7 0 0 1 0-14z M16 16l5 5 M11 8v6 M8 11h6",
    "zoom_out": "M11 4a7 7 0 1 1 0 14a7 7 0 0 1 0-14z M16 16l5 5 M8 11h6",
    "image": "M4 5h16v14H4z M4 15l4-4 4 4 3-3 5 5 M15 9.5a1 1 0 1 0 0-.1",
    "export": "M12 4v11 M7 10l5 5 5-5 M5 20h14",
    "down": "M12 4v16 M6 14l6 6 6-6",
    "right": "M4 12h16 M14 6l6 6-6 6",
    "up": "M12 20V4 M6 10l6-6 6 6",
    "left": "M20 12H4 M10 6l-6 6 6 6",
}

_cache: dict[tuple[str, str, int], QIcon] = {}


def icon(name: str, px: int = 18) -> QIcon:
    try:
        from studio.ui.common import theme

        normal, active, off = theme.current.muted, theme.current.text, theme.current.faint
    except Exception:  # the theme is optional here (benchmarks build the painter bare)
        normal, active, off = "#a2a5ad", "#e4e5e8", "#6c6f77"
    key = (name, normal, px)
    cached = _cache.get(key)
    if cached is not None:
        return cached
    data = PATHS[name]
    result = QIcon()
    result.addPixmap(stroke_pixmap(data, normal, px), QIcon.Mode.Normal, QIcon.State.Off)
    result.addPixmap(stroke_pixmap(data, active, px), QIcon.Mode.Active, QIcon.State.Off)
    result.addPixmap(stroke_pixmap(data, active, px), QIcon.Mode.Normal, QIcon.State.On)
    result.addPixmap(stroke_pixmap(data, off, px), QIcon.Mode.Disabled, QIcon.State.Off)
    _cache[key] = result
    return result


def color(role: str, fallback: str) -> QColor:
    """A theme colour role (studio.ui.common.theme), or `fallback` where the theme is not loaded."""
    try:
        from studio.ui.common import theme

        return QColor(getattr(theme.current, role))
    except Exception:
        return QColor(fallback)
