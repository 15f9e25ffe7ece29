"""One video playing: `VideoPane` paints the frames a QMediaPlayer decodes into a QVideoSink —
software frames, so they are painted, grabbed and compared like any image — letterboxed on the
backdrop, never stretched or cropped. Until the first frame arrives it shows the video's poster
(its first frame, decoded by the grid), so opening a video never flashes black. A video the
backend refuses, or that plays to its end without a single frame (a damaged file plays "fine"
and silently otherwise), says why in the pane; where QtMultimedia cannot load at all, the pane
shows the poster and the reason.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, Qt, QUrl, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from studio.store.files import Source
from studio.ui.common import theme
from studio.ui.video import backend

log = logging.getLogger(__name__)

NO_FRAME = ("no frame of it could be decoded here: the file is damaged or in a format this "
            "machine cannot play")


class VideoPane(QWidget):
    """One video: its player, its current frame, its message. `changed` fires on every change
    the controls show (state, position, duration, a message)."""

    changed = Signal()
    failed = Signal(str)
    clicked = Signal(int)

    MARGIN = 6

    def __init__(self, index: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.index = index
        self.poster: QImage | None = None
        self.frame: QImage | None = None
        self.frame_span: tuple[int, int] | None = None  # the frame's start and end, in µs
        self.message: str | None = None
        self.say_message = True  # False where the viewer says it once for every pane (no backend)
        self.current = False  # the pane the controls follow (outlined when several are shown)
        self.player: Any = None
        self.sink: Any = None
        self.audio: Any = None
        self.frames_shown = 0
        self._buffer: QBuffer | None = None
        self._pending_seek: int | None = None  # asked for before the file was loaded
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(160, 110)
        self.setAccessibleName(f"Video {index + 1}")

    # ----- loading ------------------------------------------------------------------------
    def load(self, source: Source, poster: QImage | None = None, *, loop: bool = False, muted: bool = False) -> None:
        """Prepare `source` (an archived file, or the bytes before it is kept) to play."""
        self.poster = poster
        self.frame = None
        self.frames_shown = 0
        mm = backend.multimedia()
        if mm is None:
            self.message = backend.problem()
            self.say_message = False
            self.update()
            self.changed.emit()
            return
        self.message = None
        player = mm.QMediaPlayer(self)
        sink = mm.QVideoSink(self)
        audio = mm.QAudioOutput(self)
        audio.setMuted(muted)
        player.setVideoSink(sink)
        player.setAudioOutput(audio)
        player.setLoops(mm.QMediaPlayer.Loops.Infinite if loop else 1)
        sink.videoFrameChanged.connect(self._on_frame)
        player.positionChanged.connect(lambda _pos: self.changed.emit())
        player.durationChanged.connect(lambda _ms: self.changed.emit())
        player.playbackStateChanged.connect(lambda _state: self.changed.emit())
        player.mediaStatusChanged.connect(self._on_status)
        player.errorOccurred.connect(self._on_error)
        self.player, self.sink, self.audio = player, sink, audio
        if isinstance(source, Path):
            player.setSource(QUrl.fromLocalFile(str(source)))
        else:  # not archived (yet): played from memory
            buffer = QBuffer(self)
            buffer.setData(QByteArray(bytes(source)))
            buffer.open(QIODevice.OpenModeFlag.ReadOnly)
            self._buffer = buffer
            player.setSourceDevice(buffer, QUrl("memory:video.mp4"))
        self.update()

    def unload(self) -> None:
        """Stop and let go of the player (its decoder threads end with it)."""
        player, self.player = self.player, None
        if player is not None:
            player.stop()
            player.setVideoSink(None)
            player.deleteLater()
        for part in (self.sink, self.audio, self._buffer):
            if part is not None:
                part.deleteLater()
        self.sink = self.audio = self._buffer = None

    # ----- control ------------------------------------------------------------------------
    @property
    def ready(self) -> bool:
        return self.player is not None and self.message is None

    def playing(self) -> bool:
        mm = backend.multimedia()
        return self.ready and self.player.playbackState() == mm.QMediaPlayer.PlaybackState.PlayingState

    def play(self) -> None:
        if self.ready:
            self.player.play()

    def pause(self) -> None:
        if self.ready:
            self.player.pause()

    def seek(self, ms: int) -> None:
        if not self.ready:
            return
        duration = self.player.duration()
        if duration <= 0:  # not loaded yet: a position set now would be dropped
            self._pending_seek = max(0, int(ms))
            return
        self.player.setPosition(max(0, min(int(ms), duration)))

    def position(self) -> int:
        return self.player.position() if self.player is not None else 0

    def duration(self) -> int:
        return self.player.duration() if self.player is not None else 0

    def set_loop(self, loop: bool) -> None:
        mm = backend.multimedia()
        if self.player is not None:
            self.player.setLoops(mm.QMediaPlayer.Loops.Infinite if loop else 1)

    def set_muted(self, muted: bool) -> None:
        if self.audio is not None:
            self.audio.setMuted(muted)

    def has_audio(self) -> bool:
        return self.player is not None and self.player.hasAudio()

    def set_current(self, current: bool) -> None:
        if current != self.current:
            self.current = current
            self.update()

    # ----- events from the player ---------------------------------------------------------
    def _on_frame(self, frame: Any) -> None:
        if not frame.isValid():
            return
        image = frame.toImage()
        if image.isNull():
            return
        self.frame = image
        self.frame_span = (frame.startTime(), frame.endTime())
        self.frames_shown += 1
        self.update()

    def _on_status(self, status: Any) -> None:
        mm = backend.multimedia()
        if self._pending_seek is not None and self.player.duration() > 0:
            at, self._pending_seek = self._pending_seek, None
            self.seek(at)
        if status == mm.QMediaPlayer.MediaStatus.EndOfMedia and self.frames_shown == 0 and self.message is None:
            self._fail(NO_FRAME)
        elif status == mm.QMediaPlayer.MediaStatus.InvalidMedia and self.message is None:
            self._fail(self.player.errorString() or NO_FRAME)
        self.changed.emit()

    def _on_error(self, _error: Any, text: str) -> None:
        if self.message is None:
            self._fail(text or NO_FRAME)

    def _fail(self, why: str) -> None:
        log.warning("video %d does not play: %s", self.index + 1, why)
        self.message = f"Video {self.index + 1} does not play here: {why}."
        self.update()
        self.failed.emit(self.message)

    # ----- painting -----------------------------------------------------------------------
    def picture_rect(self, image: QImage) -> QRectF:
        """Where `image` is painted: fitted and centred (letterboxed)."""
        box = QRectF(self.rect()).adjusted(self.MARGIN, self.MARGIN, -self.MARGIN, -self.MARGIN)
        w, h = image.width(), image.height()
        if w <= 0 or h <= 0 or box.width() <= 0 or box.height() <= 0:
            return box
        scale = min(box.width() / w, box.height() / h)
        dw, dh = w * scale, h * scale
        return QRectF(box.x() + (box.width() - dw) / 2, box.y() + (box.height() - dh) / 2, dw, dh)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        c = theme.current
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(c.base))
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        image = self.frame if self.frame is not None else self.poster
        rect = self.picture_rect(image) if image is not None else QRectF(self.rect())
        if image is not None:
            painter.drawImage(rect, image)
        if self.message and self.say_message:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            box = rect.adjusted(12, 12, -12, -12) if image is not None else QRectF(self.rect()).adjusted(24, 24, -24, -24)
            flags = Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap
            text = painter.boundingRect(box, flags, self.message).adjusted(-10, -8, 10, 8)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(0, 0, 0, 170))
            painter.drawRoundedRect(text, 6, 6)
            painter.setPen(QColor(c.text))
            painter.drawText(box, flags, self.message)
        if self.current:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(QPen(QColor(c.accent), 2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(rect.adjusted(-3, -3, 3, 3), 6, 6)
        painter.end()

    def mousePressEvent(self, event: Any) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit(self.index)
        super().mousePressEvent(event)
