"""One wording per failure, through real sockets: what the artist reads on the row, after a
balance refresh and in Settings' check agree, and each says what is actually wrong."""

from __future__ import annotations



from studio.api.client import LegnextClient
from studio.api.retry import NO_RETRY
from studio.api.watcher import JobWatcher, PollPolicy
from studio.session import failures
from studio.session.jobs import ERROR, JobsSession
from studio.session.settings import check_connection
from studio.session.tasks import spawn

TIMEOUT_MS = 20_000


def _session(base_url: str, key: str = "test-key") -> JobsSession:
    client = LegnextClient(key, base_url, retry=NO_RETRY)
    return JobsSession(client, JobWatcher(client, PollPolicy(time_scale=1 / 200)))


def _close(qtbot, jobs: JobsSession) -> None:
    task = spawn(jobs.aclose(), name="close")
    qtbot.waitUntil(task.done, timeout=5000)


def test_a_base_url_without_api_says_the_address_is_wrong(qtbot, qloop, sandbox):
    jobs = _session(sandbox.base_url.removesuffix("/api"))
    messages: list[str] = []
    jobs.message.connect(messages.append)
    try:
        entry = jobs.submit("diffusion", text="castle on a cliff")
        qtbot.waitUntil(lambda: entry.finished, timeout=TIMEOUT_MS)
        assert entry.status == ERROR and entry.error == failures.WRONG_ADDRESS
        assert "does not exist or has expired" not in entry.error and "/api" in entry.error
        assert not entry.may_exist_on_server  # a 404 made nothing
    finally:
        _close(qtbot, jobs)


def test_a_500_after_the_post_is_not_called_no_answer(qtbot, qloop, sandbox_without_listing):
    sandbox = sandbox_without_listing
    jobs = _session(sandbox.base_url)
    try:
        sandbox.faults.next("/v1/diffusion", "500", count=1, after=True)
        entry = jobs.submit("diffusion", text="castle on a cliff")
        qtbot.waitUntil(lambda: entry.finished, timeout=TIMEOUT_MS)
        assert entry.error.startswith("The server failed (HTTP 500) after the request reached it")
        assert "No answer came back" not in entry.error and "charged" in entry.error
    finally:
        _close(qtbot, jobs)


def test_a_refused_key_reads_the_same_on_the_row_the_balance_and_in_settings(qtbot, qloop, sandbox):
    jobs = _session(sandbox.base_url, key="wrong-key")
    messages: list[str] = []
    jobs.message.connect(messages.append)
    try:
        entry = jobs.submit("diffusion", text="castle on a cliff")
        qtbot.waitUntil(lambda: entry.finished, timeout=TIMEOUT_MS)
        assert entry.error == failures.BAD_KEY
        task = jobs.refresh_balance()
        qtbot.waitUntil(task.done, timeout=TIMEOUT_MS)
        assert messages[-1] == failures.balance_problem_text(failures.BAD_KEY)
    finally:
        _close(qtbot, jobs)
    check = spawn(check_connection(sandbox.base_url, "wrong-key"), name="check")
    qtbot.waitUntil(check.done, timeout=TIMEOUT_MS)
    assert check.result().message == failures.BAD_KEY


def test_describe_covers_every_error_kind_without_raising():
    from studio.api import errors

    kinds = [cls for cls in vars(errors).values()
             if isinstance(cls, type) and issubclass(cls, errors.LegnextError)]
    assert len(kinds) > 10
    for cls in kinds:
        try:
            exc = cls("boom")
        except (TypeError, AttributeError):
            continue  # needs a job or a field: covered by the job tests
        for context in (failures.Context(), failures.Context(job_known=True),
                        failures.Context(may_have_run=True), failures.Context(what="download")):
            text = failures.describe(exc, context)
            assert isinstance(text, str) and text.strip() and "Traceback" not in text

