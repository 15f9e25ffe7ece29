"""PromptEditor: highlighting and squiggles from the lint, problems and fixes, completion,
the cost line, Generate gating, undo through the state, and drops of image URLs."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent, QFont, QTextCharFormat

from studio.session.prompt_state import PromptState
from studio.ui.prompt.editor import PromptEditor, from_display
from studio.ui.prompt.highlighter import accent_color, severity_color
from studio.ui.prompt.reference_wells import LEGNEXT_IMAGE_MIME
from tests.studio_support import settle_lint, shown


@pytest.fixture
def state(qapp):
    return PromptState()


@pytest.fixture
def editor(qtbot, state):
    widget = shown(qtbot, PromptEditor(state), (420, 300))
    return widget


def formats_at(editor: PromptEditor, position: int) -> QTextCharFormat | None:
    """The highlighter's format covering document `position` (single-block prompts)."""
    block = editor.text_edit.document().findBlock(position)
    offset = position - block.position()
    for r in list(block.layout().formats()):
        if r.start <= offset < r.start + r.length:
            return QTextCharFormat(r.format)  # a copy: the range list is a temporary
    return None


def squiggles(editor: PromptEditor) -> list[tuple[int, int, str]]:
    out = []
    for sel in editor.text_edit.extraSelections():
        fmt = sel.format
        assert fmt.underlineStyle() == QTextCharFormat.UnderlineStyle.WaveUnderline
        out.append((sel.cursor.selectionStart(), sel.cursor.selectionEnd(), fmt.underlineColor().name()))
    return out


def type_text(qtbot, editor: PromptEditor, text: str) -> None:
    editor.text_edit.setFocus()
    qtbot.keyClicks(editor.text_edit, text)
    settle_lint(qtbot, editor.state)


def test_typing_updates_state_highlighting_and_squiggles(qtbot, editor, state):
    type_text(qtbot, editor, "castle::2 --v 8.1 --q 2 --s 250")
    text = state.text()
    assert text == "castle::2 --v 8.1 --q 2 --s 250"
    accent = accent_color().name()
    flag = formats_at(editor, text.index("--s"))
    assert flag is not None and flag.foreground().color().name() == accent
    value = formats_at(editor, text.index("250"))
    assert value is not None and value.foreground().color().name() not in (accent, "#000000")
    weight = formats_at(editor, text.index("::2"))
    assert weight is not None and weight.fontWeight() == QFont.Weight.Bold
    assert formats_at(editor, 0) is None  # prompt text keeps the normal format
    red = severity_color("error").name()
    q = text.index("--q 2")
    assert (q, q + len("--q 2"), red) in squiggles(editor)
    # Editing the error away removes its squiggle and updates the cost line.
    assert not editor.generate_button.isEnabled()
    for _ in range(len(" --s 250")):
        qtbot.keyClick(editor.text_edit, Qt.Key.Key_Backspace)
    for _ in range(len(" --q 2")):
        qtbot.keyClick(editor.text_edit, Qt.Key.Key_Backspace)
    assert state.text() == "castle::2 --v 8.1"
    settle_lint(qtbot, state)
    assert not [s for s in squiggles(editor) if s[2] == red]
    assert editor.generate_button.isEnabled()
    assert editor.cost_label.text() == "80 credits · v8.1 · HD"


def test_image_urls_are_underlined(editor, state):
    state.set_text("https://x.test/a.png castle --sref https://x.test/s.png", origin="program")
    text = state.text()
    assert formats_at(editor, 3).fontUnderline()
    assert formats_at(editor, text.index("https://x.test/s.png") + 2).fontUnderline()
    assert not (formats_at(editor, text.index("castle")) or QTextCharFormat()).fontUnderline()


def test_highlighting_survives_characters_outside_the_bmp(editor, state):
    state.set_text("🏰 castle --s 250", origin="program")
    # In the document the emoji takes two UTF-16 units, so the flag sits one unit later.
    position = state.text().index("--s") + 1
    assert formats_at(editor, position).foreground().color().name() == accent_color().name()


def test_warning_and_info_squiggle_colours(editor, state):
    state.set_text("castle --v 8 --hd --s 50 --s 60", origin="program")
    colours = {colour for _a, _b, colour in squiggles(editor)}
    assert severity_color("warning").name() in colours  # the first --s is a duplicate
    assert severity_color("info").name() in colours  # v8 → v8.1 migration hint


def test_generate_blocked_with_reason_on_error(qtbot, editor, state):
    state.set_text("castle --v 8.1 --q 2", origin="program")
    assert not editor.generate_button.isEnabled()
    assert editor.block_reason.isVisible()
    assert "Fix 1 error" in editor.block_reason.text()
    assert "--q is not accepted by v8.1" in editor.generate_button.toolTip()
    fired = []
    editor.generate_requested.connect(lambda: fired.append(True))
    editor.text_edit.setFocus()
    qtbot.keyClick(editor.text_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert fired == []
    assert state.text() == "castle --v 8.1 --q 2"  # Ctrl+Enter inserted no newline


def test_generate_blocked_when_empty(editor, state):
    assert not editor.generate_button.isEnabled()
    assert "Type a prompt" in editor.block_reason.text()


def test_no_cost_is_shown_until_there_is_a_prompt(editor, state):
    # an empty prompt costs nothing: no "80 credits" under it, only the model it would use
    assert "credit" not in editor.cost_label.text()
    assert editor.cost_label.text() == "v7"
    assert "once there is a prompt" in editor.cost_label.toolTip()
    state.set_text("castle", origin="program")
    assert editor.cost_label.text() == "80 credits · v7"
    assert editor.cost_label.toolTip().startswith("Estimated cost: 80 credits")
    state.set_text("   ", origin="program")
    assert "credit" not in editor.cost_label.text()


def test_held_ctrl_enter_asks_to_generate_once(qtbot, editor, state):
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtWidgets import QApplication

    state.set_text("castle --ar 16:9", origin="program")
    fired: list[bool] = []
    editor.generate_requested.connect(lambda: fired.append(True))
    editor.text_edit.setFocus()
    # the press, then the auto-repeats a held key sends
    for repeat in (False, True, True, True):
        QApplication.sendEvent(editor.text_edit, QKeyEvent(
            QEvent.Type.KeyPress, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier, "\r", repeat))
    assert fired == [True]
    assert state.text() == "castle --ar 16:9"  # and no newline from the repeats


def test_ctrl_enter_generates_when_ok(qtbot, editor, state):
    state.set_text("castle --ar 16:9", origin="program")
    assert editor.generate_button.isEnabled()
    assert not editor.block_reason.isVisible()
    editor.text_edit.setFocus()
    with qtbot.waitSignal(editor.generate_requested, timeout=1000):
        qtbot.keyClick(editor.text_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    with qtbot.waitSignal(editor.generate_requested, timeout=1000):
        qtbot.mouseClick(editor.generate_button, Qt.MouseButton.LeftButton)


def test_problems_list_fix_button_applies_the_fix(qtbot, editor, state):
    state.set_text("castle --v 8.1 --q 2 --ar 1:1", origin="program")
    rows = editor.problems.rows()
    assert editor.problems.isVisible()
    row = [r for r in rows if r.diagnostic.code == "flag-rejected"][0]
    assert row.fix_button is not None
    qtbot.mouseClick(row.fix_button, Qt.MouseButton.LeftButton)
    assert state.text() == "castle --v 8.1 --ar 1:1"
    assert editor.generate_button.isEnabled()
    assert not [r for r in editor.problems.rows() if r.diagnostic.severity == "error"]


def test_clicking_a_problem_selects_its_span(qtbot, editor, state):
    state.set_text("castle --v 8.1 --q 2", origin="program")
    row = editor.problems.rows()[0]
    qtbot.mouseClick(row, Qt.MouseButton.LeftButton, pos=QPoint(40, row.height() // 2))
    cursor = editor.text_edit.textCursor()
    assert from_display(cursor.selectedText()) == "--q 2"


def test_ctrl_period_applies_the_fix_at_the_caret(qtbot, editor, state):
    state.set_text("castle —ar 16:9 --v 8.1 --q 2", origin="program")
    text = state.text()
    cursor = editor.text_edit.textCursor()
    cursor.setPosition(text.index("—ar") + 1)
    editor.text_edit.setTextCursor(cursor)
    editor.text_edit.setFocus()
    qtbot.keyClick(editor.text_edit, Qt.Key.Key_Period, Qt.KeyboardModifier.ControlModifier)
    assert state.text() == "castle --ar 16:9 --v 8.1 --q 2"  # the em-dash fixed, not the --q
    qtbot.keyClick(editor.text_edit, Qt.Key.Key_Period, Qt.KeyboardModifier.ControlModifier)
    assert state.text() == "castle --ar 16:9 --v 8.1"


def test_tooltip_lookup_finds_the_diagnostic_under_the_pointer(editor, state):
    state.set_text("castle --v 8.1 --q 2", origin="program")
    text = state.text()
    cursor = editor.text_edit.textCursor()
    cursor.setPosition(text.index("--q") + 1)
    rect = editor.text_edit.cursorRect(cursor)
    found = editor.diagnostics_at_point(rect.center())
    assert found and found[0].code == "flag-rejected"
    cursor.setPosition(2)
    assert editor.diagnostics_at_point(editor.text_edit.cursorRect(cursor).center()) == []


def test_undo_in_the_editor_covers_panel_edits(qtbot, editor, state):
    type_text(qtbot, editor, "castle")
    state.set_param("stylize", 300)  # what the panel does
    assert editor.text_edit.toPlainText() == "castle --s 300"
    editor.text_edit.setFocus()
    qtbot.keyClick(editor.text_edit, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert state.text() == "castle"
    assert editor.text_edit.toPlainText() == "castle"
    qtbot.keyClick(editor.text_edit, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert editor.text_edit.toPlainText() == "castle --s 300"
    qtbot.keyClick(editor.text_edit, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(editor.text_edit, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert editor.text_edit.toPlainText() == ""
    assert not editor.text_edit.document().isUndoAvailable()  # one stack: the state's


def test_external_change_keeps_the_users_caret(qtbot, editor, state):
    type_text(qtbot, editor, "castle on a cliff --s 100")
    cursor = editor.text_edit.textCursor()
    cursor.setPosition(6)
    editor.text_edit.setTextCursor(cursor)
    state.set_param("stylize", 900)
    assert editor.text_edit.toPlainText() == "castle on a cliff --s 900"
    assert editor.text_edit.textCursor().position() == 6


def test_completion_lists_only_flags_of_the_model_with_ranges(qtbot, editor, state):
    state.set_text("castle --v 8.1 ", origin="program")
    cursor = editor.text_edit.textCursor()
    cursor.movePosition(cursor.MoveOperation.End)
    editor.text_edit.setTextCursor(cursor)
    type_text(qtbot, editor, "--")
    popup = editor.completer.popup()
    qtbot.waitUntil(popup.isVisible, timeout=2000)
    rows = dict(editor.completer.visible_rows())
    assert "--q" not in rows and "--quality" not in rows and "--no" not in rows  # v8.1 rejects them
    assert "--turbo" not in rows and "--draft" not in rows
    assert "0–1000" in rows["--s"] and "stylize" in rows["--s"]
    assert rows["--c"].endswith("0–100")
    assert rows["--seed"].endswith("0–4294967295")
    type_text(qtbot, editor, "sty")
    assert [f for f, _ in editor.completer.visible_rows()] == ["--style", "--stylize"]
    type_text(qtbot, editor, "li")
    assert [f for f, _ in editor.completer.visible_rows()] == ["--stylize"]
    qtbot.keyClick(popup, Qt.Key.Key_Return)
    assert state.text() == "castle --v 8.1 --stylize "
    assert not popup.isVisible()


def test_completion_follows_the_model(qtbot, editor, state):
    state.set_text("castle --v 7 ", origin="program")
    cursor = editor.text_edit.textCursor()
    cursor.movePosition(cursor.MoveOperation.End)
    editor.text_edit.setTextCursor(cursor)
    type_text(qtbot, editor, "--q")
    qtbot.waitUntil(editor.completer.popup().isVisible, timeout=2000)
    rows = dict(editor.completer.visible_rows())
    assert rows["--q"].endswith("1 · 2 · 4")
    assert "--quality" in rows


def url_mime(url: str, kind: str) -> QMimeData:
    mime = QMimeData()
    if kind == "uri-list":
        mime.setUrls([QUrl(url)])
    elif kind == "legnext":
        mime.setData(LEGNEXT_IMAGE_MIME, url.encode())
    else:
        mime.setText(url)
    return mime


@pytest.mark.parametrize("kind", ["uri-list", "legnext", "text"])
def test_dropping_an_image_url_offers_sref(qtbot, editor, state, kind):
    state.set_text("castle --ar 16:9", origin="program")
    url = "https://cdn.x.test/img/42.png"
    mime = url_mime(url, kind)
    event = QDropEvent(QPointF(20, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    editor.text_edit.dropEvent(event)
    menu = editor.drop_menu
    assert menu is not None
    actions = {a.objectName(): a for a in menu.actions() if a.objectName()}
    assert set(actions) == {"insert-image", "insert-sref", "insert-oref", "insert-cref"}
    actions["insert-sref"].trigger()
    assert state.text() == f"castle --ar 16:9 --sref {url}"
    assert editor.text_edit.toPlainText() == state.text()


def test_drop_menu_disables_references_the_model_rejects(editor, state):
    state.set_text("castle --v 8.1", origin="program")
    menu = editor.offer_reference("https://x.test/a.png", QPoint(0, 0))
    actions = {a.objectName(): a for a in menu.actions() if a.objectName()}
    assert actions["insert-sref"].isEnabled() and actions["insert-image"].isEnabled()
    assert not actions["insert-oref"].isEnabled()
    assert "not supported in the V8.1 alpha" in actions["insert-oref"].toolTip()
    actions["insert-image"].trigger()
    assert state.text() == "https://x.test/a.png castle --v 8.1"
    menu.hide()


def test_local_files_are_not_offered_as_references(editor):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile("/tmp/a.png")])
    event = QDropEvent(QPointF(5, 5), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    editor.text_edit.dropEvent(event)
    assert editor.drop_menu is None


def test_server_error_is_shown_at_the_flag(editor, state):
    state.set_text("castle --v 7 --sw 50", origin="program")
    state.last_server_error("sw", "Invalid parameter --sw")
    text = state.text()
    start = text.index("--sw")
    assert (start, start + len("--sw 50"), severity_color("error").name()) in squiggles(editor)
    assert any("Invalid parameter --sw" in r.diagnostic.message for r in editor.problems.rows())


def test_utf16_index_round_trips():
    from studio.ui.prompt.highlighter import Utf16Index

    text = "a🏰b😀😀c"
    index = Utf16Index(text)
    assert [index.to_utf16(i) for i in range(len(text) + 1)] == [0, 1, 3, 4, 6, 8, 9]
    assert [index.from_utf16(index.to_utf16(i)) for i in range(len(text) + 1)] == list(range(len(text) + 1))
    assert Utf16Index("plain").to_utf16(3) == 3


def test_hovering_a_squiggle_shows_its_message(qtbot, editor, state):
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QHelpEvent
    from PySide6.QtWidgets import QApplication, QToolTip

    state.set_text("castle --v 8.1 --q 2", origin="program")
    cursor = editor.text_edit.textCursor()
    cursor.setPosition(state.text().index("--q") + 1)
    pos = editor.text_edit.cursorRect(cursor).center()
    viewport = editor.text_edit.viewport()
    QApplication.sendEvent(viewport, QHelpEvent(QEvent.Type.ToolTip, pos, viewport.mapToGlobal(pos)))
    qtbot.waitUntil(QToolTip.isVisible, timeout=2000)
    assert "--q is not accepted by v8.1" in QToolTip.text()
    assert "Fix (Ctrl+.)" in QToolTip.text()
    QToolTip.hideText()
