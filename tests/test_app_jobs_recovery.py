"""JobsSession when contact is lost with a job that exists, against a real sandbox with injected
faults: polling outages are waited out, a lost or stopped job can be checked again on the same
id (no second POST, no second charge), a request that may have landed is marked as such, and
failed downloads can be fetched again."""

from __future__ import annotations

import pytest

from studio.api.client import LegnextClient
from studio.api.retry import NO_RETRY
from studio.api.watcher import JobWatcher, PollPolicy
from studio.session.jobs import CANCELLED, COMPLETED, ERROR, JobsSession, SessionRetryPolicy
from studio.session.tasks import spawn

PNG = b"\x89PNG\r\n\x1a\n"
TIMEOUT_MS = 20_000


def _session(client, **options) -> JobsSession:
    return JobsSession(client, JobWatcher(client, PollPolicy(time_scale=1 / 200)), **options)


@pytest.fixture
def client(qtbot, qloop, sandbox):
    # No retries inside the client: each injected fault reaches the session as it happens.
    made = LegnextClient("test-key", sandbox.base_url, retry=NO_RETRY)
    yield made
    task = spawn(made.aclose(), name="close client")
    qtbot.waitUntil(task.done, timeout=5000)


def _close(qtbot, jobs: JobsSession) -> None:
    task = spawn(jobs.aclose(), name="close jobs")
    qtbot.waitUntil(task.done, timeout=5000)


def _posts(sandbox) -> list:
    return [r for r in sandbox.state.requests if r.method == "POST"]


def test_a_run_of_failed_polls_is_waited_out_and_the_job_completes(qtbot, client, sandbox):
    jobs = _session(client, poll_outage_tolerance=60.0)
    notices: list[str] = []
    jobs.job_changed.connect(lambda key: notices.append(jobs[key].notice or ""))
    try:
        # Four times what the watcher tolerates on its own (5 in a row).
        sandbox.faults.next("/v1/job/*", "503", count=20)
        entry = jobs.submit("diffusion", text="castle on a cliff")
        qtbot.waitUntil(lambda: entry.finished, timeout=TIMEOUT_MS)
        assert entry.status == COMPLETED, entry.error
        assert len(entry.images) == 4 and all(b and b.startswith(PNG) for b in entry.images)
        assert any("Lost contact" in n and "may still be running" in n for n in notices)
        assert entry.notice is None
        assert len(_posts(sandbox)) == 1  # waited for, never sent again
    finally:
        _close(qtbot, jobs)


def test_a_lasting_outage_ends_in_an_error_that_can_be_checked_again(qtbot, client, sandbox):
    jobs = _session(client, poll_outage_tolerance=0.2)
    try:
        sandbox.faults.next("/v1/job/*", "503", count=100_000)
        entry = jobs.submit("diffusion", text="castle on a cliff")
        qtbot.waitUntil(lambda: entry.finished, timeout=TIMEOUT_MS)
        assert entry.status == ERROR and entry.job_id
        assert "may still be running" in entry.error and "Check again" in entry.error
        assert entry.can_resume and entry.may_exist_on_server
        assert sandbox.state.jobs[entry.job_id].status == "completed"  # charged, done, unseen

        sandbox.faults.clear()
        finished: list[str] = []
        jobs.job_finished.connect(finished.append)
        assert jobs.resume(entry.key) is entry
        assert entry.active and entry.error is None
        qtbot.waitUntil(lambda: entry.finished, timeout=TIMEOUT_MS)
        assert entry.status == COMPLETED, entry.error
        assert finished == [entry.key]
        assert all(b and b.startswith(PNG) for b in entry.images)
        assert len(_posts(sandbox)) == 1  # the same job, fetched: no second charge
        assert not entry.can_resume and jobs.resume(entry.key) is None
    finally:
        _close(qtbot, jobs)


def test_a_watch_timeout_can_be_checked_again(qtbot, client, sandbox):
    jobs = _session(client, watch_timeout=0.001)
    try:
        entry = jobs.submit("diffusion", text="a slow lighthouse")
        qtbot.waitUntil(lambda: entry.finished, timeout=TIMEOUT_MS)
        assert entry.status == ERROR and entry.can_resume
        assert "may still be running" in entry.error and "Check again" in entry.error
        jobs.watch_timeout = None
        jobs.resume(entry.job_id)
        qtbot.waitUntil(lambda: entry.finished, timeout=TIMEOUT_MS)
        assert entry.status == COMPLETED and len(_posts(sandbox)) == 1
    finally:
        _close(qtbot, jobs)


def test_stop_watching_then_resume_watching(qtbot, client, sandbox):
    # A first check 1 s after submitting: there is time to stop watching before it.
    jobs = JobsSession(client, JobWatcher(client, PollPolicy(time_scale=1 / 200, first_delay=200.0)))
    try:
        entry = jobs.submit("diffusion", text="a lighthouse in fog")
        qtbot.waitUntil(lambda: entry.job_id is not None, timeout=5000)
        jobs.cancel_watch(entry.key)
        assert entry.status == CANCELLED and entry.can_resume
        assert "Resume watching" in entry.notice
        jobs.resume(entry.key)
        assert entry.status != CANCELLED
        qtbot.waitUntil(lambda: entry.finished, timeout=TIMEOUT_MS)
        assert entry.status == COMPLETED, entry.error
        assert len(_posts(sandbox)) == 1
    finally:
        _close(qtbot, jobs)


@pytest.fixture
def running_sandbox():
    """Jobs here last about a second: a lost POST's job is still running, so listed in
    /account/active_tasks, when the studio looks for it even on a loaded machine (the fast
    sandbox can finish a job first, and a finished job is listed nowhere)."""
    from studio.sandbox import SandboxServer

    with SandboxServer(keys=["test-key"], speed=25.0, image_size_cap=256) as server:
        yield server


def test_a_post_dropped_after_the_job_was_made_is_found_on_the_account_and_finished(qtbot, qloop, running_sandbox):
    sandbox = running_sandbox
    client = LegnextClient("test-key", sandbox.base_url, retry=SessionRetryPolicy(base_delay=0.01))
    jobs = _session(client)
    try:
        sandbox.faults.next("/v1/diffusion", "drop", count=1, after=True)
        entry = jobs.submit("diffusion", text="castle on a cliff")
        qtbot.waitUntil(lambda: entry.finished, timeout=TIMEOUT_MS)
        assert len(sandbox.state.jobs) == 1  # one job, no duplicate
        assert entry.status == COMPLETED and entry.job_id == next(iter(sandbox.state.jobs))
        assert entry.images_ready and not entry.error
    finally:
        _close(qtbot, jobs)


def test_two_lost_answers_adopt_two_different_jobs(qtbot, qloop, running_sandbox):
    sandbox = running_sandbox
    client = LegnextClient("test-key", sandbox.base_url, retry=SessionRetryPolicy(base_delay=0.01))
    jobs = _session(client)
    try:
        sandbox.faults.next("/v1/diffusion", "503", count=2, after=True)
        first = jobs.submit("diffusion", text="castle on a cliff")
        second = jobs.submit("diffusion", text="castle in the fog")
        qtbot.waitUntil(lambda: first.finished and second.finished, timeout=TIMEOUT_MS)
        assert len(sandbox.state.jobs) == 2
        assert {first.job_id, second.job_id} == set(sandbox.state.jobs)
        assert first.status == second.status == COMPLETED
    finally:
        _close(qtbot, jobs)


def test_a_post_dropped_after_the_job_was_made_is_marked_as_maybe_charged(qtbot, qloop, sandbox_without_listing):
    sandbox = sandbox_without_listing
    client = LegnextClient("test-key", sandbox.base_url, retry=SessionRetryPolicy(base_delay=0.01))
    jobs = _session(client)
    try:
        sandbox.faults.next("/v1/diffusion", "drop", count=1, after=True)
        entry = jobs.submit("diffusion", text="castle on a cliff")
        qtbot.waitUntil(lambda: entry.finished, timeout=TIMEOUT_MS)
        assert entry.status == ERROR and entry.job_id is None
        assert len(sandbox.state.jobs) == 1  # the job exists on the server
        assert entry.may_exist_on_server and not entry.can_resume
        assert "may have been created and charged" in entry.error
        assert jobs.resend_credits(entry.key) == 80

        refused = jobs.submit("diffusion", text="harbour --v 8.1 --no boats")  # a 400: nothing made
        qtbot.waitUntil(lambda: refused.finished, timeout=TIMEOUT_MS)
        assert refused.error_status == 400 and not refused.may_exist_on_server
    finally:
        _close(qtbot, jobs)
        task = spawn(client.aclose(), name="close client")
        qtbot.waitUntil(task.done, timeout=5000)


def test_failed_image_downloads_can_be_fetched_again(qtbot, client, sandbox):
    jobs = _session(client)
    try:
        sandbox.faults.next("/cdn/mj/*_2.png", "503", count=1)
        entry = jobs.submit("diffusion", text="castle on a cliff")
        qtbot.waitUntil(lambda: entry.finished, timeout=TIMEOUT_MS)
        assert entry.status == COMPLETED
        assert list(entry.image_errors) == [2] and entry.images[2] is None
        assert entry.missing == 1 and entry.status_word() == "1 image missing"

        task = jobs.retry_downloads(entry.key)
        assert task is not None and entry.image_errors == {}
        assert entry.status_word() == "downloading"
        qtbot.waitUntil(task.done, timeout=TIMEOUT_MS)
        assert entry.images[2] and entry.images[2].startswith(PNG)
        assert entry.status_word() == "done" and jobs.retry_downloads(entry.key) is None
        assert len(_posts(sandbox)) == 1
    finally:
        _close(qtbot, jobs)


def test_a_failed_video_fetch_is_forgotten_so_it_can_be_retried(qtbot, client, sandbox):
    jobs = _session(client)
    try:
        parent = jobs.submit("diffusion", text="waves on rocks")
        qtbot.waitUntil(lambda: parent.finished, timeout=TIMEOUT_MS)
        video = jobs.submit("video_diffusion", parent=(parent.job_id, 1), job_id=parent.job_id, image_no=1,
                            video_type=0)
        qtbot.waitUntil(lambda: video.finished, timeout=TIMEOUT_MS)
        assert video.status == COMPLETED and video.video_urls
        sandbox.faults.next("/cdn/video/*_0.mp4", "503", count=1)
        first = jobs.fetch_videos(video.key)
        qtbot.waitUntil(first.done, timeout=TIMEOUT_MS)
        assert list(video.video_errors) == [0] and video.videos[0] is None
        assert video.status_word() == "1 video missing"
        # Asking again does not hammer a failing CDN: only retry_downloads fetches again.
        assert jobs.fetch_videos(video.key) is None

        again = jobs.retry_downloads(video.key)
        assert again is not None
        qtbot.waitUntil(again.done, timeout=TIMEOUT_MS)
        assert video.video_errors == {} and all(v for v in video.videos)
    finally:
        _close(qtbot, jobs)
