"""How much the studio takes from a server, once, as data: the bytes of each kind of answer, the
pixels of an image, and how long one request may take from connect to the last byte.

Whatever a server sends (by mistake or on purpose), the studio reads at most these amounts,
counted while the bytes arrive (a compressed body counts what it inflates to), and waits at
most these times. Each limit sits well above the largest output the published API documents
(REFERENCE.md), so a real answer never meets one:

- Topaz Upscale Image (`POST /v1/enhance-upscale`, "Resolution Options"): the largest output
  is 12K, a long edge of 12288 px. At aspect_ratio 1:1 (or `keep` on a square source) that is
  12288 × 12288 = 151 Mpx, the most pixels any documented output has. Its output_format may
  be png or tiff: an uncompressed 8-bit RGBA file of that size is 576 MiB.
- Video: Extend Video makes videos of up to 21 s ("a maximum of 4 extensions"), at 480p or
  720p (Video Types), which Video Upscale enlarges. Even at 4K and 100 Mbit/s, 21 s is 250 MiB.
- API answers (a job, the balance, the account's running jobs) are a few KB of JSON.

Plain data, no Qt: the client, the archive and the image decoders all read it.
"""

from __future__ import annotations

from dataclasses import dataclass

MiB = 1 << 20

# The largest documented output: Topaz enhance-upscale at 12K (long edge 12288 px), square.
LARGEST_DOCUMENTED_EDGE = 12288
# An image whose header declares more pixels than this is refused before it is decoded.
MAX_IMAGE_PIXELS = LARGEST_DOCUMENTED_EDGE * LARGEST_DOCUMENTED_EDGE
# ...and so is one with a side longer than this (a 100000 × 1 strip is no real output either).
MAX_IMAGE_EDGE = LARGEST_DOCUMENTED_EDGE

# Images at most this long on a side are decoded as they are; larger ones (only Topaz
# upscales, which have no editing actions) are reduced to it for display. Every image an
# editor can open (a grid image, an upscale: 2048 px, 4096 for the old 4x) stays exact.
DISPLAY_MAX_EDGE = 4096


@dataclass(frozen=True)
class BodyLimit:
    """At most `max_bytes` of `what` (after inflating), read within `deadline` seconds."""

    what: str          # what the bytes are, in the words of an error: "answer", "image", "video"
    max_bytes: int
    deadline: float    # seconds for the whole request: connect, send, and every byte of the answer


# A job, the balance, the account's running jobs: a few KB; 8 MiB is far above any real answer.
JSON_ANSWER = BodyLimit("answer", 8 * MiB, deadline=30.0)
# A POST that creates a job: the same answer, with more time (the server may take a while to
# accept a job, and a timed-out POST is one that may have landed).
JOB_POST = BodyLimit("answer", 8 * MiB, deadline=60.0)
# 576 MiB at most for the largest documented image (above); 640 MiB leaves a margin.
IMAGE_FILE = BodyLimit("image", 640 * MiB, deadline=600.0)
# 250 MiB for the longest, largest documented video (above); twice that as the margin.
VIDEO_FILE = BodyLimit("video", 512 * MiB, deadline=600.0)


@dataclass(frozen=True)
class Limits:
    """The limits one client applies (tests shorten the deadlines; nothing else should)."""

    json: BodyLimit = JSON_ANSWER
    post: BodyLimit = JOB_POST
    image: BodyLimit = IMAGE_FILE
    video: BodyLimit = VIDEO_FILE

    def file(self, kind: str) -> BodyLimit:
        """The limit of a downloaded output of `kind` ("image" or "video")."""
        return self.video if kind == "video" else self.image


DEFAULT_LIMITS = Limits()


def size_text(n: float) -> str:
    """1 GB, 8 MB, 512 KB, 12 bytes: a byte count as a person reads it (binary units)."""
    for unit, step in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= step:
            return f"{n / step:.1f}".rstrip("0").rstrip(".") + f" {unit}"
    return f"{int(n)} bytes"
