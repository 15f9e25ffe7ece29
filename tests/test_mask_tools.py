"""The painter driven like a user: mouse events on the view's viewport at several zoom levels and
image pixel ratios, asserting the polygons that end up in the mask (image pixels, exactly)."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QImage, QMouseEvent, QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from studio.ui.mask import geometry as geo
from studio.ui.mask.painter import MaskPainter

LEFT = Qt.MouseButton.LeftButton
NOMOD = Qt.KeyboardModifier.NoModifier
ROOT = Path(__file__).resolve().parent.parent


# ---- driving helpers ----------------------------------------------------------------------------

def mouse(view, kind, pos, button=LEFT, buttons=None, mods=NOMOD):
    viewport = view.viewport()
    if buttons is None:
        buttons = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseButtonRelease else button
    pos = QPointF(pos)
    ev = QMouseEvent(kind, pos, QPointF(viewport.mapToGlobal(pos)), button, buttons, mods)
    QApplication.sendEvent(viewport, ev)


def press(view, pos, button=LEFT, mods=NOMOD):
    mouse(view, QEvent.Type.MouseButtonPress, pos, button, button, mods)


def move(view, pos, buttons=LEFT, mods=NOMOD):
    mouse(view, QEvent.Type.MouseMove, pos, Qt.MouseButton.NoButton, buttons, mods)


def release(view, pos, button=LEFT, mods=NOMOD):
    mouse(view, QEvent.Type.MouseButtonRelease, pos, button, Qt.MouseButton.NoButton, mods)


def click(view, pos, mods=NOMOD):
    press(view, pos, mods=mods)
    release(view, pos, mods=mods)


def double_click(view, pos):
    press(view, pos)
    release(view, pos)
    mouse(view, QEvent.Type.MouseButtonDblClick, pos, LEFT, LEFT)
    release(view, pos)


def drag(view, a, b, steps=6, mods=NOMOD):
    a, b = QPointF(a), QPointF(b)
    press(view, a, mods=mods)
    for i in range(1, steps + 1):
        move(view, a + (b - a) * (i / steps), mods=mods)
    release(view, b, mods=mods)


def wheel(view, pos, notches=1):
    viewport = view.viewport()
    pos = QPointF(pos)
    ev = QWheelEvent(pos, QPointF(viewport.mapToGlobal(pos)), QPoint(), QPoint(0, 120 * notches),
                     Qt.MouseButton.NoButton, NOMOD, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(viewport, ev)


def qt_image_point(painter, view_pt: QPoint) -> tuple[float, float]:
    """Where Qt's own integer mapping says a viewport pixel lands on the image."""
    scene = painter.view.mapToScene(view_pt)
    p = painter.image_item.mapFromScene(scene)
    return p.x(), p.y()


def view_point(painter, x: float, y: float) -> QPoint:
    """The viewport pixel nearest to image point (x, y)."""
    scene = painter.image_item.mapToScene(QPointF(x, y))
    return painter.view.mapFromScene(scene)


def make_image(w=1200, h=900, dpr=1.0) -> QImage:
    img = QImage(w, h, QImage.Format.Format_RGB32)
    img.fill(QColor("#406080"))
    img.setDevicePixelRatio(dpr)
    return img


@pytest.fixture
def make_painter(qtbot):
    def build(w=1200, h=900, dpr=1.0, zoom=None, center=None):
        painter = MaskPainter(make_image(w, h, dpr))
        qtbot.addWidget(painter)
        painter.resize(1000, 760)
        painter.show()
        qtbot.waitExposed(painter)
        if zoom is not None:
            painter.view.set_zoom(zoom)
        painter.view.centerOn(QPointF(*(center or (w / 2, h / 2))))
        return painter
    return build


# ---- mapping at several zooms and image pixel ratios ---------------------------------------------

@pytest.mark.parametrize("zoom", [0.37, 1.0, 2.5, 7.3])
@pytest.mark.parametrize("dpr", [1.0, 1.5, 2.0])
def test_rectangle_lands_on_the_image_pixels_under_the_pointer(make_painter, zoom, dpr):
    painter = make_painter(zoom=zoom, center=(600, 450), dpr=dpr)
    view = painter.view
    c = view.viewport().rect().center()
    a, b = c + QPoint(-61, -37), c + QPoint(44, 29)
    painter.set_tool("rectangle")
    drag(view, a, b)
    assert len(painter.model) == 1
    got = painter.model.flat_areas()[0]
    assert (got["width"], got["height"]) == (1200, 900)  # the image's own pixels, whatever its DPR
    ax, ay = qt_image_point(painter, a)
    bx, by = qt_image_point(painter, b)
    assert got["points"] == [round(ax), round(ay), round(bx), round(ay), round(bx), round(by), round(ax), round(by)]
    # and independently of Qt's mapping: the centre is at (600, 450) and the size scales by 1/zoom
    assert abs((ax + bx) / 2 - (600 + (-61 + 44) / 2 / zoom)) <= 1.0 / zoom + 0.5
    assert abs((bx - ax) - 105 / zoom) < 1e-6


def test_device_pixel_ratio_of_the_image_does_not_halve_coordinates(make_painter):
    painter = make_painter(dpr=2.0)
    assert painter.image_item.boundingRect().size().toTuple() == (1200, 900)
    painter.set_tool("rectangle")
    drag(painter.view, view_point(painter, 1000, 700), view_point(painter, 1150, 850))
    x0, y0, x1, y1 = geo.bounding_box(painter.model.areas()[0])
    assert x0 > 900 and y1 > 800  # would be ~500/~425 if the HiDPI image were drawn at half size


def test_hidpi_screen_scale_factor_maps_exactly():
    """A real HiDPI screen (QT_SCALE_FACTOR=2, a 1.5 fraction too) in a fresh process."""
    script = r"""
import json, sys
from PySide6.QtWidgets import QApplication
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QImage, QColor
from PySide6.QtTest import QTest
app = QApplication(sys.argv)
from studio.ui.mask.painter import MaskPainter
img = QImage(1200, 900, QImage.Format.Format_RGB32); img.fill(QColor('#404040'))
p = MaskPainter(img); p.resize(900, 700); p.show(); app.processEvents()
p.view.actual_pixels(); p.view.centerOn(QPointF(600, 450)); app.processEvents()
v = p.view.viewport(); c = v.rect().center()
a, b = c + QPoint(-50, -40), c + QPoint(50, 40)
QTest.mousePress(v, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, a)
QTest.mouseMove(v, b)
QTest.mouseRelease(v, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, b)
print(json.dumps({"dpr": v.devicePixelRatioF(), "zoom": p.view.zoom(), "percent": p.view.zoom_percent(),
                  "areas": p.model.flat_areas()}))
"""
    for factor in ("2", "1.5"):
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen", QT_SCALE_FACTOR=factor)
        out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env,
                             cwd=ROOT, timeout=60)
        assert out.returncode == 0, out.stderr
        data = json.loads(out.stdout.strip().splitlines()[-1])
        assert data["dpr"] == pytest.approx(float(factor))
        assert data["percent"] == pytest.approx(100.0)  # 100 % = one image pixel per device pixel
        (area,) = data["areas"]
        x0, y0, x1, _, _, y1 = area["points"][:2] + area["points"][2:4] + area["points"][4:6]
        # 100 logical px on a 2x screen are 200 device px = 200 image pixels at 100 %
        assert x1 - x0 == pytest.approx(100 * float(factor), abs=1.01)
        assert y1 - y0 == pytest.approx(80 * float(factor), abs=1.01)
        assert abs((x0 + x1) / 2 - 600) <= 2 and abs((y0 + y1) / 2 - 450) <= 2


# ---- the shape tools ----------------------------------------------------------------------------

@pytest.mark.parametrize("zoom", [0.5, 1.6])
def test_polygon_closes_on_its_first_point(make_painter, zoom):
    painter = make_painter(zoom=zoom)
    view = painter.view
    painter.set_tool("polygon")
    corners = [(400, 300), (700, 320), (760, 600), (420, 560)]
    pts = [view_point(painter, x, y) for x, y in corners]
    for p in pts:
        click(view, p)
    assert len(painter.model) == 0  # still open
    click(view, pts[0] + QPoint(3, -2))  # near the first point (within the close radius)
    assert len(painter.model) == 1
    expected = [tuple(round(c) for c in qt_image_point(painter, p)) for p in pts]
    assert list(painter.model.areas()[0]) == geo.normalize_clockwise(expected)


def test_polygon_closes_on_double_click_and_enter(make_painter):
    painter = make_painter(zoom=1.0)
    view = painter.view
    painter.set_tool("polygon")
    pts = [view_point(painter, x, y) for x, y in [(300, 200), (500, 200), (400, 400)]]
    click(view, pts[0])
    click(view, pts[1])
    double_click(view, pts[2])
    assert len(painter.model) == 1
    assert len(painter.model.areas()[0]) == 3
    # Enter closes too; Backspace removes the last point first
    for p in [(600, 500), (800, 500), (900, 900 - 300), (700, 700)]:
        click(view, view_point(painter, *p))
    QTest.keyClick(view, Qt.Key.Key_Backspace)
    QTest.keyClick(view, Qt.Key.Key_Return)
    assert len(painter.model) == 2
    assert sorted(painter.model.areas()[1]) == sorted([(600, 500), (800, 500), (900, 600)])


def test_polygon_with_crossing_edges_is_refused_with_a_message(make_painter, qtbot):
    painter = make_painter(zoom=1.0)
    view = painter.view
    painter.set_tool("polygon")
    with qtbot.waitSignal(painter.message) as msg:
        for p in [(300, 200), (500, 400), (500, 200), (300, 400)]:
            click(view, view_point(painter, *p))
        QTest.keyClick(view, Qt.Key.Key_Return)
    assert "cross" in msg.args[0]
    assert len(painter.model) == 0


def test_polygon_stops_at_200_corners_with_a_message(make_painter, qtbot):
    painter = make_painter(zoom=0.5)
    tool = painter.tools["polygon"]
    painter.set_tool("polygon")
    ring = [(600 + 400 * math.cos(2 * math.pi * i / 205), 450 + 400 * math.sin(2 * math.pi * i / 205))
            for i in range(205)]
    tool.points = ring[:geo.MAX_POINTS]
    with qtbot.waitSignal(painter.message) as msg:
        click(painter.view, view_point(painter, *ring[geo.MAX_POINTS]))
    assert "at most 200 corners" in msg.args[0]
    assert len(tool.points) == geo.MAX_POINTS
    QTest.keyClick(painter.view, Qt.Key.Key_Return)
    assert len(painter.model) == 1 and len(painter.model.areas()[0]) <= geo.MAX_POINTS


def test_escape_cancels_a_half_drawn_polygon(make_painter):
    painter = make_painter(zoom=1.0)
    painter.set_tool("polygon")
    click(painter.view, view_point(painter, 300, 300))
    click(painter.view, view_point(painter, 400, 300))
    QTest.keyClick(painter.view, Qt.Key.Key_Escape)
    assert painter.tools["polygon"].points == []
    assert painter.overlay.preview_path().isEmpty()


@pytest.mark.parametrize("zoom", [0.45, 2.0])
def test_lasso_is_simplified_and_matches_the_drawn_circle(make_painter, zoom):
    painter = make_painter(zoom=zoom, center=(600, 450))
    view = painter.view
    painter.set_tool("lasso")
    c = view.viewport().rect().center()
    r = 150  # screen pixels
    n = 800
    ring = [QPointF(c.x() + r * math.cos(2 * math.pi * i / n), c.y() + r * math.sin(2 * math.pi * i / n))
            for i in range(n)]
    press(view, ring[0])
    for p in ring[1:]:
        move(view, p)
    release(view, ring[0])
    assert len(painter.model) == 1
    pts = painter.model.areas()[0]
    assert 3 <= len(pts) <= geo.MAX_POINTS
    expected_area = math.pi * (r / zoom) ** 2
    assert geo.area(pts) == pytest.approx(expected_area, rel=0.02)
    cx, cy = qt_image_point(painter, c)
    x0, y0, x1, y1 = geo.bounding_box(pts)
    assert abs((x0 + x1) / 2 - cx) < 2 / zoom + 1 and abs((y0 + y1) / 2 - cy) < 2 / zoom + 1


def test_lasso_figure_eight_becomes_two_areas(make_painter):
    painter = make_painter(zoom=1.0)
    view = painter.view
    painter.set_tool("lasso")
    pts = [view_point(painter, *p) for p in [(300, 300), (500, 500), (500, 300), (300, 500)]]
    press(view, pts[0])
    for a, b in zip(pts, pts[1:] + pts[:1]):
        for i in range(1, 21):
            move(view, QPointF(a) + (QPointF(b) - QPointF(a)) * (i / 20))
    release(view, pts[0])
    assert len(painter.model) == 2


def test_alt_drag_erases_and_erase_mode_does_too(make_painter):
    painter = make_painter(zoom=1.0)
    view = painter.view
    painter.set_tool("rectangle")
    drag(view, view_point(painter, 200, 200), view_point(painter, 600, 600))
    drag(view, view_point(painter, 350, 150), view_point(painter, 450, 650), mods=Qt.KeyboardModifier.AltModifier)
    assert len(painter.model) == 2  # cut in two
    assert painter.model.area_at(400, 400) is None
    painter.set_subtract_mode(True)
    drag(view, view_point(painter, 150, 150), view_point(painter, 400, 700))
    assert len(painter.model) == 1
    assert painter.model.area_at(300, 400) is None and painter.model.area_at(500, 400) is not None


def test_a_click_with_the_rectangle_tool_adds_nothing(make_painter):
    painter = make_painter(zoom=1.0)
    painter.set_tool("rectangle")
    click(painter.view, view_point(painter, 300, 300))
    assert len(painter.model) == 0


# ---- select, move, reshape, delete, undo --------------------------------------------------------

def test_select_move_reshape_delete_and_undo(make_painter):
    painter = make_painter(zoom=1.0)
    view, model = painter.view, painter.model
    model.add_area(geo.rectangle(300, 300, 500, 450))
    painter.set_tool("select")
    # move by dragging the inside
    drag(view, view_point(painter, 400, 400), view_point(painter, 460, 380))
    assert model.areas()[0] == ((360, 280), (560, 280), (560, 430), (360, 430))
    assert painter.overlay.selected == 0
    # drag the bottom-right corner handle
    drag(view, view_point(painter, 560, 430), view_point(painter, 600, 500))
    assert (600, 500) in model.areas()[0]
    # dragging a corner across the shape is refused and the outline restored
    before = model.areas()
    assert geo.is_self_intersecting([(700, 350)] + list(before[0][1:]))
    drag(view, view_point(painter, 360, 280), view_point(painter, 700, 350))
    assert model.areas() == before
    # Delete removes the selected area; Ctrl+Z brings it back, Ctrl+Shift+Z removes it again
    QTest.keyClick(view, Qt.Key.Key_Delete)
    assert len(model) == 0
    QTest.keyClick(view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert model.areas() == before
    QTest.keyClick(view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert len(model) == 0


def test_moving_past_the_edge_slides_along_it(make_painter):
    painter = make_painter(zoom=0.5)
    model = painter.model
    model.add_area(geo.rectangle(100, 100, 300, 200))
    painter.set_tool("select")
    drag(painter.view, view_point(painter, 200, 150), view_point(painter, -400, 180))
    x0, y0, _x1, _y1 = geo.bounding_box(model.areas()[0])
    assert x0 == 0 and y0 == 130


def test_double_click_on_an_edge_adds_a_corner(make_painter):
    painter = make_painter(zoom=1.0)
    model = painter.model
    model.add_area(geo.rectangle(300, 300, 500, 500))
    painter.set_tool("select")
    click(painter.view, view_point(painter, 400, 400))
    double_click(painter.view, view_point(painter, 400, 300))
    assert len(model.areas()[0]) == 5 and (400, 300) in model.areas()[0]


def test_clear_and_tool_shortcuts(make_painter):
    painter = make_painter(zoom=1.0)
    painter.model.add_area(geo.rectangle(300, 300, 500, 500))
    QTest.keyClick(painter.view, Qt.Key.Key_P)
    assert painter.current_tool().name == "polygon"
    QTest.keyClick(painter.view, Qt.Key.Key_L)
    assert painter.current_tool().name == "lasso"
    QTest.keyClick(painter.view, Qt.Key.Key_E)
    assert painter.subtract_mode()
    painter.clear_button.click()
    assert len(painter.model) == 0
    painter.undo_button.click()
    assert len(painter.model) == 1


# ---- zoom and pan -------------------------------------------------------------------------------

@pytest.mark.parametrize("notches", [1, 3, -2])
def test_wheel_zooms_about_the_pointer(make_painter, notches):
    painter = make_painter(zoom=1.0)
    view = painter.view
    at = QPoint(230, 170)
    before = qt_image_point(painter, at)
    z0 = view.zoom()
    wheel(view, at, notches)
    assert view.zoom() == pytest.approx(z0 * 1.2 ** notches)
    after = qt_image_point(painter, at)
    # the image point under the pointer stays put (scroll positions are whole pixels)
    assert abs(after[0] - before[0]) <= 1.0 / view.zoom()
    assert abs(after[1] - before[1]) <= 1.0 / view.zoom()


def test_fit_and_actual_pixels(make_painter):
    painter = make_painter(w=4000, h=1000)
    view = painter.view
    view.fit()
    vis = view.mapToScene(view.viewport().rect()).boundingRect()
    assert vis.contains(painter.image_item.sceneBoundingRect())
    assert view.zoom() == pytest.approx(0.94 * view.viewport().width() / 4000, rel=1e-3)
    view.actual_pixels()
    assert view.zoom_percent() == pytest.approx(100.0)
    assert painter.zoom_label.text() == "100 %"


@pytest.mark.parametrize("how", ["space", "middle"])
def test_pan_by_space_drag_and_middle_drag_moves_the_view_not_the_mask(make_painter, how):
    painter = make_painter(zoom=2.0)
    view = painter.view
    painter.set_tool("rectangle")
    at = QPoint(400, 300)
    before = qt_image_point(painter, at)
    if how == "space":
        QTest.keyPress(view, Qt.Key.Key_Space)
        drag(view, at, at + QPoint(120, 80))
        QTest.keyRelease(view, Qt.Key.Key_Space)
    else:
        press(view, at, Qt.MouseButton.MiddleButton)
        for i in range(1, 5):
            move(view, at + QPoint(30 * i, 20 * i), Qt.MouseButton.MiddleButton)
        release(view, at + QPoint(120, 80), Qt.MouseButton.MiddleButton)
    after = qt_image_point(painter, at)
    assert len(painter.model) == 0
    assert after[0] == pytest.approx(before[0] - 120 / 2.0, abs=0.51)
    assert after[1] == pytest.approx(before[1] - 80 / 2.0, abs=0.51)
    # back to drawing after the pan
    drag(view, QPoint(300, 200), QPoint(400, 300))
    assert len(painter.model) == 1


def test_ctrl_z_while_drawing_drops_the_shape_and_keeps_the_last_area(make_painter):
    """Undo in the middle of a drag takes back the unfinished shape only: the area drawn before
    it must not vanish along with it."""
    painter = make_painter(zoom=1.0)
    view = painter.view
    painter.set_tool("rectangle")
    drag(view, view_point(painter, 100, 100), view_point(painter, 300, 300))
    assert len(painter.model) == 1
    press(view, view_point(painter, 400, 400))
    move(view, view_point(painter, 600, 600))
    QTest.keyClick(view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert painter.overlay.preview_path().isEmpty()
    release(view, view_point(painter, 600, 600))
    assert len(painter.model) == 1
    # with nothing half drawn, Ctrl+Z undoes as usual
    QTest.keyClick(view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert len(painter.model) == 0


def test_an_eraser_that_only_touches_an_edge_changes_nothing_and_says_so(make_painter, qtbot):
    painter = make_painter(zoom=1.0)
    painter.model.add_area(geo.rectangle(100, 100, 300, 300))
    steps = painter.model.undo_stack.count()
    assert painter.model.subtract_area(geo.rectangle(300, 100, 400, 300)) == "the eraser did not touch any area"
    assert painter.model.undo_stack.count() == steps
