"""The Tools dock's pages: one image (describe, retexture, remove background, Topaz from an image
address or a dropped grid or history image), blend (2 to 5 images), shorten (the prompt in the
editor).

Every page asks `studio.session.operations` before sending (what it says stops Send, in words,
under the page) and sends through the session, so the job lands in the queue, the grid (which
follows it) and the history like any other. The image page opens the very popovers the grid's
buttons open (`studio.ui.grid.action_dialogs`), anchored to its own buttons.
"""

from __future__ import annotations

from typing import Any, Callable

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.api.requests import BLEND_ASPECT_RATIOS, BLEND_IMAGES
from studio.session import operations
from studio.session.operations import ImageRef, NotSent
from studio.ui.common.flow_layout import FlowLayout
from studio.ui.common.icons import action_icon
from studio.ui.grid.action_dialogs import ActionContext, ActionPopover, cost_text, make_popover
from studio.ui.grid.actions import IMAGE_TOOLS
from studio.ui.operations.image_input import DropFrame, ImageInput, Thumbnail

Say = Callable[[str], None]


def _credits(op: str, text: str | None = None) -> int | None:
    try:
        from studio.prompt.cost import estimate

        return int(estimate(op, text).credits)
    except Exception:  # a price the rules cannot give: "cost not known"
        return None


def _label(text: str, name: str = "Muted", wrap: bool = True) -> QLabel:
    label = QLabel(text)
    label.setObjectName(name)
    label.setWordWrap(wrap)
    return label


def _problem_label() -> QLabel:
    label = _label("", "ErrorText")
    label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    label.hide()
    return label


def _show_problem(label: QLabel, text: str) -> None:
    label.setText(text)
    label.setVisible(bool(text))


class _Page(QScrollArea):
    """A page that scrolls when the dock is short; `body` holds its column."""

    def __init__(self, jobs: Any, say: Say, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.jobs = jobs
        self.say = say
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.body = QWidget(self)
        self.body.setObjectName("DockBody")
        self.column = QVBoxLayout(self.body)
        self.column.setContentsMargins(10, 10, 10, 10)
        self.column.setSpacing(10)
        self.setWidget(self.body)

    def _follow(self, entry: Any, what: str) -> None:
        """The grid follows a job started here (as one from the prompt), the status bar says so."""
        self.jobs.on_show.started(entry.key, from_prompt=True)
        self.say(f"{what} sent: its result lands in the grid and the queue.")


# ---- one image: describe, retexture, remove background, Topaz --------------------------------

class ImagePage(_Page):
    """An image (an address, or a grid or history image dropped here) and the studio's tools
    for it, each opening its popover: options, cost, Send."""

    def __init__(self, jobs: Any, say: Say, parent: QWidget | None = None) -> None:
        super().__init__(jobs, say, parent)
        self.column.addWidget(_label("Describe, retexture, cut out or upscale any image the server can reach. "
                                     "Images made here keep their lineage."))
        self.input = ImageInput(jobs, self.body)
        self.input.changed.connect(self._update)
        self.column.addWidget(self.input)
        tools = QVBoxLayout()  # one column: the dock is narrow, the labels are not
        tools.setSpacing(6)
        self.buttons: dict[str, QPushButton] = {}
        for spec in IMAGE_TOOLS:
            button = QPushButton(action_icon(spec.icon), spec.label, self.body)
            button.setObjectName(f"tool-{spec.name}")
            button.setStyleSheet("text-align: left; padding-left: 10px;")
            button.clicked.connect(lambda _=False, s=spec: self.open_tool(s.name))
            tools.addWidget(button)
            self.buttons[spec.name] = button
        self.column.addLayout(tools)
        self.column.addStretch(1)
        self.popover: ActionPopover | None = None
        self._update()

    def _update(self) -> None:
        ref = self.input.ref
        for spec in IMAGE_TOOLS:
            button = self.buttons[spec.name]
            why = "Give an image first." if ref is None else operations.image_unavailable(spec.op, ref)
            button.setEnabled(not why)
            button.setToolTip(why or spec.tooltip)

    def context(self, ref: ImageRef) -> ActionContext:
        """What the popover acts on: the image, and its job's prompt and model when known."""
        entry = self.jobs.entry(ref.job_id) if ref.job_id else None
        return ActionContext(job_id=ref.job_id or "", image_no=ref.index, prompt=entry.prompt if entry else None,
                             model=entry.model if entry else None, image_url=ref.url, created_at=ref.created_at)

    def open_tool(self, name: str) -> ActionPopover | None:
        ref = self.input.ref
        spec = next(s for s in IMAGE_TOOLS if s.name == name)
        if ref is None:
            self.say(self.input.problem or "Give the image first: drop it here or paste its address.")
            return None
        if self.popover is not None and shiboken6.isValid(self.popover):
            self.popover.close()
        popover = make_popover(spec, self.context(ref), self)
        popover.submitted.connect(lambda op, kwargs, r=ref: self._send(op, kwargs, r))
        self.popover = popover
        popover.show_at(self.buttons[name])
        return popover

    def _send(self, op: str, kwargs: dict[str, Any], ref: ImageRef) -> None:
        try:
            entry = operations.send(self.jobs, op, ref, operations.checked(op, kwargs))
        except NotSent as exc:
            self.say(str(exc))
            return
        self._follow(entry, next(s.label for s in IMAGE_TOOLS if s.op == op))


# ---- blend -----------------------------------------------------------------------------------

def _image_name(jobs: Any, url: str) -> str:
    """How an image reads in a list: its job and number when the studio made it, else the
    file name its address ends in (or its host)."""
    ref = operations.find_image(jobs.entries(include_hidden=True), url)
    entry = jobs.entry(ref.job_id) if ref.job_id else None
    if entry is not None and ref.index is not None:
        return f"{entry.task_type.replace('_', ' ')} · image {ref.index + 1}"
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return parts.path.rstrip("/").rsplit("/", 1)[-1] or parts.netloc


class ElidedLabel(QLabel):
    """One line of text, elided in the middle to the width it gets (the tooltip has it all)."""

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.full = text
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setText(text)

    def resizeEvent(self, event: Any) -> None:  # noqa: N802
        super().resizeEvent(event)
        self.setText(self.fontMetrics().elidedText(self.full, Qt.TextElideMode.ElideMiddle, self.width()))


class BlendItem(QFrame):
    """One image of a blend, as a small card: its number over its thumbnail, and move earlier /
    later / remove under it (its name and address in the tooltip)."""

    EDGE = 76

    def __init__(self, page: BlendPage, url: str) -> None:
        super().__init__(page.body)
        self.setObjectName("BlendItem")
        self.url = url
        self.name = _image_name(page.jobs, url)
        column = QVBoxLayout(self)
        column.setContentsMargins(4, 4, 4, 4)
        column.setSpacing(3)
        self.thumb = Thumbnail(self, self.EDGE)
        self.thumb.setToolTip(f"{self.name}\n{url}")
        column.addWidget(self.thumb, 0, Qt.AlignmentFlag.AlignHCenter)
        self.number = QLabel(self.thumb)  # a badge in the thumbnail's corner
        self.number.setObjectName("BlendNumber")
        self.number.move(3, 3)
        row = QHBoxLayout()
        row.setSpacing(2)
        self.up = self._tool("◀", "Blend it earlier", lambda: page.move(self, -1))
        self.down = self._tool("▶", "Blend it later", lambda: page.move(self, 1))
        self.remove = self._tool("×", "Remove it from the blend", lambda: page.remove(self))
        for button in (self.up, self.down, self.remove):
            row.addWidget(button)
        column.addLayout(row)
        self.setToolTip(f"{self.name}\n{url}")
        self.thumb.show_url(page.jobs, url, lambda message: self.thumb.setToolTip(f"{self.name}\n{url}\n{message}"))

    def set_number(self, n: int) -> None:
        self.number.setText(str(n))
        self.number.adjustSize()

    def _tool(self, text: str, tip: str, on_click: Callable[[], None]) -> QToolButton:
        button = QToolButton(self)
        button.setText(text)
        button.setToolTip(tip)
        button.setAccessibleName(tip)
        button.setAutoRaise(True)
        button.setFixedSize(24, 22)
        button.clicked.connect(on_click)
        return button


class BlendPage(_Page):
    """2 to 5 images in the order they are blended, the aspect (2:3, 1:1, 3:2), the cost, Blend."""

    def __init__(self, jobs: Any, say: Say, parent: QWidget | None = None) -> None:
        super().__init__(jobs, say, parent)
        low, high = BLEND_IMAGES
        self.column.addWidget(_label(f"Blend {low} to {high} images into one. Drop them from the grid, the history "
                                     "or a browser, or paste their addresses."))
        self.drop = DropFrame(self.body)
        self.drop.setObjectName("ToolImage")
        drop_column = QVBoxLayout(self.drop)
        drop_column.setContentsMargins(6, 6, 6, 6)
        drop_column.setSpacing(4)
        self.list = FlowLayout(spacing=6)  # cards left to right, wrapping: the blend's order
        drop_column.addLayout(self.list)
        self.empty = _label("No images yet: drop them here.", "Muted")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setMinimumHeight(48)
        drop_column.addWidget(self.empty)
        add_row = QHBoxLayout()
        self.field = QLineEdit(self.drop)
        self.field.setPlaceholderText("https://…/image.png")
        self.field.setClearButtonEnabled(True)
        self.field.returnPressed.connect(self._add_typed)
        add_row.addWidget(self.field, 1)
        self.add_button = QPushButton("Add", self.drop)
        self.add_button.clicked.connect(self._add_typed)
        add_row.addWidget(self.add_button)
        drop_column.addLayout(add_row)
        self.drop.dropped.connect(self.add_urls)
        self.drop.refused.connect(self._refused)
        self.column.addWidget(self.drop)
        aspect_row = QHBoxLayout()
        aspect_row.setSpacing(0)
        aspect_row.addWidget(_label("Aspect", "Muted", wrap=False))
        aspect_row.addSpacing(10)
        self.aspects = QButtonGroup(self)
        self.aspect_buttons: dict[str, QPushButton] = {}
        for i, ratio in enumerate(BLEND_ASPECT_RATIOS):
            button = QPushButton(ratio, self.body)
            button.setObjectName("Segment")
            button.setCheckable(True)
            button.setChecked(ratio == "1:1")
            self.aspects.addButton(button, i)
            self.aspect_buttons[ratio] = button
            aspect_row.addWidget(button)
        aspect_row.addStretch(1)
        self.column.addLayout(aspect_row)
        self.problem = _problem_label()
        self.column.addWidget(self.problem)
        send_row = QHBoxLayout()
        self.cost = _label(cost_text(_credits("blend")), "Muted", wrap=False)
        send_row.addWidget(self.cost, 1)
        self.send_button = QPushButton("Blend", self.body)
        self.send_button.setProperty("primary", True)
        self.send_button.clicked.connect(self.send)
        send_row.addWidget(self.send_button)
        self.column.addLayout(send_row)
        self.column.addStretch(1)
        self.items: list[BlendItem] = []
        self._update()

    # ----- the list -----------------------------------------------------------------------
    @property
    def urls(self) -> list[str]:
        return [item.url for item in self.items]

    @property
    def aspect(self) -> str:
        return BLEND_ASPECT_RATIOS[self.aspects.checkedId()]

    def add_urls(self, urls: list[str]) -> None:
        """Add these addresses (checked as the API will); the sixth and later are refused."""
        low, high = BLEND_IMAGES
        problem = ""
        for text in urls:
            try:
                url = operations.read_url(text)
            except NotSent as exc:
                problem = str(exc)
                break
            if url in self.urls:
                continue
            if len(self.items) >= high:
                problem = f"Blend takes {low} to {high} images: remove one before adding another."
                break
            self.items.append(BlendItem(self, url))
        self._relist()
        _show_problem(self.problem, problem)

    def _add_typed(self) -> None:
        text = self.field.text().strip()
        if text:
            before = len(self.items)
            self.add_urls([text])
            if len(self.items) > before:
                self.field.clear()

    def _refused(self, message: str) -> None:
        _show_problem(self.problem, message)

    def move(self, item: BlendItem, step: int) -> None:
        i = self.items.index(item)
        j = max(0, min(len(self.items) - 1, i + step))
        self.items[i], self.items[j] = self.items[j], self.items[i]
        self._relist()

    def remove(self, item: BlendItem) -> None:
        self.items.remove(item)
        item.hide()
        item.deleteLater()
        self._relist()

    def _relist(self) -> None:
        while self.list.count():
            self.list.takeAt(0)
        for n, item in enumerate(self.items, start=1):
            self.list.addWidget(item)
            item.set_number(n)
            item.up.setEnabled(n > 1)
            item.down.setEnabled(n < len(self.items))
        self.empty.setVisible(not self.items)
        _show_problem(self.problem, "")
        self._update()

    def _update(self) -> None:
        low, high = BLEND_IMAGES
        n = len(self.items)
        why = "" if low <= n <= high else (f"Add {low - n} more image{'s' if low - n != 1 else ''}: "
                                           f"blend takes {low} to {high}.")
        self.send_button.setEnabled(not why)
        self.send_button.setToolTip(why or f"Blend these {n} images · {self.cost.text()}")

    # ----- sending ------------------------------------------------------------------------
    def send(self) -> None:
        refs = [operations.find_image(self.jobs.entries(include_hidden=True), url) for url in self.urls]
        try:
            entry = operations.blend(self.jobs, refs, self.aspect)
        except NotSent as exc:
            _show_problem(self.problem, str(exc))
            return
        _show_problem(self.problem, "")
        self._follow(entry, "Blend")


# ---- shorten ---------------------------------------------------------------------------------

class ShortenPage(_Page):
    """The prompt in the editor, sent to shorten: its suggestions land in the grid, with what
    each one drops struck through, and any of them goes back into the editor in one undo step."""

    def __init__(self, jobs: Any, prompt_state: Any, say: Say, parent: QWidget | None = None) -> None:
        super().__init__(jobs, say, parent)
        self.prompt_state = prompt_state
        self.column.addWidget(_label("Shorter versions of the prompt in the editor, keeping what matters; "
                                     "each says what it drops."))
        self.preview = QLabel(self.body)
        self.preview.setObjectName("ToolPromptPreview")
        self.preview.setWordWrap(True)
        self.preview.setTextFormat(Qt.TextFormat.PlainText)
        self.preview.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.preview.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.column.addWidget(self.preview)
        self.problem = _problem_label()
        self.column.addWidget(self.problem)
        send_row = QHBoxLayout()
        self.cost = _label(cost_text(_credits("shorten", "")), "Muted", wrap=False)
        send_row.addWidget(self.cost, 1)
        self.send_button = QPushButton("Shorten", self.body)
        self.send_button.setProperty("primary", True)
        self.send_button.clicked.connect(self.send)
        send_row.addWidget(self.send_button)
        self.column.addLayout(send_row)
        self.column.addStretch(1)
        # Typing is not slowed by a page nobody sees: it reads the prompt when it is shown.
        prompt_state.text_changed.connect(lambda *_: self._update() if self.isVisible() else None)
        self._update()

    def showEvent(self, event: Any) -> None:  # noqa: N802
        super().showEvent(event)
        self._update()

    def _update(self) -> None:
        text = self.prompt_state.text().strip()
        shown = text if len(text) <= 600 else text[:599] + "…"
        self.preview.setText(shown or "The prompt is empty: type one in the editor first.")
        self.send_button.setEnabled(bool(text))
        self.send_button.setToolTip("Type a prompt first" if not text else f"Shorten · {self.cost.text()}")
        _show_problem(self.problem, "")

    def send(self) -> None:
        try:
            entry = operations.shorten(self.jobs, self.prompt_state.text().strip())
        except NotSent as exc:
            _show_problem(self.problem, str(exc))
            return
        self._follow(entry, "Shorten")
