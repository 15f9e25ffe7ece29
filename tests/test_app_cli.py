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


def _store_a_job_with_files(tmp_path: Path) -> tuple[object, list[bytes]]:
    """A completed job in the store the CLI reads (the same XDG folders as `_env`), with its
    four images archived (one of them a JPEG)."""
    import io

    from studio import paths
    from studio.store.archive import Archive
    from studio.store.db import JobStore
    from studio.store.records import JobRecord, Output, Status

    assert paths.data_dir() == Path(_env(tmp_path)["XDG_DATA_HOME"]) / "legnext-studio"
    record = JobRecord(op="diffusion", prompt="A red fox in the snow --ar 3:2 --v 7", model="7",
                       status=Status.COMPLETED, job_id="5f1c2e3d-1111-2222-3333-444455556666",
                       task_type="diffusion", seed="98765", backend="https://api.legnext.ai/api",
                       request={"text": "A red fox in the snow --ar 3:2 --v 7"})
    archive = Archive(paths.archive_dir())
    datas = []
    for index in range(4):
        fmt, ext = ("JPEG", "jpg") if index == 3 else ("PNG", "png")
        out = io.BytesIO()
        Image.new("RGB", (40, 30), (index * 60, 100, 200)).save(out, fmt)
        path = archive.path_for(record.key, "image", index, ext)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(out.getvalue())
        datas.append(out.getvalue())
        record.outputs.append(Output(kind="image", index=index, url=f"https://cdn/x/{index}",
                                     path=archive.relative(path)))
    with JobStore.open(paths.store_path()) as store:
        store.put(record)
    return record, datas


def test_export_writes_the_archived_files_with_their_prompt(tmp_path):
    from studio.store.exports import read_export

    record, datas = _store_a_job_with_files(tmp_path)
    out = tmp_path / "exports" / "new"  # made on demand
    proc = _studio(["export", record.job_id, str(out)], _env(tmp_path), ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    printed = [Path(line) for line in proc.stdout.splitlines()]
    stem = "a-red-fox-in-the-snow_5f1c2e3d"
    assert [p.name for p in printed] == [f"{stem}_1.png", f"{stem}_2.png", f"{stem}_3.png",
                                         f"{stem}_4.jpg", f"{stem}_4.jpg.json"]
    assert all(p.is_file() for p in printed)
    for n, path in enumerate(p for p in printed if p.suffix != ".json"):
        meta = read_export(path)
        assert meta is not None
        assert (meta.prompt, meta.job_id, meta.model, meta.seed, meta.image_index) == (
            record.prompt, record.job_id, "7", "98765", n)
    assert printed[3].read_bytes() == datas[3]  # a JPEG is copied unchanged

    proc = _studio(["export", record.key, str(out), "--image", "2", "--json"], _env(tmp_path), ROOT)
    assert proc.returncode == 0, proc.stderr
    [line] = [json.loads(text) for text in proc.stdout.splitlines()]
    assert line == {"path": str(out / f"{stem}_2-2.png"), "sidecar": None, "job_id": record.job_id,
                    "key": record.key, "image": 2}


def test_export_refuses_an_unknown_job_a_missing_image_and_a_file_as_folder(tmp_path):
    record, _ = _store_a_job_with_files(tmp_path)
    env = _env(tmp_path)
    unknown = _studio(["export", "no-such-job", str(tmp_path / "out")], env, ROOT)
    assert unknown.returncode == 1 and "no job 'no-such-job'" in unknown.stderr
    assert not (tmp_path / "out").exists()
    missing = _studio(["export", record.job_id, str(tmp_path / "out"), "--image", "7"], env, ROOT)
    assert missing.returncode == 1 and "no archived file" in missing.stderr
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    not_a_folder = _studio(["export", record.job_id, str(a_file)], env, ROOT)
    assert not_a_folder.returncode == 1 and "is not a folder" in not_a_folder.stderr
    usage = _studio(["export", record.job_id], env, ROOT)
    assert usage.returncode == 2
