"""Copy as cURL / Copy as Python (httpx) (studio.api.request_text): the text, run for real
against the sandbox over loopback (curl in sh and bash, the script in a Python subprocess),
must make the sandbox receive the very request the studio's client sent, and must never hold
the key."""

from __future__ import annotations

import ast
import asyncio
import json
import os
import shlex
import shutil
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from studio.api import JobWatcher, LegnextClient, Mask, PollPolicy, Polygon
from studio.api.job_requests import request_for
from studio.api.request_text import FORMATS, KEY_VARIABLE, SentRequest, curl_text, httpx_text

KEY = "test-key"  # the conftest sandbox accepts only this key
HOSTILE = ("it's a \"castle\" on `uname` $HOME \"$PATH\" $(id) \\ back\\slash\n"
           "second line\ttab 🏰🌊 ünïcødé '' \"\" ; rm -rf / # --ar 3:2 --v 7")
# What must come through the same whichever program sent the request.
SAME_HEADERS = ("content-type", "accept", "user-agent", "content-length")


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env.update({KEY_VARIABLE: KEY, "NO_PROXY": "127.0.0.1,localhost"})
    return env


def _exact(body: object) -> str:
    """The body as compact JSON in its own key order: equal means byte for byte equal."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def _shells() -> list[str]:
    return [shell for shell in ("sh", "bash") if shutil.which(shell)]


async def _parent(client: LegnextClient) -> str:
    job = await client.submit(request_for("diffusion", text="a lighthouse --v 7"))
    await JobWatcher(client, PollPolicy(time_scale=1 / 200)).watch(job.job_id, timeout=20)
    return job.job_id


def _requests(parent: str) -> dict[str, object]:
    return {
        "diffusion": request_for("diffusion", text=HOSTILE),
        "variation": request_for("variation", job_id=parent, image_no=2, type=1, remix_prompt="more 'fog' $x"),
        "inpaint": request_for("inpaint", job_id=parent, image_no=0, remix_prompt="a red door `here`",
                               mask=Mask(areas=[Polygon(1024, 1024, [100, 100, 700, 100, 700, 700, 100, 700])])),
    }


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed on this machine")
def test_the_copied_text_sends_what_the_studio_sent(sandbox):
    """Each request three ways: the studio's client, the cURL command (in sh and in bash) and
    the Python script. The sandbox must receive the same body, byte for byte, and the same
    headers, and accept the key the text read from $LEGNEXT_API_KEY."""

    async def studio_sends() -> tuple[dict[str, object], dict[str, object]]:
        async with LegnextClient(KEY, sandbox.base_url) as client:
            requests = _requests(await _parent(client))
            received = {}
            for name, request in requests.items():
                await client.submit(request)
                received[name] = sandbox.state.requests[-1]
            return requests, received

    requests, by_studio = asyncio.run(studio_sends())
    env = _env()
    for name, request in requests.items():
        sent = SentRequest.of(request, sandbox.base_url)
        runs = [(f"curl in {shell}", [shell, "-c", curl_text(sent)]) for shell in _shells()]
        runs.append(("python", [sys.executable, "-c", httpx_text(sent)]))
        studio = by_studio[name]
        for how, argv in runs:
            assert KEY not in argv[-1], (name, how)  # only the variable's name is written
            result = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)
            assert result.returncode == 0, (name, how, result.stderr)
            got = sandbox.state.requests[-1]
            assert (got.method, got.path) == (studio.method, studio.path), (name, how)
            assert _exact(got.json_body) == _exact(studio.json_body), (name, how)
            assert {h: got.headers.get(h) for h in SAME_HEADERS} == \
                   {h: studio.headers.get(h) for h in SAME_HEADERS}, (name, how)
            answer = result.stdout
            if how == "python":
                status, answer = answer.split("\n", 1)
                assert status == "200", (name, answer)
            job = json.loads(answer)
            assert job["job_id"] and sandbox.state.job(job["job_id"]) is not None, (name, how)
    assert by_studio["diffusion"].json_body == {"text": HOSTILE}


def test_the_key_is_a_variable_never_a_value():
    sent = SentRequest.of(request_for("diffusion", text="castle"), "https://api.legnext.ai/api")
    curl, python = curl_text(sent), httpx_text(sent)
    assert f'-H "x-api-key: ${KEY_VARIABLE}"' in curl
    assert f'"x-api-key": os.environ["{KEY_VARIABLE}"]' in python
    assert curl.startswith("curl https://api.legnext.ai/api/v1/diffusion \\\n")
    assert "--data-raw '{\"text\":\"castle\"}'" in curl
    assert "https://api.legnext.ai/api/v1/diffusion" in python
    assert set(FORMATS) == {"curl", "httpx"}


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=80).filter(lambda t: t.strip()))
def test_any_prompt_survives_the_quoting(text):
    """What a POSIX shell makes of the command, and what Python makes of the script's body,
    is the body the studio sends, whatever the prompt holds (quotes, $, backticks, newlines,
    emoji, control characters)."""
    try:
        sent = SentRequest.of(request_for("diffusion", text=text), "http://127.0.0.1:9/api")
    except UnicodeEncodeError:  # a lone surrogate: httpx cannot send it either
        return
    words = shlex.split(curl_text(sent))
    assert words[words.index("--data-raw") + 1] == sent.text
    assert words[words.index("x-api-key: $LEGNEXT_API_KEY") - 1] == "-H"
    python = httpx_text(sent)
    literal = python.split("body = ", 1)[1].split("\n\nresponse = ", 1)[0]
    assert _exact(ast.literal_eval(literal)).encode("utf-8") == sent.body
    compile(python, "<copied>", "exec")
