"""Video jobs as the session knows them, for the views to ask (they parse no prompt and keep no
rule of their own):

- a video prompt checked by the prompt package's video rules (resources/rules/video.json:
  `--motion low|high`, `--raw`, `--end URL`, `--loop`, `--bs 1|2|4`) and priced
  (rules/costs.json through studio.prompt.cost);
- how many times a video was extended, counted along its lineage, against the limit the
  operations table holds (Extend Video: at most 4, 4 s each), so a fifth is refused before
  anything is sent;
- an Animate request from an image URL ("[image_url] your prompt text"), checked first.
No Qt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from studio.api.operations import operation
from studio.api.requests import VIDEO_TYPES  # noqa: F401  videoType 0/1 = 480p/720p, for the views

EXTEND = "extend_video"
ANIMATE = "video_diffusion"

# What a path on this computer looks like where a URL was expected: file://, /home/..., ~/...,
# C:\... (the API takes URLs; it cannot read the artist's disk).
_LOCAL = re.compile(r"^(?:file:|~[/\\]|/|[A-Za-z]:[\\/]|\\\\)")


@dataclass(frozen=True)
class VideoCheck:
    """A video prompt as the linter sees it: what blocks sending, what to know, the cost."""

    errors: list[str]
    warnings: list[str]
    credits: int | None
    batch: int | None  # videos the job makes (--bs, else the documented default)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def first(self) -> str | None:
        """The one line to show: the first error, else the first warning."""
        return (self.errors or self.warnings or [None])[0]


def check_prompt(text: str, op: str = ANIMATE) -> VideoCheck:
    """Lint `text` as the prompt of a video operation (animate, extend) and price the job."""
    from studio.prompt import lint

    result = lint(text or "", video=True, task=op)
    # "Without a leading image URL only works when animating an existing job": from the grid it
    # is one, so that note (an info) is not shown; errors and warnings are.
    errors = [d.message for d in result.errors]
    warnings = [d.message for d in result.warnings]
    return VideoCheck(errors, warnings, int(result.cost.credits), _batch(result))


def _batch(result: Any) -> int | None:
    from studio.prompt.rules import load_rules

    table = load_rules().tables["video"]
    rule = table.batch or {"flag": "bs", "default": 4}
    flag = result.parsed.last(rule["flag"]) if result.parsed is not None else None
    allowed = table.flags.get(rule["flag"])
    try:
        value = int(flag.value) if flag is not None and flag.value is not None else None
    except ValueError:
        value = None
    if value is not None and (allowed is None or allowed.set is None or value in allowed.set):
        return value
    return int(rule["default"])


# ----- extensions ---------------------------------------------------------------------------
def extend_limit() -> int:
    """At most this many extensions of one video (the operations table; Extend Video: 4)."""
    return operation(EXTEND).max_in_chain


def extend_seconds() -> float:
    """Seconds each extension adds (4)."""
    return operation(EXTEND).adds_seconds


def extensions_used(jobs: Any, key_or_job_id: str) -> int:
    """How many times the videos of this job were extended: the extend jobs in an unbroken run
    at the end of its lineage (this session's jobs, else the history's)."""
    used = 0
    for entry in reversed(jobs.lineage(key_or_job_id)):
        if (entry.op or entry.task_type) != EXTEND:
            break
        used += 1
    return used


def extend_refusal(used: int) -> str | None:
    """Why one more extension cannot be sent (the documented maximum is reached), or None."""
    limit = extend_limit()
    if used < limit:
        return None
    return (f"This video was already extended {used} times, the most the API allows "
            f"(Extend Video: at most {limit} extensions of {extend_seconds():g} s each).")


def extend_note(used: int) -> str:
    """"Extended 1 of 4 times · this adds 4 s": the count shown before sending."""
    limit, seconds = extend_limit(), f"{extend_seconds():g} s"
    if used >= limit:
        return f"Extended {used} of {limit} times: no more extensions"
    if used == 0:
        return f"Not extended yet (up to {limit} times) · this adds {seconds}"
    return f"Extended {used} of {limit} times · this adds {seconds}"


# ----- animate from a URL -------------------------------------------------------------------
class NotSendable(ValueError):
    """The request cannot be sent as it is; the message says what to change."""


def url_problem(url: str) -> str | None:
    """Why `url` cannot be the image to animate (checked by the client's own URL rule), or None."""
    from studio.api.errors import ValidationError
    from studio.api.requests import check_url

    url = url.strip()
    if not url:
        return "Paste the URL of the image to animate."
    if _LOCAL.match(url):
        return ("The API takes image URLs (http or https), not files on this computer: put the image "
                "online first (or animate one of your images from the grid).")
    try:
        check_url("image URL", url)
    except ValidationError as exc:  # "image URL: is 1100 characters; URLs may have at most 1024"
        return f"The {exc.field} {str(exc).split(': ', 1)[-1]}."
    return None


def animate_url_request(url: str, text: str, video_type: int = 0) -> dict[str, Any]:
    """The fields of an Animate request for the image at `url` with prompt `text` (the docs'
    "[image_url] your prompt text"); raises NotSendable with the reason when it cannot go."""
    problem = url_problem(url)
    if problem is not None:
        raise NotSendable(problem)
    prompt = f"{url.strip()} {text.strip()}".strip()
    check = check_prompt(prompt, ANIMATE)
    if not check.ok:
        raise NotSendable(check.errors[0])
    if video_type not in VIDEO_TYPES:
        raise NotSendable(f"Quality must be one of {', '.join(VIDEO_TYPES.values())}.")
    return {"prompt": prompt, "video_type": video_type}
