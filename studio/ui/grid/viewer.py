"""One image large, with its seed and size: opened by clicking (or Enter on) a grid image.

The picture is scaled to the window in a worker thread (`ImageLoader.scale`); while a resize
settles, the last scaled copy is painted stretched to fit so the window never waits on it.
Left/Right step through the job's images, Escape closes (a video job's videos play in
studio.ui.video.viewer instead). Save (Ctrl+S) asks the grid to write the original downloaded
file to the download folder and says where it went.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QImage, QKeyEvent, QKeySequence, QPainter, QPaintEvent, QResizeEvent, QShortcut
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from studio.session.tasks import spawn
from studio.ui.common import theme
from studio.ui.common.save_note import SavesShown
from studio.ui.common.checkerboard import paint_checkerboard
from studio.ui.grid.loader import DecodedImage, ImageLoader, fit_size

if TYPE_CHECKING:
    from studio.ui.grid.view import GridView


class _Picture(QWidget):
    """Paints one image fitted and centred on the background, never stretched or cropped."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.image: QImage | None = None
        self.source_size: tuple[int, int] | None = None
        self.setMinimumSize(200, 200)

    MARGIN = 16

    def box(self) -> tuple[int, int]:
        return max(1, self.width() - 2 * self.MARGIN), max(1, self.height() - 2 * self.MARGIN)

    def target(self) -> tuple[int, int]:
        dpr = self.devicePixelRatioF() or 1.0
        w, h = self.box()
        return int(w * dpr), int(h * dpr)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(theme.current.base))
        if self.image is not None and self.source_size is not None:
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            w, h = fit_size(*self.source_size, *self.box())
            rect = QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)
            if self.image.hasAlphaChannel():  # a cut-out: its transparency shows as such
                paint_checkerboard(painter, rect)
            painter.drawImage(rect, self.image)
        painter.end()


class ImageViewer(SavesShown, QDialog):
    """A non-modal window with one of the grid's images at the largest size that fits."""

    def __init__(self, grid: GridView, loader: ImageLoader, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.grid = grid
        self.loader = loader
        self.index = 0
        self._generation = 0
        self.setWindowTitle("Image")
        self.setModal(False)
        self.resize(1000, 800)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 8)
        layout.setSpacing(6)
        self.picture = _Picture(self)
        layout.addWidget(self.picture, 1)
        row = QHBoxLayout()
        row.setContentsMargins(12, 0, 12, 0)
        self.prev_button = QPushButton("‹ Previous", self)
        self.prev_button.clicked.connect(lambda: self.step(-1))
        self.next_button = QPushButton("Next ›", self)
        self.next_button.clicked.connect(lambda: self.step(1))
        for button in (self.prev_button, self.next_button):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Left/Right do this from the keyboard
        self.picture.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.info = QLabel(self)
        self.info.setObjectName("Muted")
        self.info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.save_button = QPushButton("Save", self)
        self.save_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Ctrl+S does this from the keyboard
        self.save_button.clicked.connect(self.save)
        self.note = QLabel(self)  # where the last save went
        self.note.setObjectName("Muted")
        self.note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.note.hide()
        row.addWidget(self.prev_button)
        row.addWidget(self.info, 1, Qt.AlignmentFlag.AlignCenter)
        row.addWidget(self.save_button)
        row.addWidget(self.next_button)
        layout.addLayout(row)
        layout.addWidget(self.note, 0, Qt.AlignmentFlag.AlignCenter)
        self.save_shortcut = QShortcut(QKeySequence("Ctrl+S"), self)
        self.save_shortcut.activated.connect(self.save)
        grid.saved.connect(self._saved)
        self._rescale_timer = QTimer(self)
        self._rescale_timer.setSingleShot(True)
        self._rescale_timer.setInterval(120)
        self._rescale_timer.timeout.connect(self._rescale)

    def count(self) -> int:
        return self.grid.image_count()

    def decoded(self) -> DecodedImage | None:
        return self.grid.decoded(self.index)

    def show_image(self, index: int) -> None:
        self.index = index
        decoded = self.decoded()
        cell_image = self.grid.tiles[index].cell.image if index < len(self.grid.tiles) else None
        # Start from the grid's copy (instant), then replace it with a sharp one at this size.
        self.picture.image = cell_image
        self.picture.source_size = decoded.size if decoded else None
        self.picture.update()
        self._update_info()
        self._rescale()

    def step(self, delta: int) -> None:
        n = self.count()
        if n <= 1:
            return
        for offset in range(1, n + 1):
            candidate = (self.index + delta * offset) % n
            if self.grid.decoded(candidate) is not None:
                self.show_image(candidate)
                return

    def _update_info(self) -> None:
        entry = self.grid.entry
        decoded = self.decoded()
        parts = [f"image {self.index + 1} of {self.count()}"]
        if entry is not None and entry.seed:
            parts.append(f"seed {entry.seed}")
        if decoded is not None:
            parts.append(f"{decoded.width}×{decoded.height}")
        if entry is not None and entry.job_id:
            parts.append(f"job {entry.job_id}")
        self.info.setText(" · ".join(parts))
        self.setWindowTitle(f"Image {self.index + 1}" + (f" — seed {entry.seed}" if entry and entry.seed else ""))
        self.save_button.setToolTip("Save the original image file to the download folder (Ctrl+S)")
        many = self.count() > 1
        self.prev_button.setEnabled(many)
        self.next_button.setEnabled(many)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._rescale_timer.start()

    def _rescale(self) -> None:
        decoded = self.decoded()
        if decoded is None:
            return
        self._generation += 1
        spawn(self._scale(self._generation, self.index, decoded), name="viewer scale")

    async def _scale(self, generation: int, index: int, decoded: DecodedImage) -> Any:
        w, h = self.picture.target()
        scaled = await self.loader.scale(decoded, w, h)
        if not shiboken6.isValid(self) or generation != self._generation or index != self.index:
            return
        scaled.setDevicePixelRatio(self.picture.devicePixelRatioF() or 1.0)
        self.picture.image = scaled
        self.picture.source_size = decoded.size
        self.picture.update()

    def hideEvent(self, event: Any) -> None:
        self._rescale_timer.stop()
        self._generation += 1  # a scale still in flight is dropped
        super().hideEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Left:
            self.step(-1)
            return
        if event.key() == Qt.Key.Key_Right:
            self.step(1)
            return
        super().keyPressEvent(event)
