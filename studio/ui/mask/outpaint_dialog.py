"""Zoom out (outpaint): extend the image on every side, previewed inside its future canvas.

Emits `submitted("outpaint", {"job_id", "image_no", "scale", "remix_prompt"})`, scale 1.1–2.0.
"""

from __future__ import annotations

from PySide6.QtGui import QImage
from PySide6.QtWidgets import QWidget

from studio.api.requests import OUTPAINT_SCALE
from studio.ui.mask.extend_preview import ExtendDialog, outpaint_size


class OutpaintDialog(ExtendDialog):
    op = "outpaint"
    verb = "Zoom out"
    scale_range = OUTPAINT_SCALE
    default_scale = 1.5

    def __init__(self, image: QImage, *, job_id: str, image_no: int, prompt: str = "",
                 model: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(image, job_id=job_id, image_no=image_no, prompt=prompt, model=model, parent=parent)
        self.setWindowTitle("Zoom out — Legnext Studio")
        self.head.setText(f"Zoom out image {self.image_no + 1}")
        self._init_scale()

    def result_size(self) -> tuple[int, int]:
        return outpaint_size(self.width_px, self.height_px, self.scale())

    def original_at(self) -> tuple[int, int]:
        nw, nh = self.result_size()
        return (nw - self.width_px) // 2, (nh - self.height_px) // 2

    def size_explained(self) -> str:
        return f"The original fills {round(100 / self.scale())} % of each side."

    def kwargs(self) -> dict:
        return {
            "job_id": self.job_id,
            "image_no": self.image_no,
            "scale": self.scale(),
            "remix_prompt": self.prompt.text() or None,
        }
