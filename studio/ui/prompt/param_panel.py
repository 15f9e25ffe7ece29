"""The parameter panel: model, shape, style and the rare knobs, as controls over the prompt text.

Every control writes one parameter through `PromptState.set_param` (which rewrites only that
flag's span in the text) and reads its value back from `PromptState.params()` whenever the lint
changes — so typing `--s 400` moves the stylize slider and dragging the slider rewrites `--s`.
`_syncing` stops the read-back from writing again, and the control that made a change is not
overwritten while the user is still in it (a line edit keeps its caret).

Which controls a model supports, their ranges and allowed values, and the reasons shown on
disabled controls all come from the rule tables through `PromptState.support()`.

Order, top to bottom (UI.md): model, then shape (aspect), then style (stylize, chaos, weird,
raw), then the folded sections: references, and the rare knobs under "Advanced".
"""

from __future__ import annotations

import random
from typing import Any

from PySide6.QtCore import QRegularExpression, Qt
from PySide6.QtGui import QPalette, QRegularExpressionValidator, QStandardItemModel
from PySide6.QtWidgets import (QAbstractSpinBox, QApplication, QCheckBox, QComboBox, QDoubleSpinBox, QFrame, QGridLayout,
                               QHBoxLayout, QLabel, QLineEdit, QPushButton, QSizePolicy, QSlider, QSpinBox,
                               QToolButton, QVBoxLayout, QWidget)

from studio.prompt import Diagnostic, LintResult
from studio.prompt.support import model_choices, model_label
from studio.session.prompt_state import PromptState
from studio.session.settings import Settings
from studio.ui.prompt.aspect import SPIN_BOX_STYLE, AspectWidget
from studio.ui.prompt.highlighter import muted_color, set_once, severity_color
from studio.ui.prompt.reference_wells import ReferenceWells

# Where a slider rests when the prompt does not set the flag: the defaults the docs state
# (REFERENCE.md › Image Parameters: stylize 100, chaos 0, weird 0, stop 100, iw 1; Midjourney's
# --sw default 100). Display only: an absent flag is never written.
RESTING: dict[str, float] = {"stylize": 100, "chaos": 0, "weird": 0, "stop": 100, "sw": 100,
                             "iw": 1, "exp": 0}

# Diagnostics that mean "this model does not take this flag"; the model-switch bar offers to
# drop them (each carries a removal fix).
MODEL_DROP_CODES = frozenset({"flag-rejected", "flag-unsupported", "flag-noop", "flag-ignored"})

LABEL_WIDTH = 64


def _label(text: str) -> QLabel:
    label = QLabel(text.upper())
    label.setObjectName("ParamLabel")
    label.setFixedWidth(LABEL_WIDTH)
    label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    return label


def _number_text(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


class _Row:
    """A labelled control bound to one parameter; disabled with the rule's reason when the
    model does not take its flag. Subclasses hold the control and read/write the value; the
    panel places the label, the controls and the reset button in its grid."""

    def __init__(self, panel: "ParameterPanel", field: str, flag: str, title: str) -> None:
        self.panel = panel
        self.field = field
        self.flag = flag
        self.label = _label(title)
        self._tip = ""
        self.reset_button = QToolButton()
        self.reset_button.setObjectName("ResetButton")
        self.reset_button.setText("↺")
        self.reset_button.setAutoRaise(True)
        self.reset_button.setToolTip(f"Remove --{flag} from the prompt")
        self.reset_button.setAccessibleName(f"Reset {title}")
        self.reset_button.setFixedWidth(20)
        self.reset_button.clicked.connect(lambda: panel.write(field, None, source=self))

    def controls(self) -> list[QWidget]:
        return []

    def set_supported(self, usable: bool, reason: str, hint: str) -> None:
        tip = reason if not usable else hint
        if getattr(self, "_supported", None) == (usable, tip):
            return
        self._supported = (usable, tip)
        self._tip = tip
        for control in self.controls():
            control.setEnabled(usable)
            control.setToolTip(tip)
        self.label.setEnabled(usable)
        self.label.setToolTip(tip)

    def toolTip(self) -> str:  # noqa: N802 - reads like the widgets' own
        """The hint or, on a model without this flag, the reason (also on label and controls)."""
        return self._tip

    def show_value(self, value: Any) -> None:
        raise NotImplementedError

    def set_present(self, present: bool) -> None:
        # Keep the slot so nothing shifts; hide the glyph when there is nothing to reset.
        set_once(self.reset_button, "enabled", present, self.reset_button.setEnabled)
        set_once(self.reset_button, "text", "↺" if present else "", self.reset_button.setText)


class SliderRow(_Row):
    """Label, slider, spin box, reset; `scale` maps decimals (iw 0–3 by 0.25) onto the slider."""

    def __init__(self, panel: "ParameterPanel", field: str, flag: str, title: str, decimals: int = 0) -> None:
        super().__init__(panel, field, flag, title)
        self.decimals = decimals
        self.scale = 10 ** decimals
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName(f"slider-{field}")
        self.slider.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        # Disabled for this model: no accent fill, so it does not read as an active value.
        palette = self.slider.palette()
        palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Highlight,
                         palette.color(QPalette.ColorRole.Mid))
        self.slider.setPalette(palette)
        if decimals:
            self.spin: QSpinBox | QDoubleSpinBox = QDoubleSpinBox()
            self.spin.setDecimals(decimals)
            self.spin.setSingleStep(0.25)
        else:
            self.spin = QSpinBox()
        self.spin.setObjectName(f"spin-{field}")
        self.spin.setButtonSymbols(QAbstractSpinBox.ButtonSymbols.NoButtons)
        self.spin.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.spin.setFixedWidth(self.spin.fontMetrics().horizontalAdvance("0000") + 22)
        self.spin.setAccessibleName(title)
        self.slider.setAccessibleName(title)
        self.slider.valueChanged.connect(self._on_slider)
        self.slider.sliderReleased.connect(panel.state.seal_undo)
        self.spin.valueChanged.connect(self._on_spin)
        self.spin.editingFinished.connect(panel.state.seal_undo)
        self._range: tuple[float, float] | None = None

    def controls(self) -> list[QWidget]:
        return [self.slider, self.spin]

    def set_range(self, low: float, high: float) -> None:
        if self._range == (low, high):
            return
        self._range = (low, high)
        self.slider.setRange(int(low * self.scale), int(high * self.scale))
        self.slider.setPageStep(max(1, int((high - low) * self.scale / 10)))
        self.spin.setRange(low, high)
        # Wide enough for the longest value the range allows (decimals included), at least 4 digits.
        widest = max((_number_text(high), _number_text(low)), key=len)
        if self.decimals:
            widest += "." + "0" * self.decimals
        metrics = self.spin.fontMetrics()
        self.spin.setFixedWidth(max(metrics.horizontalAdvance(widest), metrics.horizontalAdvance("0000")) + 22)

    def show_value(self, value: Any) -> None:
        number = RESTING.get(self.field, 0) if value is None or isinstance(value, bool) else float(value)
        if self._range:
            number = min(max(number, self._range[0]), self._range[1])
        if self.slider.value() != int(round(number * self.scale)):
            self.slider.setValue(int(round(number * self.scale)))
        if not self.spin.hasFocus() or self.panel.source is not self:
            if abs(float(self.spin.value()) - number) > 1e-9:
                self.spin.setValue(number if self.decimals else int(number))
        set_once(self.spin, "style", "" if value is not None else f"color: {muted_color().name()};",
                 self.spin.setStyleSheet)

    def _value(self, raw: float) -> int | float:
        return int(raw) if not self.decimals else round(float(raw), self.decimals)

    def _on_slider(self, position: int) -> None:
        if self.panel.syncing:
            return
        self.panel.write(self.field, self._value(position / self.scale), source=self, merge=True)

    def _on_spin(self, value: float) -> None:
        if self.panel.syncing:
            return
        self.panel.write(self.field, self._value(value), source=self, merge=True)


class CheckRow(_Row):
    def __init__(self, panel: "ParameterPanel", field: str, flag: str, title: str, text: str) -> None:
        super().__init__(panel, field, flag, title)
        self.check = QCheckBox(text)
        self.check.setObjectName(f"check-{field}")
        # Fusion outlines the box in a shade of the Window colour: on a dark window that is
        # near-black on near-black, so give it a lighter window colour to draw from.
        palette = self.check.palette()
        palette.setColor(QPalette.ColorRole.Window, muted_color())
        self.check.setPalette(palette)
        self.check.toggled.connect(self._on_toggle)

    def controls(self) -> list[QWidget]:
        return [self.check]

    def show_value(self, value: Any) -> None:
        if self.check.isChecked() != bool(value):
            self.check.setChecked(bool(value))

    def set_present(self, present: bool) -> None:
        super().set_present(False)  # the check box itself turns the flag off

    def _on_toggle(self, on: bool) -> None:
        if self.panel.syncing:
            return
        self.panel.write(self.field, bool(on), source=self)


class ChoiceRow(_Row):
    """A combo box of allowed values (quality per model, speed modes)."""

    def __init__(self, panel: "ParameterPanel", field: str, flag: str, title: str) -> None:
        super().__init__(panel, field, flag, title)
        self.combo = QComboBox()
        self.combo.setObjectName(f"combo-{field}")
        self.combo.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.combo.activated.connect(self._on_activated)
        self._items: list[tuple[Any, str, str]] = []

    def controls(self) -> list[QWidget]:
        return [self.combo]

    def set_items(self, items: list[tuple[Any, str, str]]) -> None:
        """(value, text, reason-if-disabled) per entry; value None means "not set"."""
        if items == self._items:
            return
        self._items = items
        self.combo.blockSignals(True)
        self.combo.clear()
        model = self.combo.model()
        for i, (value, text, reason) in enumerate(items):
            self.combo.addItem(text, value)
            if reason:
                self.combo.setItemData(i, reason, Qt.ItemDataRole.ToolTipRole)
                if isinstance(model, QStandardItemModel):
                    model.item(i).setEnabled(False)
        self.combo.blockSignals(False)

    def show_value(self, value: Any) -> None:
        for i, (item_value, _text, _reason) in enumerate(self._items):
            if item_value == value or (item_value is not None and value is not None
                                       and _same_number(item_value, value)):
                if self.combo.currentIndex() != i:
                    self.combo.setCurrentIndex(i)
                return
        # A value the list does not hold (e.g. --q 2 on v8): show it as written.
        self.combo.blockSignals(True)
        self.combo.addItem(f"{_number_text(value) if isinstance(value, (int, float)) else value} (not allowed)", value)
        self._items = self._items + [(value, "", "not allowed")]
        self.combo.setCurrentIndex(self.combo.count() - 1)
        self.combo.blockSignals(False)

    def _on_activated(self, index: int) -> None:
        if self.panel.syncing or not 0 <= index < len(self._items):
            return
        self.panel.write(self.field, self._items[index][0], source=self)


def _same_number(a: Any, b: Any) -> bool:
    try:
        return float(a) == float(b)
    except (TypeError, ValueError):
        return False


class TextRow(_Row):
    """A line edit (negative prompt, seed)."""

    def __init__(self, panel: "ParameterPanel", field: str, flag: str, title: str, empty_hint: str,
                 digits: bool = False) -> None:
        super().__init__(panel, field, flag, title)
        self.edit = QLineEdit()
        self.edit.setObjectName(f"edit-{field}")
        self.edit.setPlaceholderText(empty_hint)
        self.edit.setClearButtonEnabled(True)
        if digits:
            self.edit.setValidator(QRegularExpressionValidator(QRegularExpression(r"[0-9]{0,10}"), self.edit))
        self.digits = digits
        self.edit.textEdited.connect(self._on_edited)
        self.edit.editingFinished.connect(panel.state.seal_undo)
        self.extra: QToolButton | None = None

    def controls(self) -> list[QWidget]:
        return [self.edit] + ([self.extra] if self.extra is not None else [])

    def show_value(self, value: Any) -> None:
        text = "" if value is None else (_number_text(value) if isinstance(value, (int, float)) else str(value))
        if self.panel.source is self and self.edit.hasFocus():
            return  # the user is typing here; the text already says it
        if self.edit.text() != text:
            self.edit.setText(text)

    def _on_edited(self, text: str) -> None:
        if self.panel.syncing:
            return
        value: Any = text.strip() or None
        if value is not None and self.digits:
            value = int(value)
        ok = self.panel.write(self.field, value, source=self, merge=True)
        self.edit.setProperty("invalid", not ok)
        set_once(self.edit, "style", "" if ok else f"border-color: {severity_color('error').name()};",
                 self.edit.setStyleSheet)
        if not ok:
            self.edit.setToolTip("This text cannot be written into the prompt (a `--` would start a new flag)")


class Section(QWidget):
    """A header button ("▸ Advanced · 3 set") folding a body away."""

    def __init__(self, title: str, key: str, settings: Settings) -> None:
        super().__init__()
        self.title = title
        self.key = key
        self.settings = settings
        self.setObjectName(f"section-{key}")
        self.header = QPushButton()
        self.header.setObjectName("SectionHeader")
        self.header.setCheckable(True)
        self.header.setFlat(True)
        self.header.setCursor(Qt.CursorShape.PointingHandCursor)
        self.header.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.body = QWidget()
        self.body.setObjectName("SectionBody")
        self.grid = QGridLayout(self.body)
        self.grid.setContentsMargins(0, 4, 0, 2)
        self.grid.setHorizontalSpacing(8)
        self.grid.setVerticalSpacing(6)
        self.grid.setColumnStretch(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.header)
        layout.addWidget(self.body)
        self._note = ""
        # Folded or not is remembered across sessions.
        expanded = settings.section_expanded(key)
        self.header.setChecked(expanded)
        self.body.setVisible(expanded)
        self._update_header()
        self.header.toggled.connect(self._on_toggled)

    def set_note(self, note: str) -> None:
        self._note = note
        self._update_header()

    def _update_header(self) -> None:
        arrow = "▾" if self.header.isChecked() else "▸"
        set_once(self.header, "text", f"{arrow}  {self.title}" + (f"  · {self._note}" if self._note else ""),
                 self.header.setText)

    def _on_toggled(self, on: bool) -> None:
        self.body.setVisible(on)
        self._update_header()
        self.settings.set_section_expanded(self.key, on)

    def expanded(self) -> bool:
        return self.header.isChecked()


class MigrationBar(QFrame):
    """Non-modal note after a model change: "v8.1 doesn't take --q, --no  [Drop 2 flags] ×"."""

    def __init__(self, panel: "ParameterPanel") -> None:
        super().__init__()
        self.panel = panel
        self.setObjectName("Banner")
        self.setProperty("severity", "warning")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 6, 4, 6)
        layout.setSpacing(6)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.RichText)
        self.message.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        layout.addWidget(self.message, 1)
        self.drop_button = QPushButton("Drop")
        self.drop_button.setObjectName("DropFlagsButton")
        self.drop_button.clicked.connect(panel.drop_rejected_flags)
        layout.addWidget(self.drop_button, 0, Qt.AlignmentFlag.AlignVCenter)
        self.close_button = QToolButton()
        self.close_button.setText("×")
        self.close_button.setAutoRaise(True)
        self.close_button.setToolTip("Keep the flags (the problems list still shows them)")
        self.close_button.clicked.connect(panel.dismiss_migration)
        layout.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        self.setVisible(False)

    def show_for(self, model: str, diagnostics: list[Diagnostic], text: str) -> None:
        errors = sorted({_flag_text(text, d) for d in diagnostics if d.severity == "error"})
        others = sorted({_flag_text(text, d) for d in diagnostics if d.severity != "error"})
        label = model_label(model)
        parts = []
        if errors:
            parts.append(f"<b>{label}</b> rejects " + ", ".join(f"<code>{e}</code>" for e in errors))
        if others:
            verb = "ignores" if errors else f"<b>{label}</b> ignores"
            parts.append(verb + " " + ", ".join(f"<code>{o}</code>" for o in others))
        self.message.setText("; ".join(parts) + ".")
        count = len(diagnostics)
        self.drop_button.setText(f"Drop {count} flag" + ("" if count == 1 else "s"))
        self.drop_button.setToolTip("Remove them from the prompt (one undo step)")
        self.setProperty("severity", "error" if errors else "warning")
        self.style().unpolish(self)
        self.style().polish(self)
        self.setVisible(True)


def _flag_text(text: str, d: Diagnostic) -> str:
    """`--q 2` → `--q`: the flag's spelling at the start of the span."""
    chunk = text[d.span[0]:d.span[1]]
    return chunk.split()[0] if chunk.split() else chunk


class ParameterPanel(QWidget):
    """Controls over the prompt's parameters, bound to a PromptState."""

    def __init__(self, state: PromptState, parent: QWidget | None = None, *,
                 settings: Settings | None = None) -> None:
        super().__init__(parent)
        self.state = state
        # Where the folds are remembered: the studio's settings file, like every other option.
        self.settings = settings if settings is not None else Settings()
        self.setObjectName("ParameterPanel")
        self.syncing = False
        self.source: object | None = None  # the row whose edit is being written
        self.rows: dict[str, _Row] = {}
        self._last_model = state.model()
        self._dismissed_for: str | None = None
        self._pending_drop: list[Diagnostic] = []

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(8)

        top = QGridLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.setHorizontalSpacing(8)
        top.setVerticalSpacing(8)
        top.setColumnStretch(1, 1)

        # MODEL
        self.model_combo = QComboBox()
        self.model_combo.setObjectName("ModelPicker")
        for model_id, label in model_choices():
            self.model_combo.addItem(label, model_id)
        self.model_combo.activated.connect(self._on_model_picked)
        self.model_note = QLabel()
        self.model_note.setObjectName("Muted")
        model_box = QHBoxLayout()
        model_box.setSpacing(8)
        model_box.addWidget(self.model_combo)
        model_box.addWidget(self.model_note, 1)
        model_label_widget = _label("Model")
        top.addWidget(model_label_widget, 0, 0)
        top.addLayout(model_box, 0, 1, 1, 3)
        self.migration_bar = MigrationBar(self)
        top.addWidget(self.migration_bar, 1, 0, 1, 4)

        # ASPECT
        self.aspect = AspectWidget(state)
        top.addWidget(_label("Aspect"), 2, 0)
        top.addWidget(self.aspect, 2, 1, 1, 3)

        # STYLE
        row_index = 3
        for field, flag, title in (("stylize", "s", "Stylize"), ("chaos", "c", "Chaos"), ("weird", "w", "Weird")):
            self._add_slider(top, row_index, field, flag, title)
            row_index += 1
        raw = CheckRow(self, "raw", "raw", "Raw", "Less default styling")
        self._place(top, row_index, raw, [raw.check])
        outer.addLayout(top)

        # REFERENCES
        self.references = Section("References", "references", self.settings)
        self.wells = ReferenceWells(state)
        self.references.grid.addWidget(self.wells, 0, 0, 1, 4)
        grid = self.references.grid
        self._add_slider(grid, 1, "sw", "sw", "Style wt", decimals=0)
        self._add_slider(grid, 2, "iw", "iw", "Image wt", decimals=2)
        outer.addWidget(self.references)

        # ADVANCED
        self.advanced = Section("Advanced", "advanced", self.settings)
        grid = self.advanced.grid
        quality = ChoiceRow(self, "quality", "q", "Quality")
        self._place(grid, 0, quality, [quality.combo])
        speed = ChoiceRow(self, "speed", "turbo", "Speed")
        self._place(grid, 1, speed, [speed.combo])
        hd = CheckRow(self, "hd", "hd", "HD", "Native 2K")
        self._place(grid, 2, hd, [hd.check])
        draft = CheckRow(self, "draft", "draft", "Draft", "Draft mode — fast, rough")
        self._place(grid, 3, draft, [draft.check])
        tile = CheckRow(self, "tile", "tile", "Tile", "Seamless tiling pattern")
        self._place(grid, 4, tile, [tile.check])
        self._add_slider(grid, 5, "exp", "exp", "Exp")
        self._add_slider(grid, 6, "stop", "stop", "Stop")
        seed = TextRow(self, "seed", "seed", "Seed", "random", digits=True)
        dice = QToolButton()
        dice.setText("Random")
        dice.setObjectName("RandomSeed")
        dice.setToolTip("Pick a random seed")
        dice.setAccessibleName("Random seed")
        dice.clicked.connect(self.random_seed)
        seed.extra = dice
        self._place(grid, 7, seed, [seed.edit, dice])
        no = TextRow(self, "no", "no", "No", "things to leave out, e.g. people, text")
        self._place(grid, 8, no, [no.edit])
        outer.addWidget(self.advanced)
        outer.addStretch(1)

        self._apply_style()
        state.lint_changed.connect(self._on_lint)
        state.default_model_changed.connect(lambda _m: self._on_lint(state.lint()))
        self._on_lint(state.lint())

    # ---- construction helpers ----------------------------------------------------------------
    def _place(self, grid: QGridLayout, row: int, widget: _Row, controls: list[QWidget]) -> None:
        self.rows[widget.field] = widget
        grid.addWidget(widget.label, row, 0)
        box = QHBoxLayout()
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(6)
        stretched = False
        for control in controls:
            stretch = isinstance(control, (QSlider, QLineEdit, QCheckBox))
            stretched = stretched or stretch
            box.addWidget(control, 1 if stretch else 0)
        if not stretched:
            box.addStretch(1)
        grid.addLayout(box, row, 1, 1, 2)
        grid.addWidget(widget.reset_button, row, 3)

    def _add_slider(self, grid: QGridLayout, row: int, field: str, flag: str, title: str,
                    decimals: int = 0) -> SliderRow:
        slider = SliderRow(self, field, flag, title, decimals)
        self._place(grid, row, slider, [slider.slider, slider.spin])
        return slider

    def _apply_style(self) -> None:
        muted = muted_color()
        faint = QApplication.palette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText)
        line = QApplication.palette().color(QPalette.ColorRole.Mid)
        self.setStyleSheet(
            SPIN_BOX_STYLE
            + f"QLabel#ParamLabel {{ color: {muted.name()}; font-size: 10px; font-weight: 600;"
            " letter-spacing: 0.6px; }"
            f"QLabel#ParamLabel:disabled {{ color: {faint.name()}; }}"
            f"QPushButton#SectionHeader, QPushButton#SectionHeader:hover, QPushButton#SectionHeader:checked {{"
            f" color: {muted.name()}; font-size: 11px; font-weight: 600; text-align: left;"
            f" padding: 6px 0 2px 0; border: none; border-top: 1px solid {line.name()};"
            " border-radius: 0; background: transparent; }"
            "QPushButton#SectionHeader:focus { text-decoration: underline; }"
            "QToolButton#ResetButton, QToolButton#ResetButton:disabled {"
            f" color: {muted.name()}; border: none; padding: 0; background: transparent; }}"
            f"QFrame#ReferenceWell {{ border: 1px dashed {line.name()}; border-radius: 6px; }}"
            "QFrame#ReferenceWell[dropping=\"true\"] { border: 1px solid palette(highlight); }"
            "QFrame#ReferenceChip { border: none; }"
            "QToolButton#ChipClose { padding: 0; background: transparent; border: none; }"
            f"QToolButton#ChipClose:hover {{ color: {severity_color('error').name()}; }}"
            f"QCheckBox:disabled {{ color: {faint.name()}; }}"
            "QComboBox { min-width: 84px; }"
            "QLabel#WellTitle { font-weight: 600; }"
        )

    # ---- writing -------------------------------------------------------------------------------
    def write(self, field: str, value: Any, *, source: object | None = None, merge: bool = False) -> bool:
        """Set one parameter in the prompt; False when it cannot be written (bad text)."""
        previous, self.source = self.source, source
        try:
            self.state.set_param(field, value, merge=merge)
        except ValueError:
            return False
        finally:
            self.source = previous
        if not merge:
            self.state.seal_undo()
        return True

    def _on_model_picked(self, index: int) -> None:
        if self.syncing:
            return
        model_id = self.model_combo.itemData(index)
        parsed = self.state.lint().parsed
        if model_id == self.state.model() and parsed is not None and parsed.model_flag is not None:
            return
        self._dismissed_for = None
        self.write("model", model_id)

    def random_seed(self) -> None:
        low, high = self.state.support("seed").range or (0, 4294967295)
        self.write("seed", random.randint(int(low), int(high)))

    def drop_rejected_flags(self) -> None:
        """Remove every flag the current model does not take, as one undo step."""
        model = self.state.model()
        self.state.seal_undo()
        self.state.apply_fixes(self.rejected_diagnostics(), label=f"Drop flags {model_label(model)} rejects")
        self.state.seal_undo()
        self.migration_bar.setVisible(False)

    def dismiss_migration(self) -> None:
        self._dismissed_for = self.state.model()
        self.migration_bar.setVisible(False)

    def rejected_diagnostics(self) -> list[Diagnostic]:
        return [d for d in self.state.lint().diagnostics if d.code in MODEL_DROP_CODES and d.fix == ""]

    # ---- reading -------------------------------------------------------------------------------
    def _on_lint(self, result: LintResult) -> None:
        self.syncing = True
        try:
            self._sync(result)
        finally:
            self.syncing = False

    def _sync(self, result: LintResult) -> None:
        state = self.state
        params = state.params()
        model = result.model
        label = model_label(model)
        index = self.model_combo.findData(model)
        if index >= 0 and self.model_combo.currentIndex() != index:
            self.model_combo.setCurrentIndex(index)
        parsed = result.parsed
        explicit = parsed is not None and parsed.model_flag is not None
        set_once(self.model_note, "text", "" if explicit else "default", self.model_note.setText)
        set_once(self.model_note, "tip", "" if explicit else
                 "The prompt names no model, so the default applies; pick one to write it",
                 self.model_note.setToolTip)

        for field, row in self.rows.items():
            if field == "speed":
                self._sync_speed(row, params)  # type: ignore[arg-type]
                continue
            support = state.support(row.flag)
            hint = f"--{support.spellings[-1] if len(support.spellings) > 1 else support.name}"
            if support.hint:
                hint += f"  {support.hint}"
            if support.cost_reason:
                hint += f"\n{support.cost_reason}"
            row.set_supported(support.usable, f"{label}: {support.reason}", hint)
            if isinstance(row, SliderRow) and support.range:
                row.set_range(*support.range)
            if isinstance(row, ChoiceRow) and field == "quality":
                values = support.values or ()
                row.set_items([(None, "Default", "")] + [(v, _number_text(v), "") for v in values])
            value = getattr(params, field, None)
            row.show_value(value)
            row.set_present(value not in (None, False, [], ""))

        self._sync_sections(params)
        self._sync_migration(result)
        self._last_model = model

    def _sync_speed(self, row: ChoiceRow, params: Any) -> None:
        items: list[tuple[Any, str, str]] = [(None, "Default (fast)", "")]
        for mode in ("fast", "turbo"):
            support = self.state.support(mode)
            reason = "" if support.usable else f"{model_label(self.state.model())}: {support.reason}"
            text = mode.capitalize() + (f"  ({support.cost_reason.split(' ')[0]})" if support.cost_reason else "")
            items.append((mode, text, reason))
        row.set_items(items)
        row.set_supported(True, "", "GPU speed mode; fast is the default")
        row.show_value(params.speed)
        row.set_present(params.speed is not None)

    def _sync_sections(self, params: Any) -> None:
        refs = len(params.image_urls) + len(params.sref) + len(params.oref) + len(params.cref)
        self.references.set_note(f"{refs}" if refs else "")
        advanced = sum(1 for f in ("quality", "hd", "draft", "tile", "exp", "stop", "seed", "no")
                       if getattr(params, f, None) not in (None, False, "", []))
        advanced += params.speed is not None
        self.advanced.set_note(f"{advanced} set" if advanced else "")

    def _sync_migration(self, result: LintResult) -> None:
        model = result.model
        drops = self.rejected_diagnostics()
        if not drops:
            if self.migration_bar.isVisible():
                self.migration_bar.setVisible(False)
            return
        parsed = result.parsed
        half_typed = parsed is not None and parsed.model_flag is None and any(
            f.name in ("v", "niji") for f in parsed.flags)  # "--v 8." on the way to "--v 8.1"
        if model != self._last_model and self._dismissed_for != model and not half_typed:
            self.migration_bar.show_for(model, drops, self.state.text())
        elif self.migration_bar.isVisible():
            self.migration_bar.show_for(model, drops, self.state.text())

    # ---- accessors for tests -------------------------------------------------------------------
    def slider(self, field: str) -> QSlider:
        return self.rows[field].slider  # type: ignore[attr-defined]

    def row(self, field: str) -> _Row:
        return self.rows[field]

