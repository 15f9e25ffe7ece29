"""Thumbnails for the history, read off the GUI thread and kept in a bounded cache.

Each file is decoded by QImageReader at the size it is drawn (a 256 px archive thumbnail read
straight to 150 px), on a small thread pool. The newest request goes first: while the artist
scrolls, what is on screen now is read before what flew by; a queue grown long is dropped
(what is still on screen asks again when it is painted).
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QObject, QRunnable, QSize, Qt, QThreadPool, Signal
from PySide6.QtGui import QImage, QImageReader, QPixmap

MISSING = object()  # the file is not there or cannot be read
_MAX_QUEUED = 160
_KEEP_ASPECT = Qt.AspectRatioMode.KeepAspectRatio


class _Relay(QObject):
    done = Signal(str, object)  # path, QImage (None: missing)


class _Read(QRunnable):
    def __init__(self, name: str, source: Path | bytes, size: QSize, relay: _Relay) -> None:
        super().__init__()
        self.name, self.source, self.size, self.relay = name, source, size, relay

    def run(self) -> None:  # a pool thread
        image: QImage | None = None
        if isinstance(self.source, bytes):
            buffer = QBuffer()
            buffer.setData(QByteArray(self.source))
            buffer.open(QIODevice.OpenModeFlag.ReadOnly)
            reader = QImageReader(buffer)
        else:
            reader = QImageReader(str(self.source))
        reader.setAutoTransform(True)
        if reader.canRead():
            full = reader.size()
            if full.isValid() and (full.width() > self.size.width() or full.height() > self.size.height()):
                reader.setScaledSize(full.scaled(self.size, _KEEP_ASPECT))
            read = reader.read()
            image = None if read.isNull() else read
        self.relay.done.emit(self.name, image)


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
        self._priority = 0
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(2)
        self._relay = _Relay(self)
        self._relay.done.connect(self._done)

    def get(self, path: Path | str | None, source: Path | bytes | None = None) -> object:
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
            self._queued.add(name)
            self._priority += 1
            self._pool.start(_Read(name, source if source is not None else Path(name), self.size, self._relay),
                             self._priority)
        return None

    def set_size(self, size: QSize) -> None:
        if size != self.size:
            self.size = size
            self._pool.clear()
            self._queued.clear()
            self._cache.clear()

    def forget(self, path: Path | str) -> None:
        self._cache.pop(str(path), None)

    def _done(self, name: str, image: object) -> None:
        self._queued.discard(name)
        self._cache[name] = QPixmap.fromImage(image) if isinstance(image, QImage) else MISSING
        while len(self._cache) > self.limit:
            self._cache.popitem(last=False)
        self.ready.emit(name)

    def wait(self, msecs: int = 2000) -> bool:
        """Let queued reads finish (tests, shutdown)."""
        return self._pool.waitForDone(msecs)

    def close(self) -> None:
        self._pool.clear()
        self._pool.waitForDone(2000)
