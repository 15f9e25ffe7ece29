"""Walking back through the prompts sent before, like a shell's history: the first step back
keeps the draft being typed, stepping forward past the newest gives it back, and any other
change of the text (typing, a panel edit, undo) ends the walk, so the next step back starts
again from the newest. The prompts come from a source (the store's, newest first), read once
when a walk starts, so a job sent since the last walk is in the next one."""

from __future__ import annotations

from collections.abc import Callable

RecallSource = Callable[[], list[str]]


def _no_prompts() -> list[str]:
    return []


class PromptRecall:
    """Plain Python (no Qt): PromptState turns each step into one undoable text change."""

    def __init__(self, source: RecallSource | None = None) -> None:
        self.source: RecallSource = source or _no_prompts
        self._prompts: list[str] | None = None  # this walk's list; None: not walking
        self._index = -1  # -1: at the draft
        self._draft = ""
        self._shown = ""  # the text the walk put in the editor last

    @property
    def walking(self) -> bool:
        return self._prompts is not None

    def reset(self) -> None:
        self._prompts, self._index = None, -1

    def _read(self) -> list[str]:
        try:
            return [p for p in self.source() if isinstance(p, str) and p.strip()]
        except Exception:  # noqa: BLE001  an unreadable store: nothing to recall, typing goes on
            return []

    def _still_walking(self, current: str) -> bool:
        if self._prompts is not None and current != self._shown:
            self.reset()  # the text was changed since the last step: that ends the walk
        return self._prompts is not None

    def older(self, current: str) -> str | None:
        """The prompt before the one shown (None: there is none)."""
        if not self._still_walking(current):
            self._draft = current
            self._prompts = [p for p in self._read() if p != current]
            self._index = -1
        assert self._prompts is not None
        if self._index + 1 >= len(self._prompts):
            if not self._prompts:
                self.reset()
            return None
        self._index += 1
        self._shown = self._prompts[self._index]
        return self._shown

    def newer(self, current: str) -> str | None:
        """The prompt after the one shown; past the newest, the draft (None: not walking)."""
        if not self._still_walking(current) or self._index < 0:
            return None
        assert self._prompts is not None
        self._index -= 1
        if self._index < 0:
            draft = self._draft
            self.reset()
            return draft
        self._shown = self._prompts[self._index]
        return self._shown

    def recent(self, limit: int = 15) -> list[str]:
        """The newest `limit` prompts (for a menu), read now."""
        return self._read()[:max(0, limit)]
