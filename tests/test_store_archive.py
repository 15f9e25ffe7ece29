"""The archive of job outputs: only whole, verified files under names from the record key."""

from __future__ import annotations

import asyncio
import errno
import io
import os
from pathlib import Path

import pytest
from PIL import Image

from studio.store import archive as archive_mod
from studio.store.archive import Archive, ArchiveError, CorruptFileError
from studio.store.records import JobRecord, Output

KEY = "0123456789abcdef0123456789abcdef"
MB = 1 << 20


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (640, 480), mode: str = "RGB") -> bytes:
    buf = io.BytesIO()
    Image.new(mode, size, (200, 30, 90) if mode == "RGB" else None).save(buf, fmt)
    return buf.getvalue()


def mp4_bytes() -> bytes:
    ftyp = (20).to_bytes(4, "big") + b"ftypisom" + b"\0\0\0\0" + b"isom"
    mdat = (16).to_bytes(4, "big") + b"mdat" + b"\0" * 8
    return ftyp + mdat


async def chunked(data: bytes, size: int = 1000):
    for i in range(0, len(data), size):
        await asyncio.sleep(0)
        yield data[i : i + size]


def leftovers(root: Path) -> list[str]:
    return sorted(p.name for p in root.rglob("*") if p.is_file())


@pytest.fixture
def archive(tmp_path) -> Archive:
    return Archive(tmp_path / "archive")


def test_a_png_is_stored_under_its_key_and_verified(archive):
    data = image_bytes()
    path = asyncio.run(archive.store(KEY, "image", 0, data, max_bytes=MB))
    assert path == archive.root / "01" / KEY / "image-0.png"
    assert path.read_bytes() == data
    assert leftovers(archive.root) == ["image-0.png"]
    assert archive.relative(path) == f"01/{KEY}/image-0.png"
    assert archive.absolute(archive.relative(path)) == path


def test_chunks_from_an_async_generator_are_streamed(archive):
    data = image_bytes("JPEG")
    path = asyncio.run(archive.store(KEY, "image", 2, chunked(data, 7), max_bytes=MB))
    assert path.name == "image-2.jpg"
    assert path.read_bytes() == data


def test_a_truncated_png_is_refused_and_nothing_is_left(archive):
    data = image_bytes()
    with pytest.raises(CorruptFileError):
        asyncio.run(archive.store(KEY, "image", 0, chunked(data[: len(data) // 2]), max_bytes=MB))
    assert leftovers(archive.root) == []


def test_a_truncated_jpeg_is_refused(archive):
    data = image_bytes("JPEG")
    with pytest.raises(CorruptFileError):
        asyncio.run(archive.store(KEY, "image", 0, data[:-200], max_bytes=MB))
    assert leftovers(archive.root) == []


def test_an_oversize_download_is_aborted_naming_the_limit(archive):
    data = image_bytes(size=(1200, 1200), mode="RGB") + b"\0" * 5000
    seen = []

    async def source():
        async for chunk in chunked(data, 1000):
            seen.append(len(chunk))
            yield chunk

    with pytest.raises(ArchiveError, match="4 KB limit") as info:
        asyncio.run(archive.store(KEY, "image", 0, source(), max_bytes=4096))
    assert not isinstance(info.value, CorruptFileError)
    assert sum(seen) <= 5000  # stopped reading as soon as the limit was passed
    assert leftovers(archive.root) == []


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n" + b"garbage" * 50,          # claims PNG, is not
        b"<html>Access denied</html>",                     # an error page
        b"",                                               # nothing at all
    ],
)
def test_garbage_is_refused(archive, data):
    with pytest.raises(CorruptFileError):
        asyncio.run(archive.store(KEY, "image", 0, data, max_bytes=MB))
    assert leftovers(archive.root) == []


def test_a_file_whose_format_disagrees_with_its_header_is_refused(archive, monkeypatch):
    # A real JPEG whose first bytes were sniffed as PNG: verification must compare formats.
    monkeypatch.setattr(archive_mod, "extension", lambda head: ".png")
    with pytest.raises(CorruptFileError, match="claims to be PNG"):
        asyncio.run(archive.store(KEY, "image", 0, image_bytes("JPEG"), max_bytes=MB))
    assert leftovers(archive.root) == []


def test_videos_need_an_mp4_or_gif_header_and_whole_boxes(archive):
    path = asyncio.run(archive.store(KEY, "video", 0, mp4_bytes(), max_bytes=MB))
    assert path.name == "video-0.mp4"
    with pytest.raises(CorruptFileError):
        asyncio.run(archive.store(KEY, "video", 1, mp4_bytes()[:-4], max_bytes=MB))
    with pytest.raises(CorruptFileError):
        asyncio.run(archive.store(KEY, "video", 1, image_bytes(), max_bytes=MB))
    gif = asyncio.run(archive.store(KEY, "video", 2, image_bytes("GIF"), max_bytes=MB))
    assert gif.name == "video-2.gif"
    assert leftovers(archive.root) == ["video-0.mp4", "video-2.gif"]


def test_a_redownload_of_another_type_replaces_the_old_file(archive):
    asyncio.run(archive.store(KEY, "image", 0, image_bytes("PNG"), max_bytes=MB))
    asyncio.run(archive.store(KEY, "image", 0, image_bytes("JPEG"), max_bytes=MB))
    assert leftovers(archive.root) == ["image-0.jpg"]


def test_clean_partials_removes_crash_leftovers_and_keeps_finished_files(archive):
    done = asyncio.run(archive.store(KEY, "image", 0, image_bytes(), max_bytes=MB))
    part = done.parent / ".image-1-abc123.part"
    part.write_bytes(b"half a file")
    other = archive.root / "fe" / ("fe" + "0" * 30) / ".video-0-x.part"
    other.parent.mkdir(parents=True)
    other.write_bytes(b"")
    assert archive.clean_partials() == 2
    assert leftovers(archive.root) == ["image-0.png"]
    assert done.read_bytes()


def test_clean_partials_can_spare_fresh_parts(archive):
    part = archive.root / "01" / KEY / ".image-0-x.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(b"x")
    assert archive.clean_partials(older_than=3600) == 0
    assert part.exists()
    assert Archive(archive.root / "missing").clean_partials() == 0


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_thumbnail_is_made_beside_the_image_and_small(archive, fmt):
    path = asyncio.run(archive.store(KEY, "image", 3, image_bytes(fmt, (1600, 900)), max_bytes=4 * MB))
    thumb = asyncio.run(archive.thumbnail(path))
    assert thumb.parent == path.parent
    assert thumb.name in ("thumb-3.webp", "thumb-3.jpg")
    with Image.open(thumb) as im:
        assert max(im.size) <= 256 < 257
        assert im.size[0] > im.size[1]  # the aspect ratio is kept
    assert not list(path.parent.glob("*.part"))


def test_thumbnail_falls_back_to_jpeg_without_webp(archive, monkeypatch):
    from PIL import features

    path = asyncio.run(archive.store(KEY, "image", 0, image_bytes("PNG", (300, 300), "RGBA"), max_bytes=MB))
    monkeypatch.setattr(features, "check", lambda name: False if name == "webp" else True)
    thumb = asyncio.run(archive.thumbnail(path, size=64))
    assert thumb.name == "thumb-0.jpg"
    with Image.open(thumb) as im:
        assert im.format == "JPEG" and im.size == (64, 64)


def test_a_videos_thumbnail_is_its_first_frame_and_an_undecodable_one_is_named(archive):
    from studio.sandbox.images import abstract_art, video_mp4
    from studio.store.video import poster

    data = video_mp4(abstract_art(640, 400, 7), 320, 7, seconds=1.0)
    path = asyncio.run(archive.store(KEY, "video", 1, data, max_bytes=4 * MB))
    thumb = asyncio.run(archive.thumbnail(path, size=128))
    assert thumb.name in ("thumb-1.webp", "thumb-1.jpg")
    first = poster(path)
    with Image.open(thumb) as im:
        assert im.size == (128, round(128 * first.height / first.width))
    broken = asyncio.run(archive.store(KEY, "video", 2, mp4_bytes(), max_bytes=MB))  # whole boxes, no picture
    with pytest.raises(CorruptFileError, match="No thumbnail could be made of video-2.mp4"):
        asyncio.run(archive.thumbnail(broken))
    assert broken.is_file()  # the video itself is kept


@pytest.mark.parametrize(
    "key",
    ["..", "a/b", "..\\x", "../" + KEY, KEY + "/..", "short", "ABCDEF0123456789", "-" * 10, "", "0" * 65, None],
)
def test_path_for_refuses_keys_that_are_not_record_keys(archive, key):
    with pytest.raises(ValueError):
        archive.path_for(key, "image", 0, "png")


def test_path_for_accepts_hex_and_dashed_uuids_and_checks_the_rest(archive):
    assert archive.path_for(KEY, "image", 1, ".PNG").name == "image-1.png"
    dashed = "01234567-89ab-cdef-0123-456789abcdef"
    assert archive.path_for(dashed, "video", 0, "mp4") == archive.root / "01" / dashed / "video-0.mp4"
    for kind, index, ext in [("../x", 0, "png"), ("image", -1, "png"), ("image", True, "png"), ("image", 0, "p/ng")]:
        with pytest.raises(ValueError):
            archive.path_for(KEY, kind, index, ext)


@pytest.mark.parametrize("rel", ["../x", "01/../../x", "/etc/passwd", "..\\x", "", "C:/x", "a\0b"])
def test_absolute_refuses_paths_leaving_the_root(archive, rel):
    with pytest.raises(ValueError):
        archive.absolute(rel)


def test_absolute_refuses_a_symlink_pointing_out(archive, tmp_path):
    archive.root.mkdir()
    (archive.root / "01").symlink_to(tmp_path)
    with pytest.raises(ValueError):
        archive.absolute("01/x")
    with pytest.raises(ValueError):
        archive.relative(tmp_path / "elsewhere.png")


def test_check_finds_files_deleted_or_emptied_by_hand(archive):
    paths = [asyncio.run(archive.store(KEY, "image", i, image_bytes(), max_bytes=MB)) for i in range(4)]
    record = JobRecord(op="imagine", key=KEY)
    record.outputs = [Output("image", i, path=archive.relative(p)) for i, p in enumerate(paths)]
    record.outputs.append(Output("image", 4))  # never downloaded: not the archive's business
    record.outputs.append(Output("image", 5, path="../outside.png"))  # a tampered record
    assert archive.check(record) == [5]
    paths[1].unlink()
    paths[3].write_bytes(b"")
    assert archive.check(record) == [1, 3, 5]


def test_remove_deletes_the_job_folder(archive):
    asyncio.run(archive.store(KEY, "image", 0, image_bytes(), max_bytes=MB))
    archive.remove(KEY)
    assert not (archive.root / "01").exists()
    archive.remove(KEY)  # already gone: no error
    with pytest.raises(ValueError):
        archive.remove("..")


def test_a_full_disk_is_reported_and_leaves_no_part_file(archive, monkeypatch):
    calls = []

    def full(fd, data):
        calls.append(len(data))
        if len(calls) > 1:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        os.write(fd, data)

    monkeypatch.setattr(archive_mod, "_write", full)
    with pytest.raises(ArchiveError, match="disk is full") as info:
        asyncio.run(archive.store(KEY, "image", 0, chunked(image_bytes()), max_bytes=MB))
    assert info.value.errno == errno.ENOSPC
    assert isinstance(info.value.__cause__, OSError)
    assert leftovers(archive.root) == []


def test_a_cancelled_download_leaves_no_part_file(archive):
    async def slow():
        yield image_bytes()[:100]
        await asyncio.sleep(10)
        yield b""

    async def run():
        task = asyncio.create_task(archive.store(KEY, "image", 0, slow(), max_bytes=MB))
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(run())
    assert leftovers(archive.root) == []


def test_stored_files_get_the_normal_file_mode(archive):
    from studio.store.files import _FILE_MODE

    path = asyncio.run(archive.store(KEY, "image", 0, image_bytes(), max_bytes=MB))
    assert path.stat().st_mode & 0o777 == _FILE_MODE
