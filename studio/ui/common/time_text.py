"""How the studio writes a job's running time for people ("42 s", "3 min 07 s", "1 h 05 min"),
the same in the queue's rows and under the grid."""

from __future__ import annotations


def elapsed_text(seconds: float) -> str:
    """Whole seconds passed, like a stopwatch: 59.9 s is still "59 s"."""
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"
