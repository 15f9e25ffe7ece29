"""The on-disk archive of job outputs: every image and video the studio downloaded, kept safe.

Layout: `root/<key[:2]>/<key>/<kind>-<index>.<ext>` (and `thumb-<index>.webp` beside it). Names
come only from the record's key and the output's index, never from anything the server sent,
so a hostile URL or file name cannot steer a write. A file appears under its final name only
once it is complete, synced and verified; until then it is a hidden `.part` file, which
`clean_partials` removes after a crash. Plain Python, no Qt.
"""

from __future__ import annotations

import asyncio
import errno
import os
import re
import shutil
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import aclosing
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from studio.limits import size_text
from studio.store.files import _FILE_MODE, extension

if TYPE_CHECKING:
    from studio.store.records import JobRecord

# A record key is uuid4().hex (or a dashed uuid): hex and dashes only, so it can never name a
# parent folder, a drive or a separator. It must start with a hex digit (no "-flag" names).
_KEY = re.compile(r"[0-9a-f][0-9a-f-]{7,63}")
_KIND = re.compile(r"[a-z]{1,16}")
_EXT = re.compile(r"[a-z0-9]{1,5}")
_NAME = re.compile(r"(?P<kind>[a-z]{1,16})-(?P<index>\d+)\.[a-z0-9]{1,5}")
_PART = ".part"
_HEAD = 16  # bytes enough for `extension` to sniff every type it knows

# Pillow's format names for the extensions `extension` sniffs (MPO is a multi-picture JPEG).
_IMAGE_FORMATS = {"PNG": ".png", "JPEG": ".jpg", "MPO": ".jpg", "WEBP": ".webp", "GIF": ".gif", "TIFF": ".tiff"}
_VIDEO_EXTS = (".mp4", ".gif")
# Disk-full errors: ENOSPC, and a user's quota (EDQUOT, where the platform has it).
_DISK_FULL = {errno.ENOSPC} | ({errno.EDQUOT} if hasattr(errno, "EDQUOT") else set())


class ArchiveError(Exception):
    """A file could not be archived; the message is meant for the user."""

    def __init__(self, message: str, *, errno: int | None = None) -> None:
        super().__init__(message)
        self.errno = errno


class CorruptFileError(ArchiveError):
    """The downloaded bytes are not the complete image or video they claim to be."""


def _write(fd: int, data: bytes | memoryview) -> None:
    """All of `data` to `fd` (os.write may write less than asked). Its own function so a test
    can make the disk "fill up"."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _unlink(path: str | Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _sync_folder(folder: Path) -> None:
    """Make a rename durable: on POSIX the folder's entry must be synced too. Windows cannot
    open a folder this way, and it does not need to."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


async def _as_chunks(chunks: AsyncIterator[bytes] | bytes) -> AsyncIterator[bytes]:
    if isinstance(chunks, (bytes, bytearray, memoryview)):
        yield bytes(chunks)
        return
    async for chunk in chunks:
        yield chunk


# ---- verification (blocking: run in a worker thread) -----------------------------------------

def _verify(path: Path, kind: str, ext: str) -> None:
    """Raise CorruptFileError unless `path` is a complete file of the sniffed type."""
    if kind == "image" and ext in _IMAGE_FORMATS.values():
        _verify_image(path, ext)
    elif kind == "video" and ext in _VIDEO_EXTS:
        _verify_video(path, ext)
    elif kind == "image":
        raise CorruptFileError("The server sent something that is not an image.")
    elif kind == "video":
        raise CorruptFileError("The server sent something that is not a video.")
    else:
        raise CorruptFileError(f"Outputs of kind {kind!r} are not archived as files.")


def _verify_image(path: Path, ext: str) -> None:
    from studio.store.images import TooManyPixelsError, open_image

    try:
        # The pixels its header declares are checked first: a pixel bomb is refused unread.
        with open_image(path) as im:
            found = im.format
            im.verify()
    except TooManyPixelsError:
        raise
    except Exception as exc:  # Pillow raises many types (OSError, SyntaxError, struct.error...)
        raise CorruptFileError(f"The downloaded image is damaged or incomplete ({exc}).") from exc
    if _IMAGE_FORMATS.get(found or "") != ext:
        raise CorruptFileError(f"The downloaded file claims to be {ext[1:].upper()} but is {found}.")
    # verify() checks PNG's chunks and CRCs to the end, but for JPEG, WebP and GIF it reads
    # little more than the header; a cut-off download is caught by each format's ending.
    size = path.stat().st_size
    with open(path, "rb") as f:
        f.seek(max(0, size - 64))
        tail = f.read()
        f.seek(0)
        head = f.read(12)
    if ext == ".jpg" and not tail.rstrip(b"\0\r\n ").endswith(b"\xff\xd9"):
        raise CorruptFileError("The downloaded JPEG image is incomplete (no end marker).")
    if ext == ".gif" and not tail.rstrip(b"\0").endswith(b"\x3b"):
        raise CorruptFileError("The downloaded GIF image is incomplete (no trailer).")
    if ext == ".webp" and int.from_bytes(head[4:8], "little") + 8 > size:
        raise CorruptFileError("The downloaded WebP image is incomplete.")


def _verify_video(path: Path, ext: str) -> None:
    size = path.stat().st_size
    with open(path, "rb") as f:
        if ext == ".gif":
            if f.read(6) not in (b"GIF87a", b"GIF89a"):
                raise CorruptFileError("The downloaded video is not a GIF.")
            return
        # An MP4 is a chain of boxes (size, type); a cut-off download leaves the last box
        # claiming more bytes than the file has.
        offset = 0
        first = True
        while offset < size:
            f.seek(offset)
            header = f.read(16)
            if len(header) < 8:
                raise CorruptFileError("The downloaded video is incomplete.")
            box = int.from_bytes(header[:4], "big")
            if first and header[4:8] != b"ftyp":
                raise CorruptFileError("The downloaded video is not an MP4.")
            first = False
            if box == 1:  # a 64-bit size follows the type
                if len(header) < 16:
                    raise CorruptFileError("The downloaded video is incomplete.")
                box = int.from_bytes(header[8:16], "big")
            elif box == 0:  # the box runs to the end of the file
                box = size - offset
            if box < 8 or offset + box > size:
                raise CorruptFileError("The downloaded video is incomplete.")
            offset += box


def _still(path: Path):  # noqa: ANN202 - a Pillow image
    """A video's first frame (PyAV), what its thumbnail is made of."""
    from studio.store.video import VideoDecodeError, poster

    try:
        return poster(path)
    except VideoDecodeError as exc:
        raise CorruptFileError(f"No thumbnail could be made of {path.name}: {exc}.") from exc


def _make_thumbnail(path: Path, target_index: int, size: int) -> Path:
    from PIL import features

    from studio.store.images import thumbnail

    webp = bool(features.check("webp"))
    target = path.with_name(f"thumb-{target_index}{'.webp' if webp else '.jpg'}")
    if path.suffix == ".mp4":  # a video's still: its first frame (small already)
        still = _still(path)
        still.thumbnail((size, size))
    else:  # decoded within the process's pixel budget; a JPEG at 1/2..1/8 of its size straight away
        still = thumbnail(path, size)
    with still as im:
        if webp:
            # WebP takes RGB or RGBA; a palette or grey image keeps its transparency, if any.
            alpha = "A" in im.getbands() or "transparency" in im.info
            out = im if im.mode in ("RGB", "RGBA") else im.convert("RGBA" if alpha else "RGB")
        else:
            out = im.convert("RGB")  # JPEG has no alpha
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{target.stem}-", suffix=_PART)
        try:
            with os.fdopen(fd, "wb") as f:
                out.save(f, "WEBP" if webp else "JPEG", quality=80)
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, _FILE_MODE)
            os.replace(tmp, target)
        except BaseException:
            _unlink(tmp)
            raise
    return target


# ---- the archive -------------------------------------------------------------------------------

class Archive:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    # -- names --

    def folder(self, key: str) -> Path:
        """A job's folder. Raises ValueError for a key that is not hex/uuid-like."""
        if not isinstance(key, str) or not _KEY.fullmatch(key):
            raise ValueError(f"Not a record key: {key!r}")
        return self.root / key[:2] / key

    def path_for(self, key: str, kind: str, index: int, ext: str) -> Path:
        """Where output `index` of `kind` ("image", "video") of job `key` lives. `ext` may have
        its dot or not ("png", ".png")."""
        ext = ext.lower().lstrip(".")
        if not _KIND.fullmatch(kind or ""):
            raise ValueError(f"Not an output kind: {kind!r}")
        if isinstance(index, bool) or not isinstance(index, int) or index < 0:
            raise ValueError(f"Not an output index: {index!r}")
        if not _EXT.fullmatch(ext):
            raise ValueError(f"Not a file extension: {ext!r}")
        return self.folder(key) / f"{kind}-{index}.{ext}"

    def relative(self, path: Path) -> str:
        """`path` relative to the root, with forward slashes (records move between systems)."""
        try:
            rel = Path(path).relative_to(self.root)
        except ValueError:
            raise ValueError(f"{path} is not in the archive at {self.root}") from None
        if ".." in rel.parts or not rel.parts:
            raise ValueError(f"{path} is not in the archive at {self.root}")
        return rel.as_posix()

    def named(self, rel: str) -> Path:
        """The file a record's relative path names, checked by its words only (absolute
        paths, "..", backslashes): enough to read a thumbnail while painting, where resolving
        links on every tile would stall scrolling. Writing and deleting use `absolute`."""
        if not isinstance(rel, str) or not rel or "\\" in rel or "\0" in rel:
            raise ValueError(f"Not an archive path: {rel!r}")
        pure = PurePosixPath(rel)
        if pure.is_absolute() or ".." in pure.parts or (pure.parts and ":" in pure.parts[0]):
            raise ValueError(f"Not an archive path: {rel!r}")
        return self.root.joinpath(*pure.parts)

    def absolute(self, rel: str) -> Path:
        """The file a record's relative path names. Refuses anything that would leave the root
        (absolute paths, "..", backslashes, a symlink pointing out)."""
        path = self.named(rel)
        if not path.resolve().is_relative_to(self.root.resolve()):
            raise ValueError(f"Not an archive path: {rel!r}")
        return path

    # -- writing --

    async def store(
        self,
        key: str,
        kind: str,
        index: int,
        chunks: AsyncIterator[bytes] | bytes,
        *,
        max_bytes: int,
    ) -> Path:
        """Stream `chunks` into the archive and return the final path.

        The bytes go to a hidden `.part` file in the job's folder, are synced and verified,
        and only then renamed into place, so the final name always holds a whole, checked
        file. On any failure (too big, corrupt, disk full, cancelled) the part file is removed.
        """
        folder = self.folder(key)
        self.path_for(key, kind, index, "bin")  # validate kind and index before touching disk
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{kind}-{index}-", suffix=_PART)
        closed = False
        try:
            head = bytearray()
            total = 0
            try:
                # Writes happen on the loop: chunks are network-sized and land in the page
                # cache. The slow parts (fsync, verification) run in a worker thread.
                async with aclosing(_as_chunks(chunks)) as pieces:  # closed here, however it ends
                    async for chunk in pieces:
                        if not chunk:
                            continue
                        total += len(chunk)
                        if total > max_bytes:
                            raise ArchiveError(
                                f"The file is larger than the {size_text(max_bytes)} limit, so it was not saved."
                            )
                        if len(head) < _HEAD:
                            head += chunk[: _HEAD - len(head)]
                        _write(fd, chunk)
                await asyncio.to_thread(os.fsync, fd)
            finally:
                os.close(fd)
                closed = True
            ext = extension(bytes(head))
            await asyncio.to_thread(_verify, Path(tmp), kind, ext)
            target = self.path_for(key, kind, index, ext)
            await asyncio.to_thread(self._publish, Path(tmp), target)
            return target
        except OSError as exc:
            if exc.errno in _DISK_FULL:
                raise ArchiveError(
                    f"The disk is full: there was no room to save {kind} {index + 1} in {self.root}.",
                    errno=exc.errno,
                ) from exc
            raise
        finally:
            if not closed:
                os.close(fd)
            _unlink(tmp)  # gone after a failure; after os.replace the name no longer exists

    def _publish(self, tmp: Path, target: Path) -> None:
        os.chmod(tmp, _FILE_MODE)  # mkstemp makes 0600 files
        os.replace(tmp, target)
        # A re-download may bring another type (JPEG where there was a PNG): drop the old one
        # so the folder has one file per output.
        for other in target.parent.glob(f"{target.stem}.*"):
            if other != target and not other.name.endswith(_PART):
                _unlink(other)
        _sync_folder(target.parent)

    async def thumbnail(self, path: Path, size: int = 256) -> Path:
        """Make `thumb-<index>.webp` (`.jpg` where Pillow lacks WebP) beside an archived image
        (or of a video's first frame), at most `size` pixels each way; returns its path."""
        path = Path(path)
        match = _NAME.fullmatch(path.name)
        if match is None:
            raise ValueError(f"Not an archived output: {path}")
        try:
            return await asyncio.to_thread(_make_thumbnail, path, int(match["index"]), size)
        except OSError as exc:
            if exc.errno in _DISK_FULL:
                raise ArchiveError("The disk is full: there was no room for a thumbnail.", errno=exc.errno) from exc
            if exc.errno is None:  # Pillow's "cannot identify image file" and the like
                raise CorruptFileError(f"No thumbnail could be made of {path.name} ({exc}).") from exc
            raise

    # -- upkeep --

    def check(self, record: JobRecord) -> list[int]:
        """Indexes of the record's outputs whose archived file is gone or empty (deleted by
        hand): the session downloads them again."""
        missing = []
        for output in record.outputs:
            if not output.path:
                continue
            try:
                ok = self.absolute(output.path).stat().st_size > 0
            except (OSError, ValueError):
                ok = False
            if not ok:
                missing.append(output.index)
        return missing

    def remove(self, key: str) -> None:
        """Delete a job's folder and everything in it (no error if it is already gone)."""
        folder = self.folder(key)
        shutil.rmtree(folder, ignore_errors=True)
        try:
            folder.parent.rmdir()  # the two-letter shard, once it is empty
        except OSError:
            pass

    # A deleted job's folder waits here while its delete can be undone.
    ASIDE = ".deleted"

    def set_aside(self, key: str) -> Path | None:
        """Move a job's folder out of the archive, where `put_back` finds it again (the undo
        of a delete) and `empty_aside` removes it. None when the job has no folder."""
        folder = self.folder(key)
        if not folder.is_dir():
            return None
        aside = self.root / self.ASIDE / key
        shutil.rmtree(aside, ignore_errors=True)
        aside.parent.mkdir(parents=True, exist_ok=True)
        folder.rename(aside)  # same file system: one rename, nothing copied
        try:
            folder.parent.rmdir()
        except OSError:
            pass
        return aside

    def put_back(self, key: str) -> bool:
        """Bring back a folder `set_aside` moved; False when it is no longer there."""
        aside = self.root / self.ASIDE / key
        if not aside.is_dir():
            return False
        folder = self.folder(key)
        folder.parent.mkdir(parents=True, exist_ok=True)
        aside.rename(folder)
        return True

    def empty_aside(self, keys: list[str] | None = None) -> None:
        """Remove for good the folders set aside (these keys', or all)."""
        base = self.root / self.ASIDE
        if keys is None:
            shutil.rmtree(base, ignore_errors=True)
            return
        for key in keys:
            self.folder(key)  # refuses anything that is not a key
            shutil.rmtree(base / key, ignore_errors=True)

    def clean_partials(self, *, older_than: float = 0.0) -> int:
        """Remove `.part` files a crash left behind; returns how many. Called at start, when no
        download is running; `older_than` (seconds) spares parts another process may be
        writing right now."""
        if not self.root.is_dir():
            return 0
        cutoff = time.time() - older_than
        removed = 0
        for part in self.root.glob(f"*/*/*{_PART}"):
            try:
                if part.is_file() and part.stat().st_mtime <= cutoff:
                    part.unlink()
                    removed += 1
            except OSError:
                pass
        return removed
