"""The vendor's own SDK (`legnext` from PyPI, written by nobody here) drives the sandbox.

Every endpoint the SDK supports is called through its `base_url` with `max_retries=0`, and
its models must parse the sandbox's answers, including `wait_for_completion`.

Where the SDK deviates from the published docs (REFERENCE.md), and what the sandbox does:
- inpaint: the SDK posts multipart form data with a PNG mask; the docs define a JSON body
  with mask.areas / mask.url. The sandbox follows the docs and answers 400 "expects a JSON
  body"; the studio's own client covers JSON inpaint (tests/test_api_*).
- enhance-upscale (Topaz): not in the SDK at all, and its TaskType enum cannot even parse a
  job whose task_type is "enhance_upscale".
- video-diffusion: the SDK only sends `prompt` (+ videoType); the documented jobId + imageNo
  form (animate a generated image) is missing.
- PanDirection enum says UP=0, DOWN=1, LEFT=2, RIGHT=3; the docs say 0 down, 1 right,
  2 up, 3 left. The sandbox follows the docs (raw integers work either way).
- Error bodies: the SDK reads code/message only under an "error" key, while the docs (and
  the sandbox) put them at the top level, so SDK errors carry "HTTP 400: Bad Request"
  instead of the server's message; 402 has no class of its own.
"""

from __future__ import annotations

import asyncio

import pytest

import legnext  # the vendor SDK is a test dependency: missing it must fail, not skip
from legnext import AsyncClient, Client
from legnext.types import Canvas, CanvasImg, Mask, Polygon
from legnext.types.enums import JobStatus, TaskType  # noqa: E402
from studio.sandbox import FaultSpec  # noqa: E402

from legnext.types.errors import (  # noqa: E402
    AuthenticationError,
    LegnextAPIError,
    NotFoundError,
    RateLimitError,
    ServerError,
    ValidationError,
)

URL = "https://example.com/photo.png"
POLL = dict(poll_interval=0.01, timeout=10)


@pytest.fixture
def sdk(sandbox):
    with Client(api_key="test-key", base_url=sandbox.base_url, max_retries=0) as client:
        yield client


def wait(sandbox, sdk, job):
    """The SDK's own polling loop; the sandbox runs at speed 200 so it ends quickly."""
    assert job.status == JobStatus.PENDING
    return sdk.tasks.wait_for_completion(job.job_id, **POLL)


def test_sdk_generates_waits_and_follows_up_on_every_image_endpoint(sandbox, sdk):
    mj = sdk.midjourney
    grid = wait(sandbox, sdk, mj.diffusion(text="a harbour at dawn --ar 3:2"))
    assert grid.task_type == TaskType.DIFFUSION and grid.status == JobStatus.COMPLETED
    assert len(grid.output.image_urls) == 4 and str(grid.output.image_url).endswith("_grid.png")
    assert grid.output.available_actions["reroll"] is True
    assert grid.meta.usage.consume == 80 and grid.meta.ended_at >= grid.meta.created_at
    jid = grid.job_id
    draft = wait(sandbox, sdk, mj.diffusion(text="a fox --v 7 --draft"))
    first_image = str(grid.output.image_urls[0])

    calls = {
        TaskType.VARIATION: lambda: mj.variation(job_id=jid, image_no=1, type=1, remix_prompt="in rain"),
        TaskType.UPSCALE: lambda: mj.upscale(job_id=jid, image_no=2, type=0),
        TaskType.REROLL: lambda: mj.reroll(job_id=jid),
        TaskType.BLEND: lambda: mj.blend(img_urls=[URL, first_image], aspect_ratio="2:3"),
        TaskType.PAN: lambda: mj.pan(job_id=jid, image_no=0, direction=1, scale=1.5),
        TaskType.OUTPAINT: lambda: mj.outpaint(job_id=jid, image_no=3, scale=1.3, remix_prompt="forest"),
        TaskType.REMIX: lambda: mj.remix(job_id=jid, image_no=0, remix_prompt="at night", mode=1),
        TaskType.EDIT: lambda: mj.edit(
            job_id=jid, image_no=0, canvas=Canvas(width=1024, height=1024),
            img_pos=CanvasImg(width=512, height=512, x=256, y=256), remix_prompt="sunset sky",
            mask=Mask(areas=[Polygon(width=1024, height=1024, points=[100, 100, 500, 100, 500, 500, 100, 500])]),
        ),
        TaskType.UPLOAD_PAINT: lambda: mj.upload_paint(
            img_url=first_image, canvas=Canvas(width=1024, height=1024),
            img_pos=CanvasImg(width=768, height=768, x=128, y=128), remix_prompt="magic",
            mask=Mask(url="https://example.com/mask.png"),
        ),
        TaskType.RETEXTURE: lambda: mj.retexture(img_url=URL, remix_prompt="marble"),
        TaskType.REMOVE_BACKGROUND: lambda: mj.remove_background(img_url=first_image),
        TaskType.ENHANCE: lambda: mj.enhance(job_id=draft.job_id, image_no=1),
    }
    for task_type, call in calls.items():
        done = wait(sandbox, sdk, call())
        assert done.task_type == task_type and done.status == JobStatus.COMPLETED, task_type
        assert done.output.image_urls and done.output.seed, task_type
        assert done.meta.usage.consume == done.meta.usage.frozen > 0, task_type
    assert sandbox.state.balance == 10_000 - sum(j.cost for j in sandbox.state.jobs.values())


def test_sdk_text_endpoints(sandbox, sdk):
    described = wait(sandbox, sdk, sdk.midjourney.describe(img_url=URL))
    assert described.task_type == TaskType.DESCRIBE
    assert described.output.prompt_en and described.output.final_prompt and len(described.output.prompts) == 4
    short = wait(sandbox, sdk, sdk.midjourney.shorten(prompt="a very beautiful and highly detailed castle --ar 2:3"))
    assert short.output.final_prompt == "castle --ar 2:3"


def test_sdk_video_endpoints(sandbox, sdk):
    mj = sdk.midjourney
    video = wait(sandbox, sdk, mj.video_diffusion(prompt=f"{URL} waves rolling --bs 2", video_type=1))
    assert video.task_type == TaskType.VIDEO_DIFFUSION and len(video.output.video_urls) == 2
    extended = wait(sandbox, sdk, mj.extend_video(job_id=video.job_id, video_no=1, prompt="keep going"))
    assert extended.task_type == TaskType.EXTEND_VIDEO and extended.output.video_urls
    upscaled = wait(sandbox, sdk, mj.video_upscale(job_id=video.job_id, video_no=0))
    assert upscaled.task_type == TaskType.VIDEO_UPSCALE and len(upscaled.output.video_urls) == 1
    assert video.meta.usage.frozen == 240  # --bs 2 of the default 4


def test_sdk_balance_and_task_get(sandbox, sdk):
    balance = sdk.account.balance()
    assert balance.available_credits == 10_000 and balance.balance_usd == 10.0
    job = sdk.midjourney.diffusion(text="a cat")
    assert sdk.tasks.get(job.job_id).job_id == job.job_id
    assert sdk.account.balance().available_credits == 10_000 - 80


def test_sdk_sees_failed_jobs_as_errors(sandbox, sdk):
    sandbox.faults.next("/v1/diffusion", "fail")
    job = sdk.midjourney.diffusion(text="a cat")
    with pytest.raises(LegnextAPIError) as caught:
        sdk.tasks.wait_for_completion(job.job_id, **POLL)
    assert "refunded" in caught.value.message


def test_sdk_error_classes_match_the_sandbox_status_codes(sandbox, sdk):
    with Client(api_key="wrong", base_url=sandbox.base_url, max_retries=0) as stranger:
        with pytest.raises(AuthenticationError):
            stranger.midjourney.diffusion(text="a cat")
    with pytest.raises(NotFoundError):
        sdk.tasks.get("no-such-job")
    with pytest.raises(ValidationError):
        sdk.midjourney.diffusion(text="a fox --v 8.1 --q 2")  # server-side prompt rule
    sandbox.faults.next("/v1/diffusion", "429")
    with pytest.raises(RateLimitError):
        sdk.midjourney.diffusion(text="a cat")
    sandbox.faults.next("/v1/job/*", "503")
    with pytest.raises(ServerError):
        sdk.tasks.get("anything")
    sandbox.state.balance = 10
    with pytest.raises(LegnextAPIError) as caught:
        sdk.midjourney.diffusion(text="a cat")
    assert caught.value.status_code == 402


def test_sdk_inpaint_multipart_is_refused_as_documented_deviation(sandbox, sdk):
    grid = wait(sandbox, sdk, sdk.midjourney.diffusion(text="a cat"))
    with pytest.raises(ValidationError) as caught:
        sdk.midjourney.inpaint(job_id=grid.job_id, image_no=0, mask=b"\x89PNG\r\n\x1a\n", remix_prompt="a hat")
    assert caught.value.status_code == 400
    body = caught.value.response_body
    assert "JSON" in body["message"] and "multipart" in body["message"]
    assert len(sandbox.state.created_job_ids()) == 1


def test_sdk_retries_honour_retry_after_from_the_sandbox(sandbox):
    # With retries on, the SDK re-sends after the sandbox's Retry-After (0 here: no waiting).
    sandbox.faults.spec = FaultSpec(retry_after=0)
    sandbox.faults.next("/v1/job/*", "429")
    with Client(api_key="test-key", base_url=sandbox.base_url, max_retries=1) as retrying:
        job_id = retrying.midjourney.diffusion(text="a cat").job_id
        assert retrying.tasks.get(job_id).job_id == job_id
    assert len(sandbox.state.requests_to(f"/v1/job/{job_id}")) == 2


def test_async_sdk_runs_jobs_concurrently(sandbox):
    async def body() -> list:
        async with AsyncClient(api_key="test-key", base_url=sandbox.base_url, max_retries=0) as client:
            jobs = await asyncio.gather(*[client.midjourney.diffusion(text=f"prompt {i}") for i in range(4)])
            return await asyncio.gather(*[client.tasks.wait_for_completion(j.job_id, **POLL) for j in jobs])

    results = asyncio.run(body())
    assert [r.status for r in results] == [JobStatus.COMPLETED] * 4
    assert len(sandbox.state.created_job_ids()) == 4
