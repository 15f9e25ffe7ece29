"""What pan and zoom-out share: the size arithmetic, a preview of the image inside the canvas it
will become, and the dialog frame (scale control, optional prompt, cost, Cancel / send).

Sizes follow the docs: pan's `scale` is "the ratio of the new image area to the original in the
extension direction" (1.13 → 13 % wider); outpaint's is "how much larger the final image will be"
on every side (2.0 → the original covers half of each side). Pixel sizes are rounded to whole
pixels; the real server may round to its own grid, so the dialogs print them as approximate.
"""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QImage, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (
    QDialog,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from studio.ui.mask.editor_base import editor_stylesheet, rule, section
from studio.ui.mask.icons import color
from studio.ui.mask.prompt_box import PromptBox

THUMB_EDGE = 640  # the preview's copy of the image is at most this many pixels on a side
PAN_DIRECTIONS = {0: "down", 1: "right", 2: "up", 3: "left"}  # the docs' numbering


def pan_size(width: int, height: int, direction: int, scale: float) -> tuple[int, int]:
    """Pixel size after panning `direction` by `scale` (only that axis grows)."""
    if direction in (0, 2):
        return width, round(height * scale)
    return round(width * scale), height


def pan_offset(width: int, height: int, direction: int, scale: float) -> tuple[int, int]:
    """Where the original image sits in the panned result (top-left, in result pixels)."""
    nw, nh = pan_size(width, height, direction, scale)
    if direction == 2:
        return 0, nh - height
    if direction == 3:
        return nw - width, 0
    return 0, 0


def outpaint_size(width: int, height: int, scale: float) -> tuple[int, int]:
    return round(width * scale), round(height * scale)


class ExtendPreview(QWidget):
    """The image drawn inside its future canvas; the new area is tinted and hatched."""

    thumb_ready = Signal()  # the smooth thumbnail replaced the quick one

    def __init__(self, image: QImage, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        src = QImage(image)
        src.setDevicePixelRatio(1.0)
        self.source_size = (src.width(), src.height())
        # A small copy for painting: the preview never needs more than a few hundred pixels.
        # Smooth-scaling a 4096² source takes long enough to stall the window, so it runs in a
        # worker thread (QImage is reentrant and implicitly shared: the worker reads its own
        # reference); until it lands, a nearest-pixel copy (cheap: it reads only the output's
        # pixels) stands in.
        self._thumb = src.scaled(THUMB_EDGE, THUMB_EDGE, Qt.AspectRatioMode.KeepAspectRatio,
                                 Qt.TransformationMode.FastTransformation)
        self.smooth = False
        self.thumb_task = None
        if max(src.width(), src.height()) <= THUMB_EDGE:
            self._thumb, self.smooth = src, True
        else:
            self._scale_off_thread(src)
        self._canvas = self.source_size
        self._at = (0, 0)
        self.setMinimumSize(QSize(380, 300))
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def _scale_off_thread(self, src: QImage) -> None:
        import asyncio

        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return  # no event loop (a plain script): keep the quick copy
        from studio.session.tasks import spawn

        self.thumb_task = spawn(self._smooth_thumb(src), name="extend preview thumbnail")

    async def _smooth_thumb(self, src: QImage) -> None:
        from studio.ui.mask.workers import in_worker

        thumb = await in_worker(src.scaled, THUMB_EDGE, THUMB_EDGE,
                                        Qt.AspectRatioMode.KeepAspectRatio,
                                        Qt.TransformationMode.SmoothTransformation)
        if not shiboken6.isValid(self):
            return  # the dialog closed meanwhile
        self._thumb, self.smooth = thumb, True
        self.thumb_ready.emit()
        self.update()

    def set_layout(self, canvas: tuple[int, int], at: tuple[int, int]) -> None:
        self._canvas = canvas
        self._at = at
        self.update()

    def canvas_rect(self) -> QRectF:
        """Where the whole result is drawn in the widget."""
        cw, ch = self._canvas
        margin = 18.0
        avail_w, avail_h = self.width() - 2 * margin, self.height() - 2 * margin
        s = min(avail_w / cw, avail_h / ch)
        w, h = cw * s, ch * s
        return QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)

    def paintEvent(self, event) -> None:  # noqa: N802
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        p.fillRect(self.rect(), QColor("#111214"))
        canvas = self.canvas_rect()
        cw, _ch = self._canvas
        s = canvas.width() / cw
        iw, ih = self.source_size
        img = QRectF(canvas.left() + self._at[0] * s, canvas.top() + self._at[1] * s, iw * s, ih * s)

        accent = color("accent", "#6e8bff")
        tint = QColor(accent)
        tint.setAlpha(40)
        new_area = QPainterPath()
        new_area.setFillRule(Qt.FillRule.OddEvenFill)
        new_area.addRect(canvas)
        new_area.addRect(img)
        p.fillPath(new_area, QColor("#26282d"))
        p.fillPath(new_area, tint)
        hatch = QColor(accent)
        hatch.setAlpha(60)
        p.fillPath(new_area, QBrush(hatch, Qt.BrushStyle.BDiagPattern))
        p.drawImage(img, self._thumb)

        pen = QPen(QColor(accent).lighter(120), 1.5, Qt.PenStyle.DashLine)
        p.setPen(pen)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRect(canvas.adjusted(0.5, 0.5, -0.5, -0.5))
        p.setPen(QPen(QColor(255, 255, 255, 200), 1.0))
        p.drawRect(img)

        # label the new area where there is room
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 0.95)
        p.setFont(font)
        p.setPen(QColor(accent).lighter(150))
        for band in self._bands(canvas, img):
            if band.width() > 60 and band.height() > 22:
                p.drawText(band, Qt.AlignmentFlag.AlignCenter, "new")
        p.end()

    @staticmethod
    def _bands(canvas: QRectF, img: QRectF) -> list[QRectF]:
        return [
            QRectF(canvas.left(), canvas.top(), canvas.width(), img.top() - canvas.top()),
            QRectF(canvas.left(), img.bottom(), canvas.width(), canvas.bottom() - img.bottom()),
            QRectF(canvas.left(), img.top(), img.left() - canvas.left(), img.height()),
            QRectF(img.right(), img.top(), canvas.right() - img.right(), img.height()),
        ]


class ExtendDialog(QDialog):
    """Preview + scale + optional prompt + cost + Cancel / send; emits `submitted(op, kwargs)`."""

    submitted = Signal(str, dict)

    op = ""
    verb = ""
    scale_range = (1.1, 2.0)
    default_scale = 1.5

    def __init__(self, image: QImage, *, job_id: str, image_no: int, prompt: str = "",
                 model: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("EditorWindow")
        self.setStyleSheet(editor_stylesheet())
        self.job_id = job_id
        self.image_no = int(image_no)
        self.parent_prompt = prompt
        self.preview = ExtendPreview(image, self)
        self.width_px, self.height_px = self.preview.source_size

        lo, hi = self.scale_range
        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.setRange(round(lo * 100), round(hi * 100))
        self.slider.setSingleStep(1)
        self.slider.setPageStep(10)
        self.spin = QDoubleSpinBox(self)
        self.spin.setRange(lo, hi)
        self.spin.setDecimals(2)
        self.spin.setSingleStep(0.05)
        self.spin.setSuffix(" ×")
        self.spin.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.spin.setFixedWidth(84)
        self.slider.valueChanged.connect(lambda v: self.spin.setValue(v / 100.0))
        self.spin.valueChanged.connect(self._scale_changed)

        self.size_line = QLabel(self)
        self.size_line.setObjectName("CostLine")
        self.size_note = QLabel(self)
        self.size_note.setObjectName("Muted")
        self.prompt = PromptBox("Prompt for the new area (optional)", self.op, text="", model=model,
                                required=False, placeholder="Leave empty to continue the image as it is",
                                lines=2, parent=self)
        self.message = QLabel(self)
        self.message.setObjectName("ErrorText")
        self.message.setWordWrap(True)
        self.message.setVisible(False)
        self.cost_line = QLabel(self)
        self.cost_line.setObjectName("CostLine")
        self.cancel_button = QPushButton("Cancel", self)
        self.send_button = QPushButton(self.verb, self)
        self.send_button.setProperty("primary", True)
        self.send_button.setDefault(True)
        self.cancel_button.clicked.connect(self.reject)
        self.send_button.clicked.connect(self.send)
        self.prompt.changed.connect(self._refresh)

        scale_row = QHBoxLayout()
        scale_row.setSpacing(10)
        scale_row.addWidget(self.slider, 1)
        scale_row.addWidget(self.spin)
        self.controls = QVBoxLayout()
        self.controls.setSpacing(8)
        self.controls.addWidget(section("Scale"))
        self.controls.addLayout(scale_row)
        self.controls.addWidget(self.size_line)
        self.controls.addWidget(self.size_note)
        self.controls.addStretch(1)
        # pan puts its direction pad to the left of the scale
        self.controls_row = QHBoxLayout()
        self.controls_row.setSpacing(24)
        self.controls_row.addLayout(self.controls, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.cost_line, 1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.send_button)
        col = QVBoxLayout(self)
        col.setContentsMargins(18, 16, 18, 16)
        col.setSpacing(12)
        self.head = QLabel(self)
        self.head.setObjectName("EditorTitle")
        col.addWidget(self.head)
        col.addWidget(self.preview, 1)
        col.addLayout(self.controls_row)
        col.addWidget(rule())
        col.addWidget(self.prompt)
        col.addWidget(self.message)
        col.addLayout(buttons)
        self.resize(580, 640)

    def _init_scale(self) -> None:
        self.spin.setValue(self.default_scale)
        self._scale_changed(self.spin.value())

    def scale(self) -> float:
        return round(self.spin.value(), 2)

    def set_scale(self, value: float) -> None:
        self.spin.setValue(value)

    def _scale_changed(self, value: float) -> None:
        self.slider.blockSignals(True)
        self.slider.setValue(round(value * 100))
        self.slider.blockSignals(False)
        self._refresh()

    # subclasses: the result's size and where the original sits in it
    def result_size(self) -> tuple[int, int]:
        raise NotImplementedError

    def original_at(self) -> tuple[int, int]:
        raise NotImplementedError

    def kwargs(self) -> dict:
        raise NotImplementedError

    def size_text(self) -> str:
        nw, nh = self.result_size()
        return f"{self.width_px} × {self.height_px} px  →  ≈ {nw} × {nh} px"

    def size_explained(self) -> str:
        return ""

    def _refresh(self) -> None:
        self.preview.set_layout(self.result_size(), self.original_at())
        self.size_line.setText(self.size_text())
        self.size_note.setText(self.size_explained())
        credits = self.prompt.credits(self.parent_prompt)
        self.cost_line.setText(f"{self.verb} · {credits} credits" if credits is not None else self.verb)
        problem = self.prompt.problem()
        if not problem:
            self.message.setVisible(False)

    def send(self) -> bool:
        problem = self.prompt.problem()
        if problem:
            self.message.setText(problem)
            self.message.setVisible(True)
            return False
        self.submitted.emit(self.op, self.kwargs())
        self.accept()
        return True
