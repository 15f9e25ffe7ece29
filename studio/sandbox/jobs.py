"""Sandbox jobs: their lifecycle on the sandbox clock, their durations, and their JSON.

A job is pending, then staged, then processing (progress rising), then completed or failed,
purely as a function of sandbox time since it was created, so advancing the clock moves it
along and nothing runs in the background; it never moves back. The JSON copies the shape of
the vendor samples (fixtures/*.response.json, job.completed.json) field for field, plus
`progress`, which no sample shows: it can be left out to test clients without it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from . import actions
from .clock import SandboxClock, iso

PENDING, STAGED, PROCESSING, COMPLETED, FAILED = "pending", "staged", "processing", "completed", "failed"
TERMINAL = frozenset({COMPLETED, FAILED})

# Processing seconds at speed 1 per task type: the Notice says a fast-mode image takes under
# a minute; the sandbox keeps a demo snappy (a few seconds) while preserving the ratios
# (text tasks quick, video slow).
PROCESSING_SECONDS: dict[str, float] = {
    "diffusion": 4.0, "reroll": 4.0, "variation": 4.0, "remix": 4.0, "blend": 4.0,
    "pan": 4.0, "outpaint": 4.0, "inpaint": 4.0, "edit": 4.5, "upload_paint": 4.5,
    "retexture": 4.0, "upscale": 3.0, "enhance": 3.0, "remove_background": 2.0,
    "enhance_upscale": 3.0, "describe": 1.5, "shorten": 1.0,
    "video_diffusion": 10.0, "extend_video": 8.0, "video_upscale": 6.0,
}
PENDING_SECONDS = 0.4
STAGED_SECONDS = 0.3

# Speed factors from the docs: draft "10x faster" (kept modest), turbo "up to 4x faster",
# v8 "~5x faster", v8.1 "~40% faster than V8 HD"; v8 --hd renders 2K natively (slower).
MODEL_FACTOR = {"8": 0.5, "8.1": 0.4}
V8_HD_FACTOR = 1.6
TURBO_FACTOR = 0.4
DRAFT_FACTOR = 0.25
TOPAZ_FACTOR = {"4K": 1.5, "6K": 2.0, "8K": 2.5, "12K": 4.0}

# How an explicit total duration (SandboxServer(durations=...)) splits across phases.
OVERRIDE_SPLIT = (0.1, 0.1, 0.8)


@dataclass(frozen=True)
class Phases:
    pending: float
    staged: float
    processing: float

    @property
    def total(self) -> float:
        return self.pending + self.staged + self.processing


def phases_for(
    task_type: str,
    *,
    model: str = "7",
    draft: bool = False,
    turbo: bool = False,
    hd: bool = False,
    target_resolution: str | None = None,
    speed: float = 1.0,
    overrides: dict[str, float] | None = None,
) -> Phases:
    """Durations in seconds (sandbox time) for one job, divided by `speed`."""
    if overrides and task_type in overrides:
        total = overrides[task_type] / speed
        a, b, c = OVERRIDE_SPLIT
        return Phases(total * a, total * b, total * c)
    processing = PROCESSING_SECONDS[task_type]
    processing *= MODEL_FACTOR.get(model, 1.0)
    if model == "8" and hd:
        processing *= V8_HD_FACTOR
    if turbo:
        processing *= TURBO_FACTOR
    if draft:
        processing *= DRAFT_FACTOR
    if target_resolution:
        processing *= TOPAZ_FACTOR.get(target_resolution, 1.0)
    return Phases(PENDING_SECONDS / speed, STAGED_SECONDS / speed, processing / speed)


@dataclass
class SandboxJob:
    """Everything the sandbox knows about one job. Timestamps are sandbox-clock seconds,
    except `completed_at`, the wall-clock time.time() at which it completed."""

    job_id: str
    task_type: str
    endpoint: str
    created_at: float
    phases: Phases
    model: str = "7"
    prompt: str | None = None
    seed: int = 0
    cost: int = 0
    outputs: int = 4
    draft: bool = False
    parent_id: str | None = None
    parent_index: int | None = None
    recipe: str = "generate"
    params: dict[str, Any] = field(default_factory=dict)
    extensions: int = 0
    callback: str | None = None
    will_fail: bool = False
    fail_message: str = ""
    text_output: dict[str, Any] | None = None
    image_ending: str = "png"  # how its image files are served (Topaz: its output_format)
    # lifecycle, filled in by advance()
    status: str = PENDING
    progress: int = 0
    started_at: float | None = None
    ended_at: float | None = None
    completed_at: float | None = None
    consumed: int = 0
    settled_to: float = float("-inf")  # latest sandbox time advance() applied

    @property
    def kind(self) -> str:
        return actions.RESULT_KIND[self.task_type]

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL

    @property
    def produced(self) -> actions.Produced:
        return actions.Produced(self.task_type, self.model, self.outputs, self.draft, self.extensions)

    def advance(self, now: float, clock: SandboxClock) -> bool:
        """Bring status/progress up to sandbox time `now`; True when it just became terminal.

        A `now` earlier than one already applied (read by a slower thread) changes nothing:
        status and progress only move forward."""
        if self.is_terminal or now <= self.settled_to:
            return False
        self.settled_to = now
        elapsed = now - self.created_at
        p = self.phases
        processing_from = self.created_at + p.pending + p.staged
        if elapsed < p.pending:
            self.status, self.progress = PENDING, 0
        elif elapsed < p.pending + p.staged:
            self.status, self.progress = STAGED, 0
        elif elapsed < p.total:
            self.status = PROCESSING
            self.started_at = processing_from
            fraction = (elapsed - p.pending - p.staged) / max(p.processing, 1e-9)
            self.progress = max(1, min(99, int(fraction * 100)))
        else:
            end = self.created_at + p.total
            self.started_at = processing_from
            self.ended_at = end
            self.completed_at = clock.wall_time_of(end)
            if self.will_fail:
                self.status = FAILED
            else:
                self.status, self.progress = COMPLETED, 100
            return True
        return False

    # --- JSON ---------------------------------------------------------------------------

    def to_json(self, cdn_base: str, *, progress: bool = True) -> dict[str, Any]:
        body: dict[str, Any] = {
            "job_id": self.job_id,
            "model": "midjourney",
            "task_type": self.task_type,
            "status": self.status,
            "progress": self.progress,
            "config": {
                "service_mode": "public",
                "webhook_config": {"endpoint": self.callback or "", "secret": ""},
            },
            "input": None,
            "output": self._output(cdn_base),
            "meta": {
                "created_at": iso(self.created_at),
                "started_at": iso(self.started_at),
                "ended_at": iso(self.ended_at),
                "usage": {"type": "point", "frozen": self.cost, "consume": self.consumed},
            },
            "detail": None,
            "logs": [],
            "error": {"code": 0, "raw_message": "", "message": "", "detail": None},
        }
        if not progress:
            del body["progress"]
        if self.status == FAILED:
            body["error"] = {
                "code": 500,
                "raw_message": self.fail_message or "sandbox: injected job failure",
                "message": self.fail_message or "The job failed while generating. Credits were refunded.",
                "detail": None,
            }
        return body

    def remaining(self, now: float) -> float:
        """Sandbox seconds until this job ends (0 once it has)."""
        return 0.0 if self.is_terminal else max(0.0, self.created_at + self.phases.total - now)

    def active_task_json(self, now: float, *, progress: bool = True) -> dict[str, Any]:
        """This job as an entry of GET /account/active_tasks (OpenAPI schema ActiveTask):
        job_id, task_type, status, created_at, progress, estimated_time (whole seconds left,
        rounded up so an unfinished job never says 0). task_type is spelled as in the job's
        own JSON (the samples' underscores), `progress` is left out like the job's."""
        body: dict[str, Any] = {
            "job_id": self.job_id,
            "task_type": self.task_type,
            "status": self.status,
            "created_at": iso(self.created_at),
            "progress": self.progress,
            "estimated_time": max(1, math.ceil(self.remaining(now))),
        }
        if not progress:
            del body["progress"]
        return body

    def image_urls(self, cdn_base: str) -> list[str]:
        return [f"{cdn_base}/mj/{self.job_id}_{i}.{self.image_ending}" for i in range(self.outputs)]

    def video_urls(self, cdn_base: str) -> list[str]:
        return [f"{cdn_base}/video/{self.job_id}_{i}.mp4" for i in range(self.outputs)]

    def _output(self, cdn_base: str) -> dict[str, Any]:
        kind = self.kind
        done = self.status == COMPLETED
        if kind == actions.TEXT:
            if done and self.text_output is not None:
                return dict(self.text_output)
            return {"promptEn": "", "description": "", "finalPrompt": "", "prompts": []}
        seed = "" if self.task_type == "enhance_upscale" else str(self.seed)
        if kind in (actions.VIDEO, actions.VIDEO_FINAL):
            if not done:
                return {"video_urls": None, "seed": ""}
            return {
                "video_urls": self.video_urls(cdn_base),
                "seed": seed,
                "available_actions": actions.available_actions(self.produced),
            }
        if not done:
            return {"image_url": "", "image_urls": None, "seed": ""}
        urls = self.image_urls(cdn_base)
        image_url = f"{cdn_base}/mj/{self.job_id}_grid.png" if kind == actions.GRID else urls[0]
        return {
            "image_url": image_url,
            "image_urls": urls,
            "seed": seed,
            "available_actions": actions.available_actions(self.produced),
        }
