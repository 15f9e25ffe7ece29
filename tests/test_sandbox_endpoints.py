"""Every documented endpoint answers with the documented Job shape and completes."""

from __future__ import annotations

import json
from typing import Any, Callable

import httpx
import pytest
from test_sandbox_support import FIXTURES, client, finished, http, image, run, submit

IMAGE_URL = "https://example.com/photo.png"
MASK = {"areas": [{"width": 1000, "height": 1000, "points": [100, 100, 600, 100, 600, 600, 100, 600]}]}


class Parents:
    """Finished parent jobs, made on first use."""

    def __init__(self, sandbox: Any, api: httpx.Client) -> None:
        self.sandbox, self.api = sandbox, api
        self._cache: dict[str, dict] = {}

    def _get(self, name: str, make: Callable[[], dict]) -> str:
        if name not in self._cache:
            self._cache[name] = make()
        return self._cache[name]["job_id"]

    @property
    def grid(self) -> str:
        return self._get("grid", lambda: run(self.sandbox, self.api, "diffusion", {"text": "a quiet lake"}))

    @property
    def draft(self) -> str:
        return self._get("draft", lambda: run(self.sandbox, self.api, "diffusion", {"text": "a fox --v 7 --draft"}))

    @property
    def video(self) -> str:
        return self._get("video", lambda: run(self.sandbox, self.api, "video-diffusion", {"prompt": f"{IMAGE_URL} waves"}))


# endpoint -> (body builder, expected task_type, expected output kind)
CASES: dict[str, tuple[Callable[[Parents], dict], str, str]] = {
    "diffusion": (lambda p: {"text": "a red bicycle --ar 3:2"}, "diffusion", "grid"),
    "variation": (lambda p: {"jobId": p.grid, "imageNo": 1, "type": 1}, "variation", "grid"),
    "upscale": (lambda p: {"jobId": p.grid, "imageNo": 2, "type": 0}, "upscale", "single"),
    "reroll": (lambda p: {"jobId": p.grid}, "reroll", "grid"),
    "blend": (lambda p: {"imgUrls": [IMAGE_URL, "https://example.com/b.jpg"], "aspect_ratio": "3:2"}, "blend", "grid"),
    "describe": (lambda p: {"imgUrl": IMAGE_URL}, "describe", "text"),
    "shorten": (lambda p: {"prompt": "a very beautiful and highly detailed castle on a hill --ar 16:9"}, "shorten", "text"),
    "pan": (lambda p: {"jobId": p.grid, "imageNo": 0, "direction": 1, "scale": 1.5}, "pan", "grid"),
    "outpaint": (lambda p: {"jobId": p.grid, "imageNo": 3, "scale": 1.3, "remixPrompt": "forest"}, "outpaint", "grid"),
    "inpaint": (lambda p: {"jobId": p.grid, "imageNo": 0, "mask": MASK, "remixPrompt": "a boat"}, "inpaint", "grid"),
    "remix": (lambda p: {"jobId": p.grid, "imageNo": 0, "remixPrompt": "at night", "mode": 1}, "remix", "grid"),
    "edit": (lambda p: {"jobId": p.grid, "imageNo": 0, "canvas": {"width": 1024, "height": 1024},
                        "imgPos": {"width": 512, "height": 512, "x": 256, "y": 256}, "remixPrompt": "sunset"},
             "edit", "grid"),
    "upload-paint": (lambda p: {"imgUrl": IMAGE_URL, "canvas": {"width": 1024, "height": 1024},
                                "imgPos": {"width": 768, "height": 768, "x": 128, "y": 128},
                                "remixPrompt": "magic", "mask": {"url": "https://example.com/mask.png"}},
                     "upload_paint", "grid"),
    "retexture": (lambda p: {"imgUrl": IMAGE_URL, "remixPrompt": "marble"}, "retexture", "grid"),
    "remove-background": (lambda p: {"imgUrl": IMAGE_URL}, "remove_background", "single"),
    "enhance": (lambda p: {"jobId": p.draft, "imageNo": 2}, "enhance", "single"),
    "video-diffusion": (lambda p: {"jobId": p.grid, "imageNo": 1, "videoType": 1}, "video_diffusion", "video"),
    "extend-video": (lambda p: {"jobId": p.video, "videoNo": 0, "prompt": "keep going"}, "extend_video", "video"),
    "video-upscale": (lambda p: {"jobId": p.video, "videoNo": 3}, "video_upscale", "video"),
    "enhance-upscale": (lambda p: {"image_url": IMAGE_URL, "target_resolution": "8K"}, "enhance_upscale", "single"),
}


def _shape(value: Any) -> Any:
    """Keys (recursively) of the objects in a JSON document."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    return None


def test_all_twenty_documented_endpoints_are_covered():
    assert len(CASES) == 20


@pytest.mark.parametrize("endpoint", sorted(CASES))
def test_endpoint_pending_answer_matches_the_vendor_sample(sandbox, endpoint):
    build, task_type, _ = CASES[endpoint]
    with client(sandbox) as api:
        body = build(Parents(sandbox, api))
        job = submit(api, endpoint, body)
    sample = json.loads((FIXTURES / f"{endpoint}.response.json").read_text())
    assert job["task_type"] == sample["task_type"] == task_type
    assert job["status"] == "pending"
    assert job["model"] == "midjourney"
    assert job["meta"]["usage"]["frozen"] == sample["meta"]["usage"]["frozen"]
    assert job["meta"]["usage"]["consume"] == 0
    shape, expected = _shape(job), _shape(sample)
    shape.pop("progress")  # the sandbox adds progress; everything else is the sample's shape
    assert shape == expected


@pytest.mark.parametrize("endpoint", sorted(CASES))
def test_endpoint_job_completes_with_its_outputs(sandbox, endpoint):
    build, task_type, kind = CASES[endpoint]
    with client(sandbox) as api:
        job = run(sandbox, api, endpoint, build(Parents(sandbox, api)))
    out = job["output"]
    assert job["meta"]["usage"]["consume"] == job["meta"]["usage"]["frozen"] > 0
    assert job["meta"]["ended_at"] >= job["meta"]["started_at"] >= job["meta"]["created_at"]
    assert job["error"]["code"] == 0
    if kind == "text":
        assert out["promptEn"] and out["description"] and out["finalPrompt"]
        assert len(out["prompts"]) == 4 and all(isinstance(p, str) and p for p in out["prompts"])
    elif kind == "video":
        assert out["video_urls"] and all(u.startswith(sandbox.origin + "/cdn/video/") for u in out["video_urls"])
        response = http.get(out["video_urls"][0])
        assert response.status_code == 200 and response.headers["content-type"] == "video/mp4"
        assert response.content[4:8] == b"ftyp"
    else:
        urls = out["image_urls"]
        assert len(urls) == (4 if kind == "grid" else 1)
        assert out["image_url"].startswith(sandbox.origin + "/cdn/mj/")
        assert image(urls[-1]).size[0] > 0
        if kind == "grid":
            assert out["image_url"].endswith("_grid.png")
        else:
            assert out["image_url"] == urls[0]


def test_get_task_of_a_completed_diffusion_matches_job_completed_sample(sandbox):
    sample = json.loads((FIXTURES / "job.completed.json").read_text())
    with client(sandbox) as api:
        job = run(sandbox, api, "diffusion", {"text": "a lighthouse --v 7"})
    assert job["output"]["available_actions"] == sample["output"]["available_actions"]
    shape = _shape(job)
    shape.pop("progress")
    assert shape == _shape(sample)
    assert job["output"]["seed"].isdigit()


def test_describe_and_shorten_text_outputs(sandbox):
    with client(sandbox) as api:
        grid = run(sandbox, api, "diffusion", {"text": "dunes --ar 16:9"})
        described = run(sandbox, api, "describe", {"imgUrl": grid["output"]["image_urls"][0]})
        short = run(sandbox, api, "shorten", {"prompt": "a very beautiful castle with the moon --ar 2:3"})
    # Describing a sandbox image reads that image: its aspect ratio comes back in the prompts.
    assert all("--ar 16:9" in p for p in described["output"]["prompts"])
    prompts = short["output"]["prompts"]
    assert prompts[0] == short["output"]["finalPrompt"] == "castle moon --ar 2:3"
    assert all(p.endswith("--ar 2:3") for p in prompts)
    assert "very" not in prompts[0] and "beautiful" not in prompts[0]


def test_video_batch_size_sets_the_number_of_videos(sandbox):
    with client(sandbox) as api:
        job = run(sandbox, api, "video-diffusion", {"prompt": f"{IMAGE_URL} a river --bs 2"})
    assert len(job["output"]["video_urls"]) == 2
    assert job["output"]["available_actions"] == {"extend_video": [0, 1], "video_upscale": [0, 1]}
    assert job["meta"]["usage"]["frozen"] == 240


def test_progress_rises_while_processing(sandbox_slow):
    sandbox = sandbox_slow
    with client(sandbox) as api:
        job_id = submit(api, "diffusion", {"text": "a kite"})["job_id"]
        phases = sandbox.state.jobs[job_id].phases
        sandbox.clock.advance(phases.pending + phases.staged + phases.processing * 0.25)
        first = api.get(f"/v1/job/{job_id}").json()
        sandbox.clock.advance(phases.processing * 0.5)
        second = api.get(f"/v1/job/{job_id}").json()
        done = finished(sandbox, api, job_id)
    assert first["status"] == second["status"] == "processing"
    assert 0 < first["progress"] < second["progress"] < 100
    assert done["progress"] == 100
    assert first["output"]["image_urls"] is None and first["meta"]["started_at"] != "0001-01-01T00:00:00Z"


@pytest.fixture
def sandbox_slow():
    from studio.sandbox import SandboxServer

    with SandboxServer(keys=["test-key"], speed=1.0, image_size_cap=128) as server:
        yield server
