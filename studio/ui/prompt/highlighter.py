"""Syntax colours for the prompt editor, painted from studio.prompt's token spans.

The highlighter does no parsing: on every lint it takes the tokens of `LintResult.parsed` and
turns them into (start, end, format) runs in document coordinates; `highlightBlock` only clips
those runs to the block. Look (UI.md): flags in the accent colour, their values a shade lighter,
image URLs underlined, `::` weights bold, prompt text in the normal text colour.

Python strings index code points while QTextDocument counts UTF-16 units; `Utf16Index` converts,
so an emoji in a prompt does not shift every colour after it.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from PySide6.QtGui import QColor, QFont, QPalette, QSyntaxHighlighter, QTextCharFormat, QTextDocument
from PySide6.QtWidgets import QApplication

# Token kinds from studio.prompt.tokens (kept as strings: a kind the UI does not know yet is
# simply drawn as plain text).
KIND_IMAGE_URL = "image_url"
KIND_TEXT = "text"
KIND_WEIGHT = "weight"
KIND_FLAG = "flag"
KIND_VALUE = "value"
KIND_EXTRA = "extra"


class Utf16Index:
    """Maps Python string indices to UTF-16 offsets (QTextDocument positions) and back."""

    def __init__(self, text: str) -> None:
        # Positions (code-point indices) of characters outside the BMP: each takes 2 units.
        self._astral = [i for i, ch in enumerate(text) if ord(ch) > 0xFFFF] if not text.isascii() else []
        self._len = len(text)

    def to_utf16(self, index: int) -> int:
        if not self._astral:
            return index
        return index + bisect.bisect_left(self._astral, index)

    def from_utf16(self, offset: int) -> int:
        if not self._astral:
            return offset
        # The k-th astral character sits at UTF-16 offset pos + k.
        for count, pos in enumerate(self._astral):
            if pos + count >= offset:
                return offset - count
        return offset - len(self._astral)


def accent_color(palette: QPalette | None = None) -> QColor:
    """The accent: the theme's when studio.ui.common.theme is installed, else the palette highlight."""
    try:
        from studio.ui.common import theme

        if QApplication.instance() is not None and theme.current is not None:
            return QColor(theme.current.accent)
    except (ImportError, AttributeError):
        pass
    return (palette or QApplication.palette()).color(QPalette.ColorRole.Highlight)


def severity_color(severity: str) -> QColor:
    """Red for errors, amber for warnings, blue for info (theme colours when available)."""
    try:
        from studio.ui.common import theme

        return QColor({"error": theme.current.error, "warning": theme.current.warning}
                      .get(severity, theme.current.info))
    except (ImportError, AttributeError):
        return QColor({"error": "#f0575d", "warning": "#f2a93b"}.get(severity, "#5aa7f0"))


def muted_color(palette: QPalette | None = None) -> QColor:
    try:
        from studio.ui.common import theme

        return QColor(theme.current.muted)
    except (ImportError, AttributeError):
        return (palette or QApplication.palette()).color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)


def set_once(widget: object, key: str, value: object, setter) -> None:
    """Call `setter(value)` only when `value` differs from what was last set through here.

    The views re-read the whole state on every keystroke; re-applying an unchanged tooltip,
    enabled state or style sheet would restyle widgets for nothing.
    """
    cache = getattr(widget, "_set_once_cache", None)
    if cache is None:
        cache = {}
        setattr(widget, "_set_once_cache", cache)
    if key in cache and cache[key] == value:
        return
    cache[key] = value
    setter(value)


@dataclass(frozen=True)
class Run:
    start: int  # UTF-16 document position
    end: int
    kind: str
    fmt: QTextCharFormat


class PromptHighlighter(QSyntaxHighlighter):
    """Colours a QTextDocument from the tokens of the latest lint result."""

    def __init__(self, document: QTextDocument) -> None:
        super().__init__(document)
        self._runs: list[Run] = []
        self._starts: list[int] = []
        self._formats = self._make_formats()

    def _make_formats(self) -> dict[str, QTextCharFormat]:
        palette = QApplication.palette()
        accent = accent_color(palette)
        flag = QTextCharFormat()
        flag.setForeground(accent)
        value = QTextCharFormat()
        # "A shade lighter" than the accent, but still readable on a light theme.
        is_dark = palette.color(QPalette.ColorRole.Base).lightness() < 128
        value.setForeground(accent.lighter(135) if is_dark else accent.darker(125))
        url = QTextCharFormat()
        url.setFontUnderline(True)
        url.setUnderlineStyle(QTextCharFormat.UnderlineStyle.SingleUnderline)
        url.setForeground(palette.color(QPalette.ColorRole.Text))
        url_value = QTextCharFormat(value)
        url_value.setFontUnderline(True)
        weight = QTextCharFormat()
        weight.setFontWeight(QFont.Weight.Bold)
        weight.setForeground(palette.color(QPalette.ColorRole.Text))
        extra = QTextCharFormat()
        extra.setForeground(muted_color(palette))
        return {KIND_FLAG: flag, KIND_VALUE: value, KIND_IMAGE_URL: url, "url_value": url_value,
                KIND_WEIGHT: weight, KIND_EXTRA: extra}

    def set_tokens(self, tokens, text: str) -> None:
        """Take the token spans of `text` (the document's text) and repaint."""
        index = Utf16Index(text)
        runs: list[Run] = []
        for token in tokens:
            kind = token.kind
            if kind == KIND_VALUE and token.text.lower().startswith(("http://", "https://")):
                kind = "url_value"  # URL-valued flags (--sref URL): underlined like image URLs
            fmt = self._formats.get(kind)
            if fmt is None or token.end <= token.start:
                continue
            runs.append(Run(index.to_utf16(token.start), index.to_utf16(token.end), kind, fmt))
        runs.sort(key=lambda r: r.start)
        self._runs = runs
        self._starts = [r.start for r in runs]
        self.rehighlight()

    def runs(self) -> list[Run]:
        return list(self._runs)

    def highlightBlock(self, text: str) -> None:  # noqa: N802 - Qt's name
        block = self.currentBlock()
        begin = block.position()
        end = begin + max(len(text.encode("utf-16-le")) // 2, 0)
        first = max(0, bisect.bisect_right(self._starts, begin) - 1)
        for run in self._runs[first:]:
            if run.start >= end:
                break
            a, b = max(run.start, begin), min(run.end, end)
            if a < b:
                self.setFormat(a - begin, b - a, run.fmt)
