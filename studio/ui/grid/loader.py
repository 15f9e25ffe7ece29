"""Decode and scale images off the GUI thread.

The grid receives each image as PNG/JPEG bytes just downloaded, or as the archived file that
replaced them (studio.store.files.Source). A 2048×2048
PNG takes ~100 ms to decode; doing that on the GUI thread freezes the window. Qt's own
`QImage.fromData` was measured here to hold Python's GIL for the whole decode (a worker thread
running it stalls the GUI thread just the same), so decoding and scaling use Pillow, whose
decoders and resamplers release the GIL (a video's tile shows its first frame, decoded with
PyAV: studio.store.video). Only the final, display-sized pixels are wrapped in a
`QImage` (a small copy), which the GUI thread then paints as is.

`ImageLoader` runs that work on a small thread pool and hands results back to the asyncio
(qasync) loop, so callers simply `await loader.load(data, size)`. Decoding goes through
studio.store.images: an image declaring more pixels than any documented output is refused
unread, a huge one is decoded reduced for display, and every decode in the process holds its
bytes against one budget, so a server sending pixel bombs cannot run the memory up.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image
from PySide6.QtGui import QImage

from studio.store import images
from studio.store.images import TooManyPixelsError, pixel_bytes

# Decoded images kept for rescaling, the viewer and the editors (bytes of pixels, every byte
# counted: Pillow keeps RGB in 4 bytes a pixel): the job on show and the one before it at 2048²
# (8 × 16 MiB). Anything older is decoded again from its archived file when asked for; a larger
# cache only raised the resident size of a long session. An image larger than this is never kept.
DEFAULT_CACHE_BYTES = 128 * 1024 * 1024


class ImageDecodeError(Exception):
    """The bytes are not an image the studio will read: corrupt or truncated, or declaring more
    pixels than any documented output (`too_large`, refused before decoding)."""

    def __init__(self, message: str, *, too_large: TooManyPixelsError | None = None) -> None:
        super().__init__(message)
        self.too_large = too_large


@dataclass(frozen=True)
class DecodedImage:
    """A decoded image, kept as Pillow pixels (never touched by the GUI thread). `width` and
    `height` are the image's own size; `pixels` is reduced for display when the image is larger
    than studio.limits.DISPLAY_MAX_EDGE (a Topaz upscale), else full size."""

    pixels: Image.Image
    width: int
    height: int

    @property
    def size(self) -> tuple[int, int]:
        return (self.width, self.height)

    @property
    def nbytes(self) -> int:
        return pixel_bytes(self.pixels.mode, *self.pixels.size)


def _decode(data: bytes | Path) -> DecodedImage:
    from studio.store.video import VideoDecodeError, is_video, poster

    if is_video(data):  # a video's tile shows its first frame, decoded as the player would
        try:
            frame = poster(data)
        except VideoDecodeError as exc:
            raise ImageDecodeError(str(exc)) from exc
        return DecodedImage(frame, frame.width, frame.height)
    # An archived output is read from its file here, in the worker (never held in memory).
    try:
        decoded = images.decode(data)
    except TooManyPixelsError as exc:
        from studio.session.failures import image_problem

        raise ImageDecodeError(image_problem(exc), too_large=exc) from exc
    except Exception as exc:  # Pillow raises many types for bad data; all mean "not an image"
        raise ImageDecodeError(f"not a readable image ({exc.__class__.__name__})") from exc
    return DecodedImage(decoded.image, decoded.width, decoded.height)


def fit_size(width: int, height: int, box_w: int, box_h: int) -> tuple[int, int]:
    """The largest size with the image's aspect that fits the box (never upscales past it)."""
    if width <= 0 or height <= 0 or box_w <= 0 or box_h <= 0:
        return (0, 0)
    scale = min(box_w / width, box_h / height)
    return (max(1, round(width * scale)), max(1, round(height * scale)))


# Qt's raster engine paints premultiplied 32-bit pixels without converting them; anything else
# is converted on every paint, on the GUI thread. Pillow packs them here, in the worker.
_ARGB_RAWMODE = "BGRA" if sys.byteorder == "little" else "ARGB"
_PARGB_RAWMODE = "BGRa" if sys.byteorder == "little" else "aRGB"


def _to_qimage(image: Image.Image) -> QImage:
    """Pillow pixels as a QImage in the paint-ready format, owning its own copy of the bytes."""
    see_through = image.mode == "RGBA" and image.getextrema()[3][0] < 255
    if see_through:
        raw = image.convert("RGBa").tobytes("raw", _PARGB_RAWMODE)
    else:
        opaque = image if image.mode == "RGBA" else image.convert("RGBA")
        raw = opaque.tobytes("raw", _ARGB_RAWMODE)  # alpha 255: plain equals premultiplied
    # Copy into a QImage that owns its pixels; wrapping Python bytes would tie the QImage's
    # lifetime to them (PySide releases the buffer from Qt's side, which proved fragile).
    # An opaque image is RGB32, so hasAlphaChannel() says which ones need a checkerboard.
    fmt = QImage.Format.Format_ARGB32_Premultiplied if see_through else QImage.Format.Format_RGB32
    qimage = QImage(image.width, image.height, fmt)
    if qimage.isNull():
        return qimage
    stride = image.width * 4
    bits = memoryview(qimage.bits())
    if qimage.bytesPerLine() == stride:
        bits[: len(raw)] = raw
    else:  # rows are padded in the QImage: copy row by row
        step = qimage.bytesPerLine()
        for y in range(image.height):
            bits[y * step : y * step + stride] = raw[y * stride : (y + 1) * stride]
    return qimage


def full_qimage(decoded: DecodedImage) -> QImage:
    """The full-size QImage of a decode, made here (blocking: for small frames, such as a video
    poster; large images go through `ImageLoader.full`)."""
    return _to_qimage(decoded.pixels)


def _scale(decoded: DecodedImage, width: int, height: int) -> QImage:
    """Scale into a width×height box keeping aspect; smooth (Lanczos), done in a worker."""
    w, h = fit_size(decoded.width, decoded.height, width, height)
    if (w, h) == (0, 0):
        return QImage()
    pixels = decoded.pixels
    if (w, h) != pixels.size:
        # reducing_gap: a fast box reduction first, then Lanczos — same look, a fraction of the time.
        pixels = pixels.resize((w, h), Image.Resampling.LANCZOS, reducing_gap=2.5)
    return _to_qimage(pixels)


def _load(data: bytes | Path, width: int, height: int) -> tuple[DecodedImage, QImage]:
    decoded = _decode(data)
    return decoded, _scale(decoded, width, height)


class _Cache:
    """A small LRU of decoded images by key, bounded by pixel bytes."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[Any, DecodedImage] = OrderedDict()
        self._bytes = 0

    def get(self, key: Any) -> DecodedImage | None:
        found = self._items.get(key)
        if found is not None:
            self._items.move_to_end(key)
        return found

    def put(self, key: Any, value: DecodedImage) -> None:
        """Keep `value`, dropping the least recently used until every byte fits the budget; an
        image larger than the whole budget is not kept at all."""
        self.pop(key)
        if value.nbytes > self.max_bytes:
            return
        self._items[key] = value
        self._bytes += value.nbytes
        while self._bytes > self.max_bytes:
            _, dropped = self._items.popitem(last=False)
            self._bytes -= dropped.nbytes

    @property
    def nbytes(self) -> int:
        return self._bytes

    def pop(self, key: Any) -> None:
        old = self._items.pop(key, None)
        if old is not None:
            self._bytes -= old.nbytes

    def __len__(self) -> int:
        return len(self._items)


def _background_priority() -> None:
    """Run this worker thread at a lower CPU priority than the GUI thread (Linux: per-thread
    nice). Decoding is throughput work; when cores are scarce the window's responsiveness comes
    first. The workers hold the GIL only in short stretches (measured: under 2 ms), so a
    de-prioritised worker does not keep the GUI thread waiting for it. Elsewhere a no-op."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
    except (AttributeError, OSError):
        pass


class ImageLoader:
    """Decode/scale images in worker threads; results come back on the running asyncio loop.

    Keys (any hashable, e.g. the image URL) let a second request for the same image — a resize,
    the viewer, an editor — reuse the decoded pixels instead of decoding again.
    """

    def __init__(self, *, workers: int = 2, cache_bytes: int = DEFAULT_CACHE_BYTES) -> None:
        self._pool = ThreadPoolExecutor(
            max_workers=max(1, workers), thread_name_prefix="image-decode", initializer=_background_priority
        )
        self._cache = _Cache(cache_bytes)
        self._lock = threading.Lock()
        self._pending: dict[Any, asyncio.Future[DecodedImage]] = {}

    def cached(self, key: Any) -> DecodedImage | None:
        with self._lock:
            return self._cache.get(key)

    async def load(self, key: Any, data: bytes | Path, width: int, height: int) -> tuple[DecodedImage, QImage]:
        """Decode `data` (or reuse the cached decode of `key`) and scale it into width×height."""
        decoded = self.cached(key)
        if decoded is not None:
            return decoded, await self.scale(decoded, width, height)
        loop = asyncio.get_running_loop()
        pending = self._pending.get(key)
        if pending is not None:  # someone is already decoding it: wait for that, then scale
            decoded = await asyncio.shield(pending)
            return decoded, await self.scale(decoded, width, height)
        marker: asyncio.Future[DecodedImage] = loop.create_future()
        self._pending[key] = marker
        try:
            decoded, scaled = await loop.run_in_executor(self._pool, _load, data, width, height)
        except BaseException as exc:
            if not marker.done():
                marker.set_exception(exc if isinstance(exc, Exception) else ImageDecodeError("cancelled"))
                marker.exception()  # mark retrieved: waiters re-raise, nobody else needs it
            raise
        finally:
            self._pending.pop(key, None)
        with self._lock:
            self._cache.put(key, decoded)
        if not marker.done():
            marker.set_result(decoded)
        return decoded, scaled

    async def scale(self, decoded: DecodedImage, width: int, height: int) -> QImage:
        """A smooth copy of `decoded` fitted into width×height, made in a worker thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, _scale, decoded, width, height)

    async def full(self, decoded: DecodedImage) -> QImage:
        """The full-resolution QImage (for the editors); the copy is made in a worker thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, _to_qimage, decoded.pixels)

    def forget(self, key: Any) -> None:
        with self._lock:
            self._cache.pop(key)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


_shared: ImageLoader | None = None


def shared_loader() -> ImageLoader:
    """The process-wide loader (one decode pool for the grid, the viewer and the editors)."""
    global _shared
    if _shared is None:
        _shared = ImageLoader()
    return _shared
