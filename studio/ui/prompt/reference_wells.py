"""Reference wells: drop targets for image prompts, --sref, --oref and --cref.

Each well lists the references the prompt already has (read from `PromptState.params()`), takes
drops of image URLs (a browser link, a `text/uri-list`, or a grid image from the studio itself,
`application/x-legnext-image`) and pasted URLs, and is disabled — with the rule's reason in its
tooltip — when the prompt's model does not accept that kind of reference.

The API takes image URLs, not uploads: a file dropped from this computer is never pasted into
the prompt (nor into the middle of another URL); the well says so, under its field and in the
status bar, as does an address the API would refuse (not http(s), longer than 1024 characters).

The mime helpers and the "insert as…" menu also serve drops on the prompt editor and the tools.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from PySide6.QtCore import QMimeData, QPoint, Signal
from PySide6.QtGui import QAction, QDragEnterEvent, QDragMoveEvent, QDropEvent, QStatusTipEvent
from PySide6.QtWidgets import (QApplication, QFrame, QHBoxLayout, QLabel, QLineEdit, QMenu, QSizePolicy,
                               QToolButton, QToolTip, QVBoxLayout, QWidget)

from studio.session import failures
from studio.session.operations import NotSent, local_file_name, read_url
from studio.session.prompt_state import PromptState

# Mime type the studio's own grid puts on a dragged image: the image URL as UTF-8.
LEGNEXT_IMAGE_MIME = "application/x-legnext-image"

# (kind, title, what it does) in the order the wells and the drop menu list them.
REFERENCE_KINDS: list[tuple[str, str, str]] = [
    ("image", "Image prompt", "starts the prompt; --iw weighs it"),
    ("sref", "Style reference", "--sref: match the look of the image"),
    ("oref", "Omni reference", "--oref: put this person or object in the image"),
    ("cref", "Character reference", "--cref: keep this character"),
]


def is_web_url(text: str) -> bool:
    parts = urlsplit(text.strip())
    return parts.scheme in ("http", "https") and bool(parts.netloc) and not any(c.isspace() for c in text.strip())


def image_url_from_mime(mime: QMimeData) -> str | None:
    """The web image URL a drag carries, or None (local files cannot be sent to the API)."""
    if mime.hasFormat(LEGNEXT_IMAGE_MIME):
        url = bytes(mime.data(LEGNEXT_IMAGE_MIME).data()).decode("utf-8", "replace").strip()
        if is_web_url(url):
            return url
    if mime.hasUrls():
        for url in mime.urls():
            text = url.toString()
            if is_web_url(text):
                return text
    if mime.hasText():
        text = mime.text().strip()
        if is_web_url(text):
            return text
    return None


def image_urls_from_mime(mime: QMimeData) -> list[str]:
    """Every web image URL a drag carries, in order and once each (several history images,
    a list of links); empty when it carries none."""
    found: list[str] = []
    if mime.hasFormat(LEGNEXT_IMAGE_MIME):
        found.append(bytes(mime.data(LEGNEXT_IMAGE_MIME).data()).decode("utf-8", "replace").strip())
    if mime.hasText():  # the history writes every selected image's address, a line each
        found += [line.strip() for line in mime.text().splitlines()]
    if mime.hasUrls():
        found += [url.toString() for url in mime.urls()]
    return [url for url in dict.fromkeys(found) if is_web_url(url)]


def local_files_in_mime(mime: QMimeData) -> list[str]:
    """The names of the files on this computer a drag carries (and no web image URL with them:
    the history's drags carry both, and the web address is what the API takes)."""
    if image_url_from_mime(mime) is not None:
        return []
    names = [url.fileName() or url.toLocalFile() for url in mime.urls() if url.isLocalFile()] if mime.hasUrls() else []
    if not names and mime.hasText():
        names = [name for line in mime.text().splitlines() if (name := local_file_name(line))]
    return names


def local_file_message(names: list[str]) -> str:
    """What to say when files from this computer are dropped where an image URL is wanted."""
    if len(names) == 1:
        return failures.local_file(names[0])
    return failures.local_file(f"{names[0]} (and {len(names) - 1} more)")


def tell(widget: QWidget, message: str, global_pos: QPoint | None = None) -> None:
    """Say `message` where something was dropped (a tooltip) and in the window's status bar."""
    where = global_pos if global_pos is not None else widget.mapToGlobal(QPoint(8, 8))
    QToolTip.showText(where, message, widget)
    QApplication.sendEvent(widget, QStatusTipEvent(message))


def reference_unavailable(state: PromptState, kind: str) -> str:
    """Why `kind` cannot be added on the prompt's model ("" when it can)."""
    if kind == "image":
        return ""
    support = state.support(kind)
    if support.usable:
        return ""
    from studio.prompt.support import model_label

    return f"{model_label(state.model())}: {support.reason}"


def build_reference_menu(state: PromptState, url: str, on_choice: Callable[[str], None],
                         parent: QWidget | None = None) -> QMenu:
    """A small menu "Insert as: Image prompt / Style reference / …"; kinds the model does not
    accept are disabled with the reason. `on_choice(kind)` runs when one is picked."""
    menu = QMenu(parent)
    menu.setObjectName("ReferenceMenu")
    menu.setToolTipsVisible(True)
    title = menu.addAction(f"Insert {short_url(url)} as")
    title.setEnabled(False)
    for kind, label, what in REFERENCE_KINDS:
        why = reference_unavailable(state, kind)
        action = QAction(label + ("" if kind == "image" else f"   --{kind}"), menu)
        action.setData(kind)
        action.setObjectName(f"insert-{kind}")
        action.setToolTip(why or what)
        action.setEnabled(not why)
        action.triggered.connect(lambda _=False, k=kind: on_choice(k))
        menu.addAction(action)
    return menu


def short_url(url: str, limit: int = 36) -> str:
    """`host/…/name.png` for a URL; codes (an --sref style code) are shown as they are."""
    parts = urlsplit(url)
    if not parts.netloc:
        return url if len(url) <= limit else url[: limit - 1] + "…"
    name = parts.path.rstrip("/").rsplit("/", 1)[-1] or parts.netloc
    text = f"{parts.netloc}/…/{name}" if "/" in parts.path.strip("/") else f"{parts.netloc}/{name}"
    return text if len(text) <= limit else "…" + text[-(limit - 1):]


class _Chip(QFrame):
    removed = Signal()

    def __init__(self, value: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ReferenceChip")
        self.value = value
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 1, 2, 1)
        layout.setSpacing(4)
        label = QLabel(short_url(value))
        label.setToolTip(value)
        label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        layout.addWidget(label, 1)
        close = QToolButton()
        close.setObjectName("ChipClose")
        close.setText("×")
        close.setAutoRaise(True)
        close.setFixedSize(22, 22)
        close.setToolTip("Remove this reference from the prompt")
        close.setAccessibleName(f"Remove {value}")
        close.clicked.connect(self.removed)
        layout.addWidget(close)
        self.label = label
        self.close_button = close


class ReferenceWell(QFrame):
    """One kind of reference: its current URLs as chips, a paste field, and a drop target."""

    def __init__(self, state: PromptState, kind: str, title: str, what: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.kind = kind
        self.setObjectName("ReferenceWell")
        self.setAcceptDrops(True)
        self.setProperty("dropping", False)
        self._values: list[str] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(4)
        head = QHBoxLayout()
        head.setSpacing(6)
        self.title = QLabel(title)
        self.title.setObjectName("WellTitle")
        head.addWidget(self.title)
        flag = QLabel("" if kind == "image" else f"--{kind}")
        flag.setObjectName("Muted")
        head.addWidget(flag)
        head.addStretch(1)
        layout.addLayout(head)
        self._chips = QVBoxLayout()
        self._chips.setSpacing(2)
        layout.addLayout(self._chips)
        self.field = QLineEdit()
        self.field.setObjectName("WellField")
        self.field.setPlaceholderText("Drop an image or paste a URL" if kind != "sref"
                                      else "Drop an image, paste a URL or a style code")
        self.field.setClearButtonEnabled(True)
        self.field.returnPressed.connect(self._add_typed)
        layout.addWidget(self.field)
        # Why the last drop or paste was not taken (a local file, an address the API refuses).
        self.note = QLabel(self)
        self.note.setObjectName("ErrorText")
        self.note.setWordWrap(True)
        self.note.hide()
        self.field.textChanged.connect(lambda _t: self.say(""))
        layout.addWidget(self.note)
        self._what = what
        self.setToolTip(what)

    # ---- state -> view -------------------------------------------------------------------
    def sync(self) -> None:
        params = self.state.params()
        values = list(params.image_urls if self.kind == "image" else getattr(params, self.kind))
        why = reference_unavailable(self.state, self.kind)
        # Present references stay removable even on a model that rejects them.
        if getattr(self, "_why", None) != why:
            self._why = why
            self.field.setEnabled(not why)
            self.title.setEnabled(not why)
            self.setToolTip(why or self._what)
            self.field.setToolTip(why)
        if values == self._values:
            return
        self._values = values
        while self._chips.count():
            item = self._chips.takeAt(0)
            if item.widget() is not None:
                item.widget().hide()
                item.widget().deleteLater()
        for index, value in enumerate(values):
            chip = _Chip(value, self)
            chip.removed.connect(lambda i=index: self.state.remove_reference(self.kind, i))
            self._chips.addWidget(chip)

    def chips(self) -> list[_Chip]:
        return [self._chips.itemAt(i).widget() for i in range(self._chips.count())]

    def values(self) -> list[str]:
        return list(self._values)

    # ---- input ---------------------------------------------------------------------------
    def say(self, message: str) -> None:
        """Show why an input was not taken under the field ("" hides it)."""
        if self.note.text() != message:
            self.note.setText(message)
            self.note.setVisible(bool(message))

    def _add_typed(self) -> None:
        text = self.field.text().strip()
        if not text:
            return
        if self.kind != "sref" or local_file_name(text) is not None or "://" in text:
            try:
                text = read_url(text)  # a style code (sref) is not an address: it is taken as typed
            except NotSent as exc:
                self.say(str(exc))
                self.field.selectAll()
                return
        self.add(text)
        self.field.clear()

    def add(self, url: str) -> bool:
        if reference_unavailable(self.state, self.kind):
            return False
        self.state.add_reference(self.kind, url)
        return True

    def _accepts(self, mime: QMimeData) -> bool:
        # A local file is taken too, to say why it cannot be used (never to paste it).
        wanted = image_url_from_mime(mime) is not None or bool(local_files_in_mime(mime))
        return not reference_unavailable(self.state, self.kind) and wanted

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if self._accepts(event.mimeData()):
            event.acceptProposedAction()
            self._set_dropping(True)
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802
        if self._accepts(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragLeaveEvent(self, event) -> None:  # noqa: N802
        self._set_dropping(False)
        super().dragLeaveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        self._set_dropping(False)
        local = local_files_in_mime(event.mimeData())
        if local:
            event.acceptProposedAction()
            message = local_file_message(local)
            self.say(message)
            tell(self, message, self.mapToGlobal(event.position().toPoint()))
            return
        url = image_url_from_mime(event.mimeData())
        if url is not None:
            try:
                url = read_url(url)
            except NotSent as exc:  # e.g. longer than the API takes
                event.acceptProposedAction()
                self.say(str(exc))
                return
        if url is None or not self.add(url):
            event.ignore()
            return
        self.say("")
        event.acceptProposedAction()

    def _set_dropping(self, on: bool) -> None:
        self.setProperty("dropping", on)
        self.style().unpolish(self)
        self.style().polish(self)


class ReferenceWells(QWidget):
    """The four wells, kept in step with the prompt."""

    def __init__(self, state: PromptState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        self.wells: dict[str, ReferenceWell] = {}
        for kind, title, what in REFERENCE_KINDS:
            well = ReferenceWell(state, kind, title, what, self)
            layout.addWidget(well)
            self.wells[kind] = well
        state.lint_changed.connect(lambda _result: self.sync())
        self.sync()

    def sync(self) -> None:
        for well in self.wells.values():
            well.sync()

    def count(self) -> int:
        return sum(len(w.values()) for w in self.wells.values())

