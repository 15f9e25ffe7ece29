"""The Tools menu and dock in the real window against the sandbox over loopback: blend (2 to 5
images dropped or pasted, reordered, removed, the aspect, the cost), describe and the other tools
from an image address or a dropped history image, shorten of the prompt in the editor. Each
asserts the request the sandbox received (every address is on loopback: previews fetch them), the result on the grid (followed) and in the history,
and the words for what is refused before sending; nothing already made is lost."""

from __future__ import annotations

from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from studio.store.query import JobQuery
from studio.ui.grid.action_dialogs import ConfirmPopover, OptionsPopover
from studio.ui.operations.dock import ToolsDock
from studio.ui.prompt.reference_wells import LEGNEXT_IMAGE_MIME
from studio_support import start_studio, stop_studio

import pytest

TIMEOUT = 20_000


@pytest.fixture
def studio(qtbot, qloop, sandbox):
    s = start_studio(qtbot, base_url=sandbox.base_url, size=(1440, 900))
    yield s
    stop_studio(qtbot, s)


def _posts(sandbox, path: str) -> list:
    return [r.json_body for r in sandbox.state.requests if r.method == "POST" and r.path.endswith(path)]


def _drop(widget, mime: QMimeData) -> None:
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    widget.dropEvent(event)


def _urls_mime(*urls: str) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl(u) for u in urls])
    mime.setText("\n".join(urls))
    return mime


def _grid_job(qtbot, window, text="a lighthouse at dusk --ar 3:2"):
    entry = window.submit_prompt(text)
    qtbot.waitUntil(lambda: window.grid_ready(entry.key), timeout=TIMEOUT)
    return entry


def _open(qtbot, window, label: str) -> ToolsDock:
    window.tools_actions[label].trigger()
    dock = window.tools_dock
    assert dock.isVisible()
    return dock


def test_blend_from_dropped_and_pasted_images_reordered_with_its_aspect(qtbot, studio, sandbox):
    window = studio.window
    a = _grid_job(qtbot, window)
    b = _grid_job(qtbot, window, "a fox in the snow --ar 1:1")
    dock = _open(qtbot, window, "Blend images…")
    page = dock.blend_page
    assert dock.tabs.currentWidget() is page
    assert not page.send_button.isEnabled() and "Add 2 more images" in page.send_button.toolTip()
    assert page.cost.text() == "80 credits"
    _drop(page.drop, _urls_mime(a.image_urls[0]))  # a grid image dragged onto the dock
    mime = QMimeData()  # several history images at once: their addresses, a line each
    mime.setData(LEGNEXT_IMAGE_MIME, b.image_urls[1].encode())
    mime.setText("\n".join([b.image_urls[1], b.image_urls[2]]))
    _drop(page.drop, mime)
    page.field.setText(f"{sandbox.origin}/photos/sky.jpg")
    page.add_button.click()
    assert page.urls == [a.image_urls[0], b.image_urls[1], b.image_urls[2], f"{sandbox.origin}/photos/sky.jpg"]
    qtbot.waitUntil(lambda: all(item.thumb.pixmap() and not item.thumb.pixmap().isNull()
                                for item in page.items[:3]), timeout=TIMEOUT)
    # A file from this computer is refused in words; nothing is added or pasted.
    _drop(page.drop, _urls_mime("file:///home/ada/Pictures/cat.png"))
    assert "cat.png is a file on this computer" in page.problem.text() and len(page.items) == 4
    page.move(page.items[3], -1)  # the sky one place up
    page.remove(page.items[0])
    page.add_urls([f"{sandbox.origin}/{n}.png" for n in "abc"])
    assert len(page.items) == 5 and "Blend takes 2 to 5 images" in page.problem.text()
    page.remove(page.items[-1])
    page.aspect_buttons["3:2"].click()
    expected = [b.image_urls[1], f"{sandbox.origin}/photos/sky.jpg", b.image_urls[2], f"{sandbox.origin}/a.png"]
    assert [item.number.text() for item in page.items] == ["1", "2", "3", "4"]
    page.send_button.click()
    qtbot.waitUntil(lambda: len(_posts(sandbox, "/v1/blend")) == 1, timeout=TIMEOUT)
    assert _posts(sandbox, "/v1/blend")[0] == {"imgUrls": expected, "aspect_ratio": "3:2"}
    blend = studio.jobs.entries()[-1]
    assert blend.op == "blend"
    qtbot.waitUntil(lambda: window.grid_ready(blend.key), timeout=TIMEOUT)  # the grid followed it
    width, height = window.grid.decoded(0).size
    assert abs(width / height - 1.5) < 0.02
    assert studio.jobs.store.count(JobQuery(op="blend")) == 1


def test_describe_a_dropped_history_image_then_use_a_prompt_with_undo(qtbot, studio, sandbox, tmp_path):
    window = studio.window
    parent = _grid_job(qtbot, window)
    dock = _open(qtbot, window, "Describe an image…")
    page = dock.image_page
    # The history drags both the archived file and the web address: the address is taken.
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(tmp_path / "archived.png"))])
    mime.setData(LEGNEXT_IMAGE_MIME, parent.image_urls[2].encode())
    mime.setText(parent.image_urls[2])
    _drop(page.input, mime)
    assert page.input.url == parent.image_urls[2] and page.input.problem == ""
    assert page.input.ref.parent == (parent.job_id, 2)
    assert page.buttons["describe"].isEnabled()
    popover = page.open_tool("describe")
    assert isinstance(popover, ConfirmPopover) and popover.title.text() == "Describe image 3"
    assert popover.cost_label.text() == "20 credits"
    popover.send_button.click()
    qtbot.waitUntil(lambda: len(_posts(sandbox, "/v1/describe")) == 1, timeout=TIMEOUT)
    assert _posts(sandbox, "/v1/describe")[0] == {"imgUrl": parent.image_urls[2]}
    described = studio.jobs.entries()[-1]
    qtbot.waitUntil(lambda: described.finished, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: window.grid.text_view is not None and window.grid.text_view.isVisible(), timeout=TIMEOUT)
    assert described.parent == (parent.job_id, 2)
    cards = window.grid.text_view.cards
    assert [c.text for c in cards] == described.texts and len(cards) == 4
    before = window.prompt_state.text()
    cards[1].use_button.click()
    assert window.prompt_state.text() == described.texts[1]
    assert "Ctrl+Z" in window.statusBar().currentMessage()
    window.prompt_state.undo_stack.undo()
    assert window.prompt_state.text() == before
    # The text results are searchable in the history.
    word = described.texts[3].split()[2]
    keys = [r.key for r in studio.jobs.store.search(word)]
    assert described.key in keys


def test_shorten_the_prompt_shows_what_each_suggestion_drops(qtbot, studio, sandbox):
    window = studio.window
    prompt = "a very beautiful and highly detailed castle on a hill at dawn --ar 16:9"
    window.prompt_state.set_text(prompt, origin="program")
    dock = _open(qtbot, window, "Shorten the prompt…")
    page = dock.shorten_page
    assert page.preview.text() == prompt and page.cost.text() == "20 credits"
    page.send_button.click()
    qtbot.waitUntil(lambda: len(_posts(sandbox, "/v1/shorten")) == 1, timeout=TIMEOUT)
    assert _posts(sandbox, "/v1/shorten")[0] == {"prompt": prompt}
    entry = studio.jobs.entries()[-1]
    qtbot.waitUntil(lambda: entry.finished, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: window.grid.text_view is not None and window.grid.text_view.isVisible(), timeout=TIMEOUT)
    card = window.grid.text_view.cards[3]
    assert card.dropped is not None and "line-through" in card.dropped.text()
    assert ">very<" in card.dropped.text()  # a filler word the suggestion dropped, struck through
    card.use_button.click()
    assert window.prompt_state.text() == entry.texts[3]
    window.prompt_state.undo_stack.undo()
    assert window.prompt_state.text() == prompt
    window.prompt_state.set_text("", origin="program")
    assert not page.send_button.isEnabled() and "Type a prompt first" in page.send_button.toolTip()


def test_the_image_page_refuses_what_the_docs_rule_out_before_sending(qtbot, studio, sandbox):
    window = studio.window
    dock = _open(qtbot, window, "Retexture, cut out or upscale an image…")
    page = dock.image_page
    page.input.set_text("https://example.com/" + "a" * 1100 + ".png")
    assert "at most 1024" in page.input.message.text() and page.input.message.isVisible()
    assert not page.buttons["enhance_upscale"].isEnabled()
    page.input.set_text("file:///Users/ada/Desktop/dog.jpg")
    assert "dog.jpg is a file on this computer" in page.input.message.text()
    page.input.set_text(f"{sandbox.origin}/photos/dog.png")
    _drop(page.input, _urls_mime("file:///Users/ada/Desktop/dog.jpg"))
    assert "API takes image URLs, not uploads" in page.input.message.text()
    assert page.input.url == f"{sandbox.origin}/photos/dog.png"  # the image given before stays
    page.input.set_text(f"{sandbox.origin}/gallery/page.html")
    assert page.buttons["enhance_upscale"].isEnabled()
    popover = page.open_tool("enhance_upscale")
    assert isinstance(popover, OptionsPopover) and not popover.send_button.isEnabled()
    assert "points at a .html file; this endpoint takes JPEG, PNG, TIFF images" in popover.problem_label.text()
    popover.close()
    assert _posts(sandbox, "/v1/enhance-upscale") == []


def test_a_non_image_address_gets_the_servers_answer_on_the_grid(qtbot, studio, sandbox):
    window = studio.window
    page = _open(qtbot, window, "Describe an image…").image_page
    page.input.set_text(f"{sandbox.origin}/gallery/page.html")
    qtbot.waitUntil(lambda: page.input.warning != "", timeout=TIMEOUT)  # the preview could not show it
    assert page.buttons["describe"].isEnabled()  # no documented rule: the server answers
    popover = page.open_tool("describe")
    popover.send_button.click()
    qtbot.waitUntil(lambda: len(_posts(sandbox, "/v1/describe")) == 1, timeout=TIMEOUT)
    entry = studio.jobs.entries()[-1]
    qtbot.waitUntil(lambda: entry.error is not None, timeout=TIMEOUT)  # its status may come first
    assert entry.status == "failed" and "not an image" in entry.error
    qtbot.waitUntil(lambda: window.grid.message.isVisible(), timeout=TIMEOUT)
    assert "not an image" in window.grid.message.text()


def test_remove_background_from_an_address_lands_as_a_cutout(qtbot, studio, sandbox):
    window = studio.window
    page = _open(qtbot, window, "Retexture, cut out or upscale an image…").image_page
    page.input.set_text(f"{sandbox.origin}/photos/cat.png")
    popover = page.open_tool("remove_background")
    assert popover.title.text() == "Remove background this image"
    popover.send_button.click()
    qtbot.waitUntil(lambda: len(_posts(sandbox, "/v1/remove-background")) == 1, timeout=TIMEOUT)
    assert _posts(sandbox, "/v1/remove-background")[0] == {"imgUrl": f"{sandbox.origin}/photos/cat.png"}
    entry = studio.jobs.entries()[-1]
    qtbot.waitUntil(lambda: window.grid_ready(entry.key), timeout=TIMEOUT)
    assert window.grid.tiles[0].cell.image.hasAlphaChannel()


def test_topaz_of_an_image_the_server_no_longer_has_ends_with_its_answer(qtbot, studio, sandbox):
    window = studio.window
    parent = _grid_job(qtbot, window)
    gone = parent.image_urls[0].replace(parent.job_id, "0" * 8 + parent.job_id[8:])
    page = _open(qtbot, window, "Retexture, cut out or upscale an image…").image_page
    page.input.set_text(gone)
    qtbot.waitUntil(lambda: "Could not fetch the image" in page.input.message.text(), timeout=TIMEOUT)
    assert page.input.warning and not page.input.problem  # said before sending; the server has the last word
    popover = page.open_tool("enhance_upscale")
    assert popover.title.text() == "Topaz this image"
    popover.send_button.click()
    qtbot.waitUntil(lambda: len(_posts(sandbox, "/v1/enhance-upscale")) == 1, timeout=TIMEOUT)
    assert _posts(sandbox, "/v1/enhance-upscale")[0]["image_url"] == gone
    entry = studio.jobs.entries()[-1]
    qtbot.waitUntil(lambda: entry.error is not None, timeout=TIMEOUT)  # its status may come first
    assert entry.status == "failed" and "file not found (404)" in entry.error
    # On screen: the banner tells it (the grid keeps showing what it showed: nothing is lost).
    qtbot.waitUntil(lambda: "file not found (404)" in window.banner.label.text(), timeout=TIMEOUT)
    assert window.banner.isVisible() and window.grid_ready(parent.key)


@pytest.mark.parametrize("fmt, ending", [("jpeg", ".jpg"), ("tiff", ".tiff")])
def test_topaz_results_in_each_format_are_archived_and_shown(qtbot, studio, sandbox, fmt, ending):
    window = studio.window
    parent = _grid_job(qtbot, window, "a red kite over dunes --ar 1:1")
    page = _open(qtbot, window, "Retexture, cut out or upscale an image…").image_page
    page.input.set_text(parent.image_urls[3])
    popover = page.open_tool("enhance_upscale")
    assert popover.title.text() == "Topaz image 4"  # a grid image: its job and number are known
    popover.choose("target_resolution", "HD")
    popover.choose("output_format", fmt)
    popover.send_button.click()
    qtbot.waitUntil(lambda: len(_posts(sandbox, "/v1/enhance-upscale")) == 1, timeout=TIMEOUT)
    body = _posts(sandbox, "/v1/enhance-upscale")[0]
    assert (body["jobId"], body["imageNo"], body["output_format"]) == (parent.job_id, 3, fmt)
    entry = studio.jobs.entries()[-1]
    qtbot.waitUntil(lambda: window.grid_ready(entry.key), timeout=TIMEOUT)
    assert window.grid.decoded(0).size == (1920, 1920)
    files = studio.jobs.files(entry.key)
    assert [f.suffix for f in files] == [ending] and not any(o.error for o in entry.record.outputs)


@pytest.mark.parametrize("how", ["menu", "view"])
def test_the_tools_open_as_a_tab_beside_the_queue_however_they_are_opened(qtbot, studio, how):
    window = studio.window
    window.resize(1024, 700)
    if how == "menu":
        dock = _open(qtbot, window, "Blend images…")
    else:
        dock = window.tools_dock
        dock.toggleViewAction().trigger()  # View → Tools (Ctrl+4)
        qtbot.waitUntil(dock.isVisible, timeout=3000)
    assert window.queue_dock in window.tabifiedDockWidgets(dock)
    # the column's height, not a strip under the queue
    qtbot.waitUntil(lambda: dock.height() > window.height() // 2, timeout=3000)
