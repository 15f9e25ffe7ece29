"""A file from this computer dropped where an image URL is wanted — the prompt editor, the
reference wells — is never pasted (not into the prompt, not into the middle of a URL there): the
drop says the API takes image URLs, not uploads. Addresses the API refuses are said too."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QWidget

from studio.session.prompt_state import PromptState
from studio.ui.prompt.editor import PromptEditor
from studio.ui.prompt.reference_wells import ReferenceWells, local_files_in_mime
from tests.studio_support import shown

PROMPT = "https://example.com/refs/fox.png a red fox in snow --v 7"


def _drop(widget: QWidget, mime: QMimeData, x: float = 60.0) -> QDropEvent:
    event = QDropEvent(QPointF(x, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    widget.dropEvent(event)
    return event


def _files(*paths: str) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(p) for p in paths])
    return mime


@pytest.fixture
def state(qapp):
    state = PromptState()
    state.set_text(PROMPT, origin="program")
    return state


def test_a_file_dropped_in_the_middle_of_the_prompts_url_leaves_the_prompt_alone(qtbot, state):
    editor = shown(qtbot, PromptEditor(state), (420, 300))
    # A drop at x=60 lands inside "https://example.com/…", where Qt would paste file:///…
    event = _drop(editor.text_edit, _files("/home/ada/Pictures/sketch.bmp"))
    assert event.isAccepted()
    assert state.text() == PROMPT and "file:" not in editor.text_edit.toPlainText()
    assert editor.drop_note.startswith("sketch.bmp is a file on this computer")
    assert "image URLs, not uploads" in editor.drop_note
    _drop(editor.text_edit, _files("/tmp/a.bmp", "/tmp/b.bmp"))
    assert state.text() == PROMPT and "a.bmp (and 1 more)" in editor.drop_note


def test_reference_wells_say_why_a_local_file_or_a_bad_address_is_not_taken(qtbot, state):
    wells = ReferenceWells(state)
    qtbot.addWidget(wells)
    wells.show()
    well = wells.wells["sref"]
    event = _drop(well, _files("/Users/ada/Desktop/style board.png"))
    assert event.isAccepted() and state.text() == PROMPT
    assert well.note.isVisible() and "style board.png is a file on this computer" in well.note.text()
    well.field.setText("https://example.com/" + "x" * 1100 + ".png")
    assert well.note.isHidden()  # typing clears the last note
    well.field.returnPressed.emit()
    assert "at most 1024" in well.note.text() and state.text() == PROMPT
    well.field.setText("~/Pictures/board.png")
    well.field.returnPressed.emit()
    assert "board.png is a file on this computer" in well.note.text()
    well.field.setText("1234567")  # a style code is taken as typed
    well.field.returnPressed.emit()
    assert "--sref 1234567" in state.text() and well.note.isHidden()
    image = wells.wells["image"]
    image.field.setText("example.com/a.png")
    image.field.returnPressed.emit()
    assert "must be an http(s) URL" in image.note.text() and state.text().startswith("https://example.com/refs")


def test_a_drag_with_a_web_address_and_its_file_is_the_address():
    mime = _files("/archive/ab/cd.png")
    mime.setText("https://cdn.example.com/x_0.png")
    assert local_files_in_mime(mime) == []
    assert local_files_in_mime(_files("/archive/ab/cd.png")) == ["cd.png"]
