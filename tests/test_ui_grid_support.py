"""Shared pieces for the grid and action tests (no tests here): a JobsSession on the sandbox with
a GridView bound to it, and recipes that make a finished sandbox job of each task type."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import pytest

from studio.api.client import LegnextClient
from studio.api.watcher import JobWatcher, PollPolicy
from studio.session.jobs import COMPLETED, JobEntry, JobsSession
from studio.session.tasks import spawn
from studio.ui.grid.view import GridView

JOB_TIMEOUT_MS = 20_000


@dataclass
class GridEnv:
    qtbot: Any
    sandbox: Any
    jobs: JobsSession
    grid: GridView
    now: list = field(default_factory=list)

    # ----- jobs ---------------------------------------------------------------------------
    def run(self, op: str, *, parent: tuple[str, int] | None = None, **kwargs: Any) -> JobEntry:
        """Submit through the real session and wait until the job and its images are in."""
        entry = self.jobs.submit(op, parent=parent, **kwargs)
        self.qtbot.waitUntil(lambda: entry.finished, timeout=JOB_TIMEOUT_MS)
        assert entry.status == COMPLETED, f"{op} ended {entry.status}: {entry.error}"
        return entry

    def show(self, entry: JobEntry) -> None:
        """Show the entry and wait until every image is decoded and on screen."""
        self.grid.show_job(entry.key)
        self.qtbot.waitUntil(
            lambda: self.grid.image_count() > 0 and self.grid.displayed_count() == self.grid.image_count(),
            timeout=JOB_TIMEOUT_MS,
        )

    def requests_to(self, endpoint: str) -> list[Any]:
        return [r.json_body for r in self.sandbox.state.requests if r.path.endswith(endpoint) and r.method == "POST"]


def make_env(qtbot, sandbox, **grid_options: Any) -> GridEnv:
    client = LegnextClient("test-key", sandbox.base_url)
    watcher = JobWatcher(client, PollPolicy(time_scale=1 / 200))
    jobs = JobsSession(client, watcher)
    grid = GridView(jobs, **grid_options)
    grid.resize(1000, 760)
    grid.show()
    qtbot.addWidget(grid)
    return GridEnv(qtbot, sandbox, jobs, grid)


def close_env(env: GridEnv) -> None:
    env.grid._close_popover()
    if env.grid.viewer is not None:
        env.grid.viewer.close()
    env.grid.hide()  # stops the grid's timers before this test's event loop goes away

    async def shut() -> None:
        await env.jobs.aclose()
        await env.jobs.client.aclose()

    task = spawn(shut(), name="close grid env")
    env.qtbot.waitUntil(task.done, timeout=5000)


@pytest.fixture
def env(qtbot, qloop, sandbox):
    made = make_env(qtbot, sandbox)
    yield made
    close_env(made)


# ----- a finished job of each task type that has images -------------------------------------
def _diffusion(env: GridEnv, text: str = "a lighthouse on a cliff at dusk --ar 3:2") -> JobEntry:
    return env.run("diffusion", text=text)


def _child(op: str, image_no: int = 1, **kwargs: Any) -> Callable[[GridEnv], JobEntry]:
    def make(env: GridEnv) -> JobEntry:
        parent = _diffusion(env)
        return env.run(op, parent=(parent.job_id, image_no), job_id=parent.job_id, image_no=image_no, **kwargs)

    return make


def _reroll(env: GridEnv) -> JobEntry:
    parent = _diffusion(env)
    return env.run("reroll", parent=(parent.job_id, 0), job_id=parent.job_id)


def _blend(env: GridEnv) -> JobEntry:
    parent = _diffusion(env)
    return env.run("blend", img_urls=parent.image_urls[:2], aspect_ratio="1:1")


def _inpaint(env: GridEnv) -> JobEntry:
    from studio.api.requests import Mask, Polygon

    parent = _diffusion(env)
    mask = Mask(areas=[Polygon(width=1024, height=1024, points=[100, 100, 600, 100, 600, 600, 100, 600])])
    return env.run("inpaint", parent=(parent.job_id, 0), job_id=parent.job_id, image_no=0, mask=mask,
                   remix_prompt="a red door")


def _draft(env: GridEnv) -> JobEntry:
    return _diffusion(env, "a fox in the snow --v 7 --draft")


def _edit(env: GridEnv) -> JobEntry:
    from studio.api.requests import Canvas, CanvasImg

    parent = _diffusion(env)
    return env.run("edit", parent=(parent.job_id, 1), job_id=parent.job_id, image_no=1,
                   canvas=Canvas(1024, 1024), img_pos=CanvasImg(512, 512, 256, 256), remix_prompt="on a table")


def _upload_paint(env: GridEnv) -> JobEntry:
    from studio.api.requests import Canvas, CanvasImg, Mask, Polygon

    parent = _diffusion(env)
    mask = Mask(areas=[Polygon(width=1024, height=1024, points=[0, 0, 1024, 0, 1024, 200, 0, 200])])
    return env.run("upload_paint", img_url=parent.image_urls[0], canvas=Canvas(1024, 1024),
                   img_pos=CanvasImg(512, 512, 256, 256), remix_prompt="a garden around it", mask=mask)


def _enhance(env: GridEnv) -> JobEntry:
    parent = _draft(env)
    return env.run("enhance", parent=(parent.job_id, 2), job_id=parent.job_id, image_no=2)


def _retexture(env: GridEnv) -> JobEntry:
    parent = _diffusion(env)
    return env.run("retexture", img_url=parent.image_urls[3], remix_prompt="made of brushed copper")


def _video_diffusion(env: GridEnv) -> JobEntry:
    """A diffusion's "animate" action: a video job (its videos are small MP4 files)."""
    parent = _diffusion(env)
    return env.run("video_diffusion", parent=(parent.job_id, 1), job_id=parent.job_id, image_no=1, video_type=0)


def _v8(env: GridEnv) -> JobEntry:
    return _diffusion(env, "a glass city at noon --v 8")


RECIPES: dict[str, Callable[[GridEnv], JobEntry]] = {
    "diffusion": _diffusion,
    "upscale": _child("upscale", 2, type=0),
    "variation": _child("variation", 1, type=0),
    "remix": _child("remix", 3, remix_prompt="the same cliff in winter", mode=1),
    "reroll": _reroll,
    "pan": _child("pan", 0, direction=1, scale=1.5),
    "outpaint": _child("outpaint", 0, scale=1.5),
    "inpaint": _inpaint,
    "blend": _blend,
    "draft": _draft,
    "v8": _v8,
    "edit": _edit,
    "upload_paint": _upload_paint,
    "enhance": _enhance,
    "retexture": _retexture,
    "video_diffusion": _video_diffusion,
}


TOOLS = ["describe", "retexture", "remove_background", "enhance_upscale"]  # the studio's, on any image


def server_buttons(grid: GridView, image_no: int) -> list[Any]:
    """The buttons of an image for the actions the server listed (not the studio's tools)."""
    return [b for b in grid.action_buttons(image_no) if b.spec is None or not b.spec.studio]


def tool_buttons(grid: GridView, image_no: int) -> list[Any]:
    return [b for b in grid.action_buttons(image_no) if b.spec is not None and b.spec.studio]


def expected_buttons(entry: JobEntry, image_no: int) -> list[str]:
    """The action names the server listed for this image, plus the documented ones it may leave
    out (animate: any image of a finished image job), what the grid must show, exactly."""
    from studio.ui.grid.actions import with_documented
    from studio.ui.grid.media import media_of

    media = media_of(entry)
    offered = entry.available_actions
    if media.kind == "image":
        offered = with_documented(offered, len(media.urls))
    return sorted(name for name, value in offered.items() if isinstance(value, list) and image_no in value)


def expected_job_buttons(entry: JobEntry) -> list[str]:
    return sorted(name for name, value in entry.available_actions.items() if value is True)
