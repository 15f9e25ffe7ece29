"""MaskEditor (inpaint): the request it emits, and every bad input refused with a message."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage

from studio.api.requests import Mask
from studio.ui.mask import MaskEditor
from studio.ui.mask import geometry as geo


def image(w=1024, h=768, dpr=1.0) -> QImage:
    img = QImage(w, h, QImage.Format.Format_RGB32)
    img.fill(QColor("#335577"))
    img.setDevicePixelRatio(dpr)
    return img


@pytest.fixture
def editor(qtbot):
    def build(w=1024, h=768, prompt="a red barn in snow --v 7", model=None):
        ed = MaskEditor(image(w, h), job_id="job-123", image_no=2, prompt=prompt, model=model)
        qtbot.addWidget(ed)
        ed.show()
        qtbot.waitExposed(ed)
        return ed
    return build


class Spy:
    def __init__(self, signal):
        self.calls = []
        signal.connect(lambda *args: self.calls.append(args))


def test_apply_emits_inpaint_ready_for_the_session(editor):
    ed = editor()
    spy = Spy(ed.submitted)
    ed.painter.model.add_area(geo.rectangle(100, 200, 300, 400))
    ed.painter.model.add_area([(600, 100), (900, 150), (700, 500)])
    assert ed.prompt.text() == "a red barn in snow --v 7"  # prefilled from the job's prompt
    assert "120 credits" in ed.cost_line.text() and "2 areas" in ed.cost_line.text()
    assert ed.apply() is True
    ((op, kwargs),) = spy.calls
    assert op == "inpaint"
    assert set(kwargs) == {"job_id", "image_no", "mask", "remix_prompt"}
    assert kwargs["job_id"] == "job-123" and kwargs["image_no"] == 2
    assert kwargs["remix_prompt"] == "a red barn in snow --v 7"
    mask = kwargs["mask"]
    assert isinstance(mask, Mask)
    assert mask.to_json() == {"areas": [
        {"width": 1024, "height": 768, "points": [100, 200, 300, 200, 300, 400, 100, 400]},
        {"width": 1024, "height": 768, "points": [600, 100, 900, 150, 700, 500]},
    ]}
    assert not ed.isVisible()  # closes after sending


def test_kwargs_go_through_the_client_signature(editor):
    import inspect

    from studio.api.client import LegnextClient

    ed = editor()
    spy = Spy(ed.submitted)
    ed.painter.model.add_area(geo.rectangle(10, 10, 200, 200))
    ed.apply()
    op, kwargs = spy.calls[0]
    inspect.signature(getattr(LegnextClient, op)).bind(None, **kwargs)


def refused(ed, needle: str):
    spy = Spy(ed.submitted)
    assert ed.apply() is False
    assert spy.calls == []
    assert needle in ed.message.text(), ed.message.text()
    assert ed.message.objectName() == "ErrorText"
    assert ed.isVisible()


def test_empty_mask_is_refused(editor):
    refused(editor(), "mask is empty")


def test_missing_prompt_is_refused(editor):
    ed = editor(prompt="")
    ed.painter.model.add_area(geo.rectangle(10, 10, 200, 200))
    refused(ed, "Type a prompt")


def test_prompt_the_server_would_reject_is_refused(editor):
    ed = editor(prompt="castle --v 8.1 --q 2")
    ed.painter.model.add_area(geo.rectangle(10, 10, 200, 200))
    refused(ed, "--q")


def test_too_long_prompt_is_refused(editor):
    ed = editor(prompt="word " * 2000)
    ed.painter.model.add_area(geo.rectangle(10, 10, 200, 200))
    refused(ed, "8192")


@pytest.mark.parametrize("size", [(400, 400), (1024, 480), (4200, 600)])
def test_image_outside_the_api_range_is_refused_at_once(editor, size):
    ed = editor(*size)
    # said in red before the user draws anything
    assert "500–4096" in ed.message.text() and ed.message.objectName() == "ErrorText"
    ed.painter.model.add_area(geo.rectangle(10, 10, 300, 300))
    refused(ed, "500–4096")


def test_areas_and_url_together_are_refused_and_url_alone_is_sent(editor):
    ed = editor()
    ed.painter.model.add_area(geo.rectangle(10, 10, 200, 200))
    ed.url_edit.setText("https://example.com/mask.png")
    refused(ed, "either the painted areas or a mask URL")
    ed.painter.clear()
    spy = Spy(ed.submitted)
    assert ed.apply()
    assert spy.calls[0][1]["mask"].to_json() == {"url": "https://example.com/mask.png"}


def test_bad_mask_url_is_refused(editor):
    ed = editor()
    ed.url_edit.setText("ftp://example.com/mask.png")
    refused(ed, "http")


def test_tool_refusals_show_in_red_and_success_clears_them(editor, qtbot):
    ed = editor()
    ed.painter.tools["polygon"].points = [(10, 10), (300, 300), (300, 10), (10, 300)]
    ed.painter.tools["polygon"].close()
    assert "cross" in ed.message.text() and ed.message.objectName() == "ErrorText"
    ed.painter.tools["polygon"].points = [(10, 10), (300, 10), (300, 300)]
    ed.painter.tools["polygon"].close()
    assert ed.message.text() == "Ready."


def test_apply_with_a_half_drawn_polygon_asks_to_finish_it(editor):
    ed = editor()
    ed.painter.model.add_area(geo.rectangle(10, 10, 200, 200))
    ed.painter.set_tool("polygon")
    ed.painter.tools["polygon"].points = [(300, 300), (400, 300)]
    refused(ed, "Finish the shape")
    ed.painter.tools["polygon"].cancel()
    assert ed.apply()


def test_export_mask_png(editor, tmp_path):
    ed = editor()
    ed.painter.model.add_area(geo.rectangle(100, 100, 300, 200))
    path = ed.export_mask(tmp_path / "mask.png")
    img = Image.open(io.BytesIO(path.read_bytes()))
    assert img.size == (1024, 768) and img.mode == "L"
    assert img.getpixel((200, 150)) == 255 and img.getpixel((50, 50)) == 0
    assert img.getpixel((301, 150)) == 0 and img.getpixel((300, 150)) == 255


def test_cancel_emits_cancelled_and_nothing_else(editor, qtbot):
    ed = editor()
    sent = Spy(ed.submitted)
    with qtbot.waitSignal(ed.cancelled):
        ed.cancel_button.click()
    assert sent.calls == []


def test_closing_with_a_painted_mask_asks_before_discarding_it(editor, qtbot):
    ed = editor()
    ed.painter.model.add_area(geo.rectangle(10, 10, 200, 200))
    gone = Spy(ed.cancelled)
    ed.close()  # the window's close button, or Cancel: the mask must not vanish unasked
    qtbot.waitUntil(lambda: ed.discard_box is not None and ed.discard_box.isVisible())
    assert ed.isVisible() and gone.calls == [] and len(ed.painter.model) == 1
    ed.discard_box.button(ed.discard_box.StandardButton.Cancel).click()  # keep editing
    assert ed.isVisible() and gone.calls == []
    sent = Spy(ed.submitted)
    ed.cancel_button.click()
    qtbot.waitUntil(lambda: ed.discard_box.isVisible())
    with qtbot.waitSignal(ed.cancelled):
        ed.discard_box.button(ed.discard_box.StandardButton.Discard).click()
    assert not ed.isVisible() and sent.calls == []


def test_ctrl_enter_applies(editor, qtbot):
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    ed = editor()
    ed.painter.model.add_area(geo.rectangle(10, 10, 200, 200))
    ed.activateWindow()
    qtbot.waitUntil(lambda: ed.isActiveWindow(), timeout=2000)
    with qtbot.waitSignal(ed.submitted, timeout=2000):
        QTest.keyClick(ed.prompt.edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)


def test_grid_style_construction_by_keywords(qtbot):
    """The grid builds editors from keywords it knows (image, job_id, image_no, prompt, model, parent)."""
    ed = MaskEditor(image=image(), job_id="j", image_no=0, prompt="p", model="7", parent=None)
    qtbot.addWidget(ed)
    assert ed.windowTitle().startswith("Repaint")


def test_escape_on_a_half_drawn_polygon_clears_the_finish_it_message(editor):
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    ed = editor()
    ed.painter.model.add_area(geo.rectangle(10, 10, 200, 200))
    ed.painter.set_tool("polygon")
    ed.painter.tools["polygon"].points = [(300, 300), (400, 300)]
    refused(ed, "Finish the shape")
    QTest.keyClick(ed.painter.view, Qt.Key.Key_Escape)
    assert ed.message.text() == "Ready."


def fits_in(ed, widgets):
    """Every widget shown whole inside the editor window."""
    from PySide6.QtCore import QRect

    for w in widgets:
        assert w.isVisible(), w
        top_left = w.mapTo(ed, w.rect().topLeft())
        assert ed.rect().contains(QRect(top_left, w.size())), (w, top_left, w.size(), ed.size())


def test_the_editor_fits_an_800_by_600_window(editor, qtbot):
    ed = editor()
    ed.resize(800, 600)
    qtbot.waitUntil(lambda: ed.size().toTuple() == (800, 600))
    p = ed.painter
    fits_in(ed, [*p.tool_buttons.values(), p.add_button, p.subtract_button, p.undo_button, p.redo_button,
                 p.clear_button, p.fit_button, p.actual_button, ed.apply_button, ed.cancel_button])
    assert p.view.width() >= 300
    # room again: the labels come back
    ed.resize(1280, 820)
    labelled = Qt.ToolButtonStyle.ToolButtonTextBesideIcon
    qtbot.waitUntil(lambda: p.tool_buttons["rectangle"].toolButtonStyle() == labelled)
