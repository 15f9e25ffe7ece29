"""The prompt field of the editors and dialogs, checked live by `studio.prompt.lint`.

Shows the first error (red) or warning (amber) under the field, and knows the credit cost of
the operation for the current text, so the editor can print it before anything is sent.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from studio.prompt import lint

MAX_PROMPT_CHARS = 8192  # remixPrompt: 1–8192 characters (REFERENCE.md)


class PromptBox(QWidget):
    changed = Signal()

    def __init__(self, title: str, task: str, *, text: str = "", model: str | None = None,
                 required: bool = True, placeholder: str = "", lines: int = 4,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.task = task
        self.model = model
        self.required = required
        self.title = QLabel(title.upper(), self)
        self.title.setObjectName("SectionTitle")
        self.edit = QPlainTextEdit(self)
        self.edit.setObjectName("PromptField")
        self.edit.setPlaceholderText(placeholder)
        self.edit.setTabChangesFocus(True)
        self.edit.setPlainText(text)
        line = QFontMetrics(self.edit.font()).lineSpacing()
        self.edit.setFixedHeight(line * lines + 16)
        self.note = QLabel(self)
        self.note.setWordWrap(True)
        self.note.setObjectName("Muted")
        col = QVBoxLayout(self)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(5)
        col.addWidget(self.title)
        col.addWidget(self.edit)
        col.addWidget(self.note)
        self._result = None
        self.edit.textChanged.connect(self._changed)
        self._changed()

    def text(self) -> str:
        return self.edit.toPlainText().strip()

    def set_text(self, text: str) -> None:
        self.edit.setPlainText(text)

    def _run_lint(self, text: str):
        try:
            return lint(text, model=self.model, task=self.task)
        except ValueError:  # a task the cost tables do not know: still check the words
            return lint(text, model=self.model)

    def _changed(self) -> None:
        text = self.text()
        self._result = self._run_lint(text) if text else None
        problem = self.problem() if text else None  # an empty field is not an error until Apply
        if problem:
            self._show(problem, "ErrorText")
        else:
            warnings = [d for d in (self._result.diagnostics if self._result else []) if d.severity == "warning"]
            if warnings:
                self._show(warnings[0].message, "WarningText")
            else:
                self._show("", "Muted")
        self.changed.emit()

    def _show(self, text: str, role: str) -> None:
        self.note.setObjectName(role)
        self.note.setText(text)
        self.note.setVisible(bool(text))
        self.note.style().unpolish(self.note)
        self.note.style().polish(self.note)

    def problem(self) -> str | None:
        """Why this prompt cannot be sent, or None."""
        text = self.text()
        if not text:
            return "Type a prompt: it tells the model what to paint." if self.required else None
        if len(text) > MAX_PROMPT_CHARS:
            return f"The prompt has {len(text)} characters; at most {MAX_PROMPT_CHARS} are allowed."
        if self._result is not None and self._result.errors:
            return self._result.errors[0].message
        return None

    def credits(self, fallback_text: str = "") -> int | None:
        """Credits the operation will freeze for this prompt (or `fallback_text` when empty)."""
        result = self._result
        if result is None:
            try:
                result = self._run_lint(fallback_text)
            except Exception:  # a cost estimate must never break the editor
                return None
        return result.cost.credits if result is not None else None

    def focus(self) -> None:
        self.edit.setFocus(Qt.FocusReason.OtherFocusReason)
