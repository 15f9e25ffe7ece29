"""The checkerboard painted under an image with transparency (a cut-out from Remove background),
so what is see-through shows as such instead of as the backdrop's colour."""

from __future__ import annotations

from PySide6.QtCore import QRectF
from PySide6.QtGui import QBrush, QColor, QPainter, QPainterPath, QPixmap

from studio.ui.common import theme

SQUARE = 8  # px

_brushes: dict[tuple[str, str], QBrush] = {}


def _brush() -> QBrush:
    c = theme.current
    key = (c.raised, c.border)
    brush = _brushes.get(key)
    if brush is None:
        tile = QPixmap(2 * SQUARE, 2 * SQUARE)
        tile.fill(QColor(c.raised))
        painter = QPainter(tile)
        dark = QColor(c.border).lighter(115)
        painter.fillRect(0, 0, SQUARE, SQUARE, dark)
        painter.fillRect(SQUARE, SQUARE, SQUARE, SQUARE, dark)
        painter.end()
        brush = _brushes[key] = QBrush(tile)
    return brush


def paint_checkerboard(painter: QPainter, rect: QRectF, path: QPainterPath | None = None) -> None:
    """Fill `rect` (or `path`, for rounded corners) with the checkerboard."""
    painter.save()
    painter.setBrushOrigin(rect.topLeft())
    if path is not None:
        painter.fillPath(path, _brush())
    else:
        painter.fillRect(rect, _brush())
    painter.restore()
