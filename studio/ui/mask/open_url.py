"""Upload paint from an image URL: a small non-modal box asks for the URL, the image is fetched
through `JobsSession.download` (the session's network path, with its retry policy),
decoded off the GUI thread, checked, and opened in the `CanvasEditor` (upload-paint mode); its
request goes to `JobsSession.submit`.

Nothing is sent to an endpoint until the editor's Apply: a bad URL, a failed fetch, bytes that
are not an image, or an image outside the API's 500–4096 px range only produce a message.
"""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from studio.api.errors import LegnextError, ValidationError
from studio.api.requests import check_url
from studio.ui.mask.editor_base import editor_stylesheet
from studio.ui.mask.geometry import MAX_SIDE, MIN_SIDE

Fetch = Callable[[str], Awaitable[bytes]]


class SourceImageError(Exception):
    """The fetched bytes cannot be used as an upload-paint source; the text says why."""


def decode_source(data: bytes) -> QImage:
    """Bytes → a QImage the API accepts (500–4096 px each side). Runs in a worker thread:
    Pillow releases the GIL while decoding and QImage is reentrant, so a large image never
    stalls the window."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as img:
            w, h = img.size
            if not (MIN_SIDE <= w <= MAX_SIDE and MIN_SIDE <= h <= MAX_SIDE):
                raise SourceImageError(
                    f"The image is {w} × {h} px; upload paint takes images of {MIN_SIDE}–{MAX_SIDE} px "
                    "on each side.")
            rgba = img.convert("RGBA")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise SourceImageError("That URL did not return an image (PNG, JPEG, WebP…).") from None
    raw = rgba.tobytes()
    # copy(): the QImage must own its pixels, not borrow the Python bytes object
    return QImage(raw, w, h, 4 * w, QImage.Format.Format_RGBA8888).copy()


async def fetch_source(fetch: Fetch, url: str) -> QImage:
    """Download `url` with `fetch` and decode it off the GUI thread; raises SourceImageError
    with a message for the user on any problem."""
    from studio.ui.mask.workers import in_worker

    try:
        check_url("image URL", url)
    except ValidationError as exc:
        raise SourceImageError(f"{exc.user_message}.") from None
    try:
        data = await fetch(url)
    except LegnextError as exc:
        raise SourceImageError(f"Could not fetch the image: {exc.user_message}") from None
    return await in_worker(decode_source, data)


class ImageUrlBox(QDialog):
    """Asks for an image URL; emits `image_ready(image, url)` once it is fetched and usable.

    Non-modal (shown with `show()`): under qasync a nested `exec()` loop would stall every
    running job, and the user may want to copy a URL from the grid meanwhile."""

    image_ready = Signal(QImage, str)

    def __init__(self, fetch: Callable[[], Fetch | None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("EditorWindow")
        self.setStyleSheet(editor_stylesheet())
        self.setWindowTitle("Edit an image from a URL — Legnext Studio")
        self.setModal(False)
        self._fetch = fetch
        self.task: Any = None
        title = QLabel("Edit an image from a URL", self)
        title.setObjectName("EditorTitle")
        # explicit lines, not word wrap: a wrapped label in a top-level dialog gets too little
        # height from the layout and its first line is cut off
        hint = QLabel(f"The image opens on a canvas for upload paint; it must be {MIN_SIDE}–{MAX_SIDE} px\n"
                      "on each side. Nothing is charged until you press Apply in the editor.", self)
        hint.setObjectName("Muted")
        self.url_edit = QLineEdit(self)
        self.url_edit.setPlaceholderText("https://…/image.png")
        self.url_edit.setClearButtonEnabled(True)
        self.url_edit.setMinimumWidth(480)
        self.message = QLabel(self)
        self.message.setObjectName("Muted")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # room for a two-line error, so the box does not jump when one appears
        self.message.setMinimumHeight(2 * self.message.fontMetrics().lineSpacing() + 4)
        self.message.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.cancel_button = QPushButton("Cancel", self)
        self.open_button = QPushButton("Open", self)
        self.open_button.setProperty("primary", True)
        self.open_button.setDefault(True)
        self.cancel_button.clicked.connect(self.reject)
        self.open_button.clicked.connect(self.start)
        self.url_edit.returnPressed.connect(self.start)
        self.url_edit.textChanged.connect(lambda _t: self._say("", "Muted"))

        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.open_button)
        col = QVBoxLayout(self)
        col.setContentsMargins(18, 16, 18, 16)
        col.setSpacing(10)
        col.addWidget(title)
        col.addWidget(hint)
        col.addWidget(self.url_edit)
        col.addWidget(self.message)
        col.addLayout(buttons)

    def _say(self, text: str, role: str) -> None:
        self.message.setObjectName(role)
        self.message.setText(text)
        self.message.style().unpolish(self.message)
        self.message.style().polish(self.message)

    def start(self) -> None:
        """Fetch the typed URL (ignored while a fetch is under way)."""
        from studio.session.tasks import spawn

        if self.task is not None and not self.task.done():
            return
        url = self.url_edit.text().strip()
        fetch = self._fetch()
        if fetch is None:
            self._say("Not connected yet: try again in a moment.", "ErrorText")
            return
        self._say("Fetching the image…", "Muted")
        self.open_button.setEnabled(False)
        self.task = spawn(self._load(fetch, url), name="fetch image for upload paint")

    async def _load(self, fetch: Fetch, url: str) -> None:
        try:
            image = await fetch_source(fetch, url)
        except SourceImageError as exc:
            if self.isVisible():
                self.open_button.setEnabled(True)
                self._say(str(exc), "ErrorText")
            return
        if not self.isVisible():
            return  # cancelled while fetching
        self.open_button.setEnabled(True)
        self.image_ready.emit(image, url)
        self.accept()


class UrlEditLauncher(QObject):
    """Jobs → "Edit an image from a URL…": the URL box, then the editor, then the job."""

    def __init__(self, jobs: Any, window: QWidget) -> None:
        super().__init__(window)
        self.jobs = jobs
        self.window = window
        self.box: ImageUrlBox | None = None
        self.editor: Any = None

    def _fetch(self) -> Fetch | None:
        # None before the backend is built: the box says so at once instead of waiting for it
        return self.jobs.download if self.jobs.connected else None

    def open(self) -> ImageUrlBox:
        if self.box is not None and self.box.isVisible():
            self.box.raise_()
            self.box.activateWindow()
            return self.box
        box = ImageUrlBox(self._fetch, self.window)
        box.image_ready.connect(self.open_editor)
        self.box = box
        box.show()
        box.url_edit.setFocus()
        return box

    def open_editor(self, image: QImage, url: str) -> Any:
        from studio.ui.mask.canvas_editor import CanvasEditor

        editor = CanvasEditor(image, img_url=url, parent=self.window)
        editor.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        editor.submitted.connect(self._submit)
        editor.destroyed.connect(lambda *_: setattr(self, "editor", None))
        self.editor = editor
        editor.show()
        return editor

    def _submit(self, op: str, kwargs: dict) -> None:
        self.jobs.submit(op, prompt=kwargs.get("remix_prompt"), **kwargs)
