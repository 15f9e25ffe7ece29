"""The account as the jobs session sees it: the balance, refreshed once per batch of ended jobs,
and the concurrent job limit, which holds POSTs back while the account is full. A part of
`JobsSession` (studio.session.jobs)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from studio.session import failures
from studio.session.entry import CANCELLED, SUBMITTING, WAITING, JobEntry, _HOLDS_SLOT
from studio.session.tasks import spawn

if TYPE_CHECKING:
    import asyncio


class AccountState:
    """Mixed into JobsSession: needs its `client`, `_entries`, `_tasks`, signals and `_run`."""

    # ----- the account's concurrent slots ---------------------------------------------------
    def _busy(self, but: JobEntry) -> int:
        """Jobs holding a slot: sent through the gate and not yet ended on the server."""
        return sum(1 for e in self._entries.values() if e is not but and e.status in _HOLDS_SLOT
                   and (e.key in self._sending or e.job_id is not None))

    async def _wait_for_slot(self, entry: JobEntry) -> None:
        """Hold the POST while the account runs as many jobs as it may (`concurrent_limit`,
        from /account/active_tasks): waiting here is free, a refusal would not be."""
        import asyncio

        while self.concurrent_limit and self._busy(entry) >= self.concurrent_limit:
            if entry.status != WAITING:
                entry.status = WAITING
                entry.notice = (f"Waiting for a free slot: the account runs at most "
                                f"{self.concurrent_limit} jobs at once. Nothing is sent or charged yet.")
                self._changed(entry)
            if self._slot_freed is None:
                self._slot_freed = asyncio.Event()
            await self._slot_freed.wait()
        self._sending.add(entry.key)
        if entry.status == WAITING:
            entry.status = SUBMITTING
            entry.notice = None
            self._changed(entry)

    def _slot_may_be_free(self) -> None:
        if self._slot_freed is not None:
            event, self._slot_freed = self._slot_freed, None
            event.set()  # every waiter looks again; the first ones take the slots

    async def refresh_limit(self) -> None:
        """Read the account's concurrent job limit (servers without /account/active_tasks
        have none the studio can know; the server's own refusal then stands)."""
        from studio.api.errors import LegnextError

        client = self.client
        if client is None or not hasattr(client, "active_tasks"):
            return
        try:
            listing = await client.active_tasks()
        except LegnextError:
            return
        if hasattr(self.watcher, "use_listing"):
            self.watcher.use_listing = True  # new jobs' first look: their estimated_time
        limit = getattr(listing, "concurrent_limit", None)
        self.concurrent_limit = int(limit) if limit else None
        self._slot_may_be_free()
        self._take_in_external(list(getattr(listing, "tasks", None) or []))

    def waiting(self) -> list[JobEntry]:
        """Restored jobs that were waiting for a slot when the studio stopped: never sent."""
        return [e for e in self._entries.values() if e.status == WAITING and e.key not in self._tasks]

    def send_waiting(self, keys: list[str] | None = None) -> list[JobEntry]:
        """Send restored waiting jobs (all, or these keys) on the current backend."""
        sent = []
        for entry in self.waiting():
            if keys is None or entry.key in keys:
                entry.record.backend = self.backend_id
                entry.notice = None
                self._tasks[entry.key] = spawn(self._guarded(entry, self._run(entry)), name=f"job {entry.key}")
                sent.append(entry)
        return sent

    def drop_waiting(self) -> None:
        """The artist chose not to send the restored waiting jobs: they end, unsent."""
        for entry in self.waiting():
            entry.status = CANCELLED
            entry.notice = "Not sent (it was waiting for a free slot when the studio stopped)."
            entry._mark_finished()
            self._changed(entry)
            self.job_finished.emit(entry.key)

    def _balance_soon(self) -> None:
        """A job ended: refresh the balance once for every job that ends in the same moment
        (every request counts against the budget; a burst of completions shares one)."""
        if self._balance_task is not None and not self._balance_task.done():
            return
        self._balance_task = spawn(self._balance_after_pause(), name="balance")

    async def _balance_after_pause(self) -> None:
        import asyncio

        await asyncio.sleep(self.balance_pause)
        await self._refresh_balance()

    def refresh_balance(self) -> asyncio.Task[Any]:
        return spawn(self._refresh_balance(), name="balance")

    async def _fetch_balance_quietly(self) -> Any:
        if self.client is None:
            return self.balance
        try:
            balance = await self.client.balance()
        except Exception:
            return self.balance
        self.balance = balance
        self.balance_changed.emit(balance)
        return balance

    async def _refresh_balance(self) -> None:
        from studio.api.errors import LegnextError

        if self.client is None:
            return
        try:
            balance = await self.client.balance()
        except LegnextError as exc:
            self.message.emit(failures.balance_problem(exc))
            return
        self.balance = balance
        self.balance_changed.emit(balance)
