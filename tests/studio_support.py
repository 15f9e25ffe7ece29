"""Building and closing a whole Studio (window + session + backend) in a test: one way for every
test file that drives the real window."""

from __future__ import annotations

from studio.app import Studio
from studio.session.settings import KeyStore
from studio.session.tasks import spawn


def build_studio(qtbot, *, size=(1280, 820), **options) -> Studio:
    """A Studio with its window shown (not yet connected); polling sped up 200×."""
    options.setdefault("poll_time_scale", 1 / 200)
    studio = Studio(**options)
    window = studio.build_window()
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    return studio


def start_studio(qtbot, *, key: str | None = "test-key", base_url: str | None = None, size=(1280, 820),
                 **options) -> Studio:
    """`build_studio`, with `key` as the session key, connected to `base_url` (the sandbox if None)."""
    keys = KeyStore()
    if key:
        keys.set_session_key(key)
    studio = build_studio(qtbot, size=size, base_url=base_url, keys=keys, **options)
    spawn(studio.connect(), name="connect")
    qtbot.waitUntil(lambda: studio.client is not None, timeout=10000)
    return studio


def stop_studio(qtbot, studio: Studio) -> None:
    task = spawn(studio.aclose(), name="close")
    qtbot.waitUntil(task.done, timeout=10000)


def settle_lint(qtbot, state, timeout: int = 2000) -> None:
    """Wait for the lint that typing left pending: the prompt is linted once typing pauses
    (studio.session.prompt_state), and lint_changed redraws the views then."""
    qtbot.waitUntil(lambda: not state.lint_pending(), timeout=timeout)


def shown(qtbot, widget, size=(420, 300)):
    """`widget` on screen at `size`, owned by the test, exposed before it returns."""
    qtbot.addWidget(widget)
    widget.resize(*size)
    widget.show()
    qtbot.waitExposed(widget)
    return widget
