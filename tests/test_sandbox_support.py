"""Helpers shared by the sandbox tests (plain httpx over real loopback sockets).

Jobs are finished by moving the sandbox clock (`sandbox.finish_all()`), never by sleeping.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import httpx
from PIL import Image

KEY = "test-key"
HEADERS = {"x-api-key": KEY}
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "vendor"


# Loopback HTTP only: skipping TLS set-up makes each client ~50 ms cheaper to create, and one
# shared client serves the one-off requests (media downloads, wrong keys) of every test.
http = httpx.Client(timeout=10.0, verify=False)


def client(sandbox: Any) -> httpx.Client:
    return httpx.Client(base_url=sandbox.base_url, headers=HEADERS, timeout=10.0, verify=False)


def fetch(url: str) -> httpx.Response:
    """GET a sandbox media URL (no key needed, like a public CDN)."""
    return http.get(url)


def submit(api: httpx.Client, endpoint: str, body: dict[str, Any]) -> dict[str, Any]:
    response = api.post(f"/v1/{endpoint}", json=body)
    assert response.status_code == 200, (endpoint, response.status_code, response.text)
    return response.json()


def refused(api: httpx.Client, endpoint: str, body: Any, status: int = 400) -> dict[str, Any]:
    response = api.post(f"/v1/{endpoint}", json=body)
    assert response.status_code == status, (endpoint, body, response.status_code, response.text)
    payload = response.json()
    assert set(payload) == {"code", "message", "raw_message", "detail"}
    assert payload["code"] == status
    return payload


def finished(sandbox: Any, api: httpx.Client, job_id: str) -> dict[str, Any]:
    sandbox.finish_all()
    job = api.get(f"/v1/job/{job_id}").json()
    assert job["status"] == "completed", job
    return job


def run(sandbox: Any, api: httpx.Client, endpoint: str, body: dict[str, Any]) -> dict[str, Any]:
    """Submit and return the completed job."""
    return finished(sandbox, api, submit(api, endpoint, body)["job_id"])


def image(url: str) -> Image.Image:
    response = fetch(url)
    assert response.status_code == 200, (url, response.status_code)
    # PNG, or a Topaz result in its output_format: the URL's ending says which.
    media = {"png": "image/png", "jpg": "image/jpeg", "tiff": "image/tiff"}[url.rsplit(".", 1)[1]]
    assert response.headers["content-type"] == media
    return Image.open(io.BytesIO(response.content)).convert("RGB")


def same_pixels(a: Image.Image, b: Image.Image) -> bool:
    return a.size == b.size and a.tobytes() == b.tobytes()
