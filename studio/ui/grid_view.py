"""The grid: one job's images, letterboxed 2×2 (or 1 for upscales), each with its actions.

A view of `JobsSession`: it shows the entry it was pointed at (`show_job`) and follows that
entry's `job_changed` signal — stand-in boxes with a thin progress bar and the status word while
the job runs, each image as soon as its bytes are downloaded and decoded. Decoding and scaling
happen in worker threads (`studio.ui.image_loader`); the GUI thread only paints display-sized
pixels.

Buttons come from what the server says: one per name in the job's `output.available_actions`
that lists the image's index (looked up in the registry `studio.ui.actions`; names the studio
does not know are shown disabled under their own name), plus job-level ones such as reroll.
Every job started here passes `parent=(job_id, image_no)` so lineage can be shown.

Video jobs (animate, extend, video upscale) are shown the same way: one tile per video (its first
frame; the viewer plays it), with the per-video actions the server lists under each.
"Save" (a tile's context menu, the viewer) and "Save all" ask the session to write the original
downloaded files to the download folder.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import (
    QByteArray,
    QMimeData,
    QPoint,
    QRect,
    QRectF,
    QSize,
    Qt,
    QTimer,
    QUrl,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QCursor,
    QDrag,
    QFont,
    QFontMetrics,
    QIcon,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QPixmap,
    QResizeEvent,
)
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QGraphicsOpacityEffect,
    QHBoxLayout,
    QLabel,
    QMenu,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from studio.session.jobs import CANCELLED, COMPLETED, ERROR, FAILED, JobEntry, JobsSession
from studio.session.tasks import spawn
from studio.ui import theme
from studio.ui.action_dialogs import ActionContext, ActionPopover, make_popover
from studio.ui.actions import (
    ACTION_VALID_DAYS,
    ACTIONS,
    FLOW_EDITOR,
    ICON_UNKNOWN,
    SAVE_ALL,
    ActionSpec,
    crumb_for,
    icon_svg,
    image_actions,
    index_param_for,
    job_actions,
    spec_for,
    unknown_tooltip,
)
from studio.ui.image_loader import DecodedImage, ImageLoader, shared_loader

log = logging.getLogger(__name__)

GUTTER = 8  # px between images (UI.md)
RADIUS = 6  # px image corners (UI.md)
RING = 3  # px around each image kept free for the hover/focus ring (drawn in the gutter)
MARGIN = 12  # px around the whole grid
BUTTON_H = 26
BUTTON_GAP = 4
BAR_GAP = 4  # between an image and its buttons
CAPTION_H = 30  # the line under the grid
CAPTION_GAP = 6
CAPTION_MIN_W = 560
RESCALE_DELAY_MS = 120  # wait for a resize to settle before rescaling off-thread
PREWARM_BUTTONS = 8  # buttons made ahead per image: the most the server lists today

# Jobs that produce one image rather than a grid (boxes to show before the URLs are known).
_SINGLE_IMAGE_OPS = {"upscale", "enhance", "enhance_upscale", "remove_background", "video_upscale"}
# Jobs whose results are videos (shown as tiles of their first frame; the viewer plays them).
VIDEO_OPS = {"video_diffusion", "extend_video", "video_upscale"}


@dataclass(frozen=True)
class Media:
    """What a job's tiles show: its images, or (a video job) its videos."""

    kind: str  # "image" | "video"
    urls: list[str]
    data: list[bytes | None]
    errors: dict[int, str]

    @property
    def noun(self) -> str:
        return "Video" if self.kind == "video" else "Image"


def media_of(entry: JobEntry) -> Media:
    if not entry.image_urls and (entry.video_urls or entry.op in VIDEO_OPS or entry.task_type in VIDEO_OPS):
        urls = entry.video_urls
        data = entry.videos if len(entry.videos) == len(urls) else [None] * len(urls)
        return Media("video", urls, data, entry.video_errors)
    return Media("image", entry.image_urls, entry.images, entry.image_errors)


def default_download_dir() -> Path:
    """The download folder from the settings file (read each time: the dialog may change it)."""
    from studio.session.settings import Settings

    return Settings().download_dir


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def expiry_reason(job: Any, now: datetime) -> str | None:
    """Why actions on this job are no longer valid (3 days after creation), or None.

    An unknown creation time is not treated as expired: the server will say if it is.
    """
    created = getattr(getattr(job, "meta", None), "created_at", None)
    if created is None:
        return None
    if created.tzinfo is None:
        created = created.replace(tzinfo=timezone.utc)
    age = now - created
    if age <= timedelta(days=ACTION_VALID_DAYS):
        return None
    days = age.days
    return (
        f"Expired: actions on an image are valid for {ACTION_VALID_DAYS} days after its job "
        f"was created; this one was created {created:%Y-%m-%d %H:%M} UTC ({days} days ago). "
        "Run the prompt again to act on it."
    )


def elapsed_text(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


# ----- icons ----------------------------------------------------------------------------------
_icon_cache: dict[tuple[str, str, str, str], QIcon] = {}


def _render_svg(svg: bytes, px: int, dpr: float) -> QPixmap:
    pixmap = QPixmap(int(px * dpr), int(px * dpr))
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    QSvgRenderer(QByteArray(svg)).render(painter)
    painter.end()
    pixmap.setDevicePixelRatio(dpr)
    return pixmap


def action_icon(path_data: str, px: int = 16) -> QIcon:
    """The registry's stroke icon in the theme's text colours (normal, hover, disabled)."""
    c = theme.current
    key = (path_data, c.muted, c.text, c.faint)
    icon = _icon_cache.get(key)
    if icon is None:
        dpr = 2.0  # crisp on HiDPI; Qt scales it down on 1x screens
        icon = QIcon()
        icon.addPixmap(_render_svg(icon_svg(path_data, c.muted), px, dpr), QIcon.Mode.Normal)
        icon.addPixmap(_render_svg(icon_svg(path_data, c.text), px, dpr), QIcon.Mode.Active)
        icon.addPixmap(_render_svg(icon_svg(path_data, c.faint), px, dpr), QIcon.Mode.Disabled)
        _icon_cache[key] = icon
    return icon


def _grid_qss() -> str:
    c = theme.current
    return f"""
QLabel#GridCaption {{ color: {c.muted}; }}
QLabel#GridNotice {{ color: {c.warning}; }}
QLabel#GridCrumbs {{ color: {c.muted}; }}
QLabel#GridMessage {{ color: {c.muted}; font-size: 13px; }}
QLabel#GridMessage[error="true"] {{ color: {c.error}; }}
"""


# ----- widgets --------------------------------------------------------------------------------
class ActionButton(QAbstractButton):
    """One action under an image (or for the whole job): icon + short label, keyboard-reachable.

    Painted by hand rather than styled with QSS: the grid reuses a small pool of these for every
    job it shows, and re-polishing styled buttons on each grid change is what stalls the window.
    """

    PAD = 6
    ICON = 16
    SPACING = 4

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.name = ""
        self.spec: ActionSpec | None = None
        self.image_no: int | None = None
        self.base_tooltip = ""
        self.reason: str | None = None
        self.compact = False
        self._full_width = 0
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setAttribute(Qt.WidgetAttribute.WA_Hover)
        self.setFixedHeight(BUTTON_H)

    def configure(self, name: str, spec: ActionSpec | None, image_no: int | None) -> None:
        """Show `name` (known: its registry label and icon; unknown: its raw name, disabled)."""
        self.name, self.spec, self.image_no = name, spec, image_no
        if spec is None:
            text, icon, tooltip = name, ICON_UNKNOWN, unknown_tooltip(name)
        else:
            text, icon, tooltip = spec.label, spec.icon, spec.tooltip
        self.setText(text)
        self.setIcon(action_icon(icon))
        self.base_tooltip = tooltip
        self.reason = tooltip if spec is None else None
        self.setEnabled(spec is not None)
        self.setToolTip(tooltip)
        self.setAccessibleName(text)
        self.setAccessibleDescription(tooltip)
        fm = QFontMetrics(self.font())
        self._full_width = self.PAD * 2 + self.ICON + self.SPACING + fm.horizontalAdvance(text) + 2
        self.updateGeometry()
        self.update()

    def set_blocked(self, reason: str | None) -> None:
        """Disable with a reason in the tooltip (the button keeps its place), or re-enable."""
        if self.spec is None or reason == self.reason:
            return  # unknown actions stay disabled with their own explanation
        self.reason = reason
        self.setEnabled(reason is None)
        self.setToolTip(self.base_tooltip if reason is None else f"{self.base_tooltip}\n\n{reason}")

    def set_compact(self, compact: bool) -> None:
        compact = compact and self.spec is not None  # an unknown action always shows its name
        if compact != self.compact:
            self.compact = compact
            self.update()

    def full_width(self) -> int:
        return self._full_width

    def icon_width(self) -> int:
        if self.spec is None:
            return self._full_width
        return self.PAD * 2 + self.ICON

    def sizeHint(self) -> QSize:
        return QSize(self.icon_width() if self.compact else self._full_width, BUTTON_H)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.isEnabled():
            self.click()
            return
        super().keyPressEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        c = theme.current
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        enabled = self.isEnabled()
        hovered = enabled and self.underMouse()
        frame = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        if enabled and self.isDown():
            painter.setPen(QPen(QColor(c.border), 1))
            painter.setBrush(QColor(c.border))
            painter.drawRoundedRect(frame, 5, 5)
        elif hovered:
            painter.setPen(QPen(QColor(c.border), 1))
            painter.setBrush(QColor(c.raised))
            painter.drawRoundedRect(frame, 5, 5)
        if self.hasFocus():
            painter.setPen(QPen(QColor(c.accent), 1.5))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(frame.adjusted(0.5, 0.5, -0.5, -0.5), 5, 5)
        elif self.spec is None:  # unknown: a dashed outline marks "not for this version"
            pen = QPen(QColor(c.border), 1, Qt.PenStyle.DashLine)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(frame, 5, 5)
        mode = QIcon.Mode.Disabled if not enabled else (QIcon.Mode.Active if hovered or self.hasFocus() else QIcon.Mode.Normal)
        if self.compact:
            x = (self.width() - self.ICON) // 2
        else:
            x = self.PAD
        y = (self.height() - self.ICON) // 2
        self.icon().paint(painter, QRect(x, y, self.ICON, self.ICON), Qt.AlignmentFlag.AlignCenter, mode)
        if not self.compact:
            color = c.faint if not enabled else (c.text if hovered or self.hasFocus() else c.muted)
            painter.setPen(QColor(color))
            text_rect = QRect(x + self.ICON + self.SPACING, 0, self.width() - x - self.ICON - self.SPACING, self.height())
            painter.drawText(text_rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, self.text())
        painter.end()


class ActionBar(QWidget):
    """The buttons under one image, laid out centred, wrapping to a second row when narrow.

    Labels show when every button fits on one row with them; otherwise icons only (the label
    stays in the tooltip and the accessible name). Buttons are reused from job to job.
    """

    def __init__(self, parent: QWidget, make_button: Callable[[QWidget], ActionButton]) -> None:
        super().__init__(parent)
        self._make_button = make_button
        self._pool: list[ActionButton] = []
        self.buttons: list[ActionButton] = []
        self.compact = False

    def reserve(self, count: int) -> None:
        """Create (hidden) buttons ahead of need, so showing a grid never builds widgets."""
        while len(self._pool) < count:
            button = self._make_button(self)
            button.hide()
            self._pool.append(button)

    def configure(self, names: list[str], image_no: int | None) -> list[ActionButton]:
        while len(self._pool) < len(names):
            self._pool.append(self._make_button(self))
        self.buttons = self._pool[: len(names)]
        for button, name in zip(self.buttons, names):
            button.configure(name, spec_for(name), image_no)
            button.show()
        for spare in self._pool[len(names):]:
            spare.hide()
        self._place()
        return self.buttons

    def _rows(self, width: int, compact: bool) -> list[list[tuple[ActionButton, int]]]:
        rows: list[list[tuple[ActionButton, int]]] = [[]]
        used = 0
        for button in self.buttons:
            w = button.icon_width() if compact else button.full_width()
            need = w if not rows[-1] else used + BUTTON_GAP + w
            if rows[-1] and need > width:
                rows.append([(button, w)])
                used = w
            else:
                rows[-1].append((button, w))
                used = need
        return rows if rows[0] else []

    def _plan(self, width: int) -> tuple[bool, list[list[tuple[ActionButton, int]]]]:
        full = self._rows(width, compact=False)
        if len(full) <= 1:
            return False, full
        return True, self._rows(width, compact=True)

    def height_for(self, width: int) -> int:
        _, rows = self._plan(width)
        if not rows:
            return 0
        return len(rows) * BUTTON_H + (len(rows) - 1) * BUTTON_GAP

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._place()

    def _place(self) -> None:
        compact, rows = self._plan(self.width())
        self.compact = compact
        y = 0
        for row in rows:
            total = sum(w for _, w in row) + BUTTON_GAP * (len(row) - 1)
            x = max(0, (self.width() - total) // 2)
            for button, w in row:
                button.set_compact(compact)
                button.setGeometry(x, y, w, BUTTON_H)
                x += w + BUTTON_GAP
            y += BUTTON_H + BUTTON_GAP


class ImageCell(QWidget):
    """One image, fitted into its box without stretching or cropping, with rounded corners,
    an index badge, a hover outline, and progress + status word until the image is ready."""

    activated = Signal(int)
    context_requested = Signal(int, QPoint)  # index, global position: the grid builds the menu

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
        self.setToolTip(f"Image {index + 1} — click or press Enter to open it large; drag it to the prompt")

    # ----- state --------------------------------------------------------------------------
    def set_kind(self, kind: str) -> None:
        """"image" or "video": a video shows a play mark and opens playing."""
        self.kind = kind
        noun = "Video" if kind == "video" else "Image"
        self.setAccessibleName(f"{noun} {self.index + 1}")
        self.setToolTip(
            f"{noun} {self.index + 1} — click or press Enter to "
            + ("play it large" if kind == "video" else "open it large; drag it to the prompt")
            + "; right-click to save it"
        )

    def reset(self, url: str | None) -> None:
        """Back to an empty, waiting box (the cell is reused for the next job's image)."""
        self.image = None
        self.source_size = None
        self.url = url
        self.status = ""
        self.progress = None
        self.error = None
        self.update()

    def set_waiting(self, status: str, progress: int | None) -> None:
        if (status, progress) != (self.status, self.progress):
            self.status, self.progress = status, progress
            if self.image is None:
                self.update()

    def set_image(self, image: QImage, source_size: tuple[int, int]) -> None:
        self.image = image
        self.source_size = source_size
        self.error = None
        self.update()

    def set_error(self, text: str) -> None:
        self.error = text
        self.update()

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
            text_rect = rect.adjusted(14, 14, -14, -14)
            painter.drawText(text_rect, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.error)
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
    """An image cell with its action bar; the bar shows fully while the tile is hovered or
    has keyboard focus, and rests at low opacity otherwise (still readable, still clickable)."""

    REST_OPACITY = 0.45

    def __init__(self, index: int, parent: QWidget, make_button: Callable[[QWidget], ActionButton]) -> None:
        super().__init__(parent)
        self.index = index
        self.cell = ImageCell(index, self)
        self.bar = ActionBar(self, make_button)
        self._effect = QGraphicsOpacityEffect(self.bar)
        self._effect.setOpacity(self.REST_OPACITY)
        self.bar.setGraphicsEffect(self._effect)
        self._hovered = False
        self._focused = False
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

    @property
    def hot(self) -> bool:
        return self._hovered or self._focused

    def _update_hot(self) -> None:
        hot = self.hot
        self._effect.setOpacity(1.0 if hot else self.REST_OPACITY)
        # The effect only matters at rest; switching it off when hot keeps hover repaints cheap.
        self._effect.setEnabled(not hot)
        if self.cell.hot != self._hovered:
            self.cell.hot = self._hovered
            self.cell.update()


class _Canvas(QWidget):
    """Positions the tiles: same-size boxes in the images' aspect, 8 px gutters, centred."""

    def __init__(self, grid: GridView) -> None:
        super().__init__(grid)
        self.grid = grid
        self.tiles: list[ImageTile] = []
        self.aspect = 1.0
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.relayout()
        self.grid._schedule_rescale()

    def columns(self) -> int:
        return 1 if len(self.tiles) <= 1 else 2

    def box_size(self) -> QSize:
        if not self.tiles:
            return QSize(0, 0)
        return self._layout()[0]

    def _layout(self) -> tuple[QSize, int]:
        n = len(self.tiles)
        cols = self.columns()
        rows = math.ceil(n / cols)
        avail_w = max(1, self.width() - 2 * MARGIN)
        avail_h = max(1, self.height() - 2 * MARGIN - CAPTION_GAP - CAPTION_H)
        box_w = (avail_w - (cols - 1) * GUTTER) / cols
        bar_h = 0
        # Two passes: the bar's height depends on the width it gets (labels or icons, rows).
        for _ in range(2):
            # At least one row is kept for buttons even before they arrive, so the images do
            # not jump when a running job completes and its actions appear.
            bar_h = max([BUTTON_H] + [t.bar.height_for(int(box_w)) for t in self.tiles])
            row_h = (avail_h - (rows - 1) * GUTTER) / rows - (BAR_GAP + bar_h if bar_h else 0)
            box_w = min((avail_w - (cols - 1) * GUTTER) / cols, max(1.0, row_h) * self.aspect)
        box_h = box_w / self.aspect
        return QSize(max(1, int(box_w)), max(1, int(box_h))), bar_h

    def relayout(self) -> None:
        caption = getattr(self.grid, "caption_row", None)
        if caption is None:
            return  # still being built
        if not self.tiles:
            if self.grid.job_buttons():  # no outputs, but the server offers job actions: keep them
                width = min(self.width() - 2 * MARGIN, CAPTION_MIN_W)
                caption.setGeometry((self.width() - width) // 2, self.height() - MARGIN - CAPTION_H, width, CAPTION_H)
                caption.show()
                caption.raise_()
            else:
                caption.hide()
            return
        box, bar_h = self._layout()
        cols = self.columns()
        rows = math.ceil(len(self.tiles) / cols)
        tile_h = box.height() + (BAR_GAP + bar_h if bar_h else 0)
        total_w = cols * box.width() + (cols - 1) * GUTTER
        total_h = rows * tile_h + (rows - 1) * GUTTER
        x0 = (self.width() - total_w) // 2
        y0 = max(MARGIN, (self.height() - total_h - CAPTION_GAP - CAPTION_H) // 2)
        for i, tile in enumerate(self.tiles):
            r, col = divmod(i, cols)
            tile.set_geometry(
                x0 + col * (box.width() + GUTTER), y0 + r * (tile_h + GUTTER), box.width(), box.height(), bar_h
            )
        # The caption (lineage · seed · size · time, job actions) sits right under the images,
        # as wide as they are — or wider, up to a readable line, for a single narrow image.
        width = min(self.width() - 2 * MARGIN, max(total_w, CAPTION_MIN_W))
        caption.setGeometry((self.width() - width) // 2, y0 + total_h + CAPTION_GAP, width, CAPTION_H)
        caption.show()
        caption.raise_()


class GridView(QWidget):
    """Shows one job of a `JobsSession` as an image grid with per-image actions.

    `clock` returns the current UTC time (tests inject one to age a job past 3 days);
    `loader` decodes images off the GUI thread (one shared pool by default).
    """

    job_submitted = Signal(str)  # local key of a job started from the grid
    job_shown = Signal(str)  # the grid switched to this entry (e.g. a breadcrumb was clicked)
    image_opened = Signal(str, int)
    image_shown = Signal(str, int)  # an image of this entry is now on screen (key, index)
    status_message = Signal(str)  # a one-line note for the status bar
    saved = Signal(str)  # a save finished: the same words as its status message

    def __init__(
        self,
        jobs: JobsSession,
        parent: QWidget | None = None,
        *,
        clock: Callable[[], datetime] | None = None,
        loader: ImageLoader | None = None,
        download_dir: Callable[[], Path] | None = None,
    ) -> None:
        super().__init__(parent)
        self.jobs = jobs
        self.clock: Callable[[], datetime] = clock or utc_now
        self.loader = loader or shared_loader()
        self.download_dir: Callable[[], Path] = download_dir or default_download_dir
        self.key: str | None = None
        self.active_popover: ActionPopover | None = None
        self.active_editor: QWidget | None = None
        # Open editors by (job id, output, action): a second click brings the open one forward.
        self._editors: dict[tuple[str, int, str], QWidget] = {}
        self._opening: set[tuple[str, int, str]] = set()
        self.context_menu: QMenu | None = None
        self.viewer: QWidget | None = None
        self._generation = 0
        self._signature: tuple[Any, ...] | None = None
        self._actions_signature: str | None = None
        self._requested: set[int] = set()
        self._decoded: dict[int, DecodedImage] = {}
        self._job_buttons: list[ActionButton] = []
        self.setObjectName("GridView")
        self.setStyleSheet(_grid_qss())
        self.setAutoFillBackground(False)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.canvas = _Canvas(self)
        layout.addWidget(self.canvas, 1)

        self.message = QLabel(self.canvas)
        self.message.setObjectName("GridMessage")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self._message_is_error = False

        caption_row = QWidget(self.canvas)
        caption_row.setObjectName("GridCaptionRow")
        caption_row.hide()
        row = QHBoxLayout(caption_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(10)
        self.crumbs = QLabel(caption_row)
        self.crumbs.setObjectName("GridCrumbs")
        self.crumbs.setTextFormat(Qt.TextFormat.RichText)
        self.crumbs.setTextInteractionFlags(Qt.TextInteractionFlag.LinksAccessibleByMouse | Qt.TextInteractionFlag.LinksAccessibleByKeyboard)
        self.crumbs.linkActivated.connect(self._crumb_clicked)
        self.caption = QLabel(caption_row)
        self.caption.setObjectName("GridCaption")
        self.caption.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.notice = QLabel(caption_row)
        self.notice.setObjectName("GridNotice")
        self.notice.hide()
        self._tile_pool: list[ImageTile] = []
        self.job_bar = ActionBar(caption_row, self._make_button)
        self.job_bar.setFixedHeight(BUTTON_H)
        row.addWidget(self.crumbs)
        row.addWidget(self.caption, 1)
        row.addWidget(self.notice)
        row.addWidget(self.job_bar)
        self.save_all_button = ActionButton(caption_row)
        self.save_all_button.configure(SAVE_ALL.name, SAVE_ALL, None)
        self.save_all_button.setFixedWidth(self.save_all_button.full_width())
        self.save_all_button.clicked.connect(lambda _=False: self.save(None))
        self.save_all_button.hide()
        row.addWidget(self.save_all_button)
        self.caption_row = caption_row

        self._rescale_timer = QTimer(self)
        self._rescale_timer.setSingleShot(True)
        self._rescale_timer.setInterval(RESCALE_DELAY_MS)
        self._rescale_timer.timeout.connect(self._rescale_all)
        # Ticks the elapsed time of a running job and re-checks the 3-day expiry of a done one.
        self._tick = QTimer(self)
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self._on_tick)

        jobs.job_changed.connect(self._on_job_changed)
        jobs.job_finished.connect(self._on_job_changed)
        # Build the reusable tiles and buttons once the event loop runs, before a grid lands.
        QTimer.singleShot(0, self._prewarm)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._focus_changed)
        self._show_empty()

    # ----- public -------------------------------------------------------------------------
    def show_job(self, key_or_job_id: str | None) -> None:
        """Show this entry of the session (None: the empty state)."""
        entry = self.jobs.entry(key_or_job_id) if key_or_job_id else None
        if entry is None:
            self.key = None
            self._reset()
            self._show_empty()
            return
        if entry.key == self.key:
            self._sync()
            return
        self.key = entry.key
        self._reset()
        self._sync()
        self.job_shown.emit(entry.key)

    @property
    def entry(self) -> JobEntry | None:
        return self.jobs.entry(self.key) if self.key else None

    @property
    def tiles(self) -> list[ImageTile]:
        return list(self.canvas.tiles)

    def image_count(self) -> int:
        return len(self.canvas.tiles)

    def displayed_count(self) -> int:
        """How many images are on screen (decoded and scaled), for tests and the benchmark."""
        return sum(1 for t in self.canvas.tiles if t.cell.image is not None)

    def action_buttons(self, image_no: int) -> list[ActionButton]:
        return list(self.canvas.tiles[image_no].buttons)

    def job_buttons(self) -> list[ActionButton]:
        return list(self._job_buttons)

    def button(self, name: str, image_no: int | None = None) -> ActionButton:
        """The button for an action (job-level when image_no is None)."""
        pool = self._job_buttons if image_no is None else self.canvas.tiles[image_no].buttons
        for button in pool:
            if button.name == name:
                return button
        raise KeyError(name)

    def decoded(self, image_no: int) -> DecodedImage | None:
        return self._decoded.get(image_no)

    # ----- syncing with the session -------------------------------------------------------
    def _reset(self) -> None:
        self._generation += 1
        self._signature = None
        self._actions_signature = None
        self._requested.clear()
        self._decoded.clear()
        self._close_popover()

    def _on_job_changed(self, key: str) -> None:
        if key == self.key:
            self._sync()

    def _expected_count(self, entry: JobEntry) -> int:
        media = media_of(entry)
        if media.urls:
            return len(media.urls)
        if entry.op in _SINGLE_IMAGE_OPS or entry.task_type in _SINGLE_IMAGE_OPS:
            return 1
        return 4

    def _sync(self) -> None:
        entry = self.entry
        if entry is None:
            self._show_empty()
            return
        now = self.clock()
        expired = expiry_reason(entry.job, now) if entry.job is not None else None
        failed = entry.status in (FAILED, ERROR, CANCELLED)
        media = media_of(entry)
        count = 0 if failed or (entry.finished and not media.urls) else self._expected_count(entry)
        if media.kind == "video" and media.urls and entry.status == COMPLETED:
            self.jobs.fetch_videos(entry.key)  # once per job; each file arriving re-syncs
        actions = entry.available_actions if entry.status == COMPLETED else {}
        tiles_signature = (entry.key, count, failed, media.kind)
        if tiles_signature != self._signature:
            self._signature = tiles_signature
            self._actions_signature = None
            self._build_tiles(entry, count)
        actions_signature = repr(sorted(actions.items()))
        if actions_signature != self._actions_signature and (count or actions):
            self._actions_signature = actions_signature
            self._build_buttons(actions)
        self._update_blocks(entry, expired)
        self._update_cells(entry)
        self._update_caption(entry)
        self._update_save_all(entry)
        self._start_loads(entry)
        # A running job's elapsed time ticks each second; a finished one only needs its 3-day
        # expiry re-checked now and then.
        interval = 1000 if entry.active else 60_000
        if self.isVisible() and (self._tick.interval() != interval or not self._tick.isActive()):
            self._tick.start(interval)

    def _on_tick(self) -> None:
        entry = self.entry
        if entry is None:
            self._tick.stop()
            return
        if not entry.active and self._tick.interval() != 60_000:
            self._tick.start(60_000)
        self._update_blocks(entry, expiry_reason(entry.job, self.clock()) if entry.job is not None else None)
        self._update_caption(entry)

    def _make_button(self, parent: QWidget) -> ActionButton:
        button = ActionButton(parent)
        button.clicked.connect(lambda _=False, b=button: self._action_clicked(b, b.image_no))
        return button

    def _build_tiles(self, entry: JobEntry, count: int) -> None:
        """Show `count` tiles (reused from a pool of four) as empty, waiting boxes."""
        self._close_popover()
        # Images already on the old tiles are loaded again (the decode is cached in the loader).
        self._generation += 1
        self._requested.clear()
        self._decoded.clear()
        self._job_buttons = self.job_bar.configure([], None)
        if count == 0:
            self._set_tiles(0)
            self._show_message(entry)
            return
        self.message.hide()
        self.canvas.aspect = self._guess_aspect(entry)
        self._set_tiles(count)
        media = media_of(entry)
        for tile in self.canvas.tiles:
            i = tile.index
            tile.cell.reset(media.urls[i] if i < len(media.urls) else None)
            tile.cell.set_kind(media.kind)
            tile.bar.configure([], i)
        self.canvas.relayout()

    def _prewarm(self) -> None:
        if not _alive(self):
            return
        while len(self._tile_pool) < 4:
            tile = self._new_tile()
            tile.hide()
        for tile in self._tile_pool:
            tile.bar.reserve(PREWARM_BUTTONS)
        self.job_bar.reserve(2)
        for spec in ACTIONS:  # render the icons now rather than when the first grid lands
            action_icon(spec.icon)
        action_icon(ICON_UNKNOWN)

    def _new_tile(self) -> ImageTile:
        tile = ImageTile(len(self._tile_pool), self.canvas, self._make_button)
        tile.cell.activated.connect(self.open_viewer)
        tile.cell.context_requested.connect(self._show_context_menu)
        self._tile_pool.append(tile)
        return tile

    def _set_tiles(self, count: int) -> None:
        while len(self._tile_pool) < count:
            self._new_tile()
        self.canvas.tiles = self._tile_pool[:count]
        self.canvas.relayout()  # place before showing: a tile shown at a stale spot gets hover
        for tile in self.canvas.tiles:
            tile.show()
        for spare in self._tile_pool[count:]:
            spare.hide()
            spare.cell.reset(None)

    def _build_buttons(self, actions: dict[str, Any]) -> None:
        """One button per action the server lists for each image, then the job-level ones."""
        self._close_popover()
        focus_chain: list[QWidget] = []
        for tile in self.canvas.tiles:
            buttons = tile.bar.configure(image_actions(actions, tile.index), tile.index)
            focus_chain.append(tile.cell)
            focus_chain.extend(buttons)
        self._job_buttons = self.job_bar.configure(job_actions(actions), None)
        focus_chain.extend(self._job_buttons)
        self.job_bar.setFixedWidth(self._job_bar_width())
        for first, second in zip(focus_chain, focus_chain[1:]):
            QWidget.setTabOrder(first, second)
        self.canvas.relayout()

    def _job_bar_width(self) -> int:
        buttons = self._job_buttons
        return sum(b.full_width() for b in buttons) + BUTTON_GAP * max(0, len(buttons) - 1)

    def _guess_aspect(self, entry: JobEntry) -> float:
        """The images' width/height before they are decoded: from a decoded sibling if any,
        else from the prompt's --ar, else square."""
        for decoded in self._decoded.values():
            return decoded.width / decoded.height
        text = entry.prompt or ""
        try:
            from studio.prompt.params import Params

            aspect = Params.from_text(text).aspect
            if aspect:
                w, h = (float(part) for part in str(aspect).split(":"))
                if w > 0 and h > 0:
                    return max(0.25, min(4.0, w / h))
        except Exception:  # no prompt, no --ar, or the prompt package is not importable
            log.debug("aspect guess failed", exc_info=True)
        return 1.0

    def _update_blocks(self, entry: JobEntry, expired: str | None) -> None:
        """Disable (with the reason) what cannot be sent now; the buttons keep their places."""
        errors = media_of(entry).errors
        for tile in self.canvas.tiles:
            for button in tile.buttons:
                reason = expired
                if reason is None and button.spec is not None and button.spec.flow == FLOW_EDITOR:
                    if tile.index in errors:
                        reason = f"The image could not be downloaded: {errors[tile.index]}"
                button.set_blocked(reason)
        for button in self._job_buttons:
            button.set_blocked(expired)
        has_actions = bool(self._job_buttons) or any(t.buttons for t in self.canvas.tiles)
        if expired and has_actions:
            self._set_label(self.notice, f"Actions expired · older than {ACTION_VALID_DAYS} days")
            self.notice.setToolTip(expired)
            self.notice.show()
        elif not self.notice.isHidden():
            self.notice.hide()

    def _update_cells(self, entry: JobEntry) -> None:
        word = entry.status_word()
        media = media_of(entry)
        for tile in self.canvas.tiles:
            i = tile.index
            if i < len(media.urls):
                tile.cell.url = media.urls[i]
            if i in media.errors:
                tile.cell.set_error(f"{media.noun} {i + 1} could not be downloaded:\n{media.errors[i]}")
            elif tile.cell.image is None:
                has_bytes = i < len(media.data) and media.data[i] is not None
                if has_bytes:
                    tile.cell.set_waiting("decoding", 100)
                elif media.kind == "video" and entry.status == COMPLETED:
                    tile.cell.set_waiting("downloading", None)
                else:
                    tile.cell.set_waiting(word, entry.progress if entry.active else None)

    def _update_caption(self, entry: JobEntry) -> None:
        parts: list[str] = []
        if entry.seed:
            parts.append(f"seed {entry.seed}")
        size = next((d.size for d in self._decoded.values()), None)
        if size is not None:
            parts.append(f"{size[0]}×{size[1]}")
        parts.append(elapsed_text(entry.elapsed))
        if entry.active:
            parts.append(entry.status_word())
        self._set_label(self.caption, "·  " + " · ".join(parts))
        self._set_label(self.crumbs, self._crumbs_html(entry))

    def _crumbs_html(self, entry: JobEntry) -> str:
        c = theme.current
        chain = self.jobs.lineage(entry.key) or [entry]
        pieces = []
        for i, step in enumerate(chain):
            if i == 0:
                label = step.task_type.replace("_", " ")
                if step.parent is not None:  # the root's own parent is not in this session
                    label = crumb_for(step.op, step.parent[1], step.request)
            else:
                image_no = step.parent[1] if step.parent else None
                label = crumb_for(step.op, image_no if step.op != "reroll" else None, step.request)
            label = _escape(label)
            if step is chain[-1]:
                pieces.append(f'<span style="color:{c.text}">{label}</span>')
            else:
                pieces.append(f'<a href="job:{_escape(step.key)}" style="color:{c.muted}; text-decoration:none">{label}</a>')
        return f' <span style="color:{c.faint}">›</span> '.join(pieces)

    def _crumb_clicked(self, link: str) -> None:
        if link.startswith("job:"):
            self.show_job(link[4:])

    def _show_message(self, entry: JobEntry) -> None:
        output = getattr(entry.job, "output", None)
        if entry.status in (FAILED, ERROR):
            self._set_message(entry.error or "The job failed.", error=True)
        elif entry.status == CANCELLED:
            self._set_message(entry.notice or "Stopped watching this job.", error=False)
        elif getattr(output, "video_urls", None):
            self._set_message("This job's videos could not be shown.", error=True)
        else:
            self._set_message("This job has no images or videos.", error=False)

    def _show_empty(self) -> None:
        self._set_tiles(0)
        self._job_buttons = self.job_bar.configure([], None)
        self._tick.stop()
        self._set_label(self.caption, "")
        self._set_label(self.crumbs, "")
        self.notice.hide()
        c = theme.current
        self._set_message(
            f'<div style="color:{c.text}; font-size:16px; font-weight:600">No grid on show yet</div>'
            '<div style="margin-top:6px">Type a prompt and press Ctrl+Enter. Finished jobs land '
            "here, with their actions under each image; pick any job in the queue to see it "
            "again.</div>",
            error=False,
            rich=True,
        )

    def _set_message(self, text: str, *, error: bool, rich: bool = False) -> None:
        # Server error text is shown as typed, never interpreted as markup.
        self.message.setTextFormat(Qt.TextFormat.RichText if rich else Qt.TextFormat.PlainText)
        if self._message_is_error != error:
            self._message_is_error = error
            self.message.setProperty("error", error)
            self.message.style().unpolish(self.message)
            self.message.style().polish(self.message)
        self.message.setText(text)
        self.message.setGeometry(self._message_rect())
        self.message.show()
        self.message.raise_()

    def _message_rect(self) -> QRect:
        """A readable measure (at most 560 px wide), centred in the grid area."""
        area = self.canvas.rect().adjusted(40, 40, -40, -40)
        width = min(560, max(1, area.width()))
        return QRect(area.x() + (area.width() - width) // 2, area.y(), width, area.height())

    @staticmethod
    def _set_label(label: QLabel, text: str) -> None:
        if label.text() != text:  # setText relayouts the row even when nothing changed
            label.setText(text)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.message.isVisible():
            self.message.setGeometry(self._message_rect())

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(theme.current.base))
        painter.end()

    def hideEvent(self, event: Any) -> None:
        # Nothing to tick or rescale while nobody sees the grid; showing it again re-syncs.
        self._tick.stop()
        self._rescale_timer.stop()
        super().hideEvent(event)

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if self.key is not None:
            self._sync()
            self._schedule_rescale()

    # ----- images -------------------------------------------------------------------------
    def _target_size(self) -> tuple[int, int]:
        box = self.canvas.box_size()
        dpr = self.devicePixelRatioF() or 1.0
        return max(1, int(box.width() * dpr)), max(1, int(box.height() * dpr))

    def _start_loads(self, entry: JobEntry) -> None:
        media = media_of(entry)
        for tile in self.canvas.tiles:
            i = tile.index
            data = media.data[i] if i < len(media.data) else None
            if i in self._requested or data is None:
                continue
            self._requested.add(i)
            # A GIF decodes to its first frame: the still a video tile shows.
            spawn(self._load(entry.key, i, media.urls[i], data), name=f"grid load {i}")

    async def _load(self, key: str, index: int, url: str, data: bytes) -> None:
        generation = self._generation
        w, h = self._target_size()
        try:
            decoded, scaled = await self.loader.load(url, data, w, h)
        except Exception as exc:
            if _alive(self) and generation == self._generation and index < len(self.canvas.tiles):
                noun = self.canvas.tiles[index].cell.kind.capitalize()
                self.canvas.tiles[index].cell.set_error(f"{noun} {index + 1} could not be read ({exc}).")
            return
        if not _alive(self) or generation != self._generation or self.key != key or index >= len(self.canvas.tiles):
            return
        first = not self._decoded
        self._decoded[index] = decoded
        scaled.setDevicePixelRatio(self.devicePixelRatioF() or 1.0)
        self.canvas.tiles[index].cell.set_image(scaled, decoded.size)
        self.image_shown.emit(key, index)
        if first:
            aspect = decoded.width / decoded.height
            if abs(aspect - self.canvas.aspect) > 0.01:
                self.canvas.aspect = aspect
                self.canvas.relayout()
                self._schedule_rescale()
            entry = self.entry
            if entry is not None:
                self._update_caption(entry)
        elif (w, h) != self._target_size():
            self._schedule_rescale()

    def _schedule_rescale(self) -> None:
        if self._decoded:
            self._rescale_timer.start()

    def _rescale_all(self) -> None:
        w, h = self._target_size()
        for index, decoded in list(self._decoded.items()):
            cell = self.canvas.tiles[index].cell if index < len(self.canvas.tiles) else None
            if cell is None or cell.image is None:
                continue
            if abs(cell.image.width() - w) <= 1 or abs(cell.image.height() - h) <= 1:
                continue  # already fitted to one side of this box
            spawn(self._rescale(index, decoded, w, h), name=f"grid rescale {index}")

    async def _rescale(self, index: int, decoded: DecodedImage, w: int, h: int) -> None:
        generation = self._generation
        scaled = await self.loader.scale(decoded, w, h)
        if not _alive(self) or generation != self._generation or index >= len(self.canvas.tiles):
            return
        if (w, h) != self._target_size():
            return  # another resize came in; its own rescale follows
        scaled.setDevicePixelRatio(self.devicePixelRatioF() or 1.0)
        self.canvas.tiles[index].cell.set_image(scaled, decoded.size)

    # ----- hover / focus ------------------------------------------------------------------
    def _focus_changed(self, _old: QWidget | None, new: QWidget | None) -> None:
        for tile in self.canvas.tiles:
            tile.set_focused(new is not None and (new is tile or tile.isAncestorOf(new)))

    # ----- actions ------------------------------------------------------------------------
    def _context(self, entry: JobEntry, image_no: int | None) -> ActionContext:
        return ActionContext(
            job_id=entry.job_id or "", image_no=image_no, prompt=entry.prompt, model=entry.model
        )

    def _action_clicked(self, button: ActionButton, image_no: int | None) -> None:
        entry = self.entry
        spec = button.spec
        if entry is None or spec is None or not entry.job_id or not button.isEnabled():
            return
        ctx = self._context(entry, image_no)
        if spec.flow == FLOW_EDITOR:
            assert image_no is not None
            key = (ctx.job_id, image_no, spec.name)
            open_editor = self._editors.get(key)
            if open_editor is not None and _alive(open_editor) and open_editor.isVisible():
                open_editor.raise_()  # already open for this image: bring it forward
                open_editor.activateWindow()
                self.active_editor = open_editor
                return
            if key in self._opening:
                return  # its image is still being decoded; the editor opens in a moment
            self._opening.add(key)
            spawn(self._open_editor(spec, ctx, key), name=f"open {spec.dialog}")
            return
        self._close_popover()
        popover = make_popover(spec, ctx, self)
        popover.submitted.connect(lambda op, kwargs, c=ctx: self.submit_action(op, kwargs, c))
        popover.closed.connect(lambda p=popover: self._popover_gone(p))
        self.active_popover = popover
        popover.show_at(button)

    def _popover_gone(self, popover: ActionPopover) -> None:
        if self.active_popover is popover:
            self.active_popover = None

    def _close_popover(self) -> None:
        if self.active_popover is not None:
            popover, self.active_popover = self.active_popover, None
            popover.close()

    async def _open_editor(self, spec: ActionSpec, ctx: ActionContext, key: tuple[str, int, str]) -> None:
        """Open the mask package's editor for pan / zoom out / repaint / edit on this image."""
        assert ctx.image_no is not None
        try:
            try:
                source = await self.source_image(ctx.image_no)
            except Exception as exc:  # a decode failure of any kind: say it, do not go silent
                log.warning("decoding image %s for %s failed", ctx.image_no + 1, spec.name, exc_info=True)
                if _alive(self):
                    self.status_message.emit(
                        f"{spec.label}: image {ctx.image_no + 1} could not be decoded at full size ({exc})."
                    )
                return
            if not _alive(self):
                return
            if source is None or source.isNull():
                self.status_message.emit(
                    f"{spec.label}: image {ctx.image_no + 1} is not downloaded, so it cannot be edited."
                )
                return
            editor = make_editor(spec, source, ctx, self)
        finally:
            self._opening.discard(key)
        editor.submitted.connect(lambda op, kwargs, c=ctx: self.submit_action(op, kwargs, c))
        editor.destroyed.connect(lambda _=None, k=key: self._editors.pop(k, None))
        self._editors[key] = editor
        self.active_editor = editor
        editor.show()  # non-modal: the grid stays usable while an editor is open

    def open_editor(self, key: tuple[str, int, str]) -> QWidget | None:
        """The editor open for (job id, image index, action name), if any (tests, focus)."""
        editor = self._editors.get(key)
        return editor if editor is not None and _alive(editor) and editor.isVisible() else None

    async def source_image(self, image_no: int) -> QImage | None:
        """The full-resolution QImage of an image (decoded off the GUI thread if need be)."""
        entry = self.entry
        if entry is None:
            return None
        media = media_of(entry)
        if image_no >= len(media.data) or media.data[image_no] is None:
            return None
        decoded = self._decoded.get(image_no)
        if decoded is None:
            decoded, _ = await self.loader.load(media.urls[image_no], media.data[image_no], 1, 1)
        return await self.loader.full(decoded)

    def submit_action(self, op: str, kwargs: dict[str, Any], ctx: ActionContext) -> JobEntry:
        """Start the job an action asked for, remembering where it came from (lineage)."""
        kwargs = dict(kwargs)
        spec_scope_job = op == "reroll"
        kwargs.setdefault("job_id", ctx.job_id)
        if not spec_scope_job and ctx.image_no is not None:
            kwargs.setdefault(index_param_for(op), ctx.image_no)
        prompt = kwargs.get("remix_prompt") or kwargs.get("prompt") or ctx.prompt
        parent = (ctx.job_id, ctx.image_no if ctx.image_no is not None else 0)
        entry = self.jobs.submit(op, parent=parent, prompt=prompt, **kwargs)
        self.job_submitted.emit(entry.key)
        return entry

    # ----- saving -------------------------------------------------------------------------
    def media(self) -> Media | None:
        entry = self.entry
        return media_of(entry) if entry is not None else None

    def media_bytes(self, index: int) -> bytes | None:
        """The original downloaded file of output `index` (what Save writes, what plays)."""
        media = self.media()
        if media is None or index >= len(media.data):
            return None
        return media.data[index]

    def save(self, indexes: list[int] | None) -> Any:
        """Ask the session to write these outputs (None: all) to the download folder; the
        status message says where they went. Returns the task (tests await it)."""
        entry = self.entry
        if entry is None:
            return None
        return spawn(self._save(entry.key, indexes), name="save images")

    async def _save(self, key: str, indexes: list[int] | None) -> list[Path]:
        entry = self.jobs.entry(key)
        noun = media_of(entry).noun.lower() if entry is not None else "image"
        folder = self.download_dir()
        try:
            paths = await self.jobs.save_images(key, indexes, folder)
        except OSError as exc:
            message = f"Could not save to {folder}: {exc.strerror or exc}"
            paths = []
        else:
            if not paths:
                message = f"Nothing to save yet: the {noun}s are not downloaded."
            elif len(paths) == 1:
                message = f"Saved {noun} to {paths[0]}"
            else:
                message = f"Saved {len(paths)} {noun}s to {paths[0].parent}"
        if _alive(self):
            self.status_message.emit(message)
            self.saved.emit(message)
        return paths

    def _update_save_all(self, entry: JobEntry) -> None:
        media = media_of(entry)
        ready = sum(1 for d in media.data if d is not None)
        show = bool(self.canvas.tiles) and ready > 0
        if show != self.save_all_button.isVisible():
            self.save_all_button.setVisible(show)
        if show:
            self.save_all_button.setToolTip(
                f"Save the {ready} {media.noun.lower()}{'s' if ready != 1 else ''} of this job "
                f"(the original files) to {self.download_dir()}"
            )

    def _show_context_menu(self, index: int, pos: QPoint) -> None:
        media = self.media()
        if media is None or index >= len(self.canvas.tiles):
            return
        if self.context_menu is not None and _alive(self.context_menu):
            self.context_menu.close()
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        noun = media.noun.lower()
        ready = index < len(media.data) and media.data[index] is not None
        save = menu.addAction(f"Save {noun} {index + 1}", lambda i=index: self.save([i]))
        save.setEnabled(ready)
        save_all = menu.addAction("Save all", lambda: self.save(None))
        save_all.setEnabled(any(d is not None for d in media.data))
        menu.addSeparator()
        view = menu.addAction(f"Open {noun} {index + 1} large", lambda i=index: self.open_viewer(i))
        view.setEnabled(index in self._decoded)
        self.context_menu = menu
        menu.popup(pos)  # non-modal: no nested event loop

    # ----- viewer -------------------------------------------------------------------------
    def open_viewer(self, image_no: int) -> None:
        entry = self.entry
        if entry is None or image_no not in self._decoded:
            return
        from studio.ui.image_viewer import ImageViewer

        if self.viewer is not None:
            self.viewer.close()
        viewer = ImageViewer(self, self.loader, parent=self.window())
        viewer.show_image(image_no)
        viewer.show()
        self.viewer = viewer
        self.image_opened.emit(entry.key, image_no)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        super().keyPressEvent(event)


def make_editor(spec: ActionSpec, source: QImage, ctx: ActionContext, parent: QWidget) -> QWidget:
    """The mask package's editor for an editor-flow action, built with its parent job's details."""
    # Imported on first use, not at module load: the editors are not needed to paint the first
    # window, and start-up time is measured (benchmarks/startup.py).
    from studio.ui.mask import CanvasEditor, MaskEditor, OutpaintDialog, PanDialog

    assert ctx.image_no is not None
    prompt = ctx.prompt or ""
    if spec.dialog == "PanDialog":
        return PanDialog(source, job_id=ctx.job_id, image_no=ctx.image_no, prompt=prompt, model=ctx.model, parent=parent)
    if spec.dialog == "OutpaintDialog":
        return OutpaintDialog(source, job_id=ctx.job_id, image_no=ctx.image_no, prompt=prompt, model=ctx.model, parent=parent)
    if spec.dialog == "MaskEditor":
        return MaskEditor(source, job_id=ctx.job_id, image_no=ctx.image_no, prompt=prompt, model=ctx.model, parent=parent)
    if spec.dialog == "CanvasEditor":
        return CanvasEditor(source, job_id=ctx.job_id, image_no=ctx.image_no, prompt=prompt, model=ctx.model, parent=parent)
    raise ValueError(f"the action registry names an editor the grid does not build: {spec.dialog}")


EDITOR_DIALOGS = frozenset({"PanDialog", "OutpaintDialog", "MaskEditor", "CanvasEditor"})


def _alive(widget: QWidget) -> bool:
    """False once Qt has deleted the widget (an awaited decode may outlive the grid)."""
    return shiboken6.isValid(widget)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
