"""Images for the tools: where an artist gives an operation its image, and the small picture of it.

`ImageInput` takes a grid or history image dragged onto it, a link from a browser, or a pasted
address; it shows the image's thumbnail (read from the archive when the studio made it, else
fetched through the session) and says, in its own words, why an input cannot be used: a file on
this computer (the API takes URLs, not uploads), an address the API refuses (not http(s), over
1024 characters), one that did not give an image back.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QImage, QPixmap
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QLineEdit, QSizePolicy, QVBoxLayout, QWidget

from studio.session import operations
from studio.session.operations import ImageRef, NotSent
from studio.session.tasks import spawn
from studio.ui.prompt.reference_wells import (
    image_urls_from_mime,
    local_file_message,
    local_files_in_mime,
    short_url,
    tell,
)

THUMB = 72  # px, the thumbnail's long edge


class ThumbnailError(Exception):
    """The image at an address could not be shown; `str()` says why."""


def _decode_thumbnail(data: bytes | Path, edge: int) -> QImage:
    """A small RGBA QImage of `data` (runs in a worker: Pillow releases the GIL)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(data if isinstance(data, Path) else io.BytesIO(data)) as img:
            img.draft("RGB", (edge * 2, edge * 2))  # a JPEG decodes at a fraction of its size
            img.thumbnail((edge * 2, edge * 2))
            rgba = img.convert("RGBA")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise ThumbnailError("That address did not give back an image (PNG, JPEG, WebP…).") from None
    return QImage(rgba.tobytes(), rgba.width, rgba.height, 4 * rgba.width, QImage.Format.Format_RGBA8888).copy()


def may_fetch(jobs: Any, url: str) -> bool:
    """Whether a preview may fetch `url`: always on a real server; on the built-in offline
    sandbox only from this machine (its own CDN), since nothing may leave it."""
    from urllib.parse import urlsplit

    if not (getattr(jobs, "backend_id", None) or "").startswith("sandbox"):
        return True
    return (urlsplit(url).hostname or "") in ("127.0.0.1", "localhost", "::1")


async def load_thumbnail(jobs: Any, url: str, edge: int = THUMB) -> QImage:
    """The thumbnail of the image at `url`: from the job that made it when the session has its
    file or bytes, else fetched (ThumbnailError, with the reason, when it cannot be)."""
    from studio.api.errors import LegnextError
    from studio.ui.mask.workers import in_worker

    source: Any = None
    for entry in jobs.entries(include_hidden=True):
        if url in entry.image_urls:
            index = entry.image_urls.index(url)
            source = entry.images[index] if index < len(entry.images) else None
            break
    if source is None:
        if not jobs.connected:
            raise ThumbnailError("Not connected yet: the picture shows once the studio is.")
        if not may_fetch(jobs, url):
            raise ThumbnailError("No preview: on the offline sandbox nothing is fetched from other sites.")
        try:
            source = await jobs.download(url)
        except LegnextError as exc:
            raise ThumbnailError(f"Could not fetch the image: {exc.user_message}") from None
    return await in_worker(_decode_thumbnail, source, edge)


class Thumbnail(QLabel):
    """A fixed square showing an image's thumbnail, a placeholder, or nothing."""

    def __init__(self, parent: QWidget | None = None, edge: int = THUMB) -> None:
        super().__init__(parent)
        self.setObjectName("ToolThumb")
        self.setFixedSize(edge, edge)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.edge = edge
        self.url: str | None = None
        self.task: Any = None
        self.error = ""

    def show_url(self, jobs: Any, url: str | None, on_error: Any = None) -> None:
        """Load `url`'s thumbnail (None clears it); `on_error(message)` hears a failure."""
        if url == self.url:
            return
        self.url = url
        self.error = ""
        self.setPixmap(QPixmap())
        self.setText("…" if url else "")
        if url:
            self.task = spawn(self._load(jobs, url, on_error), name="tool thumbnail")

    async def _load(self, jobs: Any, url: str, on_error: Any) -> None:
        try:
            image = await load_thumbnail(jobs, url, self.edge)
        except ThumbnailError as exc:
            if shiboken6.isValid(self) and self.url == url:
                self.error = str(exc)
                self.setText("no\npreview")
                self.setToolTip(self.error)
                if on_error is not None:
                    on_error(self.error)
            return
        if not shiboken6.isValid(self) or self.url != url:
            return  # another image was chosen meanwhile
        pixmap = QPixmap.fromImage(image).scaled(self.edge, self.edge, Qt.AspectRatioMode.KeepAspectRatio,
                                                 Qt.TransformationMode.SmoothTransformation)
        self.setText("")
        self.setPixmap(pixmap)


class DropFrame(QFrame):
    """A frame that takes image drags (web addresses, the studio's own images) and local files
    (only to say why they cannot be used): `dropped(urls)` or `refused(message)`."""

    dropped = Signal(list)
    refused = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.setProperty("dropping", False)

    @staticmethod
    def _wanted(mime: QMimeData) -> bool:
        return bool(image_urls_from_mime(mime) or local_files_in_mime(mime))

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if self._wanted(event.mimeData()):
            event.acceptProposedAction()
            self._set_dropping(True)
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802
        if self._wanted(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragLeaveEvent(self, event: Any) -> None:  # noqa: N802
        self._set_dropping(False)
        super().dragLeaveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        self._set_dropping(False)
        mime = event.mimeData()
        local = local_files_in_mime(mime)
        urls = image_urls_from_mime(mime)
        if not local and not urls:
            event.ignore()
            return
        event.acceptProposedAction()
        if local:
            message = local_file_message(local)
            tell(self, message, self.mapToGlobal(event.position().toPoint()))
            self.refused.emit(message)
            return
        self.dropped.emit(urls)

    def _set_dropping(self, on: bool) -> None:
        self.setProperty("dropping", on)
        self.style().unpolish(self)
        self.style().polish(self)


class ImageInput(DropFrame):
    """One image for an operation: its thumbnail, its address (typed, pasted or dropped) and
    what stands in the way of using it. `changed` fires when the image or its problem changes."""

    changed = Signal()

    def __init__(self, jobs: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.jobs = jobs
        self.setObjectName("ToolImage")
        self.url: str | None = None
        self.problem = ""  # why the image cannot be used ("" when it can)
        self.warning = ""  # what the preview met (the server may still read it)
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 8, 8, 8)
        row.setSpacing(10)
        self.thumb = Thumbnail(self)
        self.thumb.setText("")
        row.addWidget(self.thumb, 0, Qt.AlignmentFlag.AlignTop)
        column = QVBoxLayout()
        column.setSpacing(4)
        self.hint = QLabel("Drop an image from the grid, the history or a browser, or paste its address.", self)
        self.hint.setObjectName("Muted")
        self.hint.setWordWrap(True)
        column.addWidget(self.hint)
        self.field = QLineEdit(self)
        self.field.setObjectName("ToolImageField")
        self.field.setPlaceholderText("https://…/image.png")
        self.field.setClearButtonEnabled(True)
        self.field.editingFinished.connect(lambda: self.set_text(self.field.text()))
        self.field.textEdited.connect(lambda _t: self._say("", ""))
        column.addWidget(self.field)
        self.message = QLabel(self)
        self.message.setObjectName("ErrorText")
        self.message.setWordWrap(True)
        self.message.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.message.hide()
        column.addWidget(self.message)
        row.addLayout(column, 1)
        self.dropped.connect(lambda urls: self.set_text(urls[0]))
        self.refused.connect(self._note)  # a dropped file: said, and the image given before stays

    @property
    def ref(self) -> ImageRef | None:
        """The image as the session knows it (its job when the studio made it), or None."""
        if not self.url or self.problem:
            return None
        return operations.find_image(self.jobs.entries(include_hidden=True), self.url)

    def set_text(self, text: str) -> None:
        """Take a typed, pasted or dropped address (checked as the API will)."""
        text = text.strip()
        if text == (self.url or "") and not self.problem:
            return
        if not text:
            self.url = None
            self.thumb.show_url(self.jobs, None)
            self._say("", "")
            return
        try:
            url = operations.read_url(text)
        except NotSent as exc:
            self.url = None
            if self.field.text().strip() != text:
                self.field.setText(text)  # what was refused stays in view, to be corrected
            self.thumb.show_url(self.jobs, None)
            self._say(str(exc), "")
            return
        self.url = url
        if self.field.text() != url:
            self.field.setText(url)
        self.field.setToolTip(url)
        self._say("", "")
        self.thumb.show_url(self.jobs, url, lambda message: self._say("", message))

    def _note(self, message: str) -> None:
        """Say why a drop was not taken, leaving the image as it was."""
        self._style_message("ErrorText")
        self.message.setText(message)
        self.message.setVisible(True)

    def _style_message(self, role: str) -> None:
        if self.message.objectName() != role:
            self.message.setObjectName(role)
            self.message.style().unpolish(self.message)
            self.message.style().polish(self.message)

    def _say(self, problem: str, warning: str) -> None:
        self.problem, self.warning = problem, warning
        text = problem or (f"{warning} The server may still read it; if not, its answer will say why."
                           if warning else "")
        self._style_message("ErrorText" if problem else "WarningText")
        self.message.setText(text)
        self.message.setVisible(bool(text))
        self.changed.emit()

    def short(self) -> str:
        return short_url(self.url) if self.url else ""
