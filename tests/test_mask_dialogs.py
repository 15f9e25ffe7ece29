"""PanDialog and OutpaintDialog: the kwargs they emit, their scale ranges, the printed sizes and
the preview's placement of the original inside the result."""

from __future__ import annotations

import inspect

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtTest import QTest

from studio.api.client import LegnextClient
from studio.ui.mask import OutpaintDialog, PanDialog
from studio.ui.mask.extend_preview import outpaint_size, pan_offset, pan_size


def image(w=1456, h=816) -> QImage:
    img = QImage(w, h, QImage.Format.Format_RGB32)
    img.fill(QColor("#553322"))
    return img


class Spy:
    def __init__(self, signal):
        self.calls = []
        signal.connect(lambda *args: self.calls.append(args))


@pytest.fixture
def pan(qtbot):
    d = PanDialog(image(), job_id="job-p", image_no=3, prompt="dunes --ar 16:9")
    qtbot.addWidget(d)
    d.show()
    qtbot.waitExposed(d)
    return d


@pytest.mark.parametrize("value,name,size,at", [
    (0, "down", (1456, 1224), (0, 0)),
    (1, "right", (2184, 816), (0, 0)),
    (2, "up", (1456, 1224), (0, 408)),
    (3, "left", (2184, 816), (728, 0)),
])
def test_pan_direction_buttons_use_the_docs_numbers(pan, value, name, size, at):
    pan.set_scale(1.5)
    pan.direction_buttons[value].click()
    assert pan.direction == value
    assert pan.result_size() == size
    assert pan.original_at() == at
    assert pan.size_line.text() == f"1456 × 816 px  →  ≈ {size[0]} × {size[1]} px"
    assert name in pan.size_note.text() and "50 %" in pan.size_note.text()
    spy = Spy(pan.submitted)
    pan.send_button.click()
    assert spy.calls == [("pan", {"job_id": "job-p", "image_no": 3, "direction": value, "scale": 1.5,
                                  "remix_prompt": None})]
    inspect.signature(LegnextClient.pan).bind(None, **spy.calls[0][1])


def test_pan_arrow_keys_choose_the_direction(pan):
    pan.send_button.setFocus()
    for key, value in ((Qt.Key.Key_Up, 2), (Qt.Key.Key_Left, 3), (Qt.Key.Key_Down, 0), (Qt.Key.Key_Right, 1)):
        QTest.keyClick(pan, key)
        assert pan.direction == value
        assert pan.direction_buttons[value].isChecked()


def test_pan_scale_is_held_to_1_1_to_3_0(pan):
    pan.set_scale(5.0)
    assert pan.scale() == 3.0
    pan.set_scale(0.5)
    assert pan.scale() == 1.1
    pan.slider.setValue(213)
    assert pan.scale() == 2.13
    pan.set_direction(1)
    assert pan.result_size() == (round(1456 * 2.13), 816)


def test_pan_preview_follows_the_choice(pan):
    pan.set_scale(2.0)
    pan.set_direction(3)
    assert pan.preview._canvas == (2912, 816) and pan.preview._at == (1456, 0)
    pan.set_direction(0)
    assert pan.preview._canvas == (1456, 1632) and pan.preview._at == (0, 0)


def test_pan_with_a_prompt_and_its_checks(pan):
    spy = Spy(pan.submitted)
    pan.prompt.set_text("more dunes --v 8.1 --q 2")
    assert pan.send() is False and "--q" in pan.message.text() and pan.message.isVisible()
    pan.prompt.set_text("a caravan in the distance")
    assert pan.send() is True
    assert spy.calls[0][1]["remix_prompt"] == "a caravan in the distance"
    assert "80 credits" in pan.cost_line.text()


def test_pan_cancel_sends_nothing(pan):
    spy = Spy(pan.submitted)
    pan.cancel_button.click()
    assert spy.calls == [] and not pan.isVisible()


@pytest.fixture
def outpaint(qtbot):
    d = OutpaintDialog(image(1024, 1024), job_id="job-o", image_no=0, prompt="a cabin")
    qtbot.addWidget(d)
    d.show()
    qtbot.waitExposed(d)
    return d


@pytest.mark.parametrize("scale,size,share", [(1.2, (1229, 1229), 83), (2.0, (2048, 2048), 50), (1.5, (1536, 1536), 67)])
def test_outpaint_sizes_and_kwargs(outpaint, scale, size, share):
    outpaint.set_scale(scale)
    assert outpaint.result_size() == size
    assert outpaint.size_line.text() == f"1024 × 1024 px  →  ≈ {size[0]} × {size[1]} px"
    assert f"{share} %" in outpaint.size_note.text()  # the docs: 1.2 → 83 %, 2.0 → 50 %
    at = outpaint.original_at()
    assert at == ((size[0] - 1024) // 2, (size[1] - 1024) // 2)  # centred
    spy = Spy(outpaint.submitted)
    outpaint.send_button.click()
    assert spy.calls == [("outpaint", {"job_id": "job-o", "image_no": 0, "scale": scale, "remix_prompt": None})]
    inspect.signature(LegnextClient.outpaint).bind(None, **spy.calls[0][1])


def test_outpaint_scale_is_held_to_1_1_to_2_0(outpaint):
    outpaint.set_scale(2.5)
    assert outpaint.scale() == 2.0
    outpaint.set_scale(1.0)
    assert outpaint.scale() == 1.1
    assert outpaint.slider.minimum() == 110 and outpaint.slider.maximum() == 200


def test_size_helpers():
    assert pan_size(1000, 500, 1, 1.13) == (1130, 500)
    assert pan_size(1000, 500, 2, 3.0) == (1000, 1500)
    assert pan_offset(1000, 500, 2, 3.0) == (0, 1000)
    assert outpaint_size(1000, 500, 1.1) == (1100, 550)
