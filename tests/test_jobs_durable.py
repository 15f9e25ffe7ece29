"""Jobs that outlive the window: every job is a record in the store from before its POST, its
files are archived, and a new studio picks up where the last one stopped — through real
sockets against a sandbox that outlives the studio (as a real server does)."""

from __future__ import annotations

import sqlite3

import pytest

from studio import paths
from studio.sandbox import SandboxServer
from studio.session.jobs import COMPLETED
from studio.store.db import JobStore
from studio.store.records import Status
from tests.studio_support import start_studio, stop_studio

PROMPT = "a foggy lighthouse at dawn --ar 3:2"


@pytest.fixture
def server():
    """A sandbox standing in for the real service: it keeps running while studios come and go."""
    with SandboxServer(keys=["test-key"], speed=50.0, image_size_cap=128) as srv:
        yield srv


def _posts(server) -> int:
    return sum(1 for r in server.state.requests if r.method == "POST")


def _cdn_gets(server) -> int:
    return sum(1 for r in server.state.requests if r.method == "GET" and "/cdn/" in r.path)


def _stored(key: str):
    with JobStore.open(paths.store_path()) as store:
        return store.get(key)


def test_a_job_is_in_the_store_before_its_post_leaves(qtbot, qloop, server):
    studio = start_studio(qtbot, base_url=server.base_url)
    try:
        posts = _posts(server)
        entry = studio.jobs.submit("diffusion", text=PROMPT, prompt=PROMPT)
        # submit() returned, the loop has not run the job's task yet: nothing is on the wire,
        # and the row is already on disk, where another process can read it.
        record = _stored(entry.key)
        assert _posts(server) == posts
        assert record is not None and record.status == Status.SUBMITTING and record.job_id is None
        assert record.prompt == PROMPT and record.request == {"text": PROMPT}
        qtbot.waitUntil(lambda: entry.finished, timeout=20000)
        assert _stored(entry.key).status == Status.COMPLETED
    finally:
        stop_studio(qtbot, studio)


def test_a_completed_job_is_archived_and_comes_back_after_a_restart_without_downloading(qtbot, qloop, server):
    studio = start_studio(qtbot, base_url=server.base_url)
    try:
        entry = studio.jobs.submit("diffusion", text=PROMPT, prompt=PROMPT)
        qtbot.waitUntil(lambda: entry.finished, timeout=20000)
        assert entry.status == COMPLETED
        files = studio.jobs.files(entry.key)
        assert len(files) == 4 and all(f.is_file() and f.stat().st_size > 0 for f in files)
        assert all(paths.archive_dir() in f.parents for f in files)
        images = list(entry.images)
    finally:
        stop_studio(qtbot, studio)

    record = _stored(entry.key)
    assert record.status == Status.COMPLETED and record.job_id == entry.job_id
    assert [o.index for o in record.outputs if o.path and o.thumb] == [0, 1, 2, 3]

    downloads = _cdn_gets(server)
    again = start_studio(qtbot, base_url=server.base_url)
    try:
        restored = again.jobs.entry(entry.job_id)
        assert restored is not None and restored.key == entry.key and restored.status == COMPLETED
        qtbot.waitUntil(lambda: all(b is not None for b in restored.images), timeout=10000)
        assert restored.images == images and _cdn_gets(server) == downloads
        assert restored.prompt == PROMPT and restored.seed == entry.seed
    finally:
        stop_studio(qtbot, again)


def test_once_archived_the_session_holds_files_not_bytes_and_saves_from_them(qtbot, qloop, server, tmp_path):
    from pathlib import Path

    from studio.session.tasks import spawn

    studio = start_studio(qtbot, base_url=server.base_url)
    try:
        entry = studio.jobs.submit("diffusion", text=PROMPT, prompt=PROMPT)
        qtbot.waitUntil(lambda: entry.finished, timeout=20000)
        # Nothing of the downloads stays in memory: each slot is the archived file.
        assert all(isinstance(slot, Path) for slot in entry.images)
        assert entry.images == studio.jobs.files(entry.key)
        assert entry.output_bytes(1).startswith(b"\x89PNG")
        saved = spawn(studio.jobs.save_images(entry.key, [1, 3], tmp_path), name="save")
        qtbot.waitUntil(saved.done, timeout=10000)
        written = saved.result()
        from PIL import Image

        from studio.store.exports import read_export

        def pixels(path):
            with Image.open(path) as im:
                return im.mode, im.size, im.tobytes()

        assert [pixels(f) for f in written] == [pixels(entry.images[1]), pixels(entry.images[3])]
        assert [read_export(f).image_index for f in written] == [1, 3]
    finally:
        stop_studio(qtbot, studio)


def test_a_file_deleted_by_hand_is_fetched_again(qtbot, qloop, server):
    studio = start_studio(qtbot, base_url=server.base_url)
    try:
        entry = studio.jobs.submit("diffusion", text=PROMPT, prompt=PROMPT)
        qtbot.waitUntil(lambda: entry.finished, timeout=20000)
        victim = studio.jobs.files(entry.key)[2]
    finally:
        stop_studio(qtbot, studio)
    victim.unlink()

    again = start_studio(qtbot, base_url=server.base_url)
    try:
        restored = again.jobs.entry(entry.key)
        qtbot.waitUntil(lambda: victim.is_file(), timeout=10000)
        qtbot.waitUntil(lambda: all(b is not None for b in restored.images), timeout=10000)
        assert not restored.image_errors
    finally:
        stop_studio(qtbot, again)


def test_quitting_mid_flight_leaves_the_job_to_the_next_start_which_finishes_it(qtbot, qloop):
    with SandboxServer(keys=["test-key"], speed=2.0, image_size_cap=128) as slow:
        studio = start_studio(qtbot, base_url=slow.base_url)
        try:
            entry = studio.jobs.submit("diffusion", text=PROMPT, prompt=PROMPT)
            qtbot.waitUntil(lambda: entry.job_id is not None, timeout=10000)
            assert entry.active
        finally:
            stop_studio(qtbot, studio)
        record = _stored(entry.key)
        assert not record.ended and record.job_id == entry.job_id  # not "cancelled" by the quit

        slow.clock.advance(60)  # the job finishes on the server while no studio runs
        again = start_studio(qtbot, base_url=slow.base_url)
        try:
            restored = again.jobs.entry(entry.job_id)
            assert restored is not None
            qtbot.waitUntil(lambda: restored.finished, timeout=20000)
            assert restored.status == COMPLETED and len(again.jobs.files(entry.key)) == 4
            assert _posts(slow) == 1  # watched again, never sent again
        finally:
            stop_studio(qtbot, again)
        assert _stored(entry.key).status == Status.COMPLETED


def test_jobs_of_an_earlier_built_in_sandbox_say_they_are_gone(qtbot, qloop):
    studio = start_studio(qtbot, offline=True, sandbox_speed=0.5)
    try:
        entry = studio.jobs.submit("diffusion", text=PROMPT, prompt=PROMPT)
        qtbot.waitUntil(lambda: entry.job_id is not None, timeout=10000)
    finally:
        stop_studio(qtbot, studio)

    again = start_studio(qtbot, offline=True)
    try:
        restored = again.jobs.entry(entry.key)
        qtbot.waitUntil(lambda: restored.finished, timeout=10000)
        assert restored.status == Status.ERROR and "sandbox of an earlier session" in restored.error
    finally:
        stop_studio(qtbot, again)


def test_the_store_survives_and_checks_out(qtbot, qloop, server):
    studio = start_studio(qtbot, base_url=server.base_url)
    try:
        entries = [studio.jobs.submit("diffusion", text=f"{PROMPT} {i}", prompt=f"{PROMPT} {i}") for i in range(3)]
        qtbot.waitUntil(lambda: all(e.finished for e in entries), timeout=20000)
    finally:
        stop_studio(qtbot, studio)
    with sqlite3.connect(paths.store_path()) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with JobStore.open(paths.store_path()) as store:
        assert store.count() == 3 and store.count("lighthouse") == 3


# ---- the command line, and a kill at any instant ------------------------------------------------

def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server_process(tmp_path):
    """The sandbox in a process of its own, so a studio process can be killed beside it."""
    import subprocess
    import sys
    import time

    import httpx

    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "studio.sandbox", "--port", str(port), "--key", "test-key",
         "--speed", "4", "--image-size-cap", "128", "--no-progress"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/api"
    deadline = time.monotonic() + 20
    while True:
        try:
            httpx.get(f"{base}/account/balance", headers={"x-api-key": "test-key"}, timeout=1)
            break
        except httpx.HTTPError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(f"sandbox process did not start: {proc.stdout.read()!r}")
    try:
        yield base
    finally:
        proc.terminate()
        proc.wait(10)


def _cli(*args: str, **kwargs):
    import os
    import subprocess
    import sys

    env = dict(os.environ, LEGNEXT_API_KEY="test-key")
    return subprocess.Popen([sys.executable, "-m", "studio", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kwargs)


def test_generate_killed_with_sigkill_then_resume_completes_every_job(server_process):
    import json
    import signal
    import time

    prompts = [f"a foggy lighthouse, take {i}" for i in range(3)]
    proc = _cli("generate", *prompts, "--wait", "--json", "--base-url", server_process)
    # Kill it once every job is known to the server and none has ended yet.
    deadline = time.monotonic() + 30
    while True:
        assert time.monotonic() < deadline, "the jobs were never sent"
        assert proc.poll() is None, proc.communicate()
        try:
            with JobStore.open(paths.store_path()) as store:
                records = store.search(limit=10)
        except Exception:
            records = []
        if len(records) == 3 and all(r.job_id for r in records):
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    with JobStore.open(paths.store_path()) as store:
        assert len(store.unfinished()) == 3

    done = _cli("resume", "--json", "--base-url", server_process)
    out, err = done.communicate(timeout=120)
    assert done.returncode == 0, err
    lines = [json.loads(line) for line in out.splitlines() if line.strip()]
    assert sorted(line["prompt"] for line in lines) == sorted(prompts)
    for line in lines:
        assert line["status"] == "completed" and line["job_id"] and len(line["files"]) == 4
        assert {"key", "task_type", "created_at", "parent_job_id", "parent_image_no", "credits"} <= set(line)
    with sqlite3.connect(paths.store_path()) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert not list(paths.archive_dir().rglob("*.part"))  # no half-written file is visible

    history = _cli("history", "--json", "--status", "completed")
    out, err = history.communicate(timeout=60)
    assert history.returncode == 0, err
    assert len(out.splitlines()) == 3


def test_two_studio_processes_at_once_share_the_store_safely(server_process):
    import json

    first = _cli("generate", "a harbour at dawn", "a harbour at noon", "--wait", "--json",
                 "--base-url", server_process)
    second = _cli("generate", "a harbour at dusk", "a harbour at night", "--wait", "--json",
                  "--base-url", server_process)
    outs = [proc.communicate(timeout=120) for proc in (first, second)]
    assert first.returncode == second.returncode == 0, [err for _, err in outs]
    lines = [json.loads(line) for out, _ in outs for line in out.splitlines() if line.strip()]
    assert len(lines) == 4 and all(line["status"] == "completed" and len(line["files"]) == 4 for line in lines)
    with JobStore.open(paths.store_path()) as store:
        assert store.count() == 4 and not store.unfinished()
    with sqlite3.connect(paths.store_path()) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_generate_refuses_a_prompt_with_an_error_and_sends_nothing(server_process):
    proc = _cli("generate", "castle --ar 0:0", "--base-url", server_process)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1 and "castle --ar 0:0" in err
    with JobStore.open(paths.store_path()) as store:
        assert store.count() == 0


def test_generate_sends_a_prompts_sets_as_one_set_with_presets_written_out(server_process):
    import json

    from studio.prompt.presets import Preset, PresetBook
    from studio.store import preset_file

    preset_file.save(PresetBook((Preset("wide", "--ar 16:9"),)))
    proc = _cli("generate", "a harbour at {dawn, dusk} --wide", "--wait", "--json", "--base-url", server_process)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    lines = [json.loads(line) for line in out.splitlines() if line.strip()]
    assert sorted(line["prompt"] for line in lines) == ["a harbour at dawn --ar 16:9", "a harbour at dusk --ar 16:9"]
    with JobStore.open(paths.store_path()) as store:
        groups = {store.get(line["key"]).group for line in lines}
    assert len(groups) == 1 and None not in groups


def test_show_and_history_usage(server_process):
    proc = _cli("show", "no-such-job")
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1 and "no job 'no-such-job'" in err
    proc = _cli("history", "--status", "nonsense")
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2 and "unknown status" in err


def test_a_storm_of_faults_leaves_no_duplicate_and_no_orphan(qtbot, qloop):
    """30% of requests fail, half of the POST failures after the job was made: every job on the
    server belongs to exactly one entry, and no entry made two."""
    from studio.api.client import LegnextClient
    from studio.api.watcher import JobWatcher, PollPolicy
    from studio.sandbox.faults import FaultSpec
    from studio.session.jobs import JobsSession, SessionRetryPolicy
    from studio.session.tasks import spawn

    spec = FaultSpec.parse("5xx=0.15,drop=0.1,429=0.05,after=0.5,seed=11")
    # Jobs last seconds, as the quickest real ones do: a lost POST's job is only listed while
    # it runs, and on a loaded machine a faster sandbox can end it before the studio looks.
    with SandboxServer(keys=["test-key"], speed=4.0, image_size_cap=64, faults=spec) as storm:
        client = LegnextClient("test-key", storm.base_url, retry=SessionRetryPolicy(base_delay=0.01))
        jobs = JobsSession(client, JobWatcher(client, PollPolicy(time_scale=1 / 4)),
                           rate_limit_max_delay=0.05)
        try:
            entries = [jobs.submit("diffusion", text=f"storm {i}") for i in range(24)]
            qtbot.waitUntil(lambda: all(e.finished for e in entries), timeout=90_000)
            on_server = set(storm.state.jobs)
            owned = [e.job_id for e in entries if e.job_id]
            assert len(owned) == len(set(owned))          # no entry shares a job
            lost = [(e.status, e.adopt_note, e.error) for e in entries if not e.job_id]
            assert on_server == set(owned), lost           # no orphan, no duplicate
            assert sum(e.status == COMPLETED for e in entries) >= len(on_server) - 2
            adopted = [e for e in entries if e.post_may_have_landed and e.job_id]
            assert adopted, "the storm never struck after a job was made"
        finally:
            task = spawn(jobs.aclose(), name="close")
            qtbot.waitUntil(task.done, timeout=5000)


def test_a_damaged_history_is_kept_aside_and_the_studio_still_starts(qtbot, qloop, server):
    store_file = paths.store_path()
    store_file.parent.mkdir(parents=True, exist_ok=True)
    store_file.write_bytes(b"this is not a database" * 100)
    studio = start_studio(qtbot, base_url=server.base_url)
    try:
        kept = list(store_file.parent.glob("history.sqlite3.damaged-*"))
        assert len(kept) == 1 and kept[0].read_bytes().startswith(b"this is not a database")
        assert not studio.window.banner.isHidden() and str(kept[0].name) in studio.window.banner.label.text()
        entry = studio.jobs.submit("diffusion", text=PROMPT, prompt=PROMPT)
        qtbot.waitUntil(lambda: entry.finished, timeout=20000)
        assert entry.status == COMPLETED and _stored(entry.key) is not None  # the fresh store works
    finally:
        stop_studio(qtbot, studio)


def test_a_history_from_a_newer_studio_is_never_touched(qtbot, qloop, server):
    import hashlib

    store_file = paths.store_path()
    with JobStore.open(store_file):
        pass
    with sqlite3.connect(store_file) as db:
        db.execute("PRAGMA user_version = 999")
    before = hashlib.sha256(store_file.read_bytes()).hexdigest()
    studio = start_studio(qtbot, base_url=server.base_url)
    try:
        assert "newer" in studio.window.banner.label.text()
        entry = studio.jobs.submit("diffusion", text=PROMPT, prompt=PROMPT)
        qtbot.waitUntil(lambda: entry.finished, timeout=20000)
        assert entry.status == COMPLETED  # kept in memory for this run
    finally:
        stop_studio(qtbot, studio)
    assert hashlib.sha256(store_file.read_bytes()).hexdigest() == before


def test_jobs_ending_together_share_one_balance_refresh(qtbot, qloop, server):
    studio = start_studio(qtbot, base_url=server.base_url)
    try:
        qtbot.waitUntil(lambda: studio.jobs.balance is not None, timeout=10000)  # the start's own

        def balance_gets() -> int:
            return sum(1 for r in server.state.requests if r.path.endswith("/account/balance"))

        studio.jobs.balance_pause = 3.0  # longer than the four jobs take to end, one after another
        before = balance_gets()
        entries = [studio.jobs.submit("diffusion", text=f"{PROMPT} {i}", prompt=f"{PROMPT} {i}") for i in range(4)]
        qtbot.waitUntil(lambda: all(e.finished for e in entries), timeout=20000)
        assert balance_gets() == before  # nothing asked yet: the refresh waits for the batch
        qtbot.waitUntil(lambda: balance_gets() > before, timeout=10000)
        assert balance_gets() == before + 1
    finally:
        stop_studio(qtbot, studio)


def test_the_watcher_starts_from_the_users_own_past_durations(qtbot, qloop, server):
    from studio.store.records import JobRecord

    now = 1_800_000_000.0
    with JobStore.open(paths.store_path()) as store:
        for i, seconds in enumerate([9.0, 11.0, 10.0, 30.0, 10.5]):
            store.put(JobRecord(op="diffusion", status=Status.COMPLETED, created_at=now + i * 100,
                                ended_at=now + i * 100 + seconds, backend=server.base_url.rstrip("/")))
        # jobs of the built-in sandbox run at its own speed: not a prior for this server
        for i in range(5):
            store.put(JobRecord(op="upscale", status=Status.COMPLETED, created_at=now + i,
                                ended_at=now + i + 1.0, backend="sandbox:old"))
    studio = start_studio(qtbot, base_url=server.base_url)
    try:
        qtbot.waitUntil(lambda: studio.watcher is not None, timeout=5000)
        assert studio.watcher.expected_duration("diffusion") == 10.5  # the median, not the table's 40
        assert studio.watcher.expected_duration("upscale") == studio.watcher.policy.typical("upscale")
    finally:
        stop_studio(qtbot, studio)


def test_a_job_is_expected_to_take_as_long_as_the_users_past_jobs_on_its_model(qtbot, qloop, server):
    from studio.session.entry import JobEntry
    from studio.store.records import JobRecord

    now = 1_800_000_000.0
    backend = server.base_url.rstrip("/")
    with JobStore.open(paths.store_path()) as store:
        for model, spans in (("7", [30.0, 34.0, 32.0]), ("niji 6", [12.0, 14.0, 13.0, 90.0])):
            for i, seconds in enumerate(spans):
                store.put(JobRecord(op="diffusion", model=model, status=Status.COMPLETED, backend=backend,
                                    created_at=now + i, ended_at=now + i + seconds))
    studio = start_studio(qtbot, base_url=server.base_url)
    try:
        jobs = studio.jobs
        assert jobs.expected_duration(JobEntry(record=JobRecord(op="diffusion", model="7"))) == 32.0
        assert jobs.expected_duration(JobEntry(record=JobRecord(op="diffusion", model="niji 6"))) == 13.5
        assert jobs.expected_duration(JobEntry(record=JobRecord(op="diffusion", model="6.1"))) is None
        assert jobs.expected_duration(JobEntry(record=JobRecord(op="upscale", model="7"))) is None
    finally:
        stop_studio(qtbot, studio)


def test_jobs_beyond_the_accounts_limit_wait_their_turn_unsent(qtbot, qloop):
    with SandboxServer(keys=["test-key"], speed=20.0, image_size_cap=64, concurrent_limit=2) as limited:
        studio = start_studio(qtbot, base_url=limited.base_url)
        try:
            qtbot.waitUntil(lambda: studio.jobs.concurrent_limit == 2, timeout=5000)
            assert studio.watcher.use_listing  # the listing works: new jobs read estimated_time
            busiest, words = [0], set()

            def look(_key: str) -> None:
                busiest[0] = max(busiest[0], len(limited.state.active_tasks()))  # the server's count
                words.update(e.status_word() for e in studio.jobs.entries())

            studio.jobs.job_changed.connect(look)
            entries = [studio.jobs.submit("diffusion", text=f"{PROMPT} {i}", prompt=f"{PROMPT} {i}") for i in range(5)]
            qtbot.waitUntil(lambda: all(e.finished for e in entries), timeout=30000)
            assert busiest[0] <= 2 and "waiting for a free slot" in words
            assert all(e.status == COMPLETED for e in entries) and _posts(limited) == 5
        finally:
            stop_studio(qtbot, studio)


def test_jobs_still_waiting_at_a_quit_are_offered_once_at_the_next_start(qtbot, qloop):
    with SandboxServer(keys=["test-key"], speed=1.0, image_size_cap=64, concurrent_limit=1) as limited:
        studio = start_studio(qtbot, base_url=limited.base_url)
        try:
            qtbot.waitUntil(lambda: studio.jobs.concurrent_limit == 1, timeout=5000)
            first = studio.jobs.submit("diffusion", text=PROMPT, prompt=PROMPT)
            qtbot.waitUntil(lambda: first.job_id is not None, timeout=10000)
            later = [studio.jobs.submit("diffusion", text=f"{PROMPT} {i}", prompt=f"{PROMPT} {i}") for i in range(2)]
            qtbot.waitUntil(lambda: all(e.status == Status.WAITING for e in later), timeout=5000)
        finally:
            stop_studio(qtbot, studio)
        assert [_stored(e.key).status for e in later] == [Status.WAITING] * 2 and _posts(limited) == 1

        limited.clock.advance(120)  # the first job ends on the server meanwhile
        again = start_studio(qtbot, base_url=limited.base_url)
        try:
            qtbot.waitUntil(lambda: again.window.waiting_box is not None, timeout=10000)
            box = again.window.waiting_box
            assert "2 jobs were waiting for a free slot" in box.text() and "Nothing was sent" in box.text()
            assert box.defaultButton().text() == "Decide later"
            assert _posts(limited) == 1  # nothing sent before the answer
            next(b for b in box.buttons() if b.text() == "Send now").click()
            restored = [again.jobs.entry(e.key) for e in later]
            qtbot.waitUntil(lambda: restored[0].job_id is not None, timeout=10000)
            limited.clock.advance(120)
            qtbot.waitUntil(lambda: restored[1].job_id is not None, timeout=20000)
            limited.clock.advance(120)
            qtbot.waitUntil(lambda: all(e.finished for e in restored), timeout=20000)
            assert all(e.status == COMPLETED for e in restored) and _posts(limited) == 3
        finally:
            stop_studio(qtbot, again)


def test_a_job_started_elsewhere_on_the_account_is_shown_marked_and_archived(qtbot, qloop):
    from studio.api import LegnextClient
    from studio.session.tasks import spawn
    from studio.store.records import Origin

    # Slow enough that the job still runs when the studio has started and looks.
    with SandboxServer(keys=["test-key"], speed=3.0, image_size_cap=128) as slow:
        async def from_another_device() -> str:
            async with LegnextClient("test-key", slow.base_url) as other:
                return (await other.diffusion("a script's lighthouse")).job_id

        sent = spawn(from_another_device(), name="another device")
        qtbot.waitUntil(sent.done, timeout=10000)
        job_id = sent.result()
        studio = start_studio(qtbot, base_url=slow.base_url)
        try:
            qtbot.waitUntil(lambda: studio.jobs.entry(job_id) is not None, timeout=10000)
            entry = studio.jobs.entry(job_id)
            assert entry.external and entry.record.origin == Origin.EXTERNAL
            qtbot.waitUntil(lambda: entry.finished, timeout=20000)
            assert entry.status == COMPLETED and len(studio.jobs.files(entry.key)) == 4
            own = studio.jobs.submit("diffusion", text=PROMPT, prompt=PROMPT)
            assert not own.external
            qtbot.waitUntil(lambda: own.finished, timeout=20000)
        finally:
            stop_studio(qtbot, studio)
        assert _stored(entry.key).origin == Origin.EXTERNAL
        # the next start knows it: it is not taken in twice
        again = start_studio(qtbot, base_url=slow.base_url)
        try:
            assert [e.key for e in again.jobs.entries() if e.job_id == job_id] == [entry.key]
        finally:
            stop_studio(qtbot, again)


def test_a_job_another_studio_on_this_store_is_sending_is_not_taken_in_as_a_strangers(qtbot, qloop, sandbox):
    """Two studios on one store: while one has a request on its way (its row written, its answer
    not yet saved), the other, listing the account, must not take that job in as external —
    both would then keep the same job."""
    import time
    from types import SimpleNamespace

    from studio.store.records import JobRecord

    studio = start_studio(qtbot, base_url=sandbox.base_url)
    try:
        store = studio.jobs.store
        other = JobRecord(op="diffusion", prompt="the other studio's", status=Status.SUBMITTING,
                          backend=studio.jobs.backend_id)
        store.put(other)  # as the other process wrote it before its POST left
        assert store.sending() == {"diffusion"}
        task = SimpleNamespace(job_id="3b0c5a4e-1f6d-4c8e-9a77-2f1e6b0d9c11", task_type="diffusion",
                               created_at=None)
        assert studio.jobs._take_in_external([task]) == []
        assert studio.jobs.entry(task.job_id) is None
        # A job of another kind is someone else's: taken in and followed as usual.
        upscale = SimpleNamespace(job_id="4c1d6b5f-2a7e-4d9f-8b88-3a2f7c1e0d22", task_type="upscale", created_at=None)
        assert [e.job_id for e in studio.jobs._take_in_external([upscale])] == [upscale.job_id]
        # A row left by a run that crashed minutes ago is not a request in flight.
        other.created_at = time.time() - 3600
        store.put(other)
        assert store.sending() == set()
    finally:
        stop_studio(qtbot, studio)
