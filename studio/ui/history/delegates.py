"""How the history paints a job: a thumbnail tile in the grid, a small thumbnail in the list.

Thumbnails come from `ThumbnailCache` (read off the GUI thread); until one is read the tile
shows a quiet placeholder, and a job whose file is gone says "missing" (opening it fetches the
file again while the server keeps it).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPainterPath, QPen, QPixmap
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from studio.session.history_browser import HistoryBrowser
from studio.store.records import JobRecord, Status
from studio.ui.common import theme
from studio.ui.history.model import job_title
from studio.ui.history.thumbs import MISSING, ThumbnailCache

GUTTER = 8
RADIUS = 6
_BAD = (Status.FAILED, Status.ERROR, Status.UNKNOWN)


def _letterbox(pixmap: QPixmap, room: QRect) -> QRect:
    size = pixmap.size().scaled(room.size(), Qt.AspectRatioMode.KeepAspectRatio)
    return QRect(room.x() + (room.width() - size.width()) // 2, room.y() + (room.height() - size.height()) // 2,
                 size.width(), size.height())


def _wrapped(fm: QFontMetrics, text: str, width: int, lines: int) -> str:
    """`text` broken into at most `lines` lines of `width`, the last elided."""
    out: list[str] = []
    words = text.split()
    while words and len(out) < lines:
        line = words.pop(0)
        while words and fm.horizontalAdvance(f"{line} {words[0]}") <= width:
            line = f"{line} {words.pop(0)}"
        out.append(line)
    if words and out:
        out[-1] = fm.elidedText(f"{out[-1]} {' '.join(words)}", Qt.TextElideMode.ElideRight, width)
    return "\n".join(out)


_SMALL: dict[str, QFont] = {}  # by the base font's key: made once, not on every tile painted


def _small(font: QFont) -> QFont:
    key = font.key()
    small = _SMALL.get(key)
    if small is None:
        small = QFont(font)
        small.setPointSizeF(max(7.0, font.pointSizeF() - 1))
        _SMALL[key] = small
    return small


class _Painting(QStyledItemDelegate):
    def __init__(self, browser: HistoryBrowser, thumbs: ThumbnailCache, parent: Any = None) -> None:
        super().__init__(parent)
        self.browser = browser
        self.thumbs = thumbs

    def _record(self, index) -> JobRecord | None:
        model = index.model()
        return model.record_at(index) if hasattr(model, "record_at") else None

    def _image(self, record: JobRecord) -> object:
        if not any(o.kind == "image" or (o.kind == "video" and o.thumb) for o in record.outputs):
            return MISSING if record.ended else None  # (a video shows its first frame's still)
        found = self.browser.thumb_source(record)
        return self.thumbs.get(*found) if found is not None else MISSING

    def _placeholder(self, painter: QPainter, room: QRect, record: JobRecord, image: object, font: QFont) -> None:
        if image is None and record.ended and record.status not in _BAD and not record.text_outputs():
            return  # its thumbnail is being read: the quiet tile is the placeholder (a frame or two)
        c = theme.current
        painter.setFont(_small(font))
        texts = record.text_outputs() if record.status == Status.COMPLETED else []
        if texts:  # a describe / shorten: what it answered, under what it was
            fm = QFontMetrics(painter.font())
            painter.setPen(QColor(c.faint))
            head = QRect(room.x(), room.y(), room.width(), fm.height())
            painter.drawText(head, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, job_title(record))
            body = room.adjusted(0, fm.height() + 4, 0, 0)
            lines = max(1, body.height() // fm.lineSpacing())
            painter.setPen(QColor(c.muted))
            shown = _wrapped(fm, texts[0], body.width(), lines)
            painter.drawText(body, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, shown)
            return
        if record.status in _BAD:
            painter.setPen(QColor(c.error))
            text = record.status.value
        elif not record.ended:
            painter.setPen(QColor(c.accent))
            text = "running"
        elif image is MISSING:
            painter.setPen(QColor(c.warning))
            text = "missing" if any(o.kind == "image" for o in record.outputs) else job_title(record)
        else:
            return
        painter.drawText(room, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, text)


class TileDelegate(_Painting):
    """A grid cell: the job's first image letterboxed on the backdrop, rounded corners, the
    favourite star and, for a job that did not complete, its status."""

    def sizeHint(self, option: QStyleOptionViewItem, index) -> QSize:  # noqa: N802
        return option.rect.size()

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index) -> None:
        record = self._record(index)
        if record is None:
            return
        c = theme.current
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        cell = option.rect.adjusted(GUTTER // 2, GUTTER // 2, -GUTTER // 2, -GUTTER // 2)
        path = QPainterPath()
        path.addRoundedRect(QRectF(cell), RADIUS, RADIUS)
        painter.fillPath(path, QColor(c.base))
        image = self._image(record)
        if isinstance(image, QPixmap):  # read at this size with its corners rounded: no clip
            painter.drawPixmap(_letterbox(image, cell), image)
        else:
            self._placeholder(painter, cell.adjusted(6, 6, -6, -6), record, image, option.font)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        hovered = bool(option.state & QStyle.StateFlag.State_MouseOver)
        if selected or hovered:
            painter.setPen(QPen(QColor(c.accent if selected else c.muted), 2 if selected else 1))
            painter.drawPath(path)
        if option.state & QStyle.StateFlag.State_HasFocus and not selected:
            painter.setPen(QPen(QColor(c.accent), 1, Qt.PenStyle.DashLine))
            painter.drawPath(path)
        badge_font = _small(option.font)
        fm = QFontMetrics(badge_font)
        painter.setFont(badge_font)
        if record.favourite:
            star = QRect(cell.left() + 6, cell.top() + 6, fm.height() + 6, fm.height() + 4)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(0, 0, 0, 150))
            painter.drawRoundedRect(star, 4, 4)
            painter.setPen(QColor(c.warning))
            painter.drawText(star, Qt.AlignmentFlag.AlignCenter, "★")
        if isinstance(image, QPixmap) and record.status in _BAD:
            word = record.status.value
            box = QRect(cell.right() - fm.horizontalAdvance(word) - 16, cell.top() + 6,
                        fm.horizontalAdvance(word) + 10, fm.height() + 4)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(0, 0, 0, 160))
            painter.drawRoundedRect(box, 4, 4)
            painter.setPen(QColor(c.error))
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, word)
        painter.restore()


class ThumbColumnDelegate(_Painting):
    """The list's first column: a small thumbnail."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index) -> None:
        super().paint(painter, option, index)  # selection and hover background
        record = self._record(index)
        if record is None:
            return
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        room = option.rect.adjusted(4, 3, -4, -3)
        image = self._image(record)
        if isinstance(image, QPixmap):
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawPixmap(_letterbox(image, room), image)
        else:
            painter.fillRect(room, QColor(theme.current.base))
            self._placeholder(painter, room, record, image, option.font)
        painter.restore()
