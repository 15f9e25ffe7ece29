"""Server rules: available_actions per task and model, refusals, prompt lint, expiry."""

from __future__ import annotations

import pytest
from test_sandbox_support import client, refused, run, submit

from studio.sandbox import SandboxServer
from studio.sandbox.actions import Produced, available_actions, refusal

DAY = 24 * 3600
ALL4 = [0, 1, 2, 3]
V7_GRID = {"edit": ALL4, "inpaint": ALL4, "outpaint": ALL4, "pan": ALL4, "remix": ALL4, "reroll": True,
           "upscale": ALL4, "variation": ALL4}
V8_GRID = {"animate": ALL4, "remix": ALL4, "reroll": True, "variation": ALL4}
V7_SINGLE = {"animate": [0], "edit": [0], "inpaint": [0], "outpaint": [0], "pan": [0], "remix": [0], "variation": [0]}


def actions_of(sandbox, api, endpoint, body):
    return run(sandbox, api, endpoint, body)["output"]["available_actions"]


def test_available_actions_follow_task_type_and_model(sandbox):
    with client(sandbox) as api:
        v7 = run(sandbox, api, "diffusion", {"text": "a fox --v 7"})
        assert v7["output"]["available_actions"] == V7_GRID
        assert actions_of(sandbox, api, "diffusion", {"text": "a fox --niji 6"}) == V7_GRID
        assert actions_of(sandbox, api, "diffusion", {"text": "a fox --v 7 --draft"}) == {**V7_GRID, "enhance": ALL4}
        v81 = run(sandbox, api, "diffusion", {"text": "a fox --v 8.1"})
        assert v81["output"]["available_actions"] == V8_GRID
        assert actions_of(sandbox, api, "diffusion", {"text": "a fox --v 8 --hd"}) == V8_GRID
        # blend renders with V8 natively (changelog), so its grid follows the v8 row
        assert actions_of(sandbox, api, "blend", {"imgUrls": ["https://e.com/a.png"] * 2, "aspect_ratio": "1:1"}) == V8_GRID
        assert actions_of(sandbox, api, "upscale", {"jobId": v7["job_id"], "imageNo": 1, "type": 1}) == V7_SINGLE
        assert actions_of(sandbox, api, "variation", {"jobId": v81["job_id"], "imageNo": 1, "type": 0}) == V8_GRID
        assert actions_of(sandbox, api, "pan", {"jobId": v7["job_id"], "imageNo": 0, "direction": 2, "scale": 1.2}) == V7_GRID
        video = run(sandbox, api, "video-diffusion", {"jobId": v7["job_id"], "imageNo": 0})
        assert video["output"]["available_actions"] == {"extend_video": ALL4, "video_upscale": ALL4}
        assert actions_of(sandbox, api, "video-upscale", {"jobId": video["job_id"], "videoNo": 0}) == {}
        assert actions_of(sandbox, api, "remove-background", {"imgUrl": "https://e.com/a.png"}) == {}


def test_enhance_needs_a_v7_draft_parent(sandbox):
    with client(sandbox) as api:
        normal = run(sandbox, api, "diffusion", {"text": "a fox --v 7"})
        draft = run(sandbox, api, "diffusion", {"text": "a fox --v 7 --draft"})
        payload = refused(api, "enhance", {"jobId": normal["job_id"], "imageNo": 0})
        assert "--v 7 --draft" in payload["message"]
        submit(api, "enhance", {"jobId": draft["job_id"], "imageNo": 3})
        # a reroll of a draft is still a draft
        reroll = run(sandbox, api, "reroll", {"jobId": draft["job_id"]})
        assert "enhance" in reroll["output"]["available_actions"]


@pytest.mark.parametrize("model", ["8", "8.1"])
@pytest.mark.parametrize("endpoint,body", [
    ("pan", {"direction": 0, "scale": 1.5}),
    ("outpaint", {"scale": 1.5}),
    ("inpaint", {"mask": {"areas": [{"width": 600, "height": 600, "points": [0, 0, 300, 0, 300, 300]}]}}),
    ("upscale", {"type": 0}),
])
def test_v8_family_refuses_pan_outpaint_inpaint_and_upscale(sandbox, model, endpoint, body):
    with client(sandbox) as api:
        parent = run(sandbox, api, "diffusion", {"text": f"a fox --v {model}"})
        payload = refused(api, endpoint, {"jobId": parent["job_id"], "imageNo": 0, **body})
    assert endpoint in payload["message"] and "v8" in payload["message"]


def test_v8_family_accepts_its_follow_ups(sandbox):
    with client(sandbox) as api:
        parent = run(sandbox, api, "diffusion", {"text": "a fox --v 8.1"})
        for endpoint, body in [("variation", {"type": 1}), ("remix", {"remixPrompt": "in snow"}), ("video-diffusion", {})]:
            submit(api, endpoint, {"jobId": parent["job_id"], "imageNo": 2, **body})
        submit(api, "reroll", {"jobId": parent["job_id"]})


def test_actions_must_match_the_parents_outputs(sandbox):
    with client(sandbox) as api:
        grid = run(sandbox, api, "diffusion", {"text": "a fox"})
        single = run(sandbox, api, "upscale", {"jobId": grid["job_id"], "imageNo": 0, "type": 0})
        assert "output 1" in refused(api, "variation", {"jobId": single["job_id"], "imageNo": 1, "type": 0})["message"]
        submit(api, "variation", {"jobId": single["job_id"], "imageNo": 0, "type": 0})
        refused(api, "upscale", {"jobId": single["job_id"], "imageNo": 0, "type": 0})  # not offered again
        refused(api, "reroll", {"jobId": single["job_id"]})
        video = run(sandbox, api, "video-diffusion", {"prompt": "https://e.com/a.png waves --bs 1"})
        refused(api, "extend-video", {"jobId": video["job_id"], "videoNo": 1})
        refused(api, "variation", {"jobId": video["job_id"], "imageNo": 0, "type": 0})
        refused(api, "extend-video", {"jobId": grid["job_id"], "videoNo": 0})
        # Topaz and animate take any image of a finished image job (documented, though not listed)
        submit(api, "enhance-upscale", {"jobId": single["job_id"], "imageNo": 0})
        submit(api, "video-diffusion", {"jobId": grid["job_id"], "imageNo": 3})


def test_a_video_can_be_extended_at_most_four_times(sandbox):
    with client(sandbox) as api:
        job = run(sandbox, api, "video-diffusion", {"prompt": "https://e.com/a.png waves"})
        for _ in range(4):
            assert "extend_video" in job["output"]["available_actions"]
            job = run(sandbox, api, "extend-video", {"jobId": job["job_id"], "videoNo": 0})
        assert "extend_video" not in job["output"]["available_actions"]
        assert "4 times" in refused(api, "extend-video", {"jobId": job["job_id"], "videoNo": 0})["message"]


def test_unknown_parent_is_404_and_unfinished_parent_is_422():
    with SandboxServer(speed=1, image_size_cap=64) as sandbox, client(sandbox) as api:
        refused(api, "variation", {"jobId": "no-such-job", "imageNo": 0, "type": 0}, status=404)
        pending = submit(api, "diffusion", {"text": "a fox"})
        payload = refused(api, "upscale", {"jobId": pending["job_id"], "imageNo": 0, "type": 0}, status=422)
        assert "pending" in payload["message"]
        sandbox.finish_all()
        submit(api, "upscale", {"jobId": pending["job_id"], "imageNo": 0, "type": 0})


def test_operations_are_refused_three_days_after_creation(sandbox):
    with client(sandbox) as api:
        grid = run(sandbox, api, "diffusion", {"text": "a fox"})
        sandbox.clock.advance(3 * DAY - 60)
        submit(api, "variation", {"jobId": grid["job_id"], "imageNo": 0, "type": 0})
        sandbox.clock.advance(120)
        payload = refused(api, "variation", {"jobId": grid["job_id"], "imageNo": 0, "type": 0})
        assert "3 days" in payload["message"]
        refused(api, "reroll", {"jobId": grid["job_id"]})
        # the job itself can still be read
        assert api.get(f"/v1/job/{grid['job_id']}").json()["status"] == "completed"


# --- prompt rules (studio.prompt.lint) -----------------------------------------------------

@pytest.mark.parametrize("flag,text", [
    ("--q", "a fox --v 8.1 --q 2"),
    ("--quality", "a fox --v 8.1 --quality 1"),
    ("--cref", "a fox --v 8.1 --cref https://e.com/c.png"),
    ("--cw", "a fox --v 8.1 --cw 50"),
    ("--oref", "a fox --v 8.1 --oref https://e.com/o.png"),
    ("--ow", "a fox --v 8.1 --ow 100"),
    ("--no", "a fox --v 8.1 --no trees"),
    ("--turbo", "a fox --v 8.1 --turbo"),
    ("--sd", "a fox --v 8.1 --sd"),
])
def test_v81_rejects_removed_flags_naming_them(sandbox, flag, text):
    with client(sandbox) as api:
        payload = refused(api, "diffusion", {"text": text})
    assert flag in payload["message"]
    assert payload["detail"]["flag"] == flag
    assert sandbox.state.created_job_ids() == []


def test_v81_accepts_hd_as_a_no_op_and_other_models_keep_their_flags(sandbox):
    with client(sandbox) as api:
        submit(api, "diffusion", {"text": "a fox --v 8.1 --hd --ar 16:9 --s 200"})
        submit(api, "diffusion", {"text": "a fox --v 7 --q 2 --no trees --turbo"})


def test_remix_prompts_are_linted_against_the_parent_model(sandbox):
    with client(sandbox) as api:
        parent = run(sandbox, api, "diffusion", {"text": "a fox --v 8.1"})
        payload = refused(api, "remix", {"jobId": parent["job_id"], "imageNo": 0, "remixPrompt": "in snow --no trees"})
        assert "--no" in payload["message"] and payload["detail"]["field"] == "remixPrompt"


@pytest.mark.parametrize("text,flag", [
    ("a fox --s 1001", "--s"), ("a fox --chaos 101", "--chaos"), ("a fox --stop 9", "--stop"),
    ("a fox --seed 4294967296", "--seed"), ("a fox --v 6 --q 4", "--q"), ("a fox --v 8 --stop 50", "--stop"),
])
def test_values_the_docs_exclude_are_refused_and_nothing_is_charged(sandbox, text, flag):
    # As strict as the documented ranges and sets (issue 13): no "clamped" job is ever made.
    with client(sandbox) as api:
        payload = refused(api, "diffusion", {"text": text})
    assert payload["detail"]["flag"] == flag and flag in payload["message"]
    assert sandbox.state.created_job_ids() == []


def test_unsupported_api_flags_are_refused(sandbox):
    with client(sandbox) as api:
        assert "--repeat" in refused(api, "diffusion", {"text": "a fox --repeat 2"})["message"]


# --- the tables themselves ------------------------------------------------------------------


def test_refusal_reasons_name_the_documented_rule():
    v81 = Produced("diffusion", "8.1", 4)
    assert refusal(v81, "variation", 3) is None
    assert "Inpaint / Outpaint / Pan" in refusal(v81, "outpaint", 0)
    assert "natively 2K" in refusal(v81, "upscale", 0)
    assert refusal(Produced("diffusion", "7", 4, draft=True), "enhance", 1) is None
    assert available_actions(Produced("diffusion", "8", 4, draft=True)) == V8_GRID  # draft is v7-only
    assert available_actions(Produced("describe", "7", 0)) == {}


@pytest.mark.parametrize("endpoint", ["video-diffusion", "extend-video"])
# --motion 3: Image Parameters' older 1-4 contradicts Video Parameters' low | high; the rules
# take the video pages' reading (rules/common.json), and so does the sandbox.
@pytest.mark.parametrize("flags,flag", [("--bs 3", "--bs"), ("--motion medium", "--motion"), ("--bs 8 --loop", "--bs"),
                                        ("--motion 3", "--motion")])
def test_video_prompts_with_values_outside_the_documented_sets_are_refused(sandbox, endpoint, flags, flag):
    with client(sandbox) as api:
        grid = run(sandbox, api, "diffusion", {"text": "a fox"})
        parent = grid if endpoint == "video-diffusion" else run(
            sandbox, api, "video-diffusion", {"jobId": grid["job_id"], "imageNo": 0, "prompt": "--bs 1"})
        index = {"imageNo": 0} if endpoint == "video-diffusion" else {"videoNo": 0}
        made = list(sandbox.state.created_job_ids())
        payload = refused(api, endpoint, {"jobId": parent["job_id"], **index, "prompt": f"it moves {flags}"})
    assert flag in payload["message"] and payload["detail"]["flag"] == flag
    assert sandbox.state.created_job_ids() == made  # no job, no charge


def test_video_prompts_with_documented_values_are_accepted(sandbox):
    with client(sandbox) as api:
        grid = run(sandbox, api, "diffusion", {"text": "a fox"})
        for flags in ("--bs 1", "--bs 2 --motion high --raw", "--motion low --loop --end https://e.com/end.png"):
            submit(api, "video-diffusion", {"jobId": grid["job_id"], "imageNo": 1, "prompt": f"it moves {flags}"})


def test_animating_a_sandbox_image_that_does_not_exist_is_refused(sandbox):
    with client(sandbox) as api:
        grid = run(sandbox, api, "diffusion", {"text": "a fox"})
        url = grid["output"]["image_urls"][0]
        submit(api, "video-diffusion", {"prompt": f"{url} it wakes up --bs 1"})
        gone = url.replace(grid["job_id"], "0" * 8 + grid["job_id"][8:])
        payload = refused(api, "video-diffusion", {"prompt": f"{gone} it wakes up"})
    assert "could not be fetched" in payload["message"] and gone in payload["message"]
