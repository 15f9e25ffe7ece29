"""End to end, checked on the pixels: generate a grid on the sandbox, open image 0 in the
MaskEditor, draw an area with the mouse at a given zoom (panning when the next corner is off
screen), Apply, send the emitted request through LegnextClient, download the repainted image and
compare it with the original: every pixel inside the drawn shape changed, none outside it did,
allowing two pixels at the border."""

from __future__ import annotations

import asyncio
import io
import math
from concurrent.futures import ThreadPoolExecutor

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageFilter
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QImage, QMouseEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from studio.api.client import LegnextClient
from studio.api.watcher import JobWatcher, PollPolicy
from studio.sandbox import SandboxServer
from studio.sandbox.images import mix_seed, place_on_canvas
from studio.api.job_requests import request_for
from studio.sandbox.prompt_info import cap_size
from studio.ui.mask import CanvasEditor, MaskEditor
from studio.ui.mask.canvas_editor import Placement

KEY = "test-key"
CAP = 900  # 16:9 → 900×508 and 2:3 → 600×900: small, yet inside the API's 500–4096 range
BORDER = 2  # pixels either side of the drawn outline that may go either way


@pytest.fixture(scope="module")
def server():
    # One sandbox for the module: each test still makes its own diffusion and inpaint jobs.
    sandbox = SandboxServer(keys=[KEY], speed=200.0, image_size_cap=CAP)
    sandbox.start()
    try:
        yield sandbox
    finally:
        sandbox.stop()


def run_job(server: SandboxServer, op: str, **kwargs):
    """Submit one job and wait for it; returns (job, bytes of image 0).

    The client runs under asyncio.run in a worker thread: a thread has its own notion of the
    running loop, so a qasync loop left marked as running by an earlier Qt test cannot make
    asyncio.run refuse to start here."""
    async def body():
        async with LegnextClient(KEY, server.base_url) as client:
            watcher = JobWatcher(client, PollPolicy(time_scale=1 / 200))
            job = await client.submit(request_for(op, **kwargs))  # as JobsSession does
            job = await watcher.watch(job.job_id, timeout=60)
            return job, await client.download(job.images[0])
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, body()).result(timeout=120)


# ---- driving the editor like a user -------------------------------------------------------------

def _mouse(view, kind, pos, button, buttons):
    vp = view.viewport()
    pos = QPointF(pos)
    QApplication.sendEvent(vp, QMouseEvent(kind, pos, QPointF(vp.mapToGlobal(pos)), button, buttons,
                                           Qt.KeyboardModifier.NoModifier))


def _view_point(editor, x, y) -> QPointF:
    p = editor.painter
    return p.view.map_from_scene_f(p.image_item.mapToScene(QPointF(x, y)))


def bring_into_view(editor, x, y, margin=40) -> QPoint:
    """The viewport pixel for image point (x, y), middle-dragging the view first if needed."""
    view = editor.painter.view
    rect = view.viewport().rect().adjusted(margin, margin, -margin, -margin)
    target = _view_point(editor, x, y).toPoint()
    if not rect.contains(target):
        center = rect.center()
        start = QPointF(center)
        end = QPointF(center) - QPointF(target - center)
        mid = Qt.MouseButton.MiddleButton
        _mouse(view, QEvent.Type.MouseButtonPress, start, mid, mid)
        for i in range(1, 9):
            _mouse(view, QEvent.Type.MouseMove, start + (end - start) * (i / 8), Qt.MouseButton.NoButton, mid)
        _mouse(view, QEvent.Type.MouseButtonRelease, end, mid, Qt.MouseButton.NoButton)
        target = _view_point(editor, x, y).toPoint()
    assert rect.contains(target), "could not pan the point into view"
    return target


def image_point_of(editor, vp: QPoint) -> tuple[float, float]:
    p = editor.painter
    q = p.image_item.mapFromScene(p.view.mapToScene(vp))
    return q.x(), q.y()


def draw_polygon(editor, corners) -> list[tuple[float, float]]:
    """Click the corners (panning as needed), close the shape; returns the image points the
    clicked pixels really map to — the shape the user drew."""
    view = editor.painter.view
    editor.painter.set_tool("polygon")
    drawn = []
    for x, y in corners:
        vp = bring_into_view(editor, x, y)
        drawn.append(image_point_of(editor, vp))
        QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, vp)
    QTest.keyClick(view, Qt.Key.Key_Return)
    return drawn


def draw_lasso(editor, cx, cy, r, n=240) -> list[tuple[float, float]]:
    view = editor.painter.view
    editor.painter.set_tool("lasso")
    start = bring_into_view(editor, cx, cy)
    assert start is not None
    ring = [_view_point(editor, cx + r * math.cos(2 * math.pi * i / n), cy + r * math.sin(2 * math.pi * i / n))
            for i in range(n)]
    left = Qt.MouseButton.LeftButton
    _mouse(view, QEvent.Type.MouseButtonPress, ring[0], left, left)
    for p in ring[1:] + ring[:1]:
        _mouse(view, QEvent.Type.MouseMove, p, Qt.MouseButton.NoButton, left)
    _mouse(view, QEvent.Type.MouseButtonRelease, ring[0], left, Qt.MouseButton.NoButton)
    return [image_point_of(editor, p.toPoint()) for p in ring]


# ---- the pixel check ----------------------------------------------------------------------------

def check_repaint(original: Image.Image, result: Image.Image, shape: list[tuple[float, float]], slack: float):
    """`original` is what the output would be without a mask; `shape` is in output pixels."""
    assert result.size == original.size
    changed = ImageChops.difference(original.convert("RGB"), result.convert("RGB")).convert("L").point(
        lambda v: 255 if v else 0)
    drawn = Image.new("L", original.size, 0)
    ImageDraw.Draw(drawn).polygon(shape, fill=255)
    k = 2 * math.ceil(BORDER + slack) + 1
    inner = drawn.filter(ImageFilter.MinFilter(k))  # at least BORDER px inside the outline
    outer = drawn.filter(ImageFilter.MaxFilter(k))  # at least BORDER px outside it
    must_change = ImageChops.multiply(inner, ImageChops.invert(changed))
    must_not = ImageChops.multiply(ImageChops.invert(outer), changed)
    assert must_change.getbbox() is None, f"unchanged pixels inside the shape near {must_change.getbbox()}"
    assert must_not.getbbox() is None, f"changed pixels outside the shape near {must_not.getbbox()}"
    n_changed = changed.histogram()[255]
    n_drawn = drawn.histogram()[255]
    assert n_changed == pytest.approx(n_drawn, rel=0.05)


CASES = [
    ("16:9", 0.4, "polygon", 1.0),
    ("16:9", 2.6, "polygon", 1.0),
    ("2:3", 1.0, "polygon", 1.0),
    ("2:3", 3.3, "polygon", 1.0),
    ("2:3", 0.8, "lasso", 1.0),
    # a HiDPI source (devicePixelRatio 2, as images decoded for a 2x screen come): the mask
    # must still be in the image's own pixels, not its logical half size
    ("16:9", 1.3, "polygon", 2.0),
]


@pytest.mark.parametrize("aspect,zoom,tool,dpr", CASES)
def test_inpaint_repaints_exactly_what_was_drawn(server, qtbot, aspect, zoom, tool, dpr):
    parent, png = run_job(server, "diffusion", text=f"a lighthouse on a rock --ar {aspect}")
    original = Image.open(io.BytesIO(png))
    w, h = original.size
    assert min(w, h) >= 500

    image = QImage.fromData(png)
    image.setDevicePixelRatio(dpr)
    editor = MaskEditor(image, job_id=parent.job_id, image_no=0, prompt="a lighthouse on a rock, storm")
    qtbot.addWidget(editor)
    editor.resize(1100, 760)
    editor.show()
    qtbot.waitExposed(editor)
    view = editor.painter.view
    view.set_zoom(zoom)
    view.centerOn(editor.painter.image_item.mapToScene(QPointF(w * 0.45, h * 0.5)))

    if tool == "polygon":
        corners = [(0.18 * w, 0.22 * h), (0.62 * w, 0.15 * h), (0.8 * w, 0.55 * h),
                   (0.5 * w, 0.86 * h), (0.12 * w, 0.6 * h)]
        shape = draw_polygon(editor, corners)
        slack = 0.5  # corners are rounded to whole pixels
    else:
        shape = draw_lasso(editor, 0.5 * w, 0.5 * h, 0.3 * min(w, h))
        slack = 1.0 / zoom + 0.5  # the lasso may deviate a screen pixel when simplified
    assert len(editor.painter.model) == 1

    with qtbot.waitSignal(editor.submitted) as sent:
        editor.apply_button.click()
    op, kwargs = sent.args
    assert op == "inpaint"
    assert kwargs["job_id"] == parent.job_id and kwargs["image_no"] == 0
    (area,) = kwargs["mask"].areas
    assert (area.width, area.height) == (w, h)
    if tool == "polygon":
        pts = [(area.points[i], area.points[i + 1]) for i in range(0, len(area.points), 2)]
        assert sorted(pts) == sorted((round(x), round(y)) for x, y in shape)

    job, result_png = run_job(server, op, **kwargs)
    assert job.job_id != parent.job_id
    body = [r.json_body for r in server.state.requests if r.path.endswith("/v1/inpaint")][-1]
    assert body["mask"]["areas"][0]["width"] == w and body["remixPrompt"] == "a lighthouse on a rock, storm"
    check_repaint(original, Image.open(io.BytesIO(result_png)), shape, slack)


# ---- edit and upload-paint: the image moved and scaled on a canvas --------------------------------

def scene_point_of(editor, vp: QPoint) -> tuple[float, float]:
    """Scene units are canvas pixels (the canvas sits at the scene origin)."""
    q = editor.painter.view.mapToScene(vp)
    return q.x(), q.y()


def draw_on_canvas(editor, corners) -> list[tuple[float, float]]:
    """Click polygon corners given in image pixels; returns where the clicks fell on the canvas."""
    view = editor.painter.view
    editor.painter.set_tool("polygon")
    drawn = []
    for x, y in corners:
        vp = bring_into_view(editor, x, y)
        drawn.append(scene_point_of(editor, vp))
        QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, vp)
    QTest.keyClick(view, Qt.Key.Key_Return)
    return drawn


def unmasked_output(server: SandboxServer, job, source: Image.Image, canvas, box_in_canvas):
    """What the sandbox renders for this job with no mask: the source at imgPos on the job's
    fresh art (its own seed), at the output size. Only the mask may make the result differ."""
    sandbox_job = server.state.jobs[job.job_id]
    cw, ch = canvas
    out = cap_size((cw, ch), CAP)
    fx, fy = out[0] / cw, out[1] / ch
    x, y, w, h = box_in_canvas
    box = (round(x * fx), round(y * fy), round(w * fx), round(h * fy))
    return place_on_canvas(source, out, box, mix_seed(sandbox_job.seed, 0, sandbox_job.recipe)), (fx, fy)


CANVAS_CASES = [
    # op, parent aspect, zoom, (canvas w, h), image scale, image (x, y)
    ("edit", "2:3", 0.7, (1100, 1000), 0.75, (400, 180)),
    ("upload_paint", "16:9", 1.4, (1200, 900), 1.2, (60, 200)),
    ("edit", "16:9", 2.2, (1000, 1000), 0.9, (130, 420)),
    # a canvas of the image's own size (None): the polygons' width/height then name the canvas
    # too, and the server reads them as canvas pixels, wherever the image sits on it
    ("edit", "16:9", 1.0, None, 0.5, (380, 200)),
    ("upload_paint", "2:3", 1.0, None, 0.6, (-60, 300)),
]


@pytest.mark.parametrize("op,aspect,zoom,canvas,scale,at", CANVAS_CASES)
def test_canvas_edit_repaints_the_drawn_area_where_it_sits_on_the_canvas(server, qtbot, op, aspect, zoom,
                                                                         canvas, scale, at):
    parent, png = run_job(server, "diffusion", text=f"a harbour town at dusk --ar {aspect}")
    source = Image.open(io.BytesIO(png))
    w, h = source.size
    canvas = canvas or (w, h)
    prompt = "a harbour town at dusk, fireworks"
    if op == "edit":
        editor = CanvasEditor(QImage.fromData(png), job_id=parent.job_id, image_no=0, prompt=prompt)
    else:
        editor = CanvasEditor(QImage.fromData(png), img_url=parent.images[0], prompt=prompt)
    qtbot.addWidget(editor)
    editor.resize(1100, 760)
    editor.show()
    qtbot.waitExposed(editor)
    placed = Placement(canvas[0], canvas[1], at[0], at[1], round(w * scale), round(h * scale))
    assert editor.set_placement(placed) is None
    view = editor.painter.view
    view.set_zoom(zoom)
    view.centerOn(QPointF(canvas[0] / 2, canvas[1] / 2))

    corners = [(0.2 * w, 0.25 * h), (0.7 * w, 0.12 * h), (0.85 * w, 0.6 * h),
               (0.45 * w, 0.9 * h), (0.1 * w, 0.55 * h)]
    drawn = draw_on_canvas(editor, corners)
    assert len(editor.painter.model) == 1

    with qtbot.waitSignal(editor.submitted) as sent:
        editor.apply_button.click()
    sent_op, kwargs = sent.args
    assert sent_op == op
    assert (kwargs["canvas"].width, kwargs["canvas"].height) == canvas
    assert (kwargs["img_pos"].x, kwargs["img_pos"].y, kwargs["img_pos"].width, kwargs["img_pos"].height) == \
        (placed.x, placed.y, placed.w, placed.h)
    (area,) = kwargs["mask"].areas
    assert (area.width, area.height) == (w, h)  # the source image's own pixels

    job, result_png = run_job(server, sent_op, **kwargs)
    endpoint = "/v1/edit" if op == "edit" else "/v1/upload-paint"
    body = [r.json_body for r in server.state.requests if r.path.endswith(endpoint)][-1]
    assert body["imgPos"] == {"width": placed.w, "height": placed.h, "x": placed.x, "y": placed.y}
    assert body["remixPrompt"] == prompt
    if op == "upload_paint":
        assert body["imgUrl"] == parent.images[0]

    baseline, (fx, fy) = unmasked_output(server, job, source, canvas, (placed.x, placed.y, placed.w, placed.h))
    shape = [(x * fx, y * fy) for x, y in drawn]
    # points are whole image pixels (≤ 0.5 px off the click, times the image's scale on the
    # output) and the placed box is rounded to whole output pixels
    slack = 0.5 * scale * max(fx, fy) + 0.5
    check_repaint(baseline, Image.open(io.BytesIO(result_png)), shape, slack)
