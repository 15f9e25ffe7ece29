"""Saved output files: names from the prompt, never over an existing file, type from the bytes."""

from __future__ import annotations

import asyncio

import pytest

from studio.store.files import extension, free_path, job_stem, save_files, slug, write_files

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 8
JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 8


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        ("Castle on a cliff, at dusk! --ar 3:2 --v 7", "castle-on-a-cliff-at-dusk"),
        ("https://cdn.example.com/ref.png a red fox --sref https://x.y/z.png", "a-red-fox"),
        ("<https://x.y/a.png> misty harbour --no boats --stylize 250", "misty-harbour"),
        ("Über café — naïve", "ber-caf-na-ve"),
        ("one two three four five six seven eight nine ten", "one-two-three-four-five-six-seven-eight"),
        ("x" * 60 + " tail", "x" * 40),  # a first word longer than the cap is cut, not dropped
        ("--ar 16:9", ""),
        ("a well-lit room --ar 3:2", "a-well-lit-room"),  # a dash inside a word is no flag
        ("a sci-fi city at night —v 7", "a-sci-fi-city-at-night"),
        ("", ""),
        (None, ""),
    ],
)
def test_slug_keeps_words_drops_flags_and_urls_within_40_chars(prompt, expected):
    assert slug(prompt) == expected
    assert len(slug(prompt)) <= 40


def test_job_stem_falls_back_to_the_task_type_then_image():
    assert job_stem("A red fox --v 7", "diffusion", "0123456789abcdef") == "a-red-fox_01234567"
    assert job_stem(None, "upscale", "abcdef0123") == "upscale_abcdef01"
    assert job_stem("--ar 1:1", "video_diffusion", "local-3") == "video-diffusion_local-3"
    assert job_stem("", "", "j1") == "image_j1"


@pytest.mark.parametrize(
    ("data", "ext"),
    [
        (PNG, ".png"),
        (JPEG, ".jpg"),
        (b"GIF89a" + b"\0" * 6, ".gif"),
        (b"GIF87a" + b"\0" * 6, ".gif"),
        (b"RIFF\x10\0\0\0WEBPVP8 ", ".webp"),
        (b"\0\0\0\x18ftypmp42", ".mp4"),
        (b"<html>not an image</html>", ".bin"),
        (b"", ".bin"),
    ],
)
def test_extension_comes_from_the_first_bytes(data, ext):
    assert extension(data) == ext


def test_free_path_counts_up_past_taken_names(tmp_path):
    assert free_path(tmp_path, "fox_1", ".png") == tmp_path / "fox_1.png"
    (tmp_path / "fox_1.png").write_bytes(b"")
    assert free_path(tmp_path, "fox_1", ".png") == tmp_path / "fox_1-2.png"
    (tmp_path / "fox_1-2.png").write_bytes(b"")
    assert free_path(tmp_path, "fox_1", ".png") == tmp_path / "fox_1-3.png"
    assert free_path(tmp_path, "fox_1", ".jpg") == tmp_path / "fox_1.jpg"  # other type, own name


def test_write_files_names_by_index_and_never_overwrites(tmp_path):
    folder = tmp_path / "a" / "b"  # made on demand
    first = write_files(folder, "fox_01234567", [(0, PNG), (3, JPEG)])
    assert [p.name for p in first] == ["fox_01234567_1.png", "fox_01234567_4.jpg"]
    assert first[0].read_bytes() == PNG and first[1].read_bytes() == JPEG
    again = write_files(folder, "fox_01234567", [(0, JPEG + b"x")])
    assert [p.name for p in again] == ["fox_01234567_1.jpg"]
    third = write_files(folder, "fox_01234567", [(0, PNG + b"new")])
    assert [p.name for p in third] == ["fox_01234567_1-2.png"]
    assert first[0].read_bytes() == PNG  # untouched
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]  # no temp files left


def test_write_files_removes_its_temp_file_when_the_move_fails(tmp_path, monkeypatch):
    import os

    def refuse(src, dst):
        raise OSError("disk said no")

    monkeypatch.setattr(os, "link", refuse)
    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="disk said no"):
        write_files(tmp_path, "fox", [(0, PNG)])
    assert list(tmp_path.iterdir()) == []


def test_saved_files_get_the_users_normal_file_mode(tmp_path):
    import os
    import stat

    mask = os.umask(0o022)
    os.umask(mask)
    (path,) = write_files(tmp_path, "fox", [(0, PNG)])
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask  # not mkstemp's 0600


def test_a_name_taken_while_writing_is_not_overwritten(tmp_path, monkeypatch):
    import studio.store.files as files

    real = files.free_path
    calls: list[str] = []

    def racing(folder, name, ext):
        path = real(folder, name, ext)
        if not calls:  # another program creates the file right after the check
            path.write_bytes(b"theirs")
        calls.append(path.name)
        return path

    monkeypatch.setattr(files, "free_path", racing)
    (mine,) = write_files(tmp_path, "fox", [(0, PNG)])
    assert (tmp_path / "fox_1.png").read_bytes() == b"theirs"
    assert mine.name == "fox_1-2.png" and mine.read_bytes() == PNG


def test_without_hard_links_the_file_is_moved_into_place(tmp_path, monkeypatch):
    import errno
    import os

    def no_links(src, dst):
        raise OSError(errno.EPERM, "links not supported here")

    monkeypatch.setattr(os, "link", no_links)
    (path,) = write_files(tmp_path, "fox", [(0, PNG)])
    assert path.read_bytes() == PNG
    assert [p.name for p in tmp_path.iterdir()] == ["fox_1.png"]


def test_save_files_writes_in_a_worker_thread(tmp_path, monkeypatch):
    import threading

    import studio.store.files as files

    seen: list[str] = []

    def spy(*args):
        seen.append(threading.current_thread().name)
        return write_files(*args)

    monkeypatch.setattr(files, "write_files", spy)
    written = asyncio.run(save_files(tmp_path, "fox", [(1, PNG)]))
    assert [p.name for p in written] == ["fox_2.png"]
    assert len(seen) == 1 and seen[0].startswith("save-files")


# ---- every file-name part is made safe in one place (free_path) ---------------------------------

@pytest.mark.parametrize("name, expected", [
    ("..", "image"), (".", "image"), ("", "image"), ("...", "image"),
    ("../../etc/passwd", "etc-passwd"), ("..\\..\\windows\\x", "windows-x"), ("a/b\\c", "a-b-c"),
    ("castle_../../et", "castle_..-..-et"), ("nul\x00byte", "nul-byte"), ("line\nbreak", "line-break"),
    ("CON", "_CON"), ("lpt1.txt", "_lpt1.txt"), ('what?<>:"|*', "what"), (".hidden", "hidden"),
    ("  spaced  out  ", "spaced out"), ("trailing dot.", "trailing dot"), ("Café crème", "Café crème"),
])
def test_free_path_makes_every_name_one_safe_part(tmp_path, name, expected):
    path = free_path(tmp_path, name, ".png")
    assert path.parent == tmp_path and path.name == f"{expected}.png"


def test_a_long_name_and_a_strange_extension_are_bounded(tmp_path):
    path = free_path(tmp_path, "é" * 300, "./../x")
    assert path.parent == tmp_path and path.suffix == ".bin"
    assert len(path.stem.encode("utf-8")) <= 120


def test_a_job_id_a_server_sent_cannot_steer_a_save(tmp_path):
    stem = job_stem("a castle", "diffusion", "../../../../tmp/evil")
    written = write_files(tmp_path / "out", stem, [(0, b"\x89PNG\r\n\x1a\nrest")])
    assert [p.parent for p in written] == [tmp_path / "out"]
    assert written[0].name.startswith("a-castle_") and "/" not in written[0].name
