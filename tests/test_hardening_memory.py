"""Memory stays bounded whatever the server sends, measured: each hostile case runs in a process
of its own (tests/hostile_probe.py) whose peak resident size (ru_maxrss) is compared with what
it was before the case. Before these bounds, a 1 MB gzip bomb on a job GET took ~15 s and 3 GB
before a MemoryError, and four 12,000² PNGs decoded at once peaked at 2.5 GB."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from hostile import HostileServer, black_png

PROBE = Path(__file__).resolve().parent / "hostile_probe.py"
MB = 1024  # ru_maxrss is in KiB


@pytest.fixture
def hostile():
    with HostileServer() as server:
        yield server


def probe(server: HostileServer, case: str, workdir: Path) -> dict:
    done = subprocess.run([sys.executable, str(PROBE), server.base_url, case, str(workdir)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("route, case, error", [
    ("job", "gzip-bomb", "ResponseTooLargeError"),
    ("post", "gzip-bomb", "ResponseTooLargeError"),
    ("job", "huge-json", "ResponseTooLargeError"),
    ("balance", "huge-json", "ResponseTooLargeError"),
])
def test_hostile_answers_leave_the_memory_where_it_was(hostile, tmp_path, route, case, error):
    hostile.cases[route] = case
    hostile.jobs["0f1e2d3c-0000-4000-8000-0000000000aa"] = {"op": "diffusion", "created": 0}
    out = probe(hostile, {"job": "get"}.get(route, route), tmp_path)
    assert out["error"] == error, out
    assert out["may_have_run"] == (route == "post")
    grew = (out["peak_kb"] - out["baseline_kb"]) / MB
    assert grew < 48, f"{case} on {route}: the peak grew by {grew:.0f} MB"


def test_a_file_streams_to_disk_past_any_memory_it_holds(hostile, tmp_path):
    hostile.cases["file"] = "huge-file"  # endless; the probe's limit is 256 MiB
    out = probe(hostile, "stream-file", tmp_path)
    assert out["error"] == "ResponseTooLargeError" and "256 MB" in out["message"]
    grew = (out["peak_kb"] - out["baseline_kb"]) / MB
    assert grew < 48, f"256 MB went through the archive with the peak {grew:.0f} MB higher"
    assert not [p for p in (tmp_path / "archive").rglob("*") if p.is_file()]  # the part file is gone


def test_four_huge_images_decoded_at_once_stay_within_one_decode(hostile, tmp_path):
    black_png(12_000, 12_000)  # made before the clock of the probe starts
    hostile.cases["file"] = "big-png"
    out = probe(hostile, "decode-four", tmp_path)
    assert out["error"] is None and out["errors"] == [], out
    assert out["image_size"] == [[12_000, 12_000]] * 4
    assert all(max(size) <= 4096 for size in out["decoded"])  # reduced for display
    assert out["cache_bytes"] <= out["cache_budget"]  # every byte counted, never above it
    # One 12,000² decode holds 576 MB (Pillow keeps RGB in 4 bytes) plus its reduced copy; the
    # budget lets no other start beside it. Unbounded, four at once were 2.5 GB.
    one_decode = 12_000 * 12_000 * 4
    assert out["decode_peak_bytes"] <= one_decode * 1.2
    grew = (out["peak_kb"] - out["before_decode_kb"]) / MB
    assert grew < 900, f"four 12,000² images decoded at once raised the peak by {grew:.0f} MB"


def test_a_pixel_bomb_is_refused_without_the_memory_it_asks_for(hostile, tmp_path):
    hostile.cases["file"] = "pixel-bomb"
    out = probe(hostile, "decode-four", tmp_path)
    assert out["errors"] == ["ImageDecodeError"] * 4
    grew = (out["peak_kb"] - out["before_decode_kb"]) / MB
    assert grew < 64 and out["decode_peak_bytes"] == 0
