"""What the history asks the store for: one query value, every filter the browser, the command
line and the session can combine. Plain data; `JobStore` turns it into SQL in one place."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any


@dataclass(frozen=True)
class JobQuery:
    """Jobs matching every field that is set (None: any). `since` is inclusive and `until`
    exclusive, both against created_at; `status` is one status or a tuple of them; `text` is
    what the user typed (words matched as prefixes, FTS syntax taken literally)."""

    text: str | None = None
    model: str | None = None
    op: str | None = None
    task_type: str | None = None
    status: Any = None
    since: float | None = None
    until: float | None = None
    favourite: bool | None = None
    tag: str | None = None
    has_files: bool | None = None
    group: str | None = None  # the jobs sent together in one set

    def with_(self, **changes: Any) -> JobQuery:
        return replace(self, **changes)

    def set_fields(self) -> list[str]:
        """The filters in use (text only when it has a word)."""
        used = []
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "text":
                if value and value.strip():
                    used.append(f.name)
            elif value is not None:
                used.append(f.name)
        return used

    @property
    def empty(self) -> bool:
        return not self.set_fields()
