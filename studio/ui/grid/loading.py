"""Getting the grid's images on screen without stalling the window, a part of `GridView` (a
mixin it inherits): each output's bytes are decoded and scaled to its box in worker threads
(`studio.ui.grid.loader`), and rescaled there again once a resize settles; the GUI thread only
paints display-sized pixels. A result that arrives for a grid no longer on show is dropped.
"""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QTimer

from studio.session.jobs import JobEntry
from studio.session.tasks import spawn
from studio.ui.grid.media import media_of
from studio.ui.grid.loader import DecodedImage, ImageLoader

RESCALE_DELAY_MS = 120  # wait for a resize to settle before rescaling off-thread


class GridLoading:
    """Decoding and scaling for `GridView` (uses its canvas, tiles, entry and signals)."""

    def _init_loading(self, loader: ImageLoader) -> None:
        self.loader = loader
        self._generation = 0  # bumped whenever the tiles change: late results are dropped
        self._requested: set[int] = set()
        self._decoded: dict[int, DecodedImage] = {}
        # Outputs whose bytes arrived but do not decode, with the words their tile shows (kept
        # here: a later change of the job must not turn the tile back to "decoding").
        self._unreadable: dict[int, str] = {}
        self._rescale_timer = QTimer(self)
        self._rescale_timer.setSingleShot(True)
        self._rescale_timer.setInterval(RESCALE_DELAY_MS)
        self._rescale_timer.timeout.connect(self._rescale_all)

    def _forget_images(self) -> None:
        """Drop what was decoded for the tiles on show (loads still running are ignored)."""
        self._generation += 1
        self._requested.clear()
        self._decoded.clear()
        self._unreadable.clear()

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
            # A video decodes to its first frame: the still its tile shows.
            spawn(self._load(entry.key, i, media.urls[i], data), name=f"grid load {i}")

    async def _load(self, key: str, index: int, url: str, data: bytes) -> None:
        generation = self._generation
        w, h = self._target_size()
        try:
            decoded, scaled = await self.loader.load(url, data, w, h)
        except Exception as exc:
            if shiboken6.isValid(self) and generation == self._generation and index < len(self.canvas.tiles):
                cell = self.canvas.tiles[index].cell
                if cell.kind == "video":  # the file is kept: it may play elsewhere
                    text = (f"Video {index + 1} cannot be shown: {exc}.\nIt is kept: right-click to "
                            "save it or open it in the system player.")
                elif getattr(exc, "too_large", None) is not None:  # a pixel bomb: its words say it all
                    text = f"Image {index + 1}: {exc}"
                else:
                    text = f"Image {index + 1} could not be read ({exc})."
                self._unreadable[index] = text
                cell.set_error(text)
            return
        if not shiboken6.isValid(self) or generation != self._generation or self.key != key or index >= len(self.canvas.tiles):
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
        if not shiboken6.isValid(self) or generation != self._generation or index >= len(self.canvas.tiles):
            return
        if (w, h) != self._target_size():
            return  # another resize came in; its own rescale follows
        scaled.setDevicePixelRatio(self.devicePixelRatioF() or 1.0)
        self.canvas.tiles[index].cell.set_image(scaled, decoded.size)
