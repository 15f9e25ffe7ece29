"""The sandbox as a server: start/stop, keys, routing, request records, the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from test_sandbox_support import client, http, submit

from studio.sandbox import Received, SandboxServer
from studio.sandbox.__main__ import parse_args
from studio.sandbox.clock import SandboxClock
from studio.sandbox.state import DEFAULT_MAX_REQUESTS, SandboxState

ROOT = Path(__file__).resolve().parents[1]
ERROR_401 = {"code": 401, "message": "Failed to verify api key", "raw_message": "", "detail": None}


def test_start_gives_a_free_loopback_port_and_stop_frees_it():
    started = time.perf_counter()
    server = SandboxServer(keys=["k"]).start()
    startup = time.perf_counter() - started
    try:
        assert server.base_url.startswith("http://127.0.0.1:") and server.base_url.endswith("/api")
        assert server.port and server.port > 0
        response = http.get(server.base_url + "/account/balance", headers={"x-api-key": "k"})
        assert response.status_code == 200
    finally:
        started = time.perf_counter()
        server.stop()
        shutdown = time.perf_counter() - started
    assert startup < 1.0 and shutdown < 1.0  # one server per test must stay cheap
    with pytest.raises(httpx.ConnectError):
        http.get(server.base_url + "/account/balance", headers={"x-api-key": "k"})


def test_stop_is_fast_even_with_an_idle_keep_alive_connection():
    server = SandboxServer().start()
    with httpx.Client(headers={"x-api-key": "any"}) as api:
        assert api.get(server.base_url + "/account/balance").status_code == 200
        started = time.perf_counter()
        server.stop()
        assert time.perf_counter() - started < 1.0


def test_context_manager_and_two_servers_side_by_side():
    with SandboxServer() as a, SandboxServer() as b:
        assert a.port != b.port
        for server in (a, b):
            assert http.get(server.base_url + "/account/balance", headers={"x-api-key": "x"}).status_code == 200


@pytest.mark.parametrize("headers", [{}, {"x-api-key": ""}, {"x-api-key": "wrong"}, {"authorization": "Bearer test-key"}])
def test_requests_without_an_accepted_key_get_the_documented_401(sandbox, headers):
    for method, path, body in [
        ("POST", "/v1/diffusion", {"text": "a cat"}),
        ("GET", "/v1/job/whatever", None),
        ("GET", "/account/balance", None),
    ]:
        response = http.request(method, sandbox.base_url + path, json=body, headers=headers)
        assert response.status_code == 401
        assert response.json() == ERROR_401
    assert sandbox.state.created_job_ids() == []


def test_without_a_key_list_any_non_empty_key_is_accepted():
    with SandboxServer() as server:
        ok = http.post(server.base_url + "/v1/diffusion", json={"text": "a"}, headers={"x-api-key": "anything"})
        empty = http.post(server.base_url + "/v1/diffusion", json={"text": "a"}, headers={"x-api-key": ""})
    assert ok.status_code == 200 and empty.status_code == 401


def test_unknown_paths_and_methods_use_the_error_body(sandbox):
    with client(sandbox) as api:
        unknown_endpoint = api.post("/v1/imagine", json={"text": "x"})
        unknown_path = api.get("/v2/nothing")
        wrong_method = api.get("/v1/diffusion")
        unknown_job = api.get("/v1/job/3fa85f64-5717-4562-b3fc-2c963f66afa6")
    assert unknown_endpoint.status_code == 404 and "/v1/imagine" in unknown_endpoint.json()["message"]
    assert unknown_path.status_code == 404 and unknown_path.json()["code"] == 404
    assert wrong_method.status_code == 405 and wrong_method.json()["code"] == 405
    assert unknown_job.status_code == 404
    assert unknown_job.json() == {
        "code": 404, "message": "job 3fa85f64-5717-4562-b3fc-2c963f66afa6 not found", "raw_message": "", "detail": None,
    }


def test_every_request_is_recorded_with_the_key_redacted(sandbox):
    with client(sandbox) as api:
        job = submit(api, "diffusion", {"text": "a cat", "callback": None})
        api.get(f"/v1/job/{job['job_id']}?x=1")
        http.get(sandbox.base_url + "/account/balance", headers={"x-api-key": "not-the-key"})
    received = sandbox.state.requests
    assert [(r.method, r.path) for r in received] == [
        ("POST", "/api/v1/diffusion"), ("GET", f"/api/v1/job/{job['job_id']}"), ("GET", "/api/account/balance"),
    ]
    assert received[0].json_body == {"text": "a cat", "callback": None}
    assert received[1].query == "x=1"
    for r in received:
        assert r.headers["x-api-key"] == "<redacted>"
        assert "test-key" not in json.dumps(r.headers) and "not-the-key" not in json.dumps(r.headers)
    assert sandbox.state.requests_to("/v1/diffusion", "POST") == received[:1]
    assert sandbox.state.created_job_ids() == [job["job_id"]]


def test_the_request_log_keeps_only_the_latest_requests():
    # The app's embedded sandbox is polled all session long: its log must not grow forever.
    with SandboxServer(keys=["k"], max_requests=3) as sandbox, client(sandbox) as api:
        api.headers["x-api-key"] = "k"
        for n in range(5):
            api.get("/account/balance", params={"n": n})
        assert [r.query for r in sandbox.state.requests] == ["n=2", "n=3", "n=4"]
        assert len(sandbox.state.requests_to("/account/balance")) == 3
    state = SandboxState(SandboxClock(), 0)
    for n in range(DEFAULT_MAX_REQUESTS + 7):
        state.record(Received("GET", f"/api/v1/job/{n}", None, {}))
    assert len(state.requests) == DEFAULT_MAX_REQUESTS
    assert state.requests[0].path == "/api/v1/job/7"
    unbounded = SandboxState(SandboxClock(), 0, max_requests=None)  # for a test that wants them all
    for n in range(DEFAULT_MAX_REQUESTS + 1):
        unbounded.record(Received("GET", "/x", None, {}))
    assert len(unbounded.requests) == DEFAULT_MAX_REQUESTS + 1


def test_balance_has_the_documented_shape(sandbox):
    sample = json.loads((Path(__file__).resolve().parent / "fixtures/vendor/balance.response.json").read_text())
    with client(sandbox) as api:
        body = api.get("/account/balance").json()
    assert body["code"] == 200 and body["message"] == "success"
    assert set(body["data"]) == set(sample["data"])
    assert body["data"]["available_credits"] == 10_000
    assert body["data"]["balance_usd"] == 10.0


def test_cdn_needs_no_key_but_the_api_does(sandbox):
    with client(sandbox) as api:
        job_id = submit(api, "diffusion", {"text": "a cat"})["job_id"]
        sandbox.finish_all()
        url = api.get(f"/v1/job/{job_id}").json()["output"]["image_urls"][0]
    assert http.get(url).status_code == 200  # no x-api-key, like a public CDN
    assert http.get(sandbox.origin + "/cdn/mj/nothing_0.png").status_code == 404


def test_standalone_command_serves_and_stops_on_sigterm(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "studio.sandbox", "--port", "0", "--key", "cli-key", "--speed", "50",
         "--faults", "503=0", "--image-size-cap", "64", "--no-progress"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        line = process.stdout.readline()
        assert "Legnext sandbox on http://127.0.0.1:" in line and "cli-key" not in line
        base = line.split(" on ", 1)[1].split(" ", 1)[0]
        ok = http.post(base + "/v1/diffusion", json={"text": "a cat"}, headers={"x-api-key": "cli-key"})
        denied = http.post(base + "/v1/diffusion", json={"text": "a cat"}, headers={"x-api-key": "other"})
        assert ok.status_code == 200 and denied.status_code == 401
        assert "progress" not in ok.json() and "status" in ok.json()
    finally:
        process.terminate()
        out, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert "cli-key" not in out + err


def test_standalone_command_rejects_a_bad_fault_spec():
    result = subprocess.run(
        [sys.executable, "-m", "studio.sandbox", "--faults", "teapot=0.5"],
        cwd=ROOT, capture_output=True, text=True, timeout=30,
    )
    assert result.returncode == 2 and "unknown fault 'teapot'" in result.stderr



def test_standalone_command_can_leave_progress_out():
    assert parse_args([]).progress is True
    assert parse_args(["--no-progress"]).progress is False
