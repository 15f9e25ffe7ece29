"""Credits in words, and the credits figure of an account balance: one way everywhere.

Pure Python below every layer (like studio.paths), so the session layer's messages and the
widgets format credits the same way.
"""

from __future__ import annotations

from typing import Any


def format_credits(value: int) -> str:
    """9840 → '9 840' (a thin space groups thousands the way UI.md shows them)."""
    return f"{int(value):,}".replace(",", "\u2009")


def credits_text(value: int) -> str:
    """9840 → '9 840 credits', 1 → '1 credit'."""
    return f"{format_credits(value)} credit" + ("" if int(value) == 1 else "s")


def balance_credits(balance: Any) -> int | None:
    """The credits an account balance (studio.api.models.Balance) has left, or None if unknown.

    The balance endpoint documents `available_credits`; some answers carry only
    `available_points`, which counts the same thing.
    """
    if balance is None:
        return None
    for name in ("available_credits", "available_points"):
        value = getattr(balance, name, None)
        if value is not None:
            return int(value)
    return None
