"""Output files on disk: names that say what the file is, atomic writes, nothing overwritten.

Plain Python, no Qt: the grid's Save (through `JobsSession.save_images`) uses it, and so can
anything else that keeps a job's images as files.
"""

from __future__ import annotations

import errno
import os
import re
import tempfile
import threading
import unicodedata
from pathlib import Path
from typing import Any

# A flag starts a word ("--ar 3:2", "—v 7"); a dash inside a word ("well-lit") is part of it.
_SLUG_DROP = re.compile(r"((?:^|(?<=\s))(?:--?|—)[A-Za-z][\w-]*(\s+[^\s-][^\s]*)?)|(https?://\S+)|(<[^>]*>)")
_SLUG_MAX = 40
# One writer at a time in this process, so two saves never pick the same free name.
_write_lock = threading.Lock()
_save_pool: Any = None

# An output as the session holds it: its bytes until it is archived, then its file (so a
# viewed job costs no memory once its files are on disk).
Source = bytes | Path


def read_source(source: Source | None) -> bytes | None:
    """The bytes of an output (read from its file if archived); None if it is gone.
    Blocking for a file: call it from a worker thread."""
    if source is None or isinstance(source, bytes):
        return source
    try:
        return source.read_bytes()
    except OSError:
        return None


def _read_umask() -> int:
    # There is no way to read the umask without setting it; done once, at import.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


# mkstemp makes 0600 files; a saved image gets the mode any new file of this user would get.
_FILE_MODE = 0o666 & ~_read_umask()


def slug(text: str | None) -> str:
    """A file-name-safe start of a prompt: words only (no flags, no URLs), lowercase, dashes."""
    if not text:
        return ""
    words = re.findall(r"[a-z0-9]+", _SLUG_DROP.sub(" ", text.lower()))
    result = ""
    for word in words:
        candidate = f"{result}-{word}" if result else word
        if len(candidate) > _SLUG_MAX:
            break
        result = candidate
    return result or (words[0][:_SLUG_MAX] if words else "")


def job_stem(prompt: str | None, task_type: str, job_id: str) -> str:
    """`<prompt-slug>_<jobid8>`: the prompt's words (else the task type), then the job's id."""
    return f"{slug(prompt) or slug(task_type) or 'image'}_{job_id[:8]}"


def extension(data: bytes) -> str:
    """The file type from its first bytes (the URL may not say, or may lie)."""
    if data.startswith(b"\x89PNG"):
        return ".png"
    if data.startswith(b"\xff\xd8"):
        return ".jpg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return ".gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return ".webp"
    if data[:4] in (b"II*\x00", b"MM\x00*"):  # Topaz's output_format "tiff"
        return ".tiff"
    if data[4:8] == b"ftyp":
        return ".mp4"
    return ".bin"


# Characters no file name part may hold on some system: separators, Windows' reserved ones,
# controls. Device names Windows will not create a file under, whatever the extension.
_UNSAFE_CHARS = re.compile(r'[\x00-\x1f\x7f/\\<>:"|?*]+')
_DEVICE_NAMES = re.compile(r"(?i)(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?")
_EXT = re.compile(r"\.[a-z0-9]{1,5}")
_NAME_BYTES = 120  # well under every file system's 255, leaving room for "-12" and ".png.json"


def safe_part(text: str, fallback: str = "image") -> str:
    """`text` as one safe file-name part, whatever it came from (a prompt, a job id a server
    sent, a name typed in a dialog): no separators or reserved characters, no leading dots
    (never "." or ".."), no Windows device name, at most 120 bytes. Every name the studio
    writes a file under passes here (`free_path`)."""
    part = unicodedata.normalize("NFC", str(text or ""))
    part = _UNSAFE_CHARS.sub("-", part)
    part = re.sub(r"\s+", " ", part).strip(" .-")
    while len(part.encode("utf-8")) > _NAME_BYTES:
        part = part[:-1]
    part = part.rstrip(" .")
    if not part:
        return fallback
    if _DEVICE_NAMES.fullmatch(part):
        part = f"_{part}"
    return part


def free_path(folder: Path, name: str, ext: str, also: tuple[str, ...] = ()) -> Path:
    """`folder/name.ext`, or `name-2.ext`, `name-3.ext`, ... if that is taken. `also` names the
    suffixes of companion files that must be free too (`(".json",)`: a sidecar `name.ext.json`).
    `name` is made one safe part (`safe_part`) and `ext` a plain extension, so the file is
    always directly in `folder`."""
    name = safe_part(name)
    ext = ext.lower() if _EXT.fullmatch(ext.lower()) else ".bin"
    path = folder / f"{name}{ext}"
    n = 2
    while path.exists() or any(path.with_name(path.name + suffix).exists() for suffix in also):
        path = folder / f"{name}-{n}{ext}"
        n += 1
    return path


def write_files(folder: Path, stem: str, files: list[tuple[int, Source]]) -> list[Path]:
    """Write each `(index, data)` as `<stem>_<index+1><ext>` in `folder` (made if missing);
    `data` may be an archived file, which is copied (a file gone meanwhile raises OSError).

    Each file goes to a temporary name in the same folder and is moved into place, so a reader
    never sees half a file. Blocking: call it from a worker thread (`save_files`).
    """
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with _write_lock:
        for index, source in files:
            data = read_source(source)
            if data is None:
                raise FileNotFoundError(f"the archived file {source} is gone")
            tmp = write_temp(folder, data)
            try:
                written.append(publish(tmp, folder, f"{stem}_{index + 1}", extension(data)))
            finally:
                _unlink(tmp)
    return written


def write_temp(folder: Path, data: bytes) -> Path:
    """`data` in a new hidden temporary file in `folder` (`.saving-*.part`), synced, with the
    user's normal file mode. The caller `publish`es it, then removes the temporary name."""
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".saving-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, _FILE_MODE)
    except BaseException:
        _unlink(tmp)
        raise
    return Path(tmp)


def _unlink(path: str | Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def publish(tmp: Path, folder: Path, name: str, ext: str,
            companions: tuple[tuple[str, Path], ...] = ()) -> Path:
    """Give the finished temporary file a free name without ever replacing a file: a hard link
    fails if the name was taken meanwhile (another program, another studio), and we try the
    next. Where links are not supported (FAT, some network shares) the file is moved instead.

    `companions` are `(suffix, temporary file)` pairs published beside it as `<file><suffix>`
    (a sidecar `fox_1.jpg.json`): the name is chosen so that every one of them is free, and if
    one is taken meanwhile, what was placed is taken back and the next name tried.
    Call it holding `_write_lock`."""
    also = tuple(suffix for suffix, _ in companions)
    while True:
        target = free_path(folder, name, ext, also) if also else free_path(folder, name, ext)
        moves = [(tmp, target), *((src, target.with_name(target.name + sfx)) for sfx, src in companions)]
        placed: list[tuple[Path, Path, bool]] = []
        try:
            for src, dst in moves:
                placed.append((src, dst, _place(src, dst)))
            return target
        except BaseException as exc:
            for src, dst, moved in reversed(placed):
                try:
                    if moved:
                        os.replace(dst, src)
                    else:
                        os.unlink(dst)
                except OSError:
                    pass
            if not isinstance(exc, FileExistsError):
                raise


def _place(src: Path, dst: Path) -> bool:
    """`src` also under the name `dst`, never over a file (FileExistsError if `dst` is taken).
    True if it had to be moved there (no hard links on this file system)."""
    try:
        os.link(src, dst)
        return False
    except FileExistsError:
        raise
    except OSError:
        if dst.exists():
            raise FileExistsError(errno.EEXIST, "File exists", str(dst)) from None
        os.replace(src, dst)
        return True


async def save_files(folder: Path, stem: str, files: list[tuple[int, Source]]) -> list[Path]:
    """`write_files` in a worker thread, so the event loop never waits on the disk."""
    import asyncio  # not at module level: start-up time (see studio.session.jobs)

    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_save_executor(), write_files, folder, stem, files)


def _save_executor() -> Any:
    """A plain worker thread for file writes (qasync's default executor runs QThreads, which
    complain when the process exits while they are parked)."""
    global _save_pool
    if _save_pool is None:
        from concurrent.futures import ThreadPoolExecutor

        _save_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="save-files")
    return _save_pool
