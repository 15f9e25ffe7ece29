"""Process-wide memory habits that keep a long session's resident size near what it uses.

A studio decodes many large images (a 2048² output is 12–16 MB of pixels) in worker threads and
frees them again. glibc serves such blocks with mmap, but raises its mmap threshold each time
one is freed, so later ones land in the heap, where freed space is kept for reuse and rarely
returned: measured here, resident size grew about 300 MB above what the studio held while
viewing 40 such jobs (benchmarks/memory.py). Fixing the threshold at glibc's own starting
value keeps every large block in mmap, returned the moment it is freed.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging
import sys

log = logging.getLogger(__name__)

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_MMAP_THRESHOLD = 128 * 1024  # glibc's initial value; setting it turns off its dynamic raise


def keep_heap_small() -> bool:
    """Tell the C allocator to give large freed blocks back at once (glibc only; elsewhere a
    no-op). Returns whether it took effect."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl and others have no mallopt: nothing to tune
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    ok = bool(mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)) and bool(mallopt(_M_TRIM_THRESHOLD, 2 * _MMAP_THRESHOLD))
    if not ok:
        log.debug("mallopt refused the thresholds")
    return ok


def settle_startup_objects() -> None:
    """Move everything built so far (the window, the session, the restored jobs) out of the
    cyclic collector's reach: they live as long as the studio, and a full collection walking
    them on the GUI thread stalls it 35-50 ms (benchmarks/ui_stall.py, benchmarks/history.py).
    Call once, after the first frame is painted."""
    gc.collect()
    gc.freeze()
