"""Run one hostile case in a process of its own and report what happened and the peak memory.

    python tests/hostile_probe.py BASE_URL CASE [WORKDIR]

Prints one JSON object: the error class and message (if any), the peak resident size
(`ru_maxrss`, KiB) before and after the case, and what the case measured. The hostile server
runs in the test's own process, so the figures are the client's alone (test_hardening_memory).
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from studio.api import LegnextClient, RetryPolicy  # noqa: E402
from studio.limits import BodyLimit, Limits  # noqa: E402
from studio.memory import keep_heap_small  # noqa: E402

JOB_ID = "0f1e2d3c-0000-4000-8000-0000000000aa"


def peak_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


async def run(base: str, case: str, workdir: Path) -> dict:
    origin = base.rsplit("/api", 1)[0]
    report: dict = {}
    client = LegnextClient("sk-probe-1234", base, retry=RetryPolicy(max_attempts=2, base_delay=0.01, jitter=0))
    async with client:
        if case in ("get", "post", "balance"):
            call = {"get": lambda: client.get_job(JOB_ID), "post": lambda: client.diffusion("a fox"),
                    "balance": client.balance}[case]
            await call()
        elif case == "stream-file":
            from studio.store.archive import Archive

            archive = Archive(workdir / "archive")
            limited = LegnextClient("sk-probe-1234", base,
                                    limits=Limits(image=BodyLimit("image", 256 << 20, deadline=120.0)))
            async with limited:
                await limited.download_into(
                    f"{origin}/files/a.png",
                    lambda chunks: archive.store("ab" + "0" * 30, "image", 0, chunks, max_bytes=1 << 40))
        elif case == "decode-four":
            from studio.store import images
            from studio.ui.grid.loader import DEFAULT_CACHE_BYTES, ImageLoader

            datas = await asyncio.gather(*(client.download(f"{origin}/files/{n}.png") for n in range(4)))
            report["file_bytes"] = [len(d) for d in datas]
            report["before_decode_kb"] = peak_kb()
            loader = ImageLoader(workers=4)  # as many at once as the grid shows
            results = await asyncio.gather(*(loader.load(n, data, 800, 800) for n, data in enumerate(datas)),
                                           return_exceptions=True)
            report["decoded"] = [None if isinstance(r, BaseException) else list(r[0].pixels.size) for r in results]
            report["image_size"] = [None if isinstance(r, BaseException) else list(r[0].size) for r in results]
            report["errors"] = [type(r).__name__ for r in results if isinstance(r, BaseException)]
            report["cache_bytes"] = loader._cache.nbytes
            report["cache_budget"] = DEFAULT_CACHE_BYTES
            report["decode_peak_bytes"] = images.DECODES.peak
            loader.shutdown()
        else:
            raise SystemExit(f"unknown case {case!r}")
    return report


def main() -> None:
    base, case = sys.argv[1], sys.argv[2]
    workdir = Path(sys.argv[3]) if len(sys.argv) > 3 else Path.cwd()
    keep_heap_small()
    out: dict = {"case": case, "baseline_kb": peak_kb()}
    try:
        out.update(asyncio.run(run(base, case, workdir)))
        out["error"] = None
    except Exception as exc:  # the point: which error, and that it was one, not a crash
        out["error"] = type(exc).__name__
        out["message"] = str(exc)
        out["may_have_run"] = getattr(exc, "may_have_run", None)
    out["peak_kb"] = peak_kb()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
