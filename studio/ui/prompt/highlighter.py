"""Syntax colours for the prompt editor, painted from studio.prompt's token spans.

The highlighter does no parsing: each lint gives it the tokens of `LintResult.parsed` (and the
braces and commas of {a, b} sets), turned into (start, end, format) runs in document
coordinates; `highlightBlock` only clips those runs to the block. Look (UI.md): flags in the
accent colour, their values a shade lighter, image URLs underlined, `::` weights bold, prompt
text in the normal text colour, a preset's `--name` as one tinted token.

Typing never waits for a lint (studio.session.prompt_state), so between a keystroke and the
next lint the runs follow the edit: runs after it move, a run typed into (or continued without
a space) grows. When the lint lands, only the blocks whose runs really changed are highlighted
again — on a long prompt most keystrokes change none, and nothing is re-laid out for colours.

Python strings index code points while QTextDocument counts UTF-16 units; `Utf16Index` converts,
so an emoji in a prompt does not shift every colour after it.
"""

from __future__ import annotations

import bisect
import re
from operator import itemgetter
from typing import NamedTuple

from PySide6.QtGui import (QColor, QFont, QPalette, QSyntaxHighlighter, QTextBlock, QTextCharFormat,
                           QTextDocument)
from PySide6.QtWidgets import QApplication

# Token kinds from studio.prompt.tokens (kept as strings: a kind the UI does not know yet is
# simply drawn as plain text).
KIND_IMAGE_URL = "image_url"
KIND_TEXT = "text"
KIND_WEIGHT = "weight"
KIND_FLAG = "flag"
KIND_VALUE = "value"
KIND_EXTRA = "extra"
KIND_PRESET = "preset"
KIND_SET = "set"  # a brace or separating comma of an {a, b} set

# Characters outside the Basic Multilingual Plane: each is two UTF-16 units.
_ASTRAL = re.compile("[\U00010000-\U0010FFFF]")


class Utf16Index:
    """Maps Python string indices to UTF-16 offsets (QTextDocument positions) and back.

    Built per lint and per sync, never per character: the astral characters are found by one
    C-speed regex scan (none at all for ASCII or BMP-only text, the common case)."""

    def __init__(self, text: str) -> None:
        self._astral = [] if text.isascii() else [m.start() for m in _ASTRAL.finditer(text)]
        self._len = len(text)
        # The k-th astral character sits at UTF-16 offset pos + k.
        self._utf16 = [pos + k for k, pos in enumerate(self._astral)]

    def to_utf16(self, index: int) -> int:
        if not self._astral:
            return index
        return index + bisect.bisect_left(self._astral, index)

    def from_utf16(self, offset: int) -> int:
        if not self._astral:
            return offset
        # Astral characters that start before `offset` (one inside a pair counts as before).
        return offset - bisect.bisect_left(self._utf16, offset)


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


class Run(NamedTuple):
    start: int  # UTF-16 document position
    end: int
    kind: str
    fmt: QTextCharFormat


_START = itemgetter(0)
_run = tuple.__new__  # hundreds per keystroke on a long prompt: no NamedTuple __new__ frame


class PromptHighlighter(QSyntaxHighlighter):
    """Colours a QTextDocument from the tokens of the latest lint result."""

    def __init__(self, document: QTextDocument) -> None:
        super().__init__(document.parent() if document.parent() is not None else None)
        self._runs: list[Run] = []
        self._starts: list[int] = []
        self._formats = self._make_formats()
        # Follow edits before QSyntaxHighlighter reformats the edited block: connected first,
        # so this slot runs first (Qt calls slots in connection order).
        document.contentsChange.connect(self._follow_edit)
        self.setDocument(document)

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
        preset = QTextCharFormat()
        preset.setForeground(accent)
        preset.setFontWeight(QFont.Weight.DemiBold)
        tint = QColor(accent)
        tint.setAlpha(48)
        preset.setBackground(tint)  # one tinted token: it stands for several parameters
        braces = QTextCharFormat()
        braces.setForeground(accent)
        braces.setFontWeight(QFont.Weight.Bold)
        return {KIND_FLAG: flag, KIND_VALUE: value, KIND_IMAGE_URL: url, "url_value": url_value,
                KIND_WEIGHT: weight, KIND_EXTRA: extra, KIND_PRESET: preset, KIND_SET: braces}

    def format_for(self, kind: str) -> QTextCharFormat | None:
        return self._formats.get(kind)

    # ---- following the text ---------------------------------------------------------------
    def _follow_edit(self, position: int, removed: int, added: int) -> None:
        """Move the runs with an edit (UTF-16 positions), until the next lint replaces them."""
        if not self._runs or removed == added:
            return  # nothing moved (a same-length replacement, such as a flag's dashes made unbreakable)
        delta = added - removed
        cut_end = position + removed
        # One character typed right after a token, not a space: the token goes on (`--a` → `--ar`).
        grow = removed == 0 and added == 1 and not self.document().characterAt(position).isspace()
        old = self._runs
        # Runs ending well before the edit stay as they are (no run ends after the next one starts).
        first = max(0, bisect.bisect_left(self._starts, position) - 1)
        while first > 0 and old[first - 1].end >= position:
            first -= 1
        runs = old[:first]
        add = runs.append
        for run in old[first:]:
            s, e, kind, fmt = run
            if e < position or (e == position and not grow):
                add(run)  # before the edit
            elif e == position:
                add(_run(Run, (s, e + added, kind, fmt)))
            elif s >= cut_end:
                add(_run(Run, (s + delta, e + delta, kind, fmt)))  # after the edit
            else:
                # The edit is inside the run or cuts into it: keep what is left, typed text included.
                ns = s if s < position else position + added
                ne = e + delta if e > cut_end else position + added
                if ne > ns:
                    add(_run(Run, (ns, ne, kind, fmt)))
        self._runs = runs
        self._starts = [r[0] for r in runs]

    # ---- the lint's runs ---------------------------------------------------------------------
    def set_tokens(self, tokens, text: str, marks: tuple[int, ...] = (),
                   index: Utf16Index | None = None) -> int:
        """Take the token spans of `text` (the document's text) and repaint the blocks whose
        colours changed. Returns how many blocks were highlighted again."""
        index = index or Utf16Index(text)
        runs: list[Run] = []
        formats = self._formats
        for token in tokens:
            kind = token.kind
            if kind == KIND_VALUE and token.text[:8].lower().startswith(("http://", "https://")):
                kind = "url_value"  # URL-valued flags (--sref URL): underlined like image URLs
            fmt = formats.get(kind)
            if fmt is None or token.end <= token.start:
                continue
            runs.append(_run(Run, (index.to_utf16(token.start), index.to_utf16(token.end), kind, fmt)))
        braces = formats[KIND_SET]
        for at in marks:
            u = index.to_utf16(at)
            runs.append(_run(Run, (u, u + 1, KIND_SET, braces)))
        runs.sort(key=_START)  # stable: a set's brace drawn over the value token it sits in
        old = self._runs
        self._runs = runs
        self._starts = [r.start for r in runs]
        return self._refresh_changed(old, runs)

    def _refresh_changed(self, old: list[Run], new: list[Run]) -> int:
        """Highlight again only the blocks where `old` and `new` differ."""
        if len(old) == len(new) and all(a[:3] == b[:3] for a, b in zip(old, new)):
            return 0
        doc = self.document()
        if doc is None:
            return 0
        # The changed stretch: from the first differing run to the last one.
        first = 0
        limit = min(len(old), len(new))
        while first < limit and (old[first].start, old[first].end, old[first].kind) == \
                (new[first].start, new[first].end, new[first].kind):
            first += 1
        last_old, last_new = len(old) - 1, len(new) - 1
        while last_old >= first and last_new >= first and \
                (old[last_old].start, old[last_old].end, old[last_old].kind) == \
                (new[last_new].start, new[last_new].end, new[last_new].kind):
            last_old -= 1
            last_new -= 1
        spans = [r for r in (old[first:last_old + 1] + new[first:last_new + 1])]
        lo = min(r.start for r in spans)
        hi = max(r.end for r in spans)
        block: QTextBlock = doc.findBlock(lo)
        count = 0
        while block.isValid() and block.position() <= hi:
            self.rehighlightBlock(block)
            count += 1
            block = block.next()
        return count

    def runs(self) -> list[Run]:
        return list(self._runs)

    def highlightBlock(self, text: str) -> None:  # noqa: N802 - Qt's name
        if not self._runs:
            return
        block = self.currentBlock()
        begin = block.position()
        end = begin + block.length() - 1  # length() counts the separator after the block
        first = max(0, bisect.bisect_right(self._starts, begin) - 1)
        set_format = self.setFormat
        for run in self._runs[first:]:
            if run.start >= end:
                break
            a = run.start if run.start > begin else begin
            b = run.end if run.end < end else end
            if a < b:
                set_format(a - begin, b - a, run.fmt)
