"""A sandbox in a child process, standing for the remote server: its own memory and its image
painting are not counted as the studio's (in-process it would share the GIL and the heap)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def start_sandbox(script: str) -> tuple[subprocess.Popen[str], str]:
    """Run `script` (which starts a SandboxServer, prints its base URL, then serves until its
    stdin closes) in a child; returns the process and the URL."""
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.stdout is not None
    base_url = proc.stdout.readline().strip()
    if not base_url.startswith("http"):
        proc.kill()
        raise SystemExit(f"sandbox did not start: {base_url!r}")
    return proc, base_url


def stop_sandbox(proc: subprocess.Popen[str]) -> None:
    assert proc.stdin is not None
    proc.stdin.close()
    proc.wait(timeout=10)
