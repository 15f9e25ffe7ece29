"""The one table of operations agrees with the client, the task types, the prices and the
vendor's OpenAPI description."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from studio.api.client import ENDPOINTS, LegnextClient
from studio.api.models import TaskType
from studio.api.operations import OPERATIONS, Output, names, operation
from studio.paths import resource

OPENAPI = Path(__file__).parent / "fixtures" / "vendor" / "openapi-complete.yaml"


def test_every_documented_post_path_is_an_operation_and_back():
    documented = set(re.findall(r"^  (/v1/[a-z-]+):\s*$", OPENAPI.read_text(), re.M)) - {"/v1/job"}
    assert documented, "no POST paths read from the OpenAPI file"
    # Topaz upscale is in the published docs (REFERENCE.md, which win) but not in the OpenAPI file.
    assert {op.path for op in OPERATIONS.values()} - documented == {"/v1/enhance-upscale"}
    assert documented <= {op.path for op in OPERATIONS.values()}
    assert "/v1/enhance-upscale" in (Path(__file__).parent / "fixtures" / "vendor" / "REFERENCE.md").read_text()


def test_the_client_and_task_types_read_the_table():
    assert ENDPOINTS == {name: op.path for name, op in OPERATIONS.items()}
    constants = {v for k, v in vars(TaskType).items() if k.isupper()}
    assert constants == set(OPERATIONS)
    for name in OPERATIONS:
        assert callable(getattr(LegnextClient, name)), name


def test_every_operation_is_priced():
    tasks = json.loads(resource("rules", "costs.json").read_text())["tasks"]
    assert {op.cost_key for op in OPERATIONS.values()} <= set(tasks)


def test_lookup_by_either_spelling_and_a_clear_message_for_unknown_names():
    assert operation("upload-paint") is OPERATIONS["upload_paint"] is operation("Upload_Paint")
    with pytest.raises(KeyError, match="unknown operation 'imagine'.*diffusion"):
        operation("imagine")


def test_output_kinds():
    assert names(output=Output.VIDEO) == {"video_diffusion", "extend_video", "video_upscale"}
    assert names(output=Output.TEXT) == {"describe", "shorten"}
    assert "upscale" in names(single=True) and "diffusion" not in names(single=True)


def test_every_grid_action_starts_a_known_operation_and_takes_its_facts_from_it():
    from studio.api.operations import OPERATIONS, Output
    from studio.ui.grid.actions import ACTIONS

    for spec in ACTIONS:
        assert spec.op in OPERATIONS, spec.name
        assert spec.video == (OPERATIONS[spec.op].output == Output.VIDEO)
    assert {s.name: s.label for s in ACTIONS}["inpaint"] == OPERATIONS["inpaint"].label == "Repaint"
