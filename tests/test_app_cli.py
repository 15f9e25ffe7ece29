"""The command line: the connection plan, `lint` delegation without Qt, --screenshot and the
no-display start (both in real subprocesses)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from PIL import Image

from studio.app import choose_plan
from studio.session.settings import ApiKey, Settings

ROOT = Path(__file__).resolve().parent.parent


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM", "LEGNEXT_API_KEY")}
    env.update(HOME=str(tmp_path / "home"), XDG_CONFIG_HOME=str(tmp_path / "config"),
               XDG_DATA_HOME=str(tmp_path / "data"), XDG_CACHE_HOME=str(tmp_path / "cache"))
    env.update(extra)
    return env


def _studio(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "studio", *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def _looks_like_the_studio(path: Path) -> None:
    image = Image.open(path).convert("RGB")
    assert image.width >= 800 and image.height >= 500
    # a rendered window with a grid of images, not a blank frame: many distinct colours
    colours = image.resize((200, 125)).getcolors(maxcolors=200 * 125)
    assert colours is not None and len(colours) > 300


def test_plan_prefers_offline_then_base_url_then_key(tmp_path):
    settings = Settings(tmp_path / "s.ini")
    no_key = ApiKey(None, "none")
    key = ApiKey("k", "keyring")
    assert choose_plan(offline=False, base_url=None, settings=settings, api_key=no_key).sandbox
    assert "no API key" in choose_plan(offline=False, base_url=None, settings=settings, api_key=no_key).reason
    real = choose_plan(offline=False, base_url=None, settings=settings, api_key=key)
    assert (real.sandbox, real.base_url, real.key) == (False, "https://api.legnext.ai/api", "k")
    assert choose_plan(offline=True, base_url="http://x/api", settings=settings, api_key=key).sandbox
    other = choose_plan(offline=False, base_url="http://127.0.0.1:9/api/", settings=settings, api_key=key)
    assert (other.sandbox, other.base_url) == (False, "http://127.0.0.1:9/api")
    settings.use_sandbox = True
    assert choose_plan(offline=False, base_url=None, settings=settings, api_key=key).sandbox


def test_lint_is_delegated_and_never_loads_qt(tmp_path):
    code = (
        "import sys\n"
        "from studio.__main__ import main\n"
        "rc = main(['lint', 'castle --v 8.1 --q 2', '--json'])\n"
        "print('QT-LOADED' if any(m.startswith(('PySide6', 'qasync')) for m in sys.modules) else 'NO-QT')\n"
        "sys.exit(rc)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], env=_env(tmp_path), cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1, proc.stderr  # the prompt has an error
    lines = proc.stdout.strip().splitlines()
    assert lines[-1] == "NO-QT"
    result = json.loads(lines[0])
    assert result["model"] == "8.1"
    assert any(d["severity"] == "error" for d in result["diagnostics"])

    ok = _studio(["lint", "castle on a cliff --ar 16:9"], _env(tmp_path), ROOT)
    assert ok.returncode == 0, ok.stdout + ok.stderr


def test_screenshot_renders_a_demo_grid_and_exits_zero(tmp_path):
    out = tmp_path / "shots" / "studio.png"
    proc = _studio(["--screenshot", str(out)], _env(tmp_path), tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert out.is_file()
    assert str(out) in proc.stdout
    _looks_like_the_studio(out)


def test_no_display_renders_the_demo_to_the_current_folder(tmp_path):
    env = _env(tmp_path)
    if not sys.platform.startswith("linux"):
        return  # the no-display rule is about X11/Wayland
    proc = _studio([], env, tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    demo = tmp_path / "legnext-studio-demo.png"
    assert demo.is_file()
    assert "no display" in proc.stdout.lower()
    assert str(demo) in proc.stdout
    _looks_like_the_studio(demo)
