"""Stroke icons: 24x24 SVG path data rendered to crisp HiDPI pixmaps in a chosen colour, and the
grid's action icons in the theme's text colours (normal, hover, disabled).

The one place the studio turns path data into pixels: the grid's action buttons and the mask
painter's tool buttons (`studio.ui.mask.icons`) both draw through `stroke_pixmap`.
"""

from __future__ import annotations

from functools import lru_cache

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QIcon, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

from studio.ui.common import theme

_DPR = 2.0  # crisp on HiDPI screens; Qt scales it down on 1x screens

_action_icons: dict[tuple[str, str, str, str], QIcon] = {}

# A clock running backwards: the prompts sent before (the prompt editor's Recent menu).
RECENT_ICON = "M3 12a9 9 0 1 0 9-9a9.75 9.75 0 0 0-6.74 2.74L3 8 M3 3v5h5 M12 7v5l4 2"


@lru_cache(maxsize=256)
def icon_svg(path_data: str, color: str) -> bytes:
    """A 24x24 stroke icon as SVG bytes, drawn in `color`."""
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="24" height="24">'
        f'<path d="{path_data}" fill="none" stroke="{color}" stroke-width="1.8" '
        'stroke-linecap="round" stroke-linejoin="round"/></svg>'
    ).encode()


def stroke_pixmap(path_data: str, color: str, px: int) -> QPixmap:
    """The icon `px` logical pixels square, rendered at twice that for HiDPI screens."""
    pixmap = QPixmap(int(px * _DPR), int(px * _DPR))
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    QSvgRenderer(QByteArray(icon_svg(path_data, color))).render(painter)
    painter.end()
    pixmap.setDevicePixelRatio(_DPR)
    return pixmap


def action_icon(path_data: str, px: int = 16) -> QIcon:
    """The registry's stroke icon in the theme's text colours (normal, hover, disabled)."""
    c = theme.current
    key = (path_data, c.muted, c.text, c.faint)
    icon = _action_icons.get(key)
    if icon is None:
        icon = QIcon()
        icon.addPixmap(stroke_pixmap(path_data, c.muted, px), QIcon.Mode.Normal)
        icon.addPixmap(stroke_pixmap(path_data, c.text, px), QIcon.Mode.Active)
        icon.addPixmap(stroke_pixmap(path_data, c.faint, px), QIcon.Mode.Disabled)
        _action_icons[key] = icon
    return icon
