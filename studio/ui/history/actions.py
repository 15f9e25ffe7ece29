"""What the artist can do with a job or an image in the history, as a table (label, shortcut,
when it is unavailable and why) and the code that does each: reuse the prompt or an image,
favourite, tag, note, copy, open the folder, export, delete with undo."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QAction, QDesktopServices, QGuiApplication, QImage, QKeySequence
from PySide6.QtWidgets import QFileDialog, QInputDialog, QLineEdit, QMenu, QMessageBox

from studio.session import request_copy
from studio.session.job_edits import DeleteRefused, clean_tags
from studio.session.job_history import REMOTE_LIFETIME_S
from studio.session.tasks import spawn
from studio.store.records import JobRecord
from studio.ui.common.request_copy import copy_request, format_names, label as copy_label

if TYPE_CHECKING:
    from studio.ui.history.panel import HistoryPanel


@dataclass(frozen=True)
class HistoryAction:
    name: str
    label: str
    shortcut: str | None = None
    per_image: bool = False  # offered for each image of the job (a submenu when it has several)
    many: bool = False  # works on every selected job at once


ACTIONS: tuple[HistoryAction, ...] = (
    HistoryAction("open", "Open in grid", "Return"),
    HistoryAction("use_prompt", "Use prompt", "Ctrl+Shift+U"),
    HistoryAction("show_set", "Show its set"),
    HistoryAction("send_set", "Send the set again…"),
    HistoryAction("image_prompt", "Use as image prompt", per_image=True),
    HistoryAction("style_ref", "Use as style reference", per_image=True),
    HistoryAction("favourite", "Favourite", "F", many=True),
    HistoryAction("tags", "Tags…", "T", many=True),
    HistoryAction("notes", "Notes…", "N"),
    HistoryAction("copy_prompt", "Copy prompt", "Ctrl+C"),
    HistoryAction("copy_image", "Copy image", per_image=True),
    HistoryAction("copy_id", "Copy job id"),
    # The request the studio sent, one entry per format (studio.api.request_text.FORMATS).
    *(HistoryAction(f"copy_request_{style}", copy_label(style)) for style in format_names()),
    HistoryAction("folder", "Open containing folder"),
    HistoryAction("download", "Download again", many=True),
    HistoryAction("export", "Export with prompt…", "Ctrl+E", many=True),
    HistoryAction("delete", "Delete…", "Delete", many=True),
)
BY_NAME = {a.name: a for a in ACTIONS}
_SEPARATE_BEFORE = {"image_prompt", "favourite", "copy_prompt", "folder", "delete"}


def image_count(record: JobRecord) -> int:
    return sum(1 for o in record.outputs if o.kind == "image")


class HistoryActions:
    """The actions of one history panel (built once; asked for a record's menu)."""

    def __init__(self, panel: HistoryPanel) -> None:
        self.panel = panel
        self.jobs = panel.jobs
        self.browser = panel.browser
        self.prompt_state = panel.prompt_state
        self.deleted: Any = None  # the last delete, until it can no longer be undone
        self.dialog: Any = None  # the open question or input box (non-blocking)

    # ----- availability -------------------------------------------------------------------
    def unavailable(self, name: str, record: JobRecord, index: int | None = None) -> str:
        """Why `name` cannot be done to this job now ("" when it can)."""
        if name in ("use_prompt", "copy_prompt") and not record.prompt:
            return "This job has no prompt of its own (it was made from an image)."
        if name in ("image_prompt", "style_ref"):
            if not self._url(record, index):
                return "This job has no image the server can be pointed at."
            if time.time() - record.created_at > REMOTE_LIFETIME_S:
                return "The server keeps images 30 days; this one is older, so it cannot be referenced."
            if self.prompt_state is None:
                return "There is no prompt to add it to."
            if name == "style_ref":
                from studio.ui.prompt.reference_wells import reference_unavailable

                return reference_unavailable(self.prompt_state, "sref")
        if name in ("copy_image",) and not self._file(record, index):
            return "The image is not in the archive."
        if name == "copy_id" and not record.job_id:
            return "The server never gave this job an id."
        if name in ("show_set", "send_set") and not self.browser.set_members(record):
            return "This job was sent alone, not as part of a set of {a, b} prompts."
        if name == "download":
            return self.download_unavailable(record)
        if name.startswith("copy_request_"):
            return request_copy.unavailable(record)
        if name == "folder" and not self._has_folder(record):
            return "This job has no files in the archive."
        if name == "export" and not any(o.path for o in record.outputs):
            return "This job has no archived files to export."
        if name == "delete" and not record.ended:
            return "Still running: stop watching it first."
        return ""

    def download_unavailable(self, record: JobRecord) -> str:
        """Why a job's missing files cannot be fetched again ("" when they can)."""
        if not self.browser.missing_files(record):
            return "Every file of this job is in the archive."
        if time.time() - record.created_at > REMOTE_LIFETIME_S:
            return "The server deleted its copies after 30 days; the missing files cannot be fetched again."
        return ""

    def _url(self, record: JobRecord, index: int | None) -> str | None:
        output = self.browser.image_output(record, index)
        return output.url if output is not None else None

    def _file(self, record: JobRecord, index: int | None):
        path = self.browser.file_path(record, index)
        return path if path is not None and path.is_file() else None

    def _has_folder(self, record: JobRecord) -> bool:
        folder = self.browser.folder(record)
        return folder is not None and folder.is_dir()

    # ----- the menu -----------------------------------------------------------------------
    def menu(self, records: list[JobRecord], parent: Any) -> QMenu:
        menu = QMenu(parent)
        menu.setObjectName("HistoryMenu")
        first = records[0]
        for spec in ACTIONS:
            if spec.name in _SEPARATE_BEFORE:
                menu.addSeparator()
            if len(records) > 1 and not spec.many:
                continue
            if spec.per_image and image_count(first) > 1:
                sub = menu.addMenu(spec.label)
                for output in (o for o in first.outputs if o.kind == "image"):
                    sub.addAction(self.action(spec.name, records, output.index, f"Image {output.index + 1}", sub))
                reasons = {self.unavailable(spec.name, first, o.index) for o in first.outputs if o.kind == "image"}
                if all(reasons):
                    sub.setEnabled(False)
                    sub.menuAction().setToolTip(next(iter(reasons)))
                continue
            menu.addAction(self.action(spec.name, records, None, None, menu))
        menu.setToolTipsVisible(True)
        return menu

    def action(self, name: str, records: list[JobRecord], index: int | None, label: str | None, parent: Any) -> QAction:
        spec = BY_NAME[name]
        text = label or spec.label
        if name == "favourite":
            on = all(r.favourite for r in records)
            text = "Remove from favourites" if on else "Favourite"
        if len(records) > 1 and spec.many:
            text = f"{text} ({len(records)} jobs)"
        if name in ("show_set", "send_set") and len(records) == 1:
            members = self.browser.set_members(records[0])
            if members:
                text = f"{text.rstrip('…')} ({len(members)} prompts){'…' if text.endswith('…') else ''}"
        act = QAction(text, parent)
        if spec.shortcut and label is None:
            act.setShortcut(QKeySequence(spec.shortcut))
            act.setShortcutVisibleInContextMenu(True)
        reasons = [self.unavailable(name, r, index) for r in records]
        if all(reasons):
            act.setEnabled(False)
            act.setToolTip(reasons[0])
        keys = [r.key for r in records]
        act.triggered.connect(lambda _checked=False: self.run(name, keys, index))
        return act

    # ----- doing --------------------------------------------------------------------------
    def run(self, name: str, keys: list[str], index: int | None = None) -> Any:
        records = [r for r in (self.jobs.stored(k) for k in keys) if r is not None]
        if not records:
            return None
        usable = [r for r in records if not self.unavailable(name, r, index)]
        if not usable:
            self.panel.say(self.unavailable(name, records[0], index))
            return None
        if name.startswith("copy_request_"):
            return copy_request(self.jobs, usable[0].key, name.removeprefix("copy_request_"), self.panel.say)
        return getattr(self, f"_do_{name}")(usable, index)

    def _do_open(self, records: list[JobRecord], _index: Any) -> Any:
        return self.panel.open_job(records[0].key)

    def _do_use_prompt(self, records: list[JobRecord], _index: Any) -> None:
        self.prompt_state.use_prompt(records[0].prompt or "")
        self.panel.say("Prompt in the editor (Ctrl+Z puts back what was there).")

    def _do_show_set(self, records: list[JobRecord], _index: Any) -> None:
        members = self.browser.set_members(records[0])
        self.panel.show_set(records[0].group or "", len(members))

    def _do_send_set(self, records: list[JobRecord], _index: Any) -> None:
        prompts = [r.prompt for r in self.browser.set_members(records[0]) if r.prompt]
        self.panel.set_again_requested.emit(prompts)  # the window shows them with their cost first

    def _do_image_prompt(self, records: list[JobRecord], index: int | None) -> None:
        self.prompt_state.add_reference("image", self._url(records[0], index) or "")
        self.panel.say("Image prompt added at the start of the prompt.")

    def _do_style_ref(self, records: list[JobRecord], index: int | None) -> None:
        self.prompt_state.add_reference("sref", self._url(records[0], index) or "")
        self.panel.say("Style reference added (--sref).")

    def _do_favourite(self, records: list[JobRecord], _index: Any) -> None:
        on = not all(r.favourite for r in records)
        for record in records:
            self.jobs.edit(record.key, favourite=on)

    def _do_tags(self, records: list[JobRecord], _index: Any) -> QInputDialog:
        common = [t for t in records[0].tags if all(t in r.tags for r in records[1:])]
        box = self._input("Tags", "Tags, separated by commas:" if len(records) == 1 else
                          f"Tags for {len(records)} jobs, separated by commas:", ", ".join(common))

        def done(text: str) -> None:
            wanted = clean_tags(text)
            for record in records:
                current = self.jobs.stored(record.key)
                if current is None:
                    continue
                kept = [t for t in current.tags if t not in common]  # per-job tags stay
                self.jobs.edit(record.key, tags=[*kept, *wanted] if len(records) > 1 else wanted)

        box.textValueSelected.connect(done)
        box.open()
        return box

    def _do_notes(self, records: list[JobRecord], _index: Any) -> QInputDialog:
        box = self._input("Notes", "Notes on this job (searched with the prompts):", records[0].notes, multiline=True)
        key = records[0].key
        box.textValueSelected.connect(lambda text: self.jobs.edit(key, notes=text))
        box.open()
        return box

    def _input(self, title: str, label: str, value: str, *, multiline: bool = False) -> QInputDialog:
        box = QInputDialog(self.panel)
        box.setWindowTitle(title)
        box.setLabelText(label)
        box.setInputMode(QInputDialog.InputMode.TextInput)
        if multiline:
            box.setOption(QInputDialog.InputDialogOption.UsePlainTextEditForTextInput)
        else:
            box.setTextEchoMode(QLineEdit.EchoMode.Normal)
        box.setTextValue(value)
        box.resize(max(box.width(), 420), box.height())
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog = box
        return box

    def _do_copy_prompt(self, records: list[JobRecord], _index: Any) -> None:
        QGuiApplication.clipboard().setText(records[0].prompt or "")
        self.panel.say("Prompt copied.")

    def _do_copy_id(self, records: list[JobRecord], _index: Any) -> None:
        QGuiApplication.clipboard().setText(records[0].job_id or "")
        self.panel.say("Job id copied.")

    def _do_copy_image(self, records: list[JobRecord], index: int | None) -> Any:
        path = self._file(records[0], index)

        async def copy() -> None:
            from studio.session.tasks import run_in_thread

            image = await run_in_thread(lambda: QImage(str(path)), name="read image")
            if image.isNull():
                self.panel.say("The image could not be read.")
                return
            QGuiApplication.clipboard().setImage(image)
            self.panel.say("Image copied.")

        return spawn(copy(), name="copy image")

    def _do_folder(self, records: list[JobRecord], _index: Any) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.browser.folder(records[0]))))

    def _do_download(self, records: list[JobRecord], _index: Any) -> list[Any]:
        tasks = [self.jobs.fetch_missing_files(r.key) for r in records]
        n = sum(self.browser.missing_files(r) for r in records)
        self.panel.say(f"Downloading {n} missing file{'s' if n != 1 else ''} again…")
        return [t for t in tasks if t is not None]

    def _do_export(self, records: list[JobRecord], _index: Any) -> QFileDialog:
        box = QFileDialog(self.panel, "Export with prompt to…")
        box.setFileMode(QFileDialog.FileMode.Directory)
        box.setOption(QFileDialog.Option.ShowDirsOnly)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        keys = [r.key for r in records]
        box.fileSelected.connect(lambda folder: self.panel.export_to(keys, folder))
        self.dialog = box
        box.open()
        return box

    def _do_delete(self, records: list[JobRecord], _index: Any) -> QMessageBox:
        n = len(records)
        what = "this job" if n == 1 else f"these {n} jobs"
        box = QMessageBox(QMessageBox.Icon.Question, "Delete from the history?",
                          f"Delete {what} from the history?", parent=self.panel)
        files = sum(1 for r in records if self._has_folder(r))
        box.setInformativeText("You can undo this right after." + (
            " The archived images can be kept on disk or removed with the jobs." if files else ""))
        keep = box.addButton("Delete, keep files" if files else "Delete", QMessageBox.ButtonRole.AcceptRole)
        drop = box.addButton("Delete with files", QMessageBox.ButtonRole.DestructiveRole) if files else None
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(keep)
        box.setEscapeButton(cancel)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        keys = [r.key for r in records]

        def answered(button: Any) -> None:
            if button is keep or (drop is not None and button is drop):
                self.delete(keys, keep_files=button is keep)

        box.buttonClicked.connect(answered)
        self.dialog = box
        box.open()
        return box

    def delete(self, keys: list[str], *, keep_files: bool) -> Any:
        self.settle()
        try:
            self.deleted = self.jobs.delete(keys, keep_files=keep_files)
        except DeleteRefused as exc:
            self.panel.say(str(exc))
            return None
        n = len(self.deleted.keys)
        self.panel.offer_undo(f"Deleted {n} job{'s' if n != 1 else ''}"
                              + ("" if keep_files else " and their files") + ".")
        return self.deleted

    def undo_delete(self) -> list[str]:
        if self.deleted is None:
            return []
        keys = self.jobs.undo_delete(self.deleted)
        self.deleted = None
        return keys

    def settle(self) -> None:
        """The last delete can no longer be undone: its files go for good."""
        if self.deleted is not None:
            self.jobs.forget_deleted(self.deleted)
            self.deleted = None
