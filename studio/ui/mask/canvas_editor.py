"""The canvas editor for `/v1/edit` (an image of a job) and `/v1/upload-paint` (an image URL):
set the canvas, place and size the image on it (imgPos), paint the areas to repaint, type the
prompt.

How the mask is read: the docs call `mask` the "Areas to repaint on the original image" (edit)
and "Areas to edit on the original image" (upload-paint), and each polygon states an image
width/height of 500–4096 px. The studio therefore sends mask points in the *source image's own
pixels* (0..width-1, 0..height-1), with `width`/`height` the source image's size — not canvas
coordinates — whatever the image's placement or scale on the canvas. The painter enforces this
by drawing the mask on an overlay that is a child of the placed image.

One exception: when the canvas has the image's own size, a polygon's width/height name the canvas
as well, and the vendor SDK's example (polygons stated in the canvas' size) makes a server read it
in canvas pixels — the sandbox does. Then the areas are sent in canvas pixels (mapped through
imgPos, clipped to the canvas), which is what the artist painted under either reading.

The canvas size has no documented range; the studio keeps each side within 64–4096 px (4096 is
the largest image the API takes anywhere). `imgPos` may hang over the canvas edge (negative
offsets are allowed by the request types) but must overlap the canvas, and its sides stay within
16–8192 px (twice the largest canvas: the sandbox, the API's stand-in, refuses more).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QImage,
    QPainter,
    QPainterPath,
    QPen,
    QTransform,
    QUndoCommand,
)
from PySide6.QtWidgets import (
    QComboBox,
    QGraphicsObject,
    QGraphicsPathItem,
    QGraphicsRectItem,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QStyleOptionGraphicsItem,
    QWidget,
)

from studio.api.errors import ValidationError
from studio.api.requests import Canvas, CanvasImg, Mask, Polygon, check_url
from studio.ui.mask import geometry as geo
from studio.ui.mask.canvas_view import ToolEvent
from studio.ui.mask.editor_base import EditorWindow, rule, section
from studio.ui.mask.icons import color
from studio.ui.mask.mask_model import Area, MaskModel
from studio.ui.mask.overlay import HANDLE_PX
from studio.ui.mask.prompt_box import PromptBox
from studio.ui.mask.tools import Tool

CANVAS_MIN = 64
CANVAS_MAX = 4096
IMAGE_MIN = 16
IMAGE_MAX = 2 * CANVAS_MAX  # imgPos.width/height above this are refused with HTTP 400
SNAP_PX = 8.0  # image edges and centre snap to the canvas' within this many screen pixels

PRESETS: list[tuple[str, tuple[int, int] | None]] = [
    ("Same as image", None),
    ("1:1 square", (1, 1)),
    ("4:3", (4, 3)),
    ("3:2", (3, 2)),
    ("16:9", (16, 9)),
    ("3:4", (3, 4)),
    ("2:3", (2, 3)),
    ("9:16", (9, 16)),
    ("Free", (0, 0)),
]
FREE = len(PRESETS) - 1


@dataclass(frozen=True)
class Placement:
    """The canvas size and where the image sits on it (imgPos), in canvas pixels."""

    canvas_w: int
    canvas_h: int
    x: int
    y: int
    w: int
    h: int

    def image_rect(self) -> QRectF:
        return QRectF(self.x, self.y, self.w, self.h)

    def canvas_rect(self) -> QRectF:
        return QRectF(0, 0, self.canvas_w, self.canvas_h)

    def overlaps(self) -> bool:
        return self.x < self.canvas_w and self.y < self.canvas_h and self.x + self.w > 0 and self.y + self.h > 0

    def centered(self) -> Placement:
        return replace(self, x=(self.canvas_w - self.w) // 2, y=(self.canvas_h - self.h) // 2)


def canvas_for_aspect(w: int, h: int, a: int, b: int) -> tuple[int, int, float]:
    """The smallest a:b canvas holding a w×h image, and the factor (≤ 1) the image must shrink
    by when that canvas would pass CANVAS_MAX."""
    if w * b >= h * a:
        cw, ch = w, w * b / a
    else:
        cw, ch = h * a / b, h
    shrink = min(1.0, CANVAS_MAX / max(cw, ch))
    return max(CANVAS_MIN, round(cw * shrink)), max(CANVAS_MIN, round(ch * shrink)), shrink


def preset_of(p: Placement) -> int:
    """The PRESETS index that names a placement's canvas: the image's own size, a listed shape
    (within the pixel of rounding canvas_for_aspect allows), or Free."""
    if (p.canvas_w, p.canvas_h, p.x, p.y) == (p.w, p.h, 0, 0):
        return 0
    for i, (_, ratio) in enumerate(PRESETS):
        if ratio and ratio != (0, 0) and abs(p.canvas_w * ratio[1] - p.canvas_h * ratio[0]) <= max(ratio):
            return i
    return FREE


class _SetPlacement(QUndoCommand):
    def __init__(self, editor: CanvasEditor, before: Placement, after: Placement, text: str,
                 merge_key: int = -1) -> None:
        super().__init__(text)
        self._editor = editor
        self.before = before
        self.after = after
        self._key = merge_key

    def id(self) -> int:  # noqa: A003 (Qt's name)
        return self._key

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802
        # consecutive steps of one spin box become one undo step
        if not isinstance(other, _SetPlacement) or other._key != self._key or self._key < 0:
            return False
        self.after = other.after
        return True

    def redo(self) -> None:
        self._editor._apply_placement(self.after)

    def undo(self) -> None:
        self._editor._apply_placement(self.before)


class ImageFrame(QGraphicsObject):
    """The placed image's outline with corner handles (drawn while the Image tool is active)."""

    def __init__(self, editor: CanvasEditor) -> None:
        super().__init__()
        self._editor = editor
        self.setZValue(20)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)

    def boundingRect(self) -> QRectF:
        r = self._editor.shown_placement().image_rect()
        pad = max(r.width(), r.height()) * 0.1 + 64
        return r.adjusted(-pad, -pad, pad, pad)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        scale = max(1e-6, QStyleOptionGraphicsItem.levelOfDetailFromTransform(painter.worldTransform()))
        r = self._editor.shown_placement().image_rect()
        pen = QPen(color("accent", "#6e8bff"), 1.5)
        pen.setCosmetic(True)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(r)
        size = HANDLE_PX / scale
        painter.setBrush(QBrush(QColor("#ffffff")))
        for corner in (r.topLeft(), r.topRight(), r.bottomRight(), r.bottomLeft()):
            painter.drawRect(QRectF(corner.x() - size / 2, corner.y() - size / 2, size, size))

    def refresh(self) -> None:
        self.prepareGeometryChange()
        self.update()


class PlaceImageTool(Tool):
    """Drag the image to move it on the canvas; drag a corner to resize it (aspect kept)."""

    name = "image"
    label = "Image"
    shortcut = "M"
    tip = "Drag the image to move it on the canvas; drag a corner to resize it"

    def __init__(self, host, editor: CanvasEditor) -> None:
        super().__init__(host)
        self.editor = editor
        self._mode: str | None = None
        self._start = QPointF()
        self._from: Placement | None = None
        self._anchor = QPointF()
        self._hover = Qt.CursorShape.ArrowCursor

    def activate(self) -> None:
        self.editor.frame.setVisible(True)

    def deactivate(self) -> None:
        self.cancel()
        self.editor.frame.setVisible(False)

    def busy(self) -> bool:
        return self._mode is not None

    def cancel(self) -> None:
        if self._mode is not None:
            self._mode = None
            self.editor.preview_placement(None)

    def cursor(self):
        return self._hover

    def _reach(self) -> float:
        return HANDLE_PX / self.editor.painter.view.zoom()

    def _corner_at(self, p: QPointF) -> int:
        r = self.editor.placement.image_rect()
        corners = (r.topLeft(), r.topRight(), r.bottomRight(), r.bottomLeft())
        reach = self._reach()
        for i, c in enumerate(corners):
            if abs(c.x() - p.x()) <= reach and abs(c.y() - p.y()) <= reach:
                return i
        return -1

    def press(self, ev: ToolEvent) -> None:
        if ev.button != Qt.MouseButton.LeftButton:
            return
        p = ev.scene
        current = self.editor.placement
        corner = self._corner_at(p)
        r = current.image_rect()
        if corner >= 0:
            self._mode = "resize"
            opposite = (r.bottomRight(), r.bottomLeft(), r.topLeft(), r.topRight())[corner]
            self._anchor = opposite
        elif r.contains(p):
            self._mode = "move"
        else:
            return
        self._start = QPointF(p)
        self._from = current

    def _moved(self, ev: ToolEvent) -> Placement:
        start = self._from
        assert start is not None
        p = ev.scene
        if self._mode == "move":
            x = start.x + round(p.x() - self._start.x())
            y = start.y + round(p.y() - self._start.y())
            if not ev.modifiers & Qt.KeyboardModifier.ShiftModifier:  # Shift: no snapping
                x = self._snap(x, start.w, start.canvas_w)
                y = self._snap(y, start.h, start.canvas_h)
            return replace(start, x=x, y=y)
        iw, ih = self.editor.image.width(), self.editor.image.height()
        ax, ay = self._anchor.x(), self._anchor.y()
        s = max(abs(p.x() - ax) / iw, abs(p.y() - ay) / ih, IMAGE_MIN / min(iw, ih))
        s = min(s, IMAGE_MAX / max(iw, ih))  # a corner dragged far out stops at the largest size
        w, h = max(IMAGE_MIN, round(iw * s)), max(IMAGE_MIN, round(ih * s))
        x = round(ax) if p.x() >= ax else round(ax) - w
        y = round(ay) if p.y() >= ay else round(ay) - h
        return replace(start, x=x, y=y, w=w, h=h)

    def _snap(self, pos: int, size: int, canvas: int) -> int:
        reach = SNAP_PX / self.editor.painter.view.zoom()
        for target in (0, canvas - size, (canvas - size) // 2):
            if abs(pos - target) <= reach:
                return target
        return pos

    def move(self, ev: ToolEvent) -> None:
        if self._mode is None:
            p = ev.scene
            if self._corner_at(p) >= 0:
                corner = self._corner_at(p)
                self._hover = (Qt.CursorShape.SizeFDiagCursor if corner in (0, 2) else Qt.CursorShape.SizeBDiagCursor)
            elif self.editor.placement.image_rect().contains(p):
                self._hover = Qt.CursorShape.SizeAllCursor
            else:
                self._hover = Qt.CursorShape.ArrowCursor
            return
        self.editor.preview_placement(self._moved(ev))

    def release(self, ev: ToolEvent) -> None:
        if self._mode is None or ev.button != Qt.MouseButton.LeftButton:
            return
        after = self._moved(ev)
        mode = self._mode
        self._mode = None
        self.editor.preview_placement(None)
        self.editor.set_placement(after, "Move image" if mode == "move" else "Resize image")


def _spin(lo: int, hi: int, suffix: str = "") -> QSpinBox:
    box = QSpinBox()
    box.setRange(lo, hi)
    box.setSuffix(suffix)
    box.setKeyboardTracking(False)  # typed digits apply on Enter, not per keystroke
    box.setAccelerated(True)
    # arrow keys and the wheel step the value; the arrow buttons are hidden by the editor's
    # stylesheet (NoButtons hides the text under the theme's QSS)
    box.setAlignment(Qt.AlignmentFlag.AlignRight)
    return box


class CanvasEditor(EditorWindow):
    """Edit (job image) or upload-paint (image URL) on a canvas; emits `submitted(op, kwargs)`."""

    placement_changed = Signal()

    def __init__(self, image: QImage, *, job_id: str | None = None, image_no: int | None = None,
                 prompt: str = "", model: str | None = None, img_url: str | None = None,
                 parent: QWidget | None = None) -> None:
        self.op = "upload_paint" if img_url else "edit"
        super().__init__(image, "Upload paint" if img_url else "Edit on canvas", parent)
        if self.op == "edit" and (job_id is None or image_no is None):
            raise ValueError("an edit needs the job_id and image_no of its image")
        self.job_id = job_id
        self.image_no = None if image_no is None else int(image_no)
        self.img_url = img_url
        self.image = self.painter.image
        iw, ih = self.image.width(), self.image.height()
        self.placement = self.full_size_placement()
        self._preview: Placement | None = None
        if self.op == "edit":
            self.subtitle.setText(f"Image {self.image_no + 1} of job {str(job_id)[:8]} · {iw} × {ih} px")
        else:
            self.subtitle.setText(f"{iw} × {ih} px from {img_url}")
            self.subtitle.setToolTip(img_url)

        self._build_scene()
        self._build_panel(prompt, model)
        self.painter.add_tool(PlaceImageTool(self.painter, self), "image", first=True)
        self.painter.set_tool("image")
        self._apply_placement(self.placement)
        self.painter.view.fit()
        self.refresh()

    # ---- scene --------------------------------------------------------------------------------

    def _build_scene(self) -> None:
        scene = self.painter.view.scene()
        self.canvas_item = QGraphicsRectItem()
        self.canvas_item.setZValue(0)
        hatch = QBrush(color("border", "#34363c"), Qt.BrushStyle.BDiagPattern)
        self.canvas_item.setBrush(QBrush(color("raised", "#2d2f34")))
        self.canvas_item.setPen(Qt.PenStyle.NoPen)
        self.hatch_item = QGraphicsRectItem(self.canvas_item)
        self.hatch_item.setBrush(hatch)
        self.hatch_item.setPen(Qt.PenStyle.NoPen)
        scene.addItem(self.canvas_item)
        # what hangs over the canvas edge is cut off: veil it
        self.veil = QGraphicsPathItem()
        self.veil.setZValue(15)
        self.veil.setBrush(QBrush(QColor(10, 11, 13, 170)))
        self.veil.setPen(Qt.PenStyle.NoPen)
        scene.addItem(self.veil)
        self.border = QGraphicsRectItem()
        self.border.setZValue(16)
        pen = QPen(QColor("#ffffff"), 1.0, Qt.PenStyle.DashLine)
        pen.setCosmetic(True)
        self.border.setPen(pen)
        scene.addItem(self.border)
        self.frame = ImageFrame(self)
        self.frame.setVisible(False)
        scene.addItem(self.frame)

    def shown_placement(self) -> Placement:
        return self._preview or self.placement

    def _place_items(self, p: Placement) -> None:
        iw, ih = self.image.width(), self.image.height()
        item = self.painter.image_item
        item.setPos(p.x, p.y)
        item.setTransform(QTransform.fromScale(p.w / iw, p.h / ih))
        canvas = p.canvas_rect()
        self.canvas_item.setRect(canvas)
        self.hatch_item.setRect(canvas)
        self.border.setRect(canvas)
        span = max(canvas.width(), canvas.height(), p.w, p.h) * 4
        outside = QPainterPath()
        outside.setFillRule(Qt.FillRule.OddEvenFill)
        outside.addRect(canvas.adjusted(-span, -span, span, span))
        outside.addRect(canvas)
        self.veil.setPath(outside)
        self.frame.refresh()

    # ---- placement (undoable) -----------------------------------------------------------------

    def preview_placement(self, p: Placement | None) -> None:
        """Show a placement while dragging, without committing it."""
        self._preview = p
        self._place_items(p or self.placement)
        self._show_numbers(p or self.placement)

    def set_placement(self, p: Placement, text: str = "Place image", merge_key: int = -1) -> str | None:
        """Commit a placement as one undo step; refused (with a reason) if it is out of range."""
        problem = self.placement_problem(p)
        if problem:
            self._apply_placement(self.placement)  # put the items back where they were
            self._set_message(problem, "ErrorText")
            return problem
        if p != self.placement:
            self.painter.model.undo_stack.push(_SetPlacement(self, self.placement, p, text, merge_key))
        return None

    def _apply_placement(self, p: Placement) -> None:
        self.placement = p
        self._preview = None
        self._place_items(p)
        self.painter.view.set_content_rect(p.canvas_rect().united(p.image_rect()))
        self.painter.view.refit_if_fitted()
        self._show_numbers(p)
        # the Shape box follows the canvas, whatever changed it (drag, typing, undo)
        if hasattr(self, "preset"):
            self.preset.blockSignals(True)
            self.preset.setCurrentIndex(preset_of(p))
            self.preset.blockSignals(False)
        self.placement_changed.emit()
        if hasattr(self, "prompt"):
            self.refresh()

    def placement_problem(self, p: Placement) -> str | None:
        if not (CANVAS_MIN <= p.canvas_w <= CANVAS_MAX and CANVAS_MIN <= p.canvas_h <= CANVAS_MAX):
            return f"The canvas must be {CANVAS_MIN}–{CANVAS_MAX} px on each side."
        if p.w < IMAGE_MIN or p.h < IMAGE_MIN:
            return f"The image must stay at least {IMAGE_MIN} px wide and high on the canvas."
        if p.w > IMAGE_MAX or p.h > IMAGE_MAX:
            return f"The image can be at most {IMAGE_MAX} px wide and high on the canvas."
        if not p.overlaps():
            return "The image lies entirely outside the canvas: move it back onto it."
        return None

    # ---- side panel ---------------------------------------------------------------------------

    def _build_panel(self, prompt: str, model: str | None) -> None:
        self.preset = QComboBox(self)
        for label, _ in PRESETS:
            self.preset.addItem(label)
        self.preset.setToolTip("Canvas shape: the image is centred on the smallest canvas of this shape that holds it")
        self.canvas_w = _spin(CANVAS_MIN, CANVAS_MAX, " px")
        self.canvas_h = _spin(CANVAS_MIN, CANVAS_MAX, " px")
        self.img_x = _spin(-CANVAS_MAX, CANVAS_MAX, " px")
        self.img_y = _spin(-CANVAS_MAX, CANVAS_MAX, " px")
        self.img_w = _spin(IMAGE_MIN, IMAGE_MAX, " px")
        self.img_h = _spin(IMAGE_MIN, IMAGE_MAX, " px")
        self.center_button = QPushButton("Centre", self)
        self.fill_button = QPushButton("Fit canvas", self)
        self.reset_button = QPushButton("Reset", self)
        self.center_button.setToolTip("Centre the image on the canvas")
        self.fill_button.setToolTip("Scale the image to fit the canvas and centre it")
        self.reset_button.setToolTip("Canvas the size of the image, image at full size")

        # one grid for both sections, so the labels and fields line up
        grid = QGridLayout()
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(6)
        rows: list[tuple[str, QWidget | None, QWidget | None]] = [
            ("Shape", self.preset, None),
            ("Size", self.canvas_w, self.canvas_h),
            ("Position", self.img_x, self.img_y),
            ("Size", self.img_w, self.img_h),
        ]
        row = 0
        for i, (label, first, second) in enumerate(rows):
            if i == 0:
                grid.addWidget(section("Canvas"), row, 0, 1, 4)
                row += 1
            if i == 2:
                grid.addWidget(rule(), row, 0, 1, 4)
                grid.addWidget(section("Image on the canvas"), row + 1, 0, 1, 4)
                row += 2
            grid.addWidget(QLabel(label, self), row, 0)
            if second is None:
                grid.addWidget(first, row, 1, 1, 3)
            else:
                grid.addWidget(first, row, 1)
                grid.addWidget(QLabel("," if label == "Position" else "×", self), row, 2)
                grid.addWidget(second, row, 3)
            row += 1
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        buttons = QHBoxLayout()
        buttons.setSpacing(6)
        for b in (self.center_button, self.fill_button, self.reset_button):
            buttons.addWidget(b)

        self.prompt = PromptBox(
            "Edit prompt", self.op, text=prompt, model=model,
            placeholder="What the canvas should show (new areas and repainted parts)", lines=4, parent=self,
        )
        self.url_edit = QLineEdit(self)
        self.url_edit.setPlaceholderText("https://… (optional)")
        self.url_edit.setClearButtonEnabled(True)
        url_hint = QLabel("A hosted black-and-white mask (white is repainted), used instead of painted areas.", self)
        url_hint.setObjectName("Hint")
        url_hint.setWordWrap(True)
        needs = "required" if self.op == "upload_paint" else "optional"
        mask_hint = QLabel(f"Mask ({needs}): paint the parts of the image to repaint with Rectangle, "
                           "Polygon or Lasso. Points are sent in the image's own pixels.", self)
        mask_hint.setObjectName("Hint")
        mask_hint.setWordWrap(True)

        self.body.addLayout(grid)
        self.body.addLayout(buttons)
        self.body.addWidget(rule())
        self.body.addWidget(self.prompt)
        self.body.addWidget(mask_hint)
        self.body.addWidget(section("Mask image URL"))
        self.body.addWidget(self.url_edit)
        self.body.addWidget(url_hint)
        self.body.addStretch(1)

        self.preset.currentIndexChanged.connect(self._preset_chosen)
        self.canvas_w.valueChanged.connect(lambda v: self._canvas_typed())
        self.canvas_h.valueChanged.connect(lambda v: self._canvas_typed())
        self.img_x.valueChanged.connect(lambda v: self._typed(replace(self.placement, x=v), 2))
        self.img_y.valueChanged.connect(lambda v: self._typed(replace(self.placement, y=v), 3))
        self.img_w.valueChanged.connect(self._width_typed)
        self.img_h.valueChanged.connect(self._height_typed)
        self.center_button.clicked.connect(lambda: self.set_placement(self.placement.centered(), "Centre image"))
        self.fill_button.clicked.connect(self.fit_image_to_canvas)
        self.reset_button.clicked.connect(self.reset_placement)
        self.prompt.changed.connect(self.refresh)
        self.url_edit.textChanged.connect(self.refresh)

    def _show_numbers(self, p: Placement) -> None:
        if not hasattr(self, "canvas_w"):
            return
        for box, value in ((self.canvas_w, p.canvas_w), (self.canvas_h, p.canvas_h), (self.img_x, p.x),
                           (self.img_y, p.y), (self.img_w, p.w), (self.img_h, p.h)):
            box.blockSignals(True)
            box.setValue(value)
            box.blockSignals(False)

    def _typed(self, p: Placement, key: int) -> None:
        self.set_placement(p, "Place image", merge_key=100 + key)

    def _canvas_typed(self) -> None:
        p = replace(self.placement, canvas_w=self.canvas_w.value(), canvas_h=self.canvas_h.value())
        self.set_placement(p, "Canvas size", merge_key=101)

    def _width_typed(self, w: int) -> None:
        # the image keeps its aspect: a typed width sets the height
        h = max(IMAGE_MIN, round(w * self.image.height() / self.image.width()))
        self._typed(replace(self.placement, w=w, h=h), 4)

    def _height_typed(self, h: int) -> None:
        w = max(IMAGE_MIN, round(h * self.image.width() / self.image.height()))
        self._typed(replace(self.placement, w=w, h=h), 4)

    def _preset_chosen(self, index: int) -> None:
        label, ratio = PRESETS[index]
        p = self.placement
        if ratio is None:
            cw, ch, shrink = p.w, p.h, min(1.0, CANVAS_MAX / max(p.w, p.h))
            w, h = round(p.w * shrink), round(p.h * shrink)
            self.set_placement(Placement(round(cw * shrink), round(ch * shrink), 0, 0, w, h), "Canvas: same as image")
            return
        if ratio == (0, 0):
            return  # Free: the size boxes are the canvas
        cw, ch, shrink = canvas_for_aspect(p.w, p.h, *ratio)
        w, h = max(IMAGE_MIN, round(p.w * shrink)), max(IMAGE_MIN, round(p.h * shrink))
        self.set_placement(Placement(cw, ch, 0, 0, w, h).centered(), f"Canvas {label}")

    def set_preset(self, label: str) -> None:
        """Choose a canvas preset by its label (e.g. "16:9")."""
        for i, (name, _) in enumerate(PRESETS):
            if name == label or name.split()[0] == label:
                if self.preset.currentIndex() == i:
                    self._preset_chosen(i)
                else:
                    self.preset.setCurrentIndex(i)
                return
        raise KeyError(label)

    def fit_image_to_canvas(self) -> None:
        p = self.placement
        iw, ih = self.image.width(), self.image.height()
        s = min(p.canvas_w / iw, p.canvas_h / ih)
        fitted = replace(p, w=max(IMAGE_MIN, round(iw * s)), h=max(IMAGE_MIN, round(ih * s))).centered()
        self.set_placement(fitted, "Fit image to canvas")

    def full_size_placement(self) -> Placement:
        """The image at its own size on a canvas of that size (both shrunk to CANVAS_MAX)."""
        iw, ih = self.image.width(), self.image.height()
        shrink = min(1.0, CANVAS_MAX / max(iw, ih))  # keep the canvas within range
        w, h = round(iw * shrink), round(ih * shrink)
        return Placement(w, h, 0, 0, w, h)

    def reset_placement(self) -> None:
        # not the "Same as image" shape, which keeps the image at the size it was given
        self.set_placement(self.full_size_placement(), "Reset placement")

    # ---- the request --------------------------------------------------------------------------

    def mask_url(self) -> str:
        return self.url_edit.text().strip()

    def mask_in_canvas_pixels(self) -> bool:
        """True when the canvas has the image's own size: polygons are then read as canvas pixels."""
        p = self.placement
        return (p.canvas_w, p.canvas_h) == (self.image.width(), self.image.height())

    def canvas_areas(self) -> tuple[list[Area], str | None]:
        """The painted areas mapped onto the canvas through imgPos and clipped to it (the mask as
        sent when `mask_in_canvas_pixels`), or why none is left."""
        p = self.placement
        sx, sy = p.w / self.image.width(), p.h / self.image.height()
        frame = MaskModel(p.canvas_w, p.canvas_h)
        areas: list[Area] = []
        for area in self.painter.model.areas():
            pieces, _problem = frame.prepare([(p.x + x * sx, p.y + y * sy) for x, y in area], tidy=False)
            areas += pieces  # a piece scaled below the smallest area, or off the canvas, is dropped
        if not areas:
            return [], ("The painted areas lie outside the canvas (or shrink to nothing on it): "
                        "paint where the image shows.")
        return areas, None

    def problems(self) -> list[str]:
        out: list[str] = []
        model = self.painter.model
        if self.op == "upload_paint":
            try:
                check_url("imgUrl", self.img_url)
            except ValidationError as exc:
                out.append(exc.user_message)
        placement = self.placement_problem(self.placement)
        if placement:
            out.append(placement)
        url = self.mask_url()
        if url and len(model):
            out.append("Use either the painted areas or a mask URL, not both: clear one of them.")
        elif url:
            try:
                check_url("mask.url", url)
            except ValidationError as exc:
                out.append(exc.user_message)
        elif len(model):
            out.extend(model.problems())
            if not out and self.mask_in_canvas_pixels():
                _areas, problem = self.canvas_areas()
                if problem:
                    out.append(problem)
        elif self.op == "upload_paint":
            out.append("Upload paint needs a mask: paint the areas to repaint (or give a mask URL).")
        prompt_problem = self.prompt.problem()
        if prompt_problem:
            out.append(prompt_problem)
        return out

    def request(self) -> tuple[str, dict]:
        p = self.placement
        mask: Mask | None = None
        if self.mask_url():
            mask = Mask(url=self.mask_url())
        elif len(self.painter.model) and self.mask_in_canvas_pixels():
            areas, _problem = self.canvas_areas()
            mask = Mask(areas=[Polygon(p.canvas_w, p.canvas_h, geo.flatten(a)) for a in areas])
        elif len(self.painter.model):
            mask = self.painter.model.api_mask()
        kwargs: dict = {
            "canvas": Canvas(p.canvas_w, p.canvas_h),
            "img_pos": CanvasImg(p.w, p.h, p.x, p.y),
            "remix_prompt": self.prompt.text(),
            "mask": mask,
        }
        if self.op == "edit":
            return "edit", {"job_id": self.job_id, "image_no": self.image_no, **kwargs}
        return "upload_paint", {"img_url": self.img_url, **kwargs}

    def credits(self) -> int | None:
        return self.prompt.credits()

    def cost_text(self, credits: int | None) -> str:
        p = self.placement
        what = f"{'Edit' if self.op == 'edit' else 'Upload paint'} · canvas {p.canvas_w} × {p.canvas_h}"
        return f"{what} · {credits} credits" if credits is not None else what
