"""The problems list under the prompt editor: one row per diagnostic, worst first.

A row shows a coloured severity mark and the message; clicking it (or Enter) asks the editor to
select the span; a row whose diagnostic carries a fix has a "Fix" button. Only a few rows show
at once so the list never pushes the Generate button off a short dock; the rest fold behind a
"n more" toggle.
"""

from __future__ import annotations

import html
import re

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent, QMouseEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QSizePolicy, QToolButton, QVBoxLayout, QWidget

from studio.prompt import Diagnostic
from studio.ui.prompt.highlighter import severity_color

_RANK = {"error": 0, "warning": 1, "info": 2}
_MARK = {"error": "●", "warning": "▲", "info": "ℹ"}  # shape as well as colour (colour-blind users)
_CODE = re.compile(r"`([^`]+)`")


def fix_label(diagnostic: Diagnostic, text: str) -> str:
    """What the Fix button will do, for its tooltip: "Remove `--q 2`" / "Replace with `--ar`"."""
    start, end = diagnostic.span
    target = text[start:end]
    if diagnostic.fix == "":
        return f"Remove “{target}”"
    return f"Replace “{target}” with “{diagnostic.fix}”"


def rich_message(message: str) -> str:
    """The message as rich text with `code` spans in a fixed-width font."""
    escaped = html.escape(message)
    return _CODE.sub(lambda m: f"<code>{m.group(1)}</code>", escaped)


def _look(d: Diagnostic) -> tuple[str, str, str, bool]:
    """What a row shows: equal looks can reuse the row."""
    return (d.severity, d.code, d.message, d.fix is not None)


class ProblemRow(QFrame):
    """One diagnostic: severity mark, message, optional Fix button."""

    activated = Signal(object)  # Diagnostic: jump to it
    fix_requested = Signal(object)  # Diagnostic

    def __init__(self, diagnostic: Diagnostic, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.diagnostic = diagnostic
        self.setObjectName("ProblemRow")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setProperty("severity", diagnostic.severity)
        color = severity_color(diagnostic.severity).name()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 3, 4, 3)
        layout.setSpacing(6)
        self.mark = QLabel(_MARK.get(diagnostic.severity, "•"))
        self.mark.setStyleSheet(f"color: {color};")
        self.mark.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignHCenter)
        self.mark.setFixedWidth(self.fontMetrics().horizontalAdvance("●") + 4)
        self.mark.setAccessibleName(diagnostic.severity)
        layout.addWidget(self.mark, 0, Qt.AlignmentFlag.AlignTop)
        self.message = QLabel(rich_message(diagnostic.message))
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.RichText)
        self.message.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        self.setToolTip(f"{diagnostic.severity.capitalize()} · {diagnostic.code}\nClick to show it in the prompt")
        layout.addWidget(self.message, 1)
        self.fix_button: QToolButton | None = None
        if diagnostic.fix is not None:
            button = QToolButton()
            button.setText("Fix")
            button.setObjectName("FixButton")
            button.setToolTip(fix_label(diagnostic, text) + "  (Ctrl+.)")
            button.setCursor(Qt.CursorShape.PointingHandCursor)
            button.clicked.connect(lambda: self.fix_requested.emit(self.diagnostic))
            layout.addWidget(button, 0, Qt.AlignmentFlag.AlignTop)
            self.fix_button = button

    def resizeEvent(self, event) -> None:  # noqa: N802, ANN001
        # A wrapped message needs the height of its lines at the width it has now: layouts ask a
        # label its size for a guessed width, which cut two-line messages in half.
        super().resizeEvent(event)
        need = self.message.heightForWidth(self.message.width())
        if need > 0 and self.message.minimumHeight() != need:
            self.message.setMinimumHeight(need)

    def set_diagnostic(self, diagnostic: Diagnostic, text: str) -> None:
        """Same message, new span (the text moved around it)."""
        self.diagnostic = diagnostic
        if self.fix_button is not None:
            self.fix_button.setToolTip(fix_label(diagnostic, text) + "  (Ctrl+.)")

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            self.activated.emit(self.diagnostic)
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            self.activated.emit(self.diagnostic)
            return
        super().keyPressEvent(event)


class ProblemsList(QWidget):
    """Rows for the current diagnostics; hidden when there are none."""

    activated = Signal(object)  # Diagnostic
    fix_requested = Signal(object)  # Diagnostic

    MAX_FOLDED = 3

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ProblemsList")
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(1)
        self._rows: list[ProblemRow] = []
        self._expanded = False
        self._more = QToolButton()
        self._more.setObjectName("MoreProblems")
        self._more.setAutoRaise(True)
        self._more.clicked.connect(self._toggle_more)
        self._diagnostics: list[Diagnostic] = []
        self._text = ""
        self.setVisible(False)

    def set_diagnostics(self, diagnostics: list[Diagnostic], text: str) -> None:
        ordered = sorted(diagnostics, key=lambda d: (_RANK.get(d.severity, 3), d.span))
        if ordered == self._diagnostics and text == self._text:
            return
        same_rows = [_look(d) for d in ordered] == [_look(d) for d in self._diagnostics]
        self._diagnostics = ordered
        self._text = text
        if same_rows:
            # Typing elsewhere only moved the spans: keep the widgets, point them at the new ones.
            for row, diagnostic in zip(self._rows, ordered):
                row.set_diagnostic(diagnostic, text)
            return
        self._rebuild()

    def diagnostics(self) -> list[Diagnostic]:
        return list(self._diagnostics)

    def rows(self) -> list[ProblemRow]:
        return list(self._rows)

    def _rebuild(self) -> None:
        self.setUpdatesEnabled(False)
        for row in self._rows:
            self._layout.removeWidget(row)
            row.hide()  # deleteLater runs later; a visible old row would overlap the new ones
            row.deleteLater()
        self._rows = []
        self._layout.removeWidget(self._more)
        shown = self._diagnostics if self._expanded else self._diagnostics[: self.MAX_FOLDED]
        for diagnostic in shown:
            row = ProblemRow(diagnostic, self._text, self)
            row.activated.connect(self.activated)
            row.fix_requested.connect(self.fix_requested)
            self._layout.addWidget(row)
            self._rows.append(row)
        hidden = len(self._diagnostics) - len(shown)
        if hidden > 0 or (self._expanded and len(self._diagnostics) > self.MAX_FOLDED):
            self._more.setText(f"▸ {hidden} more" if hidden > 0 else "▴ fewer")
            self._layout.addWidget(self._more, 0, Qt.AlignmentFlag.AlignLeft)
            self._more.show()
        else:
            self._more.hide()
        self.setVisible(bool(self._diagnostics))
        self.setUpdatesEnabled(True)

    def _toggle_more(self) -> None:
        self._expanded = not self._expanded
        self._rebuild()
