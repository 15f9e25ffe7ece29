"""Parsing what the server sends: every vendor sample, and the surprises a tolerant parser must survive."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from studio.api import (
    AuthenticationError,
    Balance,
    Job,
    JobStatus,
    MalformedResponseError,
    TaskType,
)
from studio.api import Mask
from studio.api.errors import api_error
from studio.api.requests import check_image_no, check_job_id, check_text, check_url

# The vendor samples live in the shared docs next to the project checkout (../shared).
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "vendor"

FIXTURE_FILES = sorted(FIXTURES.glob("*.json"))


def test_fixtures_directory_is_found():
    assert len(FIXTURE_FILES) >= 20


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: p.name)
def test_every_vendor_sample_parses(path: Path):
    data = json.loads(path.read_text())
    if path.name.startswith("balance"):
        balance = Balance.from_dict(data)
        assert balance.available_credits == data["data"]["available_credits"]
    elif ".error." in path.name:
        err = api_error(data["code"], data)
        assert err.code == data["code"] and err.message == data["message"]
    elif ".request" in path.name:
        # A documented request body: its values pass the client's own rules (the exact bytes
        # the client sends for the same call are compared in test_api_transport).
        check_job_id("jobId", data["jobId"])
        check_image_no("imageNo", data["imageNo"])
        check_text("remixPrompt", data["remixPrompt"])
        check_url("callback", data["callback"])
        if "mask" in data:
            assert Mask.from_json(data["mask"]).to_json() == data["mask"]
    else:
        job = Job.from_dict(data)
        assert job.job_id == data["job_id"]
        assert job.task_type == data["task_type"]
        assert job.status in JobStatus.ALL
        assert job.meta.usage.frozen == data["meta"]["usage"]["frozen"]
        assert job.raw == data


def test_completed_job_sample_fields():
    job = Job.from_dict(json.loads((FIXTURES / "job.completed.json").read_text()))
    assert job.is_completed and job.is_terminal
    assert len(job.images) == 4 and job.images[0].endswith("_0.png")
    assert job.output.seed == "1904983176"
    assert job.output.available_actions["reroll"] is True
    assert job.output.available_actions["upscale"] == [0, 1, 2, 3]
    assert "upscale" in job.output.actions_for(2) and "reroll" in job.output.actions_for(2)
    assert job.meta.started_at == datetime(2025, 10, 14, 2, 22, 6, tzinfo=timezone.utc)
    assert job.meta.usage.consume == 80
    assert not job.error.is_set


def test_go_zero_time_and_empty_times_become_none():
    job = Job.from_dict(json.loads((FIXTURES / "diffusion.response.json").read_text()))
    assert job.meta.created_at == datetime(2025, 12, 17, 11, 8, 36, tzinfo=timezone.utc)
    assert job.meta.started_at is None and job.meta.ended_at is None
    variation = Job.from_dict(json.loads((FIXTURES / "variation.response.json").read_text()))
    assert variation.meta.created_at is None


def test_offset_and_nanosecond_timestamps():
    topaz = Job.from_dict(json.loads((FIXTURES / "enhance-upscale.response.json").read_text()))
    assert topaz.meta.created_at.utcoffset() == timedelta(hours=8)
    balance = Balance.from_dict(json.loads((FIXTURES / "balance.response.json").read_text()))
    assert balance.updated_at.microsecond == 784663
    assert balance.low_balance_alert is False and balance.balance_usd == pytest.approx(72.048)


def test_describe_outputs_are_mapped_from_camel_case():
    job = Job.from_dict({
        "job_id": "d1", "task_type": "describe", "status": "completed",
        "output": {"promptEn": "a cat", "description": "a photo", "finalPrompt": "a cat --ar 1:1",
                   "prompts": ["one", "two", None]},
    })
    assert (job.output.prompt_en, job.output.description, job.output.final_prompt) == (
        "a cat", "a photo", "a cat --ar 1:1")
    assert job.output.prompts == ["one", "two"]
    assert job.images == []


def test_tolerant_parsing_of_surprises():
    job = Job.from_dict({
        "job_id": "x1",
        "status": "Quantum",            # unknown status: carried as-is (lower-cased)
        "task_type": "teleport",        # unknown task type: carried as-is
        "progress": "45%",
        "output": {"seed": 1234567890, "image_url": "https://cdn/x.png", "image_urls": None,
                   "available_actions": {"upscale": [0, "1", None], "reroll": 1, "zoom": None}},
        "meta": None,
        "error": "kaput",
        "brand_new_field": {"nested": True},
    })
    assert job.status == "quantum" and not job.is_terminal
    assert job.task_type == "teleport"
    assert job.progress == 45
    assert job.output.seed == "1234567890"
    assert job.images == ["https://cdn/x.png"]
    assert job.output.available_actions == {"upscale": [0, 1], "reroll": [1]}
    assert job.meta.created_at is None and job.meta.usage.frozen == 0
    assert job.error.message == "kaput" and job.error_message == "kaput"
    assert job.raw["brand_new_field"] == {"nested": True}


@pytest.mark.parametrize("spelled,expected", [
    ("upload-paint", "upload_paint"), ("video-diffusion", "video_diffusion"),
    ("remove-background", "remove_background"), ("enhance-upscale", "enhance_upscale"),
    ("upload_paint", "upload_paint"), ("diffusion", "diffusion"),
])
def test_hyphenated_task_types_read_as_the_underscored_ones(spelled, expected):
    # The OpenAPI file spells task types with hyphens, the response samples with underscores;
    # checks downstream (TaskType, the watcher's typical durations) use the underscored form.
    job = Job.from_dict({"job_id": "t", "task_type": spelled, "status": "pending"})
    assert job.task_type == expected
    assert expected in vars(TaskType).values()
    assert job.raw["task_type"] == spelled  # the server's own spelling is kept in raw


def test_non_finite_and_huge_numbers_do_not_break_parsing():
    # Python's JSON parser reads NaN, Infinity and integers of any size: still a job, a balance.
    job = Job.from_dict(json.loads('{"job_id": "n", "progress": NaN, '
                                   '"output": {"available_actions": {"upscale": Infinity, "vary": NaN, "pan": 2}}}'))
    assert job.progress is None and job.output.available_actions == {"pan": [2]}
    balance = Balance.from_dict({"data": {"balance_usd": 10 ** 400, "available_credits": 5}})
    assert balance.balance_usd is None and balance.available_credits == 5


def test_missing_everything_still_parses():
    job = Job.from_dict({})
    assert (job.job_id, job.status, job.progress, job.images) == ("", "", None, [])
    assert job.output.video_urls == [] and job.output.available_actions == {}


def test_video_urls_and_failed_job_message():
    job = Job.from_dict({
        "job_id": "v", "status": "failed", "output": {"video_urls": ["https://cdn/a.mp4"]},
        "error": {"code": 10001, "message": "", "raw_message": "banned prompt detected"},
    })
    assert job.is_failed and job.is_terminal
    assert job.output.video_urls == ["https://cdn/a.mp4"]
    assert job.error_message == "banned prompt detected"


@pytest.mark.parametrize("bad", [None, [], "job", 42])
def test_non_object_bodies_are_malformed(bad):
    with pytest.raises(MalformedResponseError):
        Job.from_dict(bad)
    with pytest.raises(MalformedResponseError):
        Balance.from_dict(bad)


def test_balance_at_top_level_also_parses():
    balance = Balance.from_dict({"available_credits": "500", "low_balance_alert": "true"})
    assert balance.available_credits == 500 and balance.low_balance_alert is True


@pytest.mark.parametrize("body", [
    {"code": 401, "message": "Failed to verify api key", "raw_message": "", "detail": None},
    {"error": {"code": 401, "message": "Failed to verify api key", "raw_message": "", "detail": None}},
])
def test_error_body_shapes_give_the_same_fields(body):
    err = api_error(401, body)
    assert isinstance(err, AuthenticationError)
    assert (err.status, err.code, err.message) == (401, 401, "Failed to verify api key")
    assert "API key" in err.user_message and err.body == body
