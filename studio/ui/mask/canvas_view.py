"""A zoomable, pannable view of an image (or a canvas) that hands mouse input to a tool.

Precision rules: the scene's unit is one image (or canvas) pixel; the view's only transform is a
uniform scale; positions are mapped from the event's *floating* logical position through the
full viewport transform, never through integer QPoints. Logical pixels are what Qt reports on
every screen, so the mapping holds on HiDPI screens; "100 %" means one image pixel per *device*
pixel, as in other image editors.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent, QMouseEvent, QPainter, QTransform, QWheelEvent
from PySide6.QtWidgets import QFrame, QGraphicsScene, QGraphicsView, QWidget

MIN_ZOOM = 0.02
MAX_ZOOM = 32.0
WHEEL_STEP = 1.2  # zoom factor per wheel notch (120 eighths of a degree)


@dataclass
class ToolEvent:
    """A pointer event as tools see it: scene position (float), buttons and modifiers."""

    scene: QPointF
    view: QPointF
    button: Qt.MouseButton
    buttons: Qt.MouseButton
    modifiers: Qt.KeyboardModifier


class CanvasView(QGraphicsView):
    zoom_changed = Signal(float)  # the scale, in logical pixels per scene pixel
    pointer_moved = Signal(QPointF)  # scene position under the pointer

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.SmoothPixmapTransform)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setDragMode(QGraphicsView.DragMode.NoDrag)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.FullViewportUpdate)
        # Panning is space-drag / middle-drag; scroll bars would only take room from the image.
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setBackgroundBrush(QColor("#111214"))
        self._content = QRectF()
        self._tool = None
        self._space = False
        self._pan_from: QPointF | None = None
        self._fitted = True  # keep fitting on resize until the user zooms
        # keys the tool does not take (tool shortcuts, zoom keys) go here; returns True if used
        self.key_fallback: Callable[[QKeyEvent], bool] | None = None

    # ---- content and mapping ------------------------------------------------------------------

    def set_content_rect(self, rect: QRectF) -> None:
        """The rectangle that `fit` frames; the scene gets generous margins for panning."""
        self._content = QRectF(rect)
        margin = max(rect.width(), rect.height())
        self.scene().setSceneRect(rect.adjusted(-margin, -margin, margin, margin))

    def content_rect(self) -> QRectF:
        return QRectF(self._content)

    def map_to_scene_f(self, pos: QPointF) -> QPointF:
        inverse, _ok = self.viewportTransform().inverted()
        return inverse.map(QPointF(pos))

    def map_from_scene_f(self, pos: QPointF) -> QPointF:
        return self.viewportTransform().map(QPointF(pos))

    # ---- zoom ---------------------------------------------------------------------------------

    def zoom(self) -> float:
        return self.transform().m11()

    def pixel_ratio(self) -> float:
        return self.viewport().devicePixelRatioF() or 1.0

    def zoom_percent(self) -> float:
        """Zoom as image editors show it: 100 % is one scene pixel per device pixel."""
        return self.zoom() * self.pixel_ratio() * 100.0

    def set_zoom(self, scale: float, anchor: QPointF | None = None) -> None:
        """Scale the view, keeping the scene point under `anchor` (viewport coords) in place."""
        scale = max(MIN_ZOOM, min(MAX_ZOOM, float(scale)))
        if anchor is None:
            anchor = QPointF(self.viewport().width() / 2.0, self.viewport().height() / 2.0)
        fixed = self.map_to_scene_f(anchor)
        self.setTransform(QTransform.fromScale(scale, scale))
        self._keep_under(fixed, anchor)
        self.zoom_changed.emit(scale)

    def _keep_under(self, scene_point: QPointF, view_point: QPointF) -> None:
        drift = self.map_from_scene_f(scene_point) - view_point
        h, v = self.horizontalScrollBar(), self.verticalScrollBar()
        h.setValue(h.value() + round(drift.x()))
        v.setValue(v.value() + round(drift.y()))

    def zoom_by(self, factor: float, anchor: QPointF | None = None) -> None:
        self._fitted = False
        self.set_zoom(self.zoom() * factor, anchor)

    def fit(self) -> None:
        """Show the whole content with a small margin."""
        if self._content.isEmpty():
            return
        vw, vh = max(1, self.viewport().width()), max(1, self.viewport().height())
        scale = 0.94 * min(vw / self._content.width(), vh / self._content.height())
        self._fitted = True
        self.setTransform(QTransform.fromScale(scale, scale))
        self.centerOn(self._content.center())
        self.zoom_changed.emit(self.zoom())

    def refit_if_fitted(self) -> None:
        """Fit again after the content changed, unless the user has zoomed or panned since."""
        if self._fitted:
            self.fit()

    def actual_pixels(self, anchor: QPointF | None = None) -> None:
        """100 %: one image pixel per device pixel."""
        self._fitted = False
        self.set_zoom(1.0 / self.pixel_ratio(), anchor)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().resizeEvent(event)
        if self._fitted:
            self.fit()

    # ---- tools --------------------------------------------------------------------------------

    def set_tool(self, tool) -> None:
        if self._tool is not None:
            self._tool.deactivate()
        self._tool = tool
        if tool is not None:
            tool.activate()
        self._update_cursor()

    def tool(self):
        return self._tool

    def _update_cursor(self) -> None:
        if self._pan_from is not None:
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
        elif self._space:
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
        elif self._tool is not None:
            self.viewport().setCursor(self._tool.cursor())
        else:
            self.viewport().unsetCursor()

    def _event(self, ev: QMouseEvent) -> ToolEvent:
        pos = ev.position()
        return ToolEvent(self.map_to_scene_f(pos), QPointF(pos), ev.button(), ev.buttons(), ev.modifiers())

    # ---- input --------------------------------------------------------------------------------

    def mousePressEvent(self, ev: QMouseEvent) -> None:  # noqa: N802
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        if ev.button() == Qt.MouseButton.MiddleButton or (
            ev.button() == Qt.MouseButton.LeftButton and self._space
        ):
            self._pan_from = ev.position()
            self._update_cursor()
            ev.accept()
            return
        if self._tool is not None:
            self._tool.press(self._event(ev))
            self._update_cursor()
        ev.accept()

    def mouseMoveEvent(self, ev: QMouseEvent) -> None:  # noqa: N802
        if self._pan_from is not None:
            # scroll bars move in whole pixels: carry the fraction over so a slow drag keeps up
            delta = ev.position() - self._pan_from
            dx, dy = round(delta.x()), round(delta.y())
            self._pan_from = self._pan_from + QPointF(dx, dy)
            h, v = self.horizontalScrollBar(), self.verticalScrollBar()
            h.setValue(h.value() - dx)
            v.setValue(v.value() - dy)
            self._fitted = False
            ev.accept()
            return
        tev = self._event(ev)
        self.pointer_moved.emit(tev.scene)
        if self._tool is not None:
            self._tool.move(tev)
            if not tev.buttons:
                self._update_cursor()
        ev.accept()

    def mouseReleaseEvent(self, ev: QMouseEvent) -> None:  # noqa: N802
        if self._pan_from is not None and ev.button() in (Qt.MouseButton.MiddleButton, Qt.MouseButton.LeftButton):
            self._pan_from = None
            self._update_cursor()
            ev.accept()
            return
        if self._tool is not None:
            self._tool.release(self._event(ev))
            self._update_cursor()
        ev.accept()

    def mouseDoubleClickEvent(self, ev: QMouseEvent) -> None:  # noqa: N802
        if self._space or ev.button() != Qt.MouseButton.LeftButton:
            ev.accept()
            return
        if self._tool is not None:
            self._tool.double_click(self._event(ev))
        ev.accept()

    def wheelEvent(self, ev: QWheelEvent) -> None:  # noqa: N802
        steps = ev.angleDelta().y() / 120.0
        if steps == 0:
            ev.ignore()
            return
        self.zoom_by(WHEEL_STEP ** steps, ev.position())
        ev.accept()

    def keyPressEvent(self, ev: QKeyEvent) -> None:  # noqa: N802
        if ev.key() == Qt.Key.Key_Space:
            if not ev.isAutoRepeat():
                self._space = True
                self._update_cursor()
            ev.accept()
            return
        if self._tool is not None and self._tool.key(ev):
            ev.accept()
            return
        if self.key_fallback is not None and self.key_fallback(ev):
            ev.accept()
            return
        super().keyPressEvent(ev)

    def keyReleaseEvent(self, ev: QKeyEvent) -> None:  # noqa: N802
        if ev.key() == Qt.Key.Key_Space and not ev.isAutoRepeat():
            self._space = False
            self._pan_from = None
            self._update_cursor()
            ev.accept()
            return
        super().keyReleaseEvent(ev)

    def focusOutEvent(self, ev) -> None:  # noqa: N802
        # a space released while another widget had focus must not leave the view in pan mode
        self._space = False
        self._update_cursor()
        super().focusOutEvent(ev)
