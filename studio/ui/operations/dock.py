"""The Tools dock and the Tools menu: `install_tools(window)` adds both to the main window.

The dock starts closed; a Tools menu entry (or View → Tools) opens it, tabbed with the queue
wherever the queue is, on the page asked for. Its pages live in studio.ui.operations.pages.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMenu, QTabWidget

from studio.ui.common import theme

MIN_OPEN_WIDTH = 250  # px the dock takes when opened narrower


def _qss() -> str:
    c = theme.current
    return f"""
QTabBar::tab {{ padding: 6px 8px; }}
QFrame#ToolImage {{ border: 1px dashed {c.border}; border-radius: 6px; }}
QFrame#ToolImage[dropping="true"] {{ border: 1px solid {c.accent}; }}
QFrame#BlendItem {{ background: {c.base}; border-radius: 5px; }}
QLabel#BlendNumber {{ background: rgba(0, 0, 0, 150); color: white; border-radius: 3px; padding: 0 4px;
    font-weight: 600; }}
QLabel#ToolThumb {{ background: {c.base}; border-radius: 4px; color: {c.faint}; }}
QLabel#ToolPromptPreview {{
    background: {c.base}; color: {c.text}; border: 1px solid {c.border}; border-radius: 5px; padding: 6px 8px;
}}
"""


class ToolsDock(QDockWidget):
    """Blend, one image's tools and shorten, as tabs. The pages (and the API rules they read)
    are built the first time the dock is shown: start-up stays as cheap as before."""

    IMAGE, BLEND, SHORTEN = 0, 1, 2

    def __init__(self, window: Any) -> None:
        super().__init__("TOOLS", window)
        self.window_ = window
        self.setObjectName("ToolsDock")
        self.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.tabs: QTabWidget | None = None
        self._widened = False

    def build(self) -> QTabWidget:
        if self.tabs is None:
            from studio.ui.common.segments import segment_qss
            from studio.ui.operations.pages import BlendPage, ImagePage, ShortenPage

            window = self.window_
            say = lambda text: window.notifier.status(text, 8000)  # noqa: E731
            self.tabs = QTabWidget(self)
            self.tabs.setObjectName("ToolsTabs")
            self.tabs.setDocumentMode(True)
            self.image_page = ImagePage(window.jobs, say, self.tabs)
            self.blend_page = BlendPage(window.jobs, say, self.tabs)
            self.shorten_page = ShortenPage(window.jobs, window.prompt_state, say, self.tabs)
            self.tabs.addTab(self.image_page, "Image")
            self.tabs.addTab(self.blend_page, "Blend")
            self.tabs.addTab(self.shorten_page, "Shorten")
            self.setStyleSheet(segment_qss() + _qss())
            self.setWidget(self.tabs)
        return self.tabs

    def showEvent(self, event: Any) -> None:  # noqa: N802
        self.build()  # shown by View → Tools or a restored layout, not only by open_page
        super().showEvent(event)

    def join_queue(self) -> None:
        """Be a tab beside the queue when docked in its area and not in a tab group yet."""
        window = self.window_
        queue = window.queue_dock
        if (self.isFloating() or queue.isHidden() or queue.isFloating() or window.tabifiedDockWidgets(self)
                or window.dockWidgetArea(self) != window.dockWidgetArea(queue)):
            return
        window.tabifyDockWidget(queue, self)
        self.raise_()

    def _widen(self) -> None:
        """Room for a thumbnail and its address, the first time it opens (after that, the
        width the artist gave the column stays)."""
        if self._widened or self.isFloating():
            return
        self._widened = True
        if self.width() < MIN_OPEN_WIDTH:
            self.window_.resizeDocks([self], [MIN_OPEN_WIDTH], Qt.Orientation.Horizontal)

    def shown(self) -> None:
        """On show, whatever showed it: a tab beside the queue, wide enough to work in."""
        self.build()
        self.join_queue()
        self._widen()

    def open_page(self, page: int) -> None:
        """Show the dock (a tab beside the queue) on `page`, focused."""
        tabs = self.build()
        self.show()
        self.shown()
        self.raise_()
        tabs.setCurrentIndex(page)
        focus = {self.IMAGE: self.image_page.input.field, self.BLEND: self.blend_page.field,
                 self.SHORTEN: self.shorten_page.send_button}[page]
        focus.setFocus(Qt.FocusReason.ShortcutFocusReason)


def install_tools(window: Any) -> ToolsDock:
    """Add the Tools dock (closed) and the Tools menu to `window`; View gets its toggle."""
    dock = ToolsDock(window)
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
    dock.hide()
    # A tab beside the queue however it is opened (the Tools menu, or View → Tools, which shows
    # it where Qt left it: split under the queue, a strip a hundred pixels high at 700 px).
    dock.visibilityChanged.connect(lambda visible: visible and dock.shown())
    bar = window.menuBar()
    menu = QMenu("&Tools", bar)
    menu.setObjectName("ToolsMenu")
    jobs_menu = next((a for a in bar.actions() if a.text().replace("&", "") == "Jobs"), None)
    bar.insertMenu(jobs_menu, menu)  # before Jobs (at the end when there is none)
    entries = (
        ("Describe an image…", "Ctrl+Shift+D", ToolsDock.IMAGE,
         "Four prompts for an image: from its address, or a grid or history image dropped on the dock"),
        ("Blend images…", "Ctrl+Shift+B", ToolsDock.BLEND, "Blend 2 to 5 images into one"),
        ("Shorten the prompt…", "Ctrl+Shift+H", ToolsDock.SHORTEN,
         "Shorter versions of the prompt in the editor, each saying what it drops"),
        ("Retexture, cut out or upscale an image…", None, ToolsDock.IMAGE,
         "Retexture, Remove background or Topaz upscale an image from its address"),
    )
    window.tools_actions = {}
    for text, keys, page, tip in entries:
        action = QAction(text, window)
        if keys:
            action.setShortcut(QKeySequence(keys))
        action.setStatusTip(tip)
        action.setToolTip(tip)
        action.triggered.connect(lambda _=False, p=page: dock.open_page(p))
        menu.addAction(action)
        window.tools_actions[text] = action
    toggle = dock.toggleViewAction()
    toggle.setText("Tools")
    toggle.setShortcut(QKeySequence("Ctrl+4"))
    window.view_menu.insertAction(window.view_menu.actions()[3] if len(window.view_menu.actions()) > 3 else None,
                                  toggle)
    return dock
