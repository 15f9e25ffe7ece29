"""Mask geometry: orientation, start vertex, clamping, simplification and degeneracy."""

from __future__ import annotations

import math
import random

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from studio.ui.mask import geometry as geo

coord = st.floats(min_value=-5000, max_value=9000, allow_nan=False, allow_infinity=False)
points3 = st.lists(st.tuples(coord, coord), min_size=3, max_size=40)
sizes = st.integers(min_value=geo.MIN_SIDE, max_value=geo.MAX_SIDE)


def star(cx: float, cy: float, n: int, r0: float, r1: float, seed: int = 0) -> list[tuple[float, float]]:
    """A simple (non-crossing) star-shaped polygon: angles increase, radii vary."""
    rnd = random.Random(seed)
    radii = [r0 + (r1 - r0) * rnd.random() for _ in range(n)]
    return [
        (cx + radii[i] * math.cos(2 * math.pi * i / n), cy + radii[i] * math.sin(2 * math.pi * i / n))
        for i in range(n)
    ]


# ---- orientation and start ----------------------------------------------------------------------

def test_rectangle_is_clockwise_from_top_left_as_in_the_sdk_example():
    # the vendor SDK's example polygon: [100,100, 500,100, 500,500, 100,500]
    rect = geo.rectangle(500, 500, 100, 100)
    assert geo.flatten(rect) == [100, 100, 500, 100, 500, 500, 100, 500]
    assert geo.is_clockwise(rect)
    ccw = list(reversed(rect))
    assert not geo.is_clockwise(ccw)
    assert geo.normalize_clockwise(ccw) == rect


@given(points3)
def test_normalize_makes_clockwise_and_starts_at_top_left(pts):
    assume(geo.area(pts) > 1e-6)
    out = geo.normalize_clockwise(pts)
    assert geo.signed_area(out) > 0  # clockwise on screen (y down)
    assert sorted(out) == sorted(pts)  # same vertices, nothing invented or lost
    k = geo.start_index(out)
    assert k == 0
    x0, y0 = out[0]
    assert all(x0 + y0 <= x + y for x, y in out)


@given(points3)
def test_normalize_keeps_the_cyclic_order_or_reverses_it(pts):
    pts = geo.dedupe(pts)
    assume(len(pts) >= 3 and geo.area(pts) > 1e-6 and len(set(pts)) == len(pts))
    out = geo.normalize_clockwise(pts)
    n = len(pts)
    i = pts.index(out[0])
    forward = [pts[(i + k) % n] for k in range(n)]
    backward = [pts[(i - k) % n] for k in range(n)]
    assert out in (forward, backward)


@given(points3)
def test_normalize_is_idempotent(pts):
    assume(geo.area(pts) > 1e-6)
    once = geo.normalize_clockwise(pts)
    assert geo.normalize_clockwise(once) == once


# ---- clamping -----------------------------------------------------------------------------------

@given(points3, sizes, sizes)
def test_clamped_points_lie_on_image_pixels(pts, w, h):
    out = geo.clamp_points(pts, w, h)
    assert len(out) == len(pts)
    for (x, y), (ox, oy) in zip(out, pts):
        assert 0 <= x <= w - 1 and 0 <= y <= h - 1
        if 0 <= ox <= w - 1:
            assert x == ox  # points inside are never moved
        if 0 <= oy <= h - 1:
            assert y == oy
    assert geo.clamp_points(out, w, h) == out


@given(points3, sizes, sizes)
def test_rounded_clamped_points_are_ints_in_range(pts, w, h):
    out = geo.round_points(geo.clamp_points(pts, w, h))
    assert all(isinstance(c, int) for p in out for c in p)
    assert all(0 <= x <= w - 1 and 0 <= y <= h - 1 for x, y in out)


# ---- simplification -----------------------------------------------------------------------------

def test_simplify_caps_a_5000_point_lasso_to_200_and_keeps_its_shape():
    n = 5000
    ring = [(2000 + 1500 * math.cos(2 * math.pi * i / n) + 3 * math.sin(i * 0.7),
             2000 + 1200 * math.sin(2 * math.pi * i / n)) for i in range(n)]
    out = geo.simplify(ring, tolerance=1.0, max_points=geo.MAX_POINTS)
    assert 3 <= len(out) <= geo.MAX_POINTS
    assert set(out) <= set(ring)  # RDP keeps original vertices only
    assert abs(geo.area(out) - geo.area(ring)) / geo.area(ring) < 0.01
    assert not geo.is_self_intersecting(out)


def test_simplify_keeps_every_real_corner_and_drops_straight_runs():
    square = []
    for t in range(100):
        square.append((t, 0.0))
    for t in range(100):
        square.append((100.0, t))
    for t in range(100):
        square.append((100.0 - t, 100.0))
    for t in range(100):
        square.append((0.0, 100.0 - t))
    out = geo.simplify(square, tolerance=0.5)
    assert sorted(out) == sorted([(0.0, 0.0), (100.0, 0.0), (100.0, 100.0), (0.0, 100.0)])


@settings(max_examples=60)
@given(st.integers(min_value=3, max_value=600), st.integers(min_value=0, max_value=10_000),
       st.floats(min_value=0.0, max_value=20.0), st.integers(min_value=3, max_value=200))
def test_simplify_respects_the_cap_and_keeps_original_vertices(n, seed, tol, cap):
    ring = star(1000, 1000, n, 200, 900, seed)
    out = geo.simplify(ring, tolerance=tol, max_points=cap)
    assert 3 <= len(out) <= max(cap, 3)
    assert set(out) <= set(ring)
    # order is preserved: the kept vertices appear in the ring's order
    idx = [ring.index(p) for p in out]
    assert idx == sorted(idx)


# ---- degeneracy ---------------------------------------------------------------------------------

def test_degeneracy_messages():
    assert "at least 3" in geo.degeneracy([(0, 0), (10, 10)])
    assert "no surface" in geo.degeneracy([(0, 0), (10, 10), (20, 20)])
    assert "cross" in geo.degeneracy([(0, 0), (100, 100), (100, 0), (0, 100)])  # a bow tie
    assert "too small" in geo.degeneracy(geo.rectangle(0, 0, 5, 5))
    assert geo.degeneracy(geo.rectangle(0, 0, 50, 50)) is None


def test_self_intersection_cases():
    assert geo.is_self_intersecting([(0, 0), (100, 100), (100, 0), (0, 100)])
    # a vertex touching another edge pinches the polygon
    assert geo.is_self_intersecting([(0, 0), (100, 0), (50, 50), (100, 100), (0, 100), (50, 0)])
    # a spike folding back over its own edge
    assert geo.is_self_intersecting([(0, 0), (100, 0), (50, 0), (50, 50)])
    assert not geo.is_self_intersecting(geo.rectangle(0, 0, 10, 10))
    assert not geo.is_self_intersecting(star(0, 0, 150, 10, 100, 3))


@settings(max_examples=80)
@given(st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40)), min_size=3, max_size=9))
def test_self_intersection_agrees_with_brute_force(pts):
    pts = geo.dedupe(pts)
    assume(len(pts) >= 3)
    n = len(pts)
    brute = False
    for i in range(n):
        for j in range(i + 1, n):
            if j == i + 1 or (i == 0 and j == n - 1):
                continue
            if geo.segments_intersect(pts[i], pts[(i + 1) % n], pts[j], pts[(j + 1) % n]):
                brute = True
    folds = any(
        geo._orient(*pts[i - 1], *pts[i], *pts[(i + 1) % n]) == 0
        and (pts[(i + 1) % n][0] - pts[i][0]) * (pts[i - 1][0] - pts[i][0])
        + (pts[(i + 1) % n][1] - pts[i][1]) * (pts[i - 1][1] - pts[i][1]) > 0
        for i in range(n)
    )
    assert geo.is_self_intersecting(pts) == (brute or folds)


def test_image_size_range():
    assert geo.image_size_problem(1024, 1024) is None
    assert geo.image_size_problem(500, 4096) is None
    assert "499×1024" in geo.image_size_problem(499, 1024)
    assert geo.image_size_problem(4097, 1000) is not None


def test_contains_and_distance():
    sq = geo.rectangle(0, 0, 10, 10)
    assert geo.contains(sq, 5, 5) and not geo.contains(sq, 15, 5)
    assert geo.distance_to_segment(5, 5, (0, 0), (10, 0)) == 5
