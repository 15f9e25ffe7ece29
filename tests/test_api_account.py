"""GET /account/active_tasks and GET /account/info: the client against the sandbox, over real
loopback sockets, plus the models on their own.

Both endpoints exist only in the vendor's OpenAPI file (tests/fixtures/vendor/
openapi-complete.yaml: schemas ActiveTasksResponse / ActiveTask and AccountInfo); REFERENCE.md
does not describe them, and tests/fixtures/vendor has no sample answer for either, so the
shapes below come from the OpenAPI schemas (test_sandbox_contract.py checks the sandbox's
keys against them). Neither description says a submit is refused once `concurrent_limit`
jobs are active, so the sandbox does not refuse one (pinned below).
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from pathlib import Path

import pytest

from studio.api import AuthenticationError, LegnextClient, MalformedResponseError, NotFoundError
from studio.api.models import AccountInfo, ActiveTask, ActiveTasks
from studio.sandbox import SandboxServer
from studio.sandbox.__main__ import parse_args
from studio.sandbox.account import DEFAULT_CONCURRENT_LIMIT

TEST_KEY = "test-key"  # the conftest sandbox accepts only this key (conftest.TEST_KEY)

VENDOR = Path(__file__).resolve().parent / "fixtures" / "vendor"
DIFFUSION_SECONDS = 600.0  # sandbox seconds: long enough that nothing ends unless the clock moves
TASK_KEYS = {"job_id", "task_type", "status", "created_at", "progress", "estimated_time"}
ACTIVE_KEYS = {"account_id", "total_active", "concurrent_limit", "tasks", "updated_at"}
INFO_KEYS = {"account_id", "email", "plan", "balance", "used", "quota", "status", "created_at", "updated_at"}


def slow_sandbox(**options) -> SandboxServer:
    """A sandbox whose diffusions take 600 sandbox seconds (split 10/10/80 across pending,
    staged, processing), so a test moves them along with the clock alone."""
    options.setdefault("keys", [TEST_KEY])
    return SandboxServer(image_size_cap=256, durations={"diffusion": DIFFUSION_SECONDS}, **options)


@pytest.fixture
def slow():
    server = slow_sandbox(concurrent_limit=4)
    server.start()
    try:
        yield server
    finally:
        server.stop()


# ---- active tasks ----------------------------------------------------------------------------


def test_active_tasks_lists_unfinished_jobs_until_they_end(slow):
    async def body():
        async with LegnextClient(TEST_KEY, slow.base_url) as client:
            first = await client.diffusion("a red fox in snow")
            second = await client.diffusion("a lighthouse at dusk --ar 16:9")
            pending = await client.active_tasks()
            slow.clock.advance(DIFFUSION_SECONDS / 2)  # 300 s in: processing, 37 %
            processing = await client.active_tasks()
            job = await client.get_job(first.job_id)
            slow.finish_all()
            done = await client.active_tasks()
            return first, second, pending, processing, job, done

    first, second, pending, processing, job, done = asyncio.run(body())

    assert isinstance(pending, ActiveTasks)
    assert pending.job_ids == [first.job_id, second.job_id]  # oldest first
    assert pending.total_active == 2 and pending.concurrent_limit == 4
    assert set(pending.raw) == ACTIVE_KEYS
    assert isinstance(pending.updated_at, datetime) and pending.account_id
    for task, submitted in zip(pending.tasks, (first, second)):
        assert isinstance(task, ActiveTask)
        assert set(task.raw) == TASK_KEYS
        assert task.task_type == "diffusion" and task.status == "pending" and task.progress == 0
        assert task.created_at == submitted.meta.created_at and task.created_at is not None
        assert DIFFUSION_SECONDS - 5 <= task.estimated_time <= DIFFUSION_SECONDS
        assert not task.is_terminal

    assert processing.job_ids == [first.job_id, second.job_id]
    task = processing.tasks[0]
    assert task.status == "processing" == job.status
    assert 30 <= task.progress <= 45 and abs(task.progress - job.progress) <= 1  # as the job GET says
    assert DIFFUSION_SECONDS / 2 - 5 <= task.estimated_time <= DIFFUSION_SECONDS / 2

    assert done.tasks == [] and done.total_active == 0 and done.concurrent_limit == 4


def test_active_tasks_leave_progress_out_when_jobs_do():
    with slow_sandbox(progress=False) as server:
        async def body():
            async with LegnextClient(TEST_KEY, server.base_url) as client:
                job = await client.diffusion("a cat")
                server.clock.advance(DIFFUSION_SECONDS / 2)
                return await client.active_tasks(), await client.get_job(job.job_id)

        active, job = asyncio.run(body())
    (task,) = active.tasks
    assert task.status == "processing" and task.progress is None and "progress" not in task.raw
    assert job.progress is None and "progress" not in job.raw
    assert set(task.raw) == TASK_KEYS - {"progress"} and task.estimated_time > 0


def test_failed_jobs_leave_the_list_too(slow):
    slow.faults.next("/v1/diffusion", "fail")

    async def body():
        async with LegnextClient(TEST_KEY, slow.base_url) as client:
            doomed = await client.diffusion("a cat")
            before = await client.active_tasks()
            slow.finish_all()
            return doomed, before, await client.active_tasks(), await client.get_job(doomed.job_id)

    doomed, before, after, job = asyncio.run(body())
    assert before.job_ids == [doomed.job_id]
    assert job.is_failed and after.tasks == []


def test_the_default_concurrent_limit_is_reported(sandbox):
    async def body():
        async with LegnextClient(TEST_KEY, sandbox.base_url) as client:
            return await client.active_tasks()

    active = asyncio.run(body())
    assert active.concurrent_limit == DEFAULT_CONCURRENT_LIMIT == 10
    assert active.tasks == [] and active.total_active == 0 and not active.at_limit


def test_reaching_the_concurrent_limit_refuses_nothing():
    # Neither the OpenAPI file nor REFERENCE.md documents a refusal at the limit (their only 429
    # is "Rate limit exceeded"), so the sandbox reports the limit and accepts the next job.
    with slow_sandbox(concurrent_limit=1) as server:
        async def body():
            async with LegnextClient(TEST_KEY, server.base_url) as client:
                await client.diffusion("one")
                at_limit = await client.active_tasks()
                await client.diffusion("two")
                return at_limit, await client.active_tasks()

        at_limit, over = asyncio.run(body())
    assert at_limit.at_limit and at_limit.total_active == 1
    assert over.total_active == 2 and over.concurrent_limit == 1
    assert len(server.state.created_job_ids()) == 2


# ---- account info --------------------------------------------------------------------------------


def test_account_info_parses(slow):
    async def body():
        async with LegnextClient(TEST_KEY, slow.base_url) as client:
            before = await client.account_info()
            job = await client.diffusion("a red fox")
            return before, job, await client.account_info(), await client.balance()

    before, job, after, balance = asyncio.run(body())
    assert isinstance(after, AccountInfo) and set(after.raw) == INFO_KEYS
    assert after.account_id and "@" in after.email
    assert after.plan in ("free", "basic", "pro", "premium")
    assert after.status in ("active", "inactive", "suspended", "limited")
    assert before.balance == 10_000 and before.used == 0
    assert after.balance == balance.available_credits == 10_000 - job.meta.usage.frozen
    assert after.used == job.meta.usage.frozen > 0
    assert after.quota.monthly_limit == 10_000 and after.quota.remaining == after.balance
    assert isinstance(after.quota.reset_at, datetime) and after.quota.reset_at > after.updated_at
    assert isinstance(after.created_at, datetime) and after.created_at <= after.updated_at


# ---- auth and servers without the endpoints ---------------------------------------------------


def test_a_wrong_key_is_an_authentication_error(sandbox):
    async def body():
        errors = []
        async with LegnextClient("not-the-key", sandbox.base_url) as client:
            for call in (client.active_tasks, client.account_info):
                with pytest.raises(AuthenticationError) as caught:
                    await call()
                errors.append(caught.value)
        return errors

    errors = asyncio.run(body())
    assert [e.status for e in errors] == [401, 401]
    for path in ("/account/active_tasks", "/account/info"):
        assert len(sandbox.state.requests_to(path, "GET")) == 1  # not retried


def test_a_server_without_the_endpoints_answers_not_found():
    with SandboxServer(keys=[TEST_KEY], account_endpoints=False) as server:
        async def body():
            errors = []
            async with LegnextClient(TEST_KEY, server.base_url) as client:
                for call in (client.active_tasks, client.account_info):
                    with pytest.raises(NotFoundError) as caught:
                        await call()
                    errors.append(caught.value)
                return errors, await client.balance()

        errors, balance = asyncio.run(body())
        assert [e.status for e in errors] == [404, 404]
        assert balance.available_credits == 10_000  # the rest of the API is still there
        for path in ("/account/active_tasks", "/account/info"):
            assert len(server.state.requests_to(path, "GET")) == 1  # a 404 is not retried


# ---- sandbox options ---------------------------------------------------------------------------


def test_the_standalone_command_takes_the_account_options():
    defaults = parse_args([])
    assert defaults.concurrent_limit == DEFAULT_CONCURRENT_LIMIT and defaults.account_endpoints is True
    args = parse_args(["--concurrent-limit", "3", "--no-account-endpoints"])
    assert args.concurrent_limit == 3 and args.account_endpoints is False
    with pytest.raises(SystemExit):
        parse_args(["--concurrent-limit", "0"])


@pytest.mark.parametrize("limit", [0, -1, 2.5, True])
def test_a_bad_concurrent_limit_is_refused(limit):
    with pytest.raises(ValueError):
        SandboxServer(concurrent_limit=limit)


# ---- the models on their own -------------------------------------------------------------------


def test_vendor_samples_for_these_endpoints_parse_if_any():
    samples = sorted(VENDOR.glob("account*.json")) + sorted(VENDOR.glob("active*.json"))
    for sample in samples:
        data = json.loads(sample.read_text(encoding="utf-8"))
        model = ActiveTasks if "active" in sample.name else AccountInfo
        assert model.from_dict(data).raw == data, sample.name
    # None ship today (the published docs lack both endpoints): the spec-shaped answers below
    # stand in for them. A sample added later is parsed by this test.
    assert samples == []


def test_spec_shaped_answers_parse_and_normalise():
    active = ActiveTasks.from_dict({
        "account_id": "0b6d3c2e-5f7a-4a51-9c1e-2f0e8d7c6b5a",
        "total_active": 1,
        "concurrent_limit": 12,
        "tasks": [{
            "job_id": "4c3e2a1b-0000-4000-8000-000000000000",
            "task_type": "upload-paint",
            "status": "PROCESSING",
            "created_at": "2025-11-05T08:22:37.784663288Z",
            "progress": 45.6,
            "estimated_time": None,
        }],
        "updated_at": "2025-11-05T08:22:40Z",
    })
    (task,) = active.tasks
    assert task.task_type == "upload_paint" and task.status == "processing"  # like Job.from_dict
    assert task.created_at is not None and task.created_at.tzinfo is not None
    assert task.progress == 46 and task.estimated_time is None
    assert active.concurrent_limit == 12 and active.total_active == 1 and not active.at_limit

    info = AccountInfo.from_dict({
        "account_id": "0b6d3c2e-5f7a-4a51-9c1e-2f0e8d7c6b5a", "email": "a@b.c", "plan": "Basic",
        "balance": 12.5, "used": 3, "status": "limited",
        "quota": {"monthly_limit": 33000, "remaining": 100, "reset_at": "2025-12-01T00:00:00Z"},
        "created_at": "2025-01-01T00:00:00Z", "updated_at": "0001-01-01T00:00:00Z",
    })
    assert (info.plan, info.balance, info.used, info.status) == ("basic", 12.5, 3.0, "limited")
    assert info.quota.monthly_limit == 33000 and info.quota.remaining == 100
    assert info.quota.reset_at is not None and info.updated_at is None  # Go's zero time: unknown


def test_tolerated_and_refused_shapes():
    # A balance-style envelope is accepted; missing fields take empty defaults.
    wrapped = ActiveTasks.from_dict({"code": 200, "message": "success", "data": {"tasks": [{"job_id": "j"}]}})
    assert wrapped.job_ids == ["j"] and wrapped.total_active == 1 and wrapped.concurrent_limit is None
    assert not wrapped.at_limit and wrapped.tasks[0].progress is None
    assert ActiveTasks.from_dict({"tasks": None}).tasks == []
    assert AccountInfo.from_dict({"data": {"plan": "pro"}}).plan == "pro"
    assert AccountInfo.from_dict({}).quota.monthly_limit is None
    for bad in ([], "x", None):
        with pytest.raises(MalformedResponseError):
            ActiveTasks.from_dict(bad)
        with pytest.raises(MalformedResponseError):
            AccountInfo.from_dict(bad)
    for bad_tasks in ({"tasks": "j"}, {"tasks": {"job_id": "j"}}, {"tasks": ["j"]}):
        with pytest.raises(MalformedResponseError):
            ActiveTasks.from_dict(bad_tasks)
