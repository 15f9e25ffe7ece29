"""The presets file: the user's presets and default suffix (studio.prompt.presets) as JSON in the
config folder (`presets.json`), and the files presets are shared in.

Writes go to a synced temporary file in the same folder that is then renamed over the old one
(studio.store.files.write_temp), so a crash leaves the old file or the new one, never half of
one. Nothing is ever lost: a damaged file is kept aside (`presets.json.damaged-<time>`) before a
new one is started; a file with entries this studio had to skip is copied aside before it is
first overwritten; a file from a newer studio is never written at all (changes then live for
this run only, and the session says so).
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from studio.prompt.presets import NewerPresetFile, PresetBook, PresetFileError
from studio.store.files import write_temp

FILE_NAME = "presets.json"


def presets_path() -> Path:
    from studio import paths

    return paths.config_dir() / FILE_NAME


@dataclass
class Loaded:
    book: PresetBook
    message: str = ""  # what the user must be told ("" when all went well)
    writable: bool = True  # False: the file is a newer studio's (or unreadable) and is left alone
    keep_copy: bool = False  # entries were skipped: copy the file aside before overwriting it


def _aside(path: Path, tag: str) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.{tag}-{stamp}")
    n = 2
    while target.exists():
        target = path.with_name(f"{path.name}.{tag}-{stamp}-{n}")
        n += 1
    return target


def load(path: Path | None = None) -> Loaded:
    """The book in `path` (default: the config folder's), never raising."""
    path = path or presets_path()
    if not path.exists():
        return Loaded(PresetBook())
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        return Loaded(PresetBook(), f"The presets file {path} cannot be read ({exc.strerror or exc}); "
                                    "presets are off for this run and the file is left as it is.",
                      writable=False)
    except UnicodeDecodeError:
        text = "\0"  # not text at all: damaged, handled below
    try:
        book, skipped = PresetBook.loads(text, what=f"The presets file {path.name}")
    except NewerPresetFile as exc:
        return Loaded(PresetBook(), f"{exc}. Presets made now last for this run only.", writable=False)
    except PresetFileError as exc:
        aside = _aside(path, "damaged")
        try:
            os.replace(path, aside)
        except OSError as move_exc:
            return Loaded(PresetBook(), f"{exc}. It could not be set aside ({move_exc.strerror or move_exc}), "
                                        "so it is left as it is and presets last for this run only.",
                          writable=False)
        return Loaded(PresetBook(), f"{exc}. It was kept as {aside.name} and a new presets file started.")
    if skipped:
        return Loaded(book, "Some presets could not be read and were left out: " + "; ".join(skipped)
                      + f". The file keeps them until it is next saved; a copy is kept then.",
                      keep_copy=True)
    return Loaded(book)


def save(book: PresetBook, path: Path | None = None, *, keep_copy: bool = False) -> Path | None:
    """Write `book` to `path` atomically. With `keep_copy`, the file there now is first copied
    aside (returned). Raises OSError when the folder or file cannot be written."""
    path = path or presets_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    copy = None
    if keep_copy and path.exists():
        copy = _aside(path, "skipped")
        shutil.copy2(path, copy)
    tmp = write_temp(path.parent, book.dumps().encode("utf-8"))
    try:
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return copy


def read_shared(path: Path) -> tuple[PresetBook, list[str]]:
    """Presets from a file someone shared (an import). Raises PresetFileError with the words
    to show when it cannot be read at all."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PresetFileError(f"{path.name} cannot be read ({exc.strerror or exc})") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise PresetFileError(f"{path.name} is not a presets file (it is not text)") from None
    return PresetBook.loads(text, what=path.name)


def write_shared(book: PresetBook, path: Path) -> None:
    """Presets into a file to share (an export), atomically. Raises OSError."""
    save(book, path)


__all__ = ["FILE_NAME", "Loaded", "load", "presets_path", "read_shared", "save", "write_shared"]
