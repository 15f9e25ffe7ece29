"""Video jobs in the grid (one tile per video, its first frame, the per-video actions the server
lists, playing in the viewer) and saving: the downloaded files written to the download folder
with descriptive names and their prompt embedded (PNG chunks, else a sidecar), never
overwriting, from a tile's menu, the viewer and Save all."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtWidgets import QApplication

from studio.store.exports import read_export, sidecar_path
from studio.store.files import read_source
from studio.store.video import poster
from studio.ui.grid.action_dialogs import ConfirmPopover, OptionsPopover
from studio.ui.video.viewer import VideoViewer
from test_ui_grid_support import RECIPES, close_env, expected_buttons, expected_job_buttons, make_env


@pytest.fixture
def folder(tmp_path):
    return tmp_path / "downloads"


@pytest.fixture
def env(qtbot, qloop, sandbox, folder):
    made = make_env(qtbot, sandbox, download_dir=lambda: folder)
    yield made
    close_env(made)


def _click(qtbot, widget) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def _saved_as(path, source, entry) -> bool:
    """`path` is the downloaded image `source` (the same pixels) carrying the job's prompt."""
    with Image.open(path) as saved, Image.open(io.BytesIO(read_source(source))) as original:
        same = (saved.mode, saved.size, saved.tobytes()) == (original.mode, original.size, original.tobytes())
    meta = read_export(path)
    return same and meta is not None and meta.job_id == entry.job_id and meta.prompt == (entry.prompt or "")


def test_video_job_shows_its_videos_and_their_actions_send_the_right_requests(qtbot, env):
    entry = RECIPES["video_diffusion"](env)  # a diffusion's "animate" action
    assert entry.video_urls and not entry.image_urls
    env.show(entry)
    grid = env.grid
    assert grid.image_count() == len(entry.video_urls) == 4
    assert not grid.message.isVisible()  # no "open it from the queue" excuse: the videos are here
    for i, tile in enumerate(grid.tiles):
        assert tile.cell.kind == "video" and tile.cell.accessibleName() == f"Video {i + 1}"
        # the tile shows the MP4's first frame, decoded from the downloaded file
        first = poster(entry.videos[i])
        assert grid.decoded(i).size == first.size and grid.decoded(i).pixels.tobytes() == first.tobytes()
        names = sorted(b.name for b in grid.action_buttons(i))
        assert names == expected_buttons(entry, i) == ["extend_video", "video_upscale"]
        assert all(b.isEnabled() for b in grid.action_buttons(i))
    assert sorted(b.name for b in grid.job_buttons()) == expected_job_buttons(entry)
    assert grid.button("extend_video", 2).text() == "Extend"
    assert grid.button("video_upscale", 2).text() == "Upscale video"

    submitted: list[str] = []
    grid.job_submitted.connect(submitted.append)
    for name, index, endpoint in (("extend_video", 2, "/v1/extend-video"), ("video_upscale", 3, "/v1/video-upscale")):
        _click(qtbot, grid.button(name, index))
        popover = grid.active_popover
        assert isinstance(popover, (ConfirmPopover, OptionsPopover)) and popover.isVisible()
        assert popover.credits and f"{popover.credits} credits" in popover.cost_label.text()
        _click(qtbot, popover.send_button)  # video is expensive: the first click arms Send ...
        assert popover.isVisible() and popover.send_button.text() == f"Confirm · {popover.credits} credits"
        assert [r for r in env.sandbox.state.requests if r.path.endswith(endpoint)] == []  # not before Send
        _click(qtbot, popover.send_button)  # ... the second sends
        qtbot.waitUntil(lambda: any(r.path.endswith(endpoint) for r in env.sandbox.state.requests), timeout=10000)
        sent = [r for r in env.sandbox.state.requests if r.path.endswith(endpoint) and r.method == "POST"]
        assert [r.json_body for r in sent] == [{"jobId": entry.job_id, "videoNo": index}]
        new = env.jobs.entry(submitted[-1])
        assert new.op == name and new.parent == (entry.job_id, index)


def test_a_video_opens_in_the_video_viewer_and_saves_as_its_mp4(qtbot, env, folder):
    entry = RECIPES["video_diffusion"](env)
    env.show(entry)
    cell = env.grid.tiles[1].cell
    qtbot.mouseClick(cell, Qt.MouseButton.LeftButton, pos=cell.rect().center())
    viewer = env.grid.viewer
    assert isinstance(viewer, VideoViewer) and viewer.isVisible()
    assert "video 2 of 4" in viewer.info.text()
    assert [p.index for p in viewer.panes] == [1]
    _click(qtbot, viewer.save_button)
    qtbot.waitUntil(lambda: "Saved" in viewer.note.text(), timeout=5000)
    files = [p for p in folder.iterdir() if p.suffix != ".json"]
    assert len(files) == 1 and files[0].suffix == ".mp4"
    assert files[0].read_bytes() == entry.videos[1]  # an MP4 is copied unchanged ...
    assert sidecar_path(files[0]).is_file()  # ... its prompt and job beside it
    assert read_export(files[0]).job_id == entry.job_id
    assert str(files[0]) in viewer.note.text()
    viewer.close()


def test_save_all_writes_the_images_with_their_prompt_and_never_overwrites(qtbot, env, folder):
    entry = env.run("diffusion", text="a lighthouse on a cliff at dusk --ar 3:2")
    env.show(entry)
    messages: list[str] = []
    env.grid.status_message.connect(messages.append)
    button = env.grid.save_all_button
    assert button.isVisible() and button.isEnabled() and button.text() == "Save all"
    _click(qtbot, button)
    qtbot.waitUntil(lambda: bool(messages), timeout=5000)
    stem = f"a-lighthouse-on-a-cliff-at-dusk_{entry.job_id[:8]}"
    assert sorted(p.name for p in folder.iterdir()) == [f"{stem}_{n}.png" for n in (1, 2, 3, 4)]
    for n in range(4):  # the downloaded pixels, not the grid's scaled copies
        assert _saved_as(folder / f"{stem}_{n + 1}.png", entry.images[n], entry)
    first = (folder / f"{stem}_1.png").read_bytes()
    assert messages[-1] == f"Saved 4 images to {folder}"

    _click(qtbot, button)  # again: new names, the first files untouched
    qtbot.waitUntil(lambda: len(messages) == 2, timeout=5000)
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted([f"{stem}_{n}.png" for n in (1, 2, 3, 4)] + [f"{stem}_{n}-2.png" for n in (1, 2, 3, 4)])
    assert (folder / f"{stem}_1.png").read_bytes() == first  # untouched
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]  # no temp files left


def test_a_tiles_context_menu_saves_that_image(qtbot, env, folder):
    entry = env.run("diffusion", text="a red kite --ar 16:9")
    env.show(entry)
    cell = env.grid.tiles[2].cell
    pos = cell.rect().center()
    QApplication.sendEvent(cell, QContextMenuEvent(QContextMenuEvent.Reason.Mouse, pos, cell.mapToGlobal(pos)))
    menu = env.grid.context_menu
    assert menu is not None and menu.isVisible()
    action = next(a for a in menu.actions() if a.text() == "Save image 3")
    assert action.isEnabled()
    messages: list[str] = []
    env.grid.status_message.connect(messages.append)
    action.trigger()
    menu.close()
    qtbot.waitUntil(lambda: bool(messages), timeout=5000)
    [saved] = list(folder.iterdir())
    assert saved.name == f"a-red-kite_{entry.job_id[:8]}_3.png"
    assert _saved_as(saved, entry.images[2], entry)
    assert messages == [f"Saved image to {saved}"]


def test_ctrl_s_in_the_viewer_saves_the_shown_image(qtbot, env, folder):
    entry = env.run("diffusion", text="a paper boat")
    env.show(entry)
    env.grid.open_viewer(3)
    viewer = env.grid.viewer
    viewer.activateWindow()
    qtbot.waitUntil(viewer.isActiveWindow, timeout=5000)
    qtbot.keyClick(viewer, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: "Saved" in viewer.note.text(), timeout=5000)
    [saved] = list(folder.iterdir())
    assert _saved_as(saved, entry.images[3], entry) and saved.name.endswith("_4.png")
    viewer.close()


def test_an_unwritable_download_folder_is_reported(qtbot, env, folder):
    folder.parent.mkdir(parents=True, exist_ok=True)
    folder.write_text("a file where the folder should be")
    entry = env.run("diffusion", text="a tin robot")
    env.show(entry)
    messages: list[str] = []
    env.grid.status_message.connect(messages.append)
    env.grid.save(None)
    qtbot.waitUntil(lambda: bool(messages), timeout=5000)
    assert messages[0].startswith(f"Could not save to {folder}")
