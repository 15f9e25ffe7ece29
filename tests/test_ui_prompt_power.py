"""Prompt power in the window: {a, b} sets shown with their total cost and sent together as a
group (seen and sent again from the queue), presets picked, typed as --name (one highlighted
token, hover tells what it stands for), the presets dialog, and typing that never acts on stale
diagnostics. Every job goes through the real sandbox over loopback."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMessageBox

from studio.prompt.presets import FORMAT, Preset, PresetBook
from studio.session.presets import PresetLibrary
from studio.session.prompt_state import PromptState
from studio.store import preset_file
from studio.ui.prompt.editor import NB_HYPHEN, PromptEditor
from studio.ui.prompt.prompt_set_dialog import PromptSetDialog
from studio.ui.prompt.presets_dialog import PresetsDialog
from tests.studio_support import settle_lint, shown, start_studio, stop_studio

GLOOMY = Preset("gloomy", "--ar 16:9 --s 400 --c 20", "volumetric fog", "wide and dark")
SOFT = Preset("soft", "--stop 50", note="soft edges")


@pytest.fixture
def library(qapp):
    return PresetLibrary.in_memory(PresetBook((GLOOMY, SOFT)))


@pytest.fixture
def state(qapp, library):
    s = PromptState()
    s.set_presets(library)
    return s


@pytest.fixture
def editor(qtbot, state):
    widget = shown(qtbot, PromptEditor(state), (460, 320))
    return widget


@pytest.fixture
def studio(qtbot, qloop, sandbox):
    s = start_studio(qtbot, base_url=sandbox.base_url)
    yield s
    stop_studio(qtbot, s)


def _posts(sandbox) -> list[str]:
    return [r.json_body["text"] for r in sandbox.state.requests
            if r.method == "POST" and r.path.endswith("/v1/diffusion")]


# ---- {a, b} sets -------------------------------------------------------------------------------

def test_a_set_is_shown_with_its_total_cost_and_one_confirmation_sends_all(qtbot, studio, sandbox):
    window = studio.window
    studio.prompt_state.set_text("a {red, blue} fox --ar {1:1, 16:9}", origin="program")
    assert window.editor.cost_label.text().startswith("4 prompts · 320 credits")
    dialog = window.generate()
    assert isinstance(dialog, PromptSetDialog) and dialog.isVisible()
    assert _posts(sandbox) == []  # nothing is sent before the confirmation
    assert dialog.list.count() == 4
    assert "a blue fox --ar 16:9" in dialog.list.item(3).text() and "80 credits" in dialog.list.item(3).text()
    assert "total 320 credits" in dialog.summary.text()
    assert dialog.send_button.text() == "Send 4 prompts · 320 credits" and dialog.send_button.isDefault()
    qtbot.mouseClick(dialog.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(window.jobs.entries()) == 4, timeout=5000)
    entries = window.jobs.entries()
    assert [e.prompt for e in entries] == ["a red fox --ar 1:1", "a red fox --ar 16:9",
                                           "a blue fox --ar 1:1", "a blue fox --ar 16:9"]
    assert len({e.record.group for e in entries}) == 1 and entries[0].record.group
    qtbot.waitUntil(lambda: all(e.finished for e in entries), timeout=20000)
    assert sorted(_posts(sandbox)) == sorted(e.prompt for e in entries)
    # The set is seen together in the queue and kept together in the store.
    model = window.queue_panel.model
    from studio.ui.queue.panel import SetRole
    places = sorted(model.index(r, 0).data(SetRole) for r in range(model.rowCount()))
    assert places == ["1/4", "2/4", "3/4", "4/4"]
    stored = [studio.store.get(e.key) for e in entries]
    assert {r.group for r in stored} == {entries[0].record.group}


def test_a_set_can_be_sent_again_from_the_queue(qtbot, studio, sandbox):
    window = studio.window
    first = window.jobs.submit_set(["a fox --ar 1:1", "a fox --ar 16:9"])
    qtbot.waitUntil(lambda: all(e.finished for e in first), timeout=15000)
    actions = window.queue_panel.actions_for(first[0].key)
    again = next(a for a in actions if a.text().startswith("Send the set again"))
    assert again.text() == "Send the set again (2 prompts)…"
    again.trigger()
    dialog = window.set_dialog
    assert dialog is not None and dialog.list.count() == 2 and "160 credits" in dialog.summary.text()
    qtbot.mouseClick(dialog.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(window.jobs.entries()) == 4, timeout=5000)
    second = window.jobs.entries()[2:]
    assert [e.prompt for e in second] == ["a fox --ar 1:1", "a fox --ar 16:9"]
    assert second[0].record.group == second[1].record.group != first[0].record.group


def test_cancel_sends_nothing_and_keeps_the_prompt(qtbot, studio, sandbox):
    window = studio.window
    text = "a {red, blue} fox"
    studio.prompt_state.set_text(text, origin="program")
    dialog = window.generate()
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    assert window.jobs.entries() == [] and _posts(sandbox) == []
    assert studio.prompt_state.text() == text


@pytest.mark.parametrize("text,code", [("a {red, blue fox", "permutation-unbalanced"),
                                       ("a {} fox", "permutation-empty"),
                                       ("{a,b,c,d,e,f,g} {1,2,3,4,5,6,7}", "permutation-too-many")])
def test_bad_sets_block_generate_with_a_clear_message(qtbot, editor, state, text, code):
    state.set_text(text, origin="program")
    assert not editor.generate_button.isEnabled()
    rows = [r.diagnostic.code for r in editor.problems.rows()]
    assert code in rows
    assert editor.block_reason.text().startswith("Fix ")


# ---- presets -----------------------------------------------------------------------------------

def test_a_typed_preset_is_one_highlighted_token_and_hover_says_what_it_stands_for(qtbot, editor, state):
    editor.text_edit.setFocus()
    qtbot.keyClicks(editor.text_edit, "castle --gloomy")
    settle_lint(qtbot, state)
    runs = [(r.start, r.end, r.kind) for r in editor.highlighter.runs()]
    assert (7, 15, "preset") in runs
    described = state.preset_description("--gloomy")
    assert "--ar 16:9 --s 400 --c 20" in described and "volumetric fog" in described
    rect = editor.text_edit.cursorRect(editor.text_edit.textCursor())
    point = QPoint(rect.left() - 10, rect.center().y())  # over the end of --gloomy
    assert editor.preset_at_point(point) == described
    assert [p.text for p in state.lint().prompts] == ["castle, volumetric fog --ar 16:9 --s 400 --c 20"]
    assert editor.cost_label.text().startswith("80 credits")


def test_the_preset_is_written_out_when_sent(qtbot, studio, sandbox):
    studio.presets.save_preset(GLOOMY)
    studio.prompt_state.set_text("castle --gloomy --s 100", origin="program")
    entry = studio.window.generate()
    qtbot.waitUntil(lambda: entry.finished, timeout=15000)
    assert _posts(sandbox) == ["castle, volumetric fog --ar 16:9 --c 20 --s 100"]
    # Saved in the config folder, where the next start finds it.
    assert preset_file.load().book.get("gloomy") == GLOOMY


def test_the_picker_inserts_a_suited_preset(qtbot, editor, state):
    state.set_text("castle", origin="program")
    editor.presets_menu.aboutToShow.emit()
    actions = [a for a in editor.presets_menu.actions() if a.data()]
    assert [a.data() for a in actions] == ["gloomy", "soft"]
    gloomy = actions[0]
    assert gloomy.text().startswith("--gloomy") and "wide and dark" in gloomy.toolTip()
    assert editor.choose_preset("gloomy") is None
    assert state.text() == "castle --gloomy"
    state.undo_stack.undo()
    assert state.text() == "castle"


def test_an_unsuited_preset_is_marked_and_asks_with_the_rules_reasons(qtbot, editor, state):
    state.set_text("castle --v 8.1", origin="program")
    editor.presets_menu.aboutToShow.emit()
    soft = next(a for a in editor.presets_menu.actions() if a.data() == "soft")
    assert soft.text().startswith("⚠ --soft")
    assert "--stop is not supported by v8.1" in soft.toolTip()
    soft.trigger()
    box = editor.preset_box
    assert isinstance(box, QMessageBox) and box.isVisible()
    assert "--stop is not supported by v8.1" in box.informativeText()
    assert state.text() == "castle --v 8.1"  # not applied silently
    insert = next(b for b in box.buttons() if b.text() == "Insert anyway")
    qtbot.mouseClick(insert, Qt.MouseButton.LeftButton)
    assert state.text() == "castle --v 8.1 --soft"
    (error,) = state.lint().errors
    assert error.message.startswith("In preset `--soft`: `--stop` is not supported by v8.1")
    assert not editor.generate_button.isEnabled()


def test_writing_a_preset_out_in_place(qtbot, editor, state):
    state.set_text("castle --gloomy --s 100", origin="program")
    assert state.expand_preset_at(7, 15)
    assert state.text() == "castle, volumetric fog --ar 16:9 --c 20 --s 100"
    state.undo_stack.undo()
    assert state.text() == "castle --gloomy --s 100"


def test_a_preset_cycle_is_an_error_on_the_name(qtbot, editor, state, library):
    book, _ = PresetBook.from_json({"format": FORMAT, "version": 1, "presets": [
        {"name": "a", "params": "--b"}, {"name": "b", "params": "--a --tile"}]})
    library._set(book)
    state.set_text("castle --a", origin="program")
    (error,) = state.lint().errors
    assert error.code == "preset-cycle" and "--a → --b → --a" in error.message
    assert not editor.generate_button.isEnabled()


# ---- the presets dialog ------------------------------------------------------------------------

@pytest.fixture
def saved_library(qapp, tmp_path):
    return PresetLibrary(tmp_path / "presets.json")


@pytest.fixture
def dialog(qtbot, qapp, saved_library):
    state = PromptState("castle --ar 3:2 --s 250 --v 7")
    state.set_presets(saved_library)
    d = PresetsDialog(state)
    qtbot.addWidget(d)
    d.show()
    return d


def test_save_the_prompts_parameters_as_a_preset(qtbot, dialog, saved_library, tmp_path):
    dialog.start_new()
    dialog.fill_from_prompt()
    assert dialog.params_edit.text() == "--ar 3:2 --s 250 --v 7"
    dialog.name_edit.setText("ar")
    assert not dialog.save_current()
    assert "Midjourney parameter" in dialog.message.text()
    dialog.name_edit.setText("photo")
    assert dialog.save_current()
    assert saved_library.get("photo").params == "--ar 3:2 --s 250 --v 7"
    on_disk = json.loads((tmp_path / "presets.json").read_text())
    assert [p["name"] for p in on_disk["presets"]] == ["photo"]
    assert "Suits v7" in dialog.fit_label.text()


def test_the_suffix_and_its_refusal(qtbot, dialog, saved_library):
    dialog.suffix_edit.setText("--s {1, 2}")
    assert not dialog.save_suffix() and "set" in dialog.message.text()
    dialog.suffix_edit.setText("35mm --c 5")
    assert dialog.save_suffix() and saved_library.book.suffix == "35mm --c 5"


def test_import_refuses_bad_files_and_adds_good_ones(qtbot, dialog, saved_library, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("not json at all")
    assert not dialog.import_from(bad) and "not JSON" in dialog.message.text()
    newer = tmp_path / "newer.json"
    newer.write_text(json.dumps({"format": FORMAT, "version": 7, "presets": []}))
    assert not dialog.import_from(newer) and "newer Legnext Studio" in dialog.message.text()
    assert saved_library.presets() == ()
    good = tmp_path / "good.json"
    good.write_text(PresetBook((GLOOMY,)).dumps())
    assert dialog.import_from(good) and saved_library.get("gloomy") == GLOOMY
    out = tmp_path / "out.json"
    assert dialog.export_to(out)
    assert PresetBook.loads(out.read_text())[0].get("gloomy") == GLOOMY


# ---- typing ------------------------------------------------------------------------------------

def test_a_fix_right_after_typing_acts_on_the_current_text(qtbot, editor, state):
    state.set_text("castle --s 5000", origin="program")
    editor.text_edit.setFocus()
    cursor = editor.text_edit.textCursor()
    cursor.setPosition(0)
    editor.text_edit.setTextCursor(cursor)
    qtbot.keyClicks(editor.text_edit, "a big ")  # every span moved; no lint has run yet
    assert state.lint_pending()
    cursor = editor.text_edit.textCursor()
    cursor.setPosition(len("a big castle --s 50"))
    editor.text_edit.setTextCursor(cursor)
    qtbot.keyClick(editor.text_edit, Qt.Key.Key_Period, Qt.KeyboardModifier.ControlModifier)
    assert state.text() == "a big castle --s 1000"


def test_a_problem_row_from_before_the_last_keys_jumps_to_the_current_span(qtbot, editor, state):
    from studio.ui.prompt.editor import from_display

    state.set_text("castle --v 8.1 --q 2", origin="program")
    row = editor.problems.rows()[0]
    editor.text_edit.setFocus()
    cursor = editor.text_edit.textCursor()
    cursor.setPosition(0)
    editor.text_edit.setTextCursor(cursor)
    qtbot.keyClicks(editor.text_edit, "old ")
    qtbot.mouseClick(row, Qt.MouseButton.LeftButton, pos=QPoint(40, row.height() // 2))
    assert from_display(editor.text_edit.textCursor().selectedText()) == "--q 2"


def test_squiggles_follow_typing_before_the_lint_lands(qtbot, editor, state):
    state.set_text("castle --s 5000", origin="program")
    (before,) = [(s.cursor.selectionStart(), s.cursor.selectionEnd()) for s in editor.text_edit.extraSelections()]
    editor.text_edit.setFocus()
    cursor = editor.text_edit.textCursor()
    cursor.setPosition(0)
    editor.text_edit.setTextCursor(cursor)
    qtbot.keyClicks(editor.text_edit, "big ")
    (now,) = [(s.cursor.selectionStart(), s.cursor.selectionEnd()) for s in editor.text_edit.extraSelections()]
    assert now == (before[0] + 4, before[1] + 4)
    settle_lint(qtbot, state)
    assert state.lint().errors[0].span == now


def test_flags_never_wrap_inside_their_dashes(qtbot, editor, state):
    """Qt breaks lines after a hyphen; `--v 7` must never wrap as `--` / `v 7`."""
    text = "castle on a cliff above the sea --ar 3:2 --v 7 --stylize 250 --chaos 20 --weird 100 --no people"
    state.set_text(text, origin="program")
    edit = editor.text_edit
    shown = edit.document().toPlainText()
    assert edit.toPlainText() == text
    assert NB_HYPHEN in shown  # the document shows non-breaking hyphens; the text is unchanged
    for width in range(140, 460, 7):
        editor.resize(width, 320)
        block = edit.document().firstBlock()
        layout = block.layout()
        for i in range(1, layout.lineCount()):
            start = layout.lineAt(i).textStart()
            assert shown[start - 1].isspace(), (width, shown[max(0, start - 6):start], shown[start:start + 6])


def test_copy_gives_plain_hyphens(qtbot, editor, state):
    from PySide6.QtGui import QGuiApplication

    state.set_text("castle --ar 3:2", origin="program")
    editor.text_edit.selectAll()
    editor.text_edit.copy()
    assert QGuiApplication.clipboard().text() == "castle --ar 3:2"
    mime = QGuiApplication.clipboard().mimeData()
    assert NB_HYPHEN not in mime.html() and "--ar" in mime.html()


def test_colours_follow_typing_before_the_lint_lands_and_the_lint_repaints_nothing(qtbot, editor, state):
    state.set_text("castle --ar 3:2 --s 250", origin="program")
    before = [(r.start, r.end, r.kind) for r in editor.highlighter.runs()]
    assert ("flag" in [k for _, _, k in before]) and len(before) == 4
    editor.text_edit.setFocus()
    cursor = editor.text_edit.textCursor()
    cursor.setPosition(0)
    editor.text_edit.setTextCursor(cursor)
    qtbot.keyClicks(editor.text_edit, "big ")
    assert state.lint_pending()
    assert [(r.start, r.end, r.kind) for r in editor.highlighter.runs()] == [(a + 4, b + 4, k) for a, b, k in before]
    repainted = []
    original = editor.highlighter.rehighlightBlock
    editor.highlighter.rehighlightBlock = lambda block: (repainted.append(block.blockNumber()), original(block))
    settle_lint(qtbot, state)
    assert repainted == []  # the lint found the colours already where they belong
    # Typing on at the end of a value keeps its colour; a new word waits for the lint.
    cursor.movePosition(cursor.MoveOperation.End)
    editor.text_edit.setTextCursor(cursor)
    qtbot.keyClicks(editor.text_edit, "0")
    assert editor.highlighter.runs()[-1][:3] == (len("big castle --ar 3:2 --s "), len(state.text()), "value")
