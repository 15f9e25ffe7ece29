"""MaskModel: what enters the mask, the API payload it makes, and undo/redo of every change."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from studio.api.requests import Mask, Polygon
from studio.ui.mask import geometry as geo
from studio.ui.mask.mask_model import MaskModel


@pytest.fixture
def model(qapp):
    return MaskModel(1000, 800)


def flat(model: MaskModel) -> list[list[int]]:
    return [a["points"] for a in model.flat_areas()]


def test_added_area_is_normalised_clamped_and_rounded(model):
    # counter-clockwise, float, starting bottom-right, partly outside the image on the right
    assert model.add_area([(1100.4, 700.2), (900.0, 700.2), (900.0, 100.6), (1100.4, 100.6)]) is None
    assert flat(model) == [[900, 101, 999, 101, 999, 700, 900, 700]]
    poly = model.flat_areas()[0]
    assert (poly["width"], poly["height"]) == (1000, 800)


def test_area_crossing_the_corner_is_clipped_not_squashed(model):
    # a triangle poking out of the top-left corner: clipping keeps the visible part's true shape
    assert model.add_area([(-100, -100), (300, 50), (50, 300)]) is None
    pts = model.areas()[0]
    assert all(0 <= x <= 999 and 0 <= y <= 799 for x, y in pts)
    assert geo.is_clockwise(pts) and geo.start_index(pts) == 0
    assert (0, 0) in pts  # the corner is inside the triangle, so the clip keeps it


def test_refusals_leave_the_mask_unchanged(model):
    assert "outside" in model.add_area(geo.rectangle(2000, 2000, 2300, 2300))
    assert "at least 3" in model.add_area([(10, 10), (50, 50)])
    assert "no surface" in model.add_area([(10, 10), (50, 50), (90, 90)])
    assert "cross" in model.add_area([(0, 0), (100, 100), (100, 0), (0, 100)])
    assert "too small" in model.add_area(geo.rectangle(10, 10, 14, 14))
    assert len(model) == 0
    assert model.undo_stack.count() == 0


def test_untangle_splits_a_figure_eight_into_two_areas(model):
    assert model.add_area([(100, 100), (300, 300), (300, 100), (100, 300)], untangle=True) is None
    assert len(model) == 2
    assert all(geo.degeneracy(a) is None for a in model.areas())


def test_subtract_through_the_middle_cuts_a_hole_free_shape(model):
    model.add_area(geo.rectangle(100, 100, 500, 500))
    assert model.subtract_area(geo.rectangle(250, 250, 350, 350)) is None
    areas = model.areas()
    assert len(areas) == 2  # cut in two through the hole: polygons cannot have holes
    total = sum(geo.area(a) for a in areas)
    assert total == pytest.approx(400 * 400 - 100 * 100)
    for a in areas:
        assert not geo.contains(a, 300, 300)  # the erased middle stays erased
        assert geo.degeneracy(a) is None
    # the mask PNG agrees: the hole is black, the ring white
    img = Image.open(io.BytesIO(model.mask_png()))
    assert img.size == (1000, 800)
    assert img.getpixel((300, 300)) == 0
    assert img.getpixel((150, 300)) == 255 and img.getpixel((450, 300)) == 255
    assert img.getpixel((300, 150)) == 255 and img.getpixel((600, 300)) == 0


def test_a_figure_eight_eraser_erases_both_loops(model):
    # a lasso drawn as a symmetric bow tie: its signed areas cancel, yet both loops have a surface
    model.add_area(geo.rectangle(100, 100, 500, 500))
    assert model.subtract_area([(50, 50), (550, 550), (550, 50), (50, 550)]) is None
    assert model.area_at(150, 300) is None and model.area_at(450, 300) is None  # the loops, left and right
    assert model.area_at(300, 150) is not None and model.area_at(300, 450) is not None


def test_subtract_that_touches_nothing_says_so(model):
    model.add_area(geo.rectangle(100, 100, 200, 200))
    assert "did not touch" in model.subtract_area(geo.rectangle(500, 500, 600, 600))
    assert model.undo_stack.count() == 1


def test_undo_redo_sequence(model):
    a = geo.rectangle(10, 10, 110, 110)
    b = geo.rectangle(200, 200, 400, 300)
    snapshots = [model.areas()]
    model.add_area(a)
    snapshots.append(model.areas())
    model.add_area(b)
    snapshots.append(model.areas())
    model.move_area(0, 15, -4)
    snapshots.append(model.areas())
    model.subtract_area(geo.rectangle(300, 150, 500, 350))
    snapshots.append(model.areas())
    model.remove_area(0)
    snapshots.append(model.areas())
    model.clear()
    snapshots.append(model.areas())
    assert model.undo_stack.count() == 6
    for expected in reversed(snapshots[:-1]):
        model.undo_stack.undo()
        assert model.areas() == expected
    assert not model.undo_stack.canUndo()
    for expected in snapshots[1:]:
        model.undo_stack.redo()
        assert model.areas() == expected
    # a new change after undo drops the redo branch
    model.undo_stack.undo()
    model.undo_stack.undo()
    model.add_area(geo.rectangle(600, 600, 700, 700))
    assert not model.undo_stack.canRedo()
    assert model.areas() == snapshots[4] + [((600, 600), (700, 600), (700, 700), (600, 700))]


def test_changed_signal_on_every_step(model, qtbot):
    with qtbot.waitSignal(model.changed):
        model.add_area(geo.rectangle(0, 0, 100, 100))
    with qtbot.waitSignal(model.changed):
        model.undo_stack.undo()


def test_move_stops_at_the_image_edge(model):
    model.add_area(geo.rectangle(100, 100, 200, 150))
    model.move_area(0, 5000, -5000)
    assert model.areas()[0] == ((899, 0), (999, 0), (999, 50), (899, 50))
    model.move_area(0, 1, 1)  # already at the right edge: only y moves
    assert model.areas()[0][0] == (899, 1)


def test_replace_refuses_a_crossing_reshape(model):
    model.add_area(geo.rectangle(100, 100, 300, 300))
    crossed = [(100, 100), (300, 100), (100, 300), (300, 300)]
    assert "cross" in model.replace_area(0, crossed)
    assert model.areas()[0] == ((100, 100), (300, 100), (300, 300), (100, 300))
    assert model.replace_area(0, [(100, 100), (300, 120), (300, 300), (100, 300)]) is None
    assert model.areas()[0][1] == (300, 120)


def test_area_with_too_many_points_is_simplified_to_the_cap(model):
    import math

    n = 900
    ring = [(500 + 300 * math.cos(2 * math.pi * i / n), 400 + 300 * math.sin(2 * math.pi * i / n))
            for i in range(n)]
    assert model.add_area(ring) is None
    assert len(model.areas()[0]) <= geo.MAX_POINTS


def test_problems_and_api_mask(model):
    assert model.problems() == ["The mask is empty: draw at least one area to repaint."]
    model.add_area(geo.rectangle(10, 20, 110, 220))
    assert model.problems() == []
    mask = model.api_mask()
    assert isinstance(mask, Mask) and isinstance(mask.areas[0], Polygon)
    assert mask.to_json() == {"areas": [{"width": 1000, "height": 800, "points": [10, 20, 110, 20, 110, 220, 10, 220]}]}


@pytest.mark.parametrize("size", [(499, 800), (1000, 4097), (300, 300)])
def test_image_outside_the_api_range_is_a_problem(qapp, size):
    model = MaskModel(*size)
    model.add_area(geo.rectangle(10, 10, 200, 200))
    problems = model.problems()
    assert problems and "500–4096" in problems[0]


def test_covered_fraction_counts_overlaps_once(model):
    model.add_area(geo.rectangle(0, 0, 100, 100))
    model.add_area(geo.rectangle(50, 0, 150, 100))
    assert model.covered_fraction() == pytest.approx(150 * 100 / (1000 * 800))
