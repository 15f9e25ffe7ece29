"""The prompt editor: text with syntax colours and squiggles, problems, fixes, completion, cost,
and the Generate button.

It is a view of `PromptState`: what the user types goes to `state.set_text`, and every change of
the state (a slider, undo, a fix, a drop) comes back through `text_changed` and is applied to
the document as the smallest replacement, so the caret and scroll position survive. The
document's own undo is off — Ctrl+Z goes to the state's one undo stack, which also holds the
panel's edits. All understanding of the prompt (tokens, diagnostics, cost, flag rules) comes
from studio.prompt through the state; this module only draws it.

A keystroke costs what Qt's own editing costs plus a little: the lint runs once typing pauses
(the state's timer), the highlighter only moves its colours with the edit, squiggles follow
the text by themselves (their cursors track edits), and the problems list and the cost are
redrawn when the lint lands. Anything that acts on a diagnostic (Ctrl+., a hover, a click in
the problems list) asks the state for the current lint first, so it never acts on stale spans.

Qt may break a line after a hyphen, which would split `--v 7` as `--` / `v 7`. In the document
only, the two hyphens that start a flag are non-breaking hyphens (U+2011, the same length and
look); text leaving the document (to the state, the clipboard, a drag) is mapped back.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from PySide6.QtCore import QEvent, QMimeData, QModelIndex, QPoint, QSize, Qt, Signal
from PySide6.QtGui import (QAction, QContextMenuEvent, QDragEnterEvent, QDragMoveEvent, QDropEvent, QFont,
                           QKeyEvent, QKeySequence, QStatusTipEvent, QTextCharFormat, QTextCursor, QTextFormat)
from PySide6.QtWidgets import (QApplication, QHBoxLayout, QLabel, QMenu, QMessageBox, QPlainTextEdit,
                               QPushButton, QSizePolicy, QTextEdit, QToolButton, QToolTip, QVBoxLayout,
                               QWidget)

from studio.credits import credits_text
from studio.prompt import Diagnostic, LintResult
from studio.prompt.support import model_label
from studio.prompt.textdiff import changed_stretch
from studio.session.prompt_state import ORIGIN_REDO, ORIGIN_UNDO, PromptState
from studio.ui.common import theme
from studio.ui.common.icons import RECENT_ICON, action_icon
from studio.ui.prompt.completion import COMPLETION_ROLE, FlagCompleter
from studio.ui.prompt.presets_dialog import PRESET_ICON, PresetsDialog, ask_unsuited, fill_preset_menu
from studio.ui.prompt.problems_list import ProblemsList, fix_label
from studio.ui.prompt.highlighter import PromptHighlighter, Utf16Index, muted_color, set_once, severity_color
from studio.ui.prompt.reference_wells import (build_reference_menu, image_url_from_mime, local_file_message,
                                              local_files_in_mime, tell)

_MIN_LINES = 3
_MAX_LINES = 10
_RANK = {"error": 0, "warning": 1, "info": 2}

GENERATE_LABEL = "Generate  Ctrl+Enter"

# Flags start with two hyphens; in the document they are non-breaking hyphens (see above).
NB_HYPHEN = "\u2011"
_FLAG_DASHES = re.compile(r"(?:(?<=\s)|^)--(?=[A-Za-z])")


def to_display(text: str) -> str:
    """The text as the document holds it: a flag's `--` as two non-breaking hyphens."""
    return _FLAG_DASHES.sub(NB_HYPHEN * 2, text) if "--" in text else text


def from_display(text: str) -> str:
    """The document's text as the prompt it is."""
    return text.replace(NB_HYPHEN, "-") if NB_HYPHEN in text else text


def _is_generate_key(event: QKeyEvent) -> bool:
    return (event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
            and bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier))


def _is_fix_key(event: QKeyEvent) -> bool:
    return event.key() == Qt.Key.Key_Period and bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)


def _is_redo(event: QKeyEvent) -> bool:
    return event.matches(QKeySequence.StandardKey.Redo) or (
        event.key() == Qt.Key.Key_Y and event.modifiers() == Qt.KeyboardModifier.ControlModifier)


def _quiet_button_style(name: str) -> str:
    """Flat until hovered, like the grid's job buttons (the theme's QToolButton is a raised one)."""
    c = theme.current
    return (f"QToolButton#{name} {{ background: transparent; color: {c.muted};"
            " border: 1px solid transparent; border-radius: 5px; padding: 1px 6px 1px 4px; }"
            f"QToolButton#{name}:hover {{ color: {c.text}; border-color: {c.border}; }}"
            f"QToolButton#{name}:focus {{ border-color: {c.accent}; }}"
            f"QToolButton#{name}::menu-indicator {{ image: none; width: 0; }}")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _menu_button(parent: QWidget, name: str, text: str, icon: str, tip: str, fill) -> tuple[QToolButton, QMenu]:  # noqa: ANN001
    """A quiet icon + label button that opens a menu filled when it opens."""
    button = QToolButton(parent)
    button.setObjectName(name)
    button.setText(text)
    button.setIcon(action_icon(icon))
    button.setIconSize(QSize(14, 14))
    button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    button.setCursor(Qt.CursorShape.PointingHandCursor)
    button.setStyleSheet(_quiet_button_style(name))
    button.setToolTip(tip)
    button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
    menu = QMenu(button)
    menu.setObjectName(f"{name}Menu")
    menu.setToolTipsVisible(True)
    menu.aboutToShow.connect(fill)
    button.setMenu(menu)
    return button, menu


RECENT_MENU_SIZE = 15  # prompts in the Recent menu
_WORD_WINDOW = 96  # UTF-16 units before the caret read for completion (a flag name is short)
_RECENT_ITEM_WIDTH = 420  # px a menu item's one line is elided to


def _dropped_export(mime: QMimeData) -> Path | None:
    """The one local file a drag carries if it may be an export (an image with its prompt);
    anything else (text, web URLs, several files, other files) drops as before."""
    if not mime.hasUrls():
        return None
    urls = mime.urls()
    if len(urls) != 1 or not urls[0].isLocalFile():
        return None
    path = Path(urls[0].toLocalFile())
    return path if PromptState.may_carry_prompt(path) else None


def _is_recall_key(event: QKeyEvent) -> bool:
    """Ctrl+Up / Ctrl+Down (Cmd on macOS, as Qt maps it); Shift or Alt with it stay Qt's."""
    mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
    return mods == Qt.KeyboardModifier.ControlModifier and event.key() in (Qt.Key.Key_Up, Qt.Key.Key_Down)


class PromptTextEdit(QPlainTextEdit):
    """The text field: keys, hover tooltips, drops and completion; the rest is PromptEditor's."""

    def __init__(self, editor: "PromptEditor") -> None:
        super().__init__(editor)
        self._editor = editor
        self.setObjectName("PromptText")
        self.setTabChangesFocus(True)
        self.setWordWrapMode(self.wordWrapMode().WrapAtWordBoundaryOrAnywhere)
        self.setPlaceholderText("Describe the image, then add parameters — type -- for the list.")
        self.setAcceptDrops(True)
        self.document().setUndoRedoEnabled(False)  # the state's undo stack covers typing
        self.setMouseTracking(True)

    def toPlainText(self) -> str:  # noqa: N802 - Qt's name
        """The prompt as typed (the document shows flag hyphens as non-breaking ones)."""
        return from_display(super().toPlainText())

    def createMimeDataFromSelection(self) -> QMimeData:  # noqa: N802
        # Qt's own object, edited (one made here would be freed twice: by Python and by the
        # clipboard). Reading its text first makes Qt fill in every format, then each is fixed.
        mime = super().createMimeDataFromSelection()
        text = from_display(mime.text())
        html = mime.html().replace(NB_HYPHEN, "-").replace("&#8209;", "-") if mime.hasHtml() else ""
        for kind in list(mime.formats()):
            if kind not in ("text/plain", "text/html"):
                mime.removeFormat(kind)  # rich formats that would carry the display hyphens
        mime.setText(text)
        if html:
            mime.setHtml(html)
        return mime

    # ---- keys ----------------------------------------------------------------------------
    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride:
            key_event: QKeyEvent = event  # type: ignore[assignment]
            # Keep these for the editor even when the window defines the same shortcuts.
            if (_is_generate_key(key_event) or _is_fix_key(key_event) or _is_redo(key_event)
                    or key_event.matches(QKeySequence.StandardKey.Undo)):
                event.accept()
                return True
        return super().event(event)

    def viewportEvent(self, event: QEvent) -> bool:  # noqa: N802
        # Hover over the text arrives at the viewport, not at the scroll area itself.
        if event.type() == QEvent.Type.ToolTip:
            self._show_tooltip(event.pos(), event.globalPos())  # type: ignore[attr-defined]
            return True
        return super().viewportEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        popup = self._editor.completer.popup()
        if popup.isVisible() and event.key() in (Qt.Key.Key_Enter, Qt.Key.Key_Return, Qt.Key.Key_Escape,
                                                 Qt.Key.Key_Tab, Qt.Key.Key_Backtab):
            event.ignore()  # the completer takes these
            return
        if _is_generate_key(event):
            if not event.isAutoRepeat():  # a held Ctrl+Enter is one job, not one per repeat
                self._editor.request_generate()
            return
        if event.matches(QKeySequence.StandardKey.Undo):
            self._editor.state.undo_stack.undo()
            return
        if _is_recall_key(event) and not popup.isVisible():
            # Like a shell: the prompts sent before, newest first; Ctrl+Down back to the draft.
            state = self._editor.state
            moved = state.recall_older() if event.key() == Qt.Key.Key_Up else state.recall_newer()
            if moved:
                self.moveCursor(QTextCursor.MoveOperation.End)
            return
        if _is_redo(event):
            self._editor.state.undo_stack.redo()
            return
        if _is_fix_key(event):
            self._editor.apply_fix_at_cursor()
            return
        if event.key() == Qt.Key.Key_Space and event.modifiers() == Qt.KeyboardModifier.ControlModifier:
            self._editor.update_completion(force=True)
            return
        super().keyPressEvent(event)
        if event.text() or event.key() in (Qt.Key.Key_Backspace, Qt.Key.Key_Delete):
            self._editor.update_completion()
        elif popup.isVisible() and event.key() in (Qt.Key.Key_Left, Qt.Key.Key_Right,
                                                   Qt.Key.Key_Home, Qt.Key.Key_End):
            self._editor.update_completion()

    # ---- hover ---------------------------------------------------------------------------
    def _show_tooltip(self, pos: QPoint, global_pos: QPoint) -> None:
        found = self._editor.diagnostics_at_point(pos)
        preset = self._editor.preset_at_point(pos)
        if not found and not preset:
            QToolTip.hideText()
            return
        lines = [preset] if preset else []
        for d in found:
            fix = f"\n    Fix (Ctrl+.): {fix_label(d, self._editor.state.text())}" if d.fix is not None else ""
            lines.append(f"{d.severity.capitalize()}: {d.message.replace('`', '')}{fix}")
        QToolTip.showText(global_pos, "\n".join(lines), self)

    # ---- drops ---------------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if image_url_from_mime(event.mimeData()) is not None or _dropped_export(event.mimeData()):
            event.acceptProposedAction()
            return
        super().dragEnterEvent(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802
        if image_url_from_mime(event.mimeData()) is not None or _dropped_export(event.mimeData()):
            event.acceptProposedAction()
            return
        super().dragMoveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        url = image_url_from_mime(event.mimeData())
        if url is None:
            path = _dropped_export(event.mimeData())
            if path is not None:  # an exported image: offer its prompt and settings
                event.acceptProposedAction()
                self._editor.offer_file_prompt(path, self.viewport().mapToGlobal(event.position().toPoint()))
                return
            local = local_files_in_mime(event.mimeData())
            if local:  # never a file:// path in the prompt: the API takes URLs, not uploads
                event.acceptProposedAction()
                self._editor.drop_note = local_file_message(local)
                tell(self, self._editor.drop_note, self.viewport().mapToGlobal(event.position().toPoint()))
                return
            super().dropEvent(event)
            return
        event.acceptProposedAction()
        self._editor.offer_reference(url, self.viewport().mapToGlobal(event.position().toPoint()))

    # ---- context menu --------------------------------------------------------------------
    def contextMenuEvent(self, event: QContextMenuEvent) -> None:  # noqa: N802
        menu = self.createStandardContextMenu(event.pos())
        stack = self._editor.state.undo_stack
        replacements = {"edit-undo": stack.createUndoAction(menu, "Undo"),
                        "edit-redo": stack.createRedoAction(menu, "Redo")}
        for action in list(menu.actions()):
            new = replacements.get(action.objectName())
            if new is not None:
                new.setShortcut(action.shortcut())
                menu.insertAction(action, new)
                menu.removeAction(action)
        token = self._editor.preset_token_at_point(event.pos())
        if token is not None:
            first = menu.actions()[0] if menu.actions() else None
            expand = QAction(f"Write out {self.toPlainText()[token[0]:token[1]]}", menu)
            expand.setToolTip("Replace the preset's name by what it stands for (Ctrl+Z undoes)")
            expand.triggered.connect(lambda: self._editor.state.expand_preset_at(*token))
            if first is not None:
                menu.insertAction(first, expand)
                menu.insertSeparator(first)
            else:
                menu.addAction(expand)
        fixable = [d for d in self._editor.diagnostics_at_point(event.pos()) if d.fix is not None]
        if fixable:
            first = menu.actions()[0] if menu.actions() else None
            fix = menu.addAction(f"Fix: {fix_label(fixable[0], self._editor.state.text())}")
            fix.setShortcut(QKeySequence("Ctrl+."))
            fix.triggered.connect(lambda: self._editor.state.apply_fix(fixable[0]))
            if first is not None:
                menu.removeAction(fix)
                menu.insertAction(first, fix)
                menu.insertSeparator(first)
        menu.exec(event.globalPos())
        menu.deleteLater()


class PromptEditor(QWidget):
    """Prompt text, its problems, its cost, and the Generate button, bound to a PromptState."""

    generate_requested = Signal()

    def __init__(self, state: PromptState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.setObjectName("PromptEditor")
        self._syncing = False  # applying the state's text to the document
        self._pushing = False  # sending the document's text to the state
        self._result: LintResult = state.lint()
        self._index = Utf16Index(state.text())
        self.drop_menu: QMenu | None = None
        self.drop_note = ""  # why the last dropped file gave no prompt
        self.file_box: QMessageBox | None = None  # the open "use this prompt?" question
        self._squiggle_formats: dict[str, QTextCharFormat] = {}

        self.text_edit = PromptTextEdit(self)
        font = QFont(QApplication.font())
        if font.pointSizeF() > 0:
            font.setPointSizeF(font.pointSizeF() + 1)  # "a comfortable size" (UI.md)
        self.text_edit.setFont(font)
        self.text_edit.document().setDocumentMargin(6)
        self.highlighter = PromptHighlighter(self.text_edit.document())
        self.completer = FlagCompleter(self)
        self.completer.setWidget(self.text_edit)
        self.completer.activated[QModelIndex].connect(self._insert_completion)

        self.problems = ProblemsList(self)
        self.problems.activated.connect(self.jump_to)
        self.problems.fix_requested.connect(self.fix)

        self.summary_label = QLabel()
        self.summary_label.setObjectName("ProblemSummary")
        self.summary_label.setTextFormat(Qt.TextFormat.RichText)
        self.cost_label = QLabel()
        self.cost_label.setObjectName("CostLine")
        self.cost_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.cost_label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        info = QHBoxLayout()
        info.setContentsMargins(2, 0, 2, 0)
        info.setSpacing(8)
        info.addWidget(self.summary_label, 1)
        # The cost has a line of its own above Generate: a set's "8 prompts · 640 credits · v7 +
        # v8.1" needs the dock's whole width, and it reads as the total of what Generate sends.
        cost_row = QHBoxLayout()
        cost_row.setContentsMargins(2, 0, 2, 0)
        cost_row.addWidget(self.cost_label, 1)
        # The prompts sent before: a quiet icon + label like the grid's Reroll.
        self.recent_button, self.recent_menu = _menu_button(
            self, "RecentPrompts", "Recent", RECENT_ICON,
            "Prompts sent before, newest first (Ctrl+↑ / Ctrl+↓ in the prompt walk through them; "
            "Ctrl+Z undoes)", self._fill_recent)
        self.recent_button.setAccessibleName("Recent prompts")
        self.recent_button.setAccessibleDescription("Menu of the prompts sent before, newest first")
        info.addWidget(self.recent_button, 0, Qt.AlignmentFlag.AlignVCenter)
        # Presets: --names that stand for parameters; the picker lists them for the prompt's model.
        self.presets_button, self.presets_menu = _menu_button(
            self, "PresetsButton", "Presets", PRESET_ICON,
            "Presets: a --name stands for saved parameters (type it, or pick it here); save the "
            "prompt's parameters as one; the default suffix", self._fill_presets)
        self.presets_button.setAccessibleName("Presets")
        self.presets_dialog: PresetsDialog | None = None
        self.preset_box: QMessageBox | None = None  # the open "does not suit" question
        info.addWidget(self.presets_button, 0, Qt.AlignmentFlag.AlignVCenter)

        self.generate_button = QPushButton(GENERATE_LABEL)
        self.generate_button.setObjectName("GenerateButton")
        self.generate_button.setProperty("primary", True)
        self.generate_button.setMinimumHeight(self.generate_button.sizeHint().height() + 6)
        self.generate_button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.generate_button.clicked.connect(self.request_generate)
        self.block_reason = QLabel()
        self.block_reason.setObjectName("GenerateBlockedReason")
        self.block_reason.setWordWrap(True)
        self.block_reason.setVisible(False)
        # The default suffix (presets) is added to every prompt: always in sight when set.
        self.suffix_label = QLabel()
        self.suffix_label.setObjectName("SuffixLine")
        self.suffix_label.setStyleSheet(f"color: {muted_color().name()};")
        self.suffix_label.setToolTip("The default suffix is added to every prompt when it is sent "
                                     "(its parameters yield to the prompt's own). Presets → "
                                     "Presets and suffix… changes it.")
        self.suffix_label.setWordWrap(True)
        self.suffix_label.setVisible(False)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.text_edit)
        layout.addWidget(self.suffix_label)
        layout.addWidget(self.problems)
        layout.addLayout(info)
        layout.addLayout(cost_row)
        layout.addWidget(self.generate_button)
        layout.addWidget(self.block_reason)
        # Never squeezed below what its rows need (wrapped problem messages included).
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)

        self.text_edit.textChanged.connect(self._on_document_changed)
        self.text_edit.document().documentLayout().documentSizeChanged.connect(lambda _s: self._fit_height())
        state.text_changed.connect(self._on_state_text)
        state.lint_changed.connect(self._on_lint)
        self._apply_state_text(state.text(), move_caret=False)
        self._on_lint(state.lint())
        self._fit_height()

    # ---- a dropped export -----------------------------------------------------------------
    def offer_file_prompt(self, path: Path, global_pos: QPoint | None = None) -> QMessageBox | None:
        """A dropped file: if it carries a prompt (an export), ask (window-modal, opened, never
        a nested event loop) whether to replace the prompt with it; the flags in that prompt
        carry its settings. Without one, say so where the drop was and in the status bar."""
        found = self.state.prompt_from_file(path)
        if found is None:
            self.drop_note = f"{path.name} carries no prompt."
            where = global_pos if global_pos is not None else self.text_edit.mapToGlobal(QPoint(8, 8))
            QToolTip.showText(where, self.drop_note, self.text_edit)
            QApplication.sendEvent(self, QStatusTipEvent(self.drop_note))  # the window's status bar
            return None
        self.drop_note = ""
        if self.file_box is not None:
            self.file_box.close()  # a second drop replaces the question, never stacks them
        details = " · ".join(p for p in (model_label(found.model) if found.model else "",
                                         f"seed {found.seed}" if found.seed else "",
                                         f"job {found.job_id}" if found.job_id else "") if p)
        name = self.fontMetrics().elidedText(path.name, Qt.TextElideMode.ElideMiddle, 360)
        box = QMessageBox(QMessageBox.Icon.Question, "Use this prompt?", f"Use the prompt of {name}?",
                          parent=self.window())
        box.setObjectName("UseFilePrompt")
        excerpt = found.prompt if len(found.prompt) <= 400 else found.prompt[:399] + "…"
        box.setInformativeText(excerpt + (f"\n\n{details}" if details else ""))
        box.setTextFormat(Qt.TextFormat.PlainText)
        replace = box.addButton("Replace prompt", QMessageBox.ButtonRole.AcceptRole)
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(replace)
        box.setEscapeButton(cancel)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        prompt = found.prompt

        def answered(button: object) -> None:
            if button is replace:
                self.state.use_prompt(prompt, "Prompt from file")  # one undo step
                self.text_edit.setFocus()

        def closed() -> None:
            if self.file_box is box:
                self.file_box = None

        box.buttonClicked.connect(answered)
        box.destroyed.connect(closed)
        box.finished.connect(closed)
        self.file_box = box
        box.open()  # non-blocking: no nested event loop under qasync
        return box

    # ---- presets ---------------------------------------------------------------------------
    def _fill_presets(self) -> None:
        fill_preset_menu(self.presets_menu, self.state, self.choose_preset, self.open_presets,
                         lambda: self.open_presets(new_from_prompt=True))

    def choose_preset(self, name: str) -> QMessageBox | None:
        """Put preset `name` in the prompt; one that does not suit its model asks first."""
        if self.preset_box is not None:
            self.preset_box.close()
        self.preset_box = ask_unsuited(self.window(), self.state, name)
        if self.preset_box is not None:
            self.preset_box.destroyed.connect(lambda *_: setattr(self, "preset_box", None))
        else:
            self.text_edit.setFocus()
        return self.preset_box

    def open_presets(self, new_from_prompt: bool = False) -> PresetsDialog | None:
        """The presets dialog (one at a time, non-blocking); with `new_from_prompt`, a new
        preset holding the prompt's parameters, for its name to be typed."""
        if self.state.presets is None:
            return None
        if self.presets_dialog is None:
            self.presets_dialog = PresetsDialog(self.state, self.window())
            self.presets_dialog.destroyed.connect(lambda *_: setattr(self, "presets_dialog", None))
        if new_from_prompt:
            self.presets_dialog.start_new(self.state.current_parameters(), (self.state.model(),))
        self.presets_dialog.open()
        self.presets_dialog.raise_()
        return self.presets_dialog

    # ---- the Recent menu -------------------------------------------------------------------
    def _fill_recent(self) -> None:
        """The recent-prompts menu, read when it opens (newest first): one elided line each,
        the whole prompt in its tooltip and status tip; choosing one is one undo step."""
        self.recent_menu.clear()
        prompts = self.state.recent_prompts(RECENT_MENU_SIZE)
        if not prompts:
            empty = self.recent_menu.addAction("No prompts sent yet")
            empty.setEnabled(False)
            return
        metrics = self.recent_menu.fontMetrics()
        for prompt in prompts:
            flat = " ".join(prompt.split())
            label = metrics.elidedText(flat, Qt.TextElideMode.ElideRight, _RECENT_ITEM_WIDTH).replace("&", "&&")
            action = self.recent_menu.addAction(label)
            action.setToolTip(prompt[:1000])
            action.setStatusTip(flat[:300])
            action.setData(prompt)
            action.triggered.connect(lambda _c=False, p=prompt: self.state.use_prompt(p, "Recent prompt"))

    # ---- text sync -------------------------------------------------------------------------
    def _shown_text(self) -> str:
        """The document's own text (flag hyphens as non-breaking ones)."""
        return QPlainTextEdit.toPlainText(self.text_edit)

    def _on_document_changed(self) -> None:
        if self._syncing:
            return
        shown = self._shown_text()
        # In the document flag dashes are non-breaking already; plain `--` before a letter means
        # a flag just formed (typed or pasted): make it unbreakable too.
        if "--" in shown and _FLAG_DASHES.search(shown):
            wanted = to_display(shown)
            self._replace_shown(shown, wanted)
            shown = wanted
        text = from_display(shown)
        if text == self.state.text():
            return
        self._pushing = True
        try:
            self.state.set_text(text)
        finally:
            self._pushing = False

    def _on_state_text(self, text: str) -> None:
        if self._pushing:
            return
        origin = self.state.change_origin()
        # Undo/redo put the caret where the change happened; a panel edit leaves it alone.
        self._apply_state_text(text, move_caret=origin in (ORIGIN_UNDO, ORIGIN_REDO))

    def _replace_shown(self, current: str, wanted: str, move_caret: bool = False) -> None:
        """Make the document read `wanted` by replacing only the stretch that differs."""
        prefix, removed, inserted = changed_stretch(current, wanted)
        old_index = Utf16Index(current)
        start = old_index.to_utf16(prefix)
        end = old_index.to_utf16(prefix + len(removed))
        self._syncing = True
        try:
            cursor = QTextCursor(self.text_edit.document())
            cursor.beginEditBlock()
            cursor.setPosition(start)
            cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
            cursor.insertText(inserted)
            cursor.endEditBlock()
            if move_caret and self.text_edit.hasFocus():
                caret = self.text_edit.textCursor()
                caret.setPosition(Utf16Index(wanted).to_utf16(prefix + len(inserted)))
                self.text_edit.setTextCursor(caret)
        finally:
            self._syncing = False

    def _apply_state_text(self, text: str, move_caret: bool) -> None:
        """Make the document equal `text` by replacing only the part that differs."""
        current = self._shown_text()
        wanted = to_display(text)
        if current == wanted:
            return
        self._replace_shown(current, wanted, move_caret)
        self._fit_height()

    # ---- lint → view -----------------------------------------------------------------------
    def _on_lint(self, result: LintResult) -> None:
        self._result = result
        text = self.state.text()
        self._index = Utf16Index(text)
        parsed = result.parsed
        # Re-highlighting marks the document changed; that is not an edit to send back.
        was, self._syncing = self._syncing, True
        try:
            self.highlighter.set_tokens(parsed.tokens if parsed is not None else (), text,
                                        result.marks, self._index)
            self._set_squiggles(result.diagnostics, text)
        finally:
            self._syncing = was
        # An untouched empty prompt is a starting point, not a mistake: no red list for it.
        self.problems.set_diagnostics(list(result.diagnostics) if text.strip() else [], text)
        self.completer.set_model_id(result.model)
        self._update_status(result, text)

    def _set_squiggles(self, diagnostics: list[Diagnostic], text: str) -> None:
        """Wavy underlines for the diagnostics; left alone when the ones on show (whose cursors
        followed the typing) already sit where the new ones do — no repaint for nothing."""
        wanted = self._squiggles(diagnostics, text)
        shown = self.text_edit.extraSelections()
        if len(shown) == len(wanted) and all(
                a.cursor.selectionStart() == b.cursor.selectionStart()
                and a.cursor.selectionEnd() == b.cursor.selectionEnd()
                and a.format.property(QTextFormat.Property.UserProperty)
                == b.format.property(QTextFormat.Property.UserProperty)
                for a, b in zip(shown, wanted)):
            return
        self.text_edit.setExtraSelections(wanted)

    def _squiggles(self, diagnostics: list[Diagnostic], text: str) -> list[QTextEdit.ExtraSelection]:
        selections: list[QTextEdit.ExtraSelection] = []
        # Draw worst last so an error's red wins where spans overlap.
        for d in sorted(diagnostics, key=lambda d: -_RANK.get(d.severity, 3)):
            start, end = d.span
            if end <= start:
                if not text:
                    continue
                start, end = (start, start + 1) if start < len(text) else (len(text) - 1, len(text))
            selection = QTextEdit.ExtraSelection()
            selection.format = self._squiggle_format(d.severity)
            cursor = QTextCursor(self.text_edit.document())
            cursor.setPosition(self._index.to_utf16(max(0, start)))
            cursor.setPosition(self._index.to_utf16(min(end, len(text))), QTextCursor.MoveMode.KeepAnchor)
            selection.cursor = cursor
            selections.append(selection)
        return selections

    def _squiggle_format(self, severity: str) -> QTextCharFormat:
        cached = self._squiggle_formats.get(severity)
        if cached is None:
            cached = QTextCharFormat()
            cached.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
            cached.setUnderlineColor(severity_color(severity))
            cached.setProperty(QTextFormat.Property.UserProperty, severity)
            self._squiggle_formats[severity] = cached
        return cached

    def _update_status(self, result: LintResult, text: str) -> None:
        errors = sum(1 for d in result.diagnostics if d.severity == "error")
        warnings = sum(1 for d in result.diagnostics if d.severity == "warning")
        infos = sum(1 for d in result.diagnostics if d.severity == "info")
        parts = []
        if errors:
            parts.append(f'<span style="color:{severity_color("error").name()}">{_plural(errors, "error")}</span>')
        if warnings:
            parts.append(f'<span style="color:{severity_color("warning").name()}">'
                         f'{_plural(warnings, "warning")}</span>')
        if infos:
            parts.append(f'<span style="color:{severity_color("info").name()}">{_plural(infos, "note")}</span>')
        muted = muted_color().name()
        if not text.strip():
            summary = f'<span style="color:{muted}">Empty prompt</span>'
        else:
            summary = " · ".join(parts) if parts else f'<span style="color:{muted}">No problems</span>'
        set_once(self.summary_label, "text", summary, self.summary_label.setText)

        width, height, hd = self.state.render_info()
        # No cost before there is something to generate: "80 credits" for nothing misleads.
        empty = not text.strip()
        count = len(result.prompts)
        tags = [] if empty else [credits_text(result.cost.credits)]
        if not empty and result.expanded is not None and count != 1:
            tags.insert(0, _plural(count, "prompt") if count else "no prompts")
        tags.append(" + ".join(model_label(m) for m in result.models))
        if hd:
            tags.append("HD")
        params = self.state.params()
        if params.speed == "turbo" and self.state.support("turbo").usable:
            tags.append("turbo")
        if params.draft and self.state.support("draft").usable:
            tags.append("draft")
        set_once(self.cost_label, "text", " · ".join(tags), self.cost_label.setText)
        reasons = "\n".join(f"• {r}" for r in result.cost.reasons)
        tip = (f"The cost shows here once there is a prompt.\nModel: {model_label(result.model)}" if empty
               else f"Estimated cost: {credits_text(result.cost.credits)}\n{reasons}\n"
                    f"Output: {width}×{height} px per image")
        set_once(self.cost_label, "tip", tip, self.cost_label.setToolTip)

        blocked = self.blocked_reason()
        set_once(self.generate_button, "enabled", not blocked, self.generate_button.setEnabled)
        set_once(self.block_reason, "visible", bool(blocked) and not empty, self.block_reason.setVisible)
        set_once(self.block_reason, "text", blocked, self.block_reason.setText)
        set_once(self.block_reason, "style", f"color: {severity_color('error').name() if errors and not empty else muted};",
                 self.block_reason.setStyleSheet)
        first = result.errors[0].message.replace("`", "") if errors else ""
        idle = ("Send this prompt (Ctrl+Enter)" if count == 1 else
                f"Send these {count} prompts (Ctrl+Enter; shows them and their cost first)")
        set_once(self.generate_button, "tip", first or blocked or idle, self.generate_button.setToolTip)
        suffix = self.state.presets.book.suffix if self.state.presets is not None else ""
        set_once(self.suffix_label, "text", f"Suffix: {suffix}" if suffix else "", self.suffix_label.setText)
        set_once(self.suffix_label, "visible", bool(suffix), self.suffix_label.setVisible)

    def blocked_reason(self) -> str:
        """Why Generate is off ("" when it is on)."""
        result = self.state.lint()
        if not self.state.text().strip():
            return "Type a prompt to generate."
        errors = result.errors
        if errors:
            return f"Fix {_plural(len(errors), 'error')} above to generate."
        if not result.prompts:
            return "This text stands for no prompt to send."
        return ""

    # ---- actions ---------------------------------------------------------------------------
    def request_generate(self) -> None:
        """Ctrl+Enter or the button: emits generate_requested unless the prompt is blocked."""
        if self.blocked_reason():
            set_once(self.block_reason, "visible", True, self.block_reason.setVisible)
            return
        self.generate_requested.emit()

    def diagnostics_at(self, index: int) -> list[Diagnostic]:
        """Diagnostics whose span covers character `index` of the text, worst first (of the
        current text: a lint typing left pending runs first)."""
        found = [d for d in self.state.lint().diagnostics
                 if d.span[0] <= index < d.span[1] or (d.span[0] == d.span[1] == index)]
        return sorted(found, key=lambda d: _RANK.get(d.severity, 3))

    def diagnostics_at_point(self, pos: QPoint) -> list[Diagnostic]:
        cursor = self.text_edit.cursorForPosition(pos)
        rect = self.text_edit.cursorRect(cursor)
        if abs(rect.center().y() - pos.y()) > rect.height():
            return []  # below the last line
        self.state.lint()  # fresh spans (and index) before reading positions
        position = self._index.from_utf16(cursor.position())
        # The caret lands after a character when the pointer is on its right half.
        hits = self.diagnostics_at(position)
        if position > 0:
            hits += [d for d in self.diagnostics_at(position - 1) if d not in hits]
        return sorted(hits, key=lambda d: _RANK.get(d.severity, 3))

    def caret_index(self) -> int:
        self.state.lint()
        return self._index.from_utf16(self.text_edit.textCursor().position())

    def preset_token_at_point(self, pos: QPoint) -> tuple[int, int] | None:
        """The span of the preset `--name` under the pointer, if any."""
        cursor = self.text_edit.cursorForPosition(pos)
        rect = self.text_edit.cursorRect(cursor)
        if abs(rect.center().y() - pos.y()) > rect.height():
            return None
        parsed = self.state.lint().parsed
        if parsed is None:
            return None
        at = self._index.from_utf16(cursor.position())
        for f in parsed.flags:
            if f.preset and f.start <= at <= f.name_end:
                return (f.start, f.name_end)
        return None

    def preset_at_point(self, pos: QPoint) -> str:
        """What the preset under the pointer stands for ("" when there is none)."""
        token = self.preset_token_at_point(pos)
        if token is None:
            return ""
        return self.state.preset_description(self.state.text()[token[0]:token[1]])

    def apply_fix_at_cursor(self) -> bool:
        """Ctrl+.: apply the fix of the diagnostic at the caret, else of the first fixable one."""
        caret = self.caret_index()
        candidates = [d for d in self.diagnostics_at(caret) if d.fix is not None]
        if not candidates and caret > 0:
            candidates = [d for d in self.diagnostics_at(caret - 1) if d.fix is not None]
        if not candidates:
            candidates = sorted((d for d in self.state.lint().diagnostics if d.fix is not None),
                                key=lambda d: (_RANK.get(d.severity, 3), d.span))
        if not candidates:
            return False
        return self.state.apply_fix(candidates[0])

    def current(self, diagnostic: Diagnostic) -> Diagnostic | None:
        """The diagnostic as the current lint has it (a row of the problems list may predate the
        last keystrokes): the same one, or the one with its code and message; None if gone."""
        now = self.state.lint().diagnostics
        if diagnostic in now:
            return diagnostic
        return next((d for d in now if (d.code, d.message, d.fix) == (diagnostic.code, diagnostic.message,
                                                                       diagnostic.fix)), None)

    def fix(self, diagnostic: Diagnostic) -> bool:
        """Apply a diagnostic's fix to the current text (never to where its span used to be)."""
        found = self.current(diagnostic)
        return found is not None and self.state.apply_fix(found)

    def jump_to(self, diagnostic: Diagnostic) -> None:
        """Select the diagnostic's span in the text and focus the editor."""
        found = self.current(diagnostic)
        if found is None:
            return
        start, end = found.span
        length = len(self.state.text())
        cursor = self.text_edit.textCursor()
        cursor.setPosition(self._index.to_utf16(min(start, length)))
        cursor.setPosition(self._index.to_utf16(min(end, length)), QTextCursor.MoveMode.KeepAnchor)
        self.text_edit.setTextCursor(cursor)
        self.text_edit.ensureCursorVisible()
        self.text_edit.setFocus(Qt.FocusReason.OtherFocusReason)

    # ---- completion ------------------------------------------------------------------------
    def _word_before_caret(self) -> tuple[str, int]:
        """The word being typed (up to the caret) and its length in UTF-16 units. Reads only the
        few characters before the caret: a keystroke costs the same in a prompt of any length."""
        caret = self.text_edit.textCursor()
        block_start = caret.block().position()
        cursor = QTextCursor(caret)
        cursor.clearSelection()
        cursor.setPosition(max(block_start, caret.position() - _WORD_WINDOW), QTextCursor.MoveMode.KeepAnchor)
        head = from_display(cursor.selectedText())
        start = max(head.rfind(" "), head.rfind("\t")) + 1
        word = head[start:]
        return word, len(word.encode("utf-16-le", "surrogatepass")) // 2

    def update_completion(self, force: bool = False) -> None:
        word, _ = self._word_before_caret()
        prefix = None
        if word.startswith("--"):
            prefix = word
        elif word[:1] in ("\u2014", "\u2013"):  # an em/en dash typed for "--"
            prefix = "--" + word[1:]
        elif force and not word:
            prefix = "--"
        popup = self.completer.popup()
        if prefix is None or (len(prefix) < 2):
            popup.hide()
            return
        self.completer.set_model_id(self._result.model)  # the last lint's: no lint per keystroke
        if prefix != self.completer.completionPrefix():
            self.completer.setCompletionPrefix(prefix)
        rows = self.completer.completionCount()
        exact = rows == 1 and (self.completer.currentCompletion() or "").lower() == prefix.lower()
        if rows == 0 or exact:
            popup.hide()
            return
        popup.setCurrentIndex(self.completer.completionModel().index(0, 0))
        rect = self.text_edit.cursorRect()
        width = max(popup.sizeHintForColumn(0), 240) + popup.verticalScrollBar().sizeHint().width()
        rect.setWidth(min(width, max(self.text_edit.width(), 240)))
        self.completer.complete(rect)

    def _insert_completion(self, index: QModelIndex) -> None:
        flag = index.data(COMPLETION_ROLE)
        if not flag:
            return
        _, typed = self._word_before_caret()
        cursor = self.text_edit.textCursor()
        cursor.movePosition(QTextCursor.MoveOperation.Left, QTextCursor.MoveMode.KeepAnchor, typed)
        cursor.insertText(flag + " ")  # value flags want a value; switches a next flag
        self.text_edit.setTextCursor(cursor)
        self.completer.popup().hide()

    # ---- references ------------------------------------------------------------------------
    def offer_reference(self, url: str, global_pos: QPoint) -> QMenu:
        """After a drop: a small menu to insert `url` as an image prompt or a reference."""
        if self.drop_menu is not None:
            self.drop_menu.deleteLater()
        self.drop_menu = build_reference_menu(self.state, url,
                                              lambda kind: self.insert_reference(kind, url), self)
        self.drop_menu.popup(global_pos)  # non-modal: no nested event loop under qasync
        return self.drop_menu

    def insert_reference(self, kind: str, url: str) -> None:
        self.state.add_reference(kind, url)

    # ---- size ------------------------------------------------------------------------------
    def _fit_height(self) -> None:
        """Grow the text field with its content, between a few lines and a screenful."""
        edit = self.text_edit
        doc = edit.document()
        lines = max(1, int(doc.documentLayout().documentSize().height()))
        lines = min(max(lines, _MIN_LINES), _MAX_LINES)
        # The text layout's line height (leading included), not the font's line spacing.
        first = doc.firstBlock().layout()
        line = math.ceil(first.lineAt(0).height()) if first is not None and first.lineCount() else \
            edit.fontMetrics().height() + 1
        margins = edit.contentsMargins()
        height = lines * line + int(2 * doc.documentMargin()) + margins.top() + margins.bottom() + 2
        if edit.height() != height or edit.minimumHeight() != height:
            edit.setFixedHeight(height)

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._fit_height()

    def sizeHint(self) -> QSize:  # noqa: N802
        hint = super().sizeHint()
        return QSize(max(hint.width(), 320), hint.height())

    # ---- accessors (tests, window) ---------------------------------------------------------
    def lint_result(self) -> LintResult:
        return self._result

    def setFocus(self, reason: Qt.FocusReason = Qt.FocusReason.OtherFocusReason) -> None:  # noqa: N802
        self.text_edit.setFocus(reason)


__all__ = ["GENERATE_LABEL", "PromptEditor", "PromptTextEdit"]
