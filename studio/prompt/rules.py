"""The prompt rules, loaded once from the JSON tables in resources/rules/.

The tables are the source of truth (see DESIGN.md: rules are data). This module only turns them
into lookup dicts so validation on every keystroke is a handful of dict lookups.

Files:
- common.json — flag spellings and value shapes (`flags`), the supported models and their
  `--v`/`--niji` values, API-wide limitations (`image_context`, `permutations`), cross-flag
  rules (`cross_rules`: conflict / incompatible / requires), duplicates, message templates.
- v6.json … niji6.json — one table per model: for every flag of the docs' comparison table a
  `status` (ok | rejected | unsupported | noop | ignored | replaced), `range` or `set`, `cost`
  (group, ×, reason), `why` and `source` (the doc section), plus `render` (pixel area),
  `tasks_unavailable`, `flat_cost` (v8.1), `migrate` (v8 → v8.1).
- video.json — the same for video prompts, with the batch-size rule.
- costs.json — base credits per task type and the Topaz resolution table.
A `note` beside a rule records the reading chosen where the docs contradict themselves.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from studio.paths import resource

RULES_DIR = resource("rules")

# Flag statuses in the model tables and what a user sees for them.
OK = "ok"
REJECTED = "rejected"  # the server answers HTTP 400
UNSUPPORTED = "unsupported"  # the API does not support it at all
NOOP = "noop"  # accepted, no effect
IGNORED = "ignored"  # marked 🚫 in the docs without saying what the server does
REPLACED = "replaced"  # another flag took its place on this model


@dataclass(frozen=True)
class FlagDef:
    """How a flag is spelled and what shape its value has (common.json › flags)."""

    name: str
    label: str
    value: str  # none|int|number|ratio|version|niji|choice|urls|srefs|text|codes
    optional_value: bool = False
    range: tuple[float, float] | None = None
    choices: tuple[str, ...] = ()
    concept: str | None = None
    max_items: int | None = None
    aliases: tuple[str, ...] = ()
    source: str = ""
    numeric_choices: dict[str, str] = field(default_factory=dict)  # `--motion 4` -> "high"
    extreme_ratio: float | None = None

    @property
    def takes_value(self) -> bool:
        return self.value != "none"


@dataclass(frozen=True)
class FlagRule:
    """What one model (or the video context) does with one flag."""

    status: str
    why: str = ""
    range: tuple[float, float] | None = None
    set: tuple[float, ...] | None = None
    cost: dict[str, Any] | None = None
    replacement: str | None = None
    source: str = ""
    note: str = ""


@dataclass(frozen=True)
class ModelTable:
    id: str
    label: str
    context: str  # "image" or "video"
    flags: dict[str, FlagRule]
    render: dict[str, Any] = field(default_factory=dict)
    tasks_unavailable: dict[str, str] = field(default_factory=dict)
    flat_cost: dict[str, Any] | None = None
    migrate: dict[str, Any] | None = None
    image_prompt_note: dict[str, Any] | None = None
    batch: dict[str, Any] | None = None

    def rule(self, name: str, fallback: dict[str, FlagRule]) -> FlagRule | None:
        r = self.flags.get(name)
        return r if r is not None else fallback.get(name)


@dataclass(frozen=True)
class ModelInfo:
    """One entry of MODELS: canonical id and display label; also readable like a dict."""

    id: str
    label: str
    selector: str  # the flag that selects it: "v" or "niji"
    values: tuple[str, ...]

    def __getitem__(self, key: str) -> Any:
        return getattr(self, key)

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key, default)

    @property
    def flag_text(self) -> str:
        """How the studio writes this model into a prompt, e.g. `--v 8.1`, `--niji 6`."""
        return "--niji 6" if self.selector == "niji" else f"--v {self.id}"


@dataclass(frozen=True)
class Rules:
    text_min: int
    text_max: int
    default_model: str
    models: tuple[ModelInfo, ...]
    flag_defs: dict[str, FlagDef]
    aliases: dict[str, str]  # lower-case spelling -> canonical name
    tables: dict[str, ModelTable]  # model id (and "video") -> table
    image_context: dict[str, FlagRule]
    permutations: FlagRule
    cross_rules: tuple[dict[str, Any], ...]
    duplicate: dict[str, Any]
    messages: dict[str, str]
    severity: dict[str, str | None]
    version_values: dict[str, str]  # "--v" value -> model id
    niji_values: dict[str, str]  # "--niji" value -> model id
    costs: dict[str, Any]
    name_pattern: re.Pattern[str]  # matches any known spelling, used for em-dash detection

    def model(self, model_id: str) -> ModelInfo:
        for m in self.models:
            if m.id == model_id:
                return m
        raise KeyError(model_id)


def _rule(d: dict[str, Any]) -> FlagRule:
    rng = d.get("range")
    st = d.get("set")
    return FlagRule(
        status=d["status"],
        why=d.get("why", ""),
        range=(rng[0], rng[1]) if rng else None,
        set=tuple(st) if st is not None else None,
        cost=d.get("cost"),
        replacement=d.get("replacement"),
        source=d.get("source", ""),
        note=d.get("note", ""),
    )


def _read(name: str) -> dict[str, Any]:
    return json.loads((RULES_DIR / name).read_text(encoding="utf-8"))


def _table(d: dict[str, Any]) -> ModelTable:
    return ModelTable(
        id=d["id"],
        label=d["label"],
        context=d.get("context", "image"),
        flags={k: _rule(v) for k, v in d["flags"].items()},
        render=d.get("render", {}),
        tasks_unavailable=d.get("tasks_unavailable", {}),
        flat_cost=d.get("flat_cost"),
        migrate=d.get("migrate"),
        image_prompt_note=d.get("image_prompt_note"),
        batch=d.get("batch"),
    )


@lru_cache(maxsize=1)
def load_rules() -> Rules:
    """Read and index every rule table; cached, the files ship with the app."""
    common = _read("common.json")
    flag_defs: dict[str, FlagDef] = {}
    aliases: dict[str, str] = {}
    for name, d in common["flags"].items():
        rng = d.get("range")
        fd = FlagDef(
            name=name,
            label=d.get("label", name),
            value=d["value"],
            optional_value=bool(d.get("optional_value", False)),
            range=(rng[0], rng[1]) if rng else None,
            choices=tuple(d.get("choices", ())),
            concept=d.get("concept"),
            max_items=d.get("max_items"),
            aliases=tuple(d.get("aliases", ())),
            source=d.get("source", ""),
            numeric_choices=dict(d.get("numeric_choices", {})),
            extreme_ratio=d.get("extreme_ratio"),
        )
        flag_defs[name] = fd
        aliases[name] = name
        for a in fd.aliases:
            aliases[a.lower()] = name
    models = tuple(
        ModelInfo(id=m["id"], label=m["label"], selector=m["selector"], values=tuple(m["values"]))
        for m in common["models"]
    )
    tables = {m.id: _table(_read(f["file"])) for m, f in zip(models, common["models"])}
    tables["video"] = _table(_read("video.json"))
    version_values: dict[str, str] = {}
    niji_values: dict[str, str] = {}
    for m in models:
        target = niji_values if m.selector == "niji" else version_values
        for v in m.values:
            target[v] = m.id
    image_context = {k: _rule(v) for k, v in common["image_context"].items() if isinstance(v, dict)}
    # Longest spellings first so `--stylize` is not read as `--s` + "tylize".
    spellings = sorted(aliases, key=len, reverse=True)
    name_pattern = re.compile(r"(?:%s)(?![\w.])" % "|".join(re.escape(s) for s in spellings), re.I)
    return Rules(
        text_min=common["text"]["min"],
        text_max=common["text"]["max"],
        default_model=common["default_model"],
        models=models,
        flag_defs=flag_defs,
        aliases=aliases,
        tables=tables,
        image_context=image_context,
        permutations=_rule(common["permutations"]),
        cross_rules=tuple(common["cross_rules"]),
        duplicate=common["duplicate"],
        messages=common["messages"],
        severity=common["severity"],
        version_values=version_values,
        niji_values=niji_values,
        costs=_read("costs.json"),
        name_pattern=name_pattern,
    )


_MODEL_TEXT = re.compile(r"^\s*(?:--)?\s*(niji|v|version)?\s*(\d+(?:\.\d+)?)?\s*$", re.I)


def normalize_model(value: object) -> str | None:
    """Canonical model id for what a user or caller might write: "8.1", "v8.1", "V 6", "niji 6",
    "niji6", "--v 7"; None if it names no supported model."""
    if value is None:
        return None
    text = str(value).strip()
    rules = load_rules()
    if text in rules.tables and text != "video":
        return text
    m = _MODEL_TEXT.match(text)
    if not m or not (m.group(1) or m.group(2)):
        return None
    kind = (m.group(1) or "v").lower()
    num = m.group(2) or ""
    if kind == "niji":
        return rules.niji_values.get(num)
    return rules.version_values.get(num)
