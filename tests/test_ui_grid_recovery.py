"""The grid when things go wrong or room runs short: a lost job offers "Check again" in its
message, a failed image offers Retry on its tile and in its menu, the caption line gives way
piece by piece in a narrow window without anything overlapping, and the boxes shown before the
images arrive take their shape from the prompt package."""

from __future__ import annotations

from datetime import timedelta
from itertools import combinations

import pytest
from PySide6.QtCore import QPoint, Qt

from studio.api.client import LegnextClient
from studio.api.retry import NO_RETRY
from studio.api.watcher import JobWatcher, PollPolicy
from studio.prompt import Params, image_size
from studio.session.jobs import COMPLETED, ERROR, JobsSession
from studio.ui.grid.actions import ACTION_VALID_DAYS
from studio.ui.grid.view import GridView
from test_ui_grid_support import GridEnv, close_env, env, make_env  # noqa: F401  (fixture)

TIMEOUT_MS = 20_000


@pytest.fixture
def lossy(qtbot, qloop, sandbox):
    """A grid on a session whose client does not retry and whose watch gives up quickly, so
    injected faults reach the screen as they happen."""
    client = LegnextClient("test-key", sandbox.base_url, retry=NO_RETRY)
    jobs = JobsSession(client, JobWatcher(client, PollPolicy(time_scale=1 / 200)), poll_outage_tolerance=0.2)
    grid = GridView(jobs)
    grid.resize(1000, 760)
    grid.show()
    qtbot.addWidget(grid)
    made = GridEnv(qtbot, sandbox, jobs, grid)
    yield made
    close_env(made)


def _posts(sandbox) -> int:
    return sum(1 for r in sandbox.state.requests if r.method == "POST")


def test_a_lost_job_shows_check_again_under_its_message(qtbot, lossy):
    grid, sandbox = lossy.grid, lossy.sandbox
    sandbox.faults.next("/v1/job/*", "503", count=100_000)
    entry = lossy.jobs.submit("diffusion", text="castle on a cliff --ar 3:2")
    grid.show_job(entry.key)
    qtbot.waitUntil(lambda: entry.finished, timeout=TIMEOUT_MS)
    assert entry.status == ERROR and grid.image_count() == 0
    assert grid.message.isVisible() and "Check again" in grid.message.text()
    button = grid.message_button
    assert button.isVisible() and button.text() == "Check again"
    # The button sits under the words, inside the grid, clear of them.
    assert button.geometry().top() >= grid.message.geometry().bottom()
    assert grid.canvas.rect().contains(button.geometry())

    sandbox.faults.clear()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert not button.isVisible() and grid.image_count() == 4  # waiting boxes again
    qtbot.waitUntil(lambda: entry.status == COMPLETED, timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: grid.displayed_count() == 4, timeout=TIMEOUT_MS)
    assert not grid.message.isVisible() and _posts(sandbox) == 1


def test_stopped_watching_offers_resume_watching(qtbot, qloop, sandbox):
    client = LegnextClient("test-key", sandbox.base_url, retry=NO_RETRY)
    jobs = JobsSession(client, JobWatcher(client, PollPolicy(time_scale=1 / 200, first_delay=200.0)))
    grid = GridView(jobs)
    grid.resize(900, 700)
    grid.show()
    qtbot.addWidget(grid)
    made = GridEnv(qtbot, sandbox, jobs, grid)
    try:
        entry = jobs.submit("diffusion", text="a lighthouse in fog")
        grid.show_job(entry.key)
        qtbot.waitUntil(lambda: entry.job_id is not None, timeout=5000)
        jobs.cancel_watch(entry.key)
        assert grid.message_button.isVisible() and grid.message_button.text() == "Resume watching"
        qtbot.mouseClick(grid.message_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: entry.status == COMPLETED, timeout=TIMEOUT_MS)
        qtbot.waitUntil(lambda: grid.displayed_count() == 4, timeout=TIMEOUT_MS)
    finally:
        close_env(made)


def test_a_failed_image_has_retry_on_its_tile_and_in_its_menu(qtbot, lossy):
    grid, sandbox = lossy.grid, lossy.sandbox
    sandbox.faults.next("/cdn/mj/*_2.png", "503", count=2)
    entry = lossy.jobs.submit("diffusion", text="castle on a cliff")
    grid.show_job(entry.key)
    qtbot.waitUntil(lambda: entry.finished and grid.displayed_count() == 3, timeout=TIMEOUT_MS)
    cell = grid.tiles[2].cell
    assert cell.error and "could not be downloaded" in cell.error
    assert cell.retry_button.isVisible() and cell.rect().contains(cell.retry_button.geometry())
    assert not any(t.cell.retry_button.isVisible() for i, t in enumerate(grid.tiles) if i != 2)

    qtbot.mouseClick(cell.retry_button, Qt.MouseButton.LeftButton)  # fails once more
    qtbot.waitUntil(lambda: 2 in entry.image_errors, timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: cell.retry_button.isVisible(), timeout=TIMEOUT_MS)

    grid._show_context_menu(2, cell.mapToGlobal(QPoint(10, 10)))
    retry = {a.text(): a for a in grid.context_menu.actions()}["Retry downloading image 3"]
    retry.trigger()
    grid.context_menu.close()
    qtbot.waitUntil(lambda: grid.displayed_count() == 4, timeout=TIMEOUT_MS)
    assert cell.error is None and not cell.retry_button.isVisible()
    assert entry.status_word() == "done" and _posts(sandbox) == 1


# ----- the caption line in little room ---------------------------------------------------------
def _assert_caption_fits(grid: GridView) -> None:
    row = grid.caption_row
    assert row.isVisible() and grid.canvas.rect().contains(row.geometry())
    pieces = [w for w in (grid.crumbs, grid.caption, grid.notice, grid.job_bar, grid.save_all_button)
              if w.isVisible() and w.width() > 0]
    for piece in pieces:
        assert row.rect().contains(piece.geometry()), (piece.objectName(), piece.geometry(), row.rect())
    for a, b in combinations(pieces, 2):
        assert not a.geometry().intersects(b.geometry()), (a.objectName(), b.objectName())
    for button in grid.job_buttons():
        assert button.isVisible() and grid.job_bar.rect().contains(button.geometry())
    # The breadcrumbs are elided to their box, never cut by it.
    assert grid.crumbs.sizeHint().width() <= grid.crumbs.width() + 2


def _resize(qtbot, grid: GridView, width: int) -> None:
    grid.resize(width, 700)
    qtbot.waitUntil(lambda: grid.caption_row.width() <= max(1, width - 24))


def test_the_caption_gives_way_in_a_narrow_grid_without_overlapping(qtbot, qloop, sandbox):
    made = make_env(qtbot, sandbox, clock=sandbox.clock.now_datetime)
    try:
        root = made.run("diffusion", text="a lighthouse on a cliff at dusk --ar 3:2")
        up = made.grid.submit_action("upscale", {"type": 0}, made.grid._context(root, 1))
        qtbot.waitUntil(lambda: up.finished, timeout=TIMEOUT_MS)
        made.show(root)
        grid = made.grid
        assert grid.job_buttons() and not grid.save_all_button.isHidden()
        # Wide: everything in words.
        _assert_caption_fits(grid)
        assert f"seed {root.seed}" in grid.caption.text()
        assert not grid.job_buttons()[0].compact and not grid.save_all_button.compact
        for width in (520, 400, 320, 260, 200):
            _resize(qtbot, grid, width)
            _assert_caption_fits(grid)
        # Narrow: the seed went first, the buttons went to icons, the breadcrumb stayed.
        assert "seed" not in grid.caption.text()
        assert grid.job_buttons()[0].compact and grid.save_all_button.compact
        assert "diffusion" in grid.crumbs.text()

        # An expired job's notice and a longer lineage fit too.
        sandbox.clock.advance(timedelta(days=ACTION_VALID_DAYS, minutes=1).total_seconds())
        made.show(up)
        for width in (1000, 520, 360, 240):
            _resize(qtbot, grid, width)
            _assert_caption_fits(grid)
        assert grid.notice.isVisible()
        assert "U2" in grid.crumbs.text()
    finally:
        close_env(made)


def test_boxes_before_the_images_take_the_prompt_packages_size(qtbot, env):
    text = "a lighthouse on a cliff at dusk --ar 16:9 --v 8 --hd"
    params = Params.from_text(text)
    width, height = image_size(params.model, params.aspect, params.hd)
    entry = env.jobs.submit("diffusion", text=text)
    env.grid.show_job(entry.key)
    assert env.grid.canvas.aspect == pytest.approx(width / height, rel=1e-9)
    qtbot.waitUntil(lambda: entry.finished, timeout=TIMEOUT_MS)
    env.show(entry)
    decoded = env.grid.decoded(0)
    assert decoded.width / decoded.height == pytest.approx(width / height, rel=0.01)
    # A prompt the package cannot size (none at all) is shown square until the images land.
    blend = env.jobs.submit("blend", img_urls=entry.image_urls[:2], aspect_ratio="1:1")
    env.grid.show_job(blend.key)
    assert env.grid.canvas.aspect == 1.0
    qtbot.waitUntil(lambda: blend.finished, timeout=TIMEOUT_MS)
