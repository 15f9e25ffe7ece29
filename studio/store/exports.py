"""Exported files that carry their prompt: the prompt, parameters, model, job id, parent and seed
written into (or beside) every image the studio saves, and read back from any such file.

Plain Python and Pillow, no Qt: the grid's Save (`JobsSession.save_images`) and
`legnext-studio export` write through here.

Where the metadata goes:

- **PNG**: text chunks, inserted before the first `IDAT` of the original file (every other
  chunk, the pixel data included, is copied byte for byte; nothing is decoded or re-encoded):
  - `parameters` (iTXt): the text Automatic1111, Forge, InvokeAI and the image sites that read
    them show: the prompt, then one line of settings,
    `Model: 7, Seed: 123, Job: <id>, Image: 2, Parent: <id> #1, Task: upscale`
    (image numbers counted from 1, as the studio shows them);
  - `legnext` (iTXt): the full `ExportedPrompt` as JSON, which `read_export` prefers;
  - `Title`, `Software`, `Source`, `Creation Time`: the PNG standard keywords.
  An existing chunk with one of these keywords (a file exported again) is replaced, not doubled.
- **Everything else** (JPEG, WebP, GIF, MP4, a PNG too damaged to edit): the bytes unchanged, and
  a **sidecar** `<file name>.json` beside it (`fox_1.jpg` -> `fox_1.jpg.json`): the full name, so
  `fox_1.jpg` and `fox_1.png` never share one, and it sorts next to its image. The file and its
  sidecar get the same free name together (`fox_1-2.jpg` and `fox_1-2.jpg.json`).

Every file is written under a temporary name in the target folder and linked into place, so a
reader never sees half a file and an existing file is never replaced (`studio.store.files`).

`read_export` finds the `legnext` chunk, else the sidecar, else a foreign `parameters` text (or a
JPEG's EXIF UserComment holding one, or InvokeAI's `invokeai_metadata`), so a file from another
studio still gives its prompt. It reads headers only and never raises for a bad file.
"""

from __future__ import annotations

import json
import re
import zlib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from studio.store import files as _files
from studio.store.files import Source, extension, job_stem, read_source

if TYPE_CHECKING:
    from studio.store.archive import Archive
    from studio.store.records import JobRecord

SOURCE = "legnext-studio"
VERSION = 1
SIDECAR_SUFFIX = ".json"
SOFTWARE = "Legnext Studio"
PARAMETERS_KEY = "parameters"
LEGNEXT_KEY = "legnext"

# What a foreign file's metadata came from (ExportedPrompt.source when read back).
SOURCE_A1111 = "a1111"        # a `parameters` text (Automatic1111, Forge, and everything like them)
SOURCE_INVOKEAI = "invokeai"  # InvokeAI's `invokeai_metadata` JSON

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_TEXT_CHUNKS = (b"tEXt", b"zTXt", b"iTXt")
_OUR_KEYS = frozenset({PARAMETERS_KEY, LEGNEXT_KEY, "Title", "Software", "Source", "Creation Time"})
_KNOWN_EXTS = frozenset({".png", ".jpg", ".jpeg", ".gif", ".webp", ".mp4", ".bin"})
_TITLE_MAX = 200
_SIDECAR_MAX = 16 << 20  # a sidecar bigger than this is not one of ours
_EXIF_IFD = 0x8769
_USER_COMMENT = 0x9286

# One `Key: value` of an A1111 settings line (its own expression: a value with a comma is quoted).
_PAIR = re.compile(r'\s*(\w[\w \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)')
# The keys that mark a last line as settings even when it has fewer than three pairs.
_SETTINGS_KEYS = frozenset({"Steps", "Model", "Seed", "Job"})
_PARENT = re.compile(r"\s*(\S+)\s*#\s*(\d+)\s*$")


# ---- the metadata ----------------------------------------------------------------------------

@dataclass(frozen=True)
class ExportedPrompt:
    """What an exported file says about itself. Indexes count from 0 like the store's
    (`image_index` 1 is the second image; the `parameters` text says "Image: 2")."""

    prompt: str
    model: str | None = None
    op: str | None = None
    task_type: str | None = None
    job_id: str | None = None
    key: str | None = None
    parent_job_id: str | None = None
    parent_index: int | None = None
    seed: str | None = None
    image_index: int | None = None
    created_at: float | None = None
    # The request's plain JSON fields (typed values such as a Mask as their own JSON).
    params: dict[str, Any] = field(default_factory=dict, hash=False)
    source: str = SOURCE
    version: int = VERSION

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def to_json(self, indent: int | None = None) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent, default=str)

    @classmethod
    def from_json(cls, data: str | bytes | dict[str, Any]) -> ExportedPrompt:
        """Read `to_json`'s text (or its dict). Unknown keys are ignored (a newer studio may add
        some); a missing prompt or a value of the wrong type raises ValueError saying which.
        A whole-number seed is taken as its text."""
        if isinstance(data, (str, bytes, bytearray)):
            try:
                data = json.loads(data)
            except (ValueError, UnicodeDecodeError) as exc:
                raise ValueError(f"exported prompt: not JSON ({exc})") from None
        _require(isinstance(data, dict), f"expected a JSON object, not {type(data).__name__}")
        _require(isinstance(data.get("prompt"), str),
                 "'prompt' must be text" + ("" if "prompt" in data else " and is missing"))
        values: dict[str, Any] = {"prompt": data["prompt"]}
        for name in ("model", "op", "task_type", "job_id", "key", "parent_job_id", "seed"):
            value = data.get(name)
            if name == "seed" and isinstance(value, int) and not isinstance(value, bool):
                value = str(value)
            _require(value is None or isinstance(value, str),
                     f"{name!r} must be text or null, not {type(value).__name__}")
            values[name] = value
        for name in ("parent_index", "image_index"):
            value = data.get(name)
            _require(value is None or (isinstance(value, int) and not isinstance(value, bool) and value >= 0),
                     f"{name!r} must be a whole number >= 0 or null, not {value!r}")
            values[name] = value
        created = data.get("created_at")
        _require(created is None or (isinstance(created, (int, float)) and not isinstance(created, bool)),
                 f"'created_at' must be a number or null, not {type(created).__name__}")
        values["created_at"] = None if created is None else float(created)
        params = data.get("params", {})
        if params is None:
            params = {}
        _require(isinstance(params, dict), f"'params' must be an object, not {type(params).__name__}")
        values["params"] = params
        source = data.get("source", SOURCE)
        _require(isinstance(source, str), f"'source' must be text, not {type(source).__name__}")
        values["source"] = source
        version = data.get("version", VERSION)
        _require(isinstance(version, int) and not isinstance(version, bool) and version >= 1,
                 f"'version' must be a whole number >= 1, not {version!r}")
        values["version"] = version
        return cls(**values)


def _require(ok: bool, problem: str) -> None:
    if not ok:
        raise ValueError(f"exported prompt: {problem}")


def _plain(value: Any) -> Any:
    """A stored request value as plain JSON: a typed value (`{"__type__": "Mask", "value": ...}`,
    see studio.store.records.encode_request) becomes its own JSON."""
    if isinstance(value, dict):
        if set(value) == {"__type__", "value"} and isinstance(value["__type__"], str):
            return _plain(value["value"])
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    to_json = getattr(value, "to_json", None)
    return _plain(to_json()) if callable(to_json) else str(value)


def metadata_for(record: JobRecord, index: int | None) -> ExportedPrompt:
    """The metadata of output `index` (counted from 0; None: the job as a whole) of a job."""
    return ExportedPrompt(
        prompt=record.prompt or "",
        model=record.model,
        op=record.op,
        task_type=record.task_type,
        job_id=record.job_id,
        key=record.key,
        parent_job_id=record.parent_job_id,
        parent_index=record.parent_index if record.parent_job_id is not None else None,
        seed=str(record.seed) if record.seed not in (None, "") else None,
        image_index=index,
        created_at=record.created_at,
        params=_plain(dict(record.request or {})),
    )


# ---- the A1111 `parameters` text -------------------------------------------------------------

def _quote(value: str) -> str:
    # A1111's rule: a value that would break the line's grammar is written as a JSON string.
    return json.dumps(value, ensure_ascii=False) if any(c in value for c in ',:"\n') else value


def parameters_text(meta: ExportedPrompt) -> str:
    """The prompt, then `Model: ..., Seed: ..., Job: ..., Image: n, Parent: <id> #n, Task: ...`
    (only what is known; numbers counted from 1)."""
    pairs: list[tuple[str, str]] = []
    if meta.model:
        pairs.append(("Model", meta.model))
    if meta.seed:
        pairs.append(("Seed", meta.seed))
    if meta.job_id or meta.key:
        pairs.append(("Job", meta.job_id or meta.key or ""))
    if meta.image_index is not None:
        pairs.append(("Image", str(meta.image_index + 1)))
    if meta.parent_job_id:
        pairs.append(("Parent", f"{meta.parent_job_id} #{(meta.parent_index or 0) + 1}"))
    task = meta.task_type or meta.op
    if task:
        pairs.append(("Task", task))
    settings = ", ".join(f"{k}: {_quote(v)}" for k, v in pairs)
    if not settings:
        return meta.prompt
    return f"{meta.prompt}\n{settings}" if meta.prompt else settings


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        try:
            text = json.loads(value)
        except ValueError:
            return value
        return text if isinstance(text, str) else value
    return value


def parse_parameters(text: str) -> ExportedPrompt | None:
    """An A1111-style `parameters` text read back: the prompt is what comes before
    "Negative prompt:" and the settings line; the settings we know (Model, Seed, and the
    studio's own Job, Image, Parent, Task) fill their fields, all of them are in `params`.
    None if there is neither a prompt nor settings."""
    if not isinstance(text, str):
        return None
    lines = text.replace("\r\n", "\n").strip("\n").split("\n")
    settings: dict[str, str] = {}
    last = lines[-1].strip() if lines else ""
    found = _PAIR.findall(last)
    if found and (len(found) >= 3 or (found[0][0] in _SETTINGS_KEYS and last.startswith(f"{found[0][0]}:"))):
        settings = {k.strip(): _unquote(v) for k, v in found}
        lines = lines[:-1]
    prompt_lines: list[str] = []
    negative_lines: list[str] = []
    into = prompt_lines
    for line in lines:
        if line.startswith("Negative prompt:"):
            into = negative_lines
            line = line[len("Negative prompt:"):].lstrip()
        into.append(line)
    prompt = "\n".join(prompt_lines).strip()
    negative = "\n".join(negative_lines).strip()
    if not prompt and not settings and not negative:
        return None
    params: dict[str, Any] = dict(settings)
    if negative:
        params["negative_prompt"] = negative
    image = settings.get("Image", "")
    parent = _PARENT.match(settings.get("Parent", ""))
    return ExportedPrompt(
        prompt=prompt,
        model=settings.get("Model") or None,
        task_type=settings.get("Task") or None,
        job_id=settings.get("Job") or None,
        seed=settings.get("Seed") or None,
        image_index=int(image) - 1 if image.isdigit() and int(image) >= 1 else None,
        parent_job_id=parent.group(1) if parent else None,
        parent_index=max(0, int(parent.group(2)) - 1) if parent else None,
        params=params,
        source=SOURCE_A1111,
    )


# ---- writing ---------------------------------------------------------------------------------

class ExportedFile(NamedTuple):
    """One written output: its index (from 0), the image or video, and its sidecar if any."""

    index: int | None
    path: Path
    sidecar: Path | None


def sidecar_path(path: Path) -> Path:
    """Where the JSON of a file without chunks goes: `fox_1.jpg` -> `fox_1.jpg.json`."""
    return path.with_name(path.name + SIDECAR_SUFFIX)


def _png_chunks(data: bytes) -> list[tuple[bytes, int, int]] | None:
    """`(type, start, end)` of each chunk of a well-formed PNG up to IEND, or None if it is not
    one (then it is saved unchanged with a sidecar)."""
    if not data.startswith(_PNG_SIGNATURE):
        return None
    chunks: list[tuple[bytes, int, int]] = []
    pos = len(_PNG_SIGNATURE)
    while pos + 12 <= len(data):
        length = int.from_bytes(data[pos:pos + 4], "big")
        cid = data[pos + 4:pos + 8]
        end = pos + 12 + length
        if length > 0x7FFFFFFF or end > len(data) or not cid.isalpha():
            return None
        chunks.append((cid, pos, end))
        pos = end
        if cid == b"IEND":
            break
    if not chunks or chunks[0][0] != b"IHDR" or chunks[-1][0] != b"IEND":
        return None
    if not any(cid == b"IDAT" for cid, _, _ in chunks):
        return None
    return chunks


def _chunk_keyword(data: bytes, start: int, end: int) -> str | None:
    body = data[start + 8:min(end - 4, start + 8 + 80)]
    keyword, sep, _ = body.partition(b"\0")
    return keyword.decode("latin-1") if sep else None


def _title(prompt: str) -> str:
    line = prompt.strip().split("\n", 1)[0].strip()
    return line if len(line) <= _TITLE_MAX else line[:_TITLE_MAX - 1].rstrip() + "…"


def png_with_metadata(data: bytes, meta: ExportedPrompt) -> bytes | None:
    """The PNG `data` with the studio's text chunks before its first IDAT (replacing older ones
    of the same keywords), every other byte as it was; None if `data` is not a sound PNG."""
    chunks = _png_chunks(data)
    if chunks is None:
        return None
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_itxt(PARAMETERS_KEY, parameters_text(meta))
    info.add_itxt(LEGNEXT_KEY, meta.to_json())
    if meta.prompt.strip():
        info.add_text("Title", _title(meta.prompt))
    info.add_text("Software", SOFTWARE)
    info.add_text("Source", "Midjourney, through the Legnext API")
    if meta.created_at is not None:
        from email.utils import formatdate  # RFC 1123, as the PNG standard asks

        info.add_text("Creation Time", formatdate(meta.created_at, usegmt=True))
    ours = b"".join(
        len(body).to_bytes(4, "big") + cid + body + (zlib.crc32(body, zlib.crc32(cid)) & 0xFFFFFFFF).to_bytes(4, "big")
        for cid, body, _after_idat in info.chunks
    )
    out = [data[:len(_PNG_SIGNATURE)]]
    inserted = False
    for cid, start, end in chunks:
        if cid == b"IDAT" and not inserted:
            out.append(ours)
            inserted = True
        if cid in _TEXT_CHUNKS and _chunk_keyword(data, start, end) in _OUR_KEYS:
            continue
        out.append(data[start:end])
    out.append(data[chunks[-1][2]:])  # anything after IEND, as it was
    return b"".join(out)


def _split_target(target: Path) -> tuple[Path, str]:
    """The folder and the name without extension of a wanted path (the extension comes from
    the bytes: `fox_1` and `fox_1.png` mean the same)."""
    target = Path(target)
    name = target.name
    if target.suffix.lower() in _KNOWN_EXTS:
        name = name[:-len(target.suffix)]
    return target.parent, name or "image"


def _write_one(data: bytes, folder: Path, name: str, meta: ExportedPrompt, sidecars: bool) -> ExportedFile:
    """Write one export (holding `files._write_lock`)."""
    ext = extension(data)
    png = png_with_metadata(data, meta) if ext == ".png" else None
    tmp = _files.write_temp(folder, png if png is not None else data)
    side_tmp: Path | None = None
    try:
        companions: tuple[tuple[str, Path], ...] = ()
        if png is None and sidecars:
            side_tmp = _files.write_temp(folder, (meta.to_json(indent=2) + "\n").encode("utf-8"))
            companions = ((SIDECAR_SUFFIX, side_tmp),)
        path = _files.publish(tmp, folder, name, ext, companions)
    finally:
        _files._unlink(tmp)
        if side_tmp is not None:
            _files._unlink(side_tmp)
    return ExportedFile(meta.image_index, path, sidecar_path(path) if companions else None)


def write_export(data: bytes, target: Path, meta: ExportedPrompt) -> list[Path]:
    """Write `data` at `target` (its folder made if missing; the extension from the bytes) with
    `meta` in its PNG chunks, or unchanged with a sidecar; never over an existing file (`-2`,
    `-3`, ... are added). Returns the written paths, the image first, then its sidecar.
    Blocking; raises OSError if the folder is unusable."""
    folder, name = _split_target(target)
    folder.mkdir(parents=True, exist_ok=True)
    with _files._write_lock:
        written = _write_one(data, folder, name, meta, sidecars=True)
    return [written.path, *([written.sidecar] if written.sidecar else [])]


def export_sources(record: JobRecord, folder: Path, sources: list[tuple[int, Source]], *,
                   stem: str | None = None, skip_missing: bool = False,
                   sidecars: bool = True) -> list[ExportedFile]:
    """Write each `(index, bytes or archived file)` of `record` as `<stem>_<index+1><ext>` in
    `folder` (made if missing), each with its metadata. `stem` defaults to the job's
    (`job_stem`). A file gone meanwhile raises FileNotFoundError, or is skipped with
    `skip_missing`. Blocking: call it from a worker thread (`save_exports`)."""
    folder = Path(folder)
    if stem is None:
        stem = job_stem(record.prompt, record.task_type or record.op, record.job_id or record.key)
    folder.mkdir(parents=True, exist_ok=True)
    written: list[ExportedFile] = []
    with _files._write_lock:
        for index, source in sources:
            data = read_source(source)
            if data is None:
                if skip_missing:
                    continue
                raise FileNotFoundError(f"the archived file {source} is gone")
            written.append(_write_one(data, folder, f"{stem}_{index + 1}", metadata_for(record, index), sidecars))
    return written


async def save_exports(record: JobRecord, folder: Path, sources: list[tuple[int, Source]], *,
                       stem: str | None = None) -> list[ExportedFile]:
    """`export_sources` in the file-writing worker thread, so the event loop never waits."""
    import asyncio
    from functools import partial

    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_files._save_executor(),
                                      partial(export_sources, record, Path(folder), sources, stem=stem))


def archived_outputs(record: JobRecord, archive: Archive,
                     indexes: list[int] | None = None) -> list[tuple[int, Path | None]]:
    """`(index, archived file or None if it is not in the archive)` of each image or video
    output of `record` (those in `indexes`, in that order; None: all)."""
    outputs = [o for o in record.outputs if o.kind in ("image", "video")]
    if indexes is not None:
        by_index: dict[int, list[Any]] = {}
        for output in outputs:
            by_index.setdefault(output.index, []).append(output)
        outputs = [o for i in dict.fromkeys(indexes) for o in by_index.get(i, [])]
    found: list[tuple[int, Path | None]] = []
    for output in outputs:
        path: Path | None = None
        if output.path:
            try:
                path = archive.absolute(output.path)
            except ValueError:
                path = None
            if path is not None and not path.is_file():
                path = None
        found.append((output.index, path))
    return found


def export_outputs(record: JobRecord, archive: Archive, folder: Path,
                   indexes: list[int] | None = None) -> list[ExportedFile]:
    """`export_job`, one `ExportedFile` per output written."""
    sources: list[tuple[int, Source]] = [(i, p) for i, p in archived_outputs(record, archive, indexes) if p]
    return export_sources(record, folder, sources, skip_missing=True)


def export_job(record: JobRecord, archive: Archive, folder: Path, indexes: list[int] | None = None) -> list[Path]:
    """Write each archived output of `record` (those in `indexes`, counted from 0; None: all)
    into `folder` with its metadata, named `<prompt-slug>_<jobid8>_<n>` like the grid's Save.
    Outputs not in the archive are skipped (`archived_outputs` says which). Returns the written
    paths, each image followed by its sidecar if it has one. Blocking (call it from a thread in
    async code); raises OSError if the folder is unusable."""
    written: list[Path] = []
    for item in export_outputs(record, archive, folder, indexes):
        written.append(item.path)
        if item.sidecar is not None:
            written.append(item.sidecar)
    return written


# ---- reading ---------------------------------------------------------------------------------

def _user_comment(raw: Any) -> str | None:
    """An EXIF UserComment as text (A1111 writes its `parameters` there in a JPEG or WebP)."""
    if isinstance(raw, str):
        return raw.strip("\0") or None
    if not isinstance(raw, bytes) or len(raw) < 8:
        return None
    head, body = raw[:8], raw[8:]
    if head == b"UNICODE\0":
        if body[:2] in (b"\xff\xfe", b"\xfe\xff"):
            text = body.decode("utf-16", "replace")
        else:  # piexif (A1111) writes big-endian; a little-endian writer leaves its zeros second
            little = len(body) >= 2 and body[0] != 0 and body[1] == 0
            text = body.decode("utf-16-le" if little else "utf-16-be", "replace")
    elif head in (b"ASCII\0\0\0", b"\0" * 8):
        text = body.decode("utf-8", "replace")
    else:
        return None
    return text.strip("\0") or None


def _header_text(path: Path) -> dict[str, Any]:
    """The text metadata in a file's headers (PNG text chunks before the pixels; a JPEG's or
    WebP's EXIF UserComment as `parameters`), without decoding the image. {} on any failure."""
    try:
        from PIL import Image

        with Image.open(path) as im:
            info = {k: v for k, v in im.info.items() if isinstance(k, str) and isinstance(v, str)}
            if PARAMETERS_KEY not in info and im.format in ("JPEG", "MPO", "WEBP"):
                try:
                    comment = _user_comment(im.getexif().get_ifd(_EXIF_IFD).get(_USER_COMMENT))
                except Exception:  # noqa: BLE001  a damaged EXIF block is no comment
                    comment = None
                if comment:
                    info[PARAMETERS_KEY] = comment
            return info
    except Exception:  # noqa: BLE001  not an image, truncated, a decompression bomb: nothing
        return {}


def _from_json_quietly(text: Any) -> ExportedPrompt | None:
    try:
        return ExportedPrompt.from_json(text)
    except (ValueError, TypeError):
        return None


def _read_sidecar(path: Path) -> ExportedPrompt | None:
    try:
        if not path.is_file() or path.stat().st_size > _SIDECAR_MAX:
            return None
        return _from_json_quietly(path.read_bytes())
    except OSError:
        return None


def _invokeai(text: str) -> ExportedPrompt | None:
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("positive_prompt"), str):
        return None
    model = data.get("model")
    if isinstance(model, dict):
        model = model.get("name") or model.get("model_name")
    seed = data.get("seed")
    return ExportedPrompt(prompt=data["positive_prompt"],
                          model=model if isinstance(model, str) else None,
                          seed=str(seed) if isinstance(seed, (int, str)) and not isinstance(seed, bool) else None,
                          params=_plain(data), source=SOURCE_INVOKEAI)


def read_export(path: Path) -> ExportedPrompt | None:
    """What a file says about its prompt: the studio's `legnext` chunk, else its sidecar
    (`<file>.json`; a sidecar itself may be given), else a foreign A1111 `parameters` text (or
    InvokeAI's metadata). None when there is nothing; never raises for a bad, truncated or
    non-image file. Reads headers only (the pixels are never decoded)."""
    try:
        path = Path(path)
        if path.suffix.lower() == SIDECAR_SUFFIX:
            found = _read_sidecar(path)
            if found is not None:
                return found
        info = _header_text(path)
        own = info.get(LEGNEXT_KEY)
        if own is not None:
            found = _from_json_quietly(str(own))
            if found is not None:
                return found
        found = _read_sidecar(sidecar_path(path))
        if found is not None:
            return found
        parameters = info.get(PARAMETERS_KEY)
        if parameters:
            found = parse_parameters(str(parameters))
            if found is not None:
                return found
        invoke = info.get("invokeai_metadata")
        if invoke:
            return _invokeai(str(invoke))
        return None
    except Exception:  # noqa: BLE001  a reader never takes the studio down over one odd file
        return None
