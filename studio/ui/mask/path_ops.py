"""Boolean operations on mask areas, done with QPainterPath.

The API takes a list of simple polygons (each one filled; together their union is repainted).
Clipping an area to the image, subtracting an eraser shape from it, or untangling a lasso that
crosses itself can split it into several pieces or punch a hole into it; a polygon list cannot
express a hole, so a holed shape is cut in two through the hole until no holes remain.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QPainterPath, QPolygonF

from studio.ui.mask.geometry import Point, area, bounding_box, contains, dedupe

# Pieces this small (in px²) are crumbs left by a boolean operation, not something drawn.
CRUMB_AREA = 4.0
_MAX_CUTS = 12


def to_path(points: Sequence[Point]) -> QPainterPath:
    path = QPainterPath()
    path.setFillRule(Qt.FillRule.WindingFill)
    if points:
        path.addPolygon(QPolygonF([QPointF(x, y) for x, y in points]))
        path.closeSubpath()
    return path


def union_path(polygons: Sequence[Sequence[Point]]) -> QPainterPath:
    path = QPainterPath()
    path.setFillRule(Qt.FillRule.WindingFill)
    for pts in polygons:
        if len(pts) >= 3:
            path.addPolygon(QPolygonF([QPointF(x, y) for x, y in pts]))
            path.closeSubpath()
    return path


def _rings(path: QPainterPath) -> list[list[Point]]:
    rings = []
    for poly in path.toSubpathPolygons():
        pts = dedupe((p.x(), p.y()) for p in poly)
        if len(pts) >= 3 and area(pts) > 0:
            rings.append(pts)
    return rings


def _find_hole(rings: list[list[Point]]) -> list[Point] | None:
    """A ring that lies inside another ring is a hole (or an island in a hole: either way the
    set cannot be sent as separate filled polygons)."""
    for i, ring in enumerate(rings):
        # test a point just inside the ring's first edge midpoint-free: any vertex works for
        # rings produced by a boolean op, as their boundaries do not cross
        x, y = ring[0]
        for j, other in enumerate(rings):
            if i != j and contains(other, x, y) and area(other) > area(ring):
                return ring
    return None


def to_polygons(path: QPainterPath, depth: int = 0) -> list[list[Point]]:
    """The filled region of `path` as hole-free simple polygons."""
    simple = path.simplified()  # resolves overlaps and self-crossings into outlines
    rings = _rings(simple)
    hole = _find_hole(rings)
    if hole is None or depth >= _MAX_CUTS:
        return [r for r in rings if area(r) >= CRUMB_AREA]
    # Cut vertically through the hole: each half then has a notch where the hole was.
    x0, _y0, x1, _y1 = bounding_box(hole)
    cut = (x0 + x1) / 2.0
    bounds = simple.boundingRect().adjusted(-1, -1, 1, 1)
    left = QPainterPath()
    left.addRect(QRectF(bounds.left(), bounds.top(), cut - bounds.left(), bounds.height()))
    right = QPainterPath()
    right.addRect(QRectF(cut, bounds.top(), bounds.right() - cut, bounds.height()))
    return (to_polygons(simple.intersected(left), depth + 1)
            + to_polygons(simple.intersected(right), depth + 1))


def clip_to_rect(points: Sequence[Point], width: float, height: float) -> list[list[Point]]:
    """The part of the polygon inside the rectangle [0, width] x [0, height]."""
    rect = QPainterPath()
    rect.addRect(QRectF(0, 0, width, height))
    return to_polygons(to_path(points).intersected(rect))


def untangle(points: Sequence[Point]) -> list[list[Point]]:
    """A self-crossing outline (a lasso drawn as a figure eight) as the simple pieces it fills."""
    return to_polygons(to_path(points))


def subtract(polygons: Sequence[Sequence[Point]], cutter: Sequence[Point]) -> list[list[Point]]:
    """Each polygon minus the cutter: the eraser. Returns the pieces left, hole-free."""
    cut = to_path(cutter).simplified()
    out: list[list[Point]] = []
    for pts in polygons:
        out.extend(to_polygons(to_path(pts).subtracted(cut)))
    return out


def overlaps(points: Sequence[Point], cutter: Sequence[Point]) -> bool:
    return to_path(points).intersects(to_path(cutter))
