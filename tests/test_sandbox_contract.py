"""The sandbox's request rules agree with the vendor's API description, endpoint by endpoint.

The sandbox keeps its own tables (studio/sandbox/validation.py) on purpose: it is the
independent check the client is tested against, so it never imports the client's tables
(studio/api/requests.py). Nothing but the docs ties the two copies together, so this test
reads the vendor's OpenAPI file and the published reference (copies in tests/fixtures/vendor)
and checks field names, required fields, either/or inputs, enumerations, ranges and lengths
of the sandbox against both, and the client's tables against the same values.

Where the OpenAPI file and REFERENCE.md disagree, REFERENCE.md wins (shared/legnext-api/
vendor/README.md). Each disagreement is pinned below, so a new one fails this test:
- inpaint `area` (a single polygon, "deprecated, use mask instead"): in REFERENCE.md, not in
  OpenAPI -> accepted (and checked) beside the required `mask`.
- edit `mask`: optional in REFERENCE.md, missing from OpenAPI -> accepted.
- upload-paint: OpenAPI declares multipart/form-data; REFERENCE.md gives the same JSON body
  shape as every other endpoint -> JSON (multipart is refused with a clear 400).
- jobId: OpenAPI says `format: uuid`; REFERENCE.md says string, and its inpaint example (and
  fixtures/inpaint.request0.json) uses "job_12345" -> any non-empty id (an unknown one is 404).
- video-diffusion without jobId + imageNo: OpenAPI only requires `prompt`; REFERENCE.md wants
  "prompt text with image URL included, format: '[image_url] your prompt text'" -> the prompt
  must start with an image URL.
- enhance-upscale (Topaz): absent from OpenAPI -> checked against REFERENCE.md alone.
- remixPrompt of edit / upload-paint / retexture: OpenAPI says 1-8192 characters, REFERENCE.md
  gives no length -> 1-8192, like every other prompt field.
Sandbox choices that are not a docs disagreement: the 1024-character URL limit, documented
for the imgUrl of upload-paint / retexture / remove-background, applies to every URL field
(the client does the same); canvas and imgPos sizes are capped at 8192 (undocumented).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from studio.api import requests as client_rules
from studio.sandbox import validation
from studio.sandbox.credits import TOPAZ_DEFAULT_RESOLUTION
from studio.sandbox.submit import TOPAZ_LONG_EDGE
from studio.sandbox.validation import ENDPOINT_FIELDS, ONE_OF

VENDOR = Path(__file__).resolve().parent / "fixtures" / "vendor"

# Fields REFERENCE.md documents and the OpenAPI file leaves out (see the module docstring).
REFERENCE_ONLY = {"inpaint": {"area"}, "edit": {"mask"}}
NOT_IN_OPENAPI = {"enhance-upscale"}


# --- a reader for the block-style YAML of the OpenAPI file (PyYAML is not a dependency) -------


def load_yaml(text: str) -> Any:
    """The YAML subset the vendor's file uses: mappings, `- ` sequences (of scalars or
    mappings), flow lists of scalars, quoted scalars, `|` block text and whole-line comments.
    (Checked to equal yaml.safe_load on openapi-complete.yaml.)"""
    lines: list[tuple[int, str, str | None]] = []
    raw = text.splitlines()
    i = 0
    while i < len(raw):
        line = raw[i]
        i += 1
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(line) - len(line.lstrip(" "))
        if stripped.endswith(": |"):  # block text: every deeper (or blank) line after it
            block = []
            while i < len(raw) and (not raw[i].strip() or len(raw[i]) - len(raw[i].lstrip(" ")) > indent):
                block.append(raw[i].strip())
                i += 1
            lines.append((indent, stripped[:-1].rstrip(), "\n".join(block).strip() + "\n"))
        else:
            lines.append((indent, stripped, None))
    value, _ = _yaml_block(lines, 0, lines[0][0])
    return value


def _yaml_block(lines: list, i: int, indent: int) -> tuple[Any, int]:
    if lines[i][1].startswith("- "):
        items = []
        while i < len(lines) and lines[i][0] == indent and lines[i][1].startswith("- "):
            rest = lines[i][1][2:].strip()
            if _yaml_key(rest) is None:
                items.append(_yaml_scalar(rest))
                i += 1
            else:  # a mapping item: its first key follows the dash, the others sit below it
                lines[i] = (indent + 2, rest, lines[i][2])
                item, i = _yaml_block(lines, i, indent + 2)
                items.append(item)
        return items, i
    mapping: dict[str, Any] = {}
    while i < len(lines) and lines[i][0] == indent:
        key, rest = _yaml_key(lines[i][1])
        block_text = lines[i][2]
        i += 1
        if block_text is not None:
            mapping[key] = block_text
        elif rest:
            mapping[key] = _yaml_scalar(rest)
        elif i < len(lines) and lines[i][0] > indent:
            mapping[key], i = _yaml_block(lines, i, lines[i][0])
        elif i < len(lines) and lines[i][0] == indent and lines[i][1].startswith("- "):
            mapping[key], i = _yaml_block(lines, i, indent)  # a sequence at the key's own indent
        else:
            mapping[key] = None
    return mapping, i


def _yaml_key(text: str) -> tuple[str, str] | None:
    """(key, rest) of a `key: value` or `key:` line; None for a plain scalar."""
    if text.startswith(("'", '"', "[")):
        if text[0] in "'\"":
            end = text.index(text[0], 1)
            if text[end + 1:end + 2] == ":":
                return text[1:end], text[end + 2:].strip()
        return None
    key, sep, rest = text.partition(":")
    if not sep or (rest and not rest.startswith(" ")):
        return None
    return key.strip(), rest.strip()


def _yaml_scalar(text: str) -> Any:
    if text.startswith("[") and text.endswith("]"):
        return [_yaml_scalar(part.strip()) for part in text[1:-1].split(",") if part.strip()]
    if len(text) > 1 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    if text in ("true", "false"):
        return text == "true"
    if text in ("null", "~"):
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


# --- the two descriptions --------------------------------------------------------------------

OPENAPI = load_yaml((VENDOR / "openapi-complete.yaml").read_text(encoding="utf-8"))


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if ref is None:
        return node
    found: Any = OPENAPI
    for part in ref.removeprefix("#/").split("/"):
        found = found[part]
    return found


def _openapi_requests() -> dict[str, tuple[str, dict[str, Any]]]:
    """endpoint -> (content type, request schema) for every POST /v1/<endpoint>."""
    found = {}
    for path, item in OPENAPI["paths"].items():
        if path.startswith("/v1/") and "post" in item:
            ((content_type, media),) = item["post"]["requestBody"]["content"].items()
            found[path.removeprefix("/v1/")] = (content_type, _resolve(media["schema"]))
    return found


OPENAPI_REQUESTS = _openapi_requests()


def _reference_sections() -> dict[str, list[str]]:
    """endpoint -> the lines of its REFERENCE.md section (from its `# ...` heading to the next)."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in (VENDOR / "REFERENCE.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("# "):
            match = re.search(r"\*\*Endpoint:\*\* `POST /v1/([\w-]+)`", line)
            current = sections.setdefault(match[1], []) if match else None
        if current is not None:
            current.append(line)
    return sections


REFERENCE = _reference_sections()


def _reference_parameters(endpoint: str) -> list[dict[str, Any]]:
    """The rows of an endpoint's parameter tables: name, type, required, description, option,
    default. Tolerates the video-diffusion table that the docs' export broke across lines."""
    rows: list[dict[str, Any]] = []
    columns: list[str] | None = None
    option = None
    previous_was_table = False
    for line in REFERENCE[endpoint]:
        if found := re.search(r"Option (\d)", line):
            option = int(found[1])
        if not line.startswith("|"):
            previous_was_table = False
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if not previous_was_table:  # a header row
            previous_was_table = True
            columns = cells[cells.index("Parameter"):] if "Parameter" in cells else None
            continue
        name = re.fullmatch(r"`(\w+)`", cells[0])
        if columns is None or name is None:
            continue
        row = dict(zip(columns, cells))
        rows.append({
            "name": name[1],
            "type": row.get("Type", ""),
            "required": row.get("Required", "").lower() == "yes",
            "description": row.get("Description", ""),
            "default": row.get("Default", "").strip("`"),
            "option": option,
        })
    return rows


def _fields(endpoint: str) -> dict[str, validation.F]:
    return {spec.name: spec for spec in ENDPOINT_FIELDS[endpoint]}


# --- OpenAPI ---------------------------------------------------------------------------------


def test_the_sandbox_serves_every_endpoint_of_the_docs():
    assert set(OPENAPI_REQUESTS) | NOT_IN_OPENAPI == set(ENDPOINT_FIELDS) == set(REFERENCE)
    # JSON everywhere except where the OpenAPI file disagrees with REFERENCE.md (see above).
    assert {e for e, (ctype, _) in OPENAPI_REQUESTS.items() if ctype != "application/json"} == {"upload-paint"}


@pytest.mark.parametrize("endpoint", sorted(OPENAPI_REQUESTS))
def test_fields_and_required_fields_match_openapi(endpoint):
    _, schema = OPENAPI_REQUESTS[endpoint]
    ours = _fields(endpoint)
    assert set(ours) - set(schema["properties"]) == REFERENCE_ONLY.get(endpoint, set())
    assert set(schema["properties"]) <= set(ours)
    assert {name for name, spec in ours.items() if spec.required} == set(schema.get("required", []))
    any_of = [tuple(way["required"]) for way in schema.get("anyOf", [])]
    assert any_of == (list(ONE_OF[endpoint].ways) if endpoint in ONE_OF else [])


@pytest.mark.parametrize("endpoint", sorted(OPENAPI_REQUESTS))
def test_kinds_enumerations_and_ranges_match_openapi(endpoint):
    _, schema = OPENAPI_REQUESTS[endpoint]
    ours = _fields(endpoint)
    for name, prop in schema["properties"].items():
        _check_property(ours[name], prop, f"{endpoint}.{name}")


def _check_property(spec: validation.F, prop: dict[str, Any], where: str) -> None:
    kind = prop["type"]
    if kind == "integer":
        assert spec.kind == "int", where
        allowed = prop.get("enum") or list(range(prop["minimum"], prop["maximum"] + 1))
        assert list(range(int(spec.lo), int(spec.hi) + 1)) == allowed, where
    elif kind == "number":
        assert spec.kind == "number" and (spec.lo, spec.hi) == (prop["minimum"], prop["maximum"]), where
    elif kind == "array":
        assert spec.kind == "url_list" and prop["items"]["format"] == "uri", where
        assert (spec.lo, spec.hi) == (prop["minItems"], prop["maxItems"]), where
    elif kind == "object":
        _check_object(spec, prop, where)
    elif "enum" in prop:
        assert spec.kind == "choice" and list(spec.choices) == prop["enum"], where
    elif prop.get("format") == "uri":
        assert spec.kind == "url", where
        assert prop.get("maxLength", validation.URL_MAX) == validation.URL_MAX, where
    elif prop.get("format") == "uuid":
        assert spec.kind == "id", where  # REFERENCE.md: any string id (see above)
    else:
        assert spec.kind == "text", where
        assert (spec.lo, spec.hi) == (prop["minLength"], prop["maxLength"]), where


def _check_object(spec: validation.F, prop: dict[str, Any], where: str) -> None:
    keys = tuple(prop["properties"])
    if spec.kind == "mask":
        assert keys == validation.MASK_KEYS, where
        polygon = prop["properties"]["areas"]["items"]
        assert tuple(polygon["properties"]) == validation.POLYGON_KEYS, where
        for side in ("width", "height"):
            bounds = polygon["properties"][side]
            assert (bounds["minimum"], bounds["maximum"]) == (validation.POLYGON_MIN, validation.POLYGON_MAX), where
    elif spec.kind == "canvas":
        assert keys == tuple(prop["required"]) == validation.CANVAS_KEYS, where
    elif spec.kind == "img_pos":
        assert keys == tuple(prop["required"]) == validation.IMG_POS_KEYS, where
    else:
        raise AssertionError(f"{where}: an object field the sandbox reads as {spec.kind}")


# --- REFERENCE.md ----------------------------------------------------------------------------

# REFERENCE.md "Type" column -> the sandbox kinds it may be.
TYPE_KINDS = {
    "string": {"text", "url", "id", "choice"}, "integer": {"int"}, "float": {"number"},
    "string[]": {"url_list"}, "[Mask](#mask)": {"mask"}, "[Polygon](#polygon)": {"polygon"},
    "[Canvas](#canvas)": {"canvas"}, "[CanvasImg](#canvasimg)": {"img_pos"},
}


@pytest.mark.parametrize("endpoint", sorted(REFERENCE))
def test_fields_required_fields_and_either_or_inputs_match_the_reference(endpoint):
    rows = _reference_parameters(endpoint)
    ours = _fields(endpoint)
    assert {row["name"] for row in rows} == set(ours)
    for row in rows:
        if row["type"]:
            assert ours[row["name"]].kind in TYPE_KINDS[row["type"]], (endpoint, row)
    options = {row["option"] for row in rows} - {None}
    if not options:
        assert {row["name"] for row in rows if row["required"]} == {n for n, s in ours.items() if s.required}
        assert endpoint not in ONE_OF
        return
    # "Choose one of two input methods": each option's required fields are one way.
    ways = [tuple(row["name"] for row in rows if row["option"] == n and row["required"]) for n in sorted(options)]
    assert ways == list(ONE_OF[endpoint].ways)
    assert not any(spec.required for spec in ours.values())  # the OneOf rule decides


def _documented_rule(description: str) -> tuple[str, Any] | None:
    """What a REFERENCE.md description says about a value, in the few forms the docs use."""
    patterns = (
        (r"\((\d+)-(\d+) characters\)", "length"),
        (r"max length: (\d+) characters", "max_length"),
        (r"\((\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)\)", "range"),
        (r"\((\d)/(?:\d/)*(\d)\)", "range"),  # (0/1/2/3)
        (r"\((\d) or (\d)\b", "range"),
        (r"\((\d): \w+, (\d): \w+\)", "range"),  # (0: 480p, 1: 720p)
        (r"(\d+)-(\d+) images", "count"),
    )
    for pattern, what in patterns:
        if found := re.search(pattern, description):
            return what, tuple(float(g) for g in found.groups())
    choices = re.findall(r"`([^`]+)`", description)
    return ("choices", tuple(choices)) if choices else None


@pytest.mark.parametrize("endpoint", sorted(REFERENCE))
def test_enumerations_and_ranges_match_the_reference(endpoint):
    ours = _fields(endpoint)
    for row in _reference_parameters(endpoint):
        rule = _documented_rule(row["description"])
        if rule is None:
            continue
        spec, (what, values) = ours[row["name"]], rule
        where = (endpoint, row["name"], row["description"])
        if what == "max_length":
            assert spec.kind == "url" and values == (validation.URL_MAX,), where
        elif what == "choices":
            assert spec.kind == "choice" and spec.choices == values, where
        else:  # length / range / count: the sandbox's bounds
            assert spec.kind in {"length": {"text"}, "range": {"int", "number"}, "count": {"url_list"}}[what], where
            assert (spec.lo, spec.hi) == values, where


def test_polygon_sides_and_topaz_defaults_match_the_reference():
    text = (VENDOR / "REFERENCE.md").read_text(encoding="utf-8")
    sides = set(re.findall(r"Image (?:width|height) in pixels \((\d+)-(\d+)\)", text))
    assert sides == {(str(validation.POLYGON_MIN), str(validation.POLYGON_MAX))}
    defaults = {row["name"]: row["default"] for row in _reference_parameters("enhance-upscale") if row["default"]}
    assert defaults["target_resolution"] == TOPAZ_DEFAULT_RESOLUTION
    edges = {}
    for names, edge in re.findall(r"^\| ([\w/]+) \| (\d+)px \|", "\n".join(REFERENCE["enhance-upscale"]), re.M):
        edges.update(dict.fromkeys(names.split("/"), int(edge)))
    assert edges == TOPAZ_LONG_EDGE


# --- the client's copy of the same rules -----------------------------------------------------


def _openapi_property(endpoint: str, field: str) -> dict[str, Any]:
    return OPENAPI_REQUESTS[endpoint][1]["properties"][field]


def _reference_choices(endpoint: str, field: str) -> tuple[str, ...]:
    (row,) = [row for row in _reference_parameters(endpoint) if row["name"] == field]
    rule = _documented_rule(row["description"])
    assert rule is not None and rule[0] == "choices"
    return rule[1]


def test_the_clients_tables_say_what_the_docs_say():
    # The sandbox is checked against the docs above; the client against the same values, so
    # the two copies cannot drift apart unnoticed.
    def bounds(endpoint: str, field: str) -> tuple[float, float]:
        prop = _openapi_property(endpoint, field)
        return prop["minimum"], prop["maximum"]

    def numbers(endpoint: str, field: str) -> list[int]:
        prop = _openapi_property(endpoint, field)
        return prop.get("enum") or list(range(prop["minimum"], prop["maximum"] + 1))

    assert client_rules.MAX_TEXT_CHARS == _openapi_property("diffusion", "text")["maxLength"]
    assert client_rules.MAX_URL_CHARS == _openapi_property("retexture", "imgUrl")["maxLength"]
    polygon = _openapi_property("inpaint", "mask")["properties"]["areas"]["items"]["properties"]["width"]
    assert (client_rules.POLYGON_MIN_SIDE, client_rules.POLYGON_MAX_SIDE) == (polygon["minimum"], polygon["maximum"])
    assert list(client_rules.IMAGE_NUMBERS) == numbers("variation", "imageNo")
    assert client_rules.PAN_SCALE == bounds("pan", "scale")
    assert client_rules.OUTPAINT_SCALE == bounds("outpaint", "scale")
    blend = _openapi_property("blend", "imgUrls")
    assert client_rules.BLEND_IMAGES == (blend["minItems"], blend["maxItems"])
    assert list(client_rules.VARIATION_TYPES) == numbers("variation", "type")
    assert list(client_rules.UPSCALE_TYPES) == numbers("upscale", "type")
    assert list(client_rules.REMIX_MODES) == numbers("remix", "mode")
    assert list(client_rules.PAN_DIRECTIONS) == numbers("pan", "direction")
    assert list(client_rules.VIDEO_TYPES) == numbers("video-diffusion", "videoType")
    assert list(client_rules.BLEND_ASPECT_RATIOS) == _openapi_property("blend", "aspect_ratio")["enum"]
    topaz = {
        "target_resolution": client_rules.TOPAZ_TARGET_RESOLUTIONS,
        "content_type": client_rules.TOPAZ_CONTENT_TYPES,
        "aspect_ratio": client_rules.TOPAZ_ASPECT_RATIOS,
        "crop_mode": client_rules.TOPAZ_CROP_MODES,
        "output_format": client_rules.TOPAZ_OUTPUT_FORMATS,
        "face_enhancement_level": client_rules.TOPAZ_FACE_ENHANCEMENT,
    }
    for field, table in topaz.items():
        assert tuple(table) == _reference_choices("enhance-upscale", field), field


# --- the account endpoints (GET; in the OpenAPI file only) ---------------------------------------
# REFERENCE.md documents GET /account/balance alone; /account/info and /account/active_tasks
# come from the OpenAPI file, whose schemas (AccountInfo, ActiveTasksResponse, ActiveTask) the
# sandbox answers key for key. The file gives them no security override, so the global
# ApiKeyAuth applies: both need the key, like balance.


def _account_paths() -> dict[str, dict[str, Any]]:
    return {path: item for path, item in OPENAPI["paths"].items() if path.startswith("/account/")}


def test_the_account_endpoints_match_openapi_in_the_client_and_the_sandbox():
    from studio.api import client as api_client
    from studio.sandbox.app import create_app
    from studio.sandbox.core import SandboxCore

    paths = _account_paths()
    assert all(set(item) == {"get"} for item in paths.values())
    assert set(paths) == {api_client.BALANCE_PATH, api_client.ACCOUNT_INFO_PATH, api_client.ACTIVE_TASKS_PATH}
    assert OPENAPI["security"] == [{"ApiKeyAuth": []}]
    assert all("security" not in item["get"] or item["get"]["security"] == [{"ApiKeyAuth": []}]
               for item in paths.values())
    routes = {route.path for route in create_app(SandboxCore()).app.routes}
    assert {"/api" + path for path in paths} <= routes
    without = {route.path for route in create_app(SandboxCore(account_endpoints=False)).app.routes}
    assert {"/api" + path for path in paths} & without == {"/api" + api_client.BALANCE_PATH}


def test_the_account_answers_have_the_openapi_fields():
    from studio.sandbox import account
    from studio.sandbox.jobs import SandboxJob, phases_for

    schemas = OPENAPI["components"]["schemas"]
    job = SandboxJob("j", "diffusion", "diffusion", 0.0, phases_for("diffusion"))
    task = job.active_task_json(0.0)
    assert set(task) == set(schemas["ActiveTask"]["properties"])
    assert _resolve(schemas["ActiveTask"]["properties"]["status"])["enum"][:3] == ["pending", "staged", "processing"]
    active = account.active_tasks_body([task], account.DEFAULT_CONCURRENT_LIMIT, 0.0)
    assert set(active) == set(schemas["ActiveTasksResponse"]["properties"])
    info_schema = schemas["AccountInfo"]["properties"]
    info = account.account_info_body(balance=1, used=0, monthly_limit=1, created_at=0.0, now=0.0)
    assert set(info) == set(info_schema)
    assert set(info["quota"]) == set(info_schema["quota"]["properties"])
    assert info["plan"] in info_schema["plan"]["enum"] and info["status"] in info_schema["status"]["enum"]
