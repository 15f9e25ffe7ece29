"""Keys in the action popovers: one Enter is one request (never two, never on Cancel).

Counted where it matters — the POSTs the sandbox received — and, for every popover kind, the
`submitted` signals the grid would turn into jobs.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QPushButton, QWidget

from studio.ui.grid.action_dialogs import ActionContext, OptionsPopover, make_popover
from studio.ui.grid.actions import ACTIONS, FLOW_EDITOR, spec_for
from test_ui_grid_support import RECIPES, GridEnv, env  # noqa: F401  (fixture)

ENDPOINT = {"remix": "/v1/remix", "variation": "/v1/variation", "upscale": "/v1/upscale"}


def _press(widget: QWidget, key: Qt.Key = Qt.Key.Key_Return, *, repeat: bool = False) -> None:
    QApplication.sendEvent(widget, QKeyEvent(QEvent.Type.KeyPress, key, Qt.KeyboardModifier.NoModifier,
                                             "\r", repeat))


def _open(qtbot, env: GridEnv, name: str, image_no: int):
    qtbot.mouseClick(env.grid.button(name, image_no), Qt.MouseButton.LeftButton)
    popover = env.grid.active_popover
    assert popover is not None and popover.isVisible() and popover.spec.name == name
    return popover


@pytest.mark.parametrize("name", ["remix", "variation"])
def test_enter_in_the_prompt_field_sends_one_request(qtbot, env, name):
    parent = RECIPES["diffusion"](env)
    env.show(parent)
    popover = _open(qtbot, env, name, 1)
    popover.prompt_edit.setFocus()
    popover.prompt_edit.setText("the same cliff at night")
    entries = len(env.jobs.entries())
    before = len(env.requests_to(ENDPOINT[name]))

    qtbot.keyClick(popover.prompt_edit, Qt.Key.Key_Return)

    # the popover's submit reaches the session synchronously: a second send would be here now
    assert len(env.jobs.entries()) == entries + 1
    child = env.jobs.entries()[-1]
    qtbot.waitUntil(lambda: child.finished, timeout=10000)
    assert child.ok, child.error
    posts = env.requests_to(ENDPOINT[name])[before:]
    assert len(posts) == 1 and posts[0]["remixPrompt"] == "the same cliff at night"
    assert env.grid.active_popover is None


def test_tab_to_cancel_then_enter_cancels(qtbot, env):
    parent = RECIPES["diffusion"](env)
    env.show(parent)
    before = [r for r in env.sandbox.state.requests if r.method == "POST"]
    popover = _open(qtbot, env, "upscale", 0)
    # the focus starts on the chosen option; Tab walks to Cancel (before Send)
    for _ in range(6):
        if popover.cancel_button.hasFocus():
            break
        qtbot.keyClick(QApplication.focusWidget() or popover, Qt.Key.Key_Tab)
    if not popover.cancel_button.hasFocus():  # a platform without popup focus: place it there
        popover.cancel_button.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.keyClick(popover.cancel_button, Qt.Key.Key_Return)

    assert len(env.jobs.entries()) == 1  # only the parent: nothing was submitted
    assert [r for r in env.sandbox.state.requests if r.method == "POST"] == before
    assert not popover.isVisible()


def _popover_specs() -> list[str]:
    return [spec.name for spec in ACTIONS if spec.flow != FLOW_EDITOR]


@pytest.mark.parametrize("name", _popover_specs())
def test_every_popover_sends_at_most_once(qtbot, name):
    spec = spec_for(name)
    host = QWidget()
    qtbot.addWidget(host)
    host.show()
    anchor = QPushButton("anchor", host)
    image_no = None if spec.name == "reroll" else 0  # reroll acts on the whole job
    popover = make_popover(spec, ActionContext("job-1", image_no, prompt="a castle on a cliff", model="7"), host)
    sent: list[tuple[str, dict]] = []
    popover.submitted.connect(lambda op, kwargs: sent.append((op, kwargs)))
    popover.show_at(anchor)
    edit = getattr(popover, "prompt_edit", None)
    target: QWidget = popover.send_button
    if edit is not None:
        edit.setText("a castle at night")
        edit.setFocus()
        target = edit
    # a held Enter: the press, then auto-repeats while the popover is closing
    _press(target)
    _press(target, repeat=True)
    _press(target, repeat=True)
    popover.send()  # and a click that lands on Send as it goes
    assert len(sent) == 1 and sent[0][0] == spec.op


def test_enter_on_an_option_sends_with_that_option(qtbot):
    host = QWidget()
    qtbot.addWidget(host)
    host.show()
    popover = make_popover(spec_for("upscale"), ActionContext("job-1", 2, prompt="a castle"), host)
    assert isinstance(popover, OptionsPopover)
    sent: list[dict] = []
    popover.submitted.connect(lambda _op, kwargs: sent.append(kwargs))
    popover.show_at(QPushButton("anchor", host))
    popover.choose("type", 1)
    _press(popover.segments["type"][1])
    assert sent == [{"job_id": "job-1", "image_no": 2, "type": 1}]
