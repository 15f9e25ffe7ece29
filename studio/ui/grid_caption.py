"""The words around the grid's images, a part of `GridView` (a mixin it inherits): the caption
line under them (the lineage as breadcrumbs that link back, seed · size · elapsed time, an
expiry notice, the job-level buttons and Save all) and the centred message shown instead of
images (nothing on show yet, a failed or stopped job).
"""

from __future__ import annotations

import html

from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from studio.session.jobs import CANCELLED, ERROR, FAILED, JobEntry
from studio.ui import theme
from studio.ui.action_bar import BUTTON_H, ActionBar, ActionButton
from studio.ui.actions import ACTION_VALID_DAYS, SAVE_ALL, crumb_for
from studio.ui.time_text import elapsed_text


def grid_qss() -> str:
    c = theme.current
    return f"""
QLabel#GridCaption {{ color: {c.muted}; }}
QLabel#GridNotice {{ color: {c.warning}; }}
QLabel#GridCrumbs {{ color: {c.muted}; }}
QLabel#GridMessage {{ color: {c.muted}; font-size: 13px; }}
QLabel#GridMessage[error="true"] {{ color: {c.error}; }}
"""


class GridCaption:
    """The caption row and the message label for `GridView` (uses its jobs, canvas, decoded
    images and its job-button factory)."""

    def _build_captions(self) -> None:
        """The message label and the caption row, children of the canvas (it places them)."""
        self.message = QLabel(self.canvas)
        self.message.setObjectName("GridMessage")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self._message_is_error = False

        caption_row = QWidget(self.canvas)
        caption_row.setObjectName("GridCaptionRow")
        caption_row.hide()
        row = QHBoxLayout(caption_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(10)
        self.crumbs = QLabel(caption_row)
        self.crumbs.setObjectName("GridCrumbs")
        self.crumbs.setTextFormat(Qt.TextFormat.RichText)
        self.crumbs.setTextInteractionFlags(Qt.TextInteractionFlag.LinksAccessibleByMouse | Qt.TextInteractionFlag.LinksAccessibleByKeyboard)
        self.crumbs.linkActivated.connect(self._crumb_clicked)
        self.caption = QLabel(caption_row)
        self.caption.setObjectName("GridCaption")
        self.caption.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.notice = QLabel(caption_row)
        self.notice.setObjectName("GridNotice")
        self.notice.hide()
        self.job_bar = ActionBar(caption_row, self._make_button)
        self.job_bar.setFixedHeight(BUTTON_H)
        row.addWidget(self.crumbs)
        row.addWidget(self.caption, 1)
        row.addWidget(self.notice)
        row.addWidget(self.job_bar)
        self.save_all_button = ActionButton(caption_row)
        self.save_all_button.configure(SAVE_ALL.name, SAVE_ALL, None)
        self.save_all_button.setFixedWidth(self.save_all_button.full_width())
        self.save_all_button.clicked.connect(lambda _=False: self.save(None))
        self.save_all_button.hide()
        row.addWidget(self.save_all_button)
        self.caption_row = caption_row

    # ----- the caption line ---------------------------------------------------------------
    def _update_caption(self, entry: JobEntry) -> None:
        parts: list[str] = []
        if entry.seed:
            parts.append(f"seed {entry.seed}")
        size = next((d.size for d in self._decoded.values()), None)
        if size is not None:
            parts.append(f"{size[0]}×{size[1]}")
        parts.append(elapsed_text(entry.elapsed))
        if entry.active:
            parts.append(entry.status_word())
        self._set_label(self.caption, "·  " + " · ".join(parts))
        self._set_label(self.crumbs, self._crumbs_html(entry))

    def _crumbs_html(self, entry: JobEntry) -> str:
        c = theme.current
        chain = self.jobs.lineage(entry.key) or [entry]
        pieces = []
        for i, step in enumerate(chain):
            if i == 0:
                label = step.task_type.replace("_", " ")
                if step.parent is not None:  # the root's own parent is not in this session
                    label = crumb_for(step.op, step.parent[1], step.request)
            else:
                image_no = step.parent[1] if step.parent else None
                label = crumb_for(step.op, image_no if step.op != "reroll" else None, step.request)
            label = html.escape(label)
            if step is chain[-1]:
                pieces.append(f'<span style="color:{c.text}">{label}</span>')
            else:
                pieces.append(f'<a href="job:{html.escape(step.key)}" style="color:{c.muted}; text-decoration:none">{label}</a>')
        return f' <span style="color:{c.faint}">›</span> '.join(pieces)

    def _crumb_clicked(self, link: str) -> None:
        if link.startswith("job:"):
            self.show_job(link[4:])

    def _update_notice(self, expired: str | None, has_actions: bool) -> None:
        """Say so beside the caption when the job's actions have expired."""
        if expired and has_actions:
            self._set_label(self.notice, f"Actions expired · older than {ACTION_VALID_DAYS} days")
            self.notice.setToolTip(expired)
            self.notice.show()
        elif not self.notice.isHidden():
            self.notice.hide()

    def _clear_caption(self) -> None:
        self._set_label(self.caption, "")
        self._set_label(self.crumbs, "")
        self.notice.hide()

    @staticmethod
    def _set_label(label: QLabel, text: str) -> None:
        if label.text() != text:  # setText relayouts the row even when nothing changed
            label.setText(text)

    # ----- the message instead of images --------------------------------------------------
    def _show_message(self, entry: JobEntry) -> None:
        output = getattr(entry.job, "output", None)
        if entry.status in (FAILED, ERROR):
            self._set_message(entry.error or "The job failed.", error=True)
        elif entry.status == CANCELLED:
            self._set_message(entry.notice or "Stopped watching this job.", error=False)
        elif getattr(output, "video_urls", None):
            self._set_message("This job's videos could not be shown.", error=True)
        else:
            self._set_message("This job has no images or videos.", error=False)

    def _show_welcome(self) -> None:
        c = theme.current
        self._set_message(
            f'<div style="color:{c.text}; font-size:16px; font-weight:600">No grid on show yet</div>'
            '<div style="margin-top:6px">Type a prompt and press Ctrl+Enter. Finished jobs land '
            "here, with their actions under each image; pick any job in the queue to see it "
            "again.</div>",
            error=False,
            rich=True,
        )

    def _set_message(self, text: str, *, error: bool, rich: bool = False) -> None:
        # Server error text is shown as typed, never interpreted as markup.
        self.message.setTextFormat(Qt.TextFormat.RichText if rich else Qt.TextFormat.PlainText)
        if self._message_is_error != error:
            self._message_is_error = error
            self.message.setProperty("error", error)
            self.message.style().unpolish(self.message)
            self.message.style().polish(self.message)
        self.message.setText(text)
        self.message.setGeometry(self._message_rect())
        self.message.show()
        self.message.raise_()

    def _message_rect(self) -> QRect:
        """A readable measure (at most 560 px wide), centred in the grid area."""
        area = self.canvas.rect().adjusted(40, 40, -40, -40)
        width = min(560, max(1, area.width()))
        return QRect(area.x() + (area.width() - width) // 2, area.y(), width, area.height())
