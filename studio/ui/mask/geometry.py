"""Polygon geometry for repaint masks, on plain (x, y) tuples.

No Qt here on purpose: these are the rules a mask must satisfy before it is sent, and they are
tested with hypothesis, so they must be quick and free of a GUI.

Conventions (the API's, REFERENCE.md "Polygon"): points are image pixels with y pointing down,
sent flat as [x1, y1, x2, y2, ...], "clockwise from top-left". With y down, a polygon drawn
clockwise on screen has a *positive* shoelace sum, so `signed_area > 0` means clockwise here.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Sequence

Point = tuple[float, float]
IntPoint = tuple[int, int]

MAX_POINTS = 200  # the studio's cap per area: plenty for a lasso, small for the request
MIN_SIDE = 500  # the API's image size range for mask polygons (Polygon.width/height)
MAX_SIDE = 4096
# Smaller than an 8x8 px square is almost certainly a slip of the mouse, and a repaint that
# small costs the same credits as a large one.
MIN_AREA_PX = 64.0


# ---- measures ---------------------------------------------------------------------------------

def signed_area(points: Sequence[Point]) -> float:
    """Shoelace area; positive when the polygon runs clockwise on screen (y down)."""
    n = len(points)
    if n < 3:
        return 0.0
    total = 0.0
    x0, y0 = points[-1]
    for x1, y1 in points:
        total += x0 * y1 - x1 * y0
        x0, y0 = x1, y1
    return total / 2.0


def area(points: Sequence[Point]) -> float:
    return abs(signed_area(points))


def is_clockwise(points: Sequence[Point]) -> bool:
    return signed_area(points) > 0


def all_on_one_line(points: Sequence[Point]) -> bool:
    """True if every point lies on one straight line (or there are fewer than 3 distinct ones)."""
    pts = dedupe(points)
    if len(pts) < 3:
        return True
    ax, ay = pts[0]
    # the point farthest from the first fixes the line; a tiny tolerance absorbs float noise
    bx, by = max(pts, key=lambda p: (p[0] - ax) ** 2 + (p[1] - ay) ** 2)
    length = math.hypot(bx - ax, by - ay)
    if length == 0:
        return True
    return all(abs((bx - ax) * (y - ay) - (by - ay) * (x - ax)) / length < 1e-9 for x, y in pts)


def bounding_box(points: Sequence[Point]) -> tuple[float, float, float, float]:
    """(min_x, min_y, max_x, max_y)."""
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    return min(xs), min(ys), max(xs), max(ys)


def contains(points: Sequence[Point], x: float, y: float) -> bool:
    """Even-odd point-in-polygon test (for hit-testing areas)."""
    inside = False
    n = len(points)
    if n < 3:
        return False
    xj, yj = points[-1]
    for xi, yi in points:
        if (yi > y) != (yj > y):
            cross_x = xi + (y - yi) * (xj - xi) / (yj - yi)
            if x < cross_x:
                inside = not inside
        xj, yj = xi, yi
    return inside


def distance_to_segment(px: float, py: float, a: Point, b: Point) -> float:
    ax, ay = a
    bx, by = b
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    if length2 == 0:
        return math.hypot(px - ax, py - ay)
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / length2))
    return math.hypot(px - (ax + t * dx), py - (ay + t * dy))


# ---- normalisation ----------------------------------------------------------------------------

def dedupe(points: Iterable[Point]) -> list[Point]:
    """Drop consecutive repeats, including a closing point equal to the first."""
    out: list[Point] = []
    for p in points:
        if not out or p != out[-1]:
            out.append(p)
    while len(out) > 1 and out[-1] == out[0]:
        out.pop()
    return out


def remove_collinear(points: Sequence[Point]) -> list[Point]:
    """Drop vertices lying on the straight line through their neighbours (including spikes
    that double back), so the vertex count is the shape's true corner count."""
    pts = dedupe(points)
    changed = True
    while changed and len(pts) >= 3:
        changed = False
        out: list[Point] = []
        n = len(pts)
        for i in range(n):
            ax, ay = out[-1] if out else pts[i - 1]
            bx, by = pts[i]
            cx, cy = pts[(i + 1) % n]
            if (bx - ax) * (cy - ay) - (by - ay) * (cx - ax) == 0:
                changed = True
                continue
            out.append(pts[i])
        pts = dedupe(out)
    return pts


def start_index(points: Sequence[Point]) -> int:
    """The "top-left" vertex: nearest the image's top-left corner (smallest x + y), ties going
    to the higher one, then the one further left. For a rectangle this is its top-left corner;
    for any shape it is a stable, documented choice."""
    return min(range(len(points)), key=lambda i: (points[i][0] + points[i][1], points[i][1], points[i][0]))


def normalize_clockwise(points: Sequence[Point]) -> list[Point]:
    """Clockwise on screen, starting at the top-left vertex (the API's stated order)."""
    pts = list(points)
    if len(pts) < 3:
        return pts
    if signed_area(pts) < 0:
        pts.reverse()
    k = start_index(pts)
    return pts[k:] + pts[:k]


def clamp_points(points: Iterable[Point], width: int, height: int) -> list[Point]:
    """Clamp every vertex into the image. Pixel coordinates run 0..width-1: a vertex on the last
    pixel column is the furthest right a point can be and still name a pixel of the image."""
    max_x, max_y = width - 1, height - 1
    return [(min(max(x, 0), max_x), min(max(y, 0), max_y)) for x, y in points]


def round_points(points: Iterable[Point]) -> list[IntPoint]:
    return [(int(round(x)), int(round(y))) for x, y in points]


def flatten(points: Iterable[Point]) -> list:
    """[(x1, y1), (x2, y2)] -> [x1, y1, x2, y2] (the API's XYXY layout)."""
    return [c for p in points for c in p]


def unflatten(flat: Sequence[float]) -> list[Point]:
    if len(flat) % 2:
        raise ValueError("a flat point list needs an even count")
    return [(flat[i], flat[i + 1]) for i in range(0, len(flat), 2)]


def rectangle(x0: float, y0: float, x1: float, y1: float) -> list[Point]:
    """The four corners of a rectangle given by any two opposite corners, clockwise from top-left."""
    left, right = min(x0, x1), max(x0, x1)
    top, bottom = min(y0, y1), max(y0, y1)
    return [(left, top), (right, top), (right, bottom), (left, bottom)]


# ---- simplification ---------------------------------------------------------------------------

def _farthest(xs: list[float], ys: list[float], s: int, e: int) -> tuple[float, int]:
    """(distance, index) of the point in xs/ys[s+1 .. e-1] farthest from the chord s–e."""
    ax, ay, bx, by = xs[s], ys[s], xs[e], ys[e]
    dx, dy = bx - ax, by - ay
    length = math.hypot(dx, dy)
    if length == 0:
        dists = [math.hypot(x - ax, y - ay) for x, y in zip(xs[s + 1:e], ys[s + 1:e])]
        best = max(dists)
        return best, s + 1 + dists.index(best)
    # The hot loop of the whole simplifier: the signed cross product of each point with the
    # chord, with the constant term, the absolute value and the 1/length applied once after.
    cross = [dy * x - dx * y for x, y in zip(xs[s + 1:e], ys[s + 1:e])]
    c = bx * ay - by * ax
    hi, lo = max(cross), min(cross)
    if hi + c >= -(lo + c):
        return (hi + c) / length, s + 1 + cross.index(hi)
    return -(lo + c) / length, s + 1 + cross.index(lo)


def simplify(points: Sequence[Point], tolerance: float = 0.0,
             max_points: int = MAX_POINTS) -> list[Point]:
    """Closed-polygon Ramer–Douglas–Peucker: keep the vertices that deviate more than
    `tolerance`, and at most `max_points` of them.

    The splits are taken best first (a heap of chords keyed by their farthest point), so the
    work stops as soon as the tolerance is met or the cap reached instead of splitting every
    chord down to single points: a 5,000-point lasso costs a few hundred splits, not 5,000.
    Stopping on the tolerance gives exactly classic RDP; stopping on the cap keeps the
    `max_points` most significant splits."""
    pts = dedupe(points)
    n = len(pts)
    if n <= 3:
        return pts
    xs = [p[0] for p in pts]
    ys = [p[1] for p in pts]
    # Two anchors: the first point and the one farthest from it split the ring into two chains.
    x0, y0 = xs[0], ys[0]
    d2 = [(x - x0) * (x - x0) + (y - y0) * (y - y0) for x, y in zip(xs, ys)]
    far = d2.index(max(d2))
    if far == 0:
        return [pts[0]]
    xs.append(x0)
    ys.append(y0)
    keep = {0, far}
    heap: list[tuple[float, int, int, int]] = []
    for s, e in ((0, far), (far, n)):
        if e - s >= 2:
            d, k = _farthest(xs, ys, s, e)
            heap.append((-d, k, s, e))
    heapq.heapify(heap)
    limit = max(3, max_points)
    while heap and len(keep) < limit:
        neg_d, k, s, e = heapq.heappop(heap)
        if -neg_d <= tolerance and len(keep) >= 3:
            break
        keep.add(k)
        for a, b in ((s, k), (k, e)):
            if b - a >= 2:
                d, m = _farthest(xs, ys, a, b)
                heapq.heappush(heap, (-d, m, a, b))
    return [pts[i] for i in sorted(keep)]


# ---- degeneracy -------------------------------------------------------------------------------

def _orient(ax: float, ay: float, bx: float, by: float, cx: float, cy: float) -> int:
    v = (bx - ax) * (cy - ay) - (by - ay) * (cx - ax)
    return (v > 0) - (v < 0)


def _on_segment(ax: float, ay: float, bx: float, by: float, px: float, py: float) -> bool:
    return min(ax, bx) <= px <= max(ax, bx) and min(ay, by) <= py <= max(ay, by)


def segments_intersect(a: Point, b: Point, c: Point, d: Point) -> bool:
    """Closed segments ab and cd share at least one point (touching counts)."""
    o1 = _orient(*a, *b, *c)
    o2 = _orient(*a, *b, *d)
    o3 = _orient(*c, *d, *a)
    o4 = _orient(*c, *d, *b)
    if o1 != o2 and o3 != o4:
        return True
    return ((o1 == 0 and _on_segment(*a, *b, *c)) or (o2 == 0 and _on_segment(*a, *b, *d))
            or (o3 == 0 and _on_segment(*c, *d, *a)) or (o4 == 0 and _on_segment(*c, *d, *b)))


def is_self_intersecting(points: Sequence[Point]) -> bool:
    """True if any two edges cross or touch other than neighbours at their shared corner, or a
    corner folds straight back over its own edge. A sweep over x keeps this fast for 200 points."""
    pts = dedupe(points)
    n = len(pts)
    if n < 3:
        return False
    edges = []
    for i in range(n):
        a, b = pts[i], pts[(i + 1) % n]
        edges.append((min(a[0], b[0]), max(a[0], b[0]), i, a, b))
    # a corner whose two edges overlap along a line (a spike) is a fold, not a corner
    for i in range(n):
        a, b, c = pts[i - 1], pts[i], pts[(i + 1) % n]
        if _orient(*a, *b, *c) == 0 and (
            (c[0] - b[0]) * (a[0] - b[0]) + (c[1] - b[1]) * (a[1] - b[1]) > 0
        ):
            return True
    edges.sort()
    for idx, (lo, hi, i, a, b) in enumerate(edges):
        for lo2, _hi2, j, c, d in edges[idx + 1:]:
            if lo2 > hi:
                break
            if abs(i - j) == 1 or abs(i - j) == n - 1:
                continue  # neighbours share a corner by construction (folds handled above)
            if min(a[1], b[1]) > max(c[1], d[1]) or min(c[1], d[1]) > max(a[1], b[1]):
                continue
            if segments_intersect(a, b, c, d):
                return True
    return False


def degeneracy(points: Sequence[Point], min_area: float = MIN_AREA_PX) -> str | None:
    """Why this polygon cannot be sent as a repaint area, or None if it can."""
    pts = dedupe(points)
    if len(pts) < 3:
        return "an area needs at least 3 corners"
    if all_on_one_line(pts):
        return "this area has no surface (all its corners lie on one line)"
    if is_self_intersecting(pts):
        return "this area's edges cross each other; draw it without crossing lines"
    a = area(pts)
    if a < min_area:
        return f"this area is too small ({a:.0f} px²; at least {min_area:.0f} px² are needed)"
    return None


def image_size_problem(width: int, height: int) -> str | None:
    """Why the API will not take mask polygons on an image of this size, or None."""
    if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
        return (
            f"This image is {width}×{height} px; the API accepts mask areas only on images "
            f"{MIN_SIDE}–{MAX_SIDE} px on each side."
        )
    return None
