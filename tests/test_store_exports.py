"""Exports that carry their prompt: PNG text chunks, JSON sidecars, read back from any file."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image, PngImagePlugin

from studio.store.archive import Archive
from studio.store.exports import (
    ExportedPrompt,
    export_job,
    metadata_for,
    parameters_text,
    parse_parameters,
    read_export,
    sidecar_path,
    write_export,
)
from studio.store.records import JobRecord, Output, Status, encode_request

KEY = "0123456789abcdef0123456789abcdef"


def _image(fmt: str, mode: str = "RGB", size=(48, 32), **save) -> bytes:
    im = Image.new(mode, size)
    # a pattern, so a changed pixel would show
    im.putdata([((x * 7 + y * 3) % 256, (x * y) % 256, (x + 2 * y) % 256)[: len(mode)]
                if mode not in ("L", "P") else (x * 5 + y) % 256
                for y in range(size[1]) for x in range(size[0])])
    out = io.BytesIO()
    im.save(out, fmt, **save)
    return out.getvalue()


def _pixels(data_or_path) -> tuple[str, tuple[int, int], bytes]:
    src = io.BytesIO(data_or_path) if isinstance(data_or_path, bytes) else data_or_path
    with Image.open(src) as im:
        return im.mode, im.size, im.tobytes()


def _record(prompt: str = "A red fox in the snow --ar 3:2 --v 7", **extra) -> JobRecord:
    from studio.api.requests import Mask, Polygon

    request = encode_request({"text": prompt, "mask": Mask(areas=[Polygon(800, 600, [0, 0, 800, 0, 800, 600])])})
    values: dict = {"op": "diffusion", "key": KEY, "prompt": prompt, "model": "7", "status": Status.COMPLETED,
                    "job_id": "job-5f1c2e3d-aaaa", "task_type": "diffusion", "parent_job_id": "parent-42",
                    "parent_index": 0, "seed": "1234567", "created_at": 1_700_000_000.5, "request": request}
    values.update(extra)
    return JobRecord(**values)


def test_metadata_for_takes_the_record_and_plain_request_json():
    meta = metadata_for(_record(), 2)
    assert (meta.prompt, meta.model, meta.op, meta.job_id, meta.key) == (
        "A red fox in the snow --ar 3:2 --v 7", "7", "diffusion", "job-5f1c2e3d-aaaa", KEY)
    assert (meta.parent_job_id, meta.parent_index, meta.seed, meta.image_index) == ("parent-42", 0, "1234567", 2)
    assert meta.created_at == 1_700_000_000.5
    # the typed Mask is its own JSON, without the store's type tag
    assert meta.params["mask"] == {"areas": [{"width": 800, "height": 600, "points": [0, 0, 800, 0, 800, 600]}]}
    assert meta.source == "legnext-studio" and meta.version == 1
    assert ExportedPrompt.from_json(meta.to_json()) == meta


def test_from_json_ignores_unknown_keys_and_names_a_wrong_type():
    meta = ExportedPrompt.from_json(json.dumps({"prompt": "fox", "future_field": [1], "seed": 42}))
    assert meta.prompt == "fox" and meta.seed == "42" and meta.params == {}
    with pytest.raises(ValueError, match="'image_index'"):
        ExportedPrompt.from_json({"prompt": "fox", "image_index": "two"})
    with pytest.raises(ValueError, match="'prompt'"):
        ExportedPrompt.from_json({"model": "7"})
    with pytest.raises(ValueError, match="'params'"):
        ExportedPrompt.from_json({"prompt": "x", "params": [1, 2]})
    with pytest.raises(ValueError, match="not JSON"):
        ExportedPrompt.from_json("{nope")
    with pytest.raises(ValueError, match="JSON object"):
        ExportedPrompt.from_json("[1]")


def test_parameters_text_is_a1111_style():
    meta = metadata_for(_record(), 1)
    assert parameters_text(meta) == ("A red fox in the snow --ar 3:2 --v 7\n"
                                     "Model: 7, Seed: 1234567, Job: job-5f1c2e3d-aaaa, Image: 2, "
                                     "Parent: parent-42 #1, Task: diffusion")


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "P"])
def test_png_round_trip_keeps_the_pixels_and_reads_every_field_back(tmp_path, mode):
    data = _image("PNG", mode)
    meta = metadata_for(_record(), 1)
    written = write_export(data, tmp_path / "out" / "fox_2.png", meta)
    assert written == [tmp_path / "out" / "fox_2.png"]  # no sidecar for a PNG
    assert read_export(written[0]) == meta
    assert _pixels(written[0]) == _pixels(data)  # same mode, size and pixels
    with Image.open(written[0]) as im:
        assert im.info["parameters"] == parameters_text(meta)
        assert json.loads(im.info["legnext"]) == json.loads(meta.to_json())
        assert im.info["Software"] == "Legnext Studio"
        assert im.info["Title"] == "A red fox in the snow --ar 3:2 --v 7"
        assert "Creation Time" in im.info
    # the pixel stream is copied, not re-encoded
    original_idat = [c for c in _chunks(data) if c[0] == b"IDAT"]
    assert [c for c in _chunks(written[0].read_bytes()) if c[0] == b"IDAT"] == original_idat


def _chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    pos, out = 8, []
    while pos < len(data):
        length = int.from_bytes(data[pos:pos + 4], "big")
        out.append((data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]))
        pos += 12 + length
    return out


def test_exporting_an_exported_png_again_replaces_the_chunks_not_doubles_them(tmp_path):
    first = write_export(_image("PNG"), tmp_path / "a.png", metadata_for(_record(), 0))[0]
    newer = metadata_for(_record(prompt="a blue fox"), 3)
    second = write_export(first.read_bytes(), tmp_path / "b.png", newer)[0]
    keys = [body.split(b"\0", 1)[0] for cid, body in _chunks(second.read_bytes()) if cid in (b"tEXt", b"iTXt")]
    assert sorted(keys) == sorted(set(keys))
    assert read_export(second) == newer


@pytest.mark.parametrize("fmt", ["JPEG", "WEBP", "GIF"])
def test_other_formats_are_copied_unchanged_with_a_sidecar(tmp_path, fmt):
    data = _image(fmt)
    meta = metadata_for(_record(), 0)
    image, sidecar = write_export(data, tmp_path / "fox_1", meta)
    ext = {"JPEG": ".jpg", "WEBP": ".webp", "GIF": ".gif"}[fmt]
    assert image == tmp_path / f"fox_1{ext}" and sidecar == tmp_path / f"fox_1{ext}.json"
    assert sidecar == sidecar_path(image)
    assert image.read_bytes() == data
    assert read_export(image) == meta
    assert read_export(sidecar) == meta  # the sidecar itself may be given
    assert ExportedPrompt.from_json(sidecar.read_text(encoding="utf-8")) == meta


def test_a_video_gets_a_sidecar(tmp_path):
    data = b"\0\0\0\x18ftypmp42" + b"\0" * 64
    meta = metadata_for(_record(op="video_diffusion", task_type="video_diffusion"), 0)
    image, sidecar = write_export(data, tmp_path / "clip_1.mp4", meta)
    assert image.name == "clip_1.mp4" and image.read_bytes() == data and sidecar.name == "clip_1.mp4.json"
    assert read_export(image) == meta


def test_never_overwrites_and_a_sidecar_moves_with_its_file(tmp_path):
    meta = metadata_for(_record(), 0)
    png = _image("PNG")
    (tmp_path / "fox_1.png").write_bytes(b"mine")
    assert write_export(png, tmp_path / "fox_1.png", meta) == [tmp_path / "fox_1-2.png"]
    assert (tmp_path / "fox_1.png").read_bytes() == b"mine"
    # a stray sidecar whose image is gone is not overwritten either: both move to a free name
    (tmp_path / "fox_1.jpg.json").write_text("theirs")
    jpeg = _image("JPEG")
    image, sidecar = write_export(jpeg, tmp_path / "fox_1.jpg", meta)
    assert (image.name, sidecar.name) == ("fox_1-2.jpg", "fox_1-2.jpg.json")
    assert (tmp_path / "fox_1.jpg.json").read_text() == "theirs"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp files left


def test_a_foreign_a1111_parameters_chunk_gives_its_prompt(tmp_path):
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", "masterpiece, a castle on a hill\nat dusk\n"
                                "Negative prompt: blurry, lowres\n"
                                "Steps: 20, Sampler: Euler a, CFG scale: 7, Seed: 3141592, Size: 48x32, "
                                "Model: \"sdxl, base\"")
    path = tmp_path / "a1111.png"
    Image.new("RGB", (48, 32)).save(path, pnginfo=info)
    meta = read_export(path)
    assert meta is not None
    assert meta.prompt == "masterpiece, a castle on a hill\nat dusk"
    assert (meta.seed, meta.model, meta.source) == ("3141592", "sdxl, base", "a1111")
    assert meta.params["negative_prompt"] == "blurry, lowres"
    assert meta.params["Sampler"] == "Euler a" and meta.job_id is None


def test_a_prompt_only_parameters_text_and_an_a1111_jpeg_comment(tmp_path):
    assert parse_parameters("just a prompt: with a colon").prompt == "just a prompt: with a colon"
    assert parse_parameters("") is None
    # A1111 writes a JPEG's parameters into the EXIF UserComment (UTF-16, big-endian)
    text = "a lighthouse, stormy sea\nSteps: 30, Sampler: DPM++ 2M, Seed: 77, Size: 48x32"
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9286] = b"UNICODE\0" + text.encode("utf-16-be")
    path = tmp_path / "a1111.jpg"
    Image.new("RGB", (48, 32)).save(path, exif=exif)
    meta = read_export(path)
    assert meta is not None and (meta.prompt, meta.seed) == ("a lighthouse, stormy sea", "77")


def test_our_own_parameters_text_alone_still_gives_the_job(tmp_path):
    meta = metadata_for(_record(), 1)
    back = parse_parameters(parameters_text(meta))
    assert (back.prompt, back.model, back.seed, back.job_id, back.image_index) == (
        meta.prompt, "7", "1234567", "job-5f1c2e3d-aaaa", 1)
    assert (back.parent_job_id, back.parent_index, back.task_type) == ("parent-42", 0, "diffusion")


@pytest.mark.parametrize(
    "content",
    [b"", b"not an image at all", b"\x89PNG\r\n\x1a\n" + b"\0" * 8, b"\xff\xd8\xff\xe0garbage"],
)
def test_garbage_gives_none(tmp_path, content):
    path = tmp_path / "odd.png"
    path.write_bytes(content)
    assert read_export(path) is None
    assert read_export(tmp_path / "missing.png") is None
    assert read_export(tmp_path) is None  # a folder


def test_a_truncated_export_and_a_broken_sidecar_give_none_not_an_error(tmp_path):
    exported = write_export(_image("PNG"), tmp_path / "fox.png", metadata_for(_record(), 0))[0]
    cut = tmp_path / "cut.png"
    cut.write_bytes(exported.read_bytes()[:40])  # inside the header chunks
    assert read_export(cut) is None
    jpg = tmp_path / "x.jpg"
    jpg.write_bytes(_image("JPEG"))
    sidecar_path(jpg).write_text('{"prompt": 5}')
    assert read_export(jpg) is None


def test_a_broken_png_is_saved_unchanged_with_a_sidecar(tmp_path):
    data = b"\x89PNG\r\n\x1a\n" + b"\0" * 8  # says PNG, is not one
    meta = metadata_for(_record(), 0)
    image, sidecar = write_export(data, tmp_path / "x.png", meta)
    assert image.read_bytes() == data and read_export(image) == meta and sidecar == sidecar_path(image)


def test_long_emoji_and_right_to_left_prompts_survive(tmp_path):
    prompt = ("🦊 ثعلب أحمر في الثلج — שועל אדום 🌨️ " * 250)[:8000]
    assert len(prompt) == 8000
    meta = metadata_for(_record(prompt=prompt), 0)
    png = write_export(_image("PNG"), tmp_path / "fox.png", meta)[0]
    jpg = write_export(_image("JPEG"), tmp_path / "fox.jpg", meta)[0]
    assert read_export(png).prompt == prompt and read_export(jpg).prompt == prompt
    assert read_export(png) == meta
    with Image.open(png) as im:
        assert im.info["parameters"].startswith(prompt.strip())


def test_read_export_does_not_decode_the_pixels(tmp_path, monkeypatch):
    path = write_export(_image("PNG"), tmp_path / "fox.png", metadata_for(_record(), 0))[0]

    def refuse(self, *args, **kwargs):
        raise AssertionError("the image was decoded")

    monkeypatch.setattr(Image.Image, "load", refuse)
    monkeypatch.setattr(PngImagePlugin.PngImageFile, "load", refuse)
    assert read_export(path) is not None


def test_export_job_writes_each_archived_file_named_like_the_grids_save(tmp_path):
    archive = Archive(tmp_path / "archive")
    png, jpeg = _image("PNG"), _image("JPEG")
    outputs = []
    for index, data, ext in ((0, png, "png"), (1, jpeg, "jpg"), (2, png, "png")):
        path = archive.path_for(KEY, "image", index, ext)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        outputs.append(Output(kind="image", index=index, url="https://x/y", path=archive.relative(path)))
    outputs.append(Output(kind="image", index=3, url="https://x/z", path=f"{KEY[:2]}/{KEY}/image-3.png"))  # gone
    record = _record(outputs=outputs)
    folder = tmp_path / "exports"
    written = export_job(record, archive, folder)
    stem = "a-red-fox-in-the-snow_job-5f1c"
    assert [p.name for p in written] == [f"{stem}_1.png", f"{stem}_2.jpg", f"{stem}_2.jpg.json", f"{stem}_3.png"]
    assert [read_export(p).image_index for p in written] == [0, 1, 1, 2]
    assert _pixels(written[0]) == _pixels(png) and written[1].read_bytes() == jpeg
    only = export_job(record, archive, folder, [2, 3])
    assert [p.name for p in only] == [f"{stem}_3-2.png"]  # never over the first export
