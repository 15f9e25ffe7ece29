""""Copy as cURL" and "Copy as Python (httpx)": the menu entries the queue, the history and the
grid share (labels from studio.api.request_text.FORMATS, the text from the session's
studio.session.request_copy), and the copy itself, which says what went on the clipboard."""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtGui import QAction, QGuiApplication

from studio.session import request_copy


def format_names() -> list[str]:
    from studio.api.request_text import FORMATS

    return list(FORMATS)


def label(style: str) -> str:
    from studio.api.request_text import FORMATS

    return f"Copy as {FORMATS[style].label}"


def copy_request(jobs: Any, key: str, style: str, say: Callable[[str], None]) -> bool:
    """Put job `key`'s request on the clipboard in `style`; `say` gets the words either way."""
    from studio.api.request_text import FORMATS, KEY_VARIABLE

    try:
        copied = request_copy.request_text(jobs, key, style)
    except request_copy.CopyRefused as exc:
        say(str(exc))
        return False
    QGuiApplication.clipboard().setText(copied.text)
    line = f"{FORMATS[style].label} copied: the key is read from ${KEY_VARIABLE}"
    say(line + (f" ({copied.note})." if copied.note else "."))
    return True


def copy_request_actions(jobs: Any, key: str, parent: Any, say: Callable[[str], None]) -> list[QAction]:
    """One action per format for job `key`, disabled with the reason when it has no request."""
    reason = request_copy.unavailable(jobs.stored(key))
    actions = []
    for style in format_names():
        action = QAction(label(style), parent)
        action.setObjectName(f"copy_request_{style}")
        if reason:
            action.setEnabled(False)
            action.setToolTip(reason)
        action.triggered.connect(lambda _checked=False, s=style: copy_request(jobs, key, s, say))
        actions.append(action)
    return actions
