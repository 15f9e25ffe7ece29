"""A job as the studio keeps it: plain, serialisable data, saved before its request leaves.

A `JobRecord` holds no runtime object (no task, watcher, client or decoded image): those live
beside it in the session. Everything here round-trips through JSON (`to_dict` / `from_dict`),
which is how the store writes it and how `legnext-studio ... --json` prints it.
"""

from __future__ import annotations

import enum
import time
import uuid
from dataclasses import dataclass, field, fields
from typing import Any


class Status(str, enum.Enum):
    """Where a job is in its life. The server's own words (pending, staged, processing,
    completed, failed) plus the studio's for the stretches the server does not see."""

    WAITING = "waiting"          # in the local queue, not sent: never charged
    SUBMITTING = "submitting"    # the POST is about to leave or on its way
    RATE_LIMITED = "rate_limited"  # a 429: nothing was created, the POST will be tried again
    PENDING = "pending"
    STAGED = "staged"
    PROCESSING = "processing"
    DOWNLOADING = "downloading"  # the server finished; its files are being archived
    COMPLETED = "completed"
    FAILED = "failed"            # the server says the job failed
    ERROR = "error"              # never became a job, or contact with it was lost
    CANCELLED = "cancelled"      # the user stopped watching; it may still run on the server
    UNKNOWN = "unknown"          # the POST may have landed, but no job id came back

    @property
    def ended(self) -> bool:
        return self in _ENDED

    @property
    def on_server(self) -> bool:
        """Statuses a job id exists for and the server still works on."""
        return self in (Status.PENDING, Status.STAGED, Status.PROCESSING)

    @classmethod
    def of(cls, value: Any) -> Status:
        """A status from the server's or the store's text. An unknown word maps to UNKNOWN
        (reading it as "processing" would watch for ever)."""
        if isinstance(value, cls):
            return value
        try:
            return cls(str(value).strip().lower())
        except ValueError:
            return cls.UNKNOWN


_ENDED = frozenset({Status.COMPLETED, Status.FAILED, Status.ERROR, Status.CANCELLED, Status.UNKNOWN})


class Origin(str, enum.Enum):
    STUDIO = "studio"      # sent by this studio
    EXTERNAL = "external"  # found on the account (another device, a script)


@dataclass
class Output:
    """One image or video of a job: where the server has it, where the archive keeps it."""

    kind: str  # "image" | "video" | "text"
    index: int
    url: str | None = None
    path: str | None = None   # the archived file, relative to the archive root
    thumb: str | None = None  # its thumbnail, relative to the archive root
    error: str | None = None  # why it could not be archived (shown, and retried while it lives)
    text: str | None = None   # a text result (describe, shorten)

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Output:
        return cls(**{k: v for k, v in data.items() if k in _OUTPUT_FIELDS})


def new_key() -> str:
    """A stable key made before the POST: the record's name in the store and the archive."""
    return uuid.uuid4().hex


@dataclass
class JobRecord:
    op: str
    request: dict[str, Any] = field(default_factory=dict)  # JSON form (see encode_request)
    key: str = field(default_factory=new_key)
    prompt: str | None = None
    model: str | None = None
    status: Status = Status.SUBMITTING
    job_id: str | None = None
    task_type: str | None = None
    parent_job_id: str | None = None
    parent_index: int | None = None
    created_at: float = field(default_factory=time.time)
    updated_at: float = field(default_factory=time.time)
    ended_at: float | None = None
    credits: int | None = None
    seed: str | None = None
    progress: int | None = None
    may_have_run: bool = False  # the POST failed after it may have reached the server
    error: str | None = None
    error_status: int | None = None
    server: dict[str, Any] | None = None  # the last job JSON the server sent
    outputs: list[Output] = field(default_factory=list)
    origin: Origin = Origin.STUDIO
    group: str | None = None  # jobs sent together (a permutation set) share it
    # Which server ran it: "sandbox" for the built-in one, else the base URL. A job is only
    # ever watched again on the server that has it.
    backend: str | None = None
    favourite: bool = False
    rating: int | None = None
    tags: list[str] = field(default_factory=list)
    notes: str = ""

    @property
    def parent(self) -> tuple[str, int] | None:
        if self.parent_job_id is None:
            return None
        return (self.parent_job_id, int(self.parent_index or 0))

    @property
    def ended(self) -> bool:
        return self.status.ended

    def text_outputs(self) -> list[str]:
        """The text results (describe's four prompts, shorten's suggestions), in order; for
        a record kept before they were outputs of their own, read from the server's JSON."""
        texts = [o.text for o in sorted(self.outputs, key=lambda o: o.index) if o.kind == "text" and o.text]
        if texts:
            return texts
        prompts = ((self.server or {}).get("output") or {}).get("prompts") if isinstance(self.server, dict) else None
        return [p for p in prompts if isinstance(p, str) and p] if isinstance(prompts, list) else []

    def texts(self) -> str:
        """The text results as one searchable text, a line each."""
        return "\n".join(self.text_outputs())

    def to_dict(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["status"] = self.status.value
        data["origin"] = self.origin.value
        data["outputs"] = [o.to_dict() for o in self.outputs]
        data["tags"] = list(self.tags)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> JobRecord:
        values = {k: v for k, v in data.items() if k in _RECORD_FIELDS}
        values["status"] = Status.of(values.get("status", Status.UNKNOWN.value))
        try:
            values["origin"] = Origin(values.get("origin", Origin.STUDIO.value))
        except ValueError:
            values["origin"] = Origin.EXTERNAL
        values["outputs"] = [Output.from_dict(o) for o in values.get("outputs") or []]
        values["tags"] = list(values.get("tags") or [])
        return cls(**values)


# Read once: `fields()` per record was most of the time a history page took to load.
_OUTPUT_FIELDS = frozenset(f.name for f in fields(Output))
_RECORD_FIELDS = frozenset(f.name for f in fields(JobRecord))


# ---- requests as JSON ------------------------------------------------------------------------
# A request's keyword arguments include typed values (Mask, Canvas, CanvasImg); they are kept
# tagged so a record read back can be sent again exactly.

def _typed() -> dict[str, Any]:
    from studio.api.requests import Canvas, CanvasImg, Mask, Polygon

    return {"Mask": Mask, "Canvas": Canvas, "CanvasImg": CanvasImg, "Polygon": Polygon}


def encode_request(kwargs: dict[str, Any]) -> dict[str, Any]:
    def encode(value: Any) -> Any:
        to_json = getattr(value, "to_json", None)
        if callable(to_json) and type(value).__name__ in _typed():
            return {"__type__": type(value).__name__, "value": to_json()}
        if isinstance(value, (list, tuple)):
            return [encode(v) for v in value]
        if isinstance(value, dict):
            return {k: encode(v) for k, v in value.items()}
        return value

    return {k: encode(v) for k, v in kwargs.items()}


def decode_request(data: dict[str, Any]) -> dict[str, Any]:
    types = _typed()

    def decode(value: Any) -> Any:
        if isinstance(value, dict) and set(value) == {"__type__", "value"} and value["__type__"] in types:
            kind = types[value["__type__"]]
            if value["__type__"] == "Polygon":
                v = value["value"]
                return kind(width=v["width"], height=v["height"], points=list(v["points"]))
            return kind.from_json(value["value"])
        if isinstance(value, list):
            return [decode(v) for v in value]
        if isinstance(value, dict):
            return {k: decode(v) for k, v in value.items()}
        return value

    return {k: decode(v) for k, v in data.items()}
