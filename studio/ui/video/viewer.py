"""A video job's videos, large, playing from their archived files with QtMultimedia: opened by
clicking (or Enter on) a video in the grid.

One video at a time (Left/Right step through them) or all of the job's videos side by side
(a job makes one to four), playing together under one set of controls: play/pause (Space),
scrub (the slider moves every video to the same moment; paused, each shows the exact frame
there), loop (L), mute (M), Save (Ctrl+S) and "Open in system player". Each video shows its
poster (its first frame) until it plays. Where this machine cannot play videos (no
QtMultimedia) or a file does not decode, the viewer says so and the system player stays a click
away.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from studio.ui.common import theme
from studio.ui.common.save_note import SavesShown
from studio.ui.video import backend
from studio.ui.video.player import VideoPane

if TYPE_CHECKING:
    from studio.ui.grid.view import GridView

log = logging.getLogger(__name__)


def clock_text(ms: int) -> str:
    """"0:04.3": minutes, seconds and tenths (a sandbox video is a few seconds long)."""
    ms = max(0, int(ms))
    minutes, rest = divmod(ms, 60_000)
    return f"{minutes}:{rest // 1000:02d}.{rest % 1000 // 100}"


class VideoViewer(SavesShown, QDialog):
    """A non-modal window playing the grid's videos (one, or all side by side)."""

    def __init__(self, grid: GridView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.grid = grid
        self.index = 0
        self.side_by_side = False
        self.loop = True  # a few seconds of motion reads best on repeat
        self.muted = False
        self.panes: list[VideoPane] = []
        self._scrubbing = False
        self._resume_after_scrub = False
        self.wants_play = True  # what the artist asked for last (a video opens playing)
        self.setWindowTitle("Video")
        self.setModal(False)
        c = theme.current  # a toggle that is on (Loop, Mute, Side by side) shows it
        self.setStyleSheet(f"QPushButton:checked {{ border: 1px solid {c.accent}; color: {c.text}; "
                           f"background: {c.raised}; }}")
        self.resize(1000, 760)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 8)
        layout.setSpacing(6)
        self.stage = QWidget(self)
        self.stage_layout = QGridLayout(self.stage)
        self.stage_layout.setContentsMargins(8, 8, 8, 0)
        self.stage_layout.setSpacing(8)
        layout.addWidget(self.stage, 1)
        self.problem = QLabel(self)  # why nothing plays here (no multimedia backend)
        self.problem.setObjectName("ViewerProblem")
        self.problem.setStyleSheet(f"color: {theme.current.warning}; padding: 0 16px;")
        self.problem.setWordWrap(True)
        self.problem.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.problem.hide()
        layout.addWidget(self.problem)

        transport = QHBoxLayout()
        transport.setContentsMargins(12, 0, 12, 0)
        transport.setSpacing(8)
        self.play_button = QPushButton("Pause", self)
        self.play_button.setMinimumWidth(72)
        self.play_button.setToolTip("Play or pause (Space)")
        self.play_button.clicked.connect(self.toggle)
        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.setToolTip("Drag to scrub; paused, the picture is the exact frame")
        self.slider.sliderPressed.connect(self._scrub_started)
        self.slider.sliderMoved.connect(self.seek)
        self.slider.sliderReleased.connect(self._scrub_ended)
        self.slider.actionTriggered.connect(self._slider_action)
        self.time_label = QLabel("0:00.0 / 0:00.0", self)
        self.time_label.setObjectName("Muted")
        self.loop_button = QPushButton("Loop", self)
        self.loop_button.setCheckable(True)
        self.loop_button.setChecked(self.loop)
        self.loop_button.setToolTip("Play again from the start at the end (L)")
        self.loop_button.toggled.connect(self.set_loop)
        self.mute_button = QPushButton("Mute", self)
        self.mute_button.setCheckable(True)
        self.mute_button.toggled.connect(self.set_muted)
        transport.addWidget(self.play_button)
        transport.addWidget(self.slider, 1)
        transport.addWidget(self.time_label)
        transport.addWidget(self.loop_button)
        transport.addWidget(self.mute_button)
        layout.addLayout(transport)

        row = QHBoxLayout()
        row.setContentsMargins(12, 0, 12, 0)
        row.setSpacing(8)
        self.prev_button = QPushButton("‹ Previous", self)
        self.prev_button.clicked.connect(lambda: self.step(-1))
        self.next_button = QPushButton("Next ›", self)
        self.next_button.clicked.connect(lambda: self.step(1))
        self.info = QLabel(self)
        self.info.setObjectName("Muted")
        self.info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.all_button = QPushButton("Side by side", self)
        self.all_button.setCheckable(True)
        self.all_button.setToolTip("Play all of this job's videos together")
        self.all_button.toggled.connect(self.set_side_by_side)
        self.system_button = QPushButton("Open in system player", self)
        self.system_button.setToolTip("Play this video in the desktop's own video player")
        self.system_button.clicked.connect(self.open_in_system_player)
        self.save_button = QPushButton("Save", self)
        self.save_button.setToolTip("Save the original video file to the download folder (Ctrl+S)")
        self.save_button.clicked.connect(self.save)
        for button in (self.play_button, self.loop_button, self.mute_button, self.prev_button, self.next_button,
                       self.all_button, self.system_button, self.save_button):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the keys go to the viewer itself
        row.addWidget(self.prev_button)
        row.addWidget(self.info, 1, Qt.AlignmentFlag.AlignCenter)
        row.addWidget(self.all_button)
        row.addWidget(self.system_button)
        row.addWidget(self.save_button)
        row.addWidget(self.next_button)
        layout.addLayout(row)
        self.note = QLabel(self)  # where the last save went, or what the system player said
        self.note.setObjectName("Muted")
        self.note.setWordWrap(True)
        self.note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.note.hide()
        layout.addWidget(self.note, 0, Qt.AlignmentFlag.AlignCenter)
        QShortcut(QKeySequence("Ctrl+S"), self).activated.connect(self.save)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        grid.saved.connect(self._saved)

    # ----- what is shown ------------------------------------------------------------------
    def count(self) -> int:
        return self.grid.image_count()

    @property
    def pane(self) -> VideoPane | None:
        """The pane the controls follow: the video shown (or picked among several)."""
        for pane in self.panes:
            if pane.index == self.index:
                return pane
        return self.panes[0] if self.panes else None

    def show_video(self, index: int) -> None:
        """Show (and play) video `index`; side by side, it becomes the one the controls follow."""
        self.index = index
        if self.side_by_side and self.panes:
            for pane in self.panes:
                pane.set_current(pane.index == index)
        else:
            self._build([index], play=self.wants_play)
        self._update_info()
        self._update_controls()

    def set_side_by_side(self, on: bool) -> None:
        """All of the job's videos side by side (on), or only the current one (off), starting
        where the current one was."""
        if on == self.side_by_side and self.panes:
            return
        self.side_by_side = on
        if self.all_button.isChecked() != on:
            self.all_button.setChecked(on)
        at = self.pane.position() if self.pane is not None else 0
        self._build(list(range(self.count())) if on else [self.index], start_at=at, play=self.wants_play)
        self._update_info()

    def _build(self, indexes: list[int], *, start_at: int = 0, play: bool = True) -> None:
        for pane in self.panes:
            pane.unload()
            pane.deleteLater()
        self.panes = []
        columns = 1 if len(indexes) == 1 else 2
        for n, index in enumerate(indexes):
            pane = VideoPane(index, self.stage)
            pane.changed.connect(self._update_controls)
            pane.failed.connect(lambda _text: self._update_controls())
            pane.clicked.connect(self._pane_clicked)
            self.stage_layout.addWidget(pane, n // columns, n % columns)
            self.panes.append(pane)
            source = self.grid.media_source(index)
            if source is None:
                pane.message = f"Video {index + 1} is not downloaded yet."
                continue
            pane.load(source, self.grid.poster(index), loop=self.loop, muted=self.muted)
            if start_at:
                pane.seek(start_at)
            if play:
                pane.play()
            pane.set_current(len(indexes) > 1 and index == self.index)
        problem = backend.problem()
        self.problem.setText(problem or "")
        self.problem.setVisible(bool(problem))
        self._update_controls()

    def _pane_clicked(self, index: int) -> None:
        if self.side_by_side:
            self.show_video(index)
        else:
            self.toggle()

    # ----- transport ----------------------------------------------------------------------
    def toggle(self) -> None:
        """Play or pause every video on show together."""
        pane = self.pane
        if pane.playing() if pane is not None and pane.ready else self.wants_play:
            self.pause()
        else:
            self.play()

    def play(self) -> None:
        self.wants_play = True
        for pane in self.panes:
            pane.play()

    def pause(self) -> None:
        self.wants_play = False
        for pane in self.panes:
            pane.pause()

    def seek(self, ms: int) -> None:
        """Every video on show to the same moment (each stops at its own end)."""
        for pane in self.panes:
            pane.seek(ms)
        self._update_time(ms)

    def set_loop(self, on: bool) -> None:
        self.loop = on
        if self.loop_button.isChecked() != on:
            self.loop_button.setChecked(on)
        for pane in self.panes:
            pane.set_loop(on)

    def set_muted(self, on: bool) -> None:
        self.muted = on
        if self.mute_button.isChecked() != on:
            self.mute_button.setChecked(on)
        for pane in self.panes:
            pane.set_muted(on)

    def _scrub_started(self) -> None:
        self._scrubbing = True
        self._resume_after_scrub = self.wants_play
        self.pause()  # each move shows its frame; playing on from there comes after release

    def _scrub_ended(self) -> None:
        self._scrubbing = False
        self.seek(self.slider.value())
        if self._resume_after_scrub:
            self.play()

    def _slider_action(self, _action: int) -> None:
        # A click on the groove or a key on the slider: go where it now points.
        if not self._scrubbing:
            self.seek(self.slider.sliderPosition())

    def step(self, delta: int) -> None:
        n = self.count()
        if n > 1:
            self.show_video((self.index + delta) % n)

    # ----- files --------------------------------------------------------------------------
    def open_in_system_player(self) -> None:
        self.pause()
        text = backend.open_in_system_player(self.grid.media_source(self.index), f"video {self.index + 1}")
        self.note.setText(text)
        self.note.show()

    # ----- the controls follow the current video ------------------------------------------
    def _update_controls(self) -> None:
        if not shiboken6.isValid(self):
            return
        pane = self.pane
        ready = pane is not None and pane.ready
        reason = backend.problem() or (pane.message if pane is not None else None)
        for widget in (self.play_button, self.slider, self.loop_button, self.mute_button):
            widget.setEnabled(ready)
            if not ready and reason:
                widget.setToolTip(reason)
        # Where nothing plays here, the desktop's player is the way to watch it.
        if bool(self.system_button.property("primary")) != (not ready):
            self.system_button.setProperty("primary", not ready)
            self.system_button.style().unpolish(self.system_button)
            self.system_button.style().polish(self.system_button)
        if not ready:
            self.play_button.setText("Play")
            return
        self.play_button.setToolTip("Play or pause (Space)")
        self.loop_button.setToolTip("Play again from the start at the end (L)")
        self.slider.setToolTip("Drag to scrub; paused, the picture is the exact frame")
        self.play_button.setText("Pause" if pane.playing() else "Play")
        sound = any(p.has_audio() for p in self.panes)
        self.mute_button.setEnabled(sound)
        self.mute_button.setToolTip("Mute the sound (M)" if sound else "This video has no sound")
        duration = pane.duration()
        if self.slider.maximum() != duration:
            self.slider.setRange(0, max(0, duration))
            self.slider.setPageStep(max(1, duration // 10))
            self.slider.setSingleStep(max(1, duration // 100))
        if not self._scrubbing:
            self.slider.blockSignals(True)
            self.slider.setValue(pane.position())
            self.slider.blockSignals(False)
            self._update_time(pane.position())

    def _update_time(self, ms: int) -> None:
        pane = self.pane
        self.time_label.setText(f"{clock_text(ms)} / {clock_text(pane.duration() if pane else 0)}")

    def _update_info(self) -> None:
        entry = self.grid.entry
        n = self.count()
        parts = [f"{n} videos side by side" if self.side_by_side and n > 1 else f"video {self.index + 1} of {n}"]
        decoded = self.grid.decoded(self.index)
        if decoded is not None:
            parts.append(f"{decoded.width}×{decoded.height}")
        if entry is not None and entry.job_id:
            parts.append(f"job {entry.job_id[:8]}")  # the whole id in the tooltip
        self.info.setText(" · ".join(parts))
        self.info.setToolTip(f"Job {entry.job_id}" if entry is not None and entry.job_id else "")
        self.setWindowTitle(f"Video {self.index + 1}" + (f" — {entry.task_type.replace('_', ' ')}" if entry else ""))
        many = n > 1
        self.prev_button.setEnabled(many)
        self.next_button.setEnabled(many)
        self.all_button.setEnabled(many)
        self.all_button.setToolTip("Play all of this job's videos together" if many else "This job made one video")

    # ----- window -------------------------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        key = event.key()
        if key == Qt.Key.Key_Space:
            self.toggle()
        elif key == Qt.Key.Key_Left:
            self.step(-1)
        elif key == Qt.Key.Key_Right:
            self.step(1)
        elif key == Qt.Key.Key_L:
            self.set_loop(not self.loop)
        elif key == Qt.Key.Key_M and self.mute_button.isEnabled():
            self.set_muted(not self.muted)
        elif key == Qt.Key.Key_Home:
            self.seek(0)
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    def hideEvent(self, event: Any) -> None:  # noqa: N802
        for pane in self.panes:  # a hidden viewer plays nothing (and holds no decoder)
            pane.unload()
        super().hideEvent(event)

    def showEvent(self, event: Any) -> None:  # noqa: N802
        super().showEvent(event)
        if self.panes and all(p.player is None and p.message is None for p in self.panes):
            self._build([p.index for p in self.panes], play=self.wants_play)  # shown again after a hide
