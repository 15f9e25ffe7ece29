"""The inpaint editor: paint the areas to repaint on the full-resolution image, type the prompt,
Apply sends `/v1/inpaint`.

`submitted("inpaint", {"job_id", "image_no", "mask": Mask(areas=[Polygon...]) or
Mask(url=...), "remix_prompt"})` is ready for `JobsSession.submit(op, parent=..., **kwargs)`.
The API lets `remixPrompt` be left out; the studio asks for one (it is prefilled from the job's
prompt) because a repaint without words would spend credits on a guess.
"""

from __future__ import annotations

from pathlib import Path

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QFileDialog, QLabel, QLineEdit, QPushButton, QWidget

from studio.api.errors import ValidationError
from studio.api.requests import Mask, check_url
from studio.ui.mask import geometry as geo
from studio.ui.mask.editor_base import EditorWindow, rule, section
from studio.ui.mask.icons import icon
from studio.ui.mask.mask_model import mask_png
from studio.ui.mask.prompt_box import PromptBox


class MaskEditor(EditorWindow):
    def __init__(self, image: QImage, *, job_id: str, image_no: int, prompt: str = "",
                 model: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(image, "Repaint", parent)
        self.job_id = job_id
        self.image_no = int(image_no)
        self.model_name = model
        w, h = self.painter.model.width, self.painter.model.height
        self.subtitle.setText(f"Image {self.image_no + 1} of job {job_id[:8]} · {w} × {h} px")

        self.prompt = PromptBox(
            "Repaint prompt", "inpaint", text=prompt, model=model,
            placeholder="What should appear inside the painted areas", lines=5, parent=self,
        )
        self.url_edit = QLineEdit(self)
        self.url_edit.setPlaceholderText("https://… (optional)")
        self.url_edit.setClearButtonEnabled(True)
        url_hint = QLabel("A hosted black-and-white mask (white is repainted), used instead of "
                          "painted areas.", self)
        url_hint.setObjectName("Hint")
        url_hint.setWordWrap(True)
        self.export_button = QPushButton(icon("export", 16), "Export mask PNG…", self)
        self.export_button.setToolTip("Save the painted mask as a black-and-white PNG at image size")
        self.export_button.clicked.connect(self._export_clicked)
        tips = QLabel(
            "Draw with Rectangle, Polygon or Lasso; hold Alt (or choose Erase) to cut away. "
            "Wheel zooms, Space-drag or middle-drag pans.", self)
        tips.setObjectName("Hint")
        tips.setWordWrap(True)

        self.body.addWidget(self.prompt)
        self.body.addWidget(rule())
        self.body.addWidget(section("Mask image URL"))
        self.body.addWidget(self.url_edit)
        self.body.addWidget(url_hint)
        self.body.addWidget(rule())
        self.body.addWidget(self.export_button)
        self.body.addWidget(tips)
        self.body.addStretch(1)
        self.save_dialog: QFileDialog | None = None
        self.export_task = None

        self.prompt.changed.connect(self.refresh)
        self.url_edit.textChanged.connect(self.refresh)
        size_problem = geo.image_size_problem(w, h)
        if size_problem:
            self._tried = True  # a fatal fact about the image: say it in red right away
        self.refresh()

    # ---- the request --------------------------------------------------------------------------

    def mask_url(self) -> str:
        return self.url_edit.text().strip()

    def problems(self) -> list[str]:
        model = self.painter.model
        out: list[str] = []
        url = self.mask_url()
        if url and len(model):
            out.append("Use either the painted areas or a mask URL, not both: clear one of them.")
        elif url:
            try:
                check_url("mask.url", url)
            except ValidationError as exc:
                out.append(exc.user_message)
        else:
            out.extend(model.problems())
        prompt_problem = self.prompt.problem()
        if prompt_problem:
            out.append(prompt_problem)
        return out

    def request(self) -> tuple[str, dict]:
        mask = Mask(url=self.mask_url()) if self.mask_url() else self.painter.model.api_mask()
        return "inpaint", {
            "job_id": self.job_id,
            "image_no": self.image_no,
            "mask": mask,
            "remix_prompt": self.prompt.text(),
        }

    def credits(self) -> int | None:
        return self.prompt.credits()

    def cost_text(self, credits: int | None) -> str:
        n = len(self.painter.model)
        what = f"Repaint {n} area{'s' if n != 1 else ''}" if n else "Repaint"
        return f"{what} · {credits} credits" if credits is not None else what

    # ---- export -------------------------------------------------------------------------------

    def export_mask(self, path: str | Path) -> Path:
        """Write the mask as a black-and-white PNG (white = repaint) at the image's size."""
        target = Path(path)
        target.write_bytes(self.painter.model.mask_png())
        return target

    async def export_mask_async(self, path: str | Path) -> Path:
        """`export_mask` with the rasterising and the write in a worker thread (a 4096² mask
        would otherwise freeze the window while it is drawn, compressed and saved)."""
        from studio.ui.mask.workers import in_worker

        model = self.painter.model
        return await in_worker(_write_mask, Path(path), model.width, model.height, list(model.areas()))

    def _export_clicked(self) -> None:
        if not len(self.painter.model):
            self._set_message("Nothing to export yet: draw an area first.", "ErrorText")
            return
        # open(), not the static getSaveFileName: that runs a nested event loop, which under
        # qasync would stall every job being watched while the dialog is up
        dialog = QFileDialog(self, "Export mask", "mask.png", "PNG image (*.png)")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("png")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(self._export_to)
        self.save_dialog = dialog
        dialog.open()

    def _export_to(self, path: str) -> None:
        from studio.session.tasks import spawn

        if not path:
            return
        self._set_message("Saving the mask…", "Muted")
        self.export_task = spawn(self._export(path), name="export mask")

    async def _export(self, path: str) -> None:
        try:
            await self.export_mask_async(path)
        except OSError as exc:
            message, role = f"Could not save the mask: {exc.strerror or exc}", "ErrorText"
        else:
            message, role = f"Mask saved to {path}", "Muted"
        if shiboken6.isValid(self):
            self._set_message(message, role)


def _write_mask(target: Path, width: int, height: int, areas: list) -> Path:
    target.write_bytes(mask_png(width, height, areas))
    return target
