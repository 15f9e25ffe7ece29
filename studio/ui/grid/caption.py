"""The words around the grid's images, a part of `GridView` (a mixin it inherits): the caption
line under them (the lineage as breadcrumbs that link back, seed · size · elapsed time, an
expiry notice, the job-level buttons and Save all) and the centred message shown instead of
images (nothing on show yet, a failed or stopped job — with "Check again" when the job exists).

The caption line is placed by hand (`_fit_caption`), not by a layout: when the grid is narrow it
gives things up in a set order — the seed, then the buttons' labels (icons stay), the size, the
expiry notice's words, the older breadcrumbs — and elides what is left, so nothing overlaps.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from typing import Any, NamedTuple

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetricsF
from PySide6.QtWidgets import QLabel, QPushButton, QWidget

from studio.session.jobs import CANCELLED, ERROR, FAILED, JobEntry
from studio.ui.common import theme
from studio.ui.grid.action_bar import BUTTON_GAP, BUTTON_H, ActionBar, ActionButton
from studio.ui.grid.actions import ACTION_VALID_DAYS, SAVE_ALL, crumb_for
from studio.ui.common.time_text import elapsed_text

CAPTION_SPACING = 10  # px between the caption's pieces
MESSAGE_BUTTON_GAP = 14  # px between the message and its button


class CaptionRow(QWidget):
    """The caption line's container: tells the grid when its width changes (it re-fits)."""

    def __init__(self, parent: QWidget, on_resize: Callable[[], None]) -> None:
        super().__init__(parent)
        self._on_resize = on_resize

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self._on_resize()


class _Fit(NamedTuple):
    """One way of showing the caption line, from the fullest to the barest."""

    seed: bool = True
    compact: bool = False  # job buttons and Save all as icons only
    size: bool = True
    notice_words: bool = True
    crumbs: int = 0  # the last n breadcrumb steps only, after "…" (0: all)
    elapsed: bool = True


# The order things give way in: each step drops one more piece.
_FITS = (
    _Fit(),
    _Fit(seed=False),
    _Fit(seed=False, compact=True),
    _Fit(seed=False, compact=True, size=False),
    _Fit(seed=False, compact=True, size=False, notice_words=False),
    _Fit(seed=False, compact=True, size=False, notice_words=False, crumbs=2),
    _Fit(seed=False, compact=True, size=False, notice_words=False, crumbs=1),
    _Fit(seed=False, compact=True, size=False, notice_words=False, crumbs=1, elapsed=False),
)


def grid_qss() -> str:
    c = theme.current
    return f"""
QLabel#GridCaption {{ color: {c.muted}; }}
QLabel#GridNotice {{ color: {c.warning}; }}
QLabel#GridCrumbs {{ color: {c.muted}; }}
QLabel#GridMessage {{ color: {c.muted}; font-size: 13px; }}
QLabel#GridMessage[error="true"] {{ color: {c.error}; }}
QPushButton#TileRetry {{ padding: 2px 12px; }}
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
        # "Check again" / "Resume watching" under the message of a job the studio lost.
        self.message_button = QPushButton(self.canvas)
        self.message_button.setObjectName("GridMessageButton")
        self.message_button.setProperty("primary", True)
        self.message_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.message_button.setToolTip("Ask the server about this job again and download its result; "
                                       "nothing is sent again, nothing is charged again")
        self.message_button.clicked.connect(self._resume_shown)
        self.message_button.hide()

        caption_row = CaptionRow(self.canvas, self._fit_caption)
        caption_row.setObjectName("GridCaptionRow")
        caption_row.hide()
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
        self.save_all_button = ActionButton(caption_row)
        self.save_all_button.configure(SAVE_ALL.name, SAVE_ALL, None)
        self.save_all_button.clicked.connect(lambda _=False: self.save(None))
        self.save_all_button.hide()
        self.caption_row = caption_row
        # What the caption could say; `_fit_caption` picks what fits.
        self._crumb_steps: list[tuple[str, str | None]] = []  # (label, key to link to; None: this job)
        self._meta: dict[str, str] = {}

    # ----- the caption line ---------------------------------------------------------------
    def _update_caption(self, entry: JobEntry) -> None:
        meta: dict[str, str] = {}
        if entry.seed:
            meta["seed"] = f"seed {entry.seed}"
        size = next((d.size for d in self._decoded.values()), None)
        if size is not None:
            meta["size"] = f"{size[0]}×{size[1]}"
        meta["elapsed"] = elapsed_text(entry.elapsed)
        if entry.active:
            meta["status"] = entry.status_word()
        self._meta = meta
        self._crumb_steps = self._crumb_labels(entry)
        self._fit_caption()

    def _crumb_labels(self, entry: JobEntry) -> list[tuple[str, str | None]]:
        chain = self.jobs.lineage(entry.key) or [entry]
        steps: list[tuple[str, str | None]] = []
        for i, step in enumerate(chain):
            if i == 0:
                label = step.task_type.replace("_", " ")
                if step.parent is not None:  # the root's own parent is not in this session
                    label = crumb_for(step.op, step.parent[1], step.request)
            else:
                image_no = step.parent[1] if step.parent else None
                label = crumb_for(step.op, image_no if step.op != "reroll" else None, step.request)
            steps.append((label, None if step is chain[-1] else step.key))
        return steps

    def _crumbs_html(self, steps: list[tuple[str, str | None]], last: str | None = None) -> str:
        """The steps as links back (the current one plain); `last` replaces the current
        step's label (elided). A leading ("…", key) step links to the hidden part."""
        c = theme.current
        pieces = []
        for i, (label, key) in enumerate(steps):
            text = html.escape(last if last is not None and i == len(steps) - 1 else label)
            if key is None:
                pieces.append(f'<span style="color:{c.text}">{text}</span>')
            else:
                pieces.append(f'<a href="job:{html.escape(key)}" style="color:{c.muted}; text-decoration:none">{text}</a>')
        return f' <span style="color:{c.faint}">›</span> '.join(pieces)

    def _shown_steps(self, tail: int) -> list[tuple[str, str | None]]:
        steps = self._crumb_steps
        if not tail or len(steps) <= tail:
            return list(steps)
        hidden = steps[: len(steps) - tail]
        return [("…", hidden[-1][1]), *steps[len(steps) - tail:]]

    def _meta_text(self, fit: _Fit) -> str:
        parts = [self._meta[name] for name, wanted in
                 (("seed", fit.seed), ("size", fit.size), ("elapsed", fit.elapsed), ("status", True))
                 if wanted and name in self._meta]
        return "·  " + " · ".join(parts) if parts else ""

    def _fit_caption(self) -> None:
        """Place the caption's pieces in the row's width, giving things up in `_FITS` order;
        whatever still does not fit is elided. Pieces never overlap or leave the row."""
        row = self.caption_row
        width, height = row.width(), row.height()
        buttons = list(self.job_bar.buttons)
        save = self.save_all_button if not self.save_all_button.isHidden() else None
        notice_on = not self.notice.isHidden()
        fm_crumbs, fm_meta = QFontMetricsF(self.crumbs.font()), QFontMetricsF(self.caption.font())
        fm_notice = QFontMetricsF(self.notice.font())

        def text_w(fm: QFontMetricsF, text: str) -> int:
            return math.ceil(fm.horizontalAdvance(text)) + 2 if text else 0

        def crumbs_plain(steps: list[tuple[str, str | None]]) -> str:
            return " › ".join(label for label, _ in steps)

        def plan(fit: _Fit) -> tuple[int, int, int, int, int]:
            """Widths of crumbs, meta, notice, job buttons and Save all for this fit."""
            bar_w = sum(b.icon_width() if fit.compact else b.full_width() for b in buttons)
            bar_w += BUTTON_GAP * max(0, len(buttons) - 1)
            save_w = (save.icon_width() if fit.compact else save.full_width()) if save else 0
            notice_w = text_w(fm_notice, self._notice_text(fit.notice_words)) if notice_on else 0
            return (text_w(fm_crumbs, crumbs_plain(self._shown_steps(fit.crumbs))),
                    text_w(fm_meta, self._meta_text(fit)), notice_w, bar_w, save_w)

        def total(widths: tuple[int, ...]) -> int:
            shown = [w for w in widths if w]
            return sum(shown) + CAPTION_SPACING * max(0, len(shown) - 1)

        fit, widths = _FITS[-1], plan(_FITS[-1])
        for candidate in _FITS:
            candidate_widths = plan(candidate)
            if total(candidate_widths) <= width:
                fit, widths = candidate, candidate_widths
                break
        crumbs_w, meta_w, notice_w, bar_w, save_w = widths
        # Right: the job buttons, then Save all, against the right edge.
        y = max(0, (height - BUTTON_H) // 2)
        right = width
        if save is not None:
            save.set_compact(fit.compact)
            save_w = min(save_w, max(0, right))
            save.setGeometry(right - save_w, y, save_w, BUTTON_H)
            right -= save_w + CAPTION_SPACING
        if buttons:
            bar_w = min(bar_w, max(0, right))
            self.job_bar.setGeometry(right - bar_w, y, bar_w, BUTTON_H)
            right -= bar_w + CAPTION_SPACING
        if self.job_bar.isHidden() == bool(buttons):
            self.job_bar.setVisible(bool(buttons))
        room = max(0, right)  # what the words may use, from the left edge
        # Left: crumbs (elided last), then the meta line and the notice if they still fit.
        steps = self._shown_steps(fit.crumbs)
        last = None
        if crumbs_w > room:
            head = text_w(fm_crumbs, crumbs_plain(steps[:-1]) + " › ") if len(steps) > 1 else 0
            last = fm_crumbs.elidedText(steps[-1][0], Qt.TextElideMode.ElideRight, max(0, room - head - 2))
            crumbs_w = room
        self._set_label(self.crumbs, self._crumbs_html(steps, last))
        self.crumbs.setToolTip(crumbs_plain(self._crumb_steps) if (fit.crumbs or last is not None) else "")
        self.crumbs.setGeometry(0, 0, crumbs_w, height)
        x = crumbs_w + CAPTION_SPACING
        meta_text = self._meta_text(fit)
        meta_w = min(meta_w, max(0, room - x))
        self._set_label(self.caption, meta_text if meta_w else "")
        self.caption.setToolTip(self._meta_text(_Fit()).removeprefix("·  ") if fit != _FITS[0] else "")
        self.caption.setGeometry(x, 0, meta_w, height)
        if meta_w:
            x += meta_w + CAPTION_SPACING
        if notice_on:
            notice_w = min(notice_w, max(0, room - x))
            self._set_label(self.notice, fm_notice.elidedText(
                self._notice_text(fit.notice_words), Qt.TextElideMode.ElideRight, max(0, notice_w - 2)))
            self.notice.setGeometry(x, 0, notice_w, height)

    def _notice_text(self, words: bool) -> str:
        left = getattr(self, "_expires_in", None)
        if left:
            return f"Actions expire in {left}" if words else f"Expire in {left}"
        return f"Actions expired · older than {ACTION_VALID_DAYS} days" if words else "Actions expired"

    def _crumb_clicked(self, link: str) -> None:
        if link.startswith("job:"):
            self.show_job(link[4:])

    def _update_notice(self, expired: str | None, has_actions: bool, left: str | None = None) -> None:
        """Say so beside the caption when the job's actions have expired, or will within a
        day (`left`: "5 h")."""
        changed = left != getattr(self, "_expires_in", None)
        self._expires_in = None if expired else left
        if changed and not self.notice.isHidden():
            self._fit_caption()
        if (expired or left) and has_actions:
            self.notice.setToolTip(expired or f"Actions on these images are valid for {ACTION_VALID_DAYS} days "
                                   f"after the job was created: {left} left.")
            if self.notice.isHidden():
                self.notice.show()
                self._fit_caption()
        elif not self.notice.isHidden():
            self.notice.hide()

    def _clear_caption(self) -> None:
        self._meta = {}
        self._crumb_steps = []
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
        # A job the studio lost (or stopped watching) but whose id it knows: look again.
        if entry.can_resume:
            self.message_button.setText("Resume watching" if entry.status == CANCELLED else "Check again")
            self.message_button.show()
            self._place_message()

    def _resume_shown(self) -> None:
        entry = self.entry
        if entry is not None:
            self.jobs.resume(entry.key)

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
        self.message_button.hide()
        self._place_message()
        self.message.show()
        self.message.raise_()

    def _hide_message(self) -> None:
        self.message.hide()
        self.message_button.hide()

    def _place_message(self) -> None:
        """A readable measure (at most 560 px wide), centred in the grid area; the button, if
        any, centred under the text."""
        area = self.canvas.rect().adjusted(40, 40, -40, -40)
        width = min(560, max(1, area.width()))
        x = area.x() + (area.width() - width) // 2
        if self.message_button.isHidden():
            self.message.setGeometry(x, area.y(), width, area.height())
            return
        button = self.message_button.sizeHint()
        text_h = min(self.message.heightForWidth(width), max(0, area.height() - button.height() - MESSAGE_BUTTON_GAP))
        top = area.y() + max(0, (area.height() - text_h - MESSAGE_BUTTON_GAP - button.height()) // 2)
        self.message.setGeometry(x, top, width, text_h)
        self.message_button.setGeometry(x + (width - button.width()) // 2, top + text_h + MESSAGE_BUTTON_GAP,
                                        button.width(), button.height())
        self.message_button.raise_()
