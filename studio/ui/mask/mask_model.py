"""The mask being painted: a list of repaint areas in the image's own pixels, with undo.

What is stored is exactly what will be sent: every area is already clamped to the image,
rounded to whole pixels, clockwise from its top-left vertex and checked for degeneracy when it
enters the model. The overlay draws these very points, so what the artist sees is what the API
gets. Every change is one `QUndoCommand` holding the area list before and after (areas are
small, so snapshots are simpler and safer than inverse operations).
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from studio.ui.mask import geometry as geo
from studio.ui.mask import path_ops
from studio.ui.mask.geometry import IntPoint, Point

Area = tuple[IntPoint, ...]


class _SetAreas(QUndoCommand):
    def __init__(self, model: MaskModel, before: list[Area], after: list[Area], text: str) -> None:
        super().__init__(text)
        self._model = model
        self._before = before
        self._after = after

    def redo(self) -> None:
        self._model._apply(self._after)

    def undo(self) -> None:
        self._model._apply(self._before)


class MaskModel(QObject):
    """Repaint areas on an image of `width` x `height` pixels."""

    changed = Signal()

    def __init__(self, width: int, height: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.width = int(width)
        self.height = int(height)
        self._areas: list[Area] = []
        self.undo_stack = QUndoStack(self)

    # ---- reading ------------------------------------------------------------------------------

    def areas(self) -> list[Area]:
        return list(self._areas)

    def __len__(self) -> int:
        return len(self._areas)

    def area_at(self, x: float, y: float) -> int | None:
        """Index of the topmost area containing the image point, or None."""
        for i in range(len(self._areas) - 1, -1, -1):
            if geo.contains(self._areas[i], x, y):
                return i
        return None

    def covered_fraction(self) -> float:
        """Share of the image the mask covers (overlaps counted once)."""
        if not self._areas:
            return 0.0
        covered = sum(geo.area(p) for p in path_ops.to_polygons(path_ops.union_path(self._areas)))
        return covered / float(self.width * self.height)

    # ---- the rules ----------------------------------------------------------------------------

    def _finish(self, points: Sequence[Point], tidy: bool = True) -> tuple[Area | None, str | None]:
        """Round, clamp, tidy and check one piece that already lies inside the image.

        tidy: drop corners on straight runs (drawn shapes); an edited outline keeps them, as a
        corner just added to an edge is meant to be dragged next."""
        pts = geo.round_points(geo.clamp_points(points, self.width, self.height))
        pts = geo.remove_collinear(pts) if tidy else geo.dedupe(pts)
        if len(pts) > geo.MAX_POINTS:
            pts = geo.remove_collinear(geo.round_points(geo.simplify(pts, 0.5, geo.MAX_POINTS)))
        problem = geo.degeneracy(pts)
        if problem:
            return None, problem
        return tuple(geo.normalize_clockwise(pts)), None  # type: ignore[arg-type]

    def prepare(self, points: Sequence[Point], *, untangle: bool = False,
                tidy: bool = True) -> tuple[list[Area], str | None]:
        """The areas `points` become (clipped to the image, maybe split), or why it cannot be one.

        untangle: resolve crossing edges into the pieces they enclose (a freehand lasso); a
        clicked polygon with crossing edges is refused instead, as its intent is unclear.
        """
        pts = geo.dedupe(points)
        if len(pts) < 3:
            return [], "an area needs at least 3 corners"
        if geo.all_on_one_line(pts):
            return [], "this area has no surface (all its corners lie on one line)"
        inside = all(0 <= x <= self.width - 1 and 0 <= y <= self.height - 1 for x, y in pts)
        crossing = geo.is_self_intersecting(pts)
        if crossing and not untangle:
            return [], "this area's edges cross each other; draw it without crossing lines"
        if inside and not crossing:
            pieces: list[list[Point]] = [pts]
        else:
            # the pixel grid's last row/column is the edge a vertex may sit on (see clamp_points)
            pieces = []
            for piece in (path_ops.untangle(pts) if crossing else [pts]):
                pieces.extend(path_ops.clip_to_rect(piece, self.width - 1, self.height - 1))
            if not pieces:
                return [], "this area lies outside the image"
        done: list[Area] = []
        problems: list[str] = []
        for piece in pieces:
            finished, problem = self._finish(piece, tidy)
            if finished is not None:
                done.append(finished)
            elif problem:
                problems.append(problem)
        if not done:
            return [], problems[0] if problems else "this area lies outside the image"
        return done, None

    # ---- changing (each is one undo step) -----------------------------------------------------

    def _apply(self, areas: list[Area]) -> None:
        self._areas = list(areas)
        self.changed.emit()

    def _push(self, after: list[Area], text: str) -> None:
        self.undo_stack.push(_SetAreas(self, list(self._areas), list(after), text))

    def add_area(self, points: Sequence[Point], *, untangle: bool = False) -> str | None:
        """Add a drawn shape; returns why it was refused, or None."""
        pieces, problem = self.prepare(points, untangle=untangle)
        if problem:
            return problem
        self._push(self._areas + pieces, "Add area")
        return None

    def subtract_area(self, points: Sequence[Point]) -> str | None:
        """Erase a drawn shape out of every area it touches."""
        cutter = geo.dedupe(points)
        # not the signed area: a figure eight's loops cancel out in it, yet both have a surface
        if len(cutter) < 3 or geo.all_on_one_line(cutter):
            return "the eraser shape needs a surface"
        after: list[Area] = []
        touched = False
        for existing in self._areas:
            if not path_ops.overlaps(existing, cutter):
                after.append(existing)
                continue
            touched = True
            for piece in path_ops.subtract([existing], cutter):
                finished, _problem = self._finish(piece)
                if finished is not None:  # slivers left by the eraser are dropped
                    after.append(finished)
        if not touched or after == self._areas:  # missed, or only grazed an edge
            return "the eraser did not touch any area"
        self._push(after, "Erase")
        return None

    def remove_area(self, index: int) -> None:
        if 0 <= index < len(self._areas):
            after = self._areas[:index] + self._areas[index + 1:]
            self._push(after, "Delete area")

    def replace_area(self, index: int, points: Sequence[Point], text: str = "Edit area") -> str | None:
        """Swap an area for an edited outline (a dragged vertex); refused if it degenerates."""
        if not 0 <= index < len(self._areas):
            return "no such area"
        pieces, problem = self.prepare(points, tidy=False)
        if problem:
            return problem
        if len(pieces) == 1 and pieces[0] == self._areas[index]:
            return None
        after = self._areas[:index] + pieces + self._areas[index + 1:]
        self._push(after, text)
        return None

    def move_limits(self, index: int) -> tuple[int, int, int, int]:
        """(min_dx, min_dy, max_dx, max_dy) that keep the area inside the image."""
        x0, y0, x1, y1 = geo.bounding_box(self._areas[index])
        return (int(-x0), int(-y0), int(self.width - 1 - x1), int(self.height - 1 - y1))

    def move_area(self, index: int, dx: int, dy: int) -> None:
        """Shift an area by whole pixels, stopping at the image edge (it slides along it)."""
        if not 0 <= index < len(self._areas):
            return
        lo_x, lo_y, hi_x, hi_y = self.move_limits(index)
        dx = max(lo_x, min(hi_x, int(dx)))
        dy = max(lo_y, min(hi_y, int(dy)))
        if dx == 0 and dy == 0:
            return
        moved = tuple((x + dx, y + dy) for x, y in self._areas[index])
        after = self._areas[:index] + [moved] + self._areas[index + 1:]
        self._push(after, "Move area")

    def clear(self) -> None:
        if self._areas:
            self._push([], "Clear mask")

    # ---- output -------------------------------------------------------------------------------

    def problems(self) -> list[str]:
        """Why this mask cannot be sent as it stands (empty list: it can)."""
        out = []
        size = geo.image_size_problem(self.width, self.height)
        if size:
            out.append(size)
        if not self._areas:
            out.append("The mask is empty: draw at least one area to repaint.")
        for n, pts in enumerate(self._areas, 1):
            if len(pts) > geo.MAX_POINTS:
                out.append(f"Area {n} has {len(pts)} corners; at most {geo.MAX_POINTS} are allowed.")
            problem = geo.degeneracy(pts)
            if problem:
                out.append(f"Area {n}: {problem}.")
        return out

    def flat_areas(self) -> list[dict]:
        """The areas as the API's Polygon objects: image size plus flat clockwise points."""
        return [
            {"width": self.width, "height": self.height, "points": geo.flatten(pts)}
            for pts in self._areas
        ]

    def api_mask(self):
        """A `studio.api.requests.Mask` of these areas (raises its ValidationError if invalid)."""
        from studio.api.requests import Mask, Polygon

        return Mask(areas=[Polygon(a["width"], a["height"], a["points"]) for a in self.flat_areas()])

    def mask_png(self) -> bytes:
        """A black-and-white PNG of the mask at image size (white is repainted, as in the API's
        `mask.url` images), for the artist's own use."""
        return mask_png(self.width, self.height, list(self._areas))


def mask_png(width: int, height: int, areas: Sequence[Area]) -> bytes:
    """Rasterise `areas` to a PNG. Pure (no Qt): the editor runs it in a worker thread, since a
    4096² mask takes a while to draw and compress; areas are immutable tuples, so a list copy
    taken on the GUI thread is a safe snapshot."""
    from PIL import Image, ImageDraw

    img = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(img)
    for pts in areas:
        draw.polygon([tuple(p) for p in pts], fill=255)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()
