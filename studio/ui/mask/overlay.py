"""The translucent picture of what will be repainted, drawn over the image.

`MaskOverlay` is a child of the image's pixmap item, so its own coordinates are the image's
pixels whatever the zoom, the canvas placement or the screen's pixel ratio: the overlay paints
the model's points as they are, and tools read positions in the same coordinates.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPainterPath, QPen, QPolygonF
from PySide6.QtWidgets import QGraphicsItem, QGraphicsObject, QStyleOptionGraphicsItem, QWidget

from studio.ui.mask import path_ops
from studio.ui.mask.icons import color as _theme_color
from studio.ui.mask.geometry import Point
from studio.ui.mask.mask_model import MaskModel

HANDLE_PX = 9.0  # vertex handle size on screen, in logical pixels
CLOSE_PX = 10.0  # the polygon closes when a click lands this near its first point


class MaskOverlay(QGraphicsObject):
    """Draws the model's areas, the selection with its vertex handles, and the shape being drawn."""

    def __init__(self, model: MaskModel, parent: QGraphicsItem | None = None) -> None:
        super().__init__(parent)
        self._model = model
        self._union = QPainterPath()
        self.selected: int | None = None
        self._override: tuple[int, list[Point]] | None = None
        self._preview = QPainterPath()
        self._preview_closed = True
        self._preview_subtract = False
        self._preview_points: list[Point] = []
        self.hover_close = False
        self.accent = _theme_color("accent", "#6e8bff")
        self.erase = _theme_color("error", "#f0575d")
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setZValue(10)
        model.changed.connect(self._model_changed)
        self._model_changed()

    # ---- state from tools ---------------------------------------------------------------------

    def _model_changed(self) -> None:
        # simplified: overlapping areas and the seams of split areas show as one outline
        self._union = path_ops.union_path(self._model.areas()).simplified()
        if self.selected is not None and self.selected >= len(self._model):
            self.selected = None
        self.update()

    def set_selected(self, index: int | None) -> None:
        self.selected = index
        self.update()

    def set_override(self, index: int | None, points: Sequence[Point] | None = None) -> None:
        """Show area `index` with other points while it is being moved or reshaped."""
        self._override = None if index is None or points is None else (index, list(points))
        self.update()

    def set_preview(self, path: QPainterPath | None, *, closed: bool = True, subtract: bool = False,
                    points: Sequence[Point] = ()) -> None:
        """The shape being drawn (None clears it); `points` get small markers (polygon tool)."""
        self._preview = QPainterPath() if path is None else path
        self._preview_closed = closed
        self._preview_subtract = subtract
        self._preview_points = list(points)
        self.update()

    def preview_path(self) -> QPainterPath:
        return self._preview

    # ---- painting -----------------------------------------------------------------------------

    def boundingRect(self) -> QRectF:
        w, h = self._model.width, self._model.height
        margin = float(max(w, h))  # shapes may be dragged past the edge before they are clipped
        return QRectF(-margin, -margin, w + 2 * margin, h + 2 * margin)

    def _screen_scale(self, painter: QPainter) -> float:
        t = painter.worldTransform()
        return max(1e-6, QStyleOptionGraphicsItem.levelOfDetailFromTransform(t))

    def _cosmetic(self, color: QColor, width: float, style=Qt.PenStyle.SolidLine) -> QPen:
        pen = QPen(color, width, style)
        pen.setCosmetic(True)  # same thickness on screen at every zoom
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        return pen

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        scale = self._screen_scale(painter)
        fill = QColor(self.accent)
        fill.setAlpha(105)
        shadow = QColor(0, 0, 0, 150)
        edge = QColor(self.accent).lighter(135)

        union = self._union
        if self._override is not None:
            index, pts = self._override
            areas = self._model.areas()
            if 0 <= index < len(areas):
                areas[index] = tuple(pts)  # type: ignore[call-overload]
            union = path_ops.union_path(areas).simplified()
        painter.fillPath(union, fill)
        # a fine hatch marks "will be repainted" even where the image has the accent's hue
        hatch = QColor(255, 255, 255, 46)
        painter.fillPath(union, QBrush(hatch, Qt.BrushStyle.BDiagPattern))
        # Outline: a light 1 px line over a dark one shifted by a screen pixel, readable on any
        # image. One-pixel cosmetic pens are Qt's fast path; a 3 px pen with joins made a
        # frame with a dozen 200-corner areas take ~100 ms instead of ~10.
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.save()
        painter.translate(1.0 / scale, 1.0 / scale)
        painter.setPen(self._cosmetic(shadow, 1.0))
        painter.drawPath(union)
        painter.restore()
        painter.setPen(self._cosmetic(edge, 1.0))
        painter.drawPath(union)

        if self.selected is not None and self.selected < len(self._model):
            pts = self._selected_points()
            poly = QPolygonF([QPointF(x, y) for x, y in pts])
            painter.setPen(self._cosmetic(QColor("#ffffff"), 2.0))
            painter.drawPolygon(poly)
            self._draw_handles(painter, pts, scale)

        if not self._preview.isEmpty():
            color = self.erase if self._preview_subtract else self.accent
            if self._preview_closed:
                tint = QColor(color)
                tint.setAlpha(70)
                painter.fillPath(self._preview, tint)
            # "marching ants": a 1 px light line under 1 px dark dashes, visible on any image.
            # One-pixel cosmetic pens take Qt's fast path: a thicker pen with joins costs
            # ~100 ms per frame on a 5,000-point lasso, this costs ~1 ms.
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.setPen(self._cosmetic(QColor(color).lighter(150), 1.0))
            painter.drawPath(self._preview)
            ants = self._cosmetic(QColor(0, 0, 0, 210), 1.0, Qt.PenStyle.CustomDashLine)
            ants.setDashPattern([4.0, 4.0])
            painter.setPen(ants)
            painter.drawPath(self._preview)
            if self._preview_points:
                self._draw_handles(painter, self._preview_points, scale, first_big=self.hover_close)

    def _selected_points(self) -> list[Point]:
        if self._override is not None and self._override[0] == self.selected:
            return self._override[1]
        return list(self._model.areas()[self.selected])  # type: ignore[index]

    def _draw_handles(self, painter: QPainter, pts: Sequence[Point], scale: float,
                      first_big: bool = False) -> None:
        size = HANDLE_PX / scale
        painter.setBrush(QBrush(QColor("#ffffff")))
        painter.setPen(self._cosmetic(QColor(self.accent).darker(160), 1.2))
        for i, (x, y) in enumerate(pts):
            s = size * (1.6 if (first_big and i == 0) else 1.0)
            painter.drawRect(QRectF(x - s / 2, y - s / 2, s, s))
