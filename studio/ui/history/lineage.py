"""A job's family as a small tree: the first ancestor the history holds, and every job made
from it (diffusion → U2 → pan right → inpaint …). Clicking a job goes to it."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from studio.session.history_browser import HistoryBrowser, LineageNode
from studio.store.records import JobRecord
from studio.ui.grid.actions import crumb_for
from studio.ui.history.model import job_title, when_text

_KEY = Qt.ItemDataRole.UserRole + 1


def step_label(record: JobRecord, is_root: bool) -> str:
    if is_root or record.parent_job_id is None:
        return job_title(record)
    image_no = record.parent_index if record.op != "reroll" else None
    from studio.store.records import decode_request

    try:
        request = decode_request(record.request)
    except Exception:
        request = {}
    return crumb_for(record.op, image_no, request)


class LineageView(QWidget):
    job_chosen = Signal(str)

    def __init__(self, browser: HistoryBrowser, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.browser = browser
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(4)
        title = QLabel("LINEAGE", self)
        title.setObjectName("SectionTitle")
        layout.addWidget(title)
        self.tree = QTreeWidget(self)
        self.tree.setObjectName("LineageTree")
        self.tree.setHeaderHidden(True)
        self.tree.setColumnCount(2)
        self.tree.setRootIsDecorated(True)
        self.tree.setAccessibleName("Lineage of the selected job")
        self.tree.itemClicked.connect(self._clicked)
        self.tree.itemActivated.connect(self._clicked)
        layout.addWidget(self.tree, 1)
        self.empty = QLabel("Select a job to see what it was made from and what was made from it.", self)
        self.empty.setObjectName("Muted")
        self.empty.setWordWrap(True)
        layout.addWidget(self.empty)
        self.spacer = QWidget(self)  # keeps the sentence at the top while the tree is hidden
        layout.addWidget(self.spacer, 1)
        self.key: str | None = None
        self.show_job(None)

    def show_job(self, key: str | None) -> None:
        self.key = key
        self.tree.clear()
        root = self.browser.lineage(key) if key else None
        alone = root is None or not root.children
        self.tree.setVisible(not alone)
        self.empty.setVisible(alone)
        self.spacer.setVisible(alone)
        if root is None:
            self.empty.setText("Select a job to see what it was made from and what was made from it.")
            return
        if alone:
            self.empty.setText("Nothing was made from this job yet, and it has no parent in the history. "
                               "Upscale, vary or pan one of its images to start a lineage.")
            return
        self._add(root, None, True)
        self.tree.expandAll()
        self.tree.resizeColumnToContents(0)

    def _add(self, node: LineageNode, parent: QTreeWidgetItem | None, is_root: bool) -> None:
        record = node.record
        item = QTreeWidgetItem([step_label(record, is_root), when_text(record.created_at)])
        item.setData(0, _KEY, record.key)
        item.setToolTip(0, (record.prompt or job_title(record))[:400])
        item.setForeground(1, self.palette().placeholderText())
        if record.key == self.key:
            font = QFont(item.font(0))
            font.setBold(True)
            item.setFont(0, font)
        if parent is None:
            self.tree.addTopLevelItem(item)
        else:
            parent.addChild(item)
        if record.key == self.key:
            self.tree.setCurrentItem(item)
        for child in node.children:
            self._add(child, item, False)

    def items(self) -> list[tuple[str, str]]:
        """(label, key) of every job in the tree, top to bottom (tests read this)."""
        found = []

        def walk(item: QTreeWidgetItem) -> None:
            found.append((item.text(0), item.data(0, _KEY)))
            for i in range(item.childCount()):
                walk(item.child(i))

        for i in range(self.tree.topLevelItemCount()):
            walk(self.tree.topLevelItem(i))
        return found

    def _clicked(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        key = item.data(0, _KEY)
        if key and key != self.key:
            self.job_chosen.emit(key)
