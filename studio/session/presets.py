"""The user's presets library as the window sees it: one observable PresetBook, saved on change.

Widgets (the preset picker, the presets dialog) and the prompt (studio.session.prompt_state)
read `book` and listen to `changed`; every change goes through this object, which writes the
file (studio.store.preset_file) and says what happened in `message` when something could not
be done as asked. A change that cannot be written is kept for the run, and the message says so:
nothing the user made is dropped silently.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal

from studio.prompt.presets import Preset, PresetBook, PresetFileError, suitability
from studio.store import preset_file


class PresetLibrary(QObject):
    changed = Signal(object)  # PresetBook
    message = Signal(str)  # something the user must read (a file problem, an import summary)

    def __init__(self, path: Path | None = None, *, load: bool = True, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.path = path
        self._book = PresetBook()
        self.writable = path is not None or load
        self._keep_copy = False
        self.last_message = ""
        if load:
            self.reload()

    @classmethod
    def in_memory(cls, book: PresetBook | None = None) -> PresetLibrary:
        """A library that is never written (tests, scripted runs)."""
        library = cls(load=False)
        library.writable = False
        library._book = book or PresetBook()
        return library

    # ---- reading -------------------------------------------------------------------------------
    @property
    def book(self) -> PresetBook:
        return self._book

    def presets(self) -> tuple[Preset, ...]:
        return self._book.presets

    def get(self, name: str) -> Preset | None:
        return self._book.get(name)

    def suitability(self, name: str, model: str, *, video: bool = False) -> list[str]:
        """Why preset `name` does not suit `model`, from the rules ([] when it suits)."""
        return suitability(self._book, name, model, video=video)

    # ---- changing ------------------------------------------------------------------------------
    def reload(self) -> None:
        loaded = preset_file.load(self.path)
        self._book = loaded.book
        self.writable = loaded.writable
        self._keep_copy = loaded.keep_copy
        if loaded.message:
            self._say(loaded.message)
        self.changed.emit(self._book)

    def save_preset(self, preset: Preset, replacing: str | None = None) -> Preset:
        """Add or replace a preset; ValueError (with the words to show) when refused."""
        book = self._book.with_preset(preset, replacing)
        self._set(book)
        saved = book.get(preset.name.lstrip("-"))
        assert saved is not None
        return saved

    def delete(self, name: str) -> Preset | None:
        gone = self._book.get(name)
        if gone is not None:
            self._set(self._book.without(name))
        return gone

    def set_suffix(self, suffix: str) -> None:
        """ValueError (with the words to show) when the suffix is refused."""
        self._set(self._book.with_suffix(suffix))

    def import_file(self, path: Path) -> list[str]:
        """Add the presets of a shared file; returns what happened, one line each. Raises
        PresetFileError (with the words to show) when the file cannot be read at all."""
        other, skipped = preset_file.read_shared(Path(path))
        book, notes = self._book.merged(other)
        self._set(book)
        lines = notes + [f"skipped {s}" for s in skipped]
        if not other.presets and not other.suffix:
            lines.append(f"{Path(path).name} holds no presets")
        return lines

    def export_file(self, path: Path, names: list[str] | None = None) -> int:
        """Write the presets (all, or those named) to a file to share; returns how many.
        Raises OSError when the file cannot be written."""
        chosen = [p for p in self._book.presets if names is None or p.name in names]
        book = PresetBook(tuple(chosen), self._book.suffix if names is None else "")
        preset_file.write_shared(book, Path(path))
        return len(chosen)

    def _set(self, book: PresetBook) -> None:
        self._book = book
        if self.writable:
            try:
                copy = preset_file.save(book, self.path, keep_copy=self._keep_copy)
            except OSError as exc:
                self._say(f"Presets could not be saved ({exc.strerror or exc}); they are kept for "
                          "this run — check the config folder and change a preset to try again.")
            else:
                if copy is not None:
                    self._say(f"The presets file had entries this studio could not read; "
                              f"the old file was kept as {copy.name}.")
                self._keep_copy = False
        self.changed.emit(book)

    def _say(self, text: str) -> None:
        self.last_message = text
        self.message.emit(text)


__all__ = ["PresetFileError", "PresetLibrary"]
