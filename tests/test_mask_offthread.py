"""Heavy image work stays off the GUI thread: the mask PNG export (a non-modal save dialog, the
rasterising and the write in a worker), the pan/zoom-out preview's smooth thumbnail, and the
editor's one full-size pixmap (made once, never again on zoom)."""

from __future__ import annotations

import io
import threading

import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QFileDialog

from studio.ui.mask import MaskEditor, PanDialog
from studio.ui.mask import geometry as geo
from studio.ui.mask import mask_editor as mask_editor_module
from studio.ui.mask.extend_preview import THUMB_EDGE, ExtendPreview


def image(w: int, h: int, fill: str = "#335577") -> QImage:
    img = QImage(w, h, QImage.Format.Format_RGB32)
    img.fill(QColor(fill))
    return img


def test_export_goes_through_a_non_modal_dialog_and_a_worker_thread(qtbot, qloop, tmp_path, monkeypatch):
    ed = MaskEditor(image(1024, 768), job_id="job-1", image_no=0, prompt="a barn")
    qtbot.addWidget(ed)
    ed.show()
    qtbot.waitExposed(ed)
    ed.painter.model.add_area(geo.rectangle(100, 100, 300, 200))

    threads: list[str] = []
    real = mask_editor_module._write_mask

    def spy(*args):
        threads.append(threading.current_thread().name)
        return real(*args)

    monkeypatch.setattr(mask_editor_module, "_write_mask", spy)
    ed.export_button.click()
    # the click returned: no nested event loop is running the dialog
    dialog = ed.save_dialog
    assert isinstance(dialog, QFileDialog) and dialog.isVisible()
    assert dialog.acceptMode() == QFileDialog.AcceptMode.AcceptSave
    target = tmp_path / "out-mask.png"
    dialog.fileSelected.emit(str(target))
    dialog.close()
    qtbot.waitUntil(lambda: ed.export_task is not None and ed.export_task.done(), timeout=5000)
    assert threads and threads[0] != threading.main_thread().name
    assert ed.message.text() == f"Mask saved to {target}"
    img = Image.open(io.BytesIO(target.read_bytes()))
    assert img.size == (1024, 768) and img.mode == "L"
    assert img.getpixel((200, 150)) == 255 and img.getpixel((50, 50)) == 0


def test_export_failure_is_reported(qtbot, qloop, tmp_path):
    ed = MaskEditor(image(1024, 768), job_id="job-1", image_no=0, prompt="a barn")
    qtbot.addWidget(ed)
    ed.painter.model.add_area(geo.rectangle(100, 100, 300, 200))
    ed._export_to(str(tmp_path / "missing-folder" / "mask.png"))
    qtbot.waitUntil(lambda: ed.export_task.done(), timeout=5000)
    assert ed.message.text().startswith("Could not save the mask")


def test_export_with_nothing_drawn_opens_no_dialog(qtbot):
    ed = MaskEditor(image(1024, 768), job_id="job-1", image_no=0, prompt="a barn")
    qtbot.addWidget(ed)
    ed.export_button.click()
    assert ed.save_dialog is None and "draw an area first" in ed.message.text()


def test_preview_thumbnail_is_smoothed_in_a_worker(qtbot, qloop, monkeypatch):
    seen: list[str] = []
    real = QImage.scaled

    def spy(self, *args):
        if args and args[-1] == Qt.TransformationMode.SmoothTransformation:
            seen.append(threading.current_thread().name)
        return real(self, *args)

    monkeypatch.setattr(QImage, "scaled", spy)
    src = image(3000, 2000, "#884422")
    preview = ExtendPreview(src)
    qtbot.addWidget(preview)
    # a quick stand-in right away, at the preview's size
    assert not preview.smooth and preview._thumb.size().width() == THUMB_EDGE
    with qtbot.waitSignal(preview.thumb_ready, timeout=5000):
        pass
    assert preview.smooth and (preview._thumb.width(), preview._thumb.height()) == (THUMB_EDGE, 426)
    assert seen and all(name != threading.main_thread().name for name in seen)
    assert preview._thumb.pixelColor(100, 100) == QColor("#884422")


def test_preview_closed_before_the_thumbnail_lands(qtbot, qloop):
    dialog = PanDialog(image(3000, 2000), job_id="job-p", image_no=0, prompt="dunes")
    task = dialog.preview.thumb_task
    assert task is not None
    dialog.deleteLater()
    del dialog
    qtbot.waitUntil(task.done, timeout=5000)
    assert task.exception() is None


def test_small_source_needs_no_scaling(qtbot):
    preview = ExtendPreview(image(600, 500))
    qtbot.addWidget(preview)
    assert preview.smooth and preview.thumb_task is None


@pytest.mark.parametrize("zooms", [(0.3, 1.0, 4.0, 0.5)])
def test_full_size_pixmap_is_made_once_per_editor(qtbot, zooms):
    ed = MaskEditor(image(1200, 900), job_id="job-1", image_no=0, prompt="a barn")
    qtbot.addWidget(ed)
    item = ed.painter.image_item
    key = item.pixmap().cacheKey()
    assert (item.pixmap().width(), item.pixmap().height()) == (1200, 900)
    for z in zooms:
        ed.painter.view.set_zoom(z)
        ed.painter.view.fit()
    assert item.pixmap().cacheKey() == key
