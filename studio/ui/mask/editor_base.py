"""What the inpaint and canvas editors share: a window with the painter on the left, a side
panel on the right (prompt, options, the cost, a message line) and Cancel / Apply at its foot.

Nothing is sent from here: Apply checks everything, shows the first problem in the message line
and emits `submitted(op, kwargs)` only when the request is valid.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QColor, QImage, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from studio.ui.mask.icons import color
from studio.ui.mask.painter import MaskPainter

SIDE_WIDTH = 320


def editor_stylesheet() -> str:
    c = {role: color(role, fallback).name() for role, fallback in (
        ("window", "#1b1c1f"), ("surface", "#222327"), ("border", "#34363c"), ("raised", "#2d2f34"),
        ("text", "#e4e5e8"), ("muted", "#a2a5ad"), ("accent", "#6e8bff"), ("error", "#f0575d"),
        ("warning", "#f2a93b"), ("faint", "#6c6f77"),
    )}
    return f"""
QWidget#EditorWindow {{ background: {c['window']}; }}
QWidget#SidePanel, QWidget#SideBody {{ background: {c['surface']}; }}
QFrame#SideRule {{ background: {c['border']}; border: none; }}
QWidget#PainterBar, QWidget#PainterFoot {{ background: {c['surface']}; }}
QWidget#PainterBar {{ border-bottom: 1px solid {c['border']}; }}
QWidget#PainterFoot {{ border-top: 1px solid {c['border']}; }}
QFrame#PainterSeparator {{ background: {c['border']}; border: none; margin: 3px 0; }}
QToolButton:checked {{ background: {_mix(c['accent'], 0.22, c['surface'])}; border-color: {c['accent']}; color: {c['text']}; }}
QLabel#SectionTitle {{ color: {c['muted']}; font-size: 11px; font-weight: 600; letter-spacing: 0.5px; }}
QLabel#EditorTitle {{ color: {c['text']}; font-size: 16px; font-weight: 600; }}
QLabel#Muted {{ color: {c['muted']}; }}
QLabel#Hint {{ color: {c['faint']}; font-size: 11px; }}
QLabel#ErrorText {{ color: {c['error']}; }}
QLabel#WarningText {{ color: {c['warning']}; }}
QLabel#CostLine {{ color: {c['text']}; font-weight: 600; }}
QSpinBox::up-button, QSpinBox::down-button, QDoubleSpinBox::up-button, QDoubleSpinBox::down-button {{
    width: 0px; border: none;
}}
QFrame#Rule {{ background: {c['border']}; border: none; max-height: 1px; }}
"""


def _mix(hex_color: str, alpha: float, over: str) -> str:
    """`hex_color` at `alpha` over the `over` colour, as an opaque hex (QSS has no blending)."""
    a, b = QColor(hex_color), QColor(over)
    mix = [round(alpha * x + (1 - alpha) * y) for x, y in zip(a.getRgb()[:3], b.getRgb()[:3])]
    return QColor(*mix).name()


def rule() -> QFrame:
    line = QFrame()
    line.setObjectName("Rule")
    line.setFrameShape(QFrame.Shape.HLine)
    return line


def section(title: str) -> QLabel:
    label = QLabel(title.upper())
    label.setObjectName("SectionTitle")
    return label


class EditorWindow(QWidget):
    """A full editor view (its own window, over the main one) with obvious Apply / Cancel."""

    submitted = Signal(str, dict)
    cancelled = Signal()

    def __init__(self, image: QImage, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("EditorWindow")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setWindowTitle(f"{title} — Legnext Studio")
        self.setStyleSheet(editor_stylesheet())
        self._done = False
        self._discard = False  # the user agreed to lose the painted work
        self.discard_box: QMessageBox | None = None
        self._tried = False  # after a refused Apply, problems are shown in red
        self.painter = MaskPainter(image, self)
        self.painter.message.connect(self._tool_message)

        self.side = QWidget(self)
        self.side.setObjectName("SidePanel")
        self.side.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.side.setFixedWidth(SIDE_WIDTH)
        self.title = QLabel(title, self.side)
        self.title.setObjectName("EditorTitle")
        self.subtitle = QLabel(self.side)
        self.subtitle.setObjectName("Muted")
        self.subtitle.setWordWrap(True)

        body = QWidget()
        body.setObjectName("SideBody")
        self.body = QVBoxLayout(body)
        self.body.setContentsMargins(16, 4, 16, 8)
        self.body.setSpacing(10)
        scroll = QScrollArea(self.side)
        scroll.setWidget(body)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

        self.message = QLabel(self.side)
        self.message.setWordWrap(True)
        self.message.setObjectName("Muted")
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.cost_line = QLabel(self.side)
        self.cost_line.setObjectName("CostLine")
        self.cost_line.setWordWrap(True)
        self.cost_note = QLabel("Nothing is sent or charged until you press Apply.", self.side)
        self.cost_note.setObjectName("Hint")
        self.cost_note.setWordWrap(True)
        self.cancel_button = QPushButton("Cancel", self.side)
        self.apply_button = QPushButton("Apply", self.side)
        self.apply_button.setProperty("primary", True)
        self.apply_button.setDefault(True)
        self.apply_button.setToolTip("Send the request (Ctrl+Enter)")
        self.cancel_button.clicked.connect(self.close)
        self.apply_button.clicked.connect(self.apply)

        head = QVBoxLayout()
        head.setContentsMargins(16, 14, 16, 6)
        head.setSpacing(2)
        head.addWidget(self.title)
        head.addWidget(self.subtitle)
        foot = QVBoxLayout()
        foot.setContentsMargins(16, 8, 16, 14)
        foot.setSpacing(6)
        foot.addWidget(self.message)
        foot.addWidget(rule())
        foot.addWidget(self.cost_line)
        foot.addWidget(self.cost_note)
        buttons = QHBoxLayout()
        buttons.setSpacing(8)
        buttons.addWidget(self.cancel_button, 1)
        buttons.addWidget(self.apply_button, 2)
        foot.addSpacing(4)
        foot.addLayout(buttons)
        side_col = QVBoxLayout(self.side)
        side_col.setContentsMargins(0, 0, 0, 0)
        side_col.setSpacing(0)
        side_col.addLayout(head)
        side_col.addWidget(scroll, 1)
        side_col.addLayout(foot)

        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self.painter, 1)
        side_rule = QFrame(self)
        side_rule.setObjectName("SideRule")
        side_rule.setFixedWidth(1)
        row.addWidget(side_rule)
        row.addWidget(self.side)

        for seq in ("Ctrl+Return", "Ctrl+Enter"):
            shortcut = QShortcut(QKeySequence(seq), self)
            shortcut.activated.connect(self.apply)
        self.painter.model.changed.connect(self.refresh)
        self._size_to_parent(parent)

    def _size_to_parent(self, parent: QWidget | None) -> None:
        window = parent.window() if parent is not None else None
        if window is not None and window.width() > 600:
            self.resize(int(window.width() * 0.92), int(window.height() * 0.92))
        else:
            self.resize(1280, 820)

    # ---- to be provided by the editors --------------------------------------------------------

    def problems(self) -> list[str]:
        """Everything that stops Apply, most important first."""
        raise NotImplementedError

    def request(self) -> tuple[str, dict]:
        """(op, kwargs) for JobsSession.submit; called only when `problems()` is empty."""
        raise NotImplementedError

    def credits(self) -> int | None:
        raise NotImplementedError

    def cost_text(self, credits: int | None) -> str:
        return f"{credits} credits" if credits is not None else "Cost unknown"

    # ---- flow ---------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Re-evaluate the message and cost lines after any change."""
        problems = self.problems()
        if problems:
            self._set_message(problems[0], "ErrorText" if self._tried else "Muted")
        else:
            self._set_message("Ready.", "Muted")
            self._tried = False
        self.cost_line.setText(self.cost_text(self.credits()))

    def _set_message(self, text: str, role: str) -> None:
        self.message.setObjectName(role)
        self.message.setText(text)
        self.message.style().unpolish(self.message)
        self.message.style().polish(self.message)

    def _tool_message(self, text: str) -> None:
        if text:
            self._set_message(text, "ErrorText")
        else:
            self.refresh()

    def apply(self) -> bool:
        """Send if valid: emits `submitted(op, kwargs)` and closes; otherwise says why."""
        from studio.api.errors import ValidationError

        tool = self.painter.current_tool()
        problems = []
        if tool is not None and tool.busy():
            problems.append("Finish the shape you are drawing first: Enter closes it, Esc cancels it.")
        problems += self.problems()
        if not problems:
            try:
                op, kwargs = self.request()
            except ValidationError as exc:  # the API layer's own rules, should they disagree
                problems = [exc.user_message]
        if problems:
            self._tried = True
            self._set_message(problems[0], "ErrorText")
            return False
        self._done = True
        self.submitted.emit(op, kwargs)
        self.close()
        return True

    def unsaved_work(self) -> bool:
        """True while closing would lose something painted or placed (undo is not at its start)."""
        return not self.painter.model.undo_stack.isClean()

    def _ask_to_discard(self) -> None:
        """Non-modal (`open()`): a nested exec() loop would stall every running job under qasync."""
        if self.discard_box is None:
            box = QMessageBox(QMessageBox.Icon.Question, self.windowTitle(),
                              "Close the editor and discard what you painted?", parent=self)
            box.setInformativeText("Nothing has been sent or charged.")
            box.setStandardButtons(QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel)
            box.button(QMessageBox.StandardButton.Cancel).setText("Keep editing")
            box.setDefaultButton(QMessageBox.StandardButton.Cancel)
            box.finished.connect(self._discard_answered)
            self.discard_box = box
        self.discard_box.open()

    def _discard_answered(self, result: int) -> None:
        if result == QMessageBox.StandardButton.Discard:
            self._discard = True
            self.close()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if not self._done and not self._discard and self.unsaved_work():
            event.ignore()
            self._ask_to_discard()
            return
        if not self._done:
            self._done = True
            self.cancelled.emit()
        super().closeEvent(event)
