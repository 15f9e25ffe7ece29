"""Prompt recall: Ctrl+Up / Ctrl+Down walk the prompts sent before (from the store, newest
first, like a shell), each step undoable; a recent-prompts menu beside the editor."""

from __future__ import annotations

from PySide6.QtCore import Qt

from tests.studio_support import start_studio, stop_studio

SENT = ["first prompt --v 7", "second prompt --ar 3:2", "third prompt --niji 6"]


def _studio_with_history(qtbot, qloop, sandbox):
    studio = start_studio(qtbot, base_url=sandbox.base_url)
    entries = [studio.jobs.submit("diffusion", text=p, prompt=p) for p in SENT]
    qtbot.waitUntil(lambda: all(e.finished for e in entries), timeout=30000)
    return studio


def test_ctrl_up_walks_back_newest_first_and_ctrl_down_returns_to_the_draft(qtbot, qloop, sandbox):
    studio = _studio_with_history(qtbot, qloop, sandbox)
    try:
        state, edit = studio.prompt_state, studio.window.editor.text_edit
        edit.setFocus()
        qtbot.keyClicks(edit, "my draft")
        draft = state.text()
        qtbot.keyClick(edit, Qt.Key.Key_Up, Qt.KeyboardModifier.ControlModifier)
        assert state.text() == SENT[2] and edit.toPlainText() == SENT[2]
        qtbot.keyClick(edit, Qt.Key.Key_Up, Qt.KeyboardModifier.ControlModifier)
        assert state.text() == SENT[1]
        qtbot.keyClick(edit, Qt.Key.Key_Down, Qt.KeyboardModifier.ControlModifier)
        assert state.text() == SENT[2]
        qtbot.keyClick(edit, Qt.Key.Key_Down, Qt.KeyboardModifier.ControlModifier)
        assert state.text() == draft  # back to what was being typed
        # Each step is one undo.
        qtbot.keyClick(edit, Qt.Key.Key_Up, Qt.KeyboardModifier.ControlModifier)
        assert state.text() == SENT[2]
        state.undo_stack.undo()
        assert state.text() == draft
        # Typing ends the walk: the next Ctrl+Up starts again from the newest.
        qtbot.keyClick(edit, Qt.Key.Key_Up, Qt.KeyboardModifier.ControlModifier)
        qtbot.keyClick(edit, Qt.Key.Key_Up, Qt.KeyboardModifier.ControlModifier)
        qtbot.keyClicks(edit, " x")
        qtbot.keyClick(edit, Qt.Key.Key_Up, Qt.KeyboardModifier.ControlModifier)
        assert state.text() == SENT[2]
        # At the oldest, nothing more.
        for _ in range(5):
            qtbot.keyClick(edit, Qt.Key.Key_Up, Qt.KeyboardModifier.ControlModifier)
        assert state.text() == SENT[0]
    finally:
        stop_studio(qtbot, studio)


def test_the_recent_menu_lists_prompts_and_applies_one_undoably(qtbot, qloop, sandbox):
    studio = _studio_with_history(qtbot, qloop, sandbox)
    try:
        editor, state = studio.window.editor, studio.prompt_state
        state.set_text("draft", origin="program")
        editor._fill_recent()
        actions = editor.recent_menu.actions()
        assert [a.toolTip() for a in actions] == list(reversed(SENT))
        actions[1].trigger()
        assert state.text() == SENT[1]
        state.undo_stack.undo()
        assert state.text() == "draft"
    finally:
        stop_studio(qtbot, studio)


def test_with_no_history_the_menu_says_so(qtbot, qloop, sandbox):
    studio = start_studio(qtbot, base_url=sandbox.base_url)
    try:
        editor = studio.window.editor
        editor._fill_recent()
        (only,) = editor.recent_menu.actions()
        assert only.text() == "No prompts sent yet" and not only.isEnabled()
        before = studio.prompt_state.text()
        edit = editor.text_edit
        qtbot.keyClick(edit, Qt.Key.Key_Up, Qt.KeyboardModifier.ControlModifier)
        assert studio.prompt_state.text() == before
    finally:
        stop_studio(qtbot, studio)


def test_dropping_an_exported_image_offers_its_prompt_and_undo_returns(qtbot, qloop, sandbox, tmp_path):
    from PySide6.QtCore import QMimeData, QPointF, QUrl
    from PySide6.QtGui import QDropEvent

    from studio.session.jobs import COMPLETED
    from studio.store.exports import export_job

    studio = start_studio(qtbot, base_url=sandbox.base_url)
    try:
        entry = studio.jobs.submit("diffusion", text=SENT[1], prompt=SENT[1])
        qtbot.waitUntil(lambda: entry.finished and all(o.path for o in entry.record.outputs), timeout=30000)
        assert entry.status == COMPLETED
        written = [p for p in export_job(entry.record, studio.jobs.archive, tmp_path / "out") if p.suffix == ".png"]
        state, edit = studio.prompt_state, studio.window.editor.text_edit
        state.set_text("something else", origin="program")

        def drop(path):
            mime = QMimeData()
            mime.setUrls([QUrl.fromLocalFile(str(path))])
            event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                               Qt.KeyboardModifier.NoModifier)
            edit.dropEvent(event)

        drop(written[0])
        box = studio.window.editor.file_box
        assert box is not None and SENT[1] in box.informativeText()
        next(b for b in box.buttons() if b.text() == "Replace prompt").click()
        assert state.text() == SENT[1]
        state.undo_stack.undo()
        assert state.text() == "something else"

        plain = tmp_path / "plain.png"
        from PIL import Image

        Image.new("RGB", (8, 8)).save(plain)
        drop(plain)
        assert "carries no prompt" in studio.window.editor.drop_note and state.text() == "something else"
    finally:
        stop_studio(qtbot, studio)
