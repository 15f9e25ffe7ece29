"""Fault injection: 429 with Retry-After, 5xx, dropped connections, slow answers, failed jobs."""

from __future__ import annotations

import time

import httpx
import pytest
from test_sandbox_support import HEADERS, client, http, run, submit

from studio.sandbox import FaultSpec, SandboxServer


def test_fault_spec_parses_the_cli_syntax():
    spec = FaultSpec.parse("429=0.1, 500=0.05,5xx=0.02,drop=0.02,slow=0.1,fail=0.05,seed=7,retry_after=2,slow_seconds=0.5,after=0.5")
    assert spec.statuses == {429: 0.1, 500: 0.05}
    assert (spec.server_error, spec.drop, spec.slow, spec.fail) == (0.02, 0.02, 0.1, 0.05)
    assert (spec.seed, spec.retry_after, spec.slow_seconds, spec.after_share) == (7, 2.0, 0.5, 0.5)
    for bad in ("429", "200=0.1", "teapot=1", "429=lots", "500=0.7,429=0.5"):
        with pytest.raises(ValueError):
            FaultSpec.parse(bad)


def test_next_429_carries_retry_after_and_creates_no_job(sandbox):
    sandbox.faults.spec = FaultSpec(retry_after=2)
    sandbox.faults.next("/v1/diffusion", "429", count=2)
    with client(sandbox) as api:
        answers = [api.post("/v1/diffusion", json={"text": "a fox"}) for _ in range(3)]
    assert [a.status_code for a in answers] == [429, 429, 200]
    assert answers[0].headers["retry-after"] == "2"
    assert answers[0].json()["code"] == 429 and answers[0].json()["message"]
    assert len(sandbox.state.created_job_ids()) == 1
    assert len(sandbox.state.requests_to("/v1/diffusion")) == 3


@pytest.mark.parametrize("code", [500, 502, 503])
def test_next_server_errors_use_the_error_body(sandbox, code):
    sandbox.faults.next("/v1/job/*", str(code))
    with client(sandbox) as api:
        job_id = submit(api, "diffusion", {"text": "a fox"})["job_id"]
        failed = api.get(f"/v1/job/{job_id}")
        again = api.get(f"/v1/job/{job_id}")
    assert failed.status_code == code and failed.json()["code"] == code
    assert again.status_code == 200


def test_a_dropped_connection_gets_no_response_at_all(sandbox):
    sandbox.faults.next("/v1/diffusion", "drop")
    with client(sandbox) as api:
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            api.post("/v1/diffusion", json={"text": "a fox"})
        assert api.post("/v1/diffusion", json={"text": "a fox"}).status_code == 200
    assert len(sandbox.state.created_job_ids()) == 1


def test_fault_after_processing_loses_the_answer_but_keeps_the_job(sandbox):
    # The case that makes a blind POST retry double-charge: the job exists, the client saw an error.
    sandbox.faults.next("/v1/diffusion", "503", after=True)
    sandbox.faults.next("/v1/diffusion", "drop", after=True)
    with client(sandbox) as api:
        assert api.post("/v1/diffusion", json={"text": "a fox"}).status_code == 503
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            api.post("/v1/diffusion", json={"text": "a fox"})
    assert len(sandbox.state.created_job_ids()) == 2
    assert sandbox.state.balance == 10_000 - 160


@pytest.mark.parametrize("kind", ["429", 429, "400", "402"])
def test_a_refusal_cannot_be_queued_to_strike_after_the_job_exists(sandbox, kind):
    # A 4xx (a 429 above all) tells the client nothing was accepted; a job behind it would be a lie.
    with pytest.raises(ValueError, match="not accepted"):
        sandbox.faults.next("/v1/diffusion", kind, after=True)
    assert client(sandbox).post("/v1/diffusion", json={"text": "a fox"}).status_code == 200


def test_random_refusals_never_strike_after_the_job_exists(sandbox):
    sandbox.faults.spec = FaultSpec(statuses={429: 0.5, 400: 0.5}, after_share=1.0, seed=3)
    with client(sandbox) as api:
        codes = {api.post("/v1/diffusion", json={"text": "a fox"}).status_code for _ in range(8)}
    assert codes == {400, 429}
    assert sandbox.state.created_job_ids() == [] and sandbox.state.balance == 10_000


def test_slow_answers_arrive_late_but_intact(sandbox):
    sandbox.faults.next("/account/balance", "slow", seconds=0.3)
    with client(sandbox) as api:
        started = time.perf_counter()
        slow = api.get("/account/balance")
        slow_time = time.perf_counter() - started
        with pytest.raises(httpx.ReadTimeout):
            sandbox.faults.next("/account/balance", "slow", seconds=0.5)
            api.get("/account/balance", timeout=0.1)
    assert slow.status_code == 200 and slow_time >= 0.3


def test_next_faults_match_method_and_pattern(sandbox):
    sandbox.faults.next("/api/v1/*", "500", method="GET")
    with client(sandbox) as api:
        assert api.post("/v1/diffusion", json={"text": "a"}).status_code == 200  # a POST: untouched
        assert api.get("/account/balance").status_code == 200  # not under /v1
        assert api.get("/v1/job/x").status_code == 500


def test_random_faults_are_deterministic_for_a_seed():
    spec = "429=0.2,5xx=0.2,seed=11"

    def codes() -> list[int]:
        with SandboxServer(faults=FaultSpec.parse(spec)) as server, httpx.Client(headers=HEADERS) as api:
            return [api.get(server.base_url + "/account/balance").status_code for _ in range(40)]

    first, second = codes(), codes()
    assert first == second
    assert {429, 200} <= set(first) and set(first) & {500, 502, 503}
    share = sum(c != 200 for c in first) / len(first)
    assert 0.15 <= share <= 0.7


def test_faults_change_at_runtime_and_spare_the_cdn(sandbox):
    with client(sandbox) as api:
        job = run(sandbox, api, "diffusion", {"text": "a fox"})
        sandbox.set_faults(FaultSpec(statuses={503: 1.0}))
        assert api.get("/account/balance").status_code == 503
        assert http.get(job["output"]["image_urls"][0]).status_code == 200  # images stay reliable
        sandbox.faults.spec = FaultSpec(statuses={503: 1.0}, cdn=True)
        assert http.get(job["output"]["image_urls"][0]).status_code == 503
        sandbox.faults.clear()
        assert api.get("/account/balance").status_code == 200


def test_faults_strike_before_auth_and_are_recorded(sandbox):
    sandbox.faults.next("/v1/diffusion", "429")
    response = http.post(sandbox.base_url + "/v1/diffusion", json={"text": "a"}, headers={"x-api-key": "bad"})
    assert response.status_code == 429
    assert sandbox.state.requests[-1].headers["x-api-key"] == "<redacted>"
