"""The job on show: one value for the whole window (the grid draws it, the queue marks it, the
window announces what is not it), and the rule for when a job that ends takes its place.

The rule, as an artist expects it: the grid follows the newest job started from the prompt, and
shows it when it ends; it stops following once the artist picks a job to look at. A job started
from the grid (an upscale, a variation, a pan: a child) never takes the grid by itself, nor does
any job while the artist has a popover open on the grid: they are announced instead, and wait
in the queue.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal


class OnShow(QObject):
    changed = Signal(str)  # the key now on show ("" for none)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.key: str | None = None
        self._follow: str | None = None  # the newest job started from the prompt
        self._pinned = False  # the artist chose what to look at
        self._busy: list[Callable[[], bool]] = []  # e.g. "a popover is open on the grid"

    def show(self, key: str | None, *, pinned: bool = False) -> None:
        """Put this job on show (None: nothing). `pinned`: the artist chose it, so newer jobs
        stop taking its place. Emits `changed` even for the same key (views re-sync)."""
        if pinned:
            self._pinned = True
        self.key = key
        self.changed.emit(key or "")

    def started(self, key: str, *, from_prompt: bool) -> None:
        """A job was just started. One from the prompt becomes the one to follow; with nothing
        on show it is shown at once (its tiles wait for it)."""
        if not from_prompt:
            return
        self._follow, self._pinned = key, False
        if self.key is None:
            self.show(key)

    def finished(self, key: str, *, ok: bool, still_running: list[str], shown_failed: bool = False) -> bool:
        """A job ended; True if it is now on show. A failed followed job hands the following
        on to the newest job still running from the prompt (`still_running`, oldest first);
        it takes the place only of a job on show that has nothing to show either
        (`shown_failed`), so the grid never tells an older failure than the latest."""
        if key != self._follow or self._pinned:
            return False
        if not ok:
            self._follow = still_running[-1] if still_running else None
            if not shown_failed or any(busy() for busy in self._busy):
                return False
            self.show(key)
            return True
        if any(busy() for busy in self._busy):
            self._pinned = True  # the artist is busy here: what they look at stays
            return False
        self.show(key)
        return True

    def following(self, key: str) -> bool:
        return key == self._follow and not self._pinned

    def add_busy_check(self, check: Callable[[], bool]) -> None:
        """While `check()` is true, no ending job takes the grid (a view registers it)."""
        self._busy.append(check)

    def forget(self, key: str) -> None:
        """A job left the session (hidden or deleted): nothing on show, or followed, by it."""
        if self._follow == key:
            self._follow = None
        if self.key == key:
            self.show(None)
