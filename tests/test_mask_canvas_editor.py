"""CanvasEditor (edit, upload-paint): canvas presets, imgPos after dragging and resizing the image
with the mouse, undo of placements, mask points in the source image's own pixels, requests."""

from __future__ import annotations

import inspect

import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QColor, QImage, QMouseEvent
from PySide6.QtWidgets import QApplication

from studio.api.client import LegnextClient
from studio.api.requests import Canvas, CanvasImg
from studio.ui.mask import CanvasEditor
from studio.ui.mask import geometry as geo
from studio.ui.mask.canvas_editor import Placement, canvas_for_aspect

LEFT = Qt.MouseButton.LeftButton


def image(w=1024, h=1024) -> QImage:
    img = QImage(w, h, QImage.Format.Format_RGB32)
    img.fill(QColor("#446688"))
    return img


def send(view, kind, scene_pt: QPointF, buttons, button=LEFT, mods=Qt.KeyboardModifier.NoModifier):
    vp = view.viewport()
    pos = view.map_from_scene_f(scene_pt)
    QApplication.sendEvent(vp, QMouseEvent(kind, pos, QPointF(vp.mapToGlobal(pos)), button, buttons, mods))


def drag_scene(view, a, b, steps=5, mods=Qt.KeyboardModifier.NoModifier):
    a, b = QPointF(*a), QPointF(*b)
    send(view, QEvent.Type.MouseButtonPress, a, LEFT, mods=mods)
    for i in range(1, steps + 1):
        send(view, QEvent.Type.MouseMove, a + (b - a) * (i / steps), LEFT, Qt.MouseButton.NoButton, mods)
    send(view, QEvent.Type.MouseButtonRelease, b, Qt.MouseButton.NoButton, mods=mods)


@pytest.fixture
def editor(qtbot):
    def build(w=1024, h=1024, img_url=None, prompt="a harbour at dusk --v 7"):
        if img_url:
            ed = CanvasEditor(image(w, h), img_url=img_url, prompt=prompt)
        else:
            ed = CanvasEditor(image(w, h), job_id="job-9", image_no=1, prompt=prompt)
        qtbot.addWidget(ed)
        ed.resize(1280, 800)
        ed.show()
        qtbot.waitExposed(ed)
        return ed
    return build


class Spy:
    def __init__(self, signal):
        self.calls = []
        signal.connect(lambda *args: self.calls.append(args))


def test_starts_with_the_image_filling_its_own_canvas(editor):
    ed = editor(1200, 800)
    assert ed.placement == Placement(1200, 800, 0, 0, 1200, 800)
    assert (ed.canvas_w.value(), ed.canvas_h.value(), ed.img_w.value()) == (1200, 800, 1200)
    assert ed.painter.current_tool().name == "image"


@pytest.mark.parametrize("preset,canvas,pos", [
    ("16:9", (1820, 1024), (398, 0)),
    ("9:16", (1024, 1820), (0, 398)),
    ("1:1", (1024, 1024), (0, 0)),
    ("4:3", (1365, 1024), (170, 0)),
])
def test_presets_build_the_smallest_canvas_of_that_shape_and_centre_the_image(editor, preset, canvas, pos):
    ed = editor()
    ed.set_preset(preset)
    p = ed.placement
    assert (p.canvas_w, p.canvas_h) == canvas
    assert (p.x, p.y, p.w, p.h) == (*pos, 1024, 1024)


def test_a_preset_past_4096_shrinks_the_image_with_it():
    cw, ch, shrink = canvas_for_aspect(4000, 4000, 16, 9)
    assert cw == 4096 and ch == round(4096 * 9 / 16) and shrink == pytest.approx(4096 / (4000 * 16 / 9))


def test_drag_moves_the_image_and_imgpos_follows(editor):
    ed = editor()
    ed.set_preset("16:9")  # canvas 1820x1024, image at 398,0
    view = ed.painter.view
    drag_scene(view, (600, 500), (600 - 250, 500 + 33), mods=Qt.KeyboardModifier.ShiftModifier)  # no snap
    p = ed.placement
    assert (p.x, p.y, p.w, p.h) == (148, 33, 1024, 1024)
    assert (ed.img_x.value(), ed.img_y.value()) == (148, 33)
    # near the left edge it snaps flush to it
    drag_scene(view, (600, 500), (600 - 145, 500 - 31))
    assert (ed.placement.x, ed.placement.y) == (0, 0)


def test_drag_a_corner_resizes_keeping_the_aspect(editor):
    ed = editor(1200, 800)
    ed.set_preset("1:1")  # canvas 1200x1200, image 1200x800 at 0,200
    assert ed.placement == Placement(1200, 1200, 0, 200, 1200, 800)
    view = ed.painter.view
    # bottom-right corner dragged up-left: the top-left corner stays, aspect 3:2 kept
    drag_scene(view, (1200, 1000), (900, 800))
    p = ed.placement
    assert (p.x, p.y) == (0, 200)
    assert (p.w, p.h) == (900, 600)
    # top-left corner dragged in: the bottom-right stays put
    drag_scene(view, (0, 200), (300, 300))
    p = ed.placement
    assert (p.x + p.w, p.y + p.h) == (900, 800)
    assert p.w / p.h == pytest.approx(1.5, abs=0.01)


def test_placements_undo_and_redo_with_the_mask(editor):
    ed = editor()
    start = ed.placement
    ed.set_preset("16:9")
    after_preset = ed.placement
    ed.painter.model.add_area(geo.rectangle(10, 10, 300, 300))
    drag_scene(ed.painter.view, (900, 500), (1000, 500), mods=Qt.KeyboardModifier.ShiftModifier)
    moved = ed.placement
    stack = ed.painter.model.undo_stack
    stack.undo()
    assert ed.placement == after_preset and len(ed.painter.model) == 1
    stack.undo()
    assert len(ed.painter.model) == 0
    stack.undo()
    assert ed.placement == start
    stack.redo()
    stack.redo()
    stack.redo()
    assert ed.placement == moved and len(ed.painter.model) == 1


def test_typed_numbers_place_the_image_and_merge_into_one_undo_step(editor):
    ed = editor()
    ed.set_preset("16:9")
    count = ed.painter.model.undo_stack.count()
    for v in (10, 20, 30):
        ed.img_x.setValue(v)
    assert ed.placement.x == 30
    assert ed.painter.model.undo_stack.count() == count + 1
    ed.img_w.setValue(512)
    assert (ed.placement.w, ed.placement.h) == (512, 512)  # aspect kept
    ed.canvas_w.setValue(2000)
    assert ed.placement.canvas_w == 2000 and ed.preset.currentText() == "Free"


def test_the_shape_box_names_the_canvas_whatever_changed_it(editor):
    ed = editor(1024, 768)
    assert ed.preset.currentText() == "Same as image"
    ed.set_preset("16:9")
    ed.set_placement(Placement(2000, 1500, 0, 0, 1024, 768))  # placed by hand: a 4:3 canvas
    assert ed.preset.currentText() == "4:3"
    ed.canvas_h.setValue(1400)  # typed: no listed shape
    assert ed.preset.currentText() == "Free"
    stack = ed.painter.model.undo_stack
    stack.undo()
    assert ed.preset.currentText() == "4:3"
    stack.undo()
    assert ed.preset.currentText() == "16:9"
    stack.undo()
    assert ed.preset.currentText() == "Same as image" and ed.placement == Placement(1024, 768, 0, 0, 1024, 768)


def test_mask_points_are_in_the_source_images_pixels_when_moved_and_scaled(editor):
    ed = editor(1000, 1000)
    ed.set_placement(Placement(2000, 1500, 500, 250, 500, 500))  # image at half size
    ed.painter.set_tool("rectangle")
    # a rectangle drawn over canvas pixels (600,350)-(700,450) covers image pixels (200,200)-(400,400)
    drag_scene(ed.painter.view, (600, 350), (700, 450))
    assert ed.painter.model.flat_areas() == [
        {"width": 1000, "height": 1000, "points": [200, 200, 400, 200, 400, 400, 200, 400]}
    ]


def test_mask_drawn_past_the_image_is_clipped_to_it(editor):
    ed = editor(1000, 1000)
    ed.set_placement(Placement(2000, 1500, 500, 250, 500, 500))
    ed.painter.set_tool("rectangle")
    drag_scene(ed.painter.view, (300, 100), (600, 350))  # mostly over the empty canvas
    assert ed.painter.model.flat_areas()[0]["points"] == [0, 0, 200, 0, 200, 200, 0, 200]


def test_edit_request(editor):
    ed = editor()
    ed.set_preset("16:9")
    ed.painter.model.add_area(geo.rectangle(100, 100, 400, 300))
    spy = Spy(ed.submitted)
    assert ed.apply()
    op, kwargs = spy.calls[0]
    assert op == "edit"
    assert kwargs["job_id"] == "job-9" and kwargs["image_no"] == 1
    assert kwargs["canvas"] == Canvas(1820, 1024)
    assert kwargs["img_pos"] == CanvasImg(1024, 1024, 398, 0)
    assert kwargs["remix_prompt"] == "a harbour at dusk --v 7"
    assert kwargs["mask"].to_json() == {"areas": [
        {"width": 1024, "height": 1024, "points": [100, 100, 400, 100, 400, 300, 100, 300]}]}
    inspect.signature(LegnextClient.edit).bind(None, **kwargs)


def test_edit_without_a_mask_is_allowed(editor):
    ed = editor()
    ed.set_preset("3:2")
    spy = Spy(ed.submitted)
    assert ed.apply()
    assert spy.calls[0][1]["mask"] is None


def test_upload_paint_request_and_its_required_mask(editor):
    ed = editor(img_url="https://example.com/photo.png")
    spy = Spy(ed.submitted)
    assert not ed.apply()
    assert "needs a mask" in ed.message.text() and spy.calls == []
    ed.painter.model.add_area(geo.rectangle(0, 0, 512, 512))
    assert ed.apply()
    op, kwargs = spy.calls[0]
    assert op == "upload_paint"
    assert set(kwargs) == {"img_url", "canvas", "img_pos", "remix_prompt", "mask"}
    assert kwargs["img_url"] == "https://example.com/photo.png"
    inspect.signature(LegnextClient.upload_paint).bind(None, **kwargs)


def test_bad_inputs_are_refused(editor):
    ed = editor()
    spy = Spy(ed.submitted)
    ed.prompt.set_text("")
    assert not ed.apply() and "Type a prompt" in ed.message.text()
    ed.prompt.set_text("harbour")
    assert ed.set_placement(Placement(1024, 1024, 3000, 0, 1024, 1024)) is not None  # off the canvas
    assert ed.placement.x == 0
    assert "outside the canvas" in ed.message.text()
    small = editor(480, 480)
    small.painter.model.add_area(geo.rectangle(10, 10, 200, 200))
    small_spy = Spy(small.submitted)
    assert not small.apply() and "500–4096" in small.message.text()
    assert spy.calls == [] and small_spy.calls == []


def test_upload_paint_with_a_bad_url_is_refused(editor):
    ed = editor(img_url="not a url")
    ed.painter.model.add_area(geo.rectangle(0, 0, 512, 512))
    assert not ed.apply() and "imgUrl" in ed.message.text()


def test_the_image_cannot_grow_past_what_imgpos_accepts(editor):
    """imgPos sides above 8192 px are refused by the server (HTTP 400): the editor must not
    build such a placement, by typing or by dragging a corner."""
    from studio.sandbox.validation import CANVAS_MAX as IMGPOS_MAX

    ed = editor()
    spy = Spy(ed.submitted)
    ed.img_w.setValue(9000)
    assert ed.placement.w <= IMGPOS_MAX and ed.placement.h <= IMGPOS_MAX
    drag_scene(ed.painter.view, (1024, 1024), (30000, 30000))  # the bottom-right corner, far out
    assert ed.placement.w <= IMGPOS_MAX and ed.placement.h <= IMGPOS_MAX
    assert ed.set_placement(Placement(1024, 1024, 0, 0, 9000, 9000)) is not None
    assert ed.apply()
    assert spy.calls[0][1]["img_pos"].width <= IMGPOS_MAX


def test_reset_puts_the_image_back_at_full_size_on_its_own_canvas(editor):
    ed = editor(1200, 800)
    ed.set_preset("16:9")
    ed.img_w.setValue(600)
    ed.reset_button.click()
    assert ed.placement == Placement(1200, 800, 0, 0, 1200, 800)
    assert ed.preset.currentText() == "Same as image"


def test_the_canvas_editor_fits_an_800_by_600_window(editor, qtbot):
    from test_mask_editor import fits_in

    ed = editor()
    ed.resize(800, 600)
    qtbot.waitUntil(lambda: ed.size().toTuple() == (800, 600))
    p = ed.painter
    fits_in(ed, [*p.tool_buttons.values(), p.add_button, p.subtract_button, p.clear_button, p.actual_button,
                 ed.apply_button, ed.cancel_button])


def test_on_a_canvas_of_the_images_size_areas_go_in_canvas_pixels(editor):
    """Polygons whose width/height equal the canvas are read as canvas pixels: the painted area
    is sent where it shows on the canvas, and an area left off the canvas is refused."""
    ed = editor(1000, 800)
    ed.set_placement(Placement(1000, 800, 500, 400, 500, 400))  # half size, bottom-right quarter
    ed.painter.model.add_area(geo.rectangle(100, 100, 300, 200))
    spy = Spy(ed.submitted)
    assert ed.apply()
    assert spy.calls[0][1]["mask"].to_json() == {"areas": [
        {"width": 1000, "height": 800, "points": [550, 450, 650, 450, 650, 500, 550, 500]}]}
    ed = editor(1000, 800)
    ed.set_placement(Placement(1000, 800, 700, 600, 500, 400))  # the painted corner hangs off
    ed.painter.model.add_area(geo.rectangle(700, 500, 900, 700))
    assert not ed.apply() and "outside the canvas" in ed.message.text()
