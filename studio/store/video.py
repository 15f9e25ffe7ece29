"""What a video file is and what its frames look like, read with PyAV (FFmpeg's own decoders):
its size, length and codec, and its poster — the exact frame the player shows at a moment (the
first, for a tile and a thumbnail). Plain Python, no Qt; blocking: call it from a worker thread.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from studio.store.files import Source, extension

_HEAD = 16  # bytes enough for `extension` to tell an MP4 from an image


class VideoDecodeError(Exception):
    """The file is not a video this machine can decode (damaged, or an unknown format). Its
    message says why, to follow "Video 2 cannot be shown: ..."."""


@dataclass(frozen=True)
class VideoInfo:
    width: int
    height: int
    seconds: float
    codec: str
    has_audio: bool


def is_video(source: Source) -> bool:
    """Whether `source` (bytes or a file) is an MP4 rather than an image (a GIF decodes as one)."""
    if isinstance(source, Path):
        try:
            with open(source, "rb") as f:
                head = f.read(_HEAD)
        except OSError:
            return False
    else:
        head = bytes(source[:_HEAD])
    return extension(head) == ".mp4"


def _open(source: Source):  # noqa: ANN202 - an av container
    import av

    try:
        return av.open(str(source) if isinstance(source, Path) else io.BytesIO(source))
    except (av.FFmpegError, OSError) as exc:
        raise VideoDecodeError(f"it is not a readable video ({_reason(exc)})") from exc


def _reason(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc)
    return text.split(":", 1)[0].strip() or type(exc).__name__


def probe(source: Source) -> VideoInfo:
    """Size, length, codec and whether it has sound; VideoDecodeError when it cannot be read."""
    with _open(source) as container:
        if not container.streams.video:
            raise VideoDecodeError("the file has no picture")
        stream = container.streams.video[0]
        seconds = float(container.duration) / 1_000_000 if container.duration else 0.0
        return VideoInfo(stream.width, stream.height, seconds, stream.codec_context.name,
                         bool(container.streams.audio))


def poster(source: Source, at: float = 0.0) -> Image.Image:
    """The frame on show at `at` seconds — the last one starting at or before it (the first
    frame for 0, the last for a moment past the end) — as RGB pixels. Raises VideoDecodeError
    when no frame decodes."""
    import av

    with _open(source) as container:
        if not container.streams.video:
            raise VideoDecodeError("the file has no picture")
        stream = container.streams.video[0]
        codec = stream.codec_context.name
        found = None
        try:
            if at > 0 and stream.time_base:
                container.seek(int(at / stream.time_base), stream=stream, backward=True)
            for frame in container.decode(stream):
                if found is not None and frame.time is not None and frame.time > at + 1e-6:
                    break
                found = frame
        except av.FFmpegError as exc:
            raise VideoDecodeError(f"its {codec.upper()} picture cannot be decoded on this machine ({_reason(exc)})") from exc
        if found is None:
            raise VideoDecodeError(f"no frame of its {codec.upper()} picture decodes on this machine")
        return found.to_image().convert("RGB")
