"""A text job on the grid (describe, shorten): its results as cards where the images would be.

Describe's four prompts, or shorten's suggestions with what each one dropped from the prompt it
was given highlighted; each card has "Use prompt" (the editor takes it as one undo step: the
window connects `use_requested`) and "Copy". Above them, the lineage as links back (the same
breadcrumbs as the image caption), the elapsed time and the credits, and describe's description.
While the job runs the view says so; a failed one is the grid's message, like any job.
"""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from studio.credits import credits_text
from studio.session.entry import JobEntry
from studio.session.operations import dropped_words
from studio.ui.common import theme
from studio.ui.common.time_text import elapsed_text

CARD_MIN_W = 240  # below twice this (plus the gap), the cards stack in one column


def _qss() -> str:
    c = theme.current
    return f"""
QWidget#TextResults {{ background: {c.base}; }}
QFrame#TextCard {{ background: {c.surface}; border: 1px solid {c.border}; border-radius: 6px; }}
QFrame#TextCard:hover {{ border-color: {c.muted}; }}
QLabel#TextCardIndex {{ color: {c.faint}; font-weight: 600; }}
QLabel#TextCardPrompt {{ color: {c.text}; font-size: 13px; }}
QLabel#TextCardDropped {{ color: {c.faint}; }}
QLabel#TextResultsTitle {{ color: {c.muted}; }}
QLabel#TextResultsDescription {{ color: {c.muted}; font-style: italic; }}
QLabel#TextResultsWaiting {{ color: {c.muted}; font-size: 13px; }}
"""


def _unbroken_flags(text: str) -> str:
    """Word joiners in "--ar", so a wrapped line never breaks a flag after its dashes."""
    return text.replace("--", "-\u2060-\u2060")


def dropped_html(original: str, shorter: str) -> str:
    """The original prompt with the words `shorter` left out marked (struck, in amber)."""
    c = theme.current
    out = []
    for piece, dropped in dropped_words(original, shorter):
        text = html.escape(_unbroken_flags(piece))
        out.append(f'<span style="color:{c.warning}; text-decoration:line-through">{text}</span>' if dropped
                   else text)
    return "".join(out)


class TextCard(QFrame):
    """One suggested prompt: its number, the text (selectable), and Use prompt / Copy."""

    use_requested = Signal(str)

    def __init__(self, index: int, text: str, original: str | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("TextCard")
        self.text = text
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.setSpacing(8)
        head = QHBoxLayout()
        number = QLabel(str(index + 1), self)
        number.setObjectName("TextCardIndex")
        head.addWidget(number, 0, Qt.AlignmentFlag.AlignTop)
        self.prompt = QLabel(_unbroken_flags(text), self)
        self.prompt.setObjectName("TextCardPrompt")
        self.prompt.setWordWrap(True)
        self.prompt.setTextFormat(Qt.TextFormat.PlainText)
        self.prompt.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.prompt.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        head.addWidget(self.prompt, 1)
        layout.addLayout(head)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)  # as tall as its text
        self.dropped: QLabel | None = None
        if original:
            marked = dropped_words(original, text)
            count = sum(1 for _piece, gone in marked if gone)
            self.dropped = QLabel(self)
            self.dropped.setObjectName("TextCardDropped")
            self.dropped.setWordWrap(True)
            self.dropped.setTextFormat(Qt.TextFormat.RichText)
            self.dropped.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            what = f"Drops {count} word{'s' if count != 1 else ''}: " if count else "Drops nothing: "
            self.dropped.setText(html.escape(what) + dropped_html(original, text))
            self.dropped.setToolTip("The prompt it was given, with what this suggestion leaves out struck through")
            layout.addWidget(self.dropped)
        row = QHBoxLayout()
        row.addStretch(1)
        self.copy_button = QPushButton("Copy", self)
        self.copy_button.setToolTip("Copy this prompt")
        self.copy_button.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.text))
        row.addWidget(self.copy_button)
        self.use_button = QPushButton("Use prompt", self)
        self.use_button.setProperty("primary", True)
        self.use_button.setToolTip("Put this prompt in the editor (Ctrl+Z there puts the old one back)")
        self.use_button.clicked.connect(lambda: self.use_requested.emit(self.text))
        row.addWidget(self.use_button)
        layout.addLayout(row)


class TextResults(QWidget):
    """The cards of one text job, with its lineage and meta line above them."""

    use_requested = Signal(str, str)  # the prompt, the undo step's name
    crumb_clicked = Signal(str)  # a breadcrumb link ("job:<key>")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("TextResults")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.setStyleSheet(_qss())
        self.key: str | None = None
        self._signature: Any = None
        self.cards: list[TextCard] = []
        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 16, 24, 16)
        outer.setSpacing(10)
        self.title = QLabel(self)
        self.title.setObjectName("TextResultsTitle")
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.title.linkActivated.connect(self.crumb_clicked)
        outer.addWidget(self.title)
        self.description = QLabel(self)
        self.description.setObjectName("TextResultsDescription")
        self.description.setWordWrap(True)
        self.description.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        outer.addWidget(self.description)
        self.waiting = QLabel(self)
        self.waiting.setObjectName("TextResultsWaiting")
        self.waiting.setAlignment(Qt.AlignmentFlag.AlignCenter)
        outer.addWidget(self.waiting, 1)
        self.scroll = QScrollArea(self)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        body = QWidget(self.scroll)
        body.setObjectName("TextResults")
        self.grid = QGridLayout(body)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setSpacing(10)
        self.scroll.setWidget(body)
        outer.addWidget(self.scroll, 1)
        self._columns = 2

    def show_entry(self, entry: JobEntry, crumbs_html: str) -> None:
        """Show `entry` (its cards once done, its status while it runs) under `crumbs_html`."""
        meta = [elapsed_text(entry.elapsed)]
        if entry.credits:
            meta.append(credits_text(entry.credits))
        c = theme.current
        title = f'{crumbs_html} <span style="color:{c.faint}">·</span> {html.escape(" · ".join(meta))}'
        if self.title.text() != title:
            self.title.setText(title)
        texts = entry.texts
        original = entry.request.get("prompt") if entry.op == "shorten" else None
        description = getattr(getattr(entry.job, "output", None), "description", "") or ""
        signature = (entry.key, tuple(texts), original, entry.active and not texts)
        self.key = entry.key
        if signature == self._signature:
            if entry.active and not texts:
                self.waiting.setText(self._waiting_text(entry))
            return
        self._signature = signature
        self.description.setText(description if entry.op == "describe" else "")
        self.description.setVisible(bool(self.description.text()))
        self._clear()
        if not texts:
            self.waiting.setText(self._waiting_text(entry) if entry.active else "This job gave no text.")
            self.waiting.show()
            self.scroll.hide()
            return
        self.waiting.hide()
        self.scroll.show()
        label = "Use described prompt" if entry.op == "describe" else "Use shortened prompt"
        for index, text in enumerate(texts):
            card = TextCard(index, text, original, self.scroll.widget())
            card.use_requested.connect(lambda t, lab=label: self.use_requested.emit(t, lab))
            self.cards.append(card)
        self._place_cards()

    @staticmethod
    def _waiting_text(entry: JobEntry) -> str:
        doing = "Describing the image" if entry.op == "describe" else "Shortening the prompt"
        return f"{doing} · {entry.status_word()}"

    def _clear(self) -> None:
        for card in self.cards:
            card.hide()
            card.deleteLater()
        self.cards = []

    def _place_cards(self) -> None:
        self._columns = self._fitting_columns()
        for card in self.cards:
            self.grid.removeWidget(card)
        rows = 0
        for i, card in enumerate(self.cards):
            self.grid.addWidget(card, i // self._columns, i % self._columns)
            rows = i // self._columns + 1
        for column in range(2):
            self.grid.setColumnStretch(column, 1 if column < self._columns else 0)
        for row in range(rows + 1):  # the cards keep their height; the space left goes below them
            self.grid.setRowStretch(row, 1 if row == rows else 0)

    def _fitting_columns(self) -> int:
        margins = self.layout().contentsMargins()
        room = self.width() - margins.left() - margins.right()
        return 2 if room >= 2 * CARD_MIN_W + self.grid.spacing() else 1

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        if self._fitting_columns() != self._columns:
            self._place_cards()
