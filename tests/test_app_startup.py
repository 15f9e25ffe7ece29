"""The start-up probe behind benchmarks/startup.py stamps after the window's first full frame:
never before the window painted, and only once its children have painted too."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QLabel, QMainWindow

from studio.app import _maybe_report_startup


class _PaintSpy(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.painted = False

    def eventFilter(self, obj, event) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Paint:
            self.painted = True
        return False


def test_no_probe_without_the_environment_variable(qtbot, monkeypatch):
    monkeypatch.delenv("LEGNEXT_STUDIO_STARTUP_PROBE", raising=False)
    window = QMainWindow()
    qtbot.addWidget(window)
    assert _maybe_report_startup(window) is None


def test_probe_stamps_once_after_the_children_painted(qtbot, monkeypatch, capsys):
    monkeypatch.setenv("LEGNEXT_STUDIO_STARTUP_PROBE", "1")
    window = QMainWindow()
    qtbot.addWidget(window)
    child = QLabel("the deepest child")
    window.setCentralWidget(child)
    spy = _PaintSpy()
    child.installEventFilter(spy)
    probe = _maybe_report_startup(window)

    probe.report()  # as run() does after processEvents: nothing painted yet, so no stamp
    assert "window-shown" not in capsys.readouterr().out

    child_painted_at_stamp: list[bool] = []
    stamp = probe.report

    def report() -> None:
        if not probe.reported:
            child_painted_at_stamp.append(spy.painted)
        stamp()

    probe.report = report  # the zero timer posted from the first Paint calls this
    window.show()
    qtbot.waitUntil(lambda: probe.reported, timeout=5000)
    probe.report()  # a second call stamps nothing more
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("window-shown ")]
    assert len(lines) == 1 and len(lines[0].split()) == 3
    assert child_painted_at_stamp == [True]
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=5000)  # then it closes the window
