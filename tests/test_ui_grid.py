"""The grid against the sandbox: how many images, which buttons (exactly what the server's
available_actions lists), progress boxes while a job runs, letterboxing, off-thread decoding,
unknown and expired actions, lineage breadcrumbs, the viewer, keyboard reach."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from studio.ui.grid import loader as image_loader
from studio.ui.grid.action_bar import ActionButton
from studio.ui.grid.actions import ACTION_VALID_DAYS
from studio.ui.grid.media import media_of
from test_ui_grid_support import (  # noqa: F401  (fixtures are found by name)
    RECIPES,
    TOOLS,
    close_env,
    env,
    expected_buttons,
    expected_job_buttons,
    make_env,
    server_buttons,
    tool_buttons,
)

# How many images each task type's grid must show (upscale-like jobs: 1; the rest: 4).
EXPECTED_COUNT = {
    "diffusion": 4, "upscale": 1, "variation": 4, "remix": 4, "reroll": 4, "pan": 4,
    "outpaint": 4, "inpaint": 4, "blend": 4, "draft": 4, "v8": 4,
    "edit": 4, "upload_paint": 4, "enhance": 1, "retexture": 4, "video_diffusion": 4,
}


@pytest.mark.parametrize("task", list(RECIPES))
def test_grid_shows_each_task_types_images_and_exactly_the_offered_buttons(qtbot, env, task):
    entry = RECIPES[task](env)
    env.show(entry)
    grid = env.grid

    assert grid.image_count() == EXPECTED_COUNT[task] == len(media_of(entry).urls)
    assert entry.available_actions, "the sandbox offers actions on every finished image or video job"
    for i in range(grid.image_count()):
        names = sorted(b.name for b in server_buttons(grid, i))
        assert names == expected_buttons(entry, i)
        # then the studio's tools, on every image of an image job (never on a video)
        tools = [b.name for b in tool_buttons(grid, i)]
        assert tools == ([] if media_of(entry).kind == "video" else TOOLS)
        assert [b.name for b in grid.action_buttons(i)][len(names):] == tools  # after the server's
        # every listed action is one the studio knows: enabled, labelled, iconned
        for button in grid.action_buttons(i):
            assert button.isEnabled(), (button.name, button.toolTip())
            assert button.spec is not None and button.text() == button.spec.label
            assert not button.icon().isNull()
    assert sorted(b.name for b in grid.job_buttons()) == expected_job_buttons(entry)
    if task == "draft":
        assert "enhance" in expected_buttons(entry, 0)
    if task == "v8":
        assert "animate" in expected_buttons(entry, 0) and "upscale" not in expected_buttons(entry, 0)


def test_progress_boxes_while_running_then_images(qtbot, env):
    entry = env.jobs.submit("diffusion", text="a paper boat on a pond --ar 2:3")
    env.grid.show_job(entry.key)
    # Before the job is done: four waiting boxes with the status word, no buttons yet.
    assert env.grid.image_count() == 4
    cells = [t.cell for t in env.grid.tiles]
    assert all(c.image is None and c.status for c in cells)
    assert all(not t.buttons for t in env.grid.tiles)
    assert env.grid.job_buttons() == []
    seen_words: set[str] = set()
    env.jobs.job_changed.connect(lambda _k: seen_words.update(t.cell.status for t in env.grid.tiles))
    qtbot.waitUntil(lambda: entry.finished, timeout=20000)
    qtbot.waitUntil(lambda: env.grid.displayed_count() == 4, timeout=20000)
    assert seen_words & {"queued", "downloading", "decoding"} or any(w.startswith("processing") for w in seen_words)
    assert sorted(b.name for b in server_buttons(env.grid, 0)) == expected_buttons(entry, 0)
    # caption: seed · size · elapsed; breadcrumb starts at the task type
    decoded = env.grid.decoded(0)
    assert decoded is not None
    caption = env.grid.caption.text()
    assert f"seed {entry.seed}" in caption and f"{decoded.width}×{decoded.height}" in caption
    assert caption.rstrip().endswith(" s")
    assert "diffusion" in env.grid.crumbs.text()


def test_images_are_letterboxed_never_stretched_or_cropped(qtbot, env):
    entry = env.run("diffusion", text="a tall tower --ar 2:3")
    env.show(entry)
    for tile in env.grid.tiles:
        cell = tile.cell
        src_w, src_h = cell.source_size
        assert src_h > src_w  # 2:3 portrait
        rect = cell.image_rect()
        assert abs(rect.width() / rect.height() - src_w / src_h) < 0.01  # aspect kept
        assert cell.rect().contains(rect.toAlignedRect().adjusted(1, 1, -1, -1))  # not cropped
        shown = cell.image
        assert abs(shown.width() / shown.height() - src_w / src_h) < 0.02
        # scaled down to display size, not the full decode
        assert shown.width() <= rect.width() * cell.devicePixelRatioF() + 2
    # 8 px gutters between the image boxes of a row
    left, right = env.grid.tiles[0].cell, env.grid.tiles[1].cell
    gap = right.mapTo(env.grid, right.image_rect().topLeft().toPoint()).x() - left.mapTo(
        env.grid, left.image_rect().topRight().toPoint()
    ).x()
    assert 7 <= gap <= 9


def test_images_are_decoded_off_the_gui_thread(qtbot, env, monkeypatch):
    threads: list[threading.Thread] = []
    real = image_loader._load

    def spy(data, w, h):
        threads.append(threading.current_thread())
        return real(data, w, h)

    monkeypatch.setattr(image_loader, "_load", spy)
    env.grid.loader = image_loader.ImageLoader()  # a fresh cache: every image is decoded here
    entry = env.run("diffusion", text="four small moons")
    env.show(entry)
    assert len(threads) == 4
    assert all(t is not threading.main_thread() for t in threads)


def test_unknown_action_names_are_shown_disabled_with_their_name(qtbot, env):
    entry = env.run("diffusion", text="a quiet harbour")
    # A newer server offers actions this studio has never heard of.
    entry.job.output.available_actions["zoom_magic"] = [0, 2]
    entry.job.output.available_actions["storyboard"] = True
    env.show(entry)
    for i in range(4):
        names = [b.name for b in env.grid.action_buttons(i)]
        assert ("zoom_magic" in names) == (i in (0, 2))
    unknown = env.grid.button("zoom_magic", 0)
    assert not unknown.isEnabled() and unknown.text() == "zoom_magic"
    assert "does not know" in unknown.toolTip()
    job_level = env.grid.button("storyboard")
    assert not job_level.isEnabled() and job_level.text() == "storyboard"
    # The known ones are still there and usable.
    assert env.grid.button("upscale", 0).isEnabled()
    before = len(env.sandbox.state.requests)
    qtbot.mouseClick(unknown, Qt.MouseButton.LeftButton)
    assert env.grid.active_popover is None and len(env.sandbox.state.requests) == before


def test_expired_job_disables_every_action_with_the_reason(qtbot, qloop, sandbox):
    made = make_env(qtbot, sandbox, clock=sandbox.clock.now_datetime)
    try:
        entry = made.run("diffusion", text="an old photograph")
        made.show(entry)
        assert all(b.isEnabled() for t in made.grid.tiles for b in t.buttons)
        assert made.grid.notice.isHidden()

        sandbox.clock.advance(timedelta(days=ACTION_VALID_DAYS, minutes=1).total_seconds())
        made.grid.show_job(entry.key)  # re-check (the grid also re-checks once a minute)
        buttons: list[ActionButton] = [b for i in range(4) for b in server_buttons(made.grid, i)] + made.grid.job_buttons()
        assert len(buttons) == sum(len(expected_buttons(entry, i)) for i in range(4)) + 1
        for button in buttons:
            assert not button.isEnabled()
            assert "valid for 3 days" in button.toolTip()
            # keeps its place: on the row, or in the "More" menu (disabled there too)
            assert button.isVisible() or button in made.grid.tiles[button.image_no or 0].bar.overflowed
        # The server keeps images 30 days: the studio's tools, sent by web address, stay usable.
        assert all(b.isEnabled() for i in range(4) for b in tool_buttons(made.grid, i))
        assert made.grid.notice.isVisibleTo(made.grid) and "expired" in made.grid.notice.text().lower()
        before = len(sandbox.state.requests)
        qtbot.mouseClick(made.grid.button("variation", 0), Qt.MouseButton.LeftButton)
        assert made.grid.active_popover is None and len(sandbox.state.requests) == before
    finally:
        close_env(made)


def test_the_caption_says_how_long_actions_have_left_in_their_last_day(qtbot, qloop, sandbox):
    made = make_env(qtbot, sandbox, clock=sandbox.clock.now_datetime)
    try:
        entry = made.run("diffusion", text="a harbour at noon")
        made.show(entry)
        assert made.grid.notice.isHidden()  # days left: nothing to say
        sandbox.clock.advance(timedelta(days=ACTION_VALID_DAYS, hours=-5, minutes=-30).total_seconds())
        made.grid.show_job(entry.key)
        assert made.grid.notice.isVisibleTo(made.grid)
        assert "expire in 6 h" in made.grid.notice.text().lower()
        assert all(b.isEnabled() for t in made.grid.tiles for b in t.buttons)  # still valid
        sandbox.clock.advance(timedelta(hours=6).total_seconds())
        made.grid.show_job(entry.key)
        assert "expired" in made.grid.notice.text().lower()
    finally:
        close_env(made)


def test_just_under_three_days_is_still_actionable(qtbot, qloop, sandbox):
    made = make_env(qtbot, sandbox, clock=sandbox.clock.now_datetime)
    try:
        entry = made.run("diffusion", text="a fresh photograph")
        sandbox.clock.advance(timedelta(days=ACTION_VALID_DAYS, minutes=-5).total_seconds())
        made.show(entry)
        assert all(b.isEnabled() for t in made.grid.tiles for b in t.buttons)
    finally:
        close_env(made)


def test_breadcrumb_follows_lineage_and_links_back(qtbot, env):
    root = env.run("diffusion", text="a castle on a cliff")
    env.show(root)
    ctx_up = env.grid._context(root, 1)
    up = env.grid.submit_action("upscale", {"type": 0}, ctx_up)
    qtbot.waitUntil(lambda: up.finished, timeout=20000)
    assert up.parent == (root.job_id, 1)
    env.show(up)
    pan = env.grid.submit_action("pan", {"direction": 1, "scale": 1.5}, env.grid._context(up, 0))
    qtbot.waitUntil(lambda: pan.finished, timeout=20000)
    env.show(pan)
    text = env.grid.crumbs.text()
    plain = _strip_tags(text)
    assert plain == "diffusion › U2 › pan right"
    assert f'href="job:{root.key}"' in text and f'href="job:{up.key}"' in text
    env.grid.crumbs.linkActivated.emit(f"job:{root.key}")
    assert env.grid.key == root.key


def test_clicking_an_image_opens_it_large_with_seed_and_size(qtbot, env):
    entry = env.run("diffusion", text="a red kite --ar 16:9")
    env.show(entry)
    cell = env.grid.tiles[2].cell
    qtbot.mouseClick(cell, Qt.MouseButton.LeftButton, pos=cell.rect().center())
    viewer = env.grid.viewer
    assert viewer is not None and viewer.isVisible()
    decoded = env.grid.decoded(2)
    assert f"seed {entry.seed}" in viewer.info.text()
    assert f"{decoded.width}×{decoded.height}" in viewer.info.text()
    assert "image 3 of 4" in viewer.info.text()
    # the large picture is rescaled (off-thread) to the viewer's size, bigger than the cell's
    qtbot.waitUntil(lambda: viewer.picture.image is not None and viewer.picture.image.width() > cell.image.width())
    qtbot.keyClick(viewer, Qt.Key.Key_Right)
    assert "image 4 of 4" in viewer.info.text()
    viewer.close()


def test_actions_are_reachable_by_keyboard_and_show_fully_on_focus(qtbot, env):
    entry = env.run("diffusion", text="a tram in the rain")
    env.show(entry)
    env.grid.activateWindow()
    first = env.grid.tiles[0]
    first.cell.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(first.cell.hasFocus)
    assert first.hot and first._effect.opacity() == 1.0
    # Tab goes from the image to its first action button, then along the row.
    order = [first.cell] + first.buttons
    for widget, following in zip(order, order[1:]):
        assert widget.nextInFocusChain() is following or _next_focusable(widget) is following
    resting = env.grid.tiles[3]
    assert not resting.hot and resting._effect.opacity() < 1.0
    for button in resting.buttons:
        assert button.focusPolicy() & Qt.FocusPolicy.TabFocus
    # Enter on a focused image opens the viewer.
    qtbot.keyClick(first.cell, Qt.Key.Key_Return)
    assert env.grid.viewer is not None and env.grid.viewer.index == 0
    env.grid.viewer.close()
    # Enter on a focused action button opens its popover, anchored to it.
    upscale = env.grid.button("upscale", 0)
    upscale.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.keyClick(upscale, Qt.Key.Key_Return)
    popover = env.grid.active_popover
    assert popover is not None and popover.spec.name == "upscale" and popover.ctx.image_no == 0
    popover.close()


def test_buttons_rest_dim_and_show_fully_on_hover(qtbot, env):
    from PySide6.QtCore import QEvent, QPointF
    from PySide6.QtGui import QEnterEvent

    entry = env.run("diffusion", text="a glass of water")
    env.show(entry)
    tile = env.grid.tiles[1]
    assert tile._effect.opacity() < 1.0
    QApplication.sendEvent(tile, QEnterEvent(QPointF(4, 4), QPointF(4, 4), QPointF(4, 4)))
    assert tile.hot and tile._effect.opacity() == 1.0 and tile.cell.hot
    QApplication.sendEvent(tile, QEvent(QEvent.Type.Leave))
    assert not tile.hot and tile._effect.opacity() < 1.0


def test_resizing_rescales_the_images_off_thread_to_the_new_size(qtbot, env):
    entry = env.run("diffusion", text="a map of an island --ar 1:1")
    env.show(entry)
    before = env.grid.tiles[0].cell.image.width()
    env.grid.resize(600, 500)
    qtbot.waitUntil(lambda: env.grid.tiles[0].cell.image.width() < before, timeout=5000)
    cell = env.grid.tiles[0].cell
    rect = cell.image_rect()
    # the new copy is the box's size (not the old one painted smaller)
    assert abs(cell.image.width() / cell.image.devicePixelRatio() - rect.width()) <= 2
    assert all(t.cell.image is not None for t in env.grid.tiles)


def test_a_corrupt_download_shows_a_message_not_a_crash(qtbot, env):
    entry = env.run("diffusion", text="a broken mirror")
    entry.images[1] = b"\x89PNG\r\n\x1a\n not really a png"
    env.grid.loader = image_loader.ImageLoader()
    env.grid.show_job(entry.key)
    qtbot.waitUntil(lambda: env.grid.displayed_count() == 3 and env.grid.tiles[1].cell.error is not None)
    assert "could not be read" in env.grid.tiles[1].cell.error


def test_empty_state_says_what_to_do(qtbot, env):
    assert env.grid.image_count() == 0
    assert "Ctrl+Enter" in env.grid.message.text()


def _strip_tags(html: str) -> str:
    import re

    return re.sub(r"<[^>]+>", "", html).replace("&gt;", ">").replace("&lt;", "<").replace("&amp;", "&")


def _next_focusable(widget):
    nxt = widget.nextInFocusChain()
    while nxt is not None and nxt is not widget and not (nxt.focusPolicy() & Qt.FocusPolicy.TabFocus):
        nxt = nxt.nextInFocusChain()
    return nxt
