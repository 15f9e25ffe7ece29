"""Aspect ratio control: a shape preview, a free W:H pair, a portrait/landscape swap and presets.

It writes `--ar W:H` through `PromptState.set_param("aspect", …)` and follows the prompt's own
`--ar` (from `PromptState.params()`), so typing `--ar 3:2` reshapes the preview.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPaintEvent, QPalette, QPen, QPixmap
from PySide6.QtWidgets import (QAbstractSpinBox, QApplication, QHBoxLayout, QLabel, QMenu, QSizePolicy, QSpinBox,
                               QToolButton, QWidget)

from studio.prompt.support import model_label
from studio.session.prompt_state import PromptState
from studio.ui.prompt.highlighter import accent_color, muted_color, set_once

# Common ratios (REFERENCE.md › Supported Aspect Ratios, plus the usual photo and cinema ones).
PRESETS: list[tuple[int, int, str]] = [
    (1, 1, "Square"),
    (4, 5, "Portrait photo"),
    (2, 3, "Portrait print"),
    (9, 16, "Phone, stories"),
    (5, 4, "Landscape photo"),
    (4, 3, "Classic screen"),
    (3, 2, "35 mm photo"),
    (16, 9, "Widescreen"),
    (21, 9, "Cinema"),
]
DEFAULT_RATIO = (1, 1)  # the docs' default when a prompt has no --ar
MAX_SIDE = 10_000

# Button-less spin boxes under a padded QSS get a 1-px wide text field unless their (hidden)
# buttons are given an explicit zero size.
SPIN_BOX_STYLE = ("QAbstractSpinBox::up-button, QAbstractSpinBox::down-button "
                  "{ width: 0px; border: none; subcontrol-origin: border; }"
                  "QAbstractSpinBox { padding-left: 2px; padding-right: 2px; }")


def ratio_of(aspect: str | None) -> tuple[int, int] | None:
    """(W, H) of a `W:H` value whose sides are whole numbers; None when it is not one."""
    if not aspect or aspect.count(":") != 1:
        return None
    w, h = aspect.split(":")
    if not (w.strip().isdigit() and h.strip().isdigit()):
        return None
    return int(w), int(h)


def _shape_rect(w: float, h: float, box: QRectF) -> QRectF:
    scale = min(box.width() / w, box.height() / h)
    rw, rh = max(2.0, w * scale), max(2.0, h * scale)
    return QRectF(box.center().x() - rw / 2, box.center().y() - rh / 2, rw, rh)


def shape_icon(w: int, h: int, size: int = 18) -> QIcon:
    pix = QPixmap(size, size)
    pix.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pix)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(muted_color(), 1.4))
    painter.drawRoundedRect(_shape_rect(w, h, QRectF(2, 2, size - 4, size - 4)), 1.5, 1.5)
    painter.end()
    return QIcon(pix)


class ShapePreview(QToolButton):
    """The frame the image will have, drawn to scale; clicking it opens the presets."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ratio = DEFAULT_RATIO
        self._explicit = False
        self.setFixedSize(46, 30)
        self.setObjectName("ShapePreview")
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.setAccessibleName("Aspect ratio presets")

    def set_ratio(self, ratio: tuple[int, int], explicit: bool) -> None:
        if (ratio, explicit) != (self._ratio, self._explicit):
            self._ratio, self._explicit = ratio, explicit
            self.update()

    def ratio(self) -> tuple[int, int]:
        return self._ratio

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        super().paintEvent(event)  # the button face (and focus frame) from the style
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        w, h = self._ratio
        box = QRectF(5, 4, 24, self.height() - 8)
        rect = _shape_rect(max(w, 1), max(h, 1), box)
        color = accent_color() if self._explicit else muted_color()
        fill = QColor(color)
        fill.setAlpha(50)
        painter.setBrush(fill)
        painter.setPen(QPen(color, 1.5))
        painter.drawRoundedRect(rect, 2, 2)
        painter.end()


class AspectWidget(QWidget):
    """`▭ [16]:[9] ⇄ [Presets ▾]` bound to the prompt's --ar."""

    changed = Signal(str)  # the W:H the user chose

    def __init__(self, state: PromptState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self._syncing = False
        self.setObjectName("AspectWidget")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        self.preview = ShapePreview(self)
        layout.addWidget(self.preview)
        self.width_box = self._side_box("Width part of the ratio")
        self.height_box = self._side_box("Height part of the ratio")
        colon = QLabel(":")
        colon.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.width_box)
        layout.addWidget(colon)
        layout.addWidget(self.height_box)
        self.swap_button = QToolButton()
        self.swap_button.setText("⇄")
        self.swap_button.setToolTip("Swap portrait / landscape")
        self.swap_button.setAccessibleName("Swap orientation")
        self.swap_button.clicked.connect(self.swap)
        layout.addWidget(self.swap_button)
        layout.addStretch(1)
        menu = QMenu(self.preview)
        menu.setObjectName("AspectPresets")
        for w, h, name in PRESETS:
            action = menu.addAction(shape_icon(w, h), f"{w}:{h}   {name}")
            action.setData(f"{w}:{h}")
            action.triggered.connect(lambda _=False, r=f"{w}:{h}": self.choose(r))
        menu.addSeparator()
        reset = menu.addAction("Default (1:1, no --ar)")
        reset.triggered.connect(lambda: self.choose(None))
        self.presets_menu = menu
        self.preview.setMenu(menu)
        # The theme pads line edits; inside a button-less spin box that leaves no room for text.
        self.setStyleSheet(SPIN_BOX_STYLE)
        self.width_box.valueChanged.connect(self._on_sides)
        self.height_box.valueChanged.connect(self._on_sides)
        self.width_box.editingFinished.connect(state.seal_undo)
        self.height_box.editingFinished.connect(state.seal_undo)
        state.lint_changed.connect(lambda _r: self.sync())
        self.sync()

    def _side_box(self, tip: str) -> QSpinBox:
        box = QSpinBox()
        box.setRange(1, MAX_SIDE)
        box.setButtonSymbols(QAbstractSpinBox.ButtonSymbols.NoButtons)
        box.setAlignment(Qt.AlignmentFlag.AlignCenter)
        box.setToolTip(tip)
        box.setKeyboardTracking(True)
        box.setFixedWidth(box.fontMetrics().horizontalAdvance("0000") + 22)
        box.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        return box

    # ---- user -> state -------------------------------------------------------------------
    def choose(self, aspect: str | None) -> None:
        self.state.seal_undo()
        self.state.set_param("aspect", aspect)
        self.state.seal_undo()
        if aspect:
            self.changed.emit(aspect)

    def swap(self) -> None:
        w, h = self.width_box.value(), self.height_box.value()
        if w != h:
            self.choose(f"{h}:{w}")

    def _on_sides(self, _value: int) -> None:
        if self._syncing:
            return
        aspect = f"{self.width_box.value()}:{self.height_box.value()}"
        # Typing "16" passes through "1": merge the keystrokes of one edit into one undo step.
        self.state.set_param("aspect", aspect, merge=True)
        self.changed.emit(aspect)

    # ---- state -> view -------------------------------------------------------------------
    def sync(self) -> None:
        aspect = self.state.params().aspect
        ratio = ratio_of(aspect)
        explicit = ratio is not None
        shown = ratio or DEFAULT_RATIO
        self._syncing = True
        try:
            for box, value in ((self.width_box, shown[0]), (self.height_box, shown[1])):
                if box.value() != value and not box.hasFocus():
                    box.setValue(min(max(value, 1), MAX_SIDE))
        finally:
            self._syncing = False
        self.preview.set_ratio(shown, explicit)
        width, height, hd = self.state.render_info()
        where = model_label(self.state.model())
        text = (f"{shown[0]}:{shown[1]} → {width}×{height} px on {where}" + (" (HD)" if hd else "")
                if aspect is None or explicit else f"--ar {aspect} is not a whole-number W:H ratio")
        if not explicit and aspect is None:
            text += "\nNo --ar in the prompt: the default square"
        set_once(self.preview, "tip", text + "\nClick for common ratios", self.preview.setToolTip)
        color = (QApplication.palette().color(QPalette.ColorRole.Text) if explicit else muted_color()).name()
        for box in (self.width_box, self.height_box):
            set_once(box, "style", f"color: {color};", box.setStyleSheet)
