"""The job watcher's schedule and lifecycle against simulated jobs on a virtual clock.

The simulated job follows the documented lifecycle (pending → staged → processing with progress →
completed/failed); time only moves when the watcher sleeps, so these tests take milliseconds
and are exact. Real-socket watcher tests against the sandbox live in test_api_sandbox.py; the
ones at the end of this file serve odd replies (unknown statuses, broken bodies) from the
scripted loopback server of test_api_transport.py.
"""

from __future__ import annotations

import asyncio
import math

import pytest

from studio.api import (
    AuthenticationError,
    Job,
    JobFailedError,
    JobWatcher,
    LegnextClient,
    MalformedResponseError,
    NetworkError,
    PollPolicy,
    RedirectError,
    UnknownStatusError,
    WatchTimeoutError,
)
from test_api_transport import BAD_GZIP, JOB_BODY, KEY, Reply, ScriptedServer, policy

SDK_INTERVAL = 3.0


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


class SimulatedJob:
    """A job that is pending, then staged, then processing (progress 0→100), then done."""

    def __init__(self, duration: float, *, queued: float = 1.0, report_progress: bool = True,
                 progress_step: int = 1, fail: bool = False, task_type: str = "diffusion") -> None:
        self.duration, self.queued = duration, queued
        self.report_progress, self.step = report_progress, progress_step
        self.fail, self.task_type = fail, task_type

    def state(self, t: float) -> dict:
        d = {"job_id": "sim", "task_type": self.task_type, "model": "midjourney"}
        if t >= self.duration:
            if self.fail:
                return d | {"status": "failed", "error": {"code": 1, "message": "prompt blocked by moderation"}}
            return d | {"status": "completed", "progress": 100, "output": {"image_urls": ["u0", "u1", "u2", "u3"]}}
        if t < self.queued / 2:
            return d | {"status": "pending"}
        if t < self.queued:
            return d | {"status": "staged"}
        share = (t - self.queued) / (self.duration - self.queued)
        progress = int(share * 100) // self.step * self.step
        return d | {"status": "processing", **({"progress": progress} if self.report_progress else {})}


class FakeClient:
    def __init__(self, job: SimulatedJob, clock: Clock, latency: float = 0.02, errors: list | None = None) -> None:
        self.job, self.clock, self.latency = job, clock, latency
        self.errors = list(errors or [])
        self.calls: list[float] = []

    async def get_job(self, job_id: str) -> Job:
        self.clock.now += self.latency / 2
        self.calls.append(self.clock.now)
        if self.errors:
            raise self.errors.pop(0)
        job = Job.from_dict(self.job.state(self.clock.now))
        self.clock.now += self.latency / 2
        return job


def run_watch(job: SimulatedJob, policy: PollPolicy | None = None, expected: float | None = None, **kwargs):
    clock = Clock()
    client = FakeClient(job, clock, **kwargs)
    watcher = JobWatcher(client, policy, clock=clock, sleep=clock.sleep)
    updates: list[Job] = []

    async def body():
        return await watcher.watch("sim", on_update=updates.append, expected=expected)

    result = asyncio.run(body())
    detected_at = client.calls[-1]
    return result, detected_at - job.duration, len(client.calls), updates


def sdk_figures(duration: float) -> tuple[float, int]:
    """The vendor SDK's loop: a GET at once, then every 3 s until done."""
    polls = math.ceil(duration / SDK_INTERVAL - 1e-9)
    return polls * SDK_INTERVAL - duration, polls + 1


# Durations from quick text tasks to slow grids, not aligned to the SDK's 3 s grid.
DURATIONS = [4.3, 6.1, 7.7, 9.2, 10.5, 12.8, 15.4, 19.9, 24.6, 31.3, 38.7, 45.1, 52.5, 61.0]


@pytest.mark.parametrize("step", [1, 15])  # smooth progress, and Midjourney-like coarse steps
def test_with_progress_detection_is_fast_and_never_costs_more_requests(step):
    delays, sdk_delays = [], []
    for duration in DURATIONS:
        result, delay, requests, _ = run_watch(SimulatedJob(duration, progress_step=step))
        sdk_delay, sdk_requests = sdk_figures(duration)
        assert result.is_completed
        assert requests <= sdk_requests, (duration, requests, sdk_requests)
        delays.append(delay)
        sdk_delays.append(sdk_delay)
    mean, sdk_mean = sum(delays) / len(delays), sum(sdk_delays) / len(sdk_delays)
    assert mean <= 0.5 * sdk_mean, (mean, sdk_mean)


def test_without_progress_it_still_never_costs_more_requests_and_detects_within_the_cap():
    policy = PollPolicy()
    for duration in DURATIONS:
        _, delay, requests, _ = run_watch(SimulatedJob(duration, report_progress=False), policy)
        _, sdk_requests = sdk_figures(duration)
        assert requests <= sdk_requests, (duration, requests, sdk_requests)
        assert delay <= policy.max_interval + 0.1


def test_learned_durations_make_the_next_job_of_that_type_quick_to_detect():
    clock = Clock()
    job = SimulatedJob(13.3, report_progress=False)
    client = FakeClient(job, clock)
    watcher = JobWatcher(client, clock=clock, sleep=clock.sleep)

    async def two_jobs():
        await watcher.watch("first")
        first_requests = len(client.calls)
        clock.now = 0.0  # the second job starts afresh
        client.calls.clear()
        await watcher.watch("second")
        return first_requests

    first_requests = asyncio.run(two_jobs())
    assert watcher.expected_duration("diffusion") == pytest.approx(13.3, abs=0.5)
    second_delay = client.calls[-1] - job.duration
    assert second_delay <= 0.5 * sdk_figures(job.duration)[0]  # the target: half the SDK's delay
    assert len(client.calls) <= first_requests


def test_updates_report_each_change_of_status_and_progress_once():
    result, _, _, updates = run_watch(SimulatedJob(20.0, progress_step=1))
    statuses = [u.status for u in updates]
    assert statuses[0] in ("pending", "staged") and statuses[-1] == "completed"
    progress = [u.progress for u in updates if u.status == "processing"]
    assert progress == sorted(progress) and len(progress) >= 2
    pairs = [(u.status, u.progress) for u in updates]
    assert len(pairs) == len(set(pairs))
    assert result.images == ["u0", "u1", "u2", "u3"]


def test_failed_job_raises_with_its_error_message():
    with pytest.raises(JobFailedError) as caught:
        run_watch(SimulatedJob(5.0, fail=True))
    assert "prompt blocked by moderation" in caught.value.user_message
    assert caught.value.job.is_failed


def test_transient_poll_errors_are_ridden_out_but_auth_errors_are_not():
    result, _, _, _ = run_watch(SimulatedJob(6.0), errors=[NetworkError("blip"), NetworkError("blip")])
    assert result.is_completed
    with pytest.raises(AuthenticationError):
        run_watch(SimulatedJob(6.0), errors=[AuthenticationError("bad key")])
    with pytest.raises(NetworkError):
        run_watch(SimulatedJob(60.0), PollPolicy(max_consecutive_errors=3), errors=[NetworkError("down")] * 3)


def test_a_redirect_error_ends_the_watch_at_once():
    # Unlike a network blip, a redirect loop will not mend by itself.
    clock = Clock()
    client = FakeClient(SimulatedJob(6.0), clock, errors=[RedirectError("loop")])
    with pytest.raises(RedirectError):
        asyncio.run(JobWatcher(client, clock=clock, sleep=clock.sleep).watch("sim"))
    assert len(client.calls) == 1


def test_a_failing_listener_does_not_end_the_watch():
    clock = Clock()
    watcher = JobWatcher(FakeClient(SimulatedJob(5.0), clock), clock=clock, sleep=clock.sleep)

    def explode(job):
        raise RuntimeError("listener bug")

    assert asyncio.run(watcher.watch("sim", on_update=explode)).is_completed


class NeverDone:
    """A job that stays processing, on the real clock."""

    def __init__(self) -> None:
        self.calls = 0

    async def get_job(self, job_id: str) -> Job:
        self.calls += 1
        return Job.from_dict({"job_id": job_id, "status": "processing", "progress": 10})


FAST = PollPolicy(time_scale=0.001)


def test_overall_timeout_raises_with_the_last_state_seen():
    client = NeverDone()

    async def body():
        return await JobWatcher(client, FAST).watch("slow", timeout=0.05)

    with pytest.raises(WatchTimeoutError) as caught:
        asyncio.run(body())
    assert caught.value.job is not None and caught.value.job.progress == 10
    assert client.calls >= 2


def test_cancel_by_job_id_stops_only_that_watch():
    client = NeverDone()

    async def body():
        watcher = JobWatcher(client, FAST)
        first = asyncio.ensure_future(watcher.watch("a"))
        second = asyncio.ensure_future(watcher.watch("b"))
        async def polled_twice_each():
            while client.calls < 4:
                await asyncio.sleep(0.001)

        await asyncio.wait_for(polled_twice_each(), timeout=5)  # bounded: a hang is a failure
        assert sorted(watcher.watching()) == ["a", "b"]
        assert watcher.cancel("a") is True
        with pytest.raises(asyncio.CancelledError):
            await first
        assert not second.done()
        assert watcher.watching() == ["b"]
        second.cancel()
        with pytest.raises(asyncio.CancelledError):
            await second
        calls = client.calls
        await asyncio.sleep(0.02)
        assert client.calls == calls  # nothing polls any more
        assert watcher.cancel("a") is False

    asyncio.run(body())


def test_time_scale_scales_every_interval():
    policy = PollPolicy(time_scale=0.01)
    assert policy.scaled(policy.first_delay) == pytest.approx(0.005)
    assert policy.typical("diffusion") == pytest.approx(0.4)
    _, _, requests, _ = run_watch(SimulatedJob(0.105, queued=0.01), policy, latency=0.0002)
    assert requests <= sdk_figures(10.5)[1]


# ---- odd replies over a real socket ----------------------------------------------------------

QUICK = PollPolicy(time_scale=0.001, max_consecutive_errors=3)


def job_reply(status: str | None, **extra) -> Reply:
    body = {**JOB_BODY, "task_type": "diffusion", **extra}
    if status is None:
        body.pop("status")
    else:
        body["status"] = status
    return Reply(body=body)


def watch_scripted(*script: Reply):
    async def body():
        async with ScriptedServer(*script) as server:
            async with LegnextClient(KEY, server.base_url, retry=policy()) as client:
                watcher = JobWatcher(client, QUICK)
                try:
                    # Bounded: before unknown statuses ended a watch, this polled until the timeout.
                    return await watcher.watch(JOB_BODY["job_id"], timeout=5), len(server.received)
                except Exception as exc:  # noqa: BLE001 - handed to the test with the count
                    return exc, len(server.received)

    return asyncio.run(body())


@pytest.mark.parametrize("status", ["cancelled", "expired", "Timed_Out"])
def test_an_undocumented_status_ends_the_watch_with_that_status(status):
    error, requests = watch_scripted(job_reply("processing", progress=30), job_reply(status))
    assert isinstance(error, UnknownStatusError) and isinstance(error, JobFailedError)
    assert requests == 2
    assert error.status == status.lower() and error.job.status == status.lower()
    assert f"reported status '{status.lower()}'" in error.user_message


def test_an_undocumented_status_keeps_the_servers_reason():
    error, _ = watch_scripted(job_reply("expired", error={"code": 0, "message": "kept for 24 hours only"}))
    assert isinstance(error, UnknownStatusError) and "kept for 24 hours only" in error.user_message


@pytest.mark.parametrize("status", ["", None], ids=["empty", "missing"])
def test_a_poll_without_a_status_is_retried_then_fails_as_malformed(status):
    error, requests = watch_scripted(job_reply(status))
    assert isinstance(error, MalformedResponseError) and "no status" in str(error)
    assert requests == QUICK.max_consecutive_errors


def test_a_poll_without_a_status_is_ridden_out_when_the_next_one_has_it():
    job, requests = watch_scripted(job_reply(""), job_reply(None), job_reply("completed"))
    assert isinstance(job, Job) and job.is_completed and requests == 3


def test_a_poll_with_a_broken_gzip_body_is_ridden_out():
    job, requests = watch_scripted(BAD_GZIP, job_reply("processing", progress=50), BAD_GZIP,
                                   job_reply("completed"))
    assert isinstance(job, Job) and job.is_completed and requests == 4


@pytest.mark.parametrize("spread", [0.0, 0.15])  # the job ends at the median, or 15% off either way
def test_without_progress_a_known_duration_halves_the_delay_at_no_more_requests(spread):
    """The unkind case (no `progress`, as in the vendor's samples): with the user's past
    durations as the prior, detection beats the SDK's fixed poll by 2x, on the same budget."""
    delays, sdk_delays, requests, sdk_requests = [], [], 0, 0
    for median in DURATIONS:
        for actual in {median * (1 - spread), median, median * (1 + spread)}:
            clock = Clock()
            job = SimulatedJob(actual, report_progress=False)
            client = FakeClient(job, clock)
            watcher = JobWatcher(client, clock=clock, sleep=clock.sleep)
            watcher.seed({"diffusion": median})
            asyncio.run(watcher.watch("sim"))
            delays.append(client.calls[-1] - actual)
            requests += len(client.calls)
            sdk_delay, sdk_count = sdk_figures(actual)
            sdk_delays.append(sdk_delay)
            sdk_requests += sdk_count
    assert sum(delays) <= 0.5 * sum(sdk_delays), (sum(delays) / len(delays), sum(sdk_delays) / len(sdk_delays))
    assert requests <= sdk_requests, (requests, sdk_requests)


def test_an_expected_duration_given_for_one_job_places_its_polls_around_that_end():
    # e.g. the user's past niji grids: this job's own figure, not the watcher's per-operation one
    job = SimulatedJob(21.7, report_progress=False)
    _, delay, requests, _ = run_watch(job, expected=21.7)
    sdk_delay, sdk_requests = sdk_figures(job.duration)
    assert delay <= 0.5 * sdk_delay and requests <= sdk_requests


def test_estimated_time_from_the_account_listing_places_the_polls_and_one_listing_serves_all():
    from studio.api.models import ActiveTask, ActiveTasks

    clock = Clock()
    job = SimulatedJob(26.4, report_progress=False)

    class ListingClient(FakeClient):
        listings = 0

        async def active_tasks(self):
            ListingClient.listings += 1
            await asyncio.sleep(0)
            left = max(1, math.ceil(job.duration - self.clock.now))
            return ActiveTasks(tasks=[ActiveTask(job_id=j, task_type="diffusion", status="processing",
                                                 estimated_time=left) for j in ("sim", "b", "c")])

    client = ListingClient(job, clock)
    watcher = JobWatcher(client, clock=clock, sleep=clock.sleep)
    watcher.use_listing = True
    asyncio.run(watcher.watch("sim"))
    sdk_delay, sdk_requests = sdk_figures(job.duration)
    assert ListingClient.listings == 1 and len(client.calls) + 1 <= sdk_requests
    assert client.calls[-1] - job.duration <= 0.5 * sdk_delay
    assert all(call > 0.6 * job.duration for call in client.calls)  # nothing asked early

    async def together():  # watches starting in the same moment share one listing
        return await asyncio.gather(*(watcher._estimates(clock.now) for _ in range(3)))

    answers = asyncio.run(together())
    assert ListingClient.listings == 2 and answers[0] == answers[1] == answers[2]
