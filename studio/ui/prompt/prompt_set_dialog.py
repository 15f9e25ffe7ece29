"""Before a text that stands for several prompts is sent: each prompt, its model, its own cost
and findings, and the total — one confirmation sends them all (UI.md: every costly action
shows its cost first; nothing is charged by a misclick).

Window-modal but opened with `open()` (never a nested event loop under qasync). What it shows
comes from the prompt's lint (studio.prompt.lint_set): this module only lays it out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QLabel, QListWidget, QListWidgetItem, QPushButton,
                               QVBoxLayout, QWidget)

from studio.credits import credits_text
from studio.prompt import LintResult
from studio.prompt.support import model_label
from studio.ui.prompt.highlighter import muted_color, severity_color


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


class PromptSetDialog(QDialog):
    """The prompts about to be sent, with the total; `send` is called with them on Send."""

    def __init__(self, texts: Sequence[str], results: Sequence[LintResult], send: Callable[[list[str]], object],
                 parent: QWidget | None = None, *, balance: int | None = None, again: bool = False) -> None:
        super().__init__(parent)
        self.setObjectName("PromptSetDialog")
        self.texts = list(texts)
        self.results = list(results)
        self._send = send
        n = len(self.texts)
        total = sum(r.cost.credits for r in self.results)
        self.total = total
        self.setWindowTitle(f"Send {_plural(n, 'prompt')}?")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        layout = QVBoxLayout(self)
        layout.setSpacing(8)
        what = "This set" if again else "The {…} sets in the prompt"
        self.heading = QLabel(f"{what} make{'s' if again else ''} {_plural(n, 'prompt')}, each sent as its "
                              "own job and kept together in the queue and the history.")
        self.heading.setWordWrap(True)
        layout.addWidget(self.heading)

        self.list = QListWidget()
        self.list.setObjectName("PromptSetList")
        self.list.setWordWrap(True)
        self.list.setAlternatingRowColors(True)
        self.list.setSelectionMode(QListWidget.SelectionMode.NoSelection)
        self.list.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        for i, (text, result) in enumerate(zip(self.texts, self.results), 1):
            found = [d for d in result.diagnostics if d.severity in ("error", "warning")]
            line = f"{i}.  {text}\n      {model_label(result.model)} · {credits_text(result.cost.credits)}"
            if found:
                line += " · " + "; ".join(d.message.replace("`", "") for d in found[:2])
            item = QListWidgetItem(line)
            item.setToolTip("\n".join([text, ""] + [f"• {r}" for r in result.cost.reasons]
                                      + [f"{d.severity.capitalize()}: {d.message.replace('`', '')}" for d in found]))
            if any(d.severity == "error" for d in found):
                item.setForeground(severity_color("error"))
            elif found:
                item.setForeground(severity_color("warning"))
            self.list.addItem(item)
        self.list.setMinimumHeight(min(360, 44 * max(2, n)))
        layout.addWidget(self.list, 1)

        models = " + ".join(dict.fromkeys(model_label(r.model) for r in self.results))
        summary = f"{_plural(n, 'prompt')} · {models} · total {credits_text(total)}"
        if balance is not None:
            summary += f" (balance {credits_text(balance)})"
        self.summary = QLabel(summary)
        self.summary.setObjectName("PromptSetTotal")
        font = self.summary.font()
        font.setBold(True)
        self.summary.setFont(font)
        layout.addWidget(self.summary)
        self.blocked = [i for i, r in enumerate(self.results, 1) if not r.ok]
        if self.blocked:
            note = QLabel(f"Prompt{'s' if len(self.blocked) > 1 else ''} "
                          f"{', '.join(map(str, self.blocked))} would be refused: fix "
                          f"{'them' if len(self.blocked) > 1 else 'it'} first. Nothing is sent.")
            note.setWordWrap(True)
            note.setStyleSheet(f"color: {severity_color('error').name()};")
            layout.addWidget(note)
        else:
            hint = QLabel("Enter sends them all; Esc sends nothing.")
            hint.setStyleSheet(f"color: {muted_color().name()};")
            layout.addWidget(hint)

        buttons = QDialogButtonBox()
        self.send_button: QPushButton = buttons.addButton(f"Send {_plural(n, 'prompt')} · {credits_text(total)}",
                                                          QDialogButtonBox.ButtonRole.AcceptRole)
        self.send_button.setObjectName("SendSet")
        self.send_button.setProperty("primary", True)
        self.send_button.setEnabled(not self.blocked)
        self.send_button.setDefault(not self.blocked)
        self.cancel_button = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(640, min(560, 220 + 44 * n))

    def _accept(self) -> None:
        if self.blocked:
            return
        self.accept()
        self._send(list(self.texts))


__all__ = ["PromptSetDialog"]
