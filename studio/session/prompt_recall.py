"""Walking back through the prompts sent before, like a shell's history: the first step back
keeps the draft being typed, stepping forward past the newest gives it back, typing ends the
walk. The prompts come from a source (the store's, newest first), read once per walk."""

from __future__ import annotations

from collections.abc import Callable


class PromptRecall:
    def __init__(self, source: Callable[[], list[str]] | None = None) -> None:
        self.source = source or (lambda: [])
        self._prompts: list[str] | None = None  # this walk's list
        self._index = -1  # -1: at the draft
        self._draft = ""

    @property
    def walking(self) -> bool:
        return self._prompts is not None

    def reset(self) -> None:
        self._prompts, self._index = None, -1

    def older(self, current: str) -> str | None:
        """The prompt before the one shown (None: there is none)."""
        if self._prompts is None:
            try:
                prompts = list(self.source())
            except Exception:  # an unreadable store: nothing to recall, typing goes on
                prompts = []
            self._draft = current
            self._prompts = [p for p in prompts if p != current]
            self._index = -1
        if self._index + 1 >= len(self._prompts):
            return None
        self._index += 1
        return self._prompts[self._index]

    def newer(self) -> str | None:
        """The prompt after the one shown; past the newest, the draft (None: not walking)."""
        if self._prompts is None or self._index < 0:
            return None
        self._index -= 1
        if self._index < 0:
            draft = self._draft
            self.reset()
            return draft
        return self._prompts[self._index]

    def recent(self, limit: int = 15) -> list[str]:
        try:
            return list(self.source())[:limit]
        except Exception:
            return []
