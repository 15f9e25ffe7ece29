"""The client and the job watcher against the sandbox server, over real loopback sockets.

Every endpoint end to end (submit → watch → result), every error class as the sandbox
produces it, and the retry rules under the sandbox's injected faults — counting the jobs the
sandbox actually created, so a duplicated, double-charged POST would show.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from studio.api import (
    AuthenticationError,
    BadRequestError,
    Canvas,
    CanvasImg,
    ForbiddenError,
    InsufficientCreditsError,
    Job,
    JobFailedError,
    JobWatcher,
    LegnextClient,
    Mask,
    NetworkError,
    NotFoundError,
    PayloadTooLargeError,
    PollPolicy,
    Polygon,
    RateLimitError,
    RequestTimeoutError,
    RetryPolicy,
    ServerError,
    UnprocessableError,
    WatchTimeoutError,
)
from studio.sandbox import FaultSpec, SandboxServer
from studio.api.job_requests import request_for

KEY = "test-key"  # the conftest sandbox accepts only this key
FAST = PollPolicy(time_scale=1 / 200)  # the conftest sandbox runs 200x fast


class Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def quick_retry(sleeps: Sleeps | None = None, attempts: int = 4) -> RetryPolicy:
    return RetryPolicy(max_attempts=attempts, sleep=sleeps or Sleeps())


async def finished(client: LegnextClient, job: Job) -> Job:
    return await JobWatcher(client, FAST).watch(job.job_id, timeout=20)


def posts(sandbox: SandboxServer, endpoint: str) -> int:
    return len(sandbox.state.requests_to(endpoint, "POST"))


# ---- every endpoint, end to end --------------------------------------------------------------

def test_grid_actions_end_to_end(sandbox):
    async def body():
        async with LegnextClient(KEY, sandbox.base_url) as client:
            grid = await finished(client, await client.diffusion("a red fox in snow --ar 3:2"))
            assert grid.task_type == "diffusion" and len(grid.images) == 4
            assert "upscale" in grid.output.actions_for(1)
            mask = Mask(areas=[Polygon(1024, 1024, [100, 100, 700, 100, 700, 700, 100, 700])])
            calls = {
                "variation": dict(job_id=grid.job_id, image_no=1, type=1, remix_prompt="a blue fox"),
                "upscale": dict(job_id=grid.job_id, image_no=2, type=0),
                "reroll": dict(job_id=grid.job_id),
                "pan": dict(job_id=grid.job_id, image_no=0, direction=1, scale=1.5),
                "outpaint": dict(job_id=grid.job_id, image_no=0, scale=1.3, remix_prompt="a forest"),
                "inpaint": dict(job_id=grid.job_id, image_no=3, mask=mask, remix_prompt="a hat"),
                "remix": dict(job_id=grid.job_id, image_no=0, remix_prompt="a fox at dusk", mode=1),
                "edit": dict(job_id=grid.job_id, image_no=0, canvas=Canvas(1536, 1024),
                             img_pos=CanvasImg(1024, 1024, 256, 0), remix_prompt="a beach", mask=mask),
            }
            submitted = {op: await client.submit(request_for(op, **kwargs)) for op, kwargs in calls.items()}
            results = await asyncio.gather(*(finished(client, job) for job in submitted.values()))
            return grid, dict(zip(calls, results))

    grid, results = asyncio.run(body())
    for op, job in results.items():
        assert job.is_completed, op
        assert job.task_type == op
        assert job.images, op
    assert len(results["upscale"].images) == 1
    assert len(results["variation"].images) == 4
    inpaint_body = sandbox.state.requests_to("/v1/inpaint", "POST")[0].json_body
    assert inpaint_body["mask"] == {"areas": [{"width": 1024, "height": 1024,
                                               "points": [100, 100, 700, 100, 700, 700, 100, 700]}]}
    assert sandbox.state.requests_to("/v1/edit", "POST")[0].json_body["imgPos"] == {
        "width": 1024, "height": 1024, "x": 256, "y": 0}


def test_image_url_and_text_endpoints_end_to_end(sandbox):
    async def body():
        async with LegnextClient(KEY, sandbox.base_url) as client:
            grid = await finished(client, await client.diffusion("a lighthouse --ar 1:1"))
            url = grid.images[0]
            calls = {
                "blend": dict(img_urls=grid.images[:3], aspect_ratio="2:3"),
                "describe": dict(img_url=url),
                "shorten": dict(prompt="a very very long and winding prompt about a lighthouse on a cliff"),
                "upload_paint": dict(img_url=url, canvas=Canvas(1024, 1024), img_pos=CanvasImg(1024, 1024, 0, 0),
                                     remix_prompt="gold leaf", mask=Mask(url=grid.images[1])),
                "retexture": dict(img_url=url, remix_prompt="carved marble"),
                "remove_background": dict(img_url=url),
                "enhance_upscale": dict(image_url=url, target_resolution="4K", content_type="illustration"),
            }
            jobs = {op: await client.submit(request_for(op, **kwargs)) for op, kwargs in calls.items()}
            jobs["topaz_from_job"] = await client.enhance_upscale(job_id=grid.job_id, image_no=3)
            done = await asyncio.gather(*(finished(client, job) for job in jobs.values()))
            return dict(zip(jobs, done))

    results = asyncio.run(body())
    assert all(job.is_completed for job in results.values())
    assert results["blend"].task_type == "blend" and len(results["blend"].images) == 4
    assert results["describe"].output.prompts and results["describe"].images == []
    assert results["shorten"].output.prompts
    assert results["upload_paint"].task_type == "upload_paint"
    assert results["remove_background"].task_type == "remove_background"
    assert results["enhance_upscale"].task_type == "enhance_upscale" and results["enhance_upscale"].images
    assert results["topaz_from_job"].images
    topaz_body = sandbox.state.requests_to("/v1/enhance-upscale", "POST")[0].json_body
    assert set(topaz_body) == {"image_url", "target_resolution", "content_type"}  # no nulls sent


def test_draft_enhance_and_video_chain_end_to_end(sandbox):
    async def body():
        async with LegnextClient(KEY, sandbox.base_url) as client:
            draft = await finished(client, await client.diffusion("a castle --v 7 --draft"))
            enhanced = await finished(client, await client.enhance(draft.job_id, 1))
            video = await finished(client, await client.video_diffusion(job_id=draft.job_id, image_no=0, video_type=0))
            by_prompt = await finished(client, await client.video_diffusion(
                prompt=f"{draft.images[2]} the castle in a storm --motion high --bs 1"))
            extended = await finished(client, await client.extend_video(video.job_id, 0, prompt="the gate opens"))
            upscaled = await finished(client, await client.video_upscale(video.job_id, 1))
            return enhanced, video, by_prompt, extended, upscaled

    enhanced, video, by_prompt, extended, upscaled = asyncio.run(body())
    assert enhanced.task_type == "enhance" and enhanced.images
    for job in (video, by_prompt, extended, upscaled):
        assert job.is_completed and job.output.video_urls
    assert (extended.task_type, upscaled.task_type) == ("extend_video", "video_upscale")
    assert "extend_video" in video.output.available_actions


def test_get_job_balance_and_download(sandbox):
    async def body():
        async with LegnextClient(KEY, sandbox.base_url) as client:
            before = await client.balance()
            pending = await client.diffusion("a teapot --ar 2:3")
            after = await client.balance()
            done = await finished(client, pending)
            again = await client.get_job(pending.job_id)
            image = await client.download(done.images[0])
            return before, pending, after, again, image

    before, pending, after, again, image = asyncio.run(body())
    assert pending.status == "pending" and pending.meta.usage.frozen == 80
    assert before.available_credits - after.available_credits == 80
    assert again.is_completed and again.meta.usage.consume == 80 and again.meta.ended_at is not None
    assert image.startswith(b"\x89PNG")


# ---- each error class as the sandbox produces it ---------------------------------------------

def test_wrong_key_is_an_authentication_error(sandbox):
    async def body():
        async with LegnextClient("not-the-key", sandbox.base_url) as client:
            with pytest.raises(AuthenticationError) as caught:
                await client.diffusion("a cat")
            return caught.value

    error = asyncio.run(body())
    assert error.message == "Failed to verify api key" and "Settings" in error.user_message
    assert sandbox.state.created_job_ids() == []


def test_server_rules_are_bad_requests_naming_the_problem(sandbox):
    async def body():
        async with LegnextClient(KEY, sandbox.base_url) as client:
            with pytest.raises(BadRequestError) as flag:
                await client.diffusion("a cat --v 8.1 --q 2")
            plain = await finished(client, await client.diffusion("a cat --v 7"))
            with pytest.raises(BadRequestError) as enhance:
                await client.enhance(plain.job_id, 0)
            return flag.value, enhance.value

    flag, enhance = asyncio.run(body())
    assert "--q" in flag.message and "--q" in flag.user_message and flag.code == 400
    assert "draft" in enhance.message


def test_out_of_credits_is_402_and_nothing_is_charged(sandbox):
    sandbox.state.balance = 50

    async def body():
        async with LegnextClient(KEY, sandbox.base_url) as client:
            with pytest.raises(InsufficientCreditsError) as caught:
                await client.diffusion("a cat")
            return caught.value, await client.balance()

    error, balance = asyncio.run(body())
    assert error.status == 402 and "credits" in error.user_message.lower()
    assert balance.available_credits == 50 and sandbox.state.created_job_ids() == []


def test_unknown_job_and_expired_image_are_not_found(sandbox):
    async def body():
        async with LegnextClient(KEY, sandbox.base_url) as client:
            with pytest.raises(NotFoundError) as unknown:
                await client.get_job("00000000-0000-4000-8000-000000000000")
            done = await finished(client, await client.diffusion("a cat"))
            sandbox.clock.advance(timedelta(days=31).total_seconds())
            with pytest.raises(NotFoundError) as expired:
                await client.download(done.images[0])
            return unknown.value, expired.value

    unknown, expired = asyncio.run(body())
    assert "not found" in unknown.message
    assert "30 days" in expired.message


@pytest.mark.parametrize("status,cls", [(403, ForbiddenError), (413, PayloadTooLargeError),
                                        (422, UnprocessableError), (429, RateLimitError),
                                        (500, ServerError), (502, ServerError), (503, ServerError)])
def test_injected_statuses_map_to_their_classes(sandbox, status, cls):
    sandbox.faults.next("/v1/diffusion", str(status))

    async def body():
        async with LegnextClient(KEY, sandbox.base_url, retry=RetryPolicy(max_attempts=1)) as client:
            with pytest.raises(cls) as caught:
                await client.diffusion("a cat")
            return caught.value

    error = asyncio.run(body())
    assert error.status == status and error.code == status and error.message and error.user_message
    if status == 429:
        assert error.retry_after is not None
    assert posts(sandbox, "/v1/diffusion") == 1


# ---- retries under injected faults: never a duplicate job ------------------------------------

@pytest.mark.parametrize("kind,error", [("500", ServerError), ("503", ServerError), ("drop", NetworkError)])
def test_post_whose_answer_was_lost_after_the_job_was_created_is_not_resent(sandbox, kind, error):
    sandbox.faults.next("/v1/diffusion", kind, after=True)
    sleeps = Sleeps()

    async def body():
        async with LegnextClient(KEY, sandbox.base_url, retry=quick_retry(sleeps)) as client:
            with pytest.raises(error):
                await client.diffusion("a lighthouse")

    asyncio.run(body())
    assert posts(sandbox, "/v1/diffusion") == 1
    assert len(sandbox.state.created_job_ids()) == 1  # the job exists: a resend would have made two
    assert sleeps.delays == []


def test_post_dropped_before_creation_is_still_not_resent(sandbox):
    # The client cannot tell a drop before creation from one after: it must not guess.
    sandbox.faults.next("/v1/diffusion", "drop")

    async def body():
        async with LegnextClient(KEY, sandbox.base_url, retry=quick_retry()) as client:
            with pytest.raises(NetworkError) as caught:
                await client.diffusion("a lighthouse")
            return caught.value

    assert asyncio.run(body()).request_sent
    assert posts(sandbox, "/v1/diffusion") == 1 and sandbox.state.created_job_ids() == []


def test_post_timing_out_at_a_slow_server_is_not_resent(sandbox):
    # The request reached the server, which is still working on it when the client gives up.
    # (The scripted server in test_api_transport covers a server that goes on to create the job.)
    sandbox.faults.next("/v1/diffusion", "slow", seconds=0.5)
    sleeps = Sleeps()

    async def body():
        async with LegnextClient(KEY, sandbox.base_url, timeout=0.2, retry=quick_retry(sleeps)) as client:
            with pytest.raises(RequestTimeoutError) as caught:
                await client.diffusion("a lighthouse")
            return caught.value

    error = asyncio.run(body())
    assert error.request_sent and "in time" in error.user_message
    assert posts(sandbox, "/v1/diffusion") == 1 and sleeps.delays == []
    assert len(sandbox.state.created_job_ids()) <= 1


def test_post_is_resent_after_429_and_creates_one_job(sandbox):
    sandbox.faults.next("/v1/diffusion", "429", count=2)
    sleeps = Sleeps()

    async def body():
        async with LegnextClient(KEY, sandbox.base_url, retry=quick_retry(sleeps)) as client:
            return await client.diffusion("a lighthouse")

    job = asyncio.run(body())
    assert posts(sandbox, "/v1/diffusion") == 3
    assert sandbox.state.created_job_ids() == [job.job_id]
    assert len(sleeps.delays) == 2 and all(d >= 1.0 for d in sleeps.delays)  # the sandbox's Retry-After


def test_get_job_rides_out_5xx_and_drops(sandbox):
    async def body():
        async with LegnextClient(KEY, sandbox.base_url, retry=quick_retry()) as client:
            job = await client.diffusion("a lighthouse")
            sandbox.faults.next(f"/v1/job/{job.job_id}", "503")
            sandbox.faults.next(f"/v1/job/{job.job_id}", "drop")
            sandbox.faults.next(f"/v1/job/{job.job_id}", "502")
            return job, await client.get_job(job.job_id)

    job, again = asyncio.run(body())
    assert again.job_id == job.job_id
    assert len(sandbox.state.requests_to(f"/v1/job/{job.job_id}", "GET")) == 4


def test_fault_storm_never_creates_a_job_twice(sandbox):
    # Random 429s, 5xx and drops, half of them striking after the job was created.
    sandbox.set_faults(FaultSpec(statuses={429: 0.15}, server_error=0.15, drop=0.1, after_share=0.5, seed=11))
    calls = 30

    async def body():
        created_per_call, outcomes = [], []
        async with LegnextClient(KEY, sandbox.base_url, retry=quick_retry()) as client:
            for i in range(calls):
                before = len(sandbox.state.created_job_ids())
                try:
                    job = await client.diffusion(f"storm {i}")
                    outcomes.append(job.job_id)
                except (ServerError, NetworkError, RateLimitError) as exc:
                    outcomes.append(exc)
                created = sandbox.state.created_job_ids()[before:]
                created_per_call.append(created)
            sandbox.set_faults(FaultSpec())
            ok = [o for o in outcomes if isinstance(o, str)]
            done = await asyncio.gather(*(JobWatcher(client, FAST).watch(j, timeout=20) for j in ok))
        return created_per_call, outcomes, done

    created_per_call, outcomes, done = asyncio.run(body())
    assert all(len(c) <= 1 for c in created_per_call)  # never two jobs for one call
    for outcome, created in zip(outcomes, created_per_call):
        if isinstance(outcome, str):
            assert created == [outcome]  # a success is exactly the job the server made
    assert any(isinstance(o, str) for o in outcomes)
    # The storm did hit: some answers were lost after the server had created the job.
    assert any(not isinstance(o, str) and created for o, created in zip(outcomes, created_per_call))
    assert all(job.is_completed for job in done)


# ---- the watcher against the sandbox ---------------------------------------------------------

def test_watcher_follows_many_jobs_at_once_on_one_client(sandbox):
    async def body():
        async with LegnextClient(KEY, sandbox.base_url) as client:
            watcher = JobWatcher(client, FAST)
            jobs = [await client.diffusion(f"a mountain, take {i}") for i in range(10)]
            updates: dict[str, list[Job]] = {job.job_id: [] for job in jobs}
            done = await asyncio.gather(*(watcher.watch(j.job_id, on_update=updates[j.job_id].append, timeout=20)
                                          for j in jobs))
            return jobs, done, updates, watcher.requests

    jobs, done, updates, requests = asyncio.run(body())
    assert [d.job_id for d in done] == [j.job_id for j in jobs]
    assert all(d.is_completed and len(d.images) == 4 for d in done)
    for seen in updates.values():
        assert seen[-1].is_completed
    gets = sum(len(sandbox.state.requests_to(f"/v1/job/{j.job_id}", "GET")) for j in jobs)
    assert gets == requests


def test_watcher_raises_the_failed_jobs_message(sandbox):
    sandbox.faults.next("/v1/diffusion", "fail")

    async def body():
        async with LegnextClient(KEY, sandbox.base_url) as client:
            job = await client.diffusion("a doomed cat")
            with pytest.raises(JobFailedError) as caught:
                await JobWatcher(client, FAST).watch(job.job_id, timeout=20)
            return caught.value, await client.balance()

    error, balance = asyncio.run(body())
    assert error.job.is_failed and error.job.error.message
    assert error.job.error.message in error.user_message
    assert balance.available_credits == 10_000  # refunded


def test_watcher_timeout_and_cancel_on_a_real_speed_sandbox():
    with SandboxServer(keys=[KEY], speed=1.0, image_size_cap=64) as slow:
        async def body():
            async with LegnextClient(KEY, slow.base_url) as client:
                watcher = JobWatcher(client, PollPolicy(time_scale=0.05))
                first = await client.diffusion("a slow cat")
                with pytest.raises(WatchTimeoutError) as caught:
                    await watcher.watch(first.job_id, timeout=0.3)
                second = await client.diffusion("another slow cat")
                task = asyncio.ensure_future(watcher.watch(second.job_id))
                async def first_poll_seen():
                    while not slow.state.requests_to(f"/v1/job/{second.job_id}", "GET"):
                        await asyncio.sleep(0.01)

                await asyncio.wait_for(first_poll_seen(), timeout=5)  # bounded: a hang is a failure
                assert watcher.cancel(second.job_id)
                with pytest.raises(asyncio.CancelledError):
                    await task
                return caught.value, second

        timed_out, second = asyncio.run(body())
        assert timed_out.job is not None and not timed_out.job.is_terminal
        seen = len(slow.state.requests_to(f"/v1/job/{second.job_id}", "GET"))
        assert seen >= 1 and not slow.state.jobs[second.job_id].is_terminal
