"""ParameterPanel: controls and text are one state, controls follow the model's rules, and a
model switch offers to drop the flags the new model rejects."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from studio.session.prompt_state import PromptState
from studio.ui.prompt.param_panel import ParameterPanel
from tests.studio_support import settle_lint, shown
from studio.ui.prompt.editor import PromptEditor


@pytest.fixture
def state(qapp):
    return PromptState()


@pytest.fixture
def panel(qtbot, state):
    widget = shown(qtbot, ParameterPanel(state), (360, 900))
    return widget


def pick_model(panel: ParameterPanel, model_id: str) -> None:
    index = panel.model_combo.findData(model_id)
    panel.model_combo.setCurrentIndex(index)
    panel.model_combo.activated.emit(index)


def test_slider_rewrites_only_its_flag(panel, state):
    state.set_text("castle  on a cliff::2 --ar 16:9   --s 250 --no people", origin="program")
    changes = []
    state.text_changed.connect(changes.append)
    panel.slider("stylize").setValue(400)
    assert state.text() == "castle  on a cliff::2 --ar 16:9   --s 400 --no people"
    assert changes == [state.text()]  # one write, no echo from the read-back
    panel.rows["chaos"].spin.setValue(35)
    assert state.text() == "castle  on a cliff::2 --ar 16:9   --s 400 --no people --c 35"


def test_typing_a_flag_moves_the_controls(qtbot, panel, state):
    editor = PromptEditor(state)
    qtbot.addWidget(editor)
    editor.show()
    editor.text_edit.setFocus()
    qtbot.keyClicks(editor.text_edit, "castle --s 600 --w 1200 --ar 3:2 --tile --q 2")
    settle_lint(qtbot, state)  # the panel follows the lint, which runs once typing pauses
    assert panel.slider("stylize").value() == 600
    assert panel.rows["stylize"].spin.value() == 600
    assert panel.slider("weird").value() == 1200
    assert (panel.aspect.width_box.value(), panel.aspect.height_box.value()) == (3, 2)
    assert panel.aspect.preview.ratio() == (3, 2)
    assert panel.rows["tile"].check.isChecked()
    assert panel.rows["quality"].combo.currentText() == "2"
    # Deleting the flag in the text returns the slider to its resting value.
    state.set_text("castle --w 1200", origin="editor")
    settle_lint(qtbot, state)
    assert panel.slider("stylize").value() == 100
    assert panel.slider("weird").value() == 1200


def test_slider_drag_is_one_undo_step(panel, state):
    state.set_text("castle", origin="program")
    base = state.undo_stack.count()
    slider = panel.slider("stylize")
    for value in (150, 250, 420):
        slider.setValue(value)  # what a drag emits
    assert state.text() == "castle --s 420"
    assert state.undo_stack.count() == base + 1
    slider.sliderReleased.emit()
    slider.setValue(500)
    assert state.undo_stack.count() == base + 2
    state.undo_stack.undo()
    assert state.text() == "castle --s 420"
    assert slider.value() == 420
    state.undo_stack.undo()
    assert state.text() == "castle"
    assert slider.value() == 100
    state.undo_stack.redo()
    assert slider.value() == 420


def test_undo_interleaves_text_and_panel_edits(panel, state):
    state.set_text("castle", origin="editor")
    panel.rows["raw"].check.setChecked(True)
    state.set_text("castle --raw fog", origin="editor")
    panel.slider("chaos").setValue(30)
    assert state.text() == "castle --raw fog --c 30"
    state.undo_stack.undo()
    assert state.text() == "castle --raw fog" and panel.slider("chaos").value() == 0
    state.undo_stack.undo()
    assert state.text() == "castle --raw" and panel.rows["raw"].check.isChecked()
    state.undo_stack.undo()
    assert state.text() == "castle" and not panel.rows["raw"].check.isChecked()


def test_unsupported_controls_are_disabled_with_the_rules_reason(panel, state):
    state.set_text("castle --v 8.1", origin="program")
    quality = panel.rows["quality"]
    assert not quality.combo.isEnabled()
    assert "quality tiers were removed" in quality.toolTip()
    assert "v8.1" in quality.combo.toolTip()
    assert not panel.rows["no"].edit.isEnabled()
    assert not panel.rows["draft"].check.isEnabled()
    assert "v7-only" in panel.rows["draft"].toolTip()
    assert not panel.rows["stop"].slider.isEnabled()
    assert panel.rows["stylize"].slider.isEnabled()
    assert not panel.wells.wells["oref"].field.isEnabled()
    assert panel.wells.wells["sref"].field.isEnabled()
    pick_model(panel, "7")
    assert quality.combo.isEnabled()
    assert [quality.combo.itemText(i) for i in range(quality.combo.count())] == ["Default", "1", "2", "4"]
    assert panel.rows["draft"].check.isEnabled()
    pick_model(panel, "6.1")
    assert [quality.combo.itemText(i) for i in range(quality.combo.count())] == ["Default", "0.5", "1", "2"]


def test_slider_ranges_come_from_the_rules(panel, state):
    state.set_text("castle --v 7", origin="program")
    assert (panel.slider("stylize").minimum(), panel.slider("stylize").maximum()) == (0, 1000)
    assert (panel.slider("weird").minimum(), panel.slider("weird").maximum()) == (0, 3000)
    assert (panel.slider("stop").minimum(), panel.slider("stop").maximum()) == (10, 100)
    assert (panel.rows["iw"].spin.minimum(), panel.rows["iw"].spin.maximum()) == (0, 3)


def test_turbo_is_not_offered_on_the_v8_family(panel, state):
    state.set_text("castle --v 8", origin="program")
    combo = panel.rows["speed"].combo
    turbo = combo.findData("turbo")
    assert not combo.model().item(turbo).isEnabled()
    assert "Turbo" in (combo.itemData(turbo, Qt.ItemDataRole.ToolTipRole) or "")
    pick_model(panel, "7")
    turbo = combo.findData("turbo")
    assert combo.model().item(turbo).isEnabled()
    combo.setCurrentIndex(turbo)
    combo.activated.emit(turbo)
    assert state.text() == "castle --v 7 --turbo"


def test_model_switch_offers_to_drop_rejected_flags(qtbot, panel, state):
    state.set_text("castle --v 8 --q 1 --no people --oref https://x.test/o.png --hd --ar 16:9", origin="program")
    assert state.lint().ok
    assert not panel.migration_bar.isVisible()
    pick_model(panel, "8.1")
    assert state.text() == "castle --v 8.1 --q 1 --no people --oref https://x.test/o.png --hd --ar 16:9"
    assert not state.lint().ok
    bar = panel.migration_bar
    assert bar.isVisible()
    assert bar.drop_button.text() == "Drop 4 flags"  # --q, --no, --oref rejected; --hd a no-op
    assert "--q" in bar.message.text() and "--hd" in bar.message.text()
    qtbot.mouseClick(bar.drop_button, Qt.MouseButton.LeftButton)
    assert state.text() == "castle --v 8.1 --ar 16:9"
    assert state.lint().ok and not state.lint().errors
    assert not bar.isVisible()
    state.undo_stack.undo()  # the drop is one step
    assert state.text() == "castle --v 8.1 --q 1 --no people --oref https://x.test/o.png --hd --ar 16:9"
    state.undo_stack.undo()  # and the model switch another
    assert state.text().startswith("castle --v 8 --q 1")


def test_migration_bar_can_be_dismissed(qtbot, panel, state):
    state.set_text("castle --v 7 --draft", origin="program")
    pick_model(panel, "8.1")
    assert panel.migration_bar.isVisible()
    qtbot.mouseClick(panel.migration_bar.close_button, Qt.MouseButton.LeftButton)
    assert not panel.migration_bar.isVisible()
    panel.slider("stylize").setValue(300)  # other edits do not bring it back
    assert not panel.migration_bar.isVisible()
    assert "--draft" in state.text()


def test_model_without_flag_shows_default_and_picking_writes_it(panel, state):
    state.set_text("castle", origin="program")
    assert panel.model_combo.currentData() == "7"
    assert panel.model_note.text() == "default"
    pick_model(panel, "niji6")
    assert state.text() == "castle --niji 6"
    assert panel.model_note.text() == ""
    state.set_default_model("8.1")
    state.set_text("fog", origin="program")
    assert panel.model_combo.currentData() == "8.1"


def test_aspect_presets_and_free_ratio(panel, state):
    state.set_text("castle --s 200", origin="program")
    assert panel.aspect.preview.ratio() == (1, 1)
    action = [a for a in panel.aspect.presets_menu.actions() if a.data() == "16:9"][0]
    action.trigger()
    assert state.text() == "castle --s 200 --ar 16:9"
    panel.aspect.swap()
    assert state.text() == "castle --s 200 --ar 9:16"
    panel.aspect.width_box.setValue(4)
    assert state.text() == "castle --s 200 --ar 4:16"
    assert panel.aspect.preview.ratio() == (4, 16)
    reset = panel.aspect.presets_menu.actions()[-1]
    reset.trigger()
    assert state.text() == "castle --s 200"


def test_negative_prompt_and_seed_fields(qtbot, panel, state):
    state.set_text("castle --v 7", origin="program")
    panel.advanced.header.setChecked(True)
    edit = panel.rows["no"].edit
    edit.setFocus()
    qtbot.keyClicks(edit, "people, cars")
    assert state.text() == "castle --v 7 --no people, cars"
    assert edit.text() == "people, cars"
    qtbot.keyClicks(edit, " --x")  # cannot be written without starting a new flag
    assert "--x" not in state.text()
    assert state.params().no.startswith("people, cars")
    assert edit.property("invalid") is True
    assert edit.text() == "people, cars --x"  # the user's typing is kept, marked invalid
    panel.random_seed()
    seed = state.params().seed
    assert isinstance(seed, int) and 0 <= seed <= 4294967295
    assert panel.rows["seed"].edit.text() == str(seed)


def test_wells_take_drops_and_show_references(panel, state):
    state.set_text("castle --v 7", origin="program")
    well = panel.wells.wells["sref"]
    mime = QMimeData()
    mime.setUrls([QUrl("https://x.test/style.png")])
    well.dropEvent(QDropEvent(QPointF(5, 5), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                              Qt.KeyboardModifier.NoModifier))
    assert state.text() == "castle --v 7 --sref https://x.test/style.png"
    assert well.values() == ["https://x.test/style.png"]
    assert panel.references.header.text().endswith("· 1")
    image = panel.wells.wells["image"]
    image.field.setText("https://x.test/img.png")
    image.field.returnPressed.emit()
    assert state.text() == "https://x.test/img.png castle --v 7 --sref https://x.test/style.png"
    # Removing a chip rewrites the text.
    (chip,) = well.chips()
    assert chip.value == "https://x.test/style.png"
    chip.close_button.click()
    assert well.values() == []
    assert state.text() == "https://x.test/img.png castle --v 7"


def test_wells_refuse_what_the_model_rejects(panel, state):
    state.set_text("castle --v 8.1", origin="program")
    well = panel.wells.wells["cref"]
    assert not well.add("https://x.test/c.png")
    assert "--cref" not in state.text()
    assert "v8.1" in well.toolTip()


def test_v8_migration_hint_and_drop(qtbot, panel, state):
    editor = PromptEditor(state)
    qtbot.addWidget(editor)
    # Nothing blocks the move: the hint's Fix rewrites the version, no bar is needed.
    state.set_text("castle --v 8 --s 300", origin="program")
    (row,) = [r for r in editor.problems.rows() if r.diagnostic.code == "migrate-v8.1"]
    assert row.diagnostic.severity == "info" and row.fix_button is not None
    row.fix_button.click()
    assert state.text() == "castle --v 8.1 --s 300"
    assert not panel.migration_bar.isVisible()
    # --no blocks it: the hint names it (no fix); switching model offers to drop it.
    state.set_text("castle --v 8 --no people --sw 200 --sref https://x.test/s.png", origin="program")
    (hint,) = [d for d in state.lint().diagnostics if d.code == "migrate-v8.1"]
    assert hint.fix is None and "--no" in hint.message
    pick_model(panel, "8.1")
    assert panel.migration_bar.isVisible()
    assert panel.migration_bar.drop_button.text() == "Drop 1 flag"
    panel.migration_bar.drop_button.click()
    assert state.text() == "castle --v 8.1 --sw 200 --sref https://x.test/s.png"
    assert state.lint().ok


def test_disabled_reason_is_on_the_label_too(panel, state):
    state.set_text("castle --v 6", origin="program")
    row = panel.rows["no"]
    assert not row.edit.isEnabled()
    assert row.label.toolTip() == row.edit.toolTip() == row.toolTip()
    assert row.toolTip().startswith("v6:")


def test_typing_a_new_version_offers_the_drop_once_it_is_complete(qtbot, panel, state):
    editor = PromptEditor(state)
    qtbot.addWidget(editor)
    editor.show()
    state.set_text("castle --q 2 ", origin="program")
    cursor = editor.text_edit.textCursor()
    cursor.movePosition(cursor.MoveOperation.End)
    editor.text_edit.setTextCursor(cursor)
    editor.text_edit.setFocus()
    qtbot.keyClicks(editor.text_edit, "--v 8.")
    settle_lint(qtbot, state)
    assert not panel.migration_bar.isVisible()  # "--v 8." names no model yet
    qtbot.keyClicks(editor.text_edit, "1")
    settle_lint(qtbot, state)
    assert panel.migration_bar.isVisible()
    assert panel.migration_bar.drop_button.text() == "Drop 1 flag"


def test_open_sections_are_remembered_in_the_studio_settings_file(qtbot, tmp_path):
    from PySide6.QtCore import QSettings

    from studio.session.settings import Settings

    path = tmp_path / "studio.ini"
    first = ParameterPanel(PromptState(), settings=Settings(path))
    qtbot.addWidget(first)
    assert not first.advanced.expanded() and not first.references.expanded()
    qtbot.mouseClick(first.advanced.header, Qt.MouseButton.LeftButton)
    assert first.advanced.expanded()
    first.settings.sync()

    again = ParameterPanel(PromptState(), settings=Settings(path))
    qtbot.addWidget(again)
    assert again.advanced.expanded() and not again.references.expanded()
    assert "advanced_expanded=true" in path.read_text()
    # through the studio's settings only, never Qt's default store beside them
    assert not [k for k in QSettings().allKeys() if k.startswith("param_panel")]
