"""Save in a viewer of the grid's outputs (the image viewer, the video viewer): the grid asks the
session to write the output on show to the download folder, and the viewer's note says where it
went (the grid's `saved` signal carries the same words as its status line)."""

from __future__ import annotations

from typing import Any

import shiboken6


class SavesShown:
    """Mixed into a viewer with `grid`, `index` (the output on show) and a `note` label; connect
    `grid.saved` to `_saved`."""

    grid: Any
    index: int
    note: Any

    def save(self) -> None:
        """Save the output on show (Ctrl+S)."""
        self.note.setText("Saving…")
        self.note.show()
        self.grid.save([self.index])

    def _saved(self, message: str) -> None:
        if shiboken6.isValid(self):
            self.note.setText(message)
            self.note.show()
