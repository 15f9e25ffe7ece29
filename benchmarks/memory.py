"""Memory while an artist views job after job: resident size of the whole studio after viewing
1,000 completed 2048×2048 diffusion jobs, one after another, in the window's grid.

The real Studio (window, session, store, archive in a fresh data folder) is connected to a
sandbox in a child process: it stands for the remote server, so its own memory and its image
painting are not counted as the studio's. Each job is submitted, watched, downloaded (four
2048² PNGs through real sockets), verified and archived with thumbnails, then shown in the
grid until all four images are painted; two jobs are in flight at a time. Resident memory
(VmRSS) is read every 100 jobs. The floor is the studio's own size after its first job was
viewed (everything loaded, nothing accumulated).

Rendering 2048² images is the server's cost, not the studio's: the child renders the first two
jobs for real and serves their files again for the later ones (each job keeps its own URLs, so
the studio downloads, archives and decodes every one of them).

Run: .venv/bin/python benchmarks/memory.py [JOBS]   (1,000 by default: about 10 min).
Ends with one JSON line per figure.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from benchmarks.support.child_sandbox import start_sandbox, stop_sandbox  # noqa: E402

KEY = "bench-key"
SIZE = 2048
JOBS = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
IN_FLIGHT = 2
STEP = int(os.environ.get("MEMORY_STEP", "100"))  # jobs between two readings
TARGET_MB = 400

_SERVER = f"""
import os, sys, zlib
os.nice(10)
from studio.sandbox import SandboxServer
from studio.sandbox.render import Renderer

real_png = Renderer.png
first = []

def png(self, job_id, which):
    # The first two jobs are rendered for real; later jobs serve their files again.
    if job_id not in first and len(first) < 2:
        first.append(job_id)
    source = job_id if job_id in first else first[zlib.crc32(job_id.encode()) % len(first)]
    return real_png(self, source, which)

Renderer.png = png
server = SandboxServer(keys=[{KEY!r}], speed=200.0, image_size_cap={SIZE},
                       balance=10_000_000)
server.start()
print(server.base_url, flush=True)
sys.stdin.read()
server.stop()
"""


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0



def main() -> int:
    home = tempfile.mkdtemp(prefix="legnext-memory-")
    os.environ["LEGNEXT_STUDIO_HOME"] = home  # a fresh store and archive, never the user's

    import qasync
    from PySide6.QtWidgets import QApplication

    from studio.app import Studio
    from studio.memory import keep_heap_small
    from studio.session.settings import KeyStore, Settings

    keep_heap_small()  # as studio.app.run() does
    proc, base_url = start_sandbox(_SERVER)
    app = QApplication.instance() or QApplication(sys.argv)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)

    keys = KeyStore()
    keys.set_session_key(KEY)
    settings = Settings(path=Path(home) / "settings.ini")
    studio = Studio(base_url=base_url, keys=keys, settings=settings, poll_time_scale=1 / 200)
    window = studio.build_window()
    window.resize(1440, 900)
    window.show()

    painted: set[tuple[str, int]] = set()
    samples: list[tuple[int, float]] = []

    async def view(entry) -> None:
        """Show a finished job and wait until its four images are on screen."""
        window.pick_job(entry.key)  # as a click on its queue row: the grid stays on it
        while not all((entry.key, i) in painted for i in range(len(entry.image_urls))):
            await asyncio.sleep(0.01)

    async def run() -> float:
        await studio.connect()
        window.grid.image_shown.connect(lambda key, index: painted.add((key, index)))
        t0 = time.perf_counter()
        viewed = 0
        pending: list = []
        submitted = 0
        floor = 0.0
        while viewed < JOBS:
            while submitted < JOBS and len(pending) < IN_FLIGHT:
                prompt = f"memory benchmark {submitted}, a lighthouse in fog --v 8 --hd --ar 1:1"
                pending.append(studio.jobs.submit("diffusion", text=prompt, prompt=prompt))
                submitted += 1
            done = next((e for e in pending if e.finished), None)
            if done is None:
                await asyncio.sleep(0.01)
                continue
            pending.remove(done)
            if not done.ok:
                raise SystemExit(f"job failed: {done.error}")
            await view(done)
            viewed += 1
            if viewed == 1:
                floor = rss_mb()
                samples.append((1, floor))
            elif viewed % STEP == 0 or viewed == JOBS:
                samples.append((viewed, rss_mb()))
                print(f"# {viewed} jobs viewed, {samples[-1][1]:.0f} MB resident", file=sys.stderr, flush=True)
                if os.environ.get("MEMORY_DEBUG"):
                    from studio.ui.grid.loader import shared_loader
                    cache = shared_loader()._cache
                    print(f"#   decode cache {cache._bytes / 2**20:.0f} MB in {len(cache)}", file=sys.stderr, flush=True)
        return time.perf_counter() - t0

    try:
        with loop:
            elapsed = loop.run_until_complete(run())
            loop.run_until_complete(studio.aclose())
    finally:
        stop_sandbox(proc)

    floor = samples[0][1]
    last = samples[-1][1]
    after_100 = next((mb for n, mb in samples if n >= 100), last)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures = [
        {"metric": "rss_after_jobs", "value": round(last), "unit": "MB", "target": f"< {TARGET_MB}",
         "jobs": JOBS, "floor": round(floor)},
        {"metric": "rss_growth_after_first_100", "value": round(last - after_100), "unit": "MB",
         "target": "<= 25 (flat)"},
        {"metric": "rss_peak", "value": round(peak), "unit": "MB", "target": "-"},  # transient: decodes in flight
        {"metric": "rss_over_floor", "value": round(last / floor, 2), "unit": "x", "target": "<= 1.5",
         "peer": "the studio after its first job"},
        {"metric": "seconds_per_job", "value": round(elapsed / JOBS, 2), "unit": "s", "target": "-"},
        {"metric": "rss_samples", "value": [[n, round(mb)] for n, mb in samples], "unit": "MB", "target": "-"},
    ]
    for figure in figures:
        print(json.dumps(figure), flush=True)
    return 0 if last < TARGET_MB and last - after_100 <= 25 else 1


if __name__ == "__main__":
    raise SystemExit(main())
