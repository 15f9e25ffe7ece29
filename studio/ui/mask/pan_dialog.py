"""Pan: extend the image in one direction, seen in a preview of the canvas it will become.

Emits `submitted("pan", {"job_id", "image_no", "direction", "scale", "remix_prompt"})` with the
docs' direction numbers (0 down, 1 right, 2 up, 3 left) and scale 1.1–3.0.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QImage, QKeyEvent
from PySide6.QtWidgets import QButtonGroup, QGridLayout, QToolButton, QVBoxLayout, QWidget

from studio.api.requests import PAN_SCALE
from studio.ui.mask.editor_base import section
from studio.ui.mask.extend_preview import PAN_DIRECTIONS, ExtendDialog, pan_offset, pan_size
from studio.ui.mask.icons import icon

_KEYS = {Qt.Key.Key_Down: 0, Qt.Key.Key_Right: 1, Qt.Key.Key_Up: 2, Qt.Key.Key_Left: 3}


class PanDialog(ExtendDialog):
    op = "pan"
    verb = "Pan"
    scale_range = PAN_SCALE
    default_scale = 1.5

    def __init__(self, image: QImage, *, job_id: str, image_no: int, prompt: str = "",
                 model: str | None = None, direction: int = 1, parent: QWidget | None = None) -> None:
        super().__init__(image, job_id=job_id, image_no=image_no, prompt=prompt, model=model, parent=parent)
        self.setWindowTitle("Pan — Legnext Studio")
        self.head.setText(f"Pan image {self.image_no + 1}")
        self.direction_buttons: dict[int, QToolButton] = {}
        group = QButtonGroup(self)
        group.setExclusive(True)
        pad = QGridLayout()
        pad.setSpacing(4)
        cells = {2: (0, 1), 3: (1, 0), 1: (1, 2), 0: (2, 1)}  # a d-pad: up on top, down below
        for value, (r, c) in cells.items():
            name = PAN_DIRECTIONS[value]
            button = QToolButton(self)
            button.setIcon(icon(name, 18))
            button.setIconSize(QSize(18, 18))
            button.setCheckable(True)
            button.setToolTip(f"Extend {name} (direction {value}); arrow keys choose too")
            button.setFixedSize(34, 30)
            button.clicked.connect(lambda _=False, v=value: self.set_direction(v))
            group.addButton(button)
            pad.addWidget(button, r, c)
            self.direction_buttons[value] = button
        column = QVBoxLayout()
        column.setSpacing(8)
        column.addWidget(section("Direction"))
        column.addLayout(pad)
        column.addStretch(1)
        self.controls_row.insertLayout(0, column)
        self.direction = direction
        self.set_direction(direction)
        self._init_scale()

    def set_direction(self, value: int) -> None:
        if value not in PAN_DIRECTIONS:
            raise ValueError(f"pan direction must be 0–3, not {value}")
        self.direction = value
        self.direction_buttons[value].setChecked(True)
        self._refresh()

    def result_size(self) -> tuple[int, int]:
        return pan_size(self.width_px, self.height_px, self.direction, self.scale())

    def original_at(self) -> tuple[int, int]:
        return pan_offset(self.width_px, self.height_px, self.direction, self.scale())

    def size_explained(self) -> str:
        return f"Extends {PAN_DIRECTIONS[self.direction]} by {round((self.scale() - 1) * 100)} % (direction {self.direction})."

    def kwargs(self) -> dict:
        return {
            "job_id": self.job_id,
            "image_no": self.image_no,
            "direction": self.direction,
            "scale": self.scale(),
            "remix_prompt": self.prompt.text() or None,
        }

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() in _KEYS and not self.prompt.edit.hasFocus() and not self.spin.hasFocus() \
                and not self.slider.hasFocus():
            self.set_direction(_KEYS[event.key()])
            return
        super().keyPressEvent(event)
