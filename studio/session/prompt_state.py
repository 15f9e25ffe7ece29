"""The current prompt: one text, its lint, its parameters, and one undo stack for all edits.

The prompt editor and the parameter panel are two views of this object. Neither keeps its own
copy of the text: the editor pushes what the user typed with `set_text`, the panel pushes
changes with `set_param` (which rewrites only that flag's span through studio.prompt.params),
and both redraw from `text_changed` / `lint_changed`. Every change goes through `undo_stack`,
so Ctrl+Z undoes a slider move and a keystroke alike.

The lint is of what the text stands for (studio.prompt.lint_set: {a, b} sets, presets, the
default suffix). A keystroke never waits for it: typing marks the lint stale and a coalescing
timer re-lints once typing pauses (the latest text wins), then `lint_changed` fires. Anything
that reads `lint()` (Generate, a fix, a hover) gets the current text's lint at once — a stale
lint is never handed out, so no diagnostic points at text that has moved. Changes from the
panel, undo, a fix or a program are linted at once, as before.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from studio.prompt import Diagnostic, LintResult, lint_set, parse
from studio.prompt.diagnostics import apply_fix as fixed_text
from studio.prompt.textdiff import changed_stretch
from studio.prompt.params import Params, set_param as rewrite_param
from studio.prompt.rules import load_rules, normalize_model
from studio.prompt.size import image_size
# Pure rule lookups live in studio.prompt.support; the names stay importable from here.
from studio.prompt.support import FlagSupport, flag_catalog, flag_support, model_choices, model_label  # noqa: F401
from studio.session.prompt_recall import PromptRecall, RecallSource

if TYPE_CHECKING:
    from studio.session.presets import PresetLibrary
    from studio.store.exports import ExportedPrompt

# Where the last change came from; views use it to decide e.g. whether to move the caret.
ORIGIN_EDITOR = "editor"
ORIGIN_PANEL = "panel"
ORIGIN_UNDO = "undo"
ORIGIN_REDO = "redo"
ORIGIN_PROGRAM = "program"

# QUndoCommand.id() values: commands with the same id may merge.
_TYPING_ID = 1
_PARAM_ID = 2

SERVER_ERROR_CODE = "server-rejected"

# Files an export can be (studio.store.exports: PNG chunks, EXIF, or a `<file>.json` sidecar).
PROMPT_FILE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp", ".gif", ".mp4", ".json"})

# The model the Legnext server uses when a prompt names none (REFERENCE.md "Model Information").
SERVER_DEFAULT_MODEL = "7"

# How long typing must pause before the prompt is linted again (ms). Short enough that the
# problems list and the cost follow within 100 ms of the last key, long enough that a burst of
# keys is linted once.
LINT_DELAY_MS = 40


class _TextCommand(QUndoCommand):
    """Replace the whole prompt text; undo restores the old one.

    Whole-text snapshots are cheap here (prompts are at most 8192 characters) and make undo
    exact no matter which view produced the change.
    """

    def __init__(self, state: "PromptState", old: str, new: str, label: str,
                 merge_id: int = -1, merge_key: Any = None) -> None:
        super().__init__(label)
        self._state = state
        self.old = old
        self.new = new
        self._merge_id = merge_id
        self.merge_key = merge_key
        self.sealed = False
        self._first = True

    def id(self) -> int:  # noqa: A003 - Qt's name
        return -1 if self.sealed else self._merge_id

    def redo(self) -> None:
        origin = ORIGIN_REDO
        if self._first:
            # The push itself: the change was made by a view, report it as that view's.
            self._first = False
            origin = self._state._pending_origin
        self._state._apply(self.new, origin)

    def undo(self) -> None:
        self._state._apply(self.old, ORIGIN_UNDO)

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 - Qt's name
        return False


def _typing_key(old: str, new: str) -> Any:
    """A key under which consecutive keystrokes merge into one undo step.

    Typing a word merges; a space, a newline, a paste or a jump elsewhere starts a new step —
    the grain most editors use. Returns None when this change must not merge.
    """
    prefix, removed, inserted = changed_stretch(old, new)
    if len(inserted) == 1 and not removed and not inserted.isspace():
        # Insert: merges with the previous insert that ended where this one starts.
        return ("insert", prefix)
    if len(removed) == 1 and not inserted and not removed.isspace():
        return ("delete", prefix)
    return None


class _TypingCommand(_TextCommand):
    """Keystrokes: consecutive single-character inserts (or deletes) of one word merge."""

    def __init__(self, state: "PromptState", old: str, new: str) -> None:
        key = _typing_key(old, new)
        super().__init__(state, old, new, "Typing", _TYPING_ID if key else -1, key)
        self._kind = key[0] if key else None
        self._pos = key[1] if key else -1

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802
        if not isinstance(other, _TypingCommand) or self.sealed or other._kind != self._kind:
            return False
        if self._kind == "insert" and other._pos != self._pos + 1:
            return False
        if self._kind == "delete" and other._pos not in (self._pos - 1, self._pos):
            return False  # backspace walks left, delete stays put
        self.new = other.new
        self._pos = other._pos
        return True


class _ParamCommand(_TextCommand):
    """A panel edit of one parameter; consecutive edits of the same parameter merge (a drag)."""

    def __init__(self, state: "PromptState", old: str, new: str, name: str, mergeable: bool) -> None:
        super().__init__(state, old, new, f"Set {name}", _PARAM_ID if mergeable else -1, name)

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802
        if not isinstance(other, _ParamCommand) or self.sealed:
            return False
        if other.merge_key != self.merge_key:
            return False
        self.new = other.new
        return True


class PromptState(QObject):
    """Single source of truth for the prompt text, its lint result and its parameters."""

    text_changed = Signal(str)
    lint_changed = Signal(object)  # LintResult
    default_model_changed = Signal(str)

    def __init__(self, text: str = "", default_model: str = SERVER_DEFAULT_MODEL,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.undo_stack = QUndoStack(self)
        self._text = text
        self._default_model = normalize_model(default_model) or default_model
        self._origin = ORIGIN_PROGRAM
        self.recall = PromptRecall()  # the prompts sent before (set_recall_source)
        self._pending_origin = ORIGIN_PROGRAM
        self._server_error: tuple[str, str] | None = None
        self._params: Params | None = None
        self.presets: PresetLibrary | None = None  # set_presets: --name presets, default suffix
        self._stale = False  # the text changed by typing since the last lint
        self._lint_timer = QTimer(self)
        self._lint_timer.setSingleShot(True)
        self._lint_timer.setInterval(LINT_DELAY_MS)
        self._lint_timer.timeout.connect(self._lint_now)
        self._lint: LintResult = self._run_lint()

    # ---- reading -------------------------------------------------------------------------
    def text(self) -> str:
        return self._text

    def lint(self) -> LintResult:
        """The lint of the current text (run now if typing left it stale)."""
        if self._stale:
            self._lint_now()
        return self._lint

    def lint_pending(self) -> bool:
        """Whether typing changed the text since the last lint (`lint_changed` will follow)."""
        return self._stale

    def params(self) -> Params:
        # Parsed on demand and cached per text: the panel asks on every change, typing doesn't.
        if self._params is None:
            parsed = self.lint().parsed
            self._params = (Params.from_parsed(parsed) if parsed is not None
                            else Params.from_text(self._text, default_model=self._default_model))
        return self._params

    def parsed(self):
        """The token/flag structure of the current text (studio.prompt.parse)."""
        return parse(self._text, default_model=self._default_model, presets=self._preset_names())

    def model(self) -> str:
        """The canonical model the prompt targets: its own --v/--niji, else the default."""
        return self.lint().model

    def default_model(self) -> str:
        return self._default_model

    def change_origin(self) -> str:
        """Who made the latest change: 'editor', 'panel', 'undo', 'redo' or 'program'."""
        return self._origin

    def text_for_submit(self) -> str:
        """The prompt as it should be sent: names the model explicitly when the user's default
        differs from the server's own default (the server would otherwise silently use v7)."""
        return self._named_model(self._text.strip(), self.lint().parsed or self.parsed())

    def prompts_for_submit(self) -> list[str]:
        """Every prompt Generate sends, as sent: the text's {a, b} sets expanded and its presets
        and the default suffix written out, each naming the default model where it names none
        and the default is not the server's (empty when the text cannot be expanded)."""
        return [self._named_model(p.text.strip(), p.parsed or parse(p.text, self._default_model))
                for p in self.lint().prompts]

    def _named_model(self, text: str, parsed) -> str:  # noqa: ANN001 - ParsedPrompt
        if self._default_model == SERVER_DEFAULT_MODEL:
            return text
        if parsed.model_flag is not None or any(f.name in ("v", "niji") for f in parsed.flags):
            return text
        return rewrite_param(text, "model", self._default_model)

    # ---- presets ------------------------------------------------------------------------------
    def set_presets(self, library: PresetLibrary | None) -> None:
        """The presets (`--name`) and default suffix the prompt is read with; a change to the
        library re-lints the prompt."""
        if self.presets is not None:
            try:
                self.presets.changed.disconnect(self._on_presets_changed)
            except (RuntimeError, TypeError):
                pass
        self.presets = library
        if library is not None:
            library.changed.connect(self._on_presets_changed)
        self._on_presets_changed()

    def _on_presets_changed(self, *_args: object) -> None:
        self._params = None
        self._relint()

    def _preset_names(self) -> frozenset[str]:
        return self.presets.book.names if self.presets is not None else frozenset()

    def preset_description(self, name: str) -> str:
        """What preset `name` stands for, its note, and why it does not suit the prompt's model
        (from the rules), for a hover over its `--name`. "" when there is no such preset."""
        preset = self.presets.get(name) if self.presets is not None else None
        if preset is None:
            return ""
        lines = [f"Preset {preset.token}: {preset.summary()}"]
        if preset.note.strip():
            lines.append(preset.note.strip())
        reasons = self.presets.suitability(name, self.model())
        if reasons:
            lines.append(f"Not suited to {model_label(self.model())}:")
            lines.extend(f"  • {r}" for r in reasons)
        return "\n".join(lines)

    def current_parameters(self) -> str:
        """The prompt's own parameters as written (its known --flags with their values), for
        saving them as a preset."""
        parsed = self.lint().parsed or self.parsed()
        flags = [self._text[f.start:f.end] for f in parsed.flags if f.known and not f.preset]
        return " ".join(f for f in flags if "{" not in f and "}" not in f)  # a preset holds no set

    def insert_preset(self, name: str) -> None:
        """Add `--name` at the end of the prompt (one undo step); it is written out when sent."""
        token = f"--{name.lstrip('-').lower()}"
        text = self._text.rstrip()
        self.set_text(f"{text} {token}" if text else token, origin=ORIGIN_PANEL)

    def expand_preset_at(self, start: int, end: int) -> bool:
        """Write the preset named by text[start:end] (`--name`) out in place: the parameters it
        adds there, its prompt words after the prompt text (one undo step)."""
        from studio.prompt.presets import apply_presets, prompt_words, word_separator
        from studio.prompt.tokens import lex

        if self.presets is None:
            return False
        book = dataclasses.replace(self.presets.book, suffix="")
        used = next((u for u in apply_presets(self._text, book).used if u.span == (start, end)), None)
        if used is None:
            return False
        text = self._text
        if used.kept:
            text = text[:start] + used.kept + text[end:]
        else:
            cut = end + 1 if text[end:end + 1] == " " else end
            text = text[:start] + text[cut:]
        words = prompt_words(book, used.name)
        if words:
            body_end = len(text[:lex(text).body_end].rstrip())
            sep = word_separator(text[:body_end]) if text[:body_end].strip() else ""
            text = text[:body_end] + sep + words + text[body_end:]
        self._push(_TextCommand(self, self._text, text, f"Expand --{used.name}"), ORIGIN_PANEL)
        return True

    # ---- prompts sent before and prompts in files -------------------------------------------
    def set_recall_source(self, source: RecallSource | None) -> None:
        """Where Ctrl+↑ / Ctrl+↓ and the Recent menu find the prompts sent before (a callable
        returning them newest first; the composition root passes the store's). It is read
        when a walk starts and when the menu opens, never per keystroke."""
        self.recall.source = source or list
        self.recall.reset()

    def recall_older(self) -> bool:
        """Show the prompt sent before the one shown, like a shell's Up (the first step keeps
        the draft); one undo step. False when there is none older."""
        return self._recalled(self.recall.older(self._text))

    def recall_newer(self) -> bool:
        """Back toward the newest prompt, then to the draft that was being typed; one undo
        step. False when not walking."""
        return self._recalled(self.recall.newer(self._text))

    def recent_prompts(self, limit: int = 15) -> list[str]:
        """The prompts sent before, newest first, distinct (for the Recent menu)."""
        return self.recall.recent(limit)

    def use_prompt(self, text: str, label: str = "Use prompt") -> None:
        """Replace the whole prompt (from the history, the Recent menu, a dropped file): one
        undo step, which puts back what was there."""
        self.recall.reset()
        if text != self._text:
            self._push(_TextCommand(self, self._text, text, label), ORIGIN_PROGRAM)

    @staticmethod
    def may_carry_prompt(path: str | Path) -> bool:
        """Whether a dropped file is one an export could be (an image or video with its prompt
        in it or beside it, or the JSON sidecar itself); other files drop as Qt does."""
        return Path(path).suffix.lower() in PROMPT_FILE_SUFFIXES

    @staticmethod
    def prompt_from_file(path: str | Path) -> ExportedPrompt | None:
        """The prompt and settings an exported file carries (studio.store.exports; the flags in
        the prompt are the settings), or None when it carries no prompt. Reads headers only
        (small, blocking); never raises for a bad file."""
        from studio.store.exports import read_export

        try:
            found = read_export(Path(path))
        except Exception:  # noqa: BLE001  an odd file is "no prompt", never a crash on drop
            return None
        return found if found is not None and (found.prompt or "").strip() else None

    def _recalled(self, text: str | None) -> bool:
        if text is None:
            return False
        if text != self._text:
            self._push(_TextCommand(self, self._text, text, "Recall prompt"), ORIGIN_PROGRAM)
        return True

    # ---- writing -------------------------------------------------------------------------
    def set_text(self, text: str, origin: str = ORIGIN_EDITOR) -> None:
        """Replace the text as one undoable step (keystrokes of one word merge)."""
        if text == self._text:
            return
        if origin == ORIGIN_EDITOR:
            self.recall.reset()  # typing ends a walk through the prompts sent before
            command: _TextCommand = _TypingCommand(self, self._text, text)
        else:
            command = _TextCommand(self, self._text, text, "Edit prompt")
        self._push(command, origin)

    def set_param(self, name: str, value: Any, *, merge: bool = False) -> None:
        """Rewrite only `name`'s flag in the text (value None removes it).

        merge=True lets consecutive changes of the same parameter (a slider drag) collapse
        into one undo step until `seal_undo()` is called. Raises ValueError (from
        studio.prompt.params) when the value cannot be written so it reads back the same.
        """
        new = rewrite_param(self._text, name, value)
        if new == self._text:
            return
        self._push(_ParamCommand(self, self._text, new, name, merge), ORIGIN_PANEL)

    def apply_fix(self, diagnostic: Diagnostic) -> bool:
        """Replace the diagnostic's span by its fix; one undo step. False when it has none."""
        return self.apply_fixes([diagnostic], label=f"Fix {diagnostic.code}")

    def apply_fixes(self, diagnostics: list[Diagnostic], label: str = "Apply fixes") -> bool:
        """Apply several fixes as one undo step (right to left, so spans stay valid)."""
        text = self._text
        done: list[tuple[int, int]] = []
        for d in sorted(diagnostics, key=lambda d: d.span, reverse=True):
            start, end = d.span
            if d.fix is None or not (0 <= start <= end <= len(text)):
                continue
            if any(start < b and a < end for a, b in done):
                continue  # overlapping fixes: the first one applied wins
            text = fixed_text(text, d)
            done.append((start, end))
        if text == self._text:
            return False
        self._push(_TextCommand(self, self._text, text, label), ORIGIN_PANEL)
        return True

    def add_image_prompt(self, url: str) -> None:
        """Put an image URL at the start of the prompt (after any image prompts already there)."""
        url = url.strip()
        parsed = self.lint().parsed or self.parsed()
        tokens = parsed.image_url_tokens
        at = tokens[-1].end if tokens else 0
        if at:
            new = self._text[:at] + " " + url + self._text[at:]
        else:
            new = url + (" " + self._text if self._text else " ")
        self.set_text(new, origin=ORIGIN_PANEL)

    def remove_image_prompt(self, index: int) -> None:
        parsed = self.lint().parsed or self.parsed()
        tokens = parsed.image_url_tokens
        if not 0 <= index < len(tokens):
            return
        token = tokens[index]
        start, end = token.start, token.end
        while end < len(self._text) and self._text[end].isspace():
            end += 1  # take the separating space with it
        self.set_text(self._text[:start] + self._text[end:], origin=ORIGIN_PANEL)

    def add_reference(self, kind: str, url: str) -> None:
        """Add `url` as an image prompt ("image") or to --sref/--oref/--cref (one undo step)."""
        if kind == "image":
            self.add_image_prompt(url)
            return
        current = list(getattr(self.params(), kind))
        limit = flag_support(self.model(), kind).max_items
        if url in current:
            return
        current.append(url.strip())
        if limit:
            current = current[-limit:]  # --oref takes one image: the new one replaces it
        self.set_param(kind, current)

    def remove_reference(self, kind: str, index: int) -> None:
        if kind == "image":
            self.remove_image_prompt(index)
            return
        current = list(getattr(self.params(), kind))
        if 0 <= index < len(current):
            del current[index]
            self.set_param(kind, current or None)

    def render_info(self) -> tuple[int, int, bool]:
        """(width, height, hd) of each image this prompt renders: the model's size for the
        aspect, and whether it comes out HD (v8 with --hd, v8.1 always)."""
        rules = load_rules()
        model = self.model()
        params = self.params()
        render = rules.tables[model].render
        hd_flag = params.hd and self.support("hd").usable
        hd = bool(render.get("hd_area")) and (hd_flag or render.get("hd_area") == render.get("area"))
        width, height = image_size(model, params.aspect, hd_flag)
        return width, height, hd

    def support(self, flag: str) -> "FlagSupport":
        """What the prompt's current model does with `flag` (canonical name or spelling)."""
        return flag_support(self.model(), flag)

    def seal_undo(self) -> None:
        """End the current merge run: the next edit starts a new undo step."""
        count = self.undo_stack.count()
        index = self.undo_stack.index()
        if count and index == count:
            top = self.undo_stack.command(index - 1)
            if isinstance(top, _TextCommand):
                top.sealed = True

    def set_default_model(self, model: str) -> None:
        """The model used when the prompt names none (a user setting, not part of the text)."""
        model = normalize_model(model) or model
        if model == self._default_model:
            return
        self._default_model = model
        self._params = None
        self._relint()
        self.default_model_changed.emit(model)

    def last_server_error(self, flag: str | None, message: str) -> bool:
        """Show a server rejection (HTTP 400) at the flag it names, until the text changes.

        Returns True if the flag was found in the current text.
        """
        name = (flag or "").lstrip("-—").strip().lower()
        self._server_error = (name, message)
        self._relint()
        return any(d.code == SERVER_ERROR_CODE and d.span != (0, 0)
                   for d in self.lint().diagnostics)

    # ---- internals -----------------------------------------------------------------------
    def _push(self, command: _TextCommand, origin: str) -> None:
        self._pending_origin = origin
        self.undo_stack.push(command)
        self._pending_origin = ORIGIN_PROGRAM

    def _apply(self, text: str, origin: str) -> None:
        self._origin = origin
        if text == self._text:
            return
        self._text = text
        self._params = None
        self._server_error = None  # the rejected request was for the old text
        if origin == ORIGIN_EDITOR:
            # Typing: never lint on the keystroke; once typing pauses (or on the first read).
            self._stale = True
            self._lint_timer.start()
            self.text_changed.emit(text)
            return
        # Lint first so text_changed listeners read a fresh lint(); views redraw on lint_changed.
        self._stale = False
        self._lint_timer.stop()
        self._lint = self._run_lint()
        self.text_changed.emit(text)
        self.lint_changed.emit(self._lint)

    def _lint_now(self) -> None:
        self._lint_timer.stop()
        if not self._stale:
            return
        self._relint()

    def _relint(self) -> None:
        self._stale = False
        self._lint_timer.stop()
        self._params = None
        self._lint = self._run_lint()
        self.lint_changed.emit(self._lint)

    def _run_lint(self) -> LintResult:
        book = self.presets.book if self.presets is not None else None
        result = lint_set(self._text, model=self._default_model, presets=book)
        if self._server_error is None:
            return result
        return _with_server_error(result, self, *self._server_error)


def _server_error_span(state: PromptState, name: str) -> tuple[int, int]:
    if name:
        parsed = state.parsed()
        for flag in parsed.flags:
            if name in (flag.name, (flag.raw_name or "").lstrip("-—").lower()):
                return (flag.start, flag.end)
    return (0, 0)


def _with_server_error(result: LintResult, state: PromptState, name: str, message: str) -> LintResult:
    diagnostic = Diagnostic(severity="error", code=SERVER_ERROR_CODE,
                            message=f"Server rejected the prompt: {message}",
                            span=_server_error_span(state, name), fix=None)
    diagnostics = list(result.diagnostics) + [diagnostic]
    return dataclasses.replace(result, diagnostics=diagnostics)
