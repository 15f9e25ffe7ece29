"""Start-up time: process start → main window on screen, the studio against a bare PySide6 window.

Each run is a fresh process. The parent notes the wall-clock time just before starting it; the
child prints the wall-clock time at which its window's first full frame is painted (children
included: the stamp is taken after the paint pass the window's first Paint opens, either when
`processEvents()` after `show()` returns or at a zero timer posted from that Paint, whichever
comes first), and the CPU time it used until then (the studio does this when
LEGNEXT_STUDIO_STARTUP_PROBE is set), and exits. The bare window is stamped the same way. Medians
over several runs and their ratio (the headline figure), plus the CPU-time ratio and the
best-of-runs ratio, which a busy machine disturbs less. Target: the studio within 2.5× of the
bare window.

Runs offscreen unless a display is available and LEGNEXT_BENCH_ONSCREEN=1.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = int(os.environ.get("LEGNEXT_BENCH_RUNS", "7"))

BARE = r"""
import sys, time
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv[:1])
w = QMainWindow()
w.setWindowTitle("bare")
w.resize(1440, 900)
class Probe(QObject):
    painted = False
    reported = False
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and not self.painted:
            self.painted = True
            QTimer.singleShot(0, self.report)
        return False
    def report(self):
        if not self.painted or self.reported:
            return
        self.reported = True
        print(f"window-shown {time.time():.6f} {time.process_time():.6f}", flush=True)
        QTimer.singleShot(0, app.quit)
probe = Probe()
w.installEventFilter(probe)
w.show()
app.processEvents()
probe.report()
app.exec()
"""


def _env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    if not os.environ.get("LEGNEXT_BENCH_ONSCREEN"):
        env["QT_QPA_PLATFORM"] = "offscreen"
    env.pop("LEGNEXT_API_KEY", None)  # always the sandbox path: no network in a benchmark
    env["HOME"] = str(home)
    env["XDG_CONFIG_HOME"] = str(home / "config")
    env["XDG_DATA_HOME"] = str(home / "data")
    env["XDG_CACHE_HOME"] = str(home / "cache")
    env["LEGNEXT_STUDIO_STARTUP_PROBE"] = "1"
    # Measure an installed app, which has its bytecode cached: with PYTHONDONTWRITEBYTECODE set
    # (as on CI boxes) every run would recompile the studio's sources (~0.2 s) while the bare
    # window, importing only compiled Qt, pays nothing. The warm-up run fills a private cache.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(home / "pycache")
    return env


def _time_one(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds from spawn to first paint, CPU seconds the child used until then)."""
    start = time.time()
    proc = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    for line in proc.stdout.splitlines():
        if line.startswith("window-shown "):
            _, wall, cpu = line.split()
            return float(wall) - start, float(cpu)
    raise RuntimeError(f"{cmd[-1]!r} printed no window-shown line (exit {proc.returncode}):\n"
                       f"{proc.stdout}\n{proc.stderr}")


def main() -> int:
    py = sys.executable
    with tempfile.TemporaryDirectory(prefix="legnext-startup-") as tmp:
        env = _env(Path(tmp))
        bare_cmd = [py, "-c", BARE]
        studio_cmd = [py, "-m", "studio"]
        # One warm-up each so both read their files from the OS cache alike.
        _time_one(bare_cmd, env)
        _time_one(studio_cmd, env)
        bare_runs, studio_runs = [], []
        for _ in range(RUNS):  # interleaved, so drifts in machine load hit both alike
            bare_runs.append(_time_one(bare_cmd, env))
            studio_runs.append(_time_one(studio_cmd, env))
    bare = [wall for wall, _ in bare_runs]
    studio = [wall for wall, _ in studio_runs]
    bare_ms = statistics.median(bare) * 1000
    studio_ms = statistics.median(studio) * 1000
    bare_cpu = statistics.median(cpu for _, cpu in bare_runs) * 1000
    studio_cpu = statistics.median(cpu for _, cpu in studio_runs) * 1000
    print(json.dumps({"metric": "startup_bare_window_ms", "value": round(bare_ms, 1), "unit": "ms",
                      "runs": RUNS, "peer": "bare PySide6 QMainWindow"}))
    print(json.dumps({"metric": "startup_studio_window_ms", "value": round(studio_ms, 1), "unit": "ms",
                      "runs": RUNS}))
    print(json.dumps({"metric": "startup_ratio", "value": round(studio_ms / bare_ms, 2), "unit": "x",
                      "target": "<= 2.5", "peer": "bare PySide6 QMainWindow"}))
    # CPU time each process spent until its first paint: hardly moved by other load on the box.
    print(json.dumps({"metric": "startup_cpu_ratio", "value": round(studio_cpu / bare_cpu, 2), "unit": "x",
                      "target": "<= 2.5", "peer": "bare PySide6 QMainWindow",
                      "studio_ms": round(studio_cpu, 1), "bare_ms": round(bare_cpu, 1)}))
    # Best-of-runs: on a busy machine the medians carry other processes' noise; minima show
    # what each start costs when it gets the CPU.
    print(json.dumps({"metric": "startup_ratio_best", "value": round(min(studio) / min(bare), 2), "unit": "x",
                      "target": "<= 2.5", "peer": "bare PySide6 QMainWindow"}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
