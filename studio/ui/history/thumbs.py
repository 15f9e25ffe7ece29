"""Thumbnails for the history, read off the GUI thread and kept in a bounded cache.

Each file is decoded by QImageReader at the size it is drawn (a 256 px archive thumbnail read
straight to 150 px) and given its rounded corners there, so a tile paints with one unclipped
`drawPixmap`. Requests made while one frame paints go to the pool together, as one
batch (starting a pool task costs more than reading a small file), newest first: while
the artist scrolls, what is on screen now is read before what flew by; a backlog grown long
is dropped (what is still on screen asks again when it is painted).
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

from PySide6.QtCore import (QBuffer, QByteArray, QIODevice, QObject, QRectF, QRunnable, QSize, Qt, QThreadPool,
                            QTimer, Signal)
from PySide6.QtGui import QImage, QImageReader, QPainter, QPainterPath, QPixmap

MISSING = object()  # the file is not there or cannot be read
RADIUS = 6  # UI.md: rounded 6 px corners
_MAX_QUEUED = 160
# One reader: with the GUI thread that makes two busy threads, as many as these machines have
# cores (a second reader preempted the GUI thread mid-paint: the scroll's worst frames).
_THREADS = 1
_KEEP_ASPECT = Qt.AspectRatioMode.KeepAspectRatio

Source = Path | bytes


def read_thumbnail(source: Source, size: QSize, radius: float = RADIUS) -> QImage | None:
    """`source` decoded to fit `size`, with rounded corners (None: unreadable). Any thread."""
    if isinstance(source, bytes):
        buffer = QBuffer()
        buffer.setData(QByteArray(source))
        buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        reader = QImageReader(buffer)
    else:
        reader = QImageReader(str(source))
    reader.setAutoTransform(True)
    if not reader.canRead():
        return None
    full = reader.size()
    if full.isValid() and (full.width() > size.width() or full.height() > size.height()):
        reader.setScaledSize(full.scaled(size, _KEEP_ASPECT))
    image = reader.read()
    if image.isNull():
        return None
    rounded = QImage(image.size(), QImage.Format.Format_ARGB32_Premultiplied)
    rounded.fill(Qt.GlobalColor.transparent)
    painter = QPainter(rounded)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    path = QPainterPath()
    path.addRoundedRect(QRectF(rounded.rect()), radius, radius)
    painter.setClipPath(path)
    painter.drawImage(0, 0, image)
    painter.end()
    return rounded


class _Relay(QObject):
    done = Signal(object)  # [(name, QImage | None), ...]


class _ReadBatch(QRunnable):
    def __init__(self, items: list[tuple[str, Source]], size: QSize, relay: _Relay) -> None:
        super().__init__()
        self.items, self.size, self.relay = items, size, relay

    def run(self) -> None:  # a pool thread
        done: list[tuple[str, QImage | None]] = []
        for name, source in self.items:
            done.append((name, read_thumbnail(source, self.size)))
            if len(done) == 4:  # a few at a time: the first tiles fill in early
                self.relay.done.emit(done)
                done = []
        if done:
            self.relay.done.emit(done)


class ThumbnailCache(QObject):
    """`get(path)` returns a QPixmap, `MISSING`, or None while it is being read (then `ready`
    fires with the path)."""

    ready = Signal(str)

    def __init__(self, size: QSize, limit: int = 400, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.size = size
        self.limit = limit
        self._cache: OrderedDict[str, object] = OrderedDict()
        self._queued: set[str] = set()
        self._pending: list[tuple[str, Source]] = []  # asked for during this frame
        self._priority = 0
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(_THREADS)
        self._relay = _Relay(self)
        self._relay.done.connect(self._done)
        self._flush = QTimer(self)
        self._flush.setSingleShot(True)
        self._flush.setInterval(0)
        self._flush.timeout.connect(self._start_pending)

    def get(self, path: Path | str | None, source: Source | None = None) -> object:
        """The thumbnail cached as `path` (read from `source`, else from that file)."""
        if path is None:
            return MISSING
        name = str(path)
        found = self._cache.get(name)
        if found is not None:
            self._cache.move_to_end(name)
            return found
        if name not in self._queued:
            if len(self._queued) >= _MAX_QUEUED:
                self._pool.clear()  # not started yet: scrolled past
                self._queued.clear()
                self._pending.clear()
            self._queued.add(name)
            self._pending.append((name, source if source is not None else Path(name)))
            if not self._flush.isActive():
                self._flush.start()
        return None

    def _start_pending(self) -> None:
        items, self._pending = self._pending, []
        if not items:
            return
        self._priority += 1  # the newest frame's batch before older ones still waiting
        self._pool.start(_ReadBatch(items, self.size, self._relay), self._priority)

    def set_size(self, size: QSize) -> None:
        if size != self.size:
            self.size = size
            self._pool.clear()
            self._queued.clear()
            self._pending.clear()
            self._cache.clear()

    def forget(self, path: Path | str) -> None:
        self._cache.pop(str(path), None)

    def _done(self, batch: list[tuple[str, QImage | None]]) -> None:
        for name, image in batch:
            if name not in self._queued:
                continue  # dropped (a backlog cleared, a new size) while it was read
            self._queued.discard(name)
            self._cache[name] = QPixmap.fromImage(image) if isinstance(image, QImage) else MISSING
        while len(self._cache) > self.limit:
            self._cache.popitem(last=False)
        for name, _image in batch:
            self.ready.emit(name)

    def wait(self, msecs: int = 2000) -> bool:
        """Let queued reads finish (tests, shutdown)."""
        self._start_pending()
        return self._pool.waitForDone(msecs)

    def close(self) -> None:
        self._flush.stop()
        self._pending.clear()
        self._pool.clear()
        self._pool.waitForDone(2000)
