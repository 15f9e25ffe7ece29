"""Send for an expensive action (UI.md: "a second click or Enter confirms expensive ones such as
video or 12K upscale"): the first press arms the button and shows the cost on it, the second
sends, and any change of what would be sent starts over. Used by the grid's action popovers and
the Animate-from-URL box, so both ask the same way."""

from __future__ import annotations

from PySide6.QtWidgets import QPushButton


class SecondClick:
    """Arms `button` (whose resting label is `word`) on a first press; `press` says whether a
    press sends."""

    def __init__(self, button: QPushButton, word: str) -> None:
        self.button = button
        self.word = word
        self.armed = False

    def reset(self) -> None:
        """What would be sent changed: the next press arms again."""
        self.armed = False
        self.button.setText(self.word)

    def press(self, cost: str) -> bool:
        """True when this press sends; the first only arms, showing `cost` ("480 credits")."""
        if self.armed:
            return True
        self.armed = True
        self.button.setText(f"Confirm · {cost}")
        self.button.setToolTip(f"Click again (or press Enter) to send and spend {cost}; change anything to start over")
        return False
