"""One output on the grid: `ImageCell` paints an image (or a video's first frame) letterboxed with
rounded corners, its index badge, the hover/focus ring, and progress with the status word until
the pixels arrive; it opens on click or Enter and drags its URL to the prompt. `ImageTile` pairs a
cell with the `ActionBar` of buttons under it: readable at rest (labels, a "More" menu, never a
wrapped row), at full contrast on the selected image and while hovered. A cell whose download
failed says why, with a Retry button under the words. An image with transparency (a cut-out) is
painted on a checkerboard, so what is see-through shows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QMimeData, QPoint, QRect, QRectF, Qt, QUrl, Signal
from PySide6.QtGui import (
    QColor,
    QCursor,
    QDrag,
    QFont,
    QFontMetrics,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QPixmap,
)
from PySide6.QtWidgets import QApplication, QGraphicsOpacityEffect, QPushButton, QWidget

from studio.ui.common import theme
from studio.ui.common.checkerboard import paint_checkerboard
from studio.ui.grid.action_bar import ActionBar, ActionButton

RADIUS = 6  # px image corners (UI.md)
RING = 3  # px around each image kept free for the hover/focus ring (drawn in the gutter)
BAR_GAP = 4  # between an image and its buttons
ERROR_PAD = 14  # px around a failed cell's words
RETRY_GAP = 8  # between those words and the Retry button


class ImageCell(QWidget):
    """One image, fitted into its box without stretching or cropping, with rounded corners,
    an index badge, a hover outline, and progress + status word until the image is ready."""

    activated = Signal(int)
    context_requested = Signal(int, QPoint)  # index, global position: the grid builds the menu
    retry_requested = Signal(int)  # the Retry button of a failed download was pressed

    def __init__(self, index: int, parent: QWidget) -> None:
        super().__init__(parent)
        self.index = index
        self.kind = "image"
        self.image: QImage | None = None  # display-sized pixels (device pixels)
        self.source_size: tuple[int, int] | None = None
        self.url: str | None = None
        self.status = ""
        self.progress: int | None = None
        self.error: str | None = None
        self.hot = False
        self._press: QPoint | None = None
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setAccessibleName(f"Image {index + 1}")
        self._tooltip = f"Image {index + 1} — click or press Enter to open it large; drag it to the prompt"
        self.setToolTip(self._tooltip)
        self.retry_button = QPushButton("Retry", self)
        self.retry_button.setObjectName("TileRetry")
        self.retry_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.retry_button.setToolTip("Download it again")
        self.retry_button.clicked.connect(lambda _=False: self.retry_requested.emit(self.index))
        self.retry_button.hide()

    # ----- state --------------------------------------------------------------------------
    def set_kind(self, kind: str) -> None:
        """"image" or "video": a video shows a play mark and opens playing."""
        self.kind = kind
        noun = "Video" if kind == "video" else "Image"
        self.setAccessibleName(f"{noun} {self.index + 1}")
        self._tooltip = (
            f"{noun} {self.index + 1} — click or press Enter to "
            + ("play it large" if kind == "video" else "open it large; drag it to the prompt")
            + "; right-click to save it"
        )
        if self.error is None:
            self.setToolTip(self._tooltip)

    def reset(self, url: str | None) -> None:
        """Back to an empty, waiting box (the cell is reused for the next job's image)."""
        self.image = None
        self.source_size = None
        self.url = url
        self.status = ""
        self.progress = None
        self._clear_error()
        self.update()

    def set_waiting(self, status: str, progress: int | None) -> None:
        if self.error is not None:  # fetching again after a failure
            self._clear_error()
            self.update()
        if (status, progress) != (self.status, self.progress):
            self.status, self.progress = status, progress
            if self.image is None:
                self.update()

    def set_image(self, image: QImage, source_size: tuple[int, int]) -> None:
        self.image = image
        self.source_size = source_size
        self._clear_error()
        self.update()

    def set_error(self, text: str, *, retry: bool = False) -> None:
        """Show why the output is missing; `retry` adds the Retry button under the words."""
        if text == self.error and retry != self.retry_button.isHidden():
            return
        self.error = text
        self.retry_button.setVisible(retry)
        self.setToolTip(text)  # the cell may only have room for its first words
        self._place_retry()
        self.update()

    def _clear_error(self) -> None:
        if self.error is not None:
            self.setToolTip(self._tooltip)
        self.error = None
        self.retry_button.hide()

    def _error_layout(self) -> tuple[str, QRectF, QRect]:
        """A failed cell's words, where they go, and where its Retry button goes: together,
        centred. In a small cell the words shrink to their first line, then to what fits of
        it (the tooltip keeps them all); the button always stays whole."""
        box = self.image_rect().adjusted(ERROR_PAD, ERROR_PAD, -ERROR_PAD, -ERROR_PAD)
        hint = self.retry_button.sizeHint() if not self.retry_button.isHidden() else None
        room = box.height() - (hint.height() + RETRY_GAP if hint is not None else 0)
        fm = QFontMetrics(self.font())
        flags = Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap
        text = self.error or ""
        height = fm.boundingRect(box.toRect(), flags, text).height()
        if height > room:
            text = text.split("\n", 1)[0].rstrip(":")
            height = fm.boundingRect(box.toRect(), flags, text).height()
        if height > room:
            text = fm.elidedText(text, Qt.TextElideMode.ElideRight, max(0, int(box.width())))
            height = fm.height() if room >= fm.height() else 0
            text = text if height else ""
        below = hint.height() + RETRY_GAP if hint is not None else 0
        top = box.y() + max(0.0, (box.height() - height - below) / 2)
        words = QRectF(box.x(), top, box.width(), height)
        if hint is None:
            return text, words, QRect()
        button = QRect(round(box.center().x() - hint.width() / 2), round(top + height + (RETRY_GAP if height else 0)),
                       hint.width(), hint.height())
        if not self.rect().contains(button):  # a tiny cell: keep the button whole, centred
            button.moveCenter(self.rect().center())
        return text, words, button

    def _place_retry(self) -> None:
        if not self.retry_button.isHidden():
            self.retry_button.setGeometry(self._error_layout()[2])

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self._place_retry()

    def image_rect(self) -> QRectF:
        """Where the image is painted: fitted and centred in the cell (letterboxed)."""
        box = QRectF(self.rect()).adjusted(RING, RING, -RING, -RING)
        if self.source_size is None:
            return box
        w, h = self.source_size
        if w <= 0 or h <= 0 or box.width() <= 0 or box.height() <= 0:
            return box
        scale = min(box.width() / w, box.height() / h)
        dw, dh = w * scale, h * scale
        return QRectF(box.x() + (box.width() - dw) / 2, box.y() + (box.height() - dh) / 2, dw, dh)

    # ----- painting -----------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        c = theme.current
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        rect = self.image_rect().adjusted(0.5, 0.5, -0.5, -0.5)
        path = QPainterPath()
        path.addRoundedRect(rect, RADIUS, RADIUS)
        if self.image is not None and not self.image.isNull():
            if self.image.hasAlphaChannel():  # a cut-out: its transparency shows as such
                paint_checkerboard(painter, rect, path)
            painter.save()
            painter.setClipPath(path)
            dpr = self.image.devicePixelRatio() or 1.0
            logical_w, logical_h = self.image.width() / dpr, self.image.height() / dpr
            if abs(logical_w - rect.width()) <= 1.5 and abs(logical_h - rect.height()) <= 1.5:
                # Already scaled to this box off-thread: a plain blit, no resampling here.
                painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
                painter.drawImage(QPoint(round(rect.x()), round(rect.y())), self.image)
            else:  # mid-resize: stretch the old copy until the sharp one arrives
                painter.drawImage(rect, self.image)
            painter.restore()
        else:
            self._paint_waiting(painter, rect, path)
        self._paint_badge(painter, rect)
        if self.kind == "video" and self.image is not None:
            self._paint_play_mark(painter, rect)
        # The ring sits just outside the image, in the gutter, so it shows on any picture.
        ring = rect.adjusted(-2, -2, 2, 2)
        if self.hasFocus():
            painter.setPen(QPen(QColor(c.accent), 2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(ring, RADIUS + 2, RADIUS + 2)
        elif self.hot:
            outline = QColor(c.muted)
            outline.setAlpha(160)
            painter.setPen(QPen(outline, 1.5))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(ring, RADIUS + 2, RADIUS + 2)
        painter.end()

    def _paint_waiting(self, painter: QPainter, rect: QRectF, path: QPainterPath) -> None:
        c = theme.current
        painter.fillPath(path, QColor(c.surface))
        painter.setPen(QPen(QColor(c.border), 1))
        painter.drawPath(path)
        font = QFont(self.font())
        painter.setFont(font)
        if self.error:
            painter.setPen(QColor(c.error))
            text, text_rect, _button = self._error_layout()
            if text:
                painter.drawText(text_rect, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, text)
            return
        # thin progress bar across the middle, the status word under it
        bar_w = min(rect.width() * 0.6, 220.0)
        bar = QRectF(rect.center().x() - bar_w / 2, rect.center().y() - 2, bar_w, 3)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(c.raised))
        painter.drawRoundedRect(bar, 1.5, 1.5)
        painter.setBrush(QColor(c.accent))
        if self.progress is not None:
            fill = QRectF(bar.x(), bar.y(), bar.width() * max(0, min(100, self.progress)) / 100, bar.height())
        else:  # unknown progress: a short segment, so the bar never reads as "0 %"
            fill = QRectF(bar.x(), bar.y(), bar.width() * 0.25, bar.height())
        if fill.width() > 0:
            painter.drawRoundedRect(fill, 1.5, 1.5)
        painter.setPen(QColor(c.muted))
        word_rect = QRectF(rect.x(), bar.bottom() + 8, rect.width(), 20)
        painter.drawText(word_rect, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, self.status)

    def _paint_badge(self, painter: QPainter, rect: QRectF) -> None:
        font = QFont(self.font())
        font.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
        font.setBold(True)
        painter.setFont(font)
        text = str(self.index + 1)
        fm = QFontMetrics(font)
        w = max(18, fm.horizontalAdvance(text) + 10)
        h = 18
        # Top-right: the top-left corner is where artwork (and the sandbox's own index) lives.
        badge = QRectF(rect.right() - 6 - w, rect.y() + 6, w, h)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(0, 0, 0, 140))
        painter.drawRoundedRect(badge, 4, 4)
        painter.setPen(QColor(255, 255, 255, 230))
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, text)

    def _paint_play_mark(self, painter: QPainter, rect: QRectF) -> None:
        """A round play mark in the middle: this tile is a video."""
        r = max(12.0, min(28.0, min(rect.width(), rect.height()) * 0.09))
        centre = rect.center()
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(0, 0, 0, 130))
        painter.drawEllipse(centre, r, r)
        triangle = QPainterPath()
        triangle.moveTo(centre.x() - r * 0.32, centre.y() - r * 0.45)
        triangle.lineTo(centre.x() + r * 0.5, centre.y())
        triangle.lineTo(centre.x() - r * 0.32, centre.y() + r * 0.45)
        triangle.closeSubpath()
        painter.fillPath(triangle, QColor(255, 255, 255, 230))

    # ----- input --------------------------------------------------------------------------
    def contextMenuEvent(self, event: Any) -> None:
        self.context_requested.emit(self.index, event.globalPos())
        event.accept()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._press = event.position().toPoint()
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._press is not None and self.url and (
            (event.position().toPoint() - self._press).manhattanLength() >= QApplication.startDragDistance()
        ):
            self._press = None
            self._start_drag()
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self._press is not None:
            self._press = None
            if self.rect().contains(event.position().toPoint()):
                self.activated.emit(self.index)
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            self.activated.emit(self.index)
            return
        super().keyPressEvent(event)

    def _start_drag(self) -> None:
        """Drag the image's URL (the prompt editor turns a dropped URL into an image prompt)."""
        assert self.url is not None
        mime = QMimeData()
        mime.setUrls([QUrl(self.url)])
        mime.setText(self.url)
        drag = QDrag(self)
        drag.setMimeData(mime)
        if self.image is not None and not self.image.isNull():
            thumb = QPixmap.fromImage(self.image).scaled(
                96, 96, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
            )
            drag.setPixmap(thumb)
        # Qt's drag-and-drop only runs inside its own nested loop: exec() is the one way to drag.
        drag.exec(Qt.DropAction.CopyAction)

    def focusInEvent(self, event: Any) -> None:
        super().focusInEvent(event)
        self.update()

    def focusOutEvent(self, event: Any) -> None:
        super().focusOutEvent(event)
        self.update()


class ImageTile(QWidget):
    """An image cell with its action bar; the bar is at full contrast while the tile is
    selected (the image last focused), hovered or focused, and a little quieter otherwise:
    still readable, still clickable, never hidden."""

    REST_OPACITY = 0.8

    def __init__(self, index: int, parent: QWidget, make_button: Callable[[QWidget], ActionButton]) -> None:
        super().__init__(parent)
        self.index = index
        self.cell = ImageCell(index, self)
        self.bar = ActionBar(self, make_button, overflow=True)
        self._effect = QGraphicsOpacityEffect(self.bar)
        self._effect.setOpacity(self.REST_OPACITY)
        self.bar.setGraphicsEffect(self._effect)
        self._hovered = False
        self._focused = False
        self._selected = False
        self.setAttribute(Qt.WidgetAttribute.WA_Hover)

    @property
    def buttons(self) -> list[ActionButton]:
        return self.bar.buttons

    def set_geometry(self, x: int, y: int, w: int, image_h: int, bar_h: int) -> None:
        """Place the tile so its image box is at (x, y, w, image_h); the cell reaches RING px
        further on every side for the hover ring."""
        self.setGeometry(x - RING, y - RING, w + 2 * RING, image_h + 2 * RING + (BAR_GAP + bar_h if bar_h else 0))
        self.cell.setGeometry(0, 0, w + 2 * RING, image_h + 2 * RING)
        self.bar.setGeometry(RING, RING + image_h + BAR_GAP, w, bar_h)
        # Qt sends no enter/leave when a widget moves under a still cursor: ask the cursor.
        if self.isVisible():
            hovered = self.rect().contains(self.mapFromGlobal(QCursor.pos()))
            if hovered != self._hovered:
                self._hovered = hovered
                self._update_hot()

    def enterEvent(self, event: Any) -> None:
        self._hovered = True
        self._update_hot()
        super().enterEvent(event)

    def leaveEvent(self, event: Any) -> None:
        self._hovered = False
        self._update_hot()
        super().leaveEvent(event)

    def set_focused(self, focused: bool) -> None:
        if focused != self._focused:
            self._focused = focused
            self._update_hot()

    def set_selected(self, selected: bool) -> None:
        """The artist's current image (focused last): its actions at full contrast."""
        if selected != self._selected:
            self._selected = selected
            self._update_hot()

    @property
    def selected(self) -> bool:
        return self._selected

    @property
    def hot(self) -> bool:
        return self._hovered or self._focused or self._selected

    def _update_hot(self) -> None:
        hot = self.hot
        self.bar.set_emphasised(hot)
        self._effect.setOpacity(1.0 if hot else self.REST_OPACITY)
        # The effect only matters at rest; switching it off when hot keeps hover repaints cheap.
        self._effect.setEnabled(not hot)
        if self.cell.hot != self._hovered:
            self.cell.hot = self._hovered
            self.cell.update()

