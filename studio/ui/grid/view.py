"""The grid: one job's images, letterboxed 2×2 (or 1 for upscales), each with its actions.

A view of `JobsSession`: it shows the session's job on show (`jobs.on_show`) and follows that
entry's `job_changed` signal — stand-in boxes with a thin progress bar and the status word while
the job runs, each image as soon as its bytes are downloaded and decoded (off the GUI thread:
`studio.ui.grid.loading`).

Buttons come from what the server says: one per name in the job's `output.available_actions`
that lists the image's index (looked up in the registry `studio.ui.grid.actions`; names the studio
does not know are shown disabled under their own name), plus job-level ones such as reroll. After
them, on a finished job's images, the studio's own tools (describe, retexture, remove background,
Topaz), which the server never lists; what does not fit on the row is in its "More" menu.

`GridView` is this module's state and syncing; its other parts are mixins, one concern each:
`action_flow` (what a button click does: popover or editor, then submit with lineage),
`outputs` (Save / Save all, the right-click menu, the viewer), `loading` (decoding and
scaling off-thread) and `caption` (the line under the images, the message instead of them).
It is built from the widgets `GridCanvas` (layout), `ImageTile` / `ImageCell` (one output) and
`ActionBar` / `ActionButton`.

Video jobs (animate, extend, video upscale) are shown the same way: one tile per video (its first
frame; the viewer plays it), with the per-video actions the server lists under each. Text jobs
(describe, shorten) show their results as cards instead (`studio.ui.grid.text_results`), each
with "Use prompt": the grid asks for it with `prompt_chosen`, the window puts it in the editor.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import QApplication, QVBoxLayout, QWidget

from studio.session.jobs import CANCELLED, COMPLETED, ERROR, FAILED, JobEntry, JobsSession
from studio.session.settings import Settings
from studio.ui.common import theme
from studio.ui.grid.action_bar import ActionButton
from studio.session import operations
from studio.ui.grid.actions import (
    ACTIONS, FLOW_EDITOR, ICON_UNKNOWN, IMAGE_TOOLS, expiry_reason, image_actions, image_tools, job_actions,
    time_left, time_left_text, with_documented,
)
from studio.ui.grid.action_flow import GridActions
from studio.ui.grid.canvas import GridCanvas
from studio.ui.grid.caption import GridCaption, grid_qss
from studio.ui.grid.loading import GridLoading
from studio.ui.grid.media import expected_count, is_text_job, media_of
from studio.ui.grid.outputs import GridOutputs
from studio.ui.common.icons import action_icon
from studio.ui.grid.loader import DecodedImage, ImageLoader, shared_loader
from studio.ui.grid.tile import ImageTile

log = logging.getLogger(__name__)

PREWARM_BUTTONS = 12  # buttons made ahead per image: the most the server lists today, and the tools
# Within this of the 3-day limit the caption says how long the actions have left.
EXPIRY_WARNING = timedelta(hours=24)


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class GridView(GridActions, GridOutputs, GridLoading, GridCaption, QWidget):
    """Shows one job of a `JobsSession` as an image grid with per-image actions.

    `clock` returns the current UTC time (tests inject one to age a job past 3 days);
    `loader` decodes images off the GUI thread (one shared pool by default);
    `download_dir` says where Save writes (asked on each save: the settings may change it;
    by default the settings file's download folder).
    """

    job_submitted = Signal(str)  # local key of a job started from the grid
    job_shown = Signal(str)  # the grid switched to this entry (e.g. a breadcrumb was clicked)
    image_opened = Signal(str, int)
    image_shown = Signal(str, int)  # an image of this entry is now on screen (key, index)
    status_message = Signal(str)  # a one-line note for the status bar
    saved = Signal(str)  # a save finished: the same words as its status message
    prompt_chosen = Signal(str, str)  # a text result to put in the editor, and the undo step's name

    def __init__(
        self,
        jobs: JobsSession,
        parent: QWidget | None = None,
        *,
        clock: Callable[[], datetime] | None = None,
        loader: ImageLoader | None = None,
        download_dir: Callable[[], Path] | None = None,
    ) -> None:
        super().__init__(parent)
        self.jobs = jobs
        self.clock: Callable[[], datetime] = clock or utc_now
        self.download_dir: Callable[[], Path] = download_dir or (lambda: Settings().download_dir)
        self._drawn: str | None = None  # whose tiles are built (the job on show is the session's)
        self._init_actions()
        self._init_outputs()
        self._init_loading(loader or shared_loader())
        self._signature: tuple[Any, ...] | None = None
        self._actions_signature: str | None = None
        self._job_buttons: list[ActionButton] = []
        self.setObjectName("GridView")
        self.setStyleSheet(grid_qss())
        self.setAutoFillBackground(False)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.canvas = GridCanvas(self)
        layout.addWidget(self.canvas, 1)
        self.text_view: Any = None  # describe's / shorten's cards, built for the first text job

        self._tile_pool: list[ImageTile] = []
        self._build_captions()

        # Ticks the elapsed time of a running job and re-checks the 3-day expiry of a done one.
        self._tick = QTimer(self)
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self._on_tick)

        jobs.on_show.changed.connect(self._on_show_changed)
        jobs.on_show.add_busy_check(lambda: shiboken6.isValid(self) and self.active_popover is not None)
        jobs.job_changed.connect(self._on_job_changed)
        jobs.job_finished.connect(self._on_job_changed)
        # Build the reusable tiles and buttons once the event loop runs, before a grid lands.
        QTimer.singleShot(0, self._prewarm)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._focus_changed)
        # Built when a job first goes on show (the window makes the grid lazily): draw it.
        self._on_show_changed(jobs.on_show.key or "")

    # ----- public -------------------------------------------------------------------------
    def show_job(self, key_or_job_id: str | None) -> None:
        """The artist chose this entry of the session (None: the empty state): it goes on
        show, and newer jobs no longer take its place (`OnShow`)."""
        # A breadcrumb may name an ancestor only the history holds: it is brought back.
        entry = self.jobs.open(key_or_job_id) if key_or_job_id else None
        self.jobs.on_show.show(entry.key if entry else None, pinned=True)

    @property
    def key(self) -> str | None:
        """The job on show: the session's one value, read, never copied."""
        return self.jobs.on_show.key

    def _on_show_changed(self, key: str) -> None:
        if not shiboken6.isValid(self):
            return
        entry = self.jobs.entry(key) if key else None
        if entry is None:
            self._drawn = None
            self._reset()
            self._show_empty()
            return
        if entry.key == self._drawn:
            self._sync()
            return
        self._drawn = entry.key
        self._reset()
        self._sync()
        self.job_shown.emit(entry.key)

    @property
    def entry(self) -> JobEntry | None:
        return self.jobs.entry(self.key) if self.key else None

    @property
    def tiles(self) -> list[ImageTile]:
        return list(self.canvas.tiles)

    def image_count(self) -> int:
        return len(self.canvas.tiles)

    def displayed_count(self) -> int:
        """How many images are on screen (decoded and scaled), for tests and the benchmark."""
        return sum(1 for t in self.canvas.tiles if t.cell.image is not None)

    def action_buttons(self, image_no: int) -> list[ActionButton]:
        return list(self.canvas.tiles[image_no].buttons)

    def job_buttons(self) -> list[ActionButton]:
        return list(self._job_buttons)

    def button(self, name: str, image_no: int | None = None) -> ActionButton:
        """The button for an action (job-level when image_no is None)."""
        pool = self._job_buttons if image_no is None else self.canvas.tiles[image_no].buttons
        for button in pool:
            if button.name == name:
                return button
        raise KeyError(name)

    def decoded(self, image_no: int) -> DecodedImage | None:
        return self._decoded.get(image_no)

    # ----- syncing with the session -------------------------------------------------------
    def _reset(self) -> None:
        self._forget_images()
        self.select(None)
        self._signature = None
        self._actions_signature = None
        self._close_popover()

    def _on_job_changed(self, key: str) -> None:
        if key == self.key:
            self._sync()

    def _sync(self) -> None:
        entry = self.entry
        if entry is None:
            self._show_empty()
            return
        if is_text_job(entry) and entry.status not in (FAILED, ERROR, CANCELLED):
            self._show_texts(entry)
            return
        self._hide_texts()
        now = self.clock()
        expired = expiry_reason(entry.job, now) if entry.job is not None else None
        failed = entry.status in (FAILED, ERROR, CANCELLED)
        media = media_of(entry)
        count = 0 if failed or (entry.finished and not media.urls) else expected_count(entry)
        if media.kind == "video" and media.urls and entry.status == COMPLETED:
            self.jobs.fetch_videos(entry.key)  # once per job; each file arriving re-syncs
        actions = entry.available_actions if entry.status == COMPLETED else {}
        if media.kind == "image":
            actions = with_documented(actions, len(media.urls))
        tools = media.kind if entry.status == COMPLETED else ""  # the studio's tools, once done
        tiles_signature = (entry.key, count, failed, media.kind)
        if tiles_signature != self._signature:
            self._signature = tiles_signature
            self._actions_signature = None
            self._build_tiles(entry, count)
        elif count == 0 and entry.error and entry.error not in self.message.text():
            self._show_message(entry)  # a failure's reason arrives after its status
        actions_signature = repr((sorted(actions.items()), tools))
        if actions_signature != self._actions_signature and (count or actions):
            self._actions_signature = actions_signature
            self._build_buttons(actions, tools)
        self._update_blocks(entry, expired)
        self._update_cells(entry)
        self._update_save_all(entry)
        self._update_caption(entry)  # after Save all: the caption fits around what is shown
        self._start_loads(entry)
        # A running job's elapsed time ticks each second; a finished one only needs its 3-day
        # expiry re-checked now and then.
        interval = 1000 if entry.active else 60_000
        if self.isVisible() and (self._tick.interval() != interval or not self._tick.isActive()):
            self._tick.start(interval)

    def _on_tick(self) -> None:
        entry = self.entry
        if entry is None:
            self._tick.stop()
            return
        if self.text_view is not None and self.text_view.isVisible():
            self._sync()  # the elapsed time on the text view's line
            return
        if not entry.active and self._tick.interval() != 60_000:
            self._tick.start(60_000)
        self._update_blocks(entry, expiry_reason(entry.job, self.clock()) if entry.job is not None else None)
        self._update_caption(entry)

    def _make_button(self, parent: QWidget) -> ActionButton:
        button = ActionButton(parent)
        button.clicked.connect(lambda _=False, b=button: self._action_clicked(b, b.image_no))
        return button

    def _build_tiles(self, entry: JobEntry, count: int) -> None:
        """Show `count` tiles (reused from a pool of four) as empty, waiting boxes."""
        self._close_popover()
        # Images already on the old tiles are loaded again (the decode is cached in the loader).
        self._forget_images()
        self._job_buttons = self.job_bar.configure([], None)
        if count == 0:
            self._set_tiles(0)
            self._show_message(entry)
            return
        self._hide_message()
        self.canvas.aspect = self._guess_aspect(entry)
        self._set_tiles(count)
        media = media_of(entry)
        for tile in self.canvas.tiles:
            i = tile.index
            tile.cell.reset(media.urls[i] if i < len(media.urls) else None)
            tile.cell.set_kind(media.kind)
            tile.bar.configure([], i)
        self.canvas.relayout()

    def _prewarm(self) -> None:
        if not shiboken6.isValid(self):
            return
        while len(self._tile_pool) < 4:
            tile = self._new_tile()
            tile.hide()
        for tile in self._tile_pool:
            tile.bar.reserve(PREWARM_BUTTONS)
        self.job_bar.reserve(2)
        for spec in (*ACTIONS, *IMAGE_TOOLS):  # render the icons now rather than when the first grid lands
            action_icon(spec.icon)
        action_icon(ICON_UNKNOWN)

    def _new_tile(self) -> ImageTile:
        tile = ImageTile(len(self._tile_pool), self.canvas, self._make_button)
        tile.cell.activated.connect(self.open_viewer)
        tile.cell.context_requested.connect(self._show_context_menu)
        tile.cell.retry_requested.connect(lambda _i: self.retry_downloads())
        self._tile_pool.append(tile)
        return tile

    def _set_tiles(self, count: int) -> None:
        while len(self._tile_pool) < count:
            self._new_tile()
        self.canvas.tiles = self._tile_pool[:count]
        self.canvas.relayout()  # place before showing: a tile shown at a stale spot gets hover
        for tile in self.canvas.tiles:
            tile.show()
        for spare in self._tile_pool[count:]:
            spare.hide()
            spare.cell.reset(None)

    def _build_buttons(self, actions: dict[str, Any], tools: str = "") -> None:
        """One button per action the server lists for each image, then the studio's tools for
        an output of kind `tools` ("image"; "" for none), then the job-level ones."""
        self._close_popover()
        focus_chain: list[QWidget] = []
        for tile in self.canvas.tiles:
            names = image_actions(actions, tile.index)
            buttons = tile.bar.configure(names + image_tools(tools, names), tile.index)
            focus_chain.append(tile.cell)
            focus_chain.extend(buttons)
            focus_chain.append(tile.bar.more)
        self._job_buttons = self.job_bar.configure(job_actions(actions), None)
        focus_chain.extend(self._job_buttons)
        for first, second in zip(focus_chain, focus_chain[1:]):
            QWidget.setTabOrder(first, second)
        self.canvas.relayout()

    def _guess_aspect(self, entry: JobEntry) -> float:
        """The images' width/height before they are decoded: from a decoded sibling if any,
        else the size the prompt package says the prompt renders at, else square."""
        for decoded in self._decoded.values():
            return decoded.width / decoded.height
        if entry.prompt:
            try:
                from studio.prompt import Params, image_size

                params = Params.from_text(entry.prompt, default_model=entry.model or "7")
                width, height = image_size(params.model, params.aspect, params.hd)
                return max(0.25, min(4.0, width / height))
            except Exception:  # a prompt the package cannot read: square until the images land
                log.debug("aspect guess failed", exc_info=True)
        return 1.0

    def _update_blocks(self, entry: JobEntry, expired: str | None) -> None:
        """Disable (with the reason) what cannot be sent now; the buttons keep their places."""
        errors = media_of(entry).errors
        extended = None  # the refusal of one more extension, asked once per sync
        for tile in self.canvas.tiles:
            for button in tile.buttons:
                reason = expired
                if button.spec is not None and button.spec.studio:
                    # The server keeps images 30 days: the tools outlive the 3-day actions.
                    ref = operations.output_ref(entry, tile.index)
                    reason = operations.image_unavailable(button.spec.op, ref, self.clock().timestamp()) or None
                elif reason is None and button.spec is not None and button.spec.flow == FLOW_EDITOR:
                    if tile.index in errors:
                        reason = f"The image could not be downloaded: {errors[tile.index]}"
                if reason is None and button.spec is not None and button.spec.op == "extend_video":
                    if extended is None:
                        from studio.session.video import extend_refusal

                        extended = extend_refusal(self.extensions_used(entry)) or ""
                    reason = extended or None
                button.set_blocked(reason)
        for button in self._job_buttons:
            button.set_blocked(expired)
        has_actions = bool(self._job_buttons) or any(t.buttons for t in self.canvas.tiles)
        left = time_left(entry.job, self.clock()) if entry.job is not None and not expired else None
        soon = time_left_text(left) if left is not None and left < EXPIRY_WARNING else None
        self._update_notice(expired, has_actions, soon)

    def _update_cells(self, entry: JobEntry) -> None:
        word = entry.status_word()
        media = media_of(entry)
        for tile in self.canvas.tiles:
            i = tile.index
            if i < len(media.urls):
                tile.cell.url = media.urls[i]
            if i in media.errors:
                tile.cell.set_error(f"{media.noun} {i + 1} could not be downloaded:\n{media.errors[i]}",
                                    retry=entry.status == COMPLETED)
            elif i in self._unreadable:
                tile.cell.set_error(self._unreadable[i])
            elif tile.cell.image is None:
                has_bytes = i < len(media.data) and media.data[i] is not None
                if has_bytes:
                    tile.cell.set_waiting("decoding", 100)
                elif media.kind == "video" and entry.status == COMPLETED:
                    tile.cell.set_waiting("downloading", None)
                else:
                    tile.cell.set_waiting(word, entry.progress if entry.active else None)

    # ----- text results -------------------------------------------------------------------
    def _show_texts(self, entry: JobEntry) -> None:
        """Describe's prompts or shorten's suggestions as cards, where the tiles would be."""
        if self.text_view is None:
            from studio.ui.grid.text_results import TextResults

            self.text_view = TextResults(self)
            self.text_view.use_requested.connect(self.prompt_chosen)
            self.text_view.crumb_clicked.connect(self._crumb_clicked)
            self.layout().addWidget(self.text_view, 1)
        self._close_popover()
        self._set_tiles(0)
        self._signature = None
        self.canvas.hide()
        self.text_view.show_entry(entry, self._crumbs_html(self._crumb_labels(entry)))
        self.text_view.show()
        interval = 1000 if entry.active else 60_000
        if self.isVisible() and (self._tick.interval() != interval or not self._tick.isActive()):
            self._tick.start(interval)

    def _hide_texts(self) -> None:
        if self.text_view is not None and not self.text_view.isHidden():
            self.text_view.hide()
        if self.canvas.isHidden():
            self.canvas.show()

    def _show_empty(self) -> None:
        self._hide_texts()
        self._set_tiles(0)
        self._job_buttons = self.job_bar.configure([], None)
        self._tick.stop()
        self._clear_caption()
        self._show_welcome()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.message.isVisible():
            self._place_message()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(theme.current.base))
        painter.end()

    def hideEvent(self, event: Any) -> None:
        # Nothing to tick or rescale while nobody sees the grid; showing it again re-syncs.
        self._tick.stop()
        self._rescale_timer.stop()
        super().hideEvent(event)

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if self.key is not None:
            self._sync()
            self._schedule_rescale()

    # ----- hover / focus / the selected image ---------------------------------------------
    def _focus_changed(self, _old: QWidget | None, new: QWidget | None) -> None:
        for tile in self.canvas.tiles:
            inside = new is not None and (new is tile or tile.isAncestorOf(new))
            tile.set_focused(inside)
            if inside:
                self.select(tile.index)  # stays selected while the focus is elsewhere

    @property
    def selected(self) -> int | None:
        """The image the artist works on (focused last), shown with full-contrast actions."""
        return next((t.index for t in self._tile_pool if t.selected), None)

    def select(self, image_no: int | None) -> None:
        for tile in self._tile_pool:
            tile.set_selected(tile.index == image_no and tile in self.canvas.tiles)

