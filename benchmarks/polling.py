"""Polling benchmark: the studio's JobWatcher against the vendor SDK's wait_for_completion.

Several sandboxes run at real speed, each with one fixed diffusion duration (chosen so they
do not line up with the SDK's 3 s grid). On each, N jobs are watched by the studio's adaptive
JobWatcher and N by `legnext.AsyncClient(...).tasks.wait_for_completion` at its default 3 s
interval, all at the same time. For every job we take

- detection delay: the moment the watcher returned minus the moment the sandbox recorded the
  job as completed (`SandboxJob.completed_at`, wall clock), and
- requests: the GET /v1/job/{id} calls the sandbox received for that job.

Four runs: the sandbox reporting `progress`; without it (as in the vendor's samples: the
unkind case); without it but with the watcher started from the user's past durations (what
the studio's store gives it, `JobWatcher.seed`); and without it but with `estimated_time` read
from /account/active_tasks (the sandbox's estimate is honest to the second; a real server's may
be worse, and the spec allows null, which is the unkind case above). Every GET of a job counts,
and every listing, shared among the jobs it served.

Run: .venv/bin/python benchmarks/polling.py   (about 2 min). Ends with one JSON line per figure.
"""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, installed or not

from legnext import AsyncClient  # noqa: E402  the vendor SDK, the peer being compared

from studio.api import JobWatcher, LegnextClient  # noqa: E402
from studio.sandbox import SandboxServer  # noqa: E402

KEY = "bench-key"
DURATIONS = (9.2, 16.9, 23.5, 31.3)  # seconds from submission to completion, one per sandbox
JOBS_PER_SIDE = 5  # per sandbox and per side
STAGGER = 1.0  # submissions spread over this many seconds
SDK_INTERVAL = 3.0  # wait_for_completion's default poll_interval, stated for the record


def prompt(side: str, duration: float, i: int) -> str:
    return f"benchmark {side} job {i} at {duration:g}s, a lighthouse in fog --ar 1:1"


async def studio_side(server: SandboxServer, duration: float, rng: random.Random,
                      history: bool, listing: bool) -> list[tuple[str, float]]:
    async with LegnextClient(KEY, server.base_url) as client:
        watcher = JobWatcher(client)
        watcher.use_listing = listing  # estimated_time from /account/active_tasks
        if history:
            watcher.seed({"diffusion": duration})  # the median of this user's past jobs here

        async def one(i: int) -> tuple[str, float]:
            await asyncio.sleep(rng.uniform(0, STAGGER))
            job = await client.diffusion(prompt("studio", duration, i))
            done = await watcher.watch(job.job_id, timeout=duration * 4 + 30)
            return done.job_id, time.time()

        return await asyncio.gather(*(one(i) for i in range(JOBS_PER_SIDE)))


async def sdk_side(server: SandboxServer, duration: float, rng: random.Random) -> list[tuple[str, float]]:
    async with AsyncClient(api_key=KEY, base_url=server.base_url, max_retries=0) as sdk:

        async def one(i: int) -> tuple[str, float]:
            await asyncio.sleep(rng.uniform(0, STAGGER))
            task = await sdk.midjourney.diffusion(text=prompt("sdk", duration, i))
            done = await sdk.tasks.wait_for_completion(task.job_id, timeout=duration * 4 + 30)
            return done.job_id, time.time()

        return await asyncio.gather(*(one(i) for i in range(JOBS_PER_SIDE)))


def figures(server: SandboxServer, results: list[tuple[str, float]]) -> tuple[list[float], list[int]]:
    jobs = server.state.jobs
    delays, requests = [], []
    for job_id, detected in results:
        completed = jobs[job_id].completed_at
        assert completed is not None, f"job {job_id} has no completion time"
        delays.append(detected - completed)
        requests.append(len(server.state.requests_to(f"/v1/job/{job_id}", "GET")))
    return delays, requests


async def run_all(servers: list[tuple[float, SandboxServer]], history: bool,
                  listing: bool) -> dict[str, dict[str, list]]:
    rng = random.Random(7)
    studio_runs = [studio_side(server, d, rng, history, listing) for d, server in servers]
    sdk_runs = [sdk_side(server, d, rng) for d, server in servers]
    outcomes = await asyncio.gather(*studio_runs, *sdk_runs)
    sides: dict[str, dict[str, list]] = {"studio": {"delays": [], "requests": []}, "sdk": {"delays": [], "requests": []}}
    for index, results in enumerate(outcomes):
        side = "studio" if index < len(servers) else "sdk"
        server = servers[index % len(servers)][1]
        delays, requests = figures(server, results)
        if side == "studio":  # the listings it asked, shared among its jobs on that server
            shared = len(server.state.requests_to("/account/active_tasks", "GET")) / len(requests)
            requests = [r + shared for r in requests]
        sides[side]["delays"] += delays
        sides[side]["requests"] += requests
    return sides


# (name, the server sends progress, the watcher starts from past durations, it reads
# estimated_time from /account/active_tasks)
SCENARIOS = (("progress", True, False, False), ("no_progress", False, False, False),
             ("no_progress_history", False, True, False), ("no_progress_estimate", False, False, True))


def scenario(name: str, progress: bool, history: bool, listing: bool) -> list[dict]:
    servers = []
    for duration in DURATIONS:
        server = SandboxServer(speed=1.0, durations={"diffusion": duration}, image_size_cap=64, progress=progress)
        server.start()
        servers.append((duration, server))
    started = time.monotonic()
    try:
        sides = asyncio.run(run_all(servers, history, listing))
    finally:
        for _, server in servers:
            server.stop()
    elapsed = time.monotonic() - started

    studio, sdk = sides["studio"], sides["sdk"]
    mean = statistics.fmean
    peer = f"legnext SDK wait_for_completion ({SDK_INTERVAL:g} s)"
    tag = "" if name == "progress" else f"_{name}"
    return [
        {"metric": f"poll_jobs{tag}", "value": len(studio["delays"]), "unit": "jobs per side",
         "durations_s": list(DURATIONS), "elapsed_s": round(elapsed, 1)},
        {"metric": f"poll_delay_median_studio{tag}", "value": round(statistics.median(studio["delays"]), 3), "unit": "s"},
        {"metric": f"poll_delay_median_sdk{tag}", "value": round(statistics.median(sdk["delays"]), 3), "unit": "s"},
        {"metric": f"poll_delay_ratio{tag}", "value": round(mean(studio["delays"]) / mean(sdk["delays"]), 3),
         "unit": "x", "target": "<= 0.5", "peer": peer},
        {"metric": f"poll_requests_ratio{tag}", "value": round(mean(studio["requests"]) / mean(sdk["requests"]), 3),
         "unit": "x", "target": "<= 1.0", "peer": peer},
    ]


def main() -> int:
    for name, progress, history, listing in SCENARIOS:
        for line in scenario(name, progress, history, listing):
            print(json.dumps(line), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
