"""What a job's grid shows: its images, or (a video job) its videos, and how many tiles to
stand in for them before the server has said."""

from __future__ import annotations

from dataclasses import dataclass

from studio.api.operations import Output, names
from studio.session.jobs import JobEntry

# Jobs that produce one image rather than a grid (boxes to show before the URLs are known).
SINGLE_IMAGE_OPS = names(single=True)
# Jobs whose results are videos (shown as tiles of their first frame; the viewer plays them).
VIDEO_OPS = names(output=Output.VIDEO)
# Jobs whose results are text (describe, shorten): shown as cards, not tiles.
TEXT_OPS = names(output=Output.TEXT)


def is_text_job(entry: JobEntry) -> bool:
    return entry.op in TEXT_OPS or entry.task_type in TEXT_OPS


@dataclass(frozen=True)
class Media:
    """What a job's tiles show: its images, or (a video job) its videos."""

    kind: str  # "image" | "video"
    urls: list[str]
    data: list[bytes | None]
    errors: dict[int, str]

    @property
    def noun(self) -> str:
        return "Video" if self.kind == "video" else "Image"


def media_of(entry: JobEntry) -> Media:
    if not entry.image_urls and (entry.video_urls or entry.op in VIDEO_OPS or entry.task_type in VIDEO_OPS):
        urls = entry.video_urls
        data = entry.videos if len(entry.videos) == len(urls) else [None] * len(urls)
        return Media("video", urls, data, entry.video_errors)
    return Media("image", entry.image_urls, entry.images, entry.image_errors)


def expected_count(entry: JobEntry) -> int:
    """How many tiles the job will fill: its outputs once listed, else 1 or 4 by its kind."""
    media = media_of(entry)
    if media.urls:
        return len(media.urls)
    if entry.op in SINGLE_IMAGE_OPS or entry.task_type in SINGLE_IMAGE_OPS:
        return 1
    return 4
