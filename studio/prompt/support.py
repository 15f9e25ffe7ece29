"""What each model does with each flag, and how models are named: pure lookups in the rule
tables (resources/rules), for the panels, the completion and the queue. No Qt."""

from __future__ import annotations

from dataclasses import dataclass

from studio.prompt.params import FIELD_FLAGS
from studio.prompt.rules import OK, load_rules, normalize_model


@dataclass(frozen=True)
class FlagSupport:
    """What one model does with one flag, read from the rule tables (resources/rules)."""

    name: str  # canonical flag name, e.g. "s"
    label: str  # "stylize"
    status: str  # ok | rejected | unsupported | noop | ignored | replaced
    why: str  # the rule's reason when not ok
    severity: str | None  # what lint reports for it: None (fine), "error" or "warning"
    range: tuple[float, float] | None
    values: tuple[float, ...] | None  # an allowed set (e.g. quality 1, 2, 4)
    shape: str  # value shape: none|int|number|ratio|version|niji|choice|urls|srefs|text|codes
    optional_value: bool
    choices: tuple[str, ...]
    spellings: tuple[str, ...]  # "stylize", "s" (without dashes)
    max_items: int | None
    replacement: str | None
    cost_reason: str = ""  # e.g. "×4 --hd (native 2K)" when the flag changes the price

    @property
    def usable(self) -> bool:
        return self.status == OK

    @property
    def hint(self) -> str:
        """The allowed values in a few characters: "0–1000", "1 · 2 · 4", "W:H"."""
        if self.values is not None:
            text = " · ".join(_num_text(v) for v in self.values)
        elif self.range is not None:
            text = f"{_num_text(self.range[0])}–{_num_text(self.range[1])}"
        else:
            text = {"none": "", "ratio": "W:H", "urls": "image URL", "srefs": "URL or code",
                    "text": "words to avoid", "codes": "code", "choice": " | ".join(self.choices),
                    "version": " · ".join(m.id for m in load_rules().models if m.selector == "v"),
                    "niji": "6"}.get(self.shape, "")
        if text and self.optional_value:
            text = f"[{text}]"
        return text

    @property
    def reason(self) -> str:
        """Why a control for this flag is off on the model, for tooltips ("" when usable)."""
        if self.usable:
            return ""
        return self.why or f"not available ({self.status})"


def _num_text(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def flag_support(model: str, flag: str) -> FlagSupport:
    """Rule-table facts about `flag` on `model` ("7", "v8.1", "niji6", ...)."""
    rules = load_rules()
    name = flag.strip().lstrip("-").lower()
    name = FIELD_FLAGS.get(name, rules.aliases.get(name, name))
    table = rules.tables[normalize_model(model) or rules.default_model]
    rule = table.rule(name, rules.image_context)
    definition = rules.flag_defs.get(name)
    status = rule.status if rule is not None else OK
    rng = (rule.range if rule is not None else None) or (definition.range if definition else None)
    return FlagSupport(
        name=name,
        label=definition.label if definition else name,
        status=status,
        why=rule.why if rule is not None else "",
        severity=rules.severity.get(status),
        range=rng,
        values=rule.set if rule is not None else None,
        shape=definition.value if definition else "text",
        optional_value=definition.optional_value if definition else False,
        choices=definition.choices if definition else (),
        spellings=((name,) + definition.aliases) if definition else (name,),
        max_items=definition.max_items if definition else None,
        replacement=rule.replacement if rule is not None else None,
        cost_reason=str((rule.cost or {}).get("reason") or "") if rule is not None else "",
    )


def flag_catalog(model: str) -> list[FlagSupport]:
    """Every flag the rules know, with what `model` does with it (for completion)."""
    return [flag_support(model, name) for name in load_rules().flag_defs]


def model_choices() -> list[tuple[str, str]]:
    """(canonical id, label) of every supported model, in the rule tables' order."""
    return [(m.id, m.label) for m in load_rules().models]


def model_label(model: str | None) -> str:
    """How the studio names a model ("v7", "niji 6"); "" for none."""
    if not model:
        return ""
    try:
        return load_rules().model(normalize_model(model) or model).label
    except KeyError:
        return model
