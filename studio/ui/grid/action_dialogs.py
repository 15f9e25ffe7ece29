"""Small popovers anchored to a grid action button: pick the options, see the cost, send.

Built from the action registry (`studio.ui.grid.actions`): a segmented choice per option (variation
Subtle/Strong, upscale Subtle/Creative, remix Subtle/Strong with the API's reversed numbering,
video 480p/720p), an optional or required prompt, the cost in credits from `studio.prompt`'s
estimate, and a Send button. Actions without options (enhance, reroll) get a one-line popover
with the cost and a single button: nothing is charged by a misclick (UI.md flow rules).

Each popover emits `submitted(op, kwargs)` — the client method name and its keyword arguments —
the same signal the mask editors emit, so the grid routes both the same way. Editor-flow actions
(pan, zoom out, repaint, edit) open one of those editors instead: `make_editor` builds the one the
registry names, as `make_popover` does for the popovers.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QHideEvent, QImage, QKeyEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from studio.credits import credits_text
from studio.session import operations
from studio.ui.common import theme
from studio.ui.common.second_click import SecondClick
from studio.ui.common.segments import segment_qss
from studio.ui.grid.actions import FLOW_CONFIRM, ActionSpec, ChoiceValue, OptionSpec

PROMPT_FIRST = "Type a prompt first"  # an empty required prompt: its field's placeholder says what to type

# A job at or above this many credits shows its cost in the warning colour (UI.md: 12K Topaz,
# video): 8K Topaz (300) and up.
EXPENSIVE_CREDITS = 300

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ActionContext:
    """What an action acts on: one image of a job (image_no None for job-level actions)."""

    job_id: str
    image_no: int | None
    prompt: str | None = None  # the parent job's prompt (prices the job, prefills remix)
    model: str | None = None  # the parent job's model id ("7", "8.1", ...)
    image_url: str | None = None  # the image's web address (what the studio's tools send)
    created_at: float | None = None  # when the job was made (the 3-day and 30-day windows)
    now: float | None = None  # the grid's clock when the action opened (None: the system's)
    extensions: int = 0  # times the video acted on was extended already (Extend: at most 4)

    @property
    def ref(self) -> operations.ImageRef:
        return operations.ImageRef(self.image_url, self.job_id or None, self.image_no, self.created_at)


def estimate_credits(spec: ActionSpec, ctx: ActionContext, values: dict[str, Any]) -> int | None:
    """The job's cost in credits from the prompt package's estimate, or None if it cannot say.

    The parent's prompt decides the model and its premium flags; a new prompt typed in the
    popover (remix, variation with a remix prompt) replaces it for pricing. A video job is priced
    by its own video prompt only (its --bs), never by the flags of the image it animates.
    """
    if spec.video:
        from studio.session.video import check_prompt

        typed = str(values.get(spec.prompt.param) or "") if spec.prompt is not None else ""
        try:
            return check_prompt(typed, spec.op).credits
        except Exception:  # never stop the user from acting; "cost not known" says it
            log.debug("cost estimate failed for %s", spec.name, exc_info=True)
            return None
    text = ""
    if spec.prompt is not None:
        text = str(values.get(spec.prompt.param) or "")
    text = text or ctx.prompt or ""
    try:
        from studio.prompt.cost import estimate

        options: dict[str, Any] = {"video": spec.video}
        if ctx.model:
            options["model"] = ctx.model
        if values.get("target_resolution"):
            options["target_resolution"] = values["target_resolution"]  # Topaz: priced by resolution
        return int(estimate(spec.op, text, **options).credits)
    except Exception:  # an estimate must never stop the user from acting; say so instead
        log.debug("cost estimate failed for %s", spec.name, exc_info=True)
        return None


def cost_text(credits: int | None) -> str:
    return "cost not known" if credits is None else credits_text(credits)


def _popover_qss() -> str:
    c = theme.current
    return segment_qss() + f"""
QFrame#PopoverBody {{
    background: {c.surface}; border: 1px solid {c.border}; border-radius: 8px;
}}
QLabel#PopoverTitle {{ color: {c.text}; font-weight: 600; }}
QLabel#PopoverHint {{ color: {c.muted}; }}
QLabel#PopoverCost {{ color: {c.muted}; }}
QLabel#PopoverCost[expensive="true"] {{ color: {c.warning}; }}
QLabel#OptionLabel {{ color: {c.muted}; }}
QLabel#PopoverProblem {{ color: {c.error}; }}
QLabel#PopoverCheck[severity="warning"] {{ color: {c.warning}; }}
QLabel#PopoverCheck[severity="error"] {{ color: {c.error}; }}
"""


class ActionPopover(QFrame):
    """Base: a frameless popup anchored under (or above) the button that opened it."""

    submitted = Signal(str, dict)
    closed = Signal()  # hidden by Send, Cancel, Escape or a click elsewhere

    def __init__(self, spec: ActionSpec, ctx: ActionContext, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Popup | Qt.WindowType.FramelessWindowHint)
        self.spec = spec
        self.ctx = ctx
        self.setAttribute(Qt.WidgetAttribute.WA_TranslucentBackground)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setObjectName("ActionPopover")
        self.setStyleSheet(_popover_qss())
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.body = QFrame(self)
        self.body.setObjectName("PopoverBody")
        outer.addWidget(self.body)
        self.layout_ = QVBoxLayout(self.body)
        self.layout_.setContentsMargins(12, 10, 12, 10)
        self.layout_.setSpacing(8)
        self.title = QLabel(self._title_text(), self.body)
        self.title.setObjectName("PopoverTitle")
        self.layout_.addWidget(self.title)
        self.cost_label = QLabel(self.body)
        self.cost_label.setObjectName("PopoverCost")
        self.cost_label.setProperty("expensive", spec.expensive)
        # Enter on a focused button presses that button (Cancel cancels); elsewhere in the
        # popover (the prompt field, an option) it sends, through keyPressEvent only.
        self.cancel_button = QPushButton("Cancel", self.body)
        self.cancel_button.setAutoDefault(True)
        self.cancel_button.clicked.connect(self.close)
        self.send_button = QPushButton(spec.send_word, self.body)
        self.send_button.setProperty("primary", True)
        self.send_button.setDefault(True)
        self.send_button.setAutoDefault(True)
        self.send_button.clicked.connect(self.send)
        self.credits: int | None = None
        self.sent = False  # a popover sends (and charges) at most once
        # An expensive action (video, 12K) sends on a second click or Enter.
        self.second_click = SecondClick(self.send_button, spec.send_word)

    # ----- building -----------------------------------------------------------------------
    def _title_text(self) -> str:
        if self.ctx.image_no is None:
            return f"{self.spec.label} this image" if self.spec.studio else f"{self.spec.label} this job"
        if self.spec.index_param == "video_no":
            return f"{self.spec.label} · video {self.ctx.image_no + 1}"
        return f"{self.spec.label} image {self.ctx.image_no + 1}"

    def _finish_layout(self) -> None:
        # What stops Send (a rule the prompt breaks, an image the server no longer has), said.
        self.problem_label = QLabel(self.body)
        self.problem_label.setObjectName("PopoverProblem")
        self.problem_label.setWordWrap(True)
        self.problem_label.hide()
        self.layout_.addWidget(self.problem_label)
        row = QHBoxLayout()
        row.setSpacing(6)
        row.addWidget(self.cost_label, 1)
        row.addWidget(self.cancel_button)
        row.addWidget(self.send_button)
        self.layout_.addLayout(row)
        self.refresh()

    # ----- state --------------------------------------------------------------------------
    def values(self) -> dict[str, Any]:
        """The options as client keyword arguments (job_id / image_no added by `kwargs`)."""
        return {}

    def problem(self) -> str | None:
        """Why Send is not possible right now (shown as its tooltip), or None."""
        return None

    def kwargs(self) -> dict[str, Any]:
        if self.spec.studio:  # how the request names the image: the session's rule
            out: dict[str, Any] = operations.image_arguments(self.spec.op, self.ctx.ref, self.ctx.now)
        else:
            out = {"job_id": self.ctx.job_id}
            if self.ctx.image_no is not None:
                out[self.spec.index_param] = self.ctx.image_no
        out.update(self.values())
        return out

    def image_problem(self) -> str | None:
        """Why the studio's tool cannot be sent from this image (None when it can)."""
        if not self.spec.studio:
            return None
        return operations.image_unavailable(self.spec.op, self.ctx.ref, self.ctx.now) or None

    def request_problem(self) -> str | None:
        """A documented rule the studio tool's whole request breaks (an image type the endpoint
        does not take, an address too long), before anything is sent; None when it passes."""
        if not self.spec.studio:
            return None
        try:
            operations.checked(self.spec.op, self.kwargs())
        except operations.NotSent as exc:
            return str(exc)
        return None

    def _show_problem(self, problem: str | None) -> None:
        label = getattr(self, "problem_label", None)
        if label is not None and label.text() != (problem or ""):
            label.setText(problem or "")
            label.setVisible(bool(problem))
            self.adjustSize()

    def refresh(self) -> None:
        self.credits = estimate_credits(self.spec, self.ctx, self.values())
        self.cost_label.setText(cost_text(self.credits))
        expensive = self.spec.expensive or (self.credits or 0) >= EXPENSIVE_CREDITS
        if self.cost_label.property("expensive") != expensive:
            self.cost_label.setProperty("expensive", expensive)
            self.cost_label.style().unpolish(self.cost_label)
            self.cost_label.style().polish(self.cost_label)
        problem = self.problem()
        self._show_problem(problem if problem != PROMPT_FIRST else None)  # an empty field says it itself
        self.second_click.reset()
        self.send_button.setEnabled(problem is None)
        self.send_button.setToolTip(problem or f"{self.spec.send_word} · {cost_text(self.credits)}"
                                    + (" · click twice: it is expensive" if self.spec.expensive else ""))

    def send(self) -> None:
        if self.sent or self.problem() is not None:
            return
        if self.spec.expensive and not self.second_click.press(cost_text(self.credits)):
            self._fit()
            return
        self.sent = True
        kwargs = self.kwargs()
        self.close()
        self.submitted.emit(self.spec.op, kwargs)

    # ----- showing ------------------------------------------------------------------------
    def _fit(self) -> None:
        """Take the size the content needs now (a line shown or hidden, a longer button)."""
        self.layout_.activate()
        self.layout().activate()
        self.resize(self.sizeHint())

    def show_at(self, anchor: QWidget) -> None:
        """Open under `anchor` (above it when there is no room), kept on its screen."""
        self.adjustSize()
        size = self.sizeHint()
        below = anchor.mapToGlobal(QPoint(0, anchor.height() + 4))
        above = anchor.mapToGlobal(QPoint(0, -size.height() - 4))
        screen = anchor.screen()
        pos = below
        if screen is not None:
            area = screen.availableGeometry()
            if below.y() + size.height() > area.bottom() and above.y() >= area.top():
                pos = above
            x = min(max(pos.x(), area.left()), max(area.left(), area.right() - size.width()))
            y = min(max(pos.y(), area.top()), max(area.top(), area.bottom() - size.height()))
            pos = QPoint(x, y)
        self.move(pos)
        self.show()
        self._focus_first()

    def _focus_first(self) -> None:
        self.send_button.setFocus(Qt.FocusReason.PopupFocusReason)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        # The one Return path: what the focused widget did not take itself (buttons do).
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if not event.isAutoRepeat():
                self.send()
            return
        super().keyPressEvent(event)

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self.closed.emit()


class OptionsPopover(ActionPopover):
    """The registry's OptionSpecs (a row of segments, or a drop-down list for many values; a
    priced option shows each value's credits), plus the optional/required prompt."""

    def __init__(self, spec: ActionSpec, ctx: ActionContext, parent: QWidget | None = None) -> None:
        super().__init__(spec, ctx, parent)
        self.groups: dict[str, QButtonGroup] = {}
        self.segments: dict[str, dict[ChoiceValue, QPushButton]] = {}
        self.combos: dict[str, QComboBox] = {}
        self.hint = QLabel(self.body)
        self.hint.setObjectName("PopoverHint")
        self.hint.setWordWrap(True)
        form = QGridLayout()
        form.setHorizontalSpacing(10)
        form.setVerticalSpacing(6)
        labelled = len(spec.options) > 1  # one option needs no name beside it
        self.option_labels: dict[str, QLabel] = {}
        for row, option in enumerate(spec.options):
            if labelled:
                name = QLabel(option.label, self.body)
                name.setObjectName("OptionLabel")
                self.option_labels[option.param] = name
                form.addWidget(name, row, 0, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
            if option.segmented:
                form.addLayout(self._segments(option), row, 1)
            else:
                form.addWidget(self._combo(option), row, 1)
        form.setColumnStretch(1, 1)
        self.layout_.addLayout(form)
        # A popover of one or two options says what the chosen values do under them; a
        # longer one keeps that in each value's tooltip (a paragraph of hints reads as noise).
        if 0 < len(spec.options) <= 2:
            self.layout_.addWidget(self.hint)
        else:
            self.hint.hide()
        self.prompt_edit: QLineEdit | None = None
        if spec.prompt is not None:
            edit = QLineEdit(self.body)
            edit.setPlaceholderText(spec.prompt.empty_text)
            edit.setMinimumWidth(380)  # prompts are long: room for a readable stretch of one
            edit.setClearButtonEnabled(True)
            if spec.prompt.prefill_parent_prompt and ctx.prompt:
                edit.setText(ctx.prompt)
                edit.selectAll()
            edit.textChanged.connect(lambda _text: self.refresh())
            # No returnPressed → send here: the line edit passes Enter on to keyPressEvent too.
            self.prompt_edit = edit
            self.layout_.addWidget(edit)
        # A video prompt is checked by the video rules as it is typed (the session asks the
        # prompt package): the first error blocks Send, a warning is shown and may be sent.
        self.video_check: Any = None
        self.check_label = QLabel(self.body)
        self.check_label.setObjectName("PopoverCheck")
        self.check_label.setWordWrap(True)
        self.check_label.hide()
        self.layout_.addWidget(self.check_label)
        self.extend_label: QLabel | None = None
        if spec.op == "extend_video":  # the count used, before anything is sent
            from studio.session.video import extend_note

            self.extend_label = QLabel(extend_note(ctx.extensions), self.body)
            self.extend_label.setObjectName("PopoverHint")
            self.layout_.insertWidget(1, self.extend_label)
        self._finish_layout()
        self._update_enabled()
        self._update_hint()

    def _segments(self, option: OptionSpec) -> QHBoxLayout:
        group = QButtonGroup(self)
        group.setExclusive(True)
        row = QHBoxLayout()
        row.setSpacing(0)
        buttons: dict[ChoiceValue, QPushButton] = {}
        for i, choice in enumerate(option.choices):
            button = QPushButton(choice.label, self.body)
            button.setObjectName("Segment")
            button.setCheckable(True)
            button.setAutoDefault(False)
            button.setProperty("first", i == 0)
            button.setProperty("last", i == len(option.choices) - 1)
            button.setToolTip(choice.hint)
            button.setChecked(choice.value == option.default)
            group.addButton(button, i)  # the id is the choice's position; its value is typed
            buttons[choice.value] = button
            row.addWidget(button)
        row.addStretch(1)
        group.idToggled.connect(self._option_changed)
        self.groups[option.param] = group
        self.segments[option.param] = buttons
        return row

    def _combo(self, option: OptionSpec) -> QComboBox:
        combo = QComboBox(self.body)
        combo.setObjectName(f"Option-{option.param}")
        for choice in option.choices:
            combo.addItem(self._choice_text(option, choice.value), choice.value)
            combo.setItemData(combo.count() - 1, choice.hint, Qt.ItemDataRole.ToolTipRole)
        combo.setCurrentIndex(option.values.index(option.default))
        combo.currentIndexChanged.connect(lambda _i: self._option_changed(0, True))
        self.combos[option.param] = combo
        return combo

    def _choice_text(self, option: OptionSpec, value: ChoiceValue) -> str:
        """A drop-down entry: the label, and for a priced option its credits ("4K · 160 credits")."""
        choice = option.choice(value)
        if not option.priced:
            return choice.label
        credits = estimate_credits(self.spec, self.ctx, {option.param: value})
        return f"{choice.label}  ·  {choice.hint}  ·  {cost_text(credits)}"

    def option(self, param: str) -> OptionSpec:
        return next(o for o in self.spec.options if o.param == param)

    def choose(self, param: str, value: ChoiceValue) -> None:
        """Select an option value (what a click on its segment or list entry does)."""
        if param in self.combos:
            self.combos[param].setCurrentIndex(self.option(param).values.index(value))
        else:
            self.segments[param][value].setChecked(True)

    def chosen(self, param: str) -> ChoiceValue:
        if param in self.combos:
            return self.combos[param].currentData()
        return self.option(param).choices[self.groups[param].checkedId()].value

    def applies(self, option: OptionSpec) -> bool:
        """Whether `option` matters with the other choices as they are (see OptionSpec.unless)."""
        return option.unless is None or self.chosen(option.unless[0]) != option.unless[1]

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {o.param: self.chosen(o.param) for o in self.spec.options if self.applies(o)}
        if self.spec.prompt is not None and self.prompt_edit is not None:
            text = self.prompt_edit.text().strip()
            if text:
                out[self.spec.prompt.param] = text
        return out

    def problem(self) -> str | None:
        if self.spec.op == "extend_video":
            from studio.session.video import extend_refusal

            refusal = extend_refusal(self.ctx.extensions)
            if refusal is not None:
                return refusal
        if self.video_check is not None and not self.video_check.ok and self.video_check.errors:
            return f"Fix the prompt first: {self.video_check.errors[0]}"
        problem = self.image_problem()
        if problem is None and self.spec.prompt is not None:
            text = self.prompt_edit.text().strip() if self.prompt_edit is not None else ""
            if self.spec.prompt.required and not text:
                return PROMPT_FIRST
            if text and self.spec.prompt.checked:
                problem = operations.prompt_problem(self.spec.op, text, self.ctx.model) or None
        return problem or self.request_problem()

    def refresh(self) -> None:
        if self.spec.video and self.spec.prompt is not None and getattr(self, "prompt_edit", None) is not None:
            from studio.session.video import check_prompt

            self.video_check = check_prompt(self.prompt_edit.text().strip(), self.spec.op)
            line = self.video_check.first
            self.check_label.setText(line or "")
            self.check_label.setProperty("severity", "error" if self.video_check.errors else "warning")
            self.check_label.style().unpolish(self.check_label)
            self.check_label.style().polish(self.check_label)
            if bool(line) != self.check_label.isVisible():
                self.check_label.setVisible(bool(line))
                self._fit()
        super().refresh()

    def _option_changed(self, _id: int, checked: bool) -> None:
        if checked:
            self._update_enabled()
            self._update_hint()
            self.refresh()

    def _update_enabled(self) -> None:
        for option in self.spec.options:
            if option.unless is None:
                continue
            on = self.applies(option)
            other = self.option(option.unless[0])
            widgets = [self.combos[option.param]] if option.param in self.combos \
                else list(self.segments[option.param].values())
            label = self.option_labels.get(option.param)
            for widget in [*widgets, *([label] if label is not None else [])]:
                widget.setEnabled(on)
            if label is not None:
                label.setToolTip(f"Used when the {other.label.lower()} is not "
                                 f"{other.choice(option.unless[1]).label}")

    def _update_hint(self) -> None:
        hints = []
        for option in self.spec.options:
            hint = option.choice(self.chosen(option.param)).hint
            if hint and not option.priced:  # a priced option says it in its own entry
                hints.append(hint)
        self.hint.setText(" · ".join(hints))

    def _focus_first(self) -> None:
        if self.prompt_edit is not None and self.spec.prompt is not None and self.spec.prompt.required:
            self.prompt_edit.setFocus(Qt.FocusReason.PopupFocusReason)
            return
        for param in (o.param for o in self.spec.options):
            if param in self.combos:
                self.combos[param].setFocus(Qt.FocusReason.PopupFocusReason)
                return
            for button in self.segments[param].values():
                if button.isChecked():
                    button.setFocus(Qt.FocusReason.PopupFocusReason)
                    return
        super()._focus_first()


class ConfirmPopover(ActionPopover):
    """No options: one line saying what will happen and what it costs, and one button."""

    def __init__(self, spec: ActionSpec, ctx: ActionContext, parent: QWidget | None = None) -> None:
        super().__init__(spec, ctx, parent)
        what = QLabel(spec.tooltip, self.body)
        what.setObjectName("PopoverHint")
        what.setWordWrap(True)
        what.setMinimumWidth(240)
        self.layout_.addWidget(what)
        self._finish_layout()

    def problem(self) -> str | None:
        return self.image_problem() or self.request_problem()


POPOVERS: dict[str, type[ActionPopover]] = {
    "OptionsPopover": OptionsPopover,
    "ConfirmPopover": ConfirmPopover,
}


def make_popover(spec: ActionSpec, ctx: ActionContext, parent: QWidget | None = None) -> ActionPopover:
    """The popover the registry names for `spec` (confirm-only when it has no options)."""
    cls = POPOVERS.get(spec.dialog)
    if cls is None:
        cls = ConfirmPopover if spec.flow == FLOW_CONFIRM else OptionsPopover
    return cls(spec, ctx, parent)


# The mask package's editors (`studio.ui.mask`) that editor-flow actions may name.
EDITOR_DIALOGS = frozenset({"PanDialog", "OutpaintDialog", "MaskEditor", "CanvasEditor"})


def make_editor(spec: ActionSpec, source: QImage, ctx: ActionContext, parent: QWidget) -> QWidget:
    """The mask package's editor for an editor-flow action, built with its parent job's details."""
    # Imported on first use, not at module load: the editors are not needed to paint the first
    # window, and start-up time is measured (benchmarks/startup.py).
    from studio.ui import mask

    assert ctx.image_no is not None
    if spec.dialog not in EDITOR_DIALOGS:
        raise ValueError(f"the action registry names an editor the grid does not build: {spec.dialog}")
    editor = getattr(mask, spec.dialog)  # every one takes the same arguments
    return editor(
        source, job_id=ctx.job_id, image_no=ctx.image_no, prompt=ctx.prompt or "", model=ctx.model, parent=parent
    )
