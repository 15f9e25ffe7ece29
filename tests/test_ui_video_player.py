"""Playing a video job's videos with QtMultimedia, on the real format: the sandbox serves H.264
MP4 files (encoded with PyAV), the grid downloads them through real sockets, and the viewer
plays them — playing state reached and the position advancing, pause, seek to the exact frame,
loop, mute, several videos of one job side by side under one set of controls. Where this
machine lacks the multimedia backend those tests are skipped with the reason; the viewer's own
word for that case, the system player, and a video that cannot be decoded are tested always."""

from __future__ import annotations

from typing import Any

import pytest
from PIL import Image, ImageChops
from PySide6.QtCore import Qt

from studio.store.video import poster
from studio.ui.video import backend
from studio.ui.video.player import VideoPane
from studio.ui.video.viewer import VideoViewer
from test_ui_grid_support import RECIPES, GridEnv, env  # noqa: F401  (fixture)

PROBLEM = backend.problem()
needs_playback = pytest.mark.skipif(PROBLEM is not None, reason=f"QtMultimedia cannot load here: {PROBLEM}")


def _open(qtbot, env: GridEnv, index: int = 0) -> tuple[Any, VideoViewer]:
    entry = RECIPES["video_diffusion"](env)
    env.show(entry)
    env.grid.open_viewer(index)
    viewer = env.grid.viewer
    assert isinstance(viewer, VideoViewer) and viewer.isVisible()
    qtbot.addWidget(viewer)
    return entry, viewer


def _state(pane: VideoPane) -> str:
    return pane.player.playbackState().name


def _qimage_rgb(image) -> Image.Image:
    from PySide6.QtGui import QImage

    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    data, step, width = bytes(rgb.constBits()), rgb.bytesPerLine(), rgb.width() * 3
    rows = b"".join(data[y * step: y * step + width] for y in range(rgb.height()))
    return Image.frombytes("RGB", (rgb.width(), rgb.height()), rows)


def _distance(a: Image.Image, b: Image.Image) -> float:
    """Mean difference per pixel (0-255): small for the same frame, as Qt and PyAV each turn YUV
    into RGB their own way."""
    assert a.size == b.size
    diff = ImageChops.difference(a.convert("RGB"), b.convert("RGB")).convert("L")
    return sum(diff.tobytes()) / (a.width * a.height)


@needs_playback
def test_a_video_plays_pauses_and_seeks_to_the_exact_frame(qtbot, env):
    entry, viewer = _open(qtbot, env, 1)
    pane = viewer.pane
    assert pane is not None and pane.index == 1 and pane.poster is not None
    # the poster is the video's own first frame (not a stand-in still)
    assert _distance(_qimage_rgb(pane.poster), poster(entry.videos[1])) == 0
    qtbot.waitUntil(lambda: _state(pane) == "PlayingState" and pane.position() > 300, timeout=10000)
    assert pane.frames_shown > 1 and viewer.play_button.text() == "Pause"
    assert pane.duration() == pytest.approx(5000, abs=150)
    assert viewer.slider.maximum() == pane.duration()

    viewer.toggle()  # pause
    qtbot.waitUntil(lambda: _state(pane) == "PausedState", timeout=5000)
    held = pane.position()
    qtbot.wait(300)  # (a pause is judged by time passing: nothing to wait *for*)
    assert pane.position() == held and viewer.play_button.text() == "Play"

    viewer.seek(2560)  # the middle of the 21st frame (8 frames a second)
    qtbot.waitUntil(lambda: pane.position() == 2560 and pane.frame_span[0] >= 2_000_000, timeout=5000)
    start, end = pane.frame_span
    assert start <= 2_560_000 < end  # the frame on show covers that moment
    # ... and it is that frame of the file, not a neighbour (frames are 1/8 s apart)
    shown = _qimage_rgb(pane.frame)
    distances = {at: _distance(shown, poster(entry.videos[1], at=at)) for at in (2.435, 2.56, 2.685)}
    assert min(distances, key=distances.get) == 2.56, distances
    assert viewer.slider.value() == 2560 and viewer.time_label.text() == "0:02.5 / 0:05.0"


@needs_playback
def test_loop_plays_on_from_the_start_and_without_it_the_video_stops(qtbot, env):
    _entry, viewer = _open(qtbot, env, 0)
    pane = viewer.pane
    qtbot.waitUntil(lambda: pane.duration() > 0, timeout=10000)
    assert viewer.loop and viewer.loop_button.isChecked()  # on by default
    viewer.seek(pane.duration() - 250)
    seen_end: list[bool] = []
    pane.changed.connect(lambda: seen_end.append(pane.position() >= pane.duration() - 300))
    qtbot.waitUntil(lambda: any(seen_end) and pane.position() < 1500 and _state(pane) == "PlayingState",
                    timeout=10000)  # it went past the end and on from the start

    qtbot.keyClick(viewer, Qt.Key.Key_L)  # loop off
    assert not viewer.loop and not viewer.loop_button.isChecked()
    viewer.seek(pane.duration() - 250)
    qtbot.waitUntil(lambda: _state(pane) == "StoppedState", timeout=10000)
    assert viewer.play_button.text() == "Play"


@needs_playback
def test_a_jobs_videos_play_side_by_side_under_one_set_of_controls(qtbot, env):
    _entry, viewer = _open(qtbot, env, 2)
    _click = lambda w: qtbot.mouseClick(w, Qt.MouseButton.LeftButton)  # noqa: E731
    _click(viewer.all_button)
    assert viewer.side_by_side and [p.index for p in viewer.panes] == [0, 1, 2, 3]
    assert viewer.pane.index == 2 and viewer.pane.current  # the one it was on, outlined
    assert "4 videos side by side" in viewer.info.text()
    qtbot.waitUntil(lambda: all(_state(p) == "PlayingState" and p.position() > 200 for p in viewer.panes),
                    timeout=15000)
    # the panes share the stage: two columns, none overlapping
    rects = [p.geometry() for p in viewer.panes]
    assert rects[0].top() == rects[1].top() and rects[0].right() < rects[1].left()
    assert rects[2].top() > rects[0].bottom()

    qtbot.keyClick(viewer, Qt.Key.Key_Space)  # pauses them all
    qtbot.waitUntil(lambda: all(_state(p) == "PausedState" for p in viewer.panes), timeout=5000)
    viewer.seek(1500)  # scrubs them all
    qtbot.waitUntil(lambda: all(p.position() == 1500 for p in viewer.panes), timeout=5000)
    _click(viewer.panes[0])  # picks the video the controls (and Save) follow
    assert viewer.index == 0 and viewer.panes[0].current and not viewer.panes[2].current

    _click(viewer.all_button)  # back to one: the current video, from the same moment
    assert [p.index for p in viewer.panes] == [0]
    qtbot.waitUntil(lambda: viewer.pane.position() >= 1500, timeout=5000)


@needs_playback
def test_mute_silences_a_video_with_sound_and_is_off_for_one_without(qtbot, qloop, tmp_path):
    import av

    path = tmp_path / "with-sound.mp4"
    with av.open(str(path), "w", format="mp4") as out:
        video = out.add_stream("libx264", rate=8)
        video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        sound = out.add_stream("aac", rate=44100)
        for i in range(8):
            for packet in video.encode(av.VideoFrame.from_image(Image.new("RGB", (64, 48), (i * 30, 80, 120)))):
                out.mux(packet)
        for packet in video.encode():
            out.mux(packet)
        import array  # (numpy is not a dependency)

        samples = array.array("f", [0.0] * 1024)
        for i in range(40):
            frame = av.AudioFrame(format="fltp", layout="mono", samples=1024)
            frame.planes[0].update(samples.tobytes())
            frame.sample_rate = 44100
            frame.pts = i * 1024
            for packet in sound.encode(frame):
                out.mux(packet)
        for packet in sound.encode():
            out.mux(packet)
    pane = VideoPane(0)
    qtbot.addWidget(pane)
    pane.load(path)
    qtbot.waitUntil(lambda: pane.duration() > 0, timeout=10000)
    assert pane.has_audio()
    pane.set_muted(True)
    assert pane.audio.isMuted()
    pane.set_muted(False)
    assert not pane.audio.isMuted()
    pane.unload()


@needs_playback
def test_the_mute_button_says_when_a_video_has_no_sound(qtbot, env):
    _entry, viewer = _open(qtbot, env)
    qtbot.waitUntil(lambda: viewer.pane.duration() > 0 and viewer.play_button.isEnabled(), timeout=10000)
    assert not viewer.mute_button.isEnabled()  # the sandbox's videos (like Midjourney's) are silent
    assert viewer.mute_button.toolTip() == "This video has no sound"


def test_without_the_multimedia_backend_the_viewer_says_so_and_offers_the_system_player(qtbot, env, monkeypatch):
    reason = "Videos cannot play inside the studio on this machine: Qt's multimedia needs libpulse0."
    monkeypatch.setattr(backend, "_loaded", {"module": None, "problem": reason})
    opened: list[str] = []
    from PySide6.QtGui import QDesktopServices

    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url.toLocalFile()) or True)
    entry, viewer = _open(qtbot, env, 3)
    assert viewer.problem.isVisible() and viewer.problem.text() == reason
    pane = viewer.pane
    assert pane.player is None and pane.message == reason and pane.poster is not None  # the poster stays
    assert not viewer.play_button.isEnabled() and viewer.play_button.toolTip() == reason
    assert not viewer.slider.isEnabled()
    assert viewer.system_button.isEnabled()
    qtbot.mouseClick(viewer.system_button, Qt.MouseButton.LeftButton)
    assert len(opened) == 1 and opened[0].endswith(".mp4")
    with open(opened[0], "rb") as f:  # not archived here: a temporary copy of its bytes
        assert f.read() == entry.videos[3]
    assert viewer.note.text().startswith("Opened video 4 in the system player")


def _damaged(mp4: bytes) -> bytes:
    """The same MP4 boxes (the archive's check passes) with the picture data zeroed."""
    data = bytearray(mp4)
    offset = 0
    while offset < len(data):
        size = int.from_bytes(data[offset:offset + 4], "big")
        if data[offset + 4:offset + 8] == b"mdat":
            data[offset + 8:offset + size] = bytes(size - 8)
        offset += size
    return bytes(data)


def test_a_video_the_machine_cannot_decode_says_so_and_stays_playable_elsewhere(qtbot, env, monkeypatch):
    renderer = env.sandbox.core.renderer
    real = renderer.video
    monkeypatch.setattr(renderer, "video", lambda job_id, index: _damaged(real(job_id, index)))
    entry = RECIPES["video_diffusion"](env)
    env.grid.show_job(entry.key)
    cell = env.grid.tiles[0].cell
    qtbot.waitUntil(lambda: cell.error is not None, timeout=20000)
    assert cell.error.startswith("Video 1 cannot be shown: its H264 picture cannot be decoded on this machine")
    assert "open it in the system player" in cell.error
    assert entry.videos[0] is not None  # nothing made is lost: the file is kept
    qtbot.mouseClick(cell, Qt.MouseButton.LeftButton, pos=cell.rect().center())
    viewer = env.grid.viewer
    assert isinstance(viewer, VideoViewer) and viewer.isVisible()
    qtbot.addWidget(viewer)
    pane = viewer.pane
    if PROBLEM is None:  # the player finds no frame to show, and says so
        qtbot.waitUntil(lambda: pane.message is not None, timeout=15000)
        assert pane.message.startswith("Video 1 does not play here:")
    else:
        assert pane.message == PROBLEM
    assert viewer.system_button.isEnabled()
