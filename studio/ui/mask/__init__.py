"""The mask painter and its relatives: repaint (inpaint), edit / upload-paint on a canvas, pan
and zoom out. Each takes the source image (full resolution) and its parent job's details and
emits `submitted(op, kwargs)` ready for `JobsSession.submit(op, parent=..., **kwargs)`.
"""

from studio.ui.mask.canvas_editor import CanvasEditor
from studio.ui.mask.mask_editor import MaskEditor
from studio.ui.mask.outpaint_dialog import OutpaintDialog
from studio.ui.mask.pan_dialog import PanDialog

__all__ = ["CanvasEditor", "MaskEditor", "OutpaintDialog", "PanDialog"]
