"""The painting tools: rectangle, polygon, freehand lasso, select/move/reshape.

Tools receive `ToolEvent`s from the view, convert scene positions to image pixels through their
host (the overlay's own coordinates), and change the mask only through `MaskModel`, so every
change is one undo step and passes the same checks. Shape tools add an area, or erase it from
the mask when the host is in subtract mode or Alt is held.
"""

from __future__ import annotations

import math
from typing import Protocol

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QCursor, QKeyEvent, QPainterPath, QPolygonF

from studio.ui.mask import geometry as geo
from studio.ui.mask.canvas_view import ToolEvent
from studio.ui.mask.geometry import Point
from studio.ui.mask.mask_model import MaskModel
from studio.ui.mask.overlay import CLOSE_PX, HANDLE_PX, MaskOverlay

LASSO_SAMPLE_PX = 0.75  # a freehand point is kept once the pointer moved this far on screen
LASSO_TOLERANCE_PX = 1.0  # the lasso outline may deviate this much on screen when simplified
MIN_DRAG_PX = 3.0  # a shorter rectangle drag is a click, not a shape


class ToolHost(Protocol):
    model: MaskModel
    overlay: MaskOverlay

    def to_image(self, scene: QPointF) -> Point: ...
    def image_per_screen(self) -> float: ...  # image pixels per logical screen pixel
    def subtract_mode(self) -> bool: ...
    def report(self, message: str | None) -> None: ...


class Tool:
    name = ""
    label = ""
    shortcut = ""
    tip = ""

    def __init__(self, host: ToolHost) -> None:
        self.host = host

    def activate(self) -> None:
        pass

    def deactivate(self) -> None:
        self.cancel()

    def cancel(self) -> None:
        pass

    def busy(self) -> bool:
        """True while a shape is half drawn (Apply then asks to finish or cancel it first)."""
        return False

    def cursor(self) -> QCursor | Qt.CursorShape:
        return Qt.CursorShape.CrossCursor

    def press(self, ev: ToolEvent) -> None:
        pass

    def move(self, ev: ToolEvent) -> None:
        pass

    def release(self, ev: ToolEvent) -> None:
        pass

    def double_click(self, ev: ToolEvent) -> None:
        pass

    def key(self, ev: QKeyEvent) -> bool:
        return False

    # helpers
    def _img(self, ev: ToolEvent) -> Point:
        return self.host.to_image(ev.scene)

    def _subtracting(self, ev: ToolEvent) -> bool:
        return self.host.subtract_mode() or bool(ev.modifiers & Qt.KeyboardModifier.AltModifier)

    def _commit(self, points: list[Point], subtract: bool, *, untangle: bool = False) -> bool:
        model = self.host.model
        problem = model.subtract_area(points) if subtract else model.add_area(points, untangle=untangle)
        self.host.report(problem)
        return problem is None


def _polygon_path(points: list[Point], close: bool = True) -> QPainterPath:
    path = QPainterPath()
    if points:
        path.addPolygon(QPolygonF([QPointF(x, y) for x, y in points]))
        if close:
            path.closeSubpath()
    return path


class RectangleTool(Tool):
    name = "rectangle"
    label = "Rectangle"
    shortcut = "R"
    tip = "Drag a rectangle (Shift: square, Alt: erase)"

    def __init__(self, host: ToolHost) -> None:
        super().__init__(host)
        self._start: Point | None = None
        self._subtract = False

    def busy(self) -> bool:
        return self._start is not None

    def cancel(self) -> None:
        self._start = None
        self.host.overlay.set_preview(None)

    def _corners(self, ev: ToolEvent) -> list[Point]:
        x0, y0 = self._start  # type: ignore[misc]
        x1, y1 = self._img(ev)
        if ev.modifiers & Qt.KeyboardModifier.ShiftModifier:
            side = max(abs(x1 - x0), abs(y1 - y0))
            x1 = x0 + math.copysign(side, x1 - x0 or 1)
            y1 = y0 + math.copysign(side, y1 - y0 or 1)
        return geo.rectangle(x0, y0, x1, y1)

    def press(self, ev: ToolEvent) -> None:
        if ev.button != Qt.MouseButton.LeftButton:
            return
        self._start = self._img(ev)
        self._subtract = self._subtracting(ev)

    def move(self, ev: ToolEvent) -> None:
        if self._start is None:
            return
        corners = self._corners(ev)
        self.host.overlay.set_preview(_polygon_path(corners), subtract=self._subtract)

    def release(self, ev: ToolEvent) -> None:
        if self._start is None or ev.button != Qt.MouseButton.LeftButton:
            return
        corners = self._corners(ev)
        self.cancel()
        x0, y0, x1, y1 = geo.bounding_box(corners)
        if max(x1 - x0, y1 - y0) / self.host.image_per_screen() < MIN_DRAG_PX:
            return  # a click
        self._commit(corners, self._subtract)


class PolygonTool(Tool):
    name = "polygon"
    label = "Polygon"
    shortcut = "P"
    tip = "Click corners; click the first one, double-click or press Enter to close"

    def __init__(self, host: ToolHost) -> None:
        super().__init__(host)
        self.points: list[Point] = []
        self._cursor: Point | None = None
        self._subtract = False

    def busy(self) -> bool:
        return bool(self.points)

    def cancel(self) -> None:
        self.points = []
        self._cursor = None
        self.host.overlay.hover_close = False
        self.host.overlay.set_preview(None)

    def _near_first(self, p: Point) -> bool:
        if len(self.points) < 3:
            return False
        fx, fy = self.points[0]
        return math.hypot(p[0] - fx, p[1] - fy) / self.host.image_per_screen() <= CLOSE_PX

    def _show(self) -> None:
        pts = list(self.points)
        if self._cursor is not None and not self.host.overlay.hover_close:
            pts.append(self._cursor)
        self.host.overlay.set_preview(_polygon_path(pts, close=False), closed=False,
                                      subtract=self._subtract, points=self.points)

    def press(self, ev: ToolEvent) -> None:
        if ev.button != Qt.MouseButton.LeftButton:
            return
        p = self._img(ev)
        if not self.points:
            self._subtract = self._subtracting(ev)
        if self._near_first(p):
            self.close()
            return
        if len(self.points) >= geo.MAX_POINTS:
            self.host.report(f"An area can have at most {geo.MAX_POINTS} corners: close this one "
                             "(click its first corner or press Enter) and start another.")
            return
        if not self.points or p != self.points[-1]:
            self.points.append(p)
        self._show()

    def move(self, ev: ToolEvent) -> None:
        if not self.points:
            return
        self._cursor = self._img(ev)
        self.host.overlay.hover_close = self._near_first(self._cursor)
        self._show()

    def double_click(self, ev: ToolEvent) -> None:
        # the double-click's first press already placed its point (or closed the shape on the
        # first corner, leaving nothing to close)
        if self.points:
            self.close()

    def close(self) -> None:
        points = geo.dedupe(self.points)
        subtract = self._subtract
        if len(points) < 3:
            self.host.report("A polygon needs at least 3 corners: keep clicking, then close it.")
            return
        self.cancel()
        self._commit(points, subtract)

    def key(self, ev: QKeyEvent) -> bool:
        if not self.points:
            return False
        if ev.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.close()
            return True
        if ev.key() == Qt.Key.Key_Backspace:
            self.points.pop()
            if not self.points:
                self.cancel()
                self.host.report(None)
            else:
                self._show()
            return True
        if ev.key() == Qt.Key.Key_Escape:
            self.cancel()
            self.host.report(None)  # clears a "finish the shape first" left by Apply
            return True
        return False


class LassoTool(Tool):
    name = "lasso"
    label = "Lasso"
    shortcut = "L"
    tip = "Draw freehand; the outline closes when you let go (Alt: erase)"

    def __init__(self, host: ToolHost) -> None:
        super().__init__(host)
        self.points: list[Point] = []
        self._path = QPainterPath()
        self._subtract = False
        self._min_step = 0.0

    def busy(self) -> bool:
        return bool(self.points)

    def cancel(self) -> None:
        self.points = []
        self._path = QPainterPath()
        self.host.overlay.set_preview(None)

    def press(self, ev: ToolEvent) -> None:
        if ev.button != Qt.MouseButton.LeftButton:
            return
        p = self._img(ev)
        self._subtract = self._subtracting(ev)
        self._min_step = LASSO_SAMPLE_PX * self.host.image_per_screen()
        self.points = [p]
        self._path = QPainterPath(QPointF(*p))

    def move(self, ev: ToolEvent) -> None:
        if not self.points:
            return
        x, y = self._img(ev)
        lx, ly = self.points[-1]
        if abs(x - lx) + abs(y - ly) < self._min_step:
            return
        self.points.append((x, y))
        self._path.lineTo(x, y)
        # outline only while drawing: filling a 5,000-point path costs 10–20 ms a frame
        self.host.overlay.set_preview(self._path, closed=False, subtract=self._subtract)

    def release(self, ev: ToolEvent) -> None:
        if not self.points or ev.button != Qt.MouseButton.LeftButton:
            return
        self.move(ev)
        points, subtract = self.points, self._subtract
        tolerance = LASSO_TOLERANCE_PX * self.host.image_per_screen()
        self.cancel()
        if len(points) < 3:
            return  # a click
        self._commit(geo.simplify(points, tolerance, geo.MAX_POINTS), subtract, untangle=True)


class SelectTool(Tool):
    """Click an area to select it; drag it to move; drag a corner to reshape; Delete removes it;
    double-click an edge of the selected area to add a corner there."""

    name = "select"
    label = "Select"
    shortcut = "V"
    tip = "Select, move and reshape areas; Delete removes the selected one"

    def __init__(self, host: ToolHost) -> None:
        super().__init__(host)
        self._mode: str | None = None  # "move" | "vertex"
        self._origin: Point = (0.0, 0.0)
        self._vertex = -1
        self._shown: list[Point] = []
        self._hover = Qt.CursorShape.ArrowCursor

    @property
    def selected(self) -> int | None:
        return self.host.overlay.selected

    def busy(self) -> bool:
        return self._mode is not None

    def cancel(self) -> None:
        self._mode = None
        self.host.overlay.set_override(None)

    def deactivate(self) -> None:
        self.cancel()
        self.host.overlay.set_selected(None)

    def cursor(self) -> Qt.CursorShape:
        return self._hover

    def _vertex_at(self, p: Point) -> int:
        if self.selected is None or self.selected >= len(self.host.model):
            return -1
        reach = HANDLE_PX * self.host.image_per_screen()
        pts = self.host.model.areas()[self.selected]
        best, best_d = -1, math.inf
        for i, (x, y) in enumerate(pts):
            d = max(abs(p[0] - x), abs(p[1] - y))
            if d <= reach and d < best_d:
                best, best_d = i, d
        return best

    def press(self, ev: ToolEvent) -> None:
        if ev.button != Qt.MouseButton.LeftButton:
            return
        p = self._img(ev)
        vertex = self._vertex_at(p)
        if vertex >= 0:
            self._mode, self._vertex = "vertex", vertex
        else:
            hit = self.host.model.area_at(*p)
            self.host.overlay.set_selected(hit)
            self._mode = "move" if hit is not None else None
        self._origin = p
        if self.selected is not None:
            self._shown = list(self.host.model.areas()[self.selected])

    def move(self, ev: ToolEvent) -> None:
        p = self._img(ev)
        model = self.host.model
        if self._mode is None:
            if self._vertex_at(p) >= 0:
                self._hover = Qt.CursorShape.CrossCursor
            elif model.area_at(*p) is not None:
                self._hover = Qt.CursorShape.SizeAllCursor
            else:
                self._hover = Qt.CursorShape.ArrowCursor
            return
        index = self.selected
        if index is None:
            return
        original = model.areas()[index]
        if self._mode == "move":
            lo_x, lo_y, hi_x, hi_y = model.move_limits(index)
            dx = max(lo_x, min(hi_x, round(p[0] - self._origin[0])))
            dy = max(lo_y, min(hi_y, round(p[1] - self._origin[1])))
            self._shown = [(x + dx, y + dy) for x, y in original]
        else:
            x = min(max(round(p[0]), 0), model.width - 1)
            y = min(max(round(p[1]), 0), model.height - 1)
            self._shown = list(original)
            self._shown[self._vertex] = (x, y)
        self.host.overlay.set_override(index, self._shown)

    def release(self, ev: ToolEvent) -> None:
        if self._mode is None or ev.button != Qt.MouseButton.LeftButton:
            return
        self.move(ev)
        mode, index, shown = self._mode, self.selected, self._shown
        self.cancel()
        if index is None:
            return
        model = self.host.model
        if mode == "move":
            x0, y0 = model.areas()[index][0]
            sx, sy = shown[0]
            model.move_area(index, int(sx - x0), int(sy - y0))
            self.host.report(None)
        else:
            problem = model.replace_area(index, shown, "Move corner")
            self.host.report(problem)

    def double_click(self, ev: ToolEvent) -> None:
        index = self.selected
        if index is None:
            return
        p = self._img(ev)
        pts = list(self.host.model.areas()[index])
        reach = HANDLE_PX * self.host.image_per_screen()
        best, best_d = -1, math.inf
        for i in range(len(pts)):
            d = geo.distance_to_segment(p[0], p[1], pts[i], pts[(i + 1) % len(pts)])
            if d < best_d:
                best, best_d = i, d
        if best >= 0 and best_d <= reach:
            pts.insert(best + 1, (round(p[0]), round(p[1])))
            self.host.report(self.host.model.replace_area(index, pts, "Add corner"))

    def key(self, ev: QKeyEvent) -> bool:
        if self.selected is None:
            return False
        if ev.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            index = self.selected
            self.host.overlay.set_selected(None)
            self.host.model.remove_area(index)
            return True
        if ev.key() == Qt.Key.Key_Escape:
            self.host.overlay.set_selected(None)
            return True
        steps = {Qt.Key.Key_Left: (-1, 0), Qt.Key.Key_Right: (1, 0), Qt.Key.Key_Up: (0, -1), Qt.Key.Key_Down: (0, 1)}
        if ev.key() in steps:
            # arrow keys nudge by a pixel (Shift: ten), for exact placement
            dx, dy = steps[ev.key()]
            n = 10 if ev.modifiers() & Qt.KeyboardModifier.ShiftModifier else 1
            self.host.model.move_area(self.selected, dx * n, dy * n)
            return True
        return False


SHAPE_TOOLS = (RectangleTool, PolygonTool, LassoTool)
ALL_TOOLS = (SelectTool, RectangleTool, PolygonTool, LassoTool)
