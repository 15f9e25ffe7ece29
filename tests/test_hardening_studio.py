"""The whole studio against a hostile server on loopback (tests/hostile.py): each hostile answer
ends in a clear message on the job it hit (a POST that may have landed says so, or its job is
found on the account), nothing already made is lost, and the studio stays usable afterwards —
the next job, on the same studio and the same server, completes."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hostile import HostileServer
from studio import limits, paths
from studio.session.jobs import COMPLETED, ERROR
from studio.session.settings import KeyStore, Settings
from studio.store.db import JobStore
from studio.store.records import Status
from studio_support import start_studio, stop_studio

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def hostile():
    with HostileServer(trickle_every=0.2) as server:
        yield server


@pytest.fixture
def studio(qtbot, qloop, hostile):
    studio = start_studio(qtbot, base_url=hostile.base_url)
    studio.jobs.poll_outage_tolerance = 0.3  # a server that keeps failing polls: give up quickly
    yield studio
    stop_studio(qtbot, studio)


def _job(qtbot, studio, prompt="a red fox in snow"):
    entry = studio.jobs.submit("diffusion", text=prompt, prompt=prompt)
    qtbot.waitUntil(lambda: entry.finished, timeout=20000)
    return entry


def _still_usable(qtbot, studio, hostile) -> None:
    """The same studio, on the same server once it behaves, makes a job end to end."""
    hostile.cases.clear()
    entry = _job(qtbot, studio, "a calm harbour at dawn")
    assert entry.status == COMPLETED, entry.error
    qtbot.waitUntil(lambda: len(studio.jobs.files(entry.key)) == 4, timeout=10000)


def test_a_gzip_bomb_answering_a_post_is_refused_and_its_job_found_on_the_account(qtbot, studio, hostile):
    hostile.cases["post"] = "gzip-bomb"  # the server made the job, then answered with a bomb
    entry = _job(qtbot, studio)
    assert entry.status == COMPLETED and entry.post_may_have_landed
    assert entry.job_id in hostile.jobs and len(studio.jobs.files(entry.key)) == 4
    _still_usable(qtbot, studio, hostile)


@pytest.mark.parametrize("case, words", [
    ("gzip-bomb", "larger than 8 MB once inflated"),
    ("huge-json", "larger than 8 MB"),
    ("bad-id", "job id that is not one"),
])
def test_a_post_answer_refused_without_a_listing_says_the_job_may_have_landed(qtbot, studio, hostile, case, words):
    hostile.cases.update(post=case, tasks="missing")
    entry = _job(qtbot, studio)
    assert entry.status == ERROR and entry.post_may_have_landed
    assert words in entry.error and "may have been created and charged" in entry.error
    assert _stored(entry.key).may_have_run
    _still_usable(qtbot, studio, hostile)


def test_a_post_that_trickles_is_too_slow_and_may_have_landed(qtbot, qloop, hostile, monkeypatch):
    quick = dataclasses.replace(limits.DEFAULT_LIMITS, post=dataclasses.replace(limits.JOB_POST, deadline=1.0))
    monkeypatch.setattr(limits, "DEFAULT_LIMITS", quick)
    studio = start_studio(qtbot, base_url=hostile.base_url)
    try:
        hostile.cases.update(post="trickle", tasks="missing")
        started = time.monotonic()
        entry = _job(qtbot, studio)
        assert time.monotonic() - started < 10
        assert entry.status == ERROR and "too slow" in entry.error and "may have been created" in entry.error
        assert hostile.hits["post"] == 1  # never sent twice
        _still_usable(qtbot, studio, hostile)
    finally:
        stop_studio(qtbot, studio)


@pytest.mark.parametrize("case, words", [
    ("gzip-bomb", "an answer larger than 8 MB once inflated, refused"),
    ("huge-json", "an answer larger than 8 MB, refused"),
    ("bad-id", "a job id that is not one"),
])
def test_polls_answered_with_garbage_end_in_words_and_check_again_finds_the_job(qtbot, studio, hostile, case, words):
    hostile.cases["job"] = case
    entry = _job(qtbot, studio)
    assert entry.status == ERROR and entry.job_id is not None
    assert words in entry.error and "Check again" in entry.error
    assert entry.can_resume
    hostile.cases.clear()
    studio.jobs.resume(entry.key)
    qtbot.waitUntil(lambda: entry.status == COMPLETED, timeout=20000)
    assert len(studio.jobs.files(entry.key)) == 4
    _still_usable(qtbot, studio, hostile)


@pytest.mark.parametrize("case, words", [
    ("pixel-bomb", "declares 100,000 × 100,000 pixels"),
    ("redirect:file:///etc/passwd", "redirected"),
    ("huge-declared", "larger than 640 MB"),
])
def test_hostile_files_are_refused_per_image_and_retry_fetches_them(qtbot, studio, hostile, case, words):
    hostile.cases["file"] = case
    entry = _job(qtbot, studio)
    assert entry.status == COMPLETED and len(entry.image_errors) == 4
    assert all(words in text for text in entry.image_errors.values()), entry.image_errors
    assert entry.status_word() == "4 images missing"
    assert studio.jobs.files(entry.key) == []
    archive = paths.archive_dir()
    assert not list(archive.rglob("*.part"))
    # The grid shows why, on the tiles.
    studio.jobs.on_show.show(entry.key)
    grid = studio.window.grid
    qtbot.waitUntil(lambda: bool(grid.canvas.tiles) and words in (grid.canvas.tiles[0].cell.error or ""), timeout=5000)
    hostile.cases.clear()
    studio.jobs.retry_downloads(entry.key)
    qtbot.waitUntil(lambda: entry.status_word() == "done", timeout=10000)
    assert len(studio.jobs.files(entry.key)) == 4


def test_a_completed_job_stays_completed_through_a_shutdown_during_a_balance_refresh(qtbot, qloop, hostile):
    studio = start_studio(qtbot, base_url=hostile.base_url)
    entry = _job(qtbot, studio)
    assert entry.status == COMPLETED
    hostile.cases["balance"] = "trickle"
    balance_gets = hostile.hits.get("balance", 0)
    studio.jobs.refresh_balance()
    qtbot.waitUntil(lambda: hostile.hits.get("balance", 0) > balance_gets, timeout=5000)
    started = time.monotonic()
    stop_studio(qtbot, studio)
    assert time.monotonic() - started < 5  # the trickling refresh does not hold the quit
    assert entry.status == COMPLETED and entry.status_word() == "done"
    assert _stored(entry.key).status == Status.COMPLETED


def test_a_job_interrupted_by_the_shutdown_is_left_for_the_next_start(qtbot, qloop, hostile):
    """The client closes under a job still running at quit: the job is not failed for it."""
    studio = start_studio(qtbot, base_url=hostile.base_url)
    hostile.cases["file"] = "trickle"  # its downloads never finish
    entry = studio.jobs.submit("diffusion", text="a red fox", prompt="a red fox")
    qtbot.waitUntil(lambda: entry.status == Status.DOWNLOADING, timeout=10000)
    stop_studio(qtbot, studio)
    stored = _stored(entry.key)
    assert stored.status == Status.DOWNLOADING and not stored.error


def _stored(key):
    with JobStore.open(paths.store_path()) as store:
        return store.get(key)


# ---- plain http to another machine ----------------------------------------------------------------

def _offline(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run the studio's command line in an empty network namespace: nothing can leave the
    machine, and a connect fails at once ("Network unreachable"), so a message about https
    proves the refusal came before any connection (shared/notes/desktop-testing.md)."""
    if shutil.which("unshare") is None or subprocess.run(["unshare", "-rn", "true"]).returncode != 0:
        pytest.skip("unshare -rn (a network namespace) is not available here")
    full_env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", **(env or {})}
    full_env.pop(paths.HOME_ENV, None)
    return subprocess.run(["unshare", "-rn", sys.executable, "-m", "studio", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, env=full_env)


@pytest.mark.parametrize("command", [["generate", "a red fox", "--wait"], ["resume"], []])
def test_the_command_line_refuses_plain_http_to_another_machine_before_connecting(tmp_path, command):
    env = {"LEGNEXT_API_KEY": "sk-not-sent-anywhere", "LEGNEXT_STUDIO_HOME": str(tmp_path)}
    done = _offline(*command, "--base-url", "http://203.0.113.7/api", env=env)
    assert done.returncode == 2, done.stderr
    assert "plain http to another machine" in done.stderr and "unencrypted" in done.stderr
    assert "unreachable" not in done.stderr.lower()
    log = (tmp_path / "logs" / "studio.log")
    assert not log.exists() or "sk-not-sent-anywhere" not in log.read_text(encoding="utf-8")


def test_the_override_lets_plain_http_through_and_warns(tmp_path):
    env = {"LEGNEXT_API_KEY": "sk-not-sent-anywhere", "LEGNEXT_STUDIO_HOME": str(tmp_path),
           "LEGNEXT_STUDIO_INSECURE_HTTP": "1"}
    done = _offline("generate", "a red fox", "--base-url", "http://203.0.113.7/api", env=env)
    assert "LEGNEXT_STUDIO_INSECURE_HTTP is set" in done.stderr  # said at every start
    assert done.returncode == 1  # then it tried, and the empty namespace had no route
    assert "plain http to another machine" not in done.stderr


def test_settings_refuse_plain_http_to_another_machine(qtbot, qloop, monkeypatch):
    from studio.ui.settings_dialog import SettingsDialog

    settings = Settings()
    dialog = SettingsDialog(settings, KeyStore())
    qtbot.addWidget(dialog)
    dialog.open()
    applied = []
    dialog.applied.connect(lambda: applied.append(True))
    dialog.base_url_edit.setText("http://203.0.113.7/api")
    dialog.save()
    assert "plain http to another machine" in dialog.url_note.text()
    assert applied == [] and Settings().base_url == "https://api.legnext.ai/api"
    dialog.base_url_edit.setText("http://127.0.0.1:8123/api")  # this machine: fine
    with qtbot.waitSignal(dialog.applied, timeout=2000):
        dialog.save()
    assert Settings().base_url == "http://127.0.0.1:8123/api"


def test_a_plain_http_address_already_in_the_settings_is_refused_at_connect_with_the_reason(qtbot, qloop):
    settings = Settings()
    settings.base_url = "http://203.0.113.7/api"  # written by an older studio
    settings.sync()
    keys = KeyStore()
    keys.set_session_key("sk-not-sent-anywhere")
    from studio_support import build_studio
    from studio.session.tasks import spawn

    studio = build_studio(qtbot, keys=keys)
    try:
        spawn(studio.connect(), name="connect")
        # (the window hears of a failed task from the task's done-callback, just after it ends)
        qtbot.waitUntil(lambda: bool(studio.connection.info.problem), timeout=10000)
        assert studio.client is None
        assert "plain http to another machine" in studio.connection.info.problem
        entry = studio.jobs.submit("diffusion", text="a fox", prompt="a fox")
        qtbot.waitUntil(lambda: entry.finished, timeout=5000)
        assert entry.status == ERROR and "unencrypted" in entry.error
    finally:
        stop_studio(qtbot, studio)
