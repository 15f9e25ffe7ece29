"""Typed, tolerant views of what the Legnext API returns (the Job object and the balance).

Parsing never fails on a surprising but well-formed answer: unknown fields stay in `.raw`, a
numeric seed becomes a string, missing or null fields take empty defaults, and an unknown
status or task type is carried as the server spelled it. Only a body that is not a JSON object
at all is rejected (`MalformedResponseError`), because then there is no job to show.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Mapping

from studio.api.errors import MalformedResponseError


class JobStatus:
    """The documented status strings. Job.status is a plain str so unknown values survive."""

    PENDING = "pending"
    STAGED = "staged"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"

    ALL = (PENDING, STAGED, PROCESSING, COMPLETED, FAILED)
    TERMINAL = frozenset({COMPLETED, FAILED})


class TaskType:
    """The task_type strings seen in the documented responses (underscored, as the server sends;
    the OpenAPI file spells some with hyphens, which `Job.from_dict` turns into underscores)."""

    DIFFUSION = "diffusion"
    VARIATION = "variation"
    UPSCALE = "upscale"
    REROLL = "reroll"
    BLEND = "blend"
    DESCRIBE = "describe"
    SHORTEN = "shorten"
    PAN = "pan"
    OUTPAINT = "outpaint"
    INPAINT = "inpaint"
    REMIX = "remix"
    EDIT = "edit"
    UPLOAD_PAINT = "upload_paint"
    RETEXTURE = "retexture"
    REMOVE_BACKGROUND = "remove_background"
    ENHANCE = "enhance"
    VIDEO_DIFFUSION = "video_diffusion"
    EXTEND_VIDEO = "extend_video"
    VIDEO_UPSCALE = "video_upscale"
    ENHANCE_UPSCALE = "enhance_upscale"


# "0001-01-01T00:00:00Z" is Go's zero time: the server's way of saying "not yet".
_ZERO_YEAR = 1
_FRACTION = re.compile(r"(\.\d{6})\d+")


def parse_time(value: Any) -> datetime | None:
    """ISO-8601 text → aware datetime; empty, zero-time, or unreadable → None."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    text = _FRACTION.sub(r"\1", text)  # nanoseconds → microseconds
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    if when.year <= _ZERO_YEAR:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when


def _dict(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, Mapping) else {}


def _str(value: Any, default: str = "") -> str:
    if value is None:
        return default
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _int(value: Any, default: int | None = 0) -> int | None:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return int(round(value))
    if isinstance(value, str):
        try:
            number = float(value.strip().rstrip("%"))
        except ValueError:
            return default
        return int(round(number)) if math.isfinite(number) else default
    return default


def _float(value: Any, default: float | None = None) -> float | None:
    if isinstance(value, bool):
        return default
    if isinstance(value, (int, float)):
        try:
            return float(value)
        except OverflowError:  # an integer too large for a float
            return default
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return default
    return default


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)


def _str_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value] if value else []
    if isinstance(value, (list, tuple)):
        return [_str(item) for item in value if item is not None and _str(item)]
    return []


def _actions(value: Any) -> dict[str, list[int] | bool]:
    """available_actions: name → image indexes, or a bool for whole-job actions such as reroll."""
    actions: dict[str, list[int] | bool] = {}
    for name, entry in _dict(value).items():
        if isinstance(entry, bool):
            actions[str(name)] = entry
        elif isinstance(entry, (list, tuple)):
            indexes = [_int(i, None) for i in entry]
            actions[str(name)] = [i for i in indexes if i is not None]
        elif isinstance(entry, (int, float)) and not isinstance(entry, bool):
            index = _int(entry, None)  # NaN and Infinity are valid JSON to Python's parser
            if index is not None:
                actions[str(name)] = [index]
        elif entry is not None:
            actions[str(name)] = bool(entry)
    return actions


@dataclass
class JobOutput:
    image_url: str | None = None
    image_urls: list[str] = field(default_factory=list)
    video_urls: list[str] = field(default_factory=list)
    seed: str = ""
    available_actions: dict[str, list[int] | bool] = field(default_factory=dict)
    # describe / shorten
    prompt_en: str = ""
    description: str = ""
    final_prompt: str = ""
    prompts: list[str] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_dict(cls, data: Any) -> JobOutput:
        d = _dict(data)
        return cls(
            image_url=_str(d.get("image_url")) or None,
            image_urls=_str_list(d.get("image_urls")),
            video_urls=_str_list(d.get("video_urls")),
            seed=_str(d.get("seed")),
            available_actions=_actions(d.get("available_actions")),
            prompt_en=_str(d.get("promptEn", d.get("prompt_en"))),
            description=_str(d.get("description")),
            final_prompt=_str(d.get("finalPrompt", d.get("final_prompt"))),
            prompts=_str_list(d.get("prompts")),
            raw=d,
        )

    def actions_for(self, image_no: int) -> list[str]:
        """Names of the actions the server offers on image `image_no` (job-wide bools included)."""
        names = []
        for name, entry in self.available_actions.items():
            if entry is True or (isinstance(entry, list) and image_no in entry):
                names.append(name)
        return names


@dataclass
class Usage:
    type: str = ""
    frozen: int = 0
    consume: int = 0

    @classmethod
    def from_dict(cls, data: Any) -> Usage:
        d = _dict(data)
        return cls(type=_str(d.get("type")), frozen=_int(d.get("frozen")) or 0, consume=_int(d.get("consume")) or 0)


@dataclass
class JobMeta:
    created_at: datetime | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    usage: Usage = field(default_factory=Usage)
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_dict(cls, data: Any) -> JobMeta:
        d = _dict(data)
        return cls(
            created_at=parse_time(d.get("created_at")),
            started_at=parse_time(d.get("started_at")),
            ended_at=parse_time(d.get("ended_at")),
            usage=Usage.from_dict(d.get("usage")),
            raw=d,
        )


@dataclass
class JobErrorInfo:
    code: int = 0
    message: str = ""
    raw_message: str = ""
    detail: Any = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_dict(cls, data: Any) -> JobErrorInfo:
        if isinstance(data, str):  # some servers send the error as a bare string
            return cls(code=0, message=data, raw={"message": data})
        d = _dict(data)
        return cls(
            code=_int(d.get("code")) or 0,
            message=_str(d.get("message")),
            raw_message=_str(d.get("raw_message")),
            detail=d.get("detail"),
            raw=d,
        )

    @property
    def is_set(self) -> bool:
        return bool(self.code or self.message or self.raw_message)


@dataclass
class Job:
    job_id: str = ""
    model: str = ""
    task_type: str = ""
    status: str = ""
    progress: int | None = None
    output: JobOutput = field(default_factory=JobOutput)
    meta: JobMeta = field(default_factory=JobMeta)
    error: JobErrorInfo = field(default_factory=JobErrorInfo)
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_dict(cls, data: Any) -> Job:
        if not isinstance(data, Mapping):
            raise MalformedResponseError(f"expected a job object, got {type(data).__name__}", body=data)
        d = dict(data)
        meta = _dict(d.get("meta"))
        progress = d.get("progress", meta.get("progress"))
        return cls(
            job_id=_str(d.get("job_id", d.get("jobId"))),
            model=_str(d.get("model")),
            # "upload-paint" (OpenAPI) and "upload_paint" (the samples) are one task type.
            task_type=_str(d.get("task_type")).strip().replace("-", "_"),
            status=_str(d.get("status")).strip().lower(),
            progress=None if progress is None else _int(progress, None),
            output=JobOutput.from_dict(d.get("output")),
            meta=JobMeta.from_dict(meta),
            error=JobErrorInfo.from_dict(d.get("error")),
            raw=d,
        )

    @property
    def is_terminal(self) -> bool:
        return self.status in JobStatus.TERMINAL

    @property
    def is_completed(self) -> bool:
        return self.status == JobStatus.COMPLETED

    @property
    def is_failed(self) -> bool:
        return self.status == JobStatus.FAILED

    @property
    def images(self) -> list[str]:
        """The job's images: the grid's image_urls, or the single image_url when that is all."""
        if self.output.image_urls:
            return list(self.output.image_urls)
        return [self.output.image_url] if self.output.image_url else []

    @property
    def error_message(self) -> str:
        """The best human text for why the job failed."""
        return self.error.message or self.error.raw_message or (f"error code {self.error.code}" if self.error.code else "no reason given")


@dataclass
class Balance:
    account_id: int | None = None
    balance_usd: float | None = None
    available_credits: int | None = None
    available_points: int | None = None
    alert_threshold: float | None = None
    low_balance_alert: bool = False
    updated_at: datetime | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_dict(cls, data: Any) -> Balance:
        if not isinstance(data, Mapping):
            raise MalformedResponseError(f"expected a balance object, got {type(data).__name__}", body=data)
        # Documented shape wraps the figures in "data"; accept them at the top level too.
        d = _dict(data.get("data")) or dict(data)
        return cls(
            account_id=_int(d.get("account_id"), None),
            balance_usd=_float(d.get("balance_usd")),
            available_credits=_int(d.get("available_credits"), None),
            available_points=_int(d.get("available_points"), None),
            alert_threshold=_float(d.get("alert_threshold")),
            low_balance_alert=_bool(d.get("low_balance_alert")),
            updated_at=parse_time(d.get("updated_at")),
            raw=dict(data),
        )


def _account_fields(data: Any, what: str) -> dict[str, Any]:
    """The figures of an /account/* answer: the OpenAPI schemas put them at the top level; a
    {"code", "message", "data": {...}} envelope like the balance endpoint's is accepted too."""
    if not isinstance(data, Mapping):
        raise MalformedResponseError(f"expected {what} object, got {type(data).__name__}", body=data)
    inner = data.get("data")
    return dict(inner) if isinstance(inner, Mapping) else dict(data)


@dataclass
class ActiveTask:
    """One entry of GET /account/active_tasks (OpenAPI schema ActiveTask)."""

    job_id: str = ""
    task_type: str = ""
    status: str = ""
    created_at: datetime | None = None
    progress: int | None = None  # None when the server leaves it out
    estimated_time: int | None = None  # seconds remaining; the spec allows null
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_dict(cls, data: Any) -> ActiveTask:
        if not isinstance(data, Mapping):
            raise MalformedResponseError(f"expected an active task object, got {type(data).__name__}", body=data)
        d = dict(data)
        progress = d.get("progress")
        estimated = d.get("estimated_time")
        return cls(
            job_id=_str(d.get("job_id", d.get("jobId"))),
            # The OpenAPI TaskType enum spells some with hyphens; Job.from_dict's underscores.
            task_type=_str(d.get("task_type")).strip().replace("-", "_"),
            status=_str(d.get("status")).strip().lower(),
            created_at=parse_time(d.get("created_at")),
            progress=None if progress is None else _int(progress, None),
            estimated_time=None if estimated is None else _int(estimated, None),
            raw=d,
        )

    @property
    def is_terminal(self) -> bool:
        return self.status in JobStatus.TERMINAL


@dataclass
class ActiveTasks:
    """GET /account/active_tasks (OpenAPI schema ActiveTasksResponse)."""

    tasks: list[ActiveTask] = field(default_factory=list)
    concurrent_limit: int | None = None
    total_active: int | None = None  # as the server counts; len(tasks) when it leaves it out
    account_id: str = ""
    updated_at: datetime | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_dict(cls, data: Any) -> ActiveTasks:
        d = _account_fields(data, "an active tasks")
        items = d.get("tasks")
        if items is None:
            items = []
        if not isinstance(items, (list, tuple)):
            raise MalformedResponseError(f"active tasks: expected a list of tasks, got {type(items).__name__}",
                                         body=data)
        tasks = [ActiveTask.from_dict(item) for item in items]
        total = _int(d.get("total_active"), None)
        return cls(
            tasks=tasks,
            concurrent_limit=_int(d.get("concurrent_limit"), None),
            total_active=len(tasks) if total is None else total,
            account_id=_str(d.get("account_id")),
            updated_at=parse_time(d.get("updated_at")),
            raw=dict(data),
        )

    @property
    def job_ids(self) -> list[str]:
        return [task.job_id for task in self.tasks]

    @property
    def at_limit(self) -> bool:
        """Whether the active count has reached the reported limit (False when none is reported)."""
        return self.concurrent_limit is not None and (self.total_active or 0) >= self.concurrent_limit


@dataclass
class AccountQuota:
    monthly_limit: float | None = None
    remaining: float | None = None
    reset_at: datetime | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_dict(cls, data: Any) -> AccountQuota:
        d = _dict(data)
        return cls(
            monthly_limit=_float(d.get("monthly_limit")),
            remaining=_float(d.get("remaining")),
            reset_at=parse_time(d.get("reset_at")),
            raw=d,
        )


@dataclass
class AccountInfo:
    """GET /account/info (OpenAPI schema AccountInfo)."""

    account_id: str = ""
    email: str = ""
    plan: str = ""  # the spec's free / basic / pro / premium; carried as sent
    balance: float | None = None
    used: float | None = None
    quota: AccountQuota = field(default_factory=AccountQuota)
    status: str = ""  # the spec's active / inactive / suspended / limited
    created_at: datetime | None = None
    updated_at: datetime | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_dict(cls, data: Any) -> AccountInfo:
        d = _account_fields(data, "an account info")
        return cls(
            account_id=_str(d.get("account_id")),
            email=_str(d.get("email")),
            plan=_str(d.get("plan")).strip().lower(),
            balance=_float(d.get("balance")),
            used=_float(d.get("used")),
            quota=AccountQuota.from_dict(d.get("quota")),
            status=_str(d.get("status")).strip().lower(),
            created_at=parse_time(d.get("created_at")),
            updated_at=parse_time(d.get("updated_at")),
            raw=dict(data),
        )
