"""Prompt recall: Ctrl+Up / Ctrl+Down walk the prompts sent before (from the store, newest
first, like a shell), each step undoable; a Recent menu beside the cost line; and dropping an
exported image on the editor offers its prompt and settings."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QTimer, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QMessageBox

from studio.session.prompt_state import PromptState
from studio.ui.prompt.editor import PromptEditor
from tests.studio_support import shown, start_studio, stop_studio

SENT = ["first prompt --v 7", "second prompt --ar 3:2", "third prompt --niji 6"]
NEWEST_FIRST = list(reversed(SENT))


def ctrl(qtbot, widget, key) -> None:
    qtbot.keyClick(widget, key, Qt.KeyboardModifier.ControlModifier)


def up(qtbot, widget) -> None:
    ctrl(qtbot, widget, Qt.Key.Key_Up)


def down(qtbot, widget) -> None:
    ctrl(qtbot, widget, Qt.Key.Key_Down)


class Source:
    """A recall source like the store's: newest first, counting its reads."""

    def __init__(self, prompts: list[str]) -> None:
        self.prompts = list(prompts)
        self.reads = 0

    def __call__(self) -> list[str]:
        self.reads += 1
        return list(self.prompts)


@pytest.fixture
def source():
    return Source(NEWEST_FIRST)


@pytest.fixture
def state(qapp, source):
    state = PromptState()
    state.set_recall_source(source)
    return state


@pytest.fixture
def editor(qtbot, state):
    widget = shown(qtbot, PromptEditor(state), (420, 300))
    widget.text_edit.setFocus()
    return widget


# ---- Ctrl+Up / Ctrl+Down -------------------------------------------------------------------

def test_ctrl_up_walks_newest_first_and_ctrl_down_comes_back_to_the_draft(qtbot, editor, state, source):
    edit = editor.text_edit
    qtbot.keyClicks(edit, "my draft")
    up(qtbot, edit)
    assert state.text() == SENT[2] and edit.toPlainText() == SENT[2]
    assert edit.textCursor().position() == len(SENT[2])  # the caret at the end, like a shell
    up(qtbot, edit)
    assert state.text() == SENT[1]
    up(qtbot, edit)
    assert state.text() == SENT[0]
    up(qtbot, edit)  # the oldest: nothing more
    assert state.text() == SENT[0]
    down(qtbot, edit)
    assert state.text() == SENT[1]
    down(qtbot, edit)
    assert state.text() == SENT[2]
    down(qtbot, edit)
    assert state.text() == "my draft"  # past the newest: what was being typed
    down(qtbot, edit)
    assert state.text() == "my draft"  # not walking: Ctrl+Down does nothing
    assert source.reads == 1  # read once for the walk, not per step


def test_each_recall_is_one_undo_step_and_undo_ends_the_walk(qtbot, editor, state):
    edit = editor.text_edit
    qtbot.keyClicks(edit, "my draft")
    up(qtbot, edit)
    up(qtbot, edit)
    assert state.text() == SENT[1]
    qtbot.keyClick(edit, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert state.text() == SENT[2]
    qtbot.keyClick(edit, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert state.text() == "my draft" and edit.toPlainText() == "my draft"
    # The text changed under the walk: the next Ctrl+Up starts again from the newest.
    up(qtbot, edit)
    assert state.text() == SENT[2]


def test_typing_ends_the_walk_and_the_list_is_read_again_for_the_next(qtbot, editor, state, source):
    edit = editor.text_edit
    up(qtbot, edit)
    up(qtbot, edit)
    assert state.text() == SENT[1]
    qtbot.keyClicks(edit, " x")
    assert state.text() == SENT[1] + " x"
    source.prompts.insert(0, "sent meanwhile --v 7")  # a job sent since the walk began
    up(qtbot, edit)
    assert state.text() == "sent meanwhile --v 7"  # from the newest again, refreshed
    assert source.reads == 2
    down(qtbot, edit)
    assert state.text() == SENT[1] + " x"  # the edited prompt is the new draft


def test_a_draft_equal_to_a_sent_prompt_is_not_shown_twice(qtbot, editor, state):
    state.set_text(SENT[2], origin="program")
    up(qtbot, editor.text_edit)
    assert state.text() == SENT[1]


def test_the_completion_popup_keeps_plain_up_and_down_and_shift_selects(qtbot, editor, state):
    edit = editor.text_edit
    qtbot.keyClicks(edit, "fox --")
    qtbot.waitUntil(lambda: editor.completer.popup().isVisible())
    qtbot.keyClick(editor.completer.popup(), Qt.Key.Key_Down)
    assert state.text() == "fox --"
    qtbot.keyClick(editor.completer.popup(), Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not editor.completer.popup().isVisible())
    # Ctrl+Shift+Up stays Qt's selection key, not a recall.
    qtbot.keyClick(edit, Qt.Key.Key_Up, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert state.text() == "fox --"


def test_with_nothing_sent_ctrl_up_does_nothing(qtbot, editor, state, source):
    source.prompts = []
    qtbot.keyClicks(editor.text_edit, "draft")
    up(qtbot, editor.text_edit)
    assert state.text() == "draft" and state.undo_stack.undoText() != "Recall prompt"


def test_an_unreadable_store_recalls_nothing(qtbot, editor, state):
    def broken() -> list[str]:
        raise OSError("database is locked")

    state.set_recall_source(broken)
    qtbot.keyClicks(editor.text_edit, "draft")
    up(qtbot, editor.text_edit)
    assert state.text() == "draft"
    assert state.recent_prompts() == []


# ---- the Recent menu -----------------------------------------------------------------------

def test_the_recent_menu_lists_prompts_newest_first_and_applies_one_undoably(qtbot, editor, state):
    button = editor.recent_button
    assert button.accessibleName() == "Recent prompts" and button.menu() is editor.recent_menu
    state.set_text("draft", origin="program")
    editor.recent_menu.aboutToShow.emit()
    actions = editor.recent_menu.actions()
    assert [a.data() for a in actions] == NEWEST_FIRST
    assert [a.toolTip() for a in actions] == NEWEST_FIRST
    assert all(a.isEnabled() and "\n" not in a.text() for a in actions)
    actions[1].trigger()
    assert state.text() == SENT[1] and editor.text_edit.toPlainText() == SENT[1]
    state.undo_stack.undo()
    assert state.text() == "draft"


def test_a_long_prompt_is_one_elided_line_in_the_menu(qtbot, editor, state, source):
    long = "a castle\non a cliff " + "very " * 200 + "--ar 16:9"
    source.prompts = [long]
    editor.recent_menu.aboutToShow.emit()
    (action,) = editor.recent_menu.actions()
    assert "\n" not in action.text() and action.text().endswith("…") and len(action.text()) < 120
    assert action.toolTip() == long[:1000] and action.data() == long


def test_with_no_history_the_menu_says_so(qtbot, editor, source):
    source.prompts = []
    editor.recent_menu.aboutToShow.emit()
    (only,) = editor.recent_menu.actions()
    assert only.text() == "No prompts sent yet" and not only.isEnabled()


def test_the_menu_opens_from_the_button(qtbot, editor):
    seen: list[int] = []

    def look_and_close() -> None:  # the menu runs its own loop while open: look, then close it
        if editor.recent_menu.isVisible():
            seen.append(len(editor.recent_menu.actions()))
            editor.recent_menu.close()
        else:
            QTimer.singleShot(10, look_and_close)

    QTimer.singleShot(0, look_and_close)
    qtbot.mouseClick(editor.recent_button, Qt.MouseButton.LeftButton)  # InstantPopup: returns once closed
    qtbot.waitUntil(lambda: seen == [len(SENT)])


# ---- the whole studio: the store is the source -----------------------------------------------

def test_the_studio_recalls_the_prompts_it_sent(qtbot, qloop, sandbox):
    studio = start_studio(qtbot, base_url=sandbox.base_url)
    try:
        state, edit = studio.prompt_state, studio.window.editor.text_edit
        edit.setFocus()
        studio.window.editor.recent_menu.aboutToShow.emit()
        assert [a.text() for a in studio.window.editor.recent_menu.actions()] == ["No prompts sent yet"]
        entries = [studio.jobs.submit("diffusion", text=p, prompt=p) for p in SENT[:2]]
        qtbot.waitUntil(lambda: all(e.finished for e in entries), timeout=30000)
        state.set_text("my draft", origin="program")
        up(qtbot, edit)
        assert state.text() == SENT[1]
        up(qtbot, edit)
        assert state.text() == SENT[0]
        down(qtbot, edit)
        down(qtbot, edit)
        assert state.text() == "my draft"
        # A prompt sent after a walk is in the next one (the list is read when a walk starts).
        entry = studio.jobs.submit("diffusion", text=SENT[2], prompt=SENT[2])
        qtbot.waitUntil(lambda: entry.finished, timeout=30000)
        up(qtbot, edit)
        assert state.text() == SENT[2]
        studio.window.editor.recent_menu.aboutToShow.emit()
        assert [a.data() for a in studio.window.editor.recent_menu.actions()] == NEWEST_FIRST
    finally:
        stop_studio(qtbot, studio)


# ---- dropping an exported file -----------------------------------------------------------------

def exported_png(path, prompt="a red fox in snow --ar 3:2 --v 7", model="7", seed="1234", job_id="job-abc"):
    """A PNG as studio.store.exports writes it: `legnext` JSON and A1111 `parameters` chunks."""
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_itxt("parameters", f"{prompt}\nModel: {model}, Seed: {seed}, Job: {job_id}")
    info.add_itxt("legnext", json.dumps({"prompt": prompt, "model": model, "job_id": job_id, "seed": seed,
                                         "source": "legnext-studio", "version": 1}))
    Image.new("RGB", (8, 8), "red").save(path, pnginfo=info)
    return path


def drop(widget, path) -> QDropEvent:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                       Qt.KeyboardModifier.NoModifier)
    widget.dropEvent(event)
    return event


def test_dropping_an_export_asks_and_replace_is_one_undo_step(qtbot, editor, state, tmp_path):
    png = exported_png(tmp_path / "fox_1.png")
    state.set_text("something else", origin="program")
    event = drop(editor.text_edit, png)
    assert event.isAccepted()
    box = editor.file_box
    assert box is not None and box.isVisible()  # opened, not exec'd: the drop returned
    assert box.windowModality() == Qt.WindowModality.WindowModal
    assert box.text() == "Use the prompt of fox_1.png?"
    assert "a red fox in snow --ar 3:2 --v 7" in box.informativeText()
    assert "seed 1234" in box.informativeText() and "7" in box.informativeText()
    replace = next(b for b in box.buttons() if b.text() == "Replace prompt")
    assert box.defaultButton() is replace
    assert state.text() == "something else"  # nothing changes before the answer
    replace.click()
    qtbot.waitUntil(lambda: editor.file_box is None)
    assert state.text() == "a red fox in snow --ar 3:2 --v 7"
    assert state.params().aspect == "3:2"  # the flags carry the settings to the panel
    state.undo_stack.undo()
    assert state.text() == "something else"


def test_cancel_leaves_the_prompt_alone(qtbot, editor, state, tmp_path):
    png = exported_png(tmp_path / "fox_2.png")
    state.set_text("keep me", origin="program")
    drop(editor.text_edit, png)
    box = editor.file_box
    box.button(QMessageBox.StandardButton.Cancel).click()
    qtbot.waitUntil(lambda: editor.file_box is None)
    assert state.text() == "keep me" and not state.undo_stack.undoText().startswith("Prompt from file")


def test_a_file_the_real_writer_exported_is_offered(qtbot, editor, state, tmp_path):
    import io

    from PIL import Image

    from studio.store.exports import ExportedPrompt, write_export

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "blue").save(buffer, format="PNG")
    meta = ExportedPrompt(prompt="a blue heron --s 250", model="7", seed="42", job_id="j-1")
    (png,) = [p for p in write_export(buffer.getvalue(), tmp_path / "heron_1.png", meta) if p.suffix == ".png"]
    drop(editor.text_edit, png)
    assert editor.file_box is not None and "a blue heron --s 250" in editor.file_box.informativeText()
    editor.file_box.close()


def test_a_file_without_a_prompt_says_so(qtbot, editor, state, tmp_path):
    from PIL import Image

    plain = tmp_path / "plain.png"
    Image.new("RGB", (8, 8)).save(plain)
    state.set_text("unchanged", origin="program")
    drop(editor.text_edit, plain)
    assert editor.file_box is None
    assert editor.drop_note == "plain.png carries no prompt."
    assert state.text() == "unchanged"


def test_the_studio_window_shows_the_no_prompt_note_in_its_status_bar(qtbot, qloop, sandbox, tmp_path):
    from PIL import Image

    plain = tmp_path / "plain.png"
    Image.new("RGB", (8, 8)).save(plain)
    studio = start_studio(qtbot, base_url=sandbox.base_url)
    try:
        drop(studio.window.editor.text_edit, plain)
        qtbot.waitUntil(lambda: "plain.png carries no prompt" in studio.window.statusBar().currentMessage())
    finally:
        stop_studio(qtbot, studio)


def test_other_drops_behave_as_before(qtbot, editor, state, tmp_path):
    # A local file that cannot be an export drops as Qt does (not taken for a prompt).
    text_file = tmp_path / "notes.txt"
    text_file.write_text("hello")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(text_file))])
    from studio.ui.prompt.editor import _dropped_export

    assert _dropped_export(mime) is None
    two = QMimeData()
    two.setUrls([QUrl.fromLocalFile(str(tmp_path / "a.png")), QUrl.fromLocalFile(str(tmp_path / "b.png"))])
    assert _dropped_export(two) is None
    # Plain text is inserted where it is dropped.
    state.set_text("fox ", origin="program")
    plain = QMimeData()
    plain.setText("in snow")
    editor.text_edit.moveCursor(editor.text_edit.textCursor().MoveOperation.End)
    editor.text_edit.insertFromMimeData(plain)
    assert state.text() == "fox in snow"
    # A web image URL still offers the reference menu.
    web = QMimeData()
    web.setUrls([QUrl("https://cdn.example.com/ref.png")])
    editor.text_edit.dropEvent(QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, web,
                                          Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier))
    assert editor.drop_menu is not None and editor.file_box is None
    editor.drop_menu.close()
