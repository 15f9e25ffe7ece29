"""Acting on the grid's outputs, a part of `GridView` (a mixin it inherits): an action button
opens the popover or the mask editor the registry names for it, and whatever those send is
submitted through the session with `parent=(job_id, image_no)`, so lineage can be shown.

An editor is non-modal and one per (job, output, action): a second click brings the open one
forward. The full-resolution source image is decoded off the GUI thread before it opens.
"""

from __future__ import annotations

import logging
from typing import Any

import shiboken6
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QWidget

from studio.session import operations
from studio.session.jobs import JobEntry
from studio.session.tasks import spawn
from studio.ui.grid.action_bar import ActionButton
from studio.ui.grid.action_dialogs import ActionContext, ActionPopover, make_editor, make_popover
from studio.ui.grid.actions import FLOW_EDITOR, ActionSpec, index_param_for, is_studio_op
from studio.ui.grid.media import media_of

log = logging.getLogger(__name__)


class GridActions:
    """Popovers, editors and submitting for `GridView` (uses its jobs, entry, loader, decoded
    images and signals)."""

    def _init_actions(self) -> None:
        self.active_popover: ActionPopover | None = None
        self.active_editor: QWidget | None = None
        # Open editors by (job id, output, action): a second click brings the open one forward.
        self._editors: dict[tuple[str, int, str], QWidget] = {}
        self._opening: set[tuple[str, int, str]] = set()

    def _context(self, entry: JobEntry, image_no: int | None) -> ActionContext:
        url = entry.image_urls[image_no] if image_no is not None and image_no < len(entry.image_urls) else None
        return ActionContext(
            job_id=entry.job_id or "", image_no=image_no, prompt=entry.prompt, model=entry.model,
            extensions=self.extensions_used(entry),
            image_url=url, created_at=entry.record.created_at, now=self.clock().timestamp(),
        )

    def extensions_used(self, entry: JobEntry) -> int:
        """How many times this video job's videos were extended already (0 for an image job)."""
        if media_of(entry).kind != "video":
            return 0
        from studio.session.video import extensions_used

        return extensions_used(self.jobs, entry.key)

    def _action_clicked(self, button: ActionButton, image_no: int | None) -> None:
        # A Qt slot: an exception here would reach stderr only. Every failure is said on screen.
        try:
            self._open_action(button, image_no)
        except Exception as exc:
            self._action_failed(button.spec, exc, "could not be opened")

    def _action_failed(self, spec: ActionSpec | None, exc: BaseException, what: str = "was not sent") -> None:
        """Say on screen that an action failed before its request left (nothing was charged)."""
        from studio.session import failures

        log.error("grid action %s %s", spec.name if spec else "?", what, exc_info=exc)
        if shiboken6.isValid(self):
            label = spec.label if spec is not None else "The action"
            reason = failures.describe(exc).rstrip()
            if not reason.endswith((".", "!", "?")):
                reason += "."
            self.status_message.emit(f"{label} {what}: {reason} Nothing was charged.")

    def _send(self, spec: ActionSpec, op: str, kwargs: dict[str, Any], ctx: ActionContext) -> None:
        """What a popover's or an editor's Send does: submit, or say why it could not be."""
        try:
            self.submit_action(op, kwargs, ctx)
        except Exception as exc:
            self._action_failed(spec, exc)

    def _open_action(self, button: ActionButton, image_no: int | None) -> None:
        entry = self.entry
        spec = button.spec
        if entry is None or spec is None or not entry.job_id or not button.isEnabled():
            return
        ctx = self._context(entry, image_no)
        if spec.flow == FLOW_EDITOR:
            assert image_no is not None
            key = (ctx.job_id, image_no, spec.name)
            open_editor = self._editors.get(key)
            if open_editor is not None and shiboken6.isValid(open_editor) and open_editor.isVisible():
                open_editor.raise_()  # already open for this image: bring it forward
                open_editor.activateWindow()
                self.active_editor = open_editor
                return
            if key in self._opening:
                return  # its image is still being decoded; the editor opens in a moment
            self._opening.add(key)
            spawn(self._open_editor(spec, ctx, key), name=f"open {spec.dialog}")
            return
        self._close_popover()
        popover = make_popover(spec, ctx, self)
        popover.submitted.connect(lambda op, kwargs, c=ctx, s=spec: self._send(s, op, kwargs, c))
        popover.closed.connect(lambda p=popover: self._popover_gone(p))
        self.active_popover = popover
        popover.show_at(button.anchor())  # "More" when the action sits in its menu

    def _popover_gone(self, popover: ActionPopover) -> None:
        if self.active_popover is popover:
            self.active_popover = None

    def _close_popover(self) -> None:
        if self.active_popover is not None:
            popover, self.active_popover = self.active_popover, None
            popover.close()

    async def _open_editor(self, spec: ActionSpec, ctx: ActionContext, key: tuple[str, int, str]) -> None:
        """Open the mask package's editor for pan / zoom out / repaint / edit on this image."""
        assert ctx.image_no is not None
        try:
            try:
                source = await self.source_image(ctx.image_no)
            except Exception as exc:  # a decode failure of any kind: say it, do not go silent
                log.warning("decoding image %s for %s failed", ctx.image_no + 1, spec.name, exc_info=True)
                if shiboken6.isValid(self):
                    self.status_message.emit(
                        f"{spec.label}: image {ctx.image_no + 1} could not be decoded at full size ({exc})."
                    )
                return
            if not shiboken6.isValid(self):
                return
            if source is None or source.isNull():
                self.status_message.emit(
                    f"{spec.label}: image {ctx.image_no + 1} is not downloaded, so it cannot be edited."
                )
                return
            editor = make_editor(spec, source, ctx, self)
        finally:
            self._opening.discard(key)
        editor.submitted.connect(lambda op, kwargs, c=ctx, s=spec: self._send(s, op, kwargs, c))
        editor.destroyed.connect(lambda _=None, k=key: self._editors.pop(k, None))
        self._editors[key] = editor
        self.active_editor = editor
        editor.show()  # non-modal: the grid stays usable while an editor is open

    def open_editor(self, key: tuple[str, int, str]) -> QWidget | None:
        """The editor open for (job id, image index, action name), if any (tests, focus)."""
        editor = self._editors.get(key)
        return editor if editor is not None and shiboken6.isValid(editor) and editor.isVisible() else None

    async def source_image(self, image_no: int) -> QImage | None:
        """The full-resolution QImage of an image (decoded off the GUI thread if need be)."""
        entry = self.entry
        if entry is None:
            return None
        media = media_of(entry)
        if image_no >= len(media.data) or media.data[image_no] is None:
            return None
        decoded = self._decoded.get(image_no)
        if decoded is None:
            decoded, _ = await self.loader.load(media.urls[image_no], media.data[image_no], 1, 1)
        return await self.loader.full(decoded)

    def submit_action(self, op: str, kwargs: dict[str, Any], ctx: ActionContext) -> JobEntry:
        """Start the job an action asked for, remembering where it came from (lineage)."""
        if is_studio_op(op):
            return self._submit_tool(op, kwargs, ctx)
        kwargs = dict(kwargs)
        spec_scope_job = op == "reroll"
        kwargs.setdefault("job_id", ctx.job_id)
        if not spec_scope_job and ctx.image_no is not None:
            kwargs.setdefault(index_param_for(op), ctx.image_no)
        prompt = kwargs.get("remix_prompt") or kwargs.get("prompt") or ctx.prompt
        parent = (ctx.job_id, ctx.image_no if ctx.image_no is not None else 0)
        # The fields go as `request`: animate and extend have a field called `prompt` too.
        entry = self.jobs.submit(op, parent=parent, prompt=prompt, request=kwargs)
        self.job_submitted.emit(entry.key)
        return entry


    def _submit_tool(self, op: str, kwargs: dict[str, Any], ctx: ActionContext) -> JobEntry:
        """A studio tool (describe, retexture, remove background, Topaz): its popover named the
        image as the session decided; the new job's parent is the image, for lineage."""
        entry = operations.send(self.jobs, op, ctx.ref, kwargs, shown_as=kwargs.get("remix_prompt") or ctx.prompt)
        self.job_submitted.emit(entry.key)
        return entry
