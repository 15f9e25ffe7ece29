"""The mask painter shared by the inpaint and canvas editors: tool bar, zoomable view, overlay.

The image is shown by a pixmap item whose one unit is one image pixel; the overlay is its child,
so `to_image` (scene → overlay coordinates) is exact whether the image sits at the origin
(inpaint) or is moved and scaled on a canvas (edit, upload-paint).
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QImage, QKeyEvent, QKeySequence, QPainter, QPixmap, QShortcut
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QGraphicsPixmapItem,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.ui.mask.canvas_view import CanvasView
from studio.ui.mask.geometry import Point
from studio.ui.mask.icons import icon
from studio.ui.mask.mask_model import MaskModel
from studio.ui.mask.overlay import MaskOverlay
from studio.ui.mask.tools import ALL_TOOLS, Tool

SHARP_ZOOM = 2.0  # from this zoom on, pixels are shown as crisp squares (exact placement)

_ICON_BY_TOOL = {"select": "select", "rectangle": "rectangle", "polygon": "polygon", "lasso": "lasso"}


class ElidedLabel(QLabel):
    """A one-line label that ends in "…" when short of room, instead of overlapping neighbours."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

    def paintEvent(self, event) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setPen(self.palette().color(self.foregroundRole()))
        text = self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, self.width())
        painter.drawText(self.rect(), int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), text)
        painter.end()


def _sep() -> QFrame:
    line = QFrame()
    line.setFrameShape(QFrame.Shape.VLine)
    line.setObjectName("PainterSeparator")
    line.setFixedWidth(1)
    return line


class MaskPainter(QWidget):
    """Tool bar + view + status line around one image and its `MaskModel`."""

    message = Signal(str)  # a refusal or hint for the editor to show ("" clears it)

    def __init__(self, image: QImage, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # A HiDPI source image (devicePixelRatio 2) would otherwise be drawn at half its pixel
        # size and every scene coordinate would be off by that ratio: the scene's unit must be
        # one image pixel.
        self.image = QImage(image)
        self.image.setDevicePixelRatio(1.0)
        self.model = MaskModel(self.image.width(), self.image.height(), self)
        self.view = CanvasView(self)
        # The one full-size upload to a pixmap (up to 4096² ≈ 64 MB, tens of ms) happens here,
        # once per editor: zooming only changes the view transform and the item's sampling
        # mode, never the pixmap. It stays on the GUI thread because QPixmap may only be made
        # there, and the editor needs the full resolution to place mask points exactly.
        self.image_item = QGraphicsPixmapItem(QPixmap.fromImage(self.image))
        self.image_item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self.image_item.setZValue(1)
        self.view.scene().addItem(self.image_item)
        self.overlay = MaskOverlay(self.model, self.image_item)
        self.view.set_content_rect(self.image_item.sceneBoundingRect())
        self._subtract = False
        self.tools: dict[str, Tool] = {}
        self.tool_buttons: dict[str, QToolButton] = {}
        self._group = QButtonGroup(self)
        self._group.setExclusive(True)
        self._labelled: list[QToolButton] = []  # tool and mode buttons: icon-only when narrow
        self._build()
        for cls in ALL_TOOLS:
            self.add_tool(cls(self))
        self.view.key_fallback = self._key
        self.view.zoom_changed.connect(self._zoom_changed)
        self.view.pointer_moved.connect(self._pointer_moved)
        self._pointer: Point | None = None
        self._areas_text = ""
        self.model.changed.connect(self._mask_changed)
        self.set_tool("rectangle")
        self._mask_changed()

    # ---- layout -------------------------------------------------------------------------------

    def _button(self, name: str, text: str, tip: str, checkable: bool = False) -> QToolButton:
        button = QToolButton(self)
        if name:
            button.setIcon(icon(name))
        button.setText(text)
        button.setToolTip(tip)
        button.setCheckable(checkable)
        if not name:
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        else:
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon if text
                                      else Qt.ToolButtonStyle.ToolButtonIconOnly)
        button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        return button

    def _build(self) -> None:
        self.setObjectName("MaskPainter")
        self.bar = bar = QWidget(self)
        bar.setObjectName("PainterBar")
        # its labels come and go with the room (_fit_bar): they must not set the window's width
        bar.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        row = QHBoxLayout(bar)
        row.setContentsMargins(10, 8, 10, 8)
        row.setSpacing(4)
        self._tool_row = QHBoxLayout()
        self._tool_row.setSpacing(4)
        row.addLayout(self._tool_row)
        row.addSpacing(6)
        row.addWidget(_sep())
        row.addSpacing(6)

        self.add_button = self._button("add", "Add", "Shapes add to the mask (E toggles)", True)
        self.subtract_button = self._button("subtract", "Erase", "Shapes erase from the mask (E toggles; or hold Alt)", True)
        mode = QButtonGroup(self)
        mode.setExclusive(True)
        mode.addButton(self.add_button)
        mode.addButton(self.subtract_button)
        self.add_button.setChecked(True)
        self.subtract_button.toggled.connect(self.set_subtract_mode)
        row.addWidget(self.add_button)
        row.addWidget(self.subtract_button)
        self._labelled += [self.add_button, self.subtract_button]
        row.addSpacing(6)
        row.addWidget(_sep())
        row.addSpacing(6)

        self.undo_button = self._button("undo", "", "Undo (Ctrl+Z)")
        self.redo_button = self._button("redo", "", "Redo (Ctrl+Shift+Z)")
        self.clear_button = self._button("clear", "", "Clear: remove every area")
        stack = self.model.undo_stack
        self.undo_button.clicked.connect(self.undo)
        self.redo_button.clicked.connect(self.redo)
        self.clear_button.clicked.connect(self.clear)
        stack.canUndoChanged.connect(self.undo_button.setEnabled)
        stack.canRedoChanged.connect(self.redo_button.setEnabled)
        self.undo_button.setEnabled(False)
        self.redo_button.setEnabled(False)
        for b in (self.undo_button, self.redo_button, self.clear_button):
            row.addWidget(b)
        row.addStretch(1)

        self.zoom_out_button = self._button("zoom_out", "", "Zoom out (−)")
        self.zoom_label = QLabel("100 %", self)
        self.zoom_label.setObjectName("Muted")
        self.zoom_label.setMinimumWidth(48)
        self.zoom_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.zoom_in_button = self._button("zoom_in", "", "Zoom in (+); the mouse wheel zooms about the pointer")
        self.fit_button = self._button("fit", "Fit", "Show the whole image (F)")
        self.actual_button = self._button("", "1:1", "100 %: one image pixel per screen pixel (1)")
        self.zoom_out_button.clicked.connect(lambda: self.view.zoom_by(1 / 1.25))
        self.zoom_in_button.clicked.connect(lambda: self.view.zoom_by(1.25))
        self.fit_button.clicked.connect(self.view.fit)
        self.actual_button.clicked.connect(lambda: self.view.actual_pixels())

        # elided, not clipped, when the window is narrow (its text grows with the pointer)
        self.status = ElidedLabel(self)
        self.status.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.status.setMinimumWidth(60)
        self.status.setObjectName("Muted")
        self.hint = ElidedLabel(self)
        self.hint.setObjectName("Hint")
        foot = QWidget(self)
        foot.setObjectName("PainterFoot")
        foot_row = QHBoxLayout(foot)
        foot_row.setContentsMargins(10, 4, 10, 4)
        foot_row.setSpacing(4)
        foot_row.addWidget(self.status)
        foot_row.addSpacing(16)
        foot_row.addWidget(self.hint, 1)
        foot_row.addSpacing(8)
        # zoom lives in the foot, as in most image editors, leaving the top row to the tools
        for w in (self.zoom_out_button, self.zoom_label, self.zoom_in_button, self.fit_button, self.actual_button):
            foot_row.addWidget(w)

        col = QVBoxLayout(self)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(0)
        col.addWidget(bar)
        col.addWidget(self.view, 1)
        col.addWidget(foot)

        for seq, slot in ((QKeySequence.StandardKey.Undo, self.undo), (QKeySequence.StandardKey.Redo, self.redo),
                          ("Ctrl+Shift+Z", self.redo)):
            shortcut = QShortcut(QKeySequence(seq), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)

    def add_tool(self, tool: Tool, icon_name: str | None = None, first: bool = False) -> None:
        """Register a tool and its button (the canvas editor adds its image-placing tool)."""
        self.tools[tool.name] = tool
        tip = f"{tool.label} ({tool.shortcut}) — {tool.tip}" if tool.shortcut else tool.tip
        button = self._button(icon_name or _ICON_BY_TOOL.get(tool.name, "select"), tool.label, tip, True)
        button.clicked.connect(lambda _=False, n=tool.name: self.set_tool(n))
        self._group.addButton(button)
        self.tool_buttons[tool.name] = button
        if first:
            self._tool_row.insertWidget(0, button)
        else:
            self._tool_row.addWidget(button)
        self._labelled.append(button)
        self._fit_bar()

    # ---- a narrow window ----------------------------------------------------------------------

    def _fit_bar(self) -> None:
        """Tool and mode buttons show their labels when the bar has room for them, else only
        their icons (tooltips keep the names); measured with the labels on, as styled now."""
        text = Qt.ToolButtonStyle.ToolButtonTextBesideIcon
        for button in self._labelled:
            button.setToolButtonStyle(text)
        if self.width() < self.bar.sizeHint().width():
            for button in self._labelled:
                button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._fit_bar()

    # ---- host interface for tools -------------------------------------------------------------

    def to_image(self, scene: QPointF) -> Point:
        p = self.overlay.mapFromScene(scene)
        return (p.x(), p.y())

    def image_scale(self) -> float:
        """Screen-independent size of one image pixel in scene units (1 unless placed on a
        canvas at another size)."""
        t = self.image_item.sceneTransform()
        return max(1e-9, (abs(t.m11()) + abs(t.m22())) / 2.0)

    def image_per_screen(self) -> float:
        return 1.0 / (self.view.zoom() * self.image_scale())

    def subtract_mode(self) -> bool:
        return self._subtract

    def report(self, message: str | None) -> None:
        self.message.emit(_sentence(message) if message else "")

    # ---- commands -----------------------------------------------------------------------------

    def current_tool(self) -> Tool | None:
        return self.view.tool()

    def set_tool(self, name: str) -> None:
        tool = self.tools[name]
        if self.view.tool() is not tool:
            self.view.set_tool(tool)
        self.tool_buttons[name].setChecked(True)
        self.hint.setText(tool.tip)

    def set_subtract_mode(self, on: bool) -> None:
        self._subtract = bool(on)
        (self.subtract_button if on else self.add_button).setChecked(True)

    def _cancel_tool(self) -> bool:
        """Drop a half-drawn shape or an unfinished drag; True if there was one."""
        tool = self.view.tool()
        if tool is None or not tool.busy():
            return False
        tool.cancel()
        self.report(None)
        return True

    def undo(self) -> None:
        # mid-shape, Ctrl+Z takes back that shape only, not also the change before it
        if not self._cancel_tool():
            self.model.undo_stack.undo()

    def redo(self) -> None:
        if not self._cancel_tool():
            self.model.undo_stack.redo()

    def clear(self) -> None:
        self._cancel_tool()
        self.overlay.set_selected(None)
        self.model.clear()
        self.report(None)

    def _key(self, ev: QKeyEvent) -> bool:
        # the shortcuts above need an active window; the view itself answers when focused
        if ev.matches(QKeySequence.StandardKey.Undo):
            self.undo()
            return True
        if ev.matches(QKeySequence.StandardKey.Redo) or (
            ev.key() == Qt.Key.Key_Z and ev.modifiers() == (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
        ):
            self.redo()
            return True
        if ev.modifiers() & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.MetaModifier):
            return False
        key = ev.key()
        for name, tool in self.tools.items():
            if tool.shortcut and key == QKeySequence(tool.shortcut)[0].key():
                self.set_tool(name)
                return True
        if key == Qt.Key.Key_E:
            self.set_subtract_mode(not self._subtract)
            return True
        if key == Qt.Key.Key_F:
            self.view.fit()
            return True
        if key == Qt.Key.Key_1:
            self.view.actual_pixels()
            return True
        if key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.view.zoom_by(1.25)
            return True
        if key == Qt.Key.Key_Minus:
            self.view.zoom_by(1 / 1.25)
            return True
        return False

    # ---- status -------------------------------------------------------------------------------

    def _zoom_changed(self, scale: float) -> None:
        self.zoom_label.setText(f"{self.view.zoom_percent():.0f} %")
        sharp = scale * self.image_scale() >= SHARP_ZOOM
        self.image_item.setTransformationMode(
            Qt.TransformationMode.FastTransformation if sharp else Qt.TransformationMode.SmoothTransformation
        )

    def _pointer_moved(self, scene: QPointF) -> None:
        x, y = self.to_image(scene)
        w, h = self.model.width, self.model.height
        self._pointer = (x, y) if 0 <= x < w and 0 <= y < h else None
        self._update_status()

    def _mask_changed(self) -> None:
        # the coverage needs a boolean union: computed once per change, not per pointer move
        n = len(self.model)
        if n:
            share = self.model.covered_fraction() * 100
            self._areas_text = f"{n} area{'s' if n != 1 else ''} · {share:.0f} % of the image"
        else:
            self._areas_text = "no areas yet"
        self._update_status()

    def _update_status(self) -> None:
        parts = []
        if self._pointer is not None:
            parts.append(f"x {int(self._pointer[0])}  y {int(self._pointer[1])}")
        parts.append(f"{self.model.width} × {self.model.height} px")
        parts.append(self._areas_text)
        self.status.setText("   ·   ".join(parts))


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."
