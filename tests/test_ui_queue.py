"""The queue panel: one row per job, newest first, with status word and progress while running,
several jobs at once, errors in red, and the row actions (show, stop watching, hide, send again,
check again, retry downloads); task names drawn whole; "Send again" asks first when it may pay twice."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFontMetricsF
from PySide6.QtWidgets import QStyleOptionViewItem

from studio.api.client import LegnextClient
from studio.api.retry import NO_RETRY
from studio.api.watcher import JobWatcher, PollPolicy
from studio.session.jobs import CANCELLED, COMPLETED, ERROR, JobEntry, JobsSession, SessionRetryPolicy
from studio.session.tasks import spawn
from studio.ui.common import theme
from studio.ui.queue.panel import _PAD, KeyRole, QueuePanel


def _panel(qtbot, base_url: str, key: str = "test-key") -> QueuePanel:
    client = LegnextClient(key, base_url, retry=SessionRetryPolicy(base_delay=0.01))
    jobs = JobsSession(client, JobWatcher(client, PollPolicy(time_scale=1 / 200)))
    panel = QueuePanel(jobs)
    qtbot.addWidget(panel)
    panel.resize(300, 500)
    panel.show()
    return panel


def _close(qtbot, panel: QueuePanel) -> None:
    async def shut() -> None:
        await panel.session.aclose()
        await panel.session.client.aclose()

    task = spawn(shut(), name="close")
    qtbot.waitUntil(task.done, timeout=5000)


@pytest.fixture
def panel(qtbot, qloop, sandbox):
    p = _panel(qtbot, sandbox.base_url)
    yield p
    _close(qtbot, p)


def _rows(panel: QueuePanel) -> list[str]:
    m = panel.model
    return [m.index(r).data(Qt.ItemDataRole.DisplayRole) for r in range(m.rowCount())]


def test_rows_show_progress_then_done_for_several_jobs(qtbot, qloop):
    from studio.sandbox import SandboxServer

    # slow enough (about a second a job) that the rows are seen running side by side
    with SandboxServer(keys=["test-key"], speed=5.0, image_size_cap=128) as server:
        panel = _panel(qtbot, server.base_url)
        client = panel.session.client
        panel.session.set_backend(client, JobWatcher(client, PollPolicy(time_scale=1 / 20)))
        try:
            seen: list[str] = []
            panel.model.dataChanged.connect(lambda *_: seen.extend(_rows(panel)))
            a = panel.session.submit("diffusion", text="first castle")
            b = panel.session.submit("diffusion", text="second castle --ar 16:9 --v 6.1")
            assert panel.model.rowCount() == 2
            # newest first
            assert panel.model.index(0).data(KeyRole) == b.key
            qtbot.waitUntil(lambda: any("processing" in r and "%" in r for r in seen), timeout=10000)
            running_together = [r for r in _rows(panel) if "processing" in r or "queued" in r]
            assert len(running_together) >= 1
            qtbot.waitUntil(lambda: a.finished and b.finished, timeout=15000)
            rows = _rows(panel)
            assert rows[0].startswith("diffusion · v6.1 · done") and "80 credits" in rows[0]
            assert rows[1].startswith("diffusion · v7 · done")
            assert any("queued" in r for r in seen)
            # the tooltip carries the prompt and the job id
            tip = panel.model.index(0).data(Qt.ItemDataRole.ToolTipRole)
            assert "second castle" in tip and b.job_id in tip
        finally:
            _close(qtbot, panel)


def test_click_selects_and_actions_hide_and_resend(qtbot, panel, sandbox):
    good = panel.session.submit("diffusion", text="harbour at night")
    bad = panel.session.submit("diffusion", text="harbour --v 8.1 --no boats")
    qtbot.waitUntil(lambda: good.finished and bad.finished, timeout=10000)
    assert bad.error and bad.status_word() == "error 400"

    with qtbot.waitSignal(panel.job_selected, timeout=1000) as picked:
        index = panel.model.index(panel.model.row_of(good.key))
        panel.view.clicked.emit(index)
    assert picked.args == [good.key]
    assert panel.delegate.current_key == good.key

    actions = {a.text(): a for a in panel.actions_for(bad.key)}
    assert not actions["Stop watching"].isEnabled()  # already finished
    assert actions["Send again"].isEnabled()
    assert not {a.text(): a for a in panel.actions_for(good.key)}["Send again"].isEnabled()
    actions["Send again"].trigger()
    assert panel.model.rowCount() == 3
    assert panel.model.entry_at(0).request == {"text": "harbour --v 8.1 --no boats"}

    {a.text(): a for a in panel.actions_for(good.key)}["Hide from queue"].trigger()
    assert good.key not in panel.model.keys()
    assert panel.model.rowCount() == 2
    qtbot.waitUntil(lambda: all(e.finished for e in panel.session.entries(include_hidden=True)), timeout=10000)


def test_stop_watching_from_the_row(qtbot, panel):
    client = panel.session.client
    # a watcher that waits long before its first check, so the job is still being watched
    panel.session.set_backend(client, JobWatcher(client, PollPolicy(time_scale=1.0, first_delay=5.0)))
    entry = panel.session.submit("diffusion", text="a slow watch")
    qtbot.waitUntil(lambda: entry.job_id is not None, timeout=5000)
    actions = {a.text(): a for a in panel.actions_for(entry.key)}
    assert actions["Stop watching"].isEnabled()
    actions["Stop watching"].trigger()
    assert entry.status == CANCELLED
    assert "not watched" in _rows(panel)[0]


def test_error_row_is_painted_in_the_error_colour(qtbot, qloop, sandbox):
    panel = _panel(qtbot, sandbox.base_url, key="wrong-key")
    try:
        entry = panel.session.submit("diffusion", text="anything at all")
        qtbot.waitUntil(lambda: entry.finished, timeout=5000)
        panel.view.doItemsLayout()
        image = panel.view.viewport().grab().toImage()
        error = QColor(theme.current.error)

        def near(c: QColor) -> bool:
            return abs(c.red() - error.red()) < 40 and abs(c.green() - error.green()) < 40 \
                and abs(c.blue() - error.blue()) < 40

        hits = sum(1 for x in range(0, image.width(), 2) for y in range(0, min(120, image.height()), 2)
                   if near(image.pixelColor(x, y)))
        assert hits > 20, "the error text should be drawn in red"
        assert "Open Settings" in _rows(panel)[0]
    finally:
        _close(qtbot, panel)


def test_empty_queue_says_what_it_is_for(qtbot, panel):
    assert panel.model.rowCount() == 0
    image = panel.view.viewport().grab().toImage()
    background = image.pixelColor(2, image.height() - 2)
    text_pixels = sum(1 for x in range(image.width()) for y in range(10, 70)
                      if image.pixelColor(x, y) != background)
    assert text_pixels > 50, "an empty queue shows a hint, not a blank panel"
    panel.session.submit("diffusion", text="first")
    assert panel.model.rowCount() == 1
    qtbot.waitUntil(lambda: panel.session.entries()[0].finished, timeout=10000)


# ----- task names, lost jobs, "Send again" that may pay twice, missing images ----------------
def _recovery_panel(qtbot, sandbox, **options) -> QueuePanel:
    client = LegnextClient("test-key", sandbox.base_url, retry=NO_RETRY)
    jobs = JobsSession(client, JobWatcher(client, PollPolicy(time_scale=1 / 200)), **options)
    panel = QueuePanel(jobs)
    qtbot.addWidget(panel)
    panel.resize(240, 500)
    panel.show()
    return panel


def _posts(sandbox) -> int:
    return sum(1 for r in sandbox.state.requests if r.method == "POST")


@pytest.mark.parametrize("width", [200, 240, 300])
def test_short_task_names_are_never_cut(qtbot, panel, width):
    panel.resize(width, 500)
    option = QStyleOptionViewItem()
    option.font = panel.view.font()
    bold, small = panel.delegate._fonts(option)
    room = panel.view.viewport().width() - 1 - 2 * _PAD - 2  # what paint() gives line 1
    for op in ("pan", "remix", "reroll", "enhance", "upscale", "variation", "outpaint", "edit", "blend"):
        entry = JobEntry(key=op, op=op, request={}, model="7", status="processing", progress=62)
        line = panel.delegate.first_line(entry, bold, small, room)
        assert line.title == op.replace("_", " "), (width, line)
        assert line.title_w >= QFontMetricsF(bold).horizontalAdvance(line.title)


def test_a_lost_job_is_checked_again_from_its_row(qtbot, qloop, sandbox):
    panel = _recovery_panel(qtbot, sandbox, poll_outage_tolerance=0.2)
    try:
        sandbox.faults.next("/v1/job/*", "503", count=100_000)
        entry = panel.session.submit("diffusion", text="castle on a cliff")
        qtbot.waitUntil(lambda: entry.finished, timeout=20000)
        assert entry.status == ERROR and "Check again" in _rows(panel)[0]
        actions = {a.text(): a for a in panel.actions_for(entry.key)}
        assert actions["Check again"].isEnabled()
        sandbox.faults.clear()
        actions["Check again"].trigger()
        qtbot.waitUntil(lambda: entry.finished, timeout=20000)
        assert entry.status == COMPLETED and _rows(panel)[0].startswith("diffusion · v7 · done")
        assert panel.model.rowCount() == 1 and _posts(sandbox) == 1
        assert not {a.text(): a for a in panel.actions_for(entry.key)}["Check again"].isEnabled()
    finally:
        _close(qtbot, panel)


def test_send_again_asks_first_with_the_cost_when_the_job_may_exist(qtbot, qloop, sandbox):
    panel = _recovery_panel(qtbot, sandbox, poll_outage_tolerance=0.2)
    try:
        sandbox.faults.next("/v1/job/*", "503", count=100_000)
        entry = panel.session.submit("diffusion", text="castle on a cliff")
        qtbot.waitUntil(lambda: entry.finished, timeout=20000)
        sandbox.faults.clear()

        {a.text(): a for a in panel.actions_for(entry.key)}["Send again"].trigger()
        box = panel.confirm_box
        assert box is not None and box.isVisible() and _posts(sandbox) == 1  # nothing sent yet
        assert "80 credits" in box.informativeText()
        labels = {b.text(): b for b in box.buttons()}
        assert "Send again (80 credits)" in labels and "Check again" in labels
        assert box.defaultButton() is labels["Check again"]  # Enter never pays twice
        labels["Check again"].click()  # the free way out
        qtbot.waitUntil(lambda: entry.finished, timeout=20000)
        assert entry.status == COMPLETED and panel.model.rowCount() == 1 and _posts(sandbox) == 1
        qtbot.waitUntil(lambda: panel.confirm_box is None, timeout=5000)
    finally:
        _close(qtbot, panel)


def test_send_again_after_a_post_that_may_have_landed_sends_only_when_confirmed(
        qtbot, qloop, sandbox_without_listing):
    sandbox = sandbox_without_listing
    panel = _recovery_panel(qtbot, sandbox)
    try:
        sandbox.faults.next("/v1/diffusion", "drop", count=1, after=True)
        entry = panel.session.submit("diffusion", text="castle on a cliff")
        qtbot.waitUntil(lambda: entry.finished, timeout=20000)
        assert entry.may_exist_on_server and not entry.can_resume

        {a.text(): a for a in panel.actions_for(entry.key)}["Send again"].trigger()
        box = panel.confirm_box
        labels = {b.text(): b for b in box.buttons()}
        assert "Check again" not in labels and box.defaultButton() is not labels["Send again (80 credits)"]
        labels["Cancel"].click()
        assert panel.model.rowCount() == 1 and _posts(sandbox) == 1

        {a.text(): a for a in panel.actions_for(entry.key)}["Send again"].trigger()
        {b.text(): b for b in panel.confirm_box.buttons()}["Send again (80 credits)"].click()
        assert panel.model.rowCount() == 2
        qtbot.waitUntil(lambda: panel.model.entry_at(0).finished, timeout=20000)
        assert panel.model.entry_at(0).status == COMPLETED and _posts(sandbox) == 2
    finally:
        _close(qtbot, panel)


def test_a_row_says_how_many_images_are_missing_and_fetches_them_again(qtbot, qloop, sandbox):
    panel = _recovery_panel(qtbot, sandbox)
    try:
        sandbox.faults.next("/cdn/mj/*_1.png", "503", count=1)
        sandbox.faults.next("/cdn/mj/*_3.png", "503", count=1)
        entry = panel.session.submit("diffusion", text="castle on a cliff")
        qtbot.waitUntil(lambda: entry.finished, timeout=20000)
        assert _rows(panel)[0].startswith("diffusion · v7 · 2 images missing")
        actions = {a.text(): a for a in panel.actions_for(entry.key)}
        assert actions["Retry downloads"].isEnabled() and not actions["Send again"].isEnabled()
        actions["Retry downloads"].trigger()
        qtbot.waitUntil(lambda: entry.images_ready, timeout=20000)
        qtbot.waitUntil(lambda: _rows(panel)[0].startswith("diffusion · v7 · done"), timeout=5000)
        assert _posts(sandbox) == 1
    finally:
        _close(qtbot, panel)


def test_the_queue_keeps_live_and_recent_jobs_and_one_update_measures_one_row(qtbot, qloop):
    """Thousands of jobs in the session: the queue holds the live ones and the newest ended
    (the history has the rest), and a progress tick on one row re-measures that row only."""
    from studio.store.records import JobRecord, Status
    from studio.ui.queue import panel as queue_panel

    session = JobsSession()
    for i in range(2000):
        entry = JobEntry(record=JobRecord(op="diffusion", prompt=f"old {i}", status=Status.COMPLETED,
                                          created_at=1_700_000_000 + i, ended_at=1_700_000_010 + i))
        session._entries[entry.key] = entry
    live = []
    for i in range(4):
        entry = JobEntry(record=JobRecord(op="diffusion", prompt=f"live {i}", status=Status.PROCESSING))
        session._entries[entry.key] = entry
        live.append(entry)
    panel = QueuePanel(session)
    qtbot.addWidget(panel)
    panel.resize(300, 600)
    panel.show()
    qtbot.waitExposed(panel)
    model = panel.model
    assert model.rowCount() == queue_panel.ENDED_ROWS + 4
    assert all(model.row_of(e.key) >= 0 for e in live)
    assert model.row_of(live[-1].key) == 0 and model.row_of("nope") == -1

    measured = []
    real = panel.delegate._measure
    panel.delegate._measure = lambda entry, option: (measured.append(entry), real(entry, option))[1]
    live[1].record.progress = 40
    session.job_changed.emit(live[1].key)
    panel.view.viewport().repaint()
    assert len(measured) <= 2  # the changed row (a cached size for every other)

    # A new ended job pushes the oldest ended row out; live rows always stay.
    newest = JobEntry(record=JobRecord(op="diffusion", prompt="new", status=Status.COMPLETED))
    session._entries[newest.key] = newest
    session.job_added.emit(newest.key)
    assert model.rowCount() == queue_panel.ENDED_ROWS + 4 and model.row_of(newest.key) == 0
    assert all(model.row_of(e.key) >= 0 for e in live)

    # A row whose error appears is measured again, and grows.
    index = model.index(model.row_of(live[2].key))
    before = panel.view.visualRect(index).height()
    live[2].error = "The server failed: a long explanation of what went wrong " * 2
    session.job_changed.emit(live[2].key)
    panel.view.doItemsLayout()
    assert panel.view.visualRect(model.index(model.row_of(live[2].key))).height() > before


def test_a_progress_update_repaints_its_row_alone(qtbot, qloop):
    """QListView repaints every visible row for one changed row; the queue repaints only the
    row that changed, and a row whose height changes is laid out again."""
    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtWidgets import QApplication

    from studio.store.records import JobRecord, Status

    session = JobsSession()
    live = []
    for i in range(6):
        entry = JobEntry(record=JobRecord(op="diffusion", prompt=f"live {i}", status=Status.PROCESSING))
        session._entries[entry.key] = entry
        live.append(entry)
    panel = QueuePanel(session)
    qtbot.addWidget(panel)
    panel.resize(300, 700)
    panel.show()
    qtbot.waitExposed(panel)
    painted: list[int] = []

    class Spy(QObject):
        def eventFilter(self, _obj, event):  # noqa: N802
            if event.type() == QEvent.Type.Paint:
                painted.append(event.rect().height())
            return False

    spy = Spy()
    panel.view.viewport().installEventFilter(spy)
    panel.view.viewport().repaint()  # the first full paint, now
    QApplication.processEvents()
    painted.clear()
    row = panel.model.row_of(live[3].key)
    live[3].record.progress = 60
    session.job_changed.emit(live[3].key)
    qtbot.waitUntil(lambda: bool(painted), timeout=3000)
    row_height = panel.view.visualRect(panel.model.index(row)).height()
    assert painted == [row_height] and row_height < panel.view.viewport().height() // 3

    before = row_height
    live[3].error = "The server failed: a long explanation of what went wrong " * 2
    session.job_changed.emit(live[3].key)
    qtbot.waitUntil(lambda: panel.view.visualRect(panel.model.index(row)).height() > before, timeout=3000)
