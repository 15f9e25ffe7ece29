"""Running heavy image work (decoding, scaling, rasterising, writing) off the GUI thread.

`asyncio.to_thread` would use the loop's default executor, which under qasync is a
`QThreadExecutor` of QThreads: one left running when the interpreter exits without the loop
being closed (pytest's shared loop, a crash path) aborts the process with "QThread: Destroyed
while thread is still running". A plain `ThreadPoolExecutor` has no such end: Python joins its
idle workers at exit. The work done here touches only reentrant objects (Pillow images,
QImage), never widgets or pixmaps.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")

# two workers: one long export never holds up a preview or a decode behind it
_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="studio-image")


async def in_worker(fn: Callable[..., T], *args: Any) -> T:
    """`await in_worker(fn, *args)`: `fn(*args)` in a worker thread, on any asyncio loop."""
    return await asyncio.wrap_future(_pool.submit(fn, *args))
