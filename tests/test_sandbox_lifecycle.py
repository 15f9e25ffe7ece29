"""Job lifecycle on the sandbox clock, durations per task and model, and credits."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from test_sandbox_support import KEY, client, finished, refused, run, submit

from studio.sandbox import FaultSpec, SandboxServer
from studio.sandbox.clock import SandboxClock
from studio.sandbox.jobs import PROCESSING_SECONDS, SandboxJob, phases_for
from studio.sandbox.state import SandboxState


@pytest.fixture
def slow_sandbox():
    """Phases last seconds (speed 0.1), so only clock.advance() moves a job along."""
    with SandboxServer(keys=["test-key"], speed=0.1, image_size_cap=64, balance=1_000) as server:
        yield server


def status(api, job_id):
    return api.get(f"/v1/job/{job_id}").json()


def test_job_walks_pending_staged_processing_completed(slow_sandbox):
    sandbox = slow_sandbox
    with client(sandbox) as api:
        job_id = submit(api, "diffusion", {"text": "a fox"})["job_id"]
        phases = sandbox.state.jobs[job_id].phases
        seen = [status(api, job_id)]
        # land in the middle of each phase, so real time passing meanwhile cannot matter
        steps = (phases.pending + phases.staged / 2, phases.staged / 2 + phases.processing / 4,
                 phases.processing / 2, phases.processing)
        for step in steps:
            sandbox.clock.advance(step)
            seen.append(status(api, job_id))
    assert [j["status"] for j in seen] == ["pending", "staged", "processing", "processing", "completed"]
    assert [j["output"]["image_urls"] is None for j in seen] == [True, True, True, True, False]
    assert seen[0]["meta"]["started_at"] == "0001-01-01T00:00:00Z"
    assert seen[-1]["meta"]["ended_at"] != "0001-01-01T00:00:00Z"
    record = sandbox.state.jobs[job_id]
    assert record.status == "completed" and record.completed_at is not None
    # the clock jump carried the job over its end: it completed at the moment of the jump
    assert abs(record.completed_at - time.time()) < 5


def test_completed_at_is_the_wall_time_of_the_scheduled_end():
    with SandboxServer(speed=1.0, durations={"diffusion": 0.2}) as sandbox, client(sandbox) as api:
        api.headers["x-api-key"] = "k"
        submitted = time.time()
        job_id = submit(api, "diffusion", {"text": "a fox"})["job_id"]
        job = sandbox.state.jobs[job_id]
        assert job.phases.total == pytest.approx(0.2)
        sandbox.clock.advance(1.0)  # jump past the end; completed_at is when sandbox time reached it
        assert sandbox.state.jobs[job_id].completed_at == pytest.approx(time.time(), abs=0.5)
        assert sandbox.state.jobs[job_id].completed_at >= submitted


def test_durations_depend_on_task_and_model():
    with SandboxServer(speed=10.0) as sandbox, client(sandbox) as api:
        api.headers["x-api-key"] = "k"
        ids = {name: submit(api, "diffusion", {"text": text})["job_id"] for name, text in [
            ("v7", "a fox --v 7"), ("draft", "a fox --v 7 --draft"), ("turbo", "a fox --turbo"),
            ("v8", "a fox --v 8"), ("v8hd", "a fox --v 8 --hd"), ("v81", "a fox --v 8.1"),
        ]}
        ids["shorten"] = submit(api, "shorten", {"prompt": "a fox"})["job_id"]
        ids["video"] = submit(api, "video-diffusion", {"prompt": "https://e.com/a.png waves"})["job_id"]
        total = {name: sandbox.state.jobs[job_id].phases.total for name, job_id in ids.items()}
    assert total["draft"] < total["turbo"] < total["v7"]
    assert total["v81"] < total["v8"] < total["v8hd"] and total["v8"] < total["v7"]
    assert total["shorten"] < total["v7"] < total["video"]
    assert total["v7"] == pytest.approx((0.4 + 0.3 + PROCESSING_SECONDS["diffusion"]) / 10)


def test_speed_divides_every_duration():
    with SandboxServer(speed=1.0) as one, SandboxServer(speed=50.0) as fifty:
        totals = []
        for server in (one, fifty):
            with client(server) as api:
                api.headers["x-api-key"] = "k"
                job_id = submit(api, "describe", {"imgUrl": "https://e.com/a.png"})["job_id"]
                totals.append(server.state.jobs[job_id].phases.total)
    assert totals[0] == pytest.approx(totals[1] * 50)


# --- credits ----------------------------------------------------------------------------------


def balance(api):
    return api.get("/account/balance").json()["data"]["available_credits"]


def test_credits_freeze_at_submit_and_are_consumed_on_completion(slow_sandbox):
    sandbox = slow_sandbox
    with client(sandbox) as api:
        job = submit(api, "diffusion", {"text": "a fox"})
        assert job["meta"]["usage"] == {"type": "point", "frozen": 80, "consume": 0}
        assert balance(api) == 920 and sandbox.state.balance == 920
        done = finished(sandbox, api, job["job_id"])
        assert done["meta"]["usage"] == {"type": "point", "frozen": 80, "consume": 80}
        assert balance(api) == 920


def test_failed_jobs_refund_their_frozen_credits(slow_sandbox):
    sandbox = slow_sandbox
    sandbox.faults.next("/v1/diffusion", "fail")
    with client(sandbox) as api:
        job_id = submit(api, "diffusion", {"text": "a fox"})["job_id"]
        assert balance(api) == 920
        sandbox.finish_all()
        failed = status(api, job_id)
        assert balance(api) == 1_000
        ok = run(sandbox, api, "diffusion", {"text": "a fox"})  # only the next one fails
    assert failed["status"] == "failed"
    assert failed["error"]["code"] != 0 and failed["error"]["message"]
    assert failed["meta"]["usage"] == {"type": "point", "frozen": 80, "consume": 0}
    assert failed["output"]["image_urls"] is None
    assert ok["status"] == "completed"


def test_insufficient_credits_is_402_and_creates_nothing(slow_sandbox):
    sandbox = slow_sandbox
    sandbox.state.balance = 100
    with client(sandbox) as api:
        submit(api, "diffusion", {"text": "a fox"})  # 80 of 100
        payload = refused(api, "diffusion", {"text": "a fox"}, status=402)
        assert "80" in payload["message"] and "20" in payload["message"]
        submit(api, "describe", {"imgUrl": "https://e.com/a.png"})  # 20 still fits
        refused(api, "shorten", {"prompt": "a fox"}, status=402)
    assert len(sandbox.state.created_job_ids()) == 2
    assert sandbox.state.balance == 0


@pytest.mark.parametrize("endpoint,body,credits", [
    ("diffusion", {"text": "a fox --v 8 --hd"}, 320),
    ("diffusion", {"text": "a fox --v 8 --q 4"}, 320),
    ("diffusion", {"text": "a fox --v 8 --sv 6"}, 320),
    ("diffusion", {"text": "a fox --v 8 --hd --q 4"}, 320),  # one premium tier, not stacked
    ("diffusion", {"text": "a fox --v 8.1 --hd"}, 80),  # v8.1 is HD at the standard price
    ("diffusion", {"text": "a fox --turbo"}, 160),
    ("diffusion", {"text": "a fox --v 7 --draft"}, 80),
    ("enhance-upscale", {"image_url": "https://e.com/a.png"}, 120),
    ("enhance-upscale", {"image_url": "https://e.com/a.png", "target_resolution": "4K"}, 160),
    ("enhance-upscale", {"image_url": "https://e.com/a.png", "target_resolution": "6K"}, 200),
    ("enhance-upscale", {"image_url": "https://e.com/a.png", "target_resolution": "12K"}, 540),
    ("enhance-upscale", {"image_url": "https://e.com/a.png", "target_resolution": "FHD"}, 120),
    ("video-diffusion", {"prompt": "https://e.com/a.png waves"}, 480),
    ("video-diffusion", {"prompt": "https://e.com/a.png waves --bs 1"}, 120),
    ("describe", {"imgUrl": "https://e.com/a.png"}, 20),
    ("retexture", {"imgUrl": "https://e.com/a.png", "remixPrompt": "wood"}, 120),
    ("remove-background", {"imgUrl": "https://e.com/a.png"}, 80),
])
def test_task_costs_follow_the_docs(sandbox, endpoint, body, credits):
    with client(sandbox) as api:
        job = submit(api, endpoint, body)
    assert job["meta"]["usage"]["frozen"] == credits
    assert sandbox.state.balance == 10_000 - credits


def test_reroll_costs_what_its_parent_prompt_costs(sandbox):
    with client(sandbox) as api:
        parent = run(sandbox, api, "diffusion", {"text": "a fox --v 8 --hd"})
        reroll = submit(api, "reroll", {"jobId": parent["job_id"]})
    assert reroll["meta"]["usage"]["frozen"] == 320


def test_documented_prices_are_what_the_sandbox_freezes(sandbox):
    """The sandbox keeps no price table: every credit it freezes is studio.prompt's."""
    with client(sandbox) as api:
        parent = run(sandbox, api, "diffusion", {"text": "a fox"})
        frozen = {
            "diffusion": parent["meta"]["usage"]["frozen"],
            "variation": submit(api, "variation", {"jobId": parent["job_id"], "imageNo": 0, "type": 0}),
            "describe": submit(api, "describe", {"imgUrl": "https://e.com/a.png"}),
            "video": submit(api, "video-diffusion", {"prompt": "https://e.com/a.png waves"}),
            "topaz 4K": submit(api, "enhance-upscale",
                               {"image_url": "https://e.com/a.png", "target_resolution": "4K"}),
            "v8 --hd": submit(api, "diffusion", {"text": "a fox --v 8 --hd"}),
            "--turbo": submit(api, "diffusion", {"text": "a fox --turbo"}),
        }
    credits = {k: v if isinstance(v, int) else v["meta"]["usage"]["frozen"] for k, v in frozen.items()}
    assert credits == {"diffusion": 80, "variation": 120, "describe": 20, "video": 480,
                       "topaz 4K": 160, "v8 --hd": 320, "--turbo": 160}
    assert sandbox.state.balance == 10_000 - sum(credits.values())


def test_prices_come_from_the_prompt_packages_cost_table(sandbox, monkeypatch):
    from studio.prompt.rules import load_rules

    costs = load_rules().costs
    monkeypatch.setitem(costs["tasks"]["describe"], "credits", 30)
    monkeypatch.setitem(costs["topaz_resolutions"], "4K", 170)
    with client(sandbox) as api:
        describe = submit(api, "describe", {"imgUrl": "https://e.com/a.png"})
        topaz = submit(api, "enhance-upscale", {"image_url": "https://e.com/a.png", "target_resolution": "4K"})
    assert describe["meta"]["usage"]["frozen"] == 30
    assert topaz["meta"]["usage"]["frozen"] == 170


def test_random_job_failures_follow_the_fault_share():
    spec = FaultSpec(fail=0.5, seed=3)
    with SandboxServer(speed=500, faults=spec, image_size_cap=32) as sandbox, client(sandbox) as api:
        api.headers["x-api-key"] = "k"
        ids = [submit(api, "shorten", {"prompt": f"p{i}"})["job_id"] for i in range(20)]
        sandbox.finish_all()
        statuses = [status(api, i)["status"] for i in ids]
        assert 3 <= statuses.count("failed") <= 17
        assert set(statuses) == {"completed", "failed"}
        assert sandbox.state.balance == 10_000 - 20 * statuses.count("completed")


# --- lifecycle only moves forward ---------------------------------------------------------


def _slow_job(created_at: float) -> SandboxJob:
    # speed 0.01: pending 40 s, staged 30 s, processing 400 s
    return SandboxJob(job_id="j", task_type="diffusion", endpoint="diffusion", created_at=created_at,
                      phases=phases_for("diffusion", speed=0.01))


def test_a_stale_time_never_moves_a_job_back():
    job = _slow_job(0.0)
    job.advance(300.0, SandboxClock())
    ahead = (job.status, job.progress)
    assert ahead[0] == "processing" and ahead[1] > 0
    for stale in (299.0, 100.0, 50.0, 0.5):  # what a thread that read the clock earlier would apply
        job.advance(stale, SandboxClock())
        assert (job.status, job.progress) == ahead


def test_settle_reads_the_clock_under_the_lock():
    # Thread "slow" reads the clock, then is held back (as a preempted thread would be) while
    # another thread settles at a later time. The read must happen under the state lock, so
    # the other settle waits for it; and the older time must not win.
    clock = SandboxClock()
    state = SandboxState(clock, 10**6)
    job = _slow_job(clock.now())
    state.add_job(job)
    clock.advance(100.0)  # 30 s into processing
    real_now, read, other_done = clock.now, threading.Event(), threading.Event()
    overlapped: list[bool] = []

    def now() -> float:
        value = real_now()
        if threading.current_thread().name == "slow" and not read.is_set():
            read.set()
            other_done.wait(0.3)  # long enough for an unlocked settle elsewhere to finish
            overlapped.append(other_done.is_set())
        return value

    clock.now = now
    slow = threading.Thread(target=state.settle, name="slow")
    slow.start()
    assert read.wait(5)
    clock.advance(200.0)

    def settle_later() -> None:
        state.settle()
        other_done.set()

    other = threading.Thread(target=settle_later)
    other.start()
    slow.join(5)
    other.join(5)
    assert overlapped == [False]  # the other settle waited for the locked read
    assert job.status == "processing" and job.progress >= 57  # 230 s of 400 (the stale read: 7)


# --- progress is optional -----------------------------------------------------------------


@pytest.fixture
def quiet_sandbox():
    """No `progress` in job answers, like every vendor sample."""
    with SandboxServer(keys=[KEY], speed=200.0, image_size_cap=64, progress=False) as server:
        yield server


def test_progress_can_be_left_out(quiet_sandbox):
    sandbox = quiet_sandbox
    with client(sandbox) as api:
        job = submit(api, "diffusion", {"text": "a kite"})
        phases = sandbox.state.jobs[job["job_id"]].phases
        sandbox.clock.advance(phases.pending + phases.staged + phases.processing / 2)
        running = status(api, job["job_id"])
        done = finished(sandbox, api, job["job_id"])
    assert running["status"] == "processing"
    assert "progress" not in job and "progress" not in running and "progress" not in done
    assert len(done["output"]["image_urls"]) == 4


def test_the_clients_watcher_completes_a_job_without_progress(quiet_sandbox):
    from studio.api import JobWatcher, LegnextClient, PollPolicy

    sandbox = quiet_sandbox

    async def watch():
        async with LegnextClient(KEY, sandbox.base_url) as api:
            job = await api.diffusion("a kite over the dunes")
            updates = []
            done = await JobWatcher(api, PollPolicy(time_scale=1 / 200)).watch(
                job.job_id, on_update=updates.append, timeout=20)
            return done, updates

    done, updates = asyncio.run(watch())
    assert done.status == "completed" and len(done.images) == 4
    assert updates[-1].status == "completed"
    assert all(u.progress is None for u in updates if u.status != "completed")
    assert sandbox.state.requests_to(f"/v1/job/{done.job_id}", "GET")  # it did poll
