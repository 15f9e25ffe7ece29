"""Decoding images a server sent, within bounds, for every reader in the process (the archive's
checks and thumbnails, the grid, the viewer, the history).

- The pixels an image declares in its header are checked before a byte of it is decoded: more
  than the largest documented output (studio.limits) is refused with TooManyPixelsError. A
  140 KB PNG can declare 12,000 × 12,000 pixels (411 MiB decoded); one that declares 100,000 ×
  100,000 would ask for 37 GiB.
- Every decode holds its pixel bytes against one process-wide budget (`DECODES`) while it runs:
  decodes that would together go past it wait their turn, and one larger than the whole budget
  runs alone. However many images arrive at once, the pixels being decoded stay near the budget.
- An image larger than `DISPLAY_MAX_EDGE` is decoded reduced for display: a JPEG by its decoder
  (draft, 1/2 to 1/8), then any image shrunk at once, so only the reduced copy outlives the decode.
  Pillow cannot decode a PNG in parts, so one PNG at the largest documented size still needs its
  full pixels for the moment it decodes (576 MiB at 12288²): the budget makes that moment a
  lonely one.

Plain Python and Pillow, no Qt.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from studio.limits import DISPLAY_MAX_EDGE, MAX_IMAGE_EDGE, MAX_IMAGE_PIXELS, MiB

# Pixel bytes that may be decoded at once in the whole process. Two 2048² grid images decode
# side by side (2 × 16 MiB, plus their conversions); a 12K Topaz output (576 MiB) runs alone.
DECODE_BUDGET_BYTES = 192 * MiB

# Pillow keeps these modes in 1 byte per pixel, "I;16" in 2; every other (RGB too) in 4.
_ONE_BYTE = frozenset({"1", "L", "P"})
_TWO_BYTES = frozenset({"I;16", "I;16L", "I;16B", "I;16N"})

# Pillow's own bomb guard (a warning from ~89 Mpx, an error from twice that, raised inside
# Image.open with no size to report) gives way to the studio's: `open_image` refuses from the
# documented outputs and says how large the image claimed to be. Every decode of an image from
# a server goes through it; the editors' URL import checks its own 4096 px first, and Qt's
# readers (history thumbnails) keep Qt's allocation limit.
Image.MAX_IMAGE_PIXELS = None


class TooManyPixelsError(Exception):
    """An image whose header declares more pixels (or a longer side) than any documented
    output; it was not decoded. studio.session.failures words it for the user."""

    def __init__(self, width: int, height: int) -> None:
        super().__init__(f"the image declares {width} × {height} pixels, more than the largest "
                         f"documented output ({MAX_IMAGE_EDGE} × {MAX_IMAGE_EDGE})")
        self.width = width
        self.height = height
        self.max_edge = MAX_IMAGE_EDGE
        self.max_pixels = MAX_IMAGE_PIXELS


def check_pixels(width: int, height: int) -> None:
    """Raise TooManyPixelsError unless width × height is within the documented outputs."""
    if width <= 0 or height <= 0 or width > MAX_IMAGE_EDGE or height > MAX_IMAGE_EDGE \
            or width * height > MAX_IMAGE_PIXELS:
        raise TooManyPixelsError(width, height)


def pixel_bytes(mode: str, width: int, height: int) -> int:
    """What Pillow allocates for an image of this mode and size (RGB is stored in 4 bytes)."""
    per = 1 if mode in _ONE_BYTE else 2 if mode in _TWO_BYTES else 4
    return per * max(0, width) * max(0, height)


class DecodeBudget:
    """A byte semaphore over the pixels being decoded (threads wait on it, not the event loop:
    every decode runs in a worker thread). A request larger than the whole budget waits until
    nothing else is held, then runs alone; `peak` records the most ever held at once."""

    def __init__(self, max_bytes: int = DECODE_BUDGET_BYTES) -> None:
        self.max_bytes = max_bytes
        self.held = 0
        self.peak = 0
        self._cond = threading.Condition()

    @contextmanager
    def hold(self, nbytes: int) -> Iterator[None]:
        nbytes = max(0, int(nbytes))
        with self._cond:
            self._cond.wait_for(lambda: self.held == 0 or self.held + nbytes <= self.max_bytes)
            self.held += nbytes
            self.peak = max(self.peak, self.held)
        try:
            yield
        finally:
            with self._cond:
                self.held -= nbytes
                self._cond.notify_all()


DECODES = DecodeBudget()


def open_image(source: bytes | Path | io.BytesIO) -> Image.Image:
    """Open an image (reading only its header) and check the pixels it declares: raises
    TooManyPixelsError before anything is decoded. The caller closes it."""
    image = Image.open(io.BytesIO(source) if isinstance(source, bytes) else source)
    try:
        check_pixels(*image.size)
    except TooManyPixelsError:
        image.close()
        raise
    return image


@dataclass(frozen=True)
class Decoded:
    """Pixels ready to show: `image` is RGB or RGBA, at most `max_edge` a side; `width` and
    `height` are the image's own size (larger when it was reduced)."""

    image: Image.Image
    width: int
    height: int

    @property
    def reduced(self) -> bool:
        return self.image.size != (self.width, self.height)


def _decode_cost(image: Image.Image, max_edge: int) -> int:
    """Bytes a decode of `image` (after draft) holds at its peak: its own pixels, plus the
    RGB(A) copy a conversion makes, plus the reduced copy (while the larger one still exists)."""
    w, h = image.size
    own = pixel_bytes(image.mode, w, h)
    copy = 4 * w * h if image.mode not in ("RGB", "RGBA") else 0
    factor = _reduction(w, h, max_edge)
    return own + copy + (4 * w * h // (factor * factor) if factor > 1 else 0)


def _reduction(width: int, height: int, max_edge: int) -> int:
    """The integer factor that brings the longer side within `max_edge` (1: none needed)."""
    return max(1, -(-max(width, height) // max(1, max_edge)))


def decode(source: bytes | Path, *, max_edge: int = DISPLAY_MAX_EDGE,
           budget: DecodeBudget | None = None) -> Decoded:
    """Decode `source` to RGB(A) pixels no larger than `max_edge` a side, holding its bytes
    against the budget while it decodes. Blocking: call it from a worker thread. Raises
    TooManyPixelsError (refused unread), or what Pillow raises for data that is not an image.

    A larger image is reduced by a whole factor with a box average (each displayed pixel the
    mean of the pixels it covers: as good as a smooth filter for shrinking, and fast), and
    each larger copy is freed as soon as the next one exists."""
    budget = budget or DECODES
    with open_image(source) as opened:
        width, height = opened.size
        if max(width, height) > max_edge:
            # JPEG decodes straight to 1/2..1/8 of its size; other formats ignore this.
            opened.draft("RGB", (max(1, width * max_edge // max(width, height)),
                                 max(1, height * max_edge // max(width, height))))
        with budget.hold(_decode_cost(opened, max_edge)):
            opened.load()
            image: Image.Image = opened
            if image.mode not in ("RGB", "RGBA"):
                has_alpha = "A" in image.getbands() or "transparency" in image.info
                image = image.convert("RGBA" if has_alpha else "RGB")
            factor = _reduction(*image.size, max_edge)
            if factor > 1:
                reduced = image.reduce(factor)
                if image is not opened:
                    image.close()
                opened.close()  # the full-size pixels go now, not when the caller is done
                image = reduced
    # (leaving `with` closes only the file: loaded pixels stay valid, no copy needed)
    return Decoded(image, width, height)


def thumbnail(source: Path, size: int) -> Image.Image:
    """A thumbnail of at most `size` a side (RGB(A), P or L as Pillow makes it), decoded within
    the budget; the caller saves it. Blocking: call it from a worker thread."""
    with open_image(source) as opened:
        opened.draft("RGB", (size, size))  # a JPEG decodes at 1/2..1/8 straight away
        with DECODES.hold(_decode_cost(opened, size)):
            opened.load()  # (a draft may already be small enough: thumbnail() would not load it)
            opened.thumbnail((size, size))
    return opened
