"""The history browser: every stored job, searchable and filterable, opened in the grid with
its actions, reused, favourited, deleted with undo, with its lineage — through real sockets
against a sandbox, on the real window."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from studio.sandbox import SandboxServer
from studio.session.jobs import COMPLETED
from studio.store.query import JobQuery
from tests.studio_support import start_studio, stop_studio

PROMPTS = ("a foggy lighthouse at dawn --ar 3:2", "neon city street in rain --v 7",
           "a foggy forest with deer --niji 6")


@pytest.fixture
def server():
    with SandboxServer(keys=["test-key"], speed=50.0, image_size_cap=128) as srv:
        yield srv


@pytest.fixture
def studio(qtbot, qloop, server):
    studio = start_studio(qtbot, base_url=server.base_url)
    yield studio
    stop_studio(qtbot, studio)


def _run(qtbot, studio, *prompts):
    entries = [studio.jobs.submit("diffusion", text=p, prompt=p) for p in prompts]
    qtbot.waitUntil(lambda: all(e.finished and e.status == COMPLETED for e in entries), timeout=30000)
    qtbot.waitUntil(lambda: all(e.record.outputs and all(o.path for o in e.record.outputs) for e in entries),
                    timeout=10000)
    return entries


def _panel(qtbot, studio):
    window = studio.window
    window.history_dock.show()
    panel = window.history_panel
    qtbot.waitUntil(lambda: panel.browser.visible, timeout=5000)
    return panel


def _keys(panel) -> list[str]:
    return [panel.browser.key_at(i) for i in range(panel.browser.count)]


def test_search_narrows_the_view_and_the_count_and_filters_combine(qtbot, studio):
    a, b, c = _run(qtbot, studio, *PROMPTS)
    panel = _panel(qtbot, studio)
    qtbot.waitUntil(lambda: panel.browser.count == 3, timeout=5000)
    assert _keys(panel) == [c.key, b.key, a.key]  # newest first
    assert panel.filters.count.text() == "3 jobs"
    assert panel.grid_model.rowCount() >= 1 and panel.list_model.rowCount() == 3

    qtbot.keyClicks(panel.filters.search, "fogg")
    qtbot.waitUntil(lambda: panel.browser.count == 2, timeout=3000)
    assert set(_keys(panel)) == {a.key, c.key}
    assert panel.filters.count.text() == "2 of 3"

    panel.filters.refresh_choices()
    niji = panel.filters.model.findData(c.model)
    assert niji > 0
    panel.filters.model.setCurrentIndex(niji)  # and the model: one left
    qtbot.waitUntil(lambda: _keys(panel) == [c.key], timeout=3000)

    studio.jobs.edit(a.key, favourite=True)
    panel.filters.model.setCurrentIndex(0)
    panel.filters.favourite.setChecked(True)  # foggy and favourite
    qtbot.waitUntil(lambda: _keys(panel) == [a.key], timeout=3000)

    panel.filters.reset()
    qtbot.waitUntil(lambda: panel.browser.count == 3, timeout=3000)
    assert panel.filters.search.text() == "" and not panel.filters.favourite.isChecked()
    assert not panel.filters.clear.isEnabled()


@pytest.mark.parametrize("typed", ['"', "*", "-", "NEAR", '"foggy', "fog*", "a OR b", "(", "foggy -dawn", "^"])
def test_search_with_fts_syntax_never_errors(qtbot, studio, typed):
    _run(qtbot, studio, PROMPTS[0])
    panel = _panel(qtbot, studio)
    messages = []
    panel.status_message.connect(messages.append)
    panel.filters.search.setText(typed)
    qtbot.waitUntil(lambda: panel.browser.query.text == typed, timeout=3000)
    assert not [m for m in messages if "could not" in m]
    assert panel.browser.count in (0, 1)


def test_selecting_a_job_opens_it_in_the_grid_with_its_actions(qtbot, studio):
    a, b = _run(qtbot, studio, *PROMPTS[:2])
    studio.jobs.on_show.show(b.key)
    panel = _panel(qtbot, studio)
    qtbot.waitUntil(lambda: panel.browser.count == 2, timeout=5000)
    view = panel.grid_view
    index = panel.grid_model.index_of(panel.browser.position_of(a.key))
    view.setCurrentIndex(index)
    qtbot.waitUntil(lambda: studio.window.shown_key == a.key, timeout=3000)
    grid = studio.window.grid
    qtbot.waitUntil(lambda: grid.key == a.key and any(b.isEnabled() for b in grid.action_buttons(0)), timeout=5000)


def test_a_job_only_the_history_holds_is_brought_back_to_the_grid(qtbot, studio):
    (a,) = _run(qtbot, studio, PROMPTS[0])
    studio.jobs.hide(a.key)
    del studio.jobs._entries[a.key]  # as after a restart that did not restore it
    studio.jobs._by_job_id.pop(a.job_id)
    panel = _panel(qtbot, studio)
    qtbot.waitUntil(lambda: panel.browser.count == 1, timeout=5000)
    entry = panel.open_job(a.key)
    assert entry is not None and entry.key == a.key and entry.hidden  # not back in the queue
    assert studio.window.queue_panel.model.row_of(a.key) == -1
    qtbot.waitUntil(lambda: all(src is not None for src in entry.images), timeout=5000)
    assert studio.window.shown_key == a.key


def test_lineage_navigates_both_ways(qtbot, studio):
    (a,) = _run(qtbot, studio, PROMPTS[0])
    up = studio.jobs.submit("upscale", parent=(a.job_id, 1), job_id=a.job_id, image_no=1, type=0)
    qtbot.waitUntil(lambda: up.finished, timeout=30000)
    assert up.status == COMPLETED
    panel = _panel(qtbot, studio)
    qtbot.waitUntil(lambda: panel.browser.count == 2, timeout=5000)

    panel.go_to(up.key)
    labels = panel.lineage.items()
    assert [k for _l, k in labels] == [a.key, up.key]
    assert labels[0][0] == "diffusion" and "2" in labels[1][0]  # "U2": upscale of image 2
    # Up to the parent ...
    parent_item = panel.lineage.tree.topLevelItem(0)
    panel.lineage._clicked(parent_item)
    qtbot.waitUntil(lambda: studio.window.shown_key == a.key, timeout=3000)
    assert panel.selected_keys() == [a.key]
    # ... and down to the child.
    panel.lineage._clicked(panel.lineage.tree.topLevelItem(0).child(0))
    qtbot.waitUntil(lambda: studio.window.shown_key == up.key, timeout=3000)
    assert panel.selected_keys() == [up.key]


def test_use_prompt_fills_the_editor_and_undo_puts_back_the_draft(qtbot, studio):
    (a,) = _run(qtbot, studio, PROMPTS[1])
    state = studio.prompt_state
    state.set_text("my draft --ar 1:1", origin="program")
    panel = _panel(qtbot, studio)
    qtbot.waitUntil(lambda: panel.browser.count == 1, timeout=5000)
    panel.actions.run("use_prompt", [a.key])
    assert state.text() == PROMPTS[1]
    assert studio.window.editor.text_edit.toPlainText() == PROMPTS[1]
    state.undo_stack.undo()
    assert state.text() == "my draft --ar 1:1"


def test_image_prompt_and_style_reference_go_into_the_prompt(qtbot, studio):
    (a,) = _run(qtbot, studio, PROMPTS[1])
    state = studio.prompt_state
    state.set_text("a cat --v 7", origin="program")
    panel = _panel(qtbot, studio)
    qtbot.waitUntil(lambda: panel.browser.count == 1, timeout=5000)
    url = a.image_urls[2]
    panel.actions.run("image_prompt", [a.key], 2)
    assert state.text().startswith(url + " ")
    panel.actions.run("style_ref", [a.key], 0)
    assert f"--sref {a.image_urls[0]}" in state.text()
    menu = panel.actions.menu([a.record], panel)
    labels = [act.text() for act in menu.actions()]
    assert "Use as image prompt" in labels and "Open in grid" in labels


def test_delete_asks_then_undo_puts_jobs_and_files_back_in_place(qtbot, studio):
    a, b, c = _run(qtbot, studio, *PROMPTS)
    panel = _panel(qtbot, studio)
    qtbot.waitUntil(lambda: panel.browser.count == 3, timeout=5000)
    files = studio.jobs.files(b.key)
    assert len(files) == 4
    box = panel.actions.run("delete", [b.key])
    drop = next(btn for btn in box.buttons() if btn.text() == "Delete with files")
    drop.click()
    qtbot.waitUntil(lambda: _keys(panel) == [c.key, a.key], timeout=3000)
    assert not any(f.exists() for f in files)
    assert studio.jobs.entry(b.key) is None and studio.window.queue_panel.model.row_of(b.key) == -1
    assert panel.undo_bar.isVisibleTo(panel)

    panel.undo_button.click()
    qtbot.waitUntil(lambda: _keys(panel) == [c.key, b.key, a.key], timeout=3000)  # where it was
    assert all(f.is_file() for f in files)
    assert studio.jobs.stored(b.key).prompt == PROMPTS[1]

    # Deleted again and the undo let go of: the files go for good.
    panel.actions.delete([b.key], keep_files=False)
    panel._dismiss_undo()
    assert not any(f.exists() for f in files)
    assert not (studio.jobs.archive.root / studio.jobs.archive.ASIDE / b.key).exists()


def test_delete_keeping_files_and_refusing_a_running_job(qtbot, studio):
    (a,) = _run(qtbot, studio, PROMPTS[0])
    panel = _panel(qtbot, studio)
    files = studio.jobs.files(a.key)
    panel.actions.delete([a.key], keep_files=True)
    qtbot.waitUntil(lambda: panel.browser.count == 0, timeout=3000)
    assert all(f.is_file() for f in files)
    assert "No jobs yet" in panel.grid_view.empty_text

    running = studio.jobs.submit("diffusion", text=PROMPTS[1], prompt=PROMPTS[1])
    messages = []
    panel.status_message.connect(messages.append)
    assert panel.actions.delete([running.key], keep_files=True) is None
    assert messages and "still running" in messages[-1]
    qtbot.waitUntil(lambda: running.finished, timeout=30000)


def test_favourite_tags_and_notes_are_kept_and_searchable(qtbot, studio):
    (a,) = _run(qtbot, studio, PROMPTS[0])
    panel = _panel(qtbot, studio)
    qtbot.waitUntil(lambda: panel.browser.count == 1, timeout=5000)
    panel.actions.run("favourite", [a.key])
    assert studio.jobs.stored(a.key).favourite
    box = panel.actions.run("tags", [a.key])
    box.setTextValue("client A,  moody , client A, ")
    box.accept()
    assert studio.jobs.stored(a.key).tags == ["client A", "moody"]
    box = panel.actions.run("notes", [a.key])
    box.setTextValue("sent to the printer ✓ — עברית")
    box.accept()
    # A later save of the live job keeps the edits (the session's copy was changed too).
    studio.jobs._changed(a)
    stored = studio.store.get(a.key)
    assert stored.favourite and stored.tags == ["client A", "moody"] and "printer" in stored.notes
    assert [r.key for r in studio.store.search("printer")] == [a.key]
    panel.filters.refresh_choices()
    panel.filters.tag.setCurrentIndex(panel.filters.tag.findData("moody"))
    qtbot.waitUntil(lambda: panel.browser.query.tag == "moody" and panel.browser.count == 1, timeout=3000)


def test_the_browser_reads_only_what_is_on_screen(qtbot, qloop):
    """Thousands of stored jobs: the view asks for a few pages, never every record."""
    from studio.session.jobs import JobsSession
    from studio.store.db import JobStore
    from studio.store.records import JobRecord, Status
    from studio.ui.history.panel import HistoryPanel

    store = JobStore.memory()
    with store._transaction() as conn:
        for i in range(5000):
            store._write(conn, JobRecord(op="diffusion", prompt=f"job {i} lighthouse" if i % 2 else f"job {i}",
                                         status=Status.COMPLETED, job_id=f"id{i}", created_at=1_700_000_000 + i))
    jobs = JobsSession(store=store)
    panel = HistoryPanel(jobs)
    qtbot.addWidget(panel)
    panel.resize(900, 400)
    panel.show()
    panel.set_visible(True)
    assert panel.browser.count == 5000
    qtbot.waitUntil(lambda: len(panel.browser._cache) > 0, timeout=3000)
    assert len(panel.browser._cache) <= 2 * 120
    assert panel.browser.key_at(0) == store.search(limit=1)[0].key
    panel.grid_view.scrollToBottom()
    qtbot.waitUntil(lambda: panel.browser.record(4999) is not None, timeout=3000)
    assert len(panel.browser._cache) <= 4 * 120
    panel.filters.search.setText("lighthouse")
    qtbot.waitUntil(lambda: panel.browser.count == 2500, timeout=3000)
    assert panel.filters.count.text() == "2,500 of 5,000"


def test_lineage_and_breadcrumbs_reach_ancestors_only_the_history_holds(qtbot, qloop):
    from studio.session.history_browser import HistoryBrowser
    from studio.session.jobs import JobsSession
    from studio.store.db import JobStore
    from studio.store.records import JobRecord, Status

    store = JobStore.memory()
    root = JobRecord(op="diffusion", prompt="castle", status=Status.COMPLETED, job_id="root")
    up = JobRecord(op="upscale", status=Status.COMPLETED, job_id="up", parent_job_id="root", parent_index=1)
    pan = JobRecord(op="pan", status=Status.COMPLETED, job_id="pan", parent_job_id="up", parent_index=0,
                    request={"job_id": "up", "image_no": 0, "direction": 1, "scale": 1.5})
    vary = JobRecord(op="variation", status=Status.COMPLETED, job_id="vary", parent_job_id="root", parent_index=3)
    for r in (root, up, pan, vary):
        store.put(r)
    jobs = JobsSession(store=store)
    entry = jobs.open(pan.key)
    assert entry is not None and entry.hidden
    assert [e.key for e in jobs.lineage(pan.key)] == [root.key, up.key, pan.key]
    assert jobs.entry(root.key) is None  # only read for the breadcrumb, not brought in
    tree = HistoryBrowser(jobs).lineage(pan.key)
    assert tree.record.key == root.key
    assert [n.record.key for n in tree.walk()] == [root.key, up.key, pan.key, vary.key]


def test_query_filters_combine_in_the_store():
    from studio.store.db import JobStore
    from studio.store.records import JobRecord, Status

    store = JobStore.memory()
    rows = [
        JobRecord(op="diffusion", prompt="red fox", model="7", status=Status.COMPLETED, created_at=100),
        JobRecord(op="upscale", prompt="red fox", model="7", status=Status.FAILED, created_at=200),
        JobRecord(op="diffusion", prompt="blue fox", model="niji 6", status=Status.COMPLETED, created_at=300,
                  favourite=True, tags=["t"]),
    ]
    for r in rows:
        store.put(r)

    def keys(**q):
        return [r.key for r in store.history_rows(store.history_ids(JobQuery(**q))).values()]

    assert store.history_ids(JobQuery()) == sorted(store.history_ids(JobQuery()), reverse=True)
    assert set(keys(text="fox")) == {r.key for r in rows}
    assert keys(text="red", op="upscale") == [rows[1].key]
    assert keys(status=("failed", "error")) == [rows[1].key]
    assert keys(since=150, until=250) == [rows[1].key]
    assert keys(favourite=True, tag="t", model="niji 6") == [rows[2].key]
    assert store.values("op") == ["diffusion", "upscale"]
    taken = store.take_out([rows[0].key])
    assert store.count() == 2
    store.put_back(taken)
    assert store.history_ids(JobQuery())[-1] == taken[0][0]


def test_export_from_the_history_then_reading_it_back_gives_the_same_prompt(qtbot, studio, tmp_path):
    from studio.store.exports import read_export

    (a,) = _run(qtbot, studio, PROMPTS[2])
    panel = _panel(qtbot, studio)
    qtbot.waitUntil(lambda: panel.browser.count == 1, timeout=5000)
    task = panel.export_to([a.key], str(tmp_path / "out"))
    qtbot.waitUntil(task.done, timeout=10000)
    written = [p for p in task.result() if p.suffix != ".json"]
    assert len(written) == 4
    for index, path in enumerate(sorted(written)):
        meta = read_export(path)
        assert meta is not None and meta.prompt == PROMPTS[2] and meta.job_id == a.job_id
        assert meta.model == a.model and meta.seed == a.seed


@pytest.mark.parametrize("mode", ["grid", "list"])
def test_new_jobs_come_in_on_top_without_rereading_the_list_and_the_selection_stays(qtbot, studio, mode):
    a, b = _run(qtbot, studio, *PROMPTS[:2])
    panel = _panel(qtbot, studio)
    panel.set_mode(mode)
    qtbot.waitUntil(lambda: panel.browser.count == 2, timeout=5000)
    panel.select_keys([a.key])
    assert panel.selected_keys() == [a.key]
    reads: list[int] = []
    real = studio.jobs.store.history_ids

    def spy(query, *, after=0):
        reads.append(after)
        return real(query, after=after)

    studio.jobs.store.history_ids = spy
    (c,) = _run(qtbot, studio, PROMPTS[2])
    qtbot.waitUntil(lambda: panel.browser.count == 3, timeout=5000)
    assert _keys(panel) == [c.key, b.key, a.key]
    assert reads and all(after > 0 for after in reads)  # only the rows newer than the list's newest
    assert panel.selected_keys() == [a.key]  # the selection moved with its job
    assert panel.filters.count.text() == "3 jobs"


def test_a_finished_job_enters_a_status_filter_it_now_matches(qtbot, studio):
    (a,) = _run(qtbot, studio, PROMPTS[0])
    panel = _panel(qtbot, studio)
    panel.browser.set_query(JobQuery(status="completed"))
    qtbot.waitUntil(lambda: _keys(panel) == [a.key], timeout=5000)
    (b,) = _run(qtbot, studio, PROMPTS[1])
    qtbot.waitUntil(lambda: _keys(panel) == [b.key, a.key], timeout=5000)


def test_thumbnails_are_read_at_their_size_with_rounded_corners(qapp, tmp_path):
    from PIL import Image
    from PySide6.QtCore import QSize

    from studio.ui.history.thumbs import read_thumbnail

    path = tmp_path / "wide.png"
    Image.new("RGB", (600, 300), (200, 40, 40)).save(path)
    image = read_thumbnail(path, QSize(150, 150))
    assert (image.width(), image.height()) == (150, 75)  # fitted, never stretched
    assert image.pixelColor(0, 0).alpha() == 0  # a rounded corner: the tile paints it unclipped
    assert image.pixelColor(75, 37).alpha() == 255 and image.pixelColor(75, 37).red() == 200
    assert read_thumbnail(tmp_path / "gone.png", QSize(150, 150)) is None


def test_files_deleted_by_hand_are_downloaded_again_while_the_server_keeps_them(qtbot, studio):
    (a,) = _run(qtbot, studio, PROMPTS[0])
    studio.jobs.hide(a.key)
    del studio.jobs._entries[a.key]  # only the history holds it now
    studio.jobs._by_job_id.pop(a.job_id)
    panel = _panel(qtbot, studio)
    qtbot.waitUntil(lambda: panel.browser.count == 1, timeout=5000)
    record = studio.jobs.stored(a.key)
    paths = [studio.jobs.archive.absolute(o.path) for o in record.outputs]
    menu = panel.actions.menu([record], panel)
    download = next(act for act in menu.actions() if act.text() == "Download again")
    assert not download.isEnabled() and "in the archive" in download.toolTip()

    for path in paths[:2]:
        path.unlink()
    index = panel.grid_model.index_of(0)
    assert "Download again" in panel.grid_model.data(index, Qt.ItemDataRole.ToolTipRole)
    menu = panel.actions.menu([studio.jobs.stored(a.key)], panel)
    download = next(act for act in menu.actions() if act.text() == "Download again")
    assert download.isEnabled()
    download.trigger()
    qtbot.waitUntil(lambda: all(p.is_file() for p in paths), timeout=10000)
    assert studio.window.queue_panel.model.row_of(a.key) == -1  # fetched, not put back in the queue


def test_old_jobs_say_their_missing_files_cannot_be_fetched_again(qtbot, studio):
    (a,) = _run(qtbot, studio, PROMPTS[0])
    record = studio.jobs.stored(a.key)
    studio.jobs.archive.absolute(record.outputs[0].path).unlink()
    record.created_at -= 31 * 24 * 3600
    panel = _panel(qtbot, studio)
    assert "30 days" in panel.actions.unavailable("download", record)


def test_a_narrow_history_keeps_its_filters_in_a_popup_that_counts_them(qtbot, studio):
    _run(qtbot, studio, PROMPTS[0])
    panel = _panel(qtbot, studio)
    bar = panel.filters
    dock = studio.window.history_dock
    dock.setFloating(True)  # sized here, not by the window's layout
    dock.resize(520, 320)
    qtbot.waitUntil(lambda: bar.compact, timeout=3000)
    assert bar.more.isVisible() and bar.more.text() == "Filters"
    assert bar.model.parent() is bar.popup and not bar.model.isVisible()  # not in the bar
    assert bar.row.heightForWidth(520) < 60  # one line
    popup = bar.show_filters()
    qtbot.waitUntil(popup.isVisible, timeout=3000)
    assert bar.model.isVisible() and bar.favourite.isVisible()
    bar.favourite.setChecked(True)
    bar.status.setCurrentIndex(1)
    qtbot.waitUntil(lambda: bar.more.text() == "Filters · 2", timeout=3000)
    assert panel.browser.query.favourite and panel.browser.query.status == "completed"
    popup.hide()
    dock.resize(1900, 320)
    qtbot.waitUntil(lambda: not bar.compact, timeout=3000)
    assert bar.model.parent() is bar and not bar.more.isVisible()
    assert bar.favourite.isChecked() and bar.status.currentIndex() == 1  # nothing chosen was lost


def test_a_set_is_seen_together_and_sent_again_from_the_history(qtbot, studio):
    window = studio.window
    first = window.jobs.submit_set(["a fox --ar 1:1", "a fox --ar 16:9"])
    qtbot.waitUntil(lambda: all(e.finished for e in first), timeout=15000)
    (alone,) = _run(qtbot, studio, PROMPTS[0])
    panel = _panel(qtbot, studio)
    qtbot.waitUntil(lambda: panel.browser.count == 3, timeout=5000)
    record = studio.jobs.stored(first[1].key)
    tip = panel.grid_model.data(panel.grid_model.index_of(panel.browser.position_of(record.key)),
                                Qt.ItemDataRole.ToolTipRole)
    assert "Prompt 2 of a set of 2" in tip
    menu = panel.actions.menu([record], panel)
    texts = {a.text(): a for a in menu.actions()}
    assert texts["Send the set again (2 prompts)…"].isEnabled()
    show = texts["Show its set (2 prompts)"]
    show.trigger()
    qtbot.waitUntil(lambda: set(_keys(panel)) == {first[0].key, first[1].key}, timeout=3000)
    assert panel.filters.set_chip.isVisible() and "Set of 2" in panel.filters.set_chip.text()
    single = panel.actions.menu([studio.jobs.stored(alone.key)], panel)
    assert not next(a for a in single.actions() if a.text() == "Show its set").isEnabled()

    texts["Send the set again (2 prompts)…"].trigger()
    dialog = window.set_dialog
    assert dialog is not None and dialog.list.count() == 2 and "160 credits" in dialog.summary.text()
    dialog.close()
    panel.filters.set_chip.click()  # every job again
    qtbot.waitUntil(lambda: panel.browser.count == 3, timeout=3000)
    assert not panel.filters.set_chip.isVisible()
