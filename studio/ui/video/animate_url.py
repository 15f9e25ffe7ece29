"""Animate an image from a URL (Jobs → Animate an image from a URL…): a small non-modal box with
the image's URL, a video prompt, 480p / 720p, the cost, and Animate — sent on a second click,
as every video is (UI.md).

The session checks everything before anything is sent (studio.session.video): the URL by the
client's own rule (http or https, at most 1024 characters; a file on this computer is named as
such, never pasted into the prompt), the prompt by the video rules, and it prices the job. What
the box sends is the documented "[image_url] your prompt text" to /v1/video-diffusion; the job
then shows in the queue and the grid like any other.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from studio.credits import credits_text
from studio.session import video
from studio.ui.common import theme
from studio.ui.common.second_click import SecondClick
from studio.ui.common.segments import segment_qss, segment_row

log = logging.getLogger(__name__)


def _qss() -> str:
    c = theme.current
    return f"""
QLabel#BoxTitle {{ color: {c.text}; font-weight: 600; }}
QLabel#BoxHint {{ color: {c.muted}; }}
QLabel#BoxCost {{ color: {c.warning}; }}
QLabel#BoxCheck[severity="warning"] {{ color: {c.warning}; }}
QLabel#BoxCheck[severity="error"] {{ color: {c.error}; }}
""" + segment_qss()


class AnimateUrlBox(QDialog):
    """Animate the image at a URL. `submitted(key)` names the job once it is sent."""

    submitted = Signal(str)

    def __init__(self, jobs: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.jobs = jobs
        self.setWindowTitle("Animate an image from a URL")
        self.setModal(False)  # a nested exec() loop would stall every running job
        self.setStyleSheet(_qss())
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 14)
        layout.setSpacing(8)
        title = QLabel("Make a short video from an image on the web", self)
        title.setObjectName("BoxTitle")
        layout.addWidget(title)
        self.url_edit = QLineEdit(self)
        self.url_edit.setPlaceholderText("https://… the image to animate")
        self.url_edit.setClearButtonEnabled(True)
        layout.addWidget(self.url_edit)
        self.url_check = QLabel(self)
        self.url_check.setObjectName("BoxCheck")
        self.url_check.setProperty("severity", "error")
        self.url_check.setWordWrap(True)
        self.url_check.hide()
        layout.addWidget(self.url_check)
        self.prompt_edit = QLineEdit(self)
        self.prompt_edit.setPlaceholderText("Optional: how it moves · --motion low|high --loop --raw --bs 1|2|4 --end URL")
        self.prompt_edit.setClearButtonEnabled(True)
        layout.addWidget(self.prompt_edit)
        self.prompt_check = QLabel(self)
        self.prompt_check.setObjectName("BoxCheck")
        self.prompt_check.setWordWrap(True)
        self.prompt_check.hide()
        layout.addWidget(self.prompt_check)

        # 480p is the documented default
        self.quality, self.quality_buttons, quality = segment_row(self, list(video.VIDEO_TYPES.items()), 0)
        quality.addSpacing(10)
        hint = QLabel("480p is the default; 720p is high definition", self)
        hint.setObjectName("BoxHint")
        quality.addWidget(hint)
        quality.addStretch(1)
        layout.addLayout(quality)

        row = QHBoxLayout()
        row.setSpacing(6)
        self.cost_label = QLabel(self)
        self.cost_label.setObjectName("BoxCost")
        row.addWidget(self.cost_label, 1)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.clicked.connect(self.close)
        self.send_button = QPushButton("Animate", self)
        self.send_button.setProperty("primary", True)
        self.send_button.setAutoDefault(False)
        self.send_button.clicked.connect(self.send)
        row.addWidget(self.cancel_button)
        row.addWidget(self.send_button)
        layout.addLayout(row)
        self.second_click = SecondClick(self.send_button, "Animate")
        self.credits: int | None = None
        self.url_edit.textChanged.connect(lambda _t: self.refresh())
        self.prompt_edit.textChanged.connect(lambda _t: self.refresh())
        self.quality.idToggled.connect(lambda _id, on: on and self.refresh())
        self.refresh()

    # ----- state --------------------------------------------------------------------------
    def video_type(self) -> int:
        return self.quality.checkedId()

    def problem(self) -> str | None:
        """Why Animate cannot be sent now (the session's words), or None."""
        try:
            video.animate_url_request(self.url_edit.text(), self.prompt_edit.text(), self.video_type())
        except video.NotSendable as exc:
            return str(exc)
        return None

    def refresh(self) -> None:
        url_problem = video.url_problem(self.url_edit.text()) if self.url_edit.text().strip() else None
        self._say(self.url_check, url_problem, "error")
        check = video.check_prompt(f"{self.url_edit.text().strip()} {self.prompt_edit.text().strip()}".strip())
        self._say(self.prompt_check, check.first, "error" if check.errors else "warning")
        self.credits = check.credits
        videos = f" · {check.batch} video{'s' if check.batch != 1 else ''}" if check.batch else ""
        self.cost_label.setText((credits_text(self.credits) if self.credits is not None else "cost not known") + videos)
        problem = self.problem()
        self.second_click.reset()
        self.send_button.setEnabled(problem is None)
        self.send_button.setToolTip(problem or f"Animate · {self.cost_label.text()} · click twice: it is expensive")

    def _say(self, label: QLabel, text: str | None, severity: str) -> None:
        changed = (text or "") != label.text() or bool(text) != label.isVisible()
        label.setText(text or "")
        if label.property("severity") != severity:
            label.setProperty("severity", severity)
            label.style().unpolish(label)
            label.style().polish(label)
        label.setVisible(bool(text))
        if changed and self.isVisible():  # a line more or less: the box takes the height it needs
            self.layout().activate()
            self.resize(self.width(), self.layout().totalHeightForWidth(self.width()))

    # ----- sending ------------------------------------------------------------------------
    def send(self) -> Any:
        """First press: arm (the cost on the button). Second: submit through the session."""
        try:
            request = video.animate_url_request(self.url_edit.text(), self.prompt_edit.text(), self.video_type())
        except video.NotSendable as exc:
            self._say(self.url_check, str(exc), "error")
            return None
        if not self.second_click.press(credits_text(self.credits) if self.credits is not None else "credits"):
            return None
        shown = self.prompt_edit.text().strip() or request["prompt"]
        try:
            entry = self.jobs.submit(video.ANIMATE, prompt=shown, request=request)
        except Exception as exc:  # said here, never only on stderr; nothing was sent
            log.exception("animate from a URL could not be submitted")
            from studio.session import failures

            self._say(self.url_check, f"Not sent: {failures.describe(exc)}", "error")
            self.second_click.reset()
            return None
        self.submitted.emit(entry.key)
        self.close()
        return entry

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not event.isAutoRepeat():
            if self.send_button.isEnabled():
                self.send()
            return
        super().keyPressEvent(event)

    def open_fresh(self, url: str = "") -> None:
        """Show the box (again), with `url` if one is given; the prompt is kept."""
        if url:
            self.url_edit.setText(url)
        self.show()
        self.raise_()
        self.activateWindow()
        (self.prompt_edit if self.url_edit.text() else self.url_edit).setFocus()
