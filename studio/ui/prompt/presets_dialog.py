"""Presets in the window: the picker menu beside the prompt, and the presets dialog.

The picker lists every preset with what it stands for; one that does not suit the prompt's model
is marked, its reasons (from the rules) in its tooltip, and choosing it asks first with those
reasons — it is never slipped in silently. Choosing a preset puts its `--name` in the prompt
(written out when sent; hover it to see what it stands for, right-click to write it out).

The dialog edits the library (studio.session.presets.PresetLibrary): name, parameters, prompt
words, note and the models a preset is for; the default suffix; import and export of a JSON
file to share. Every refusal (a name that is a real flag, a circle of presets, a file that is
not a presets file) is said in the dialog. Dialogs open with `open()`, never a nested loop.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QCheckBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout,
                               QLabel, QLineEdit, QListWidget, QListWidgetItem, QMenu, QMessageBox, QPushButton,
                               QVBoxLayout, QWidget)

from studio.prompt.presets import Preset, PresetFileError
from studio.prompt.support import model_choices, model_label
from studio.ui.prompt.highlighter import muted_color, severity_color

if TYPE_CHECKING:
    from studio.session.prompt_state import PromptState

_MENU_ITEM_WIDTH = 380
PRESET_ICON = "M4 6h9 M17 6h3 M4 12h3 M11 12h9 M4 18h11 M19 18h1 M15 4v4 M9 10v4 M17 16v4"


def fill_preset_menu(menu: QMenu, state: PromptState, chosen, manage, save_current) -> None:  # noqa: ANN001
    """The picker: every preset (unsuited ones marked, with reasons), then the library's actions."""
    menu.clear()
    library = state.presets
    if library is None:
        menu.addAction("Presets are not available").setEnabled(False)
        return
    model = state.model()
    metrics = menu.fontMetrics()
    if not library.presets():
        menu.addAction("No presets yet — save the prompt's parameters as one").setEnabled(False)
    for preset in library.presets():
        reasons = library.suitability(preset.name, model)
        label = f"{preset.token}   {preset.summary()}"
        label = metrics.elidedText(label, Qt.TextElideMode.ElideRight, _MENU_ITEM_WIDTH).replace("&", "&&")
        action = menu.addAction(("⚠ " if reasons else "") + label)
        tip = [f"{preset.token}: {preset.summary()}"]
        if preset.note.strip():
            tip.append(preset.note.strip())
        if reasons:
            tip.append(f"Not suited to {model_label(model)}:")
            tip.extend(f"• {r}" for r in reasons)
        action.setToolTip("\n".join(tip))
        action.setStatusTip(tip[-1] if reasons else tip[0])
        action.setData(preset.name)
        action.triggered.connect(lambda _c=False, n=preset.name: chosen(n))
    menu.addSeparator()
    save = menu.addAction("Save the prompt's parameters as a preset…")
    save.triggered.connect(save_current)
    manage_action = menu.addAction("Presets and default suffix…")
    manage_action.triggered.connect(manage)


def ask_unsuited(parent: QWidget, state: PromptState, name: str) -> QMessageBox | None:
    """Insert preset `name`; when it does not suit the prompt's model, ask first, with the
    reasons from the rules (window-modal, opened, never blocking). Returns the question."""
    library = state.presets
    if library is None:
        return None
    reasons = library.suitability(name, state.model())
    if not reasons:
        state.insert_preset(name)
        return None
    preset = library.get(name)
    box = QMessageBox(QMessageBox.Icon.Warning, "Preset does not suit this model",
                      f"{preset.token if preset else name} does not suit {model_label(state.model())}:",
                      parent=parent)
    box.setObjectName("UnsuitedPreset")
    box.setStyleSheet("QLabel#qt_msgbox_informativelabel { min-width: 380px; }")  # reasons are long
    box.setInformativeText("\n".join(f"• {r}" for r in reasons)
                           + "\n\nInserted anyway, the prompt shows these problems on its name "
                             "and nothing is sent until they are fixed.")
    insert = box.addButton("Insert anyway", QMessageBox.ButtonRole.AcceptRole)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(cancel)
    box.setEscapeButton(cancel)
    box.setWindowModality(Qt.WindowModality.WindowModal)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.buttonClicked.connect(lambda b: state.insert_preset(name) if b is insert else None)
    box.open()
    return box


class PresetsDialog(QDialog):
    """Edit the presets library and the default suffix; import and export."""

    def __init__(self, state: PromptState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        assert state.presets is not None
        self.state = state
        self.library = state.presets
        self.setObjectName("PresetsDialog")
        self.setWindowTitle("Presets")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._editing: str | None = None  # the name of the preset in the form (None: a new one)
        self.file_dialog: QFileDialog | None = None

        outer = QVBoxLayout(self)
        intro = QLabel("A preset is a --name that stands for parameters (and prompt words): type it in "
                       "a prompt or pick it from Presets. The prompt's own parameters win over a preset's.")
        intro.setWordWrap(True)
        intro.setStyleSheet(f"color: {muted_color().name()};")
        outer.addWidget(intro)

        body = QHBoxLayout()
        left = QVBoxLayout()
        self.list = QListWidget()
        self.list.setObjectName("PresetList")
        self.list.setSpacing(3)
        self.list.currentItemChanged.connect(self._picked)
        left.addWidget(self.list, 1)
        row = QHBoxLayout()
        self.new_button = QPushButton("New")
        self.new_button.clicked.connect(lambda: self.start_new())
        self.delete_button = QPushButton("Delete")
        self.delete_button.clicked.connect(self.delete_current)
        row.addWidget(self.new_button)
        row.addWidget(self.delete_button)
        left.addLayout(row)
        body.addLayout(left, 2)

        form_box = QVBoxLayout()
        form = QFormLayout()
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("gloomy")
        self.params_edit = QLineEdit()
        self.params_edit.setPlaceholderText("--ar 16:9 --s 400 --c 20")
        self.words_edit = QLineEdit()
        self.words_edit.setPlaceholderText("volumetric fog, 35mm (optional)")
        self.note_edit = QLineEdit()
        self.note_edit.setPlaceholderText("what it is for (optional)")
        form.addRow("Name  --", self.name_edit)
        form.addRow("Parameters", self.params_edit)
        form.addRow("Prompt words", self.words_edit)
        form.addRow("Note", self.note_edit)
        models = QHBoxLayout()
        self.model_boxes: dict[str, QCheckBox] = {}
        for mid, label in model_choices():
            box = QCheckBox(label)
            box.setToolTip("The models this preset is made for; none ticked means any")
            self.model_boxes[mid] = box
            models.addWidget(box)
        models.addStretch(1)
        form.addRow("Made for", models)
        form_box.addLayout(form)
        self.fit_label = QLabel()
        self.fit_label.setObjectName("PresetFit")
        self.fit_label.setWordWrap(True)
        form_box.addWidget(self.fit_label)
        actions = QHBoxLayout()
        self.use_current = QPushButton("Use the prompt's parameters")
        self.use_current.setToolTip("Fill Parameters with the parameters of the prompt in the editor")
        self.use_current.clicked.connect(self.fill_from_prompt)
        self.save_button = QPushButton("Save preset")
        self.save_button.setProperty("primary", True)
        self.save_button.clicked.connect(self.save_current)
        actions.addWidget(self.use_current)
        actions.addStretch(1)
        actions.addWidget(self.save_button)
        form_box.addLayout(actions)
        form_box.addStretch(1)
        body.addLayout(form_box, 3)
        outer.addLayout(body, 1)

        suffix_row = QHBoxLayout()
        suffix_row.addWidget(QLabel("Default suffix"))
        self.suffix_edit = QLineEdit(self.library.book.suffix)
        self.suffix_edit.setPlaceholderText("added to every prompt, e.g. --s 250 (empty: none)")
        suffix_row.addWidget(self.suffix_edit, 1)
        self.suffix_button = QPushButton("Save suffix")
        self.suffix_button.clicked.connect(self.save_suffix)
        suffix_row.addWidget(self.suffix_button)
        outer.addLayout(suffix_row)

        self.message = QLabel()
        self.message.setObjectName("PresetMessage")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        outer.addWidget(self.message)

        buttons = QDialogButtonBox()
        self.import_button = buttons.addButton("Import…", QDialogButtonBox.ButtonRole.ActionRole)
        self.export_button = buttons.addButton("Export…", QDialogButtonBox.ButtonRole.ActionRole)
        self.import_button.setToolTip("Add the presets of a JSON file someone shared (nothing is overwritten)")
        self.export_button.setToolTip("Write the presets and the suffix to a JSON file to share")
        self.import_button.clicked.connect(self.choose_import)
        self.export_button.clicked.connect(self.choose_export)
        close = buttons.addButton(QDialogButtonBox.StandardButton.Close)
        close.clicked.connect(self.close)
        outer.addWidget(buttons)

        for edit in (self.name_edit, self.params_edit, self.words_edit):
            edit.textChanged.connect(self._show_fit)
        self.library.changed.connect(self._refill)
        self._refill()
        if self.library.last_message:
            self.say(self.library.last_message, error=True)
        self.resize(760, 460)

    # ---- the list ---------------------------------------------------------------------------
    def _refill(self, *_args: object) -> None:
        keep = self._editing
        self.list.blockSignals(True)
        self.list.clear()
        for preset in self.library.presets():
            item = QListWidgetItem(f"{preset.token}\n{preset.summary()}")
            item.setData(Qt.ItemDataRole.UserRole, preset.name)
            item.setToolTip(preset.note or preset.summary())
            self.list.addItem(item)
            if preset.name == keep:
                self.list.setCurrentItem(item)
        self.list.blockSignals(False)
        self.delete_button.setEnabled(self.list.currentItem() is not None)
        if keep is None and self.list.count() and not self.name_edit.text():
            self.list.setCurrentRow(0)

    def _picked(self, item: QListWidgetItem | None, _previous: object = None) -> None:
        if item is None:
            return
        preset = self.library.get(item.data(Qt.ItemDataRole.UserRole))
        if preset is not None:
            self.show_preset(preset)

    def show_preset(self, preset: Preset) -> None:
        self._editing = preset.name
        self.name_edit.setText(preset.name)
        self.params_edit.setText(preset.params)
        self.words_edit.setText(preset.fragment)
        self.note_edit.setText(preset.note)
        for mid, box in self.model_boxes.items():
            box.setChecked(mid in preset.models)
        self.delete_button.setEnabled(True)
        self._show_fit()

    def start_new(self, params: str = "", models: tuple[str, ...] = ()) -> None:
        """An empty form (or one holding `params`) for a new preset; the name gets the focus."""
        self._editing = None
        self.list.clearSelection()
        self.list.setCurrentItem(None)
        self.name_edit.clear()
        self.params_edit.setText(params)
        self.words_edit.clear()
        self.note_edit.clear()
        for mid, box in self.model_boxes.items():
            box.setChecked(mid in models)
        self.delete_button.setEnabled(False)
        self.name_edit.setFocus()
        self._show_fit()

    def fill_from_prompt(self) -> None:
        self.params_edit.setText(self.state.current_parameters())

    def form_preset(self) -> Preset:
        return Preset(name=self.name_edit.text().strip().lstrip("-"), params=self.params_edit.text().strip(),
                      fragment=self.words_edit.text().strip(), note=self.note_edit.text().strip(),
                      models=tuple(mid for mid, box in self.model_boxes.items() if box.isChecked()))

    def _show_fit(self) -> None:
        """How the preset in the form fits the prompt's model, from the rules, as it is typed."""
        preset = self.form_preset()
        model = self.state.model()
        if not preset.params and not preset.fragment:
            self.fit_label.setText("")
            return
        from studio.prompt.presets import PresetBook, content_problems, suitability

        problems = content_problems(preset)
        if not problems and preset.name:
            book = self.library.book.without(self._editing or preset.name)
            try:
                book = book.with_preset(preset)
            except ValueError as exc:
                problems = [str(exc)]
            else:
                problems = suitability(book, preset.name, model)
        elif not preset.name:
            probe = Preset("x_probe", preset.params, preset.fragment, models=preset.models)
            problems = problems or suitability(PresetBook((probe,)), probe.name, model)
        if problems:
            self.fit_label.setStyleSheet(f"color: {severity_color('warning').name()};")
            self.fit_label.setText(f"On {model_label(model)}: " + "; ".join(problems))
        else:
            self.fit_label.setStyleSheet(f"color: {muted_color().name()};")
            self.fit_label.setText(f"Suits {model_label(model)}, the prompt's model.")

    # ---- changing ----------------------------------------------------------------------------
    def save_current(self) -> bool:
        preset = self.form_preset()
        try:
            saved = self.library.save_preset(preset, replacing=self._editing)
        except ValueError as exc:
            self.say(str(exc), error=True)
            return False
        self._editing = saved.name
        self._refill()
        self.say(f"Saved {saved.token}: type it in a prompt or pick it from Presets.")
        return True

    def delete_current(self) -> None:
        if self._editing is None:
            return
        gone = self.library.delete(self._editing)
        self._editing = None
        self._refill()
        if gone is not None:
            self.say(f"Deleted {gone.token} (a prompt that names it now shows it as unknown).")

    def save_suffix(self) -> bool:
        try:
            self.library.set_suffix(self.suffix_edit.text())
        except ValueError as exc:
            self.say(str(exc), error=True)
            return False
        suffix = self.library.book.suffix
        self.say(f"Every prompt now ends with: {suffix}" if suffix else "No default suffix.")
        return True

    def say(self, text: str, *, error: bool = False) -> None:
        color = severity_color("error").name() if error else muted_color().name()
        self.message.setStyleSheet(f"color: {color};")
        self.message.setText(text)

    # ---- files -------------------------------------------------------------------------------
    def _file_dialog(self, mode: QFileDialog.AcceptMode, title: str) -> QFileDialog:
        if self.file_dialog is not None:
            self.file_dialog.close()
        dialog = QFileDialog(self, title)
        dialog.setAcceptMode(mode)
        dialog.setNameFilters(["Presets (*.json)", "All files (*)"])
        dialog.setDefaultSuffix("json")
        if mode == QFileDialog.AcceptMode.AcceptOpen:
            dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.destroyed.connect(lambda *_: setattr(self, "file_dialog", None))
        self.file_dialog = dialog
        return dialog

    def choose_import(self) -> QFileDialog:
        dialog = self._file_dialog(QFileDialog.AcceptMode.AcceptOpen, "Import presets")
        dialog.fileSelected.connect(lambda path: self.import_from(Path(path)))
        dialog.open()
        return dialog

    def choose_export(self) -> QFileDialog:
        dialog = self._file_dialog(QFileDialog.AcceptMode.AcceptSave, "Export presets")
        dialog.selectFile("legnext-presets.json")
        dialog.fileSelected.connect(lambda path: self.export_to(Path(path)))
        dialog.open()
        return dialog

    def import_from(self, path: Path) -> bool:
        try:
            lines = self.library.import_file(path)
        except PresetFileError as exc:
            self.say(f"Nothing imported: {exc}", error=True)
            return False
        self.say(f"Imported from {path.name}: " + "; ".join(lines))
        return True

    def export_to(self, path: Path) -> bool:
        try:
            count = self.library.export_file(path)
        except OSError as exc:
            self.say(f"Could not write {path}: {exc.strerror or exc}", error=True)
            return False
        self.say(f"Exported {count} preset{'s' if count != 1 else ''} to {path}")
        return True


__all__ = ["PRESET_ICON", "PresetsDialog", "ask_unsuited", "fill_preset_menu"]
