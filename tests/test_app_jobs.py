"""JobsSession against a real sandbox over loopback: submit, watch, download, lineage, hide,
cancel, several jobs at once, and every documented error turned into its message."""

from __future__ import annotations

import pytest

from studio.api.client import LegnextClient
from studio.api.watcher import JobWatcher, PollPolicy
from studio.session.jobs import CANCELLED, COMPLETED, ERROR, JobsSession, SessionRetryPolicy
from studio.session.tasks import spawn

PNG = b"\x89PNG\r\n\x1a\n"


def _session(qtbot, base_url: str, key: str = "test-key", **options) -> JobsSession:
    client = LegnextClient(key, base_url, retry=SessionRetryPolicy(base_delay=0.01))
    watcher = JobWatcher(client, PollPolicy(time_scale=1 / 200))
    jobs = JobsSession(client, watcher, **options)
    return jobs


def _close(qtbot, jobs: JobsSession) -> None:
    async def shut() -> None:
        await jobs.aclose()
        await jobs.client.aclose()

    task = spawn(shut(), name="close")
    qtbot.waitUntil(task.done, timeout=5000)


@pytest.fixture
def jobs(qtbot, qloop, sandbox):
    session = _session(qtbot, sandbox.base_url)
    yield session
    _close(qtbot, session)


def test_diffusion_runs_to_four_downloaded_images_and_refreshes_balance(qtbot, jobs, sandbox):
    added, finished, balances = [], [], []
    jobs.job_added.connect(added.append)
    jobs.job_finished.connect(finished.append)
    jobs.balance_changed.connect(balances.append)
    seen_status: set[str] = set()
    jobs.job_changed.connect(lambda key: seen_status.add(jobs[key].status))

    entry = jobs.submit("diffusion", text="a red fox in snow --ar 3:2")
    assert added == [entry.key] and entry.active
    qtbot.waitUntil(lambda: entry.finished, timeout=15000)

    assert entry.status == COMPLETED, entry.error
    assert finished == [entry.key]
    assert entry.job_id and entry.job_id in sandbox.state.jobs
    assert jobs.entry(entry.job_id) is entry  # found by the server id as well
    assert entry.task_type == "diffusion" and entry.model == "7"
    assert len(entry.images) == 4 and all(b is not None and b.startswith(PNG) for b in entry.images)
    assert entry.credits == 80
    assert entry.progress == 100
    assert "processing" in seen_status or "pending" in seen_status
    # the balance is asked for after the job, and shows the 80 credits spent
    qtbot.waitUntil(lambda: bool(balances), timeout=5000)
    credits = balances[-1].available_credits
    if credits is None:
        credits = balances[-1].available_points
    assert credits == sandbox.state.balance


def test_actions_keep_lineage_and_several_jobs_run_at_once(qtbot, jobs, sandbox):
    first = jobs.submit("diffusion", text="castle on a cliff")
    second = jobs.submit("diffusion", text="lighthouse at dusk --ar 2:3")
    assert [e.key for e in jobs.entries()] == [first.key, second.key]
    assert first.active and second.active  # both in flight together
    qtbot.waitUntil(lambda: first.finished and second.finished, timeout=15000)
    assert first.ok and second.ok

    up = jobs.submit("upscale", parent=(first.job_id, 2), job_id=first.job_id, image_no=2, type=0)
    qtbot.waitUntil(lambda: up.finished, timeout=15000)
    assert up.ok, up.error
    assert up.parent == (first.job_id, 2)
    assert up.model == first.model
    assert len(up.images) == 1
    assert jobs.children(first.key) == [up]
    assert jobs.lineage(up.key) == [first, up]
    body = [r.json_body for r in sandbox.state.requests if r.path.endswith("/v1/upscale")]
    assert body == [{"jobId": first.job_id, "imageNo": 2, "type": 0}]


def test_hide_and_cancel_watch(qtbot, qloop, sandbox):
    jobs = _session(qtbot, sandbox.base_url)
    # a slow sandbox job so there is time to stop watching it
    slow = JobsSession(jobs.client, JobWatcher(jobs.client, PollPolicy(time_scale=1.0)))
    try:
        entry = slow.submit("diffusion", text="slow one")
        qtbot.waitUntil(lambda: entry.job_id is not None, timeout=5000)
        finished = []
        slow.job_finished.connect(finished.append)
        slow.cancel_watch(entry.key)
        assert entry.status == CANCELLED and entry.finished
        assert finished == [entry.key]
        assert "may still finish" in entry.notice
        assert entry.status_word() == "not watched"

        hidden = []
        slow.job_hidden.connect(hidden.append)
        slow.hide(entry.job_id)
        assert hidden == [entry.key]
        assert slow.entries() == [] and slow.entries(include_hidden=True) == [entry]
    finally:
        task = spawn(slow.aclose(), name="close slow")
        qtbot.waitUntil(task.done)
        _close(qtbot, jobs)


def test_wrong_key_asks_to_open_settings(qtbot, qloop, sandbox):
    jobs = _session(qtbot, sandbox.base_url, key="wrong-key")
    try:
        with qtbot.waitSignal(jobs.auth_failed, timeout=5000) as signal:
            entry = jobs.submit("diffusion", text="anything")
        qtbot.waitUntil(lambda: entry.finished)
        assert entry.status == ERROR and entry.error_status == 401
        assert "Open Settings" in entry.error and "401" in entry.error
        assert signal.args == [entry.error]
        assert entry.status_word() == "error 401"
    finally:
        _close(qtbot, jobs)


def test_no_credits_message_names_the_balance(qtbot, qloop):
    from studio.sandbox import SandboxServer

    with SandboxServer(keys=["test-key"], speed=200.0, image_size_cap=256, balance=50) as server:
        jobs = _session(qtbot, server.base_url)
        try:
            entry = jobs.submit("diffusion", text="a quiet lake")
            qtbot.waitUntil(lambda: entry.finished, timeout=5000)
            assert entry.error_status == 402
            assert entry.error.startswith("No credits left")
            assert "Balance: 50 credits" in entry.error
            assert server.state.created_job_ids() == []
        finally:
            _close(qtbot, jobs)


def test_bad_request_names_and_locates_the_flag(qtbot, jobs):
    text = "misty harbour --v 8.1 --q 2"
    entry = jobs.submit("diffusion", text=text)
    qtbot.waitUntil(lambda: entry.finished, timeout=5000)
    assert entry.error_status == 400
    assert "--q" in entry.error or "quality" in entry.error
    assert entry.error_flag is not None
    start, end = entry.error_span
    assert text[start:end].startswith("--q")


def test_rate_limit_is_retried_with_a_message(qtbot, jobs, sandbox):
    from studio.sandbox import FaultSpec

    sandbox.faults.spec = FaultSpec(retry_after=0.05)  # Retry-After of the injected 429s
    sandbox.faults.next("/v1/diffusion", "429", count=2)
    notices: list[str] = []
    messages: list[str] = []
    jobs.message.connect(messages.append)
    entry = jobs.submit("diffusion", text="rain on neon streets")
    jobs.job_changed.connect(lambda key: entry.notice and notices.append(entry.notice))
    qtbot.waitUntil(lambda: entry.finished, timeout=20000)
    assert entry.ok, entry.error
    assert any(n.lower().startswith("rate limited, retrying") for n in notices)
    assert any("rate limited, retrying" in m.lower() for m in messages)
    # two refusals, then exactly one job: no duplicates
    assert len(sandbox.state.created_job_ids()) == 1
    posts = [r for r in sandbox.state.requests if r.method == "POST" and r.path.endswith("/v1/diffusion")]
    assert len(posts) == 3


def test_rate_limit_gives_up_with_the_documented_message(qtbot, qloop, sandbox):
    jobs = _session(qtbot, sandbox.base_url, rate_limit_retries=1)
    try:
        from studio.sandbox import FaultSpec

        sandbox.faults.spec = FaultSpec(retry_after=0.05)
        sandbox.faults.next("/v1/diffusion", "429", count=5)
        entry = jobs.submit("diffusion", text="rain on neon streets")
        qtbot.waitUntil(lambda: entry.finished, timeout=20000)
        assert entry.error_status == 429
        assert entry.error.startswith("Rate limited")
    finally:
        _close(qtbot, jobs)


def test_spawn_keeps_tasks_and_reports_failures(qtbot, qloop):
    from studio.session import tasks

    reported: list[tuple[str, str]] = []

    def report(name: str, exc: BaseException) -> None:
        reported.append((name, str(exc)))

    async def boom() -> None:
        raise ValueError("broken on purpose")

    async def fine() -> int:
        return 7

    tasks.add_error_reporter(report)
    try:
        bad = tasks.spawn(boom(), name="boom")
        good = tasks.spawn(fine(), name="fine")
        assert bad in tasks.running_tasks() and good in tasks.running_tasks()
        qtbot.waitUntil(lambda: bad.done() and good.done(), timeout=2000)
        assert reported == [("boom", "broken on purpose")]
        assert good.result() == 7
        assert bad not in tasks.running_tasks()
    finally:
        tasks.remove_error_reporter(report)


def test_save_images_writes_the_images_with_their_prompt_atomically_without_overwriting(
        qtbot, jobs, tmp_path, monkeypatch):
    import io
    import os

    from PIL import Image

    import studio.store.files as jobs_module
    from studio.store.exports import read_export

    entry = jobs.submit("diffusion", text="Castle on a cliff, at dusk! --ar 3:2 --v 7")
    qtbot.waitUntil(lambda: entry.finished, timeout=15000)
    folder = tmp_path / "out" / "nested"  # made on demand
    stem = f"castle-on-a-cliff-at-dusk_{entry.job_id[:8]}"

    # the files arrive by a link from a temp file in the same folder, never written in place
    replaced: list[tuple[str, str]] = []
    real_link = os.link
    monkeypatch.setattr(jobs_module.os, "link", lambda a, b: (replaced.append((str(a), str(b))), real_link(a, b))[1])

    def save(indexes):
        task = spawn(jobs.save_images(entry.key, indexes, folder), name="save")
        qtbot.waitUntil(task.done, timeout=5000)
        return task.result()

    def pixels(path_or_bytes):
        with Image.open(io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else path_or_bytes) as im:
            return im.mode, im.size, im.tobytes()

    first = save([2, 0])
    assert [p.name for p in first] == [f"{stem}_3.png", f"{stem}_1.png"]
    assert pixels(first[0]) == pixels(entry.images[2]) and pixels(first[1]) == pixels(entry.images[0])
    meta = read_export(first[0])
    assert (meta.prompt, meta.job_id, meta.image_index) == (entry.prompt, entry.job_id, 2)
    written = first[0].read_bytes()
    assert [os.path.dirname(a) for a, _ in replaced] == [str(folder)] * 2
    assert [b for _, b in replaced] == [str(p) for p in first]
    again = save([2])
    assert [p.name for p in again] == [f"{stem}_3-2.png"]
    assert first[0].read_bytes() == written  # untouched
    third = save([2])
    assert [p.name for p in third] == [f"{stem}_3-3.png"]
    everything = save(None)
    assert len(everything) == 4
    assert sorted(p.name for p in folder.iterdir() if p.name.startswith(".")) == []  # no temp files
