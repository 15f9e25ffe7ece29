"""The account as the jobs session sees it: the balance, refreshed once per batch of ended jobs,
and the concurrent job limit, which holds POSTs back while the account is full (`AccountState`,
a part of `JobsSession`, studio.session.jobs); and as the account panel shows it: balance,
plan, quota and the low-balance alert (`AccountSummary`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from PySide6.QtCore import QObject, Signal

from studio.credits import balance_credits, credits_text
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


# ----- the account panel ---------------------------------------------------------------------
# What /account/info gave, as the panel says it.
INFO_UNREAD = "unread"    # not asked yet (or asked of another server)
INFO_READING = "reading"
INFO_READ = "read"
INFO_MISSING = "missing"  # the server has no /account/info (404): no plan or quota to show
INFO_FAILED = "failed"    # it has one, but this read failed (info_problem says why)


class AccountSummary(QObject):
    """The account as its panel shows it: the balance (the jobs session's, refreshed once per
    batch of ended jobs), the plan and quota from /account/info where the server has it, and
    the low-balance alert.

    /account/info is read with the balance, never on a timer: at once while the panel is
    open, else when it next opens (one request per batch of ended jobs at most).

    Low balance: fewer credits than `alert_jobs()` jobs at the prompt's cost (`cost()`), so the
    line moves with what the artist is about to spend (5 jobs of 80 credits: below 400; a
    prompt at twice the price raises it). `low_balance` fires once per crossing: when a
    balance is low and the last alert has not been answered by a balance that is not.
    """

    changed = Signal()
    low_balance = Signal(str)  # the words, once per crossing

    def __init__(self, jobs: Any, *, cost: Callable[[], int | None], alert_jobs: Callable[[], int],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.jobs = jobs
        self._cost = cost
        self._alert_jobs = alert_jobs
        self.info: Any = None  # studio.api.models.AccountInfo
        self.info_state = INFO_UNREAD
        self.info_problem = ""
        self._info_stale = True
        self._info_task: asyncio.Task[Any] | None = None
        self._client: Any = None  # whose account the figures are
        self._alerted = False
        self._threshold = self.threshold()
        self.watching = False  # the panel is open
        jobs.balance_changed.connect(self._on_balance)

    # ----- reading ----------------------------------------------------------------------------
    @property
    def balance(self) -> Any:
        return self.jobs.balance

    def credits(self) -> int | None:
        return balance_credits(self.balance)

    def cost(self) -> int | None:
        cost = self._cost()
        return int(cost) if cost else None

    def threshold(self) -> int | None:
        """Credits below which the balance is low (None: the alert is off)."""
        jobs, cost = self._alert_jobs(), self.cost()
        return jobs * cost if jobs > 0 and cost else None

    def low(self) -> bool:
        credits, threshold = self.credits(), self.threshold()
        return credits is not None and threshold is not None and credits < threshold

    def low_text(self) -> str:
        credits, cost = self.credits(), self.cost()
        if credits is None or not cost:
            return ""
        left = credits_text(credits)
        if credits < cost:
            return f"Low balance: {left} left, less than this prompt costs ({credits_text(cost)})."
        jobs = credits // cost
        return (f"Low balance: {left} left, about {jobs} job{'s' if jobs != 1 else ''} at this "
                f"prompt's cost ({credits_text(cost)} each).")

    def threshold_text(self) -> str:
        jobs, threshold = self._alert_jobs(), self.threshold()
        if threshold is None:
            return "The low-balance warning is off."
        return (f"Warns below {credits_text(threshold)} ({jobs} job{'s' if jobs != 1 else ''} "
                f"at this prompt's cost).")

    # ----- following the jobs -----------------------------------------------------------------
    def _follow_client(self) -> None:
        """Another server (or key) since the last figures: they are another account's."""
        if self.jobs.client is not self._client:
            self._client = self.jobs.client
            self.info, self.info_state, self.info_problem = None, INFO_UNREAD, ""
            self._info_stale = True
            self._alerted = False

    def _on_balance(self, _balance: Any) -> None:
        self._follow_client()
        self._info_stale = True
        if self.watching:
            self.refresh_info()
        if self.low():
            if not self._alerted:
                self._alerted = True
                self.low_balance.emit(self.low_text())
        elif self.credits() is not None:
            self._alerted = False  # topped up (or the line moved): the next crossing is told
        self.changed.emit()

    def prompt_changed(self) -> None:
        """The prompt's cost may have moved the line: show it (the alert waits for a balance)."""
        threshold = self.threshold()
        if threshold != self._threshold:
            self._threshold = threshold
            self.changed.emit()

    def watch(self, on: bool) -> None:
        """The panel opened (read /account/info if jobs ended since) or closed."""
        self.watching = on
        if on and self._info_stale:
            self.refresh_info()

    def refresh(self) -> asyncio.Task[Any]:
        """Ask for the balance now (the panel's Refresh); the plan and quota follow it."""
        return self.jobs.refresh_balance()

    def refresh_info(self) -> asyncio.Task[Any] | None:
        self._follow_client()
        client = self.jobs.client
        if client is None or not hasattr(client, "account_info") or self.info_state == INFO_MISSING:
            return None
        if self._info_task is not None and not self._info_task.done():
            return self._info_task
        self._info_stale = False
        if self.info is None:
            self.info_state = INFO_READING
            self.changed.emit()
        self._info_task = spawn(self._read_info(client), name="account info")
        return self._info_task

    async def _read_info(self, client: Any) -> None:
        from studio.api.errors import LegnextError, NotFoundError

        try:
            info = await client.account_info()
        except NotFoundError:
            state, info, problem = INFO_MISSING, None, ""
        except LegnextError as exc:
            state, info, problem = INFO_FAILED, self.info, failures.account_info_problem(exc)
        else:
            state, problem = INFO_READ, ""
        if client is not self.jobs.client:
            return  # asked of a server no longer in use
        self.info, self.info_state, self.info_problem = info, state, problem
        self.changed.emit()
