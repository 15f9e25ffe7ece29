"""What the user does with a grid's outputs on this machine, a part of `GridView` (a mixin it
inherits): "Save" (a tile's right-click menu, the viewer) and "Save all" ask the session to write
the original downloaded files to the download folder and say where they went; a click, Enter or
the menu opens an output large in the viewer, which plays a video job's videos; "Retry" (on a
tile whose download failed, and in its menu) fetches the missing outputs again; the menu also
copies the request behind the job (cURL, Python).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QMenu, QWidget

from studio.session.entry import Source
from studio.session.jobs import JobEntry
from studio.session.tasks import spawn
from studio.ui.common.request_copy import copy_request_actions
from studio.ui.grid.loader import full_qimage
from studio.ui.grid.media import Media, media_of


class GridOutputs:
    """Saving, the right-click menu and the viewer for `GridView` (uses its jobs, entry, tiles,
    decoded images, download folder and signals)."""

    def _init_outputs(self) -> None:
        self.context_menu: QMenu | None = None
        self.viewer: QWidget | None = None

    def media(self) -> Media | None:
        entry = self.entry
        return media_of(entry) if entry is not None else None

    def poster(self, index: int) -> QImage | None:
        """A video's first frame at full size (what its tile shows, decoded by the loader), else
        the tile's own copy; None before either exists."""
        decoded = self._decoded.get(index)
        if decoded is not None:
            return full_qimage(decoded)
        tile = self.canvas.tiles[index] if index < len(self.canvas.tiles) else None
        return tile.cell.image if tile is not None else None

    def media_source(self, index: int) -> Source | None:
        """The original downloaded file of output `index` (what Save writes, what plays): its
        bytes until archived, then its file."""
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
        if shiboken6.isValid(self):
            self.status_message.emit(message)
            self.saved.emit(message)
        return paths

    def retry_downloads(self) -> Any:
        """Fetch again the outputs of the shown job that could not be downloaded (the
        session's task, or None if none failed)."""
        entry = self.entry
        return self.jobs.retry_downloads(entry.key) if entry is not None else None

    def _update_save_all(self, entry: JobEntry) -> None:
        media = media_of(entry)
        ready = sum(1 for d in media.data if d is not None)
        show = bool(self.canvas.tiles) and ready > 0
        if show != self.save_all_button.isVisible():
            self.save_all_button.setVisible(show)
        if show:
            self.save_all_button.setToolTip(
                f"Save the {ready} {media.noun.lower()}{'s' if ready != 1 else ''} of this job "
                f"(with the prompt embedded) to {self.download_dir()}"
            )

    def _show_context_menu(self, index: int, pos: QPoint) -> None:
        media = self.media()
        if media is None or index >= len(self.canvas.tiles):
            return
        if self.context_menu is not None and shiboken6.isValid(self.context_menu):
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
        if media.kind == "video":  # a video plays even when its poster could not be decoded
            view = menu.addAction(f"Play video {index + 1}", lambda i=index: self.open_viewer(i))
            view.setEnabled(ready)
            system = menu.addAction("Open in system player", lambda i=index: self.open_in_system_player(i))
            system.setEnabled(ready)
        else:
            view = menu.addAction(f"Open {noun} {index + 1} large", lambda i=index: self.open_viewer(i))
            view.setEnabled(index in self._decoded)
        if index in media.errors:
            menu.addSeparator()
            menu.addAction(f"Retry downloading {noun} {index + 1}", self.retry_downloads)
        if self.entry is not None:  # the request behind the job on show
            menu.addSeparator()
            menu.addActions(copy_request_actions(self.jobs, self.entry.key, menu, self.status_message.emit))
        self.context_menu = menu
        menu.popup(pos)  # non-modal: no nested event loop

    # ----- viewer -------------------------------------------------------------------------
    def open_viewer(self, image_no: int) -> None:
        """Open output `image_no` large: an image in the image viewer, a video playing (its
        file is enough: a video whose poster did not decode still opens, to say why)."""
        entry = self.entry
        media = self.media()
        if entry is None or media is None:
            return
        video = media.kind == "video"
        if not (self.media_source(image_no) is not None if video else image_no in self._decoded):
            return
        if self.viewer is not None:
            self.viewer.close()
        if video:
            from studio.ui.video.viewer import VideoViewer

            viewer: Any = VideoViewer(self, parent=self.window())
            viewer.show_video(image_no)
        else:
            from studio.ui.grid.viewer import ImageViewer

            viewer = ImageViewer(self, self.loader, parent=self.window())
            viewer.show_image(image_no)
        viewer.show()
        self.viewer = viewer
        self.image_opened.emit(entry.key, image_no)

    def open_in_system_player(self, index: int) -> None:
        """A video in the desktop's own player (the viewer's button does the same)."""
        from studio.ui.video.backend import open_in_system_player

        self.status_message.emit(open_in_system_player(self.media_source(index), f"video {index + 1}"))
