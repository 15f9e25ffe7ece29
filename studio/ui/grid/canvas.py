"""Where the grid's tiles sit: `GridCanvas` fits same-size boxes in the images' aspect into the
space it has (2 columns, 1 for a single image), 8 px gutters, a row of buttons under each, the
caption line under them all, and the whole centred.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from studio.ui.grid.action_bar import BUTTON_H
from studio.ui.grid.tile import BAR_GAP, ImageTile

if TYPE_CHECKING:
    from studio.ui.grid.view import GridView

GUTTER = 8  # px between images (UI.md)
MARGIN = 12  # px around the whole grid
CAPTION_H = 30  # the line under the grid
CAPTION_GAP = 6
CAPTION_MIN_W = 560


class GridCanvas(QWidget):
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

