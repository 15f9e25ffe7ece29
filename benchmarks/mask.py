"""Mask painter performance: a freehand lasso stroke of 5,000 mouse events on a 4096×4096 image.

Figures (one JSON line each):
- lasso_event_ms: median time to handle one mouse-move event (view → tool → preview), target < 8 ms
- lasso_event_p95_ms: the slow tail of the same
- lasso_simplify_ms: median time to simplify the stroke's points to ≤ 200, target < 20 ms
- lasso_points: the vertex count after simplification, target ≤ 200
- lasso_commit_ms: median time from release to the area being in the mask (simplify, checks, undo step)
- lasso_frame_ms: median time to repaint the view with the 5,000-point preview on screen
- simplify_speedup: how many times faster than the textbook way (recursive RDP, bisecting the
  tolerance until ≤ 200 points remain)

Run: QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/mask.py
"""

from __future__ import annotations

import json
import math
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEvent, QPointF, Qt  # noqa: E402
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

EVENTS = 5000
ROUNDS = 3
SIDE = 4096


def emit(metric: str, value: float, unit: str, target: str, peer: str | None = None) -> None:
    line = {"metric": metric, "value": round(value, 3), "unit": unit, "target": target}
    if peer:
        line["peer"] = peer
    print(json.dumps(line), flush=True)


def stroke(center: QPointF, n: int = EVENTS) -> list[QPointF]:
    """A wobbly closed loop (a flower with a tremor), about 1–2 screen pixels per event, like a
    quick hand on a 1 kHz mouse."""
    pts = []
    for i in range(n):
        t = 2 * math.pi * i / n
        r = 300 + 90 * math.sin(9 * t) + 4 * math.sin(i * 0.9)
        pts.append(QPointF(center.x() + r * math.cos(t), center.y() + 0.8 * r * math.sin(t)))
    return pts


def send(viewport, kind, pos: QPointF, buttons) -> None:
    button = Qt.MouseButton.LeftButton if kind != QEvent.Type.MouseMove else Qt.MouseButton.NoButton
    ev = QMouseEvent(kind, pos, QPointF(viewport.mapToGlobal(pos)), button, buttons, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(viewport, ev)


# ---- the textbook peer: recursive RDP, bisecting the tolerance to reach the cap ----------------

def _rdp(points, eps):
    if len(points) < 3:
        return list(points)
    (ax, ay), (bx, by) = points[0], points[-1]
    dx, dy = bx - ax, by - ay
    length = math.hypot(dx, dy) or 1e-12
    best, index = -1.0, 0
    for i in range(1, len(points) - 1):
        x, y = points[i]
        d = abs(dy * x - dx * y + bx * ay - by * ax) / length
        if d > best:
            best, index = d, i
    if best <= eps:
        return [points[0], points[-1]]
    return _rdp(points[: index + 1], eps)[:-1] + _rdp(points[index:], eps)


def textbook_simplify(points, cap=200):
    far = max(range(len(points)), key=lambda i: (points[i][0] - points[0][0]) ** 2 + (points[i][1] - points[0][1]) ** 2)
    ring = points + points[:1]
    lo, hi = 0.0, 1.0
    while len(_rdp(ring[: far + 1], hi)) + len(_rdp(ring[far:], hi)) - 2 > cap:
        hi *= 2
    for _ in range(20):
        mid = (lo + hi) / 2
        if len(_rdp(ring[: far + 1], mid)) + len(_rdp(ring[far:], mid)) - 2 > cap:
            lo = mid
        else:
            hi = mid
    return _rdp(ring[: far + 1], hi)[:-1] + _rdp(ring[far:], hi)[:-1]


def main() -> None:
    app = QApplication.instance() or QApplication(sys.argv)
    from studio.ui.mask import geometry as geo
    from studio.ui.mask.painter import MaskPainter

    image = QImage(SIDE, SIDE, QImage.Format.Format_RGB32)
    painter = QPainter(image)
    for k in range(0, SIDE, 256):  # some structure, so scaling the pixmap is real work
        painter.fillRect(k, 0, 128, SIDE, QColor(40 + k % 200, 60, 90))
    painter.end()

    widget = MaskPainter(image)
    widget.resize(1200, 900)
    widget.show()
    app.processEvents()
    view = widget.view
    view.actual_pixels()
    view.centerOn(QPointF(SIDE / 2, SIDE / 2))
    widget.set_tool("lasso")
    viewport = view.viewport()
    center = QPointF(viewport.width() / 2, viewport.height() / 2)
    path = stroke(center)
    left = Qt.MouseButton.LeftButton

    per_event: list[float] = []
    commits: list[float] = []
    frames: list[float] = []
    raw_points: list[tuple[float, float]] = []
    frame_image = QImage(viewport.size(), QImage.Format.Format_ARGB32_Premultiplied)
    for _ in range(ROUNDS):
        widget.model.clear()
        send(viewport, QEvent.Type.MouseButtonPress, path[0], left)
        for i, p in enumerate(path[1:], 1):
            t0 = time.perf_counter()
            send(viewport, QEvent.Type.MouseMove, p, left)
            per_event.append((time.perf_counter() - t0) * 1000)
            if i % 1000 == 0:
                app.processEvents()  # let the view repaint now and then, as a real event loop would
        raw_points = list(widget.tools["lasso"].points)
        # one frame with the full 5,000-point preview showing
        for _ in range(5):
            frame_image.fill(0)
            t0 = time.perf_counter()
            p = QPainter(frame_image)
            view.render(p)
            p.end()
            frames.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        send(viewport, QEvent.Type.MouseButtonRelease, path[0], Qt.MouseButton.NoButton)
        commits.append((time.perf_counter() - t0) * 1000)
        assert len(widget.model) >= 1, "the stroke did not become an area"

    tolerance = widget.image_per_screen() * 1.0
    simplify_ms = []
    for _ in range(7):
        t0 = time.perf_counter()
        simplified = geo.simplify(raw_points, tolerance, geo.MAX_POINTS)
        simplify_ms.append((time.perf_counter() - t0) * 1000)
    peer_ms = []
    for _ in range(3):
        t0 = time.perf_counter()
        textbook = textbook_simplify(raw_points)
        peer_ms.append((time.perf_counter() - t0) * 1000)
    assert len(textbook) <= 200

    per_event.sort()
    emit("lasso_event_ms", statistics.median(per_event), "ms", "< 8")
    emit("lasso_event_p95_ms", per_event[int(0.95 * len(per_event))], "ms", "info")
    emit("lasso_simplify_ms", statistics.median(simplify_ms), "ms", "< 20")
    emit("lasso_points", len(simplified), "points", "<= 200")
    emit("lasso_stroke_points", len(raw_points), "points", "info")
    emit("lasso_commit_ms", statistics.median(commits), "ms", "info")
    emit("lasso_frame_ms", statistics.median(frames), "ms", "info (< 16 for 60 fps)")
    emit("simplify_speedup", statistics.median(peer_ms) / statistics.median(simplify_ms), "x", "> 1",
         peer="recursive RDP + tolerance bisection")


if __name__ == "__main__":
    main()
