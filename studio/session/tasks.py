"""The one helper for starting coroutines from Qt code.

asyncio keeps only a weak reference to a task; a task nobody holds can be garbage-collected
mid-flight, and an exception in a task nobody awaits is only logged at interpreter exit. `spawn`
keeps every task alive until it ends and reports its failure right away.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

# asyncio is imported inside the functions that use it: the window paints before it is
# needed, and its import is a noticeable share of start-up (benchmarks/startup.py).
if TYPE_CHECKING:
    import asyncio

log = logging.getLogger(__name__)

T = TypeVar("T")

_running: set[asyncio.Task[Any]] = set()
_reporters: list[Callable[[str, BaseException], None]] = []


def spawn(coro: Coroutine[Any, Any, T], *, name: str) -> asyncio.Task[T]:
    """Start `coro` on the current event loop, keep a reference, report a failure."""
    import asyncio

    task = asyncio.ensure_future(coro)
    task.set_name(name)
    _running.add(task)
    task.add_done_callback(_finished)
    return task


def _finished(task: asyncio.Task[Any]) -> None:
    _running.discard(task)
    if task.cancelled():
        return
    exc = task.exception()
    if exc is None:
        return
    log.error("task %s failed", task.get_name(), exc_info=exc)
    for report in list(_reporters):
        try:
            report(task.get_name(), exc)
        except Exception:  # a broken reporter must not hide the original failure
            log.exception("error reporter failed")


def add_error_reporter(report: Callable[[str, BaseException], None]) -> None:
    """Also tell `report(task_name, exception)` about every failed task (e.g. the status bar)."""
    _reporters.append(report)


def remove_error_reporter(report: Callable[[str, BaseException], None]) -> None:
    if report in _reporters:
        _reporters.remove(report)


async def run_in_thread(fn: Callable[[], T], *, name: str) -> T:
    """Run a blocking call (keyring, starting/stopping the sandbox) on a daemon thread, await it.

    A plain thread rather than the loop's executor: qasync's executor is made of QThreads,
    which Qt complains about when a test's loop is never closed.
    """
    import asyncio
    import threading

    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(ok: bool, value: Any) -> None:
        if not future.done():  # the awaiting task may have been cancelled meanwhile
            future.set_result(value) if ok else future.set_exception(value)

    def work() -> None:
        try:
            outcome: tuple[bool, Any] = (True, fn())
        except BaseException as exc:  # handed to the awaiting coroutine
            outcome = (False, exc)
        try:
            loop.call_soon_threadsafe(settle, *outcome)
        except RuntimeError:  # the loop closed meanwhile (shutdown): nobody is waiting
            pass

    threading.Thread(target=work, name=name, daemon=True).start()
    return await future


def running_tasks() -> list[asyncio.Task[Any]]:
    return [t for t in _running if not t.done()]


async def cancel_all(timeout: float = 2.0) -> None:
    """Cancel every task started with `spawn` and wait briefly for them (used at shutdown)."""
    import asyncio

    try:
        me = asyncio.current_task()
    except RuntimeError:
        me = None
    tasks = [t for t in running_tasks() if t is not me]  # never cancel the caller itself
    for task in tasks:
        task.cancel()
    if tasks:
        await asyncio.wait(tasks, timeout=timeout)
