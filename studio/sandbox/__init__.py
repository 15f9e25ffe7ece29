"""The offline Legnext simulator: a real HTTP server on loopback that speaks the documented API.

    from studio.sandbox import SandboxServer, FaultSpec
    with SandboxServer(keys=["k"], speed=200, image_size_cap=256) as sandbox:
        sandbox.base_url            # "http://127.0.0.1:PORT/api"
        sandbox.state.jobs          # job_id -> SandboxJob (status, cost, completed_at, ...)
        sandbox.state.requests      # the latest requests received (x-api-key redacted; max_requests=)
        sandbox.finish_all()        # move the clock past every unfinished job: no waiting
        sandbox.clock.advance(4 * 86400)            # the 3-day / 30-day rules
        sandbox.faults.next("/v1/diffusion", "503")  # the next request fails; also "429",
        sandbox.faults.spec = FaultSpec.parse("429=0.1,drop=0.02")  # "drop", "slow", "fail"

Every endpoint of shared/legnext-api/REFERENCE.md, the job lifecycle on a controllable clock,
Pillow-made images served under /cdn, available_actions, credits and fault injection.
Standalone: `python -m studio.sandbox --port 8765`. `progress=False` (`--no-progress`) leaves
`progress` out of job answers, as in every vendor sample. /account/info and
/account/active_tasks follow the OpenAPI file (REFERENCE.md lacks them); `concurrent_limit=`
(`--concurrent-limit`) sets the limit they report, `account_endpoints=False`
(`--no-account-endpoints`) answers both with 404.

Modules: server (uvicorn thread), app (routes, fault layer), validation (bodies as data),
submit (server rules, job building), jobs (lifecycle, durations, JSON), actions
(available_actions table), credits (costs, balance), account (info, active tasks),
render / images (pixels), faults, clock, state, prompt_info (bridge to studio.prompt).
"""

from .faults import FaultSpec
from .server import SandboxServer
from .state import Received

__all__ = ["SandboxServer", "FaultSpec", "Received"]
