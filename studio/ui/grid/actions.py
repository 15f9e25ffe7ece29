"""The grid's action registry, as data: what each `available_actions` name the server sends
means to the studio — its label, icon, tooltip, the client operation it starts, and which small
dialog collects its options.

The grid shows a button for every action the server lists for an image and looks the name up
here; a name missing from this table is shown disabled under its own name (the server knows
something the studio does not yet), never hidden. Adding an action is a table edit.

Beside them, `IMAGE_TOOLS`: operations the studio offers on any image it can point the server
at (describe, retexture, remove background, Topaz upscale), which the server never lists in
`available_actions`; they share the buttons, popovers and the bar's "More" overflow.

Numbering note (from the vendor docs): variation types are 0=Subtle 1=Strong, upscale types
0=Subtle 1=Creative, but remix modes are numbered the other way round: 0=Strong 1=Subtle.
Video types are 0=480p 1=720p. Each option list below carries the API value next to its label so
no widget ever has to know which way round a number goes. Values are typed: an int where the
API takes a number, a str where it takes a word (Topaz's "4K", "photo", "letterbox").
"""

from __future__ import annotations

import math

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from studio.api.operations import Output, operation
from studio.api.requests import TOPAZ_LONG_EDGE
from studio.session.operations import ACTION_VALID_DAYS

# How an action collects what it needs before a job is sent.
FLOW_OPTIONS = "options"  # small popover with choices (and maybe a prompt), cost, Send
FLOW_CONFIRM = "confirm"  # no options: a popover that shows the cost and asks for one more click
FLOW_EDITOR = "editor"  # a visual editor from studio.ui.mask (pan, zoom out, repaint, edit)
FLOW_LOCAL = "local"  # done on this machine (saving files): no request, no cost

SCOPE_IMAGE = "image"  # the server lists image indexes for it: one button under each image
SCOPE_JOB = "job"  # the server sends a boolean (reroll): one button for the whole job

# An option's value as the API takes it: a number (variation type 1) or a word (Topaz "4K").
ChoiceValue = int | str
SEGMENTS_MAX = 4  # more choices than this are a drop-down list, not a row of segments


@dataclass(frozen=True)
class Choice:
    """One value of an option, e.g. variation type 1 = "Strong", Topaz target "4K"."""

    label: str
    value: ChoiceValue
    hint: str = ""


@dataclass(frozen=True)
class OptionSpec:
    """A choice in an action's popover, sent as `param` (a client keyword): a row of segments,
    or a drop-down list when it has more than SEGMENTS_MAX values."""

    param: str
    label: str
    choices: tuple[Choice, ...]
    default: ChoiceValue  # the API value selected when the popover opens
    priced: bool = False  # the cost depends on it: each choice shows its credits
    # Off (and not sent: the server's default applies) while another option has this value,
    # e.g. Topaz's crop mode while the aspect is kept.
    unless: tuple[str, ChoiceValue] | None = None

    def __post_init__(self) -> None:
        kinds = {type(c.value) for c in self.choices}
        if len(kinds) != 1 or type(self.default) not in kinds:
            raise TypeError(f"{self.param}: choices and default must all be int or all be str")
        if self.default not in self.values:
            raise ValueError(f"{self.param}: default {self.default!r} is not one of its choices")

    @property
    def values(self) -> tuple[ChoiceValue, ...]:
        return tuple(c.value for c in self.choices)

    @property
    def segmented(self) -> bool:
        return len(self.choices) <= SEGMENTS_MAX

    def choice(self, value: ChoiceValue) -> Choice:
        for candidate in self.choices:
            if candidate.value == value:
                return candidate
        raise KeyError(value)


@dataclass(frozen=True)
class PromptSpec:
    """A free-text prompt field in an action's popover, sent as `param`."""

    param: str
    required: bool
    empty_text: str  # shown in the empty field
    prefill_parent_prompt: bool = False  # start from the parent job's prompt (remix)
    checked: bool = False  # linted for its operation as typed; an error blocks Send


@dataclass(frozen=True)
class ActionSpec:
    name: str  # the key in output.available_actions
    icon: str  # SVG path data on a 24x24 stroke grid
    tooltip: str
    op: str  # the operation (studio.api.operations) passed to JobsSession.submit
    flow: str  # FLOW_*
    dialog: str  # the class that collects options (action_dialogs or studio.ui.mask)
    label: str = ""  # short button label; the operation's own by default
    scope: str = SCOPE_IMAGE
    options: tuple[OptionSpec, ...] = ()
    prompt: PromptSpec | None = None
    verb: str = ""  # the Send button's word ("Vary", "Upscale"); defaults to label
    crumb: str = ""  # breadcrumb step for a job made by this op; {n} is the 1-based image
    expensive: bool = False  # Send needs a second click (UI.md: video, 12K upscale)
    aliases: tuple[str, ...] = field(default=())
    # The client keyword that names the output acted on: most actions work on an image
    # ("image_no"); extend / upscale of a video name the video ("video_no").
    index_param: str = "image_no"
    # Offered by the studio on any image it can point the server at (IMAGE_TOOLS), not listed
    # by the server: its request names the image as studio.session.operations decides.
    studio: bool = False

    def __post_init__(self) -> None:
        if not self.label:
            object.__setattr__(self, "label", operation(self.op).label)

    @property
    def video(self) -> bool:
        """Its job makes a video (priced as one)."""
        return bool(self.op) and operation(self.op).output == Output.VIDEO

    @property
    def send_word(self) -> str:
        return self.verb or self.label


ICON_UNKNOWN = (
    "M12 21a9 9 0 1 0 0-18a9 9 0 0 0 0 18z M9.5 9.2a2.6 2.6 0 1 1 3.6 2.4"
    "c-.7.3-1.1.9-1.1 1.6v.8 M12 17.2v.3"
)

_VARIATION_TYPE = OptionSpec(
    "type",
    "Strength",
    (
        Choice("Subtle", 0, "Minor changes, keeps most of the image"),
        Choice("Strong", 1, "More dramatic changes"),
    ),
    default=0,
)
_UPSCALE_TYPE = OptionSpec(
    "type",
    "Style",
    (
        Choice("Subtle", 0, "Conservative: keeps the original details"),
        Choice("Creative", 1, "Adds detail with artistic interpretation"),
    ),
    default=0,
)
# Remix numbers its modes opposite to variation: 0 is Strong. Shown Subtle-first like variation.
_REMIX_MODE = OptionSpec(
    "mode",
    "Strength",
    (
        Choice("Subtle", 1, "Minor adjustments, keeps most of the image"),
        Choice("Strong", 0, "Dramatic transformation"),
    ),
    default=0,
)
_VIDEO_TYPE = OptionSpec(
    "video_type",
    "Quality",
    (
        Choice("480p", 0, "Standard definition"),
        Choice("720p", 1, "High definition"),
    ),
    default=0,
)

ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec(
        name="upscale",
        icon="M4 10V4h6 M20 14v6h-6 M4 4l6.5 6.5 M20 20l-6.5-6.5",
        tooltip="Upscale this image (Subtle or Creative)",
        op="upscale",
        flow=FLOW_OPTIONS,
        dialog="OptionsPopover",
        options=(_UPSCALE_TYPE,),
        crumb="U{n}",
    ),
    ActionSpec(
        name="variation",
        icon="M12 3l1.9 6.1L20 11l-6.1 1.9L12 19l-1.9-6.1L4 11l6.1-1.9z M19 3v4 M17 5h4",
        tooltip="Make four variations of this image (Subtle or Strong, optional new prompt)",
        op="variation",
        flow=FLOW_OPTIONS,
        dialog="OptionsPopover",
        options=(_VARIATION_TYPE,),
        prompt=PromptSpec(
            "remix_prompt", required=False, empty_text="Optional: a new prompt to steer it"
        ),
        crumb="V{n}",
    ),
    ActionSpec(
        name="remix",
        icon="M3 7h3.5c4.5 0 6.5 10 11 10H21 M3 17h3.5c4.5 0 6.5-10 11-10H21"
        " M18 4l3 3-3 3 M18 14l3 3-3 3",
        tooltip="Redo this image with a new prompt (Subtle or Strong)",
        op="remix",
        flow=FLOW_OPTIONS,
        dialog="OptionsPopover",
        options=(_REMIX_MODE,),
        prompt=PromptSpec(
            "remix_prompt",
            required=True,
            empty_text="The new prompt",
            prefill_parent_prompt=True,
        ),
        crumb="remix {n}",
    ),
    ActionSpec(
        name="pan",
        icon="M12 3v18 M3 12h18 M9 6l3-3 3 3 M9 18l3 3 3-3 M6 9l-3 3 3 3 M18 9l3 3-3 3",
        tooltip="Extend this image in one direction",
        op="pan",
        flow=FLOW_EDITOR,
        dialog="PanDialog",
        crumb="pan {direction}",
    ),
    ActionSpec(
        name="outpaint",
        icon="M8.5 8.5h7v7h-7z M3 8V3h5 M16 3h5v5 M21 16v5h-5 M8 21H3v-5",
        tooltip="Zoom out: extend this image on every side",
        op="outpaint",
        flow=FLOW_EDITOR,
        dialog="OutpaintDialog",
        crumb="zoom out {scale}",
    ),
    ActionSpec(
        name="inpaint",
        icon="M14.5 4.5l5 5L11 18l-5-5z M6 13l-2.5 6.5L10 17 M13 6l5 5",
        tooltip="Repaint (inpaint): paint a mask over the part to redo",
        op="inpaint",
        flow=FLOW_EDITOR,
        dialog="MaskEditor",
        crumb="repaint {n}",
    ),
    ActionSpec(
        name="edit",
        icon="M4 20h4L19.5 8.5l-4-4L4 16z M13.5 6.5l4 4",
        tooltip="Edit: move or resize the image on a canvas and repaint with a prompt",
        op="edit",
        flow=FLOW_EDITOR,
        dialog="CanvasEditor",
        crumb="edit {n}",
    ),
    ActionSpec(
        name="enhance",
        icon="M4 20L15 9 M13 7l2 2 M17 3v3 M20.5 6.5h-3 M19.5 2.5l-1.5 1.5 M8 4v2 M9 5H7"
        " M19 13v2 M20 14h-2",
        tooltip="Enhance this draft image to full quality",
        op="enhance",
        flow=FLOW_CONFIRM,
        dialog="ConfirmPopover",
        crumb="enhance {n}",
    ),
    ActionSpec(
        name="animate",
        icon="M3.5 5.5h17v13h-17z M10 9v6l5-3z",
        tooltip="Animate: make a short video from this image (480p or 720p)",
        op="video_diffusion",
        flow=FLOW_OPTIONS,
        dialog="OptionsPopover",
        options=(_VIDEO_TYPE,),
        prompt=PromptSpec(
            "prompt", required=False,
            empty_text="Optional: how it moves · --motion low|high --loop --raw --bs 1|2|4 --end URL",
        ),
        crumb="animate {n}",
        expensive=True,
        aliases=("video", "video_diffusion", "video-diffusion", "animate_high", "animate_low"),
    ),
    ActionSpec(
        name="extend_video",
        label="Extend",
        icon="M3.5 6.5h11v11h-11z M8 10v4l3-2z M17.5 9l3 3-3 3 M14.5 12h6",
        tooltip="Extend this video by 4 more seconds (at most 4 times), optionally with a prompt",
        op="extend_video",
        flow=FLOW_OPTIONS,
        dialog="OptionsPopover",
        prompt=PromptSpec("prompt", required=False, empty_text="Optional: what happens next · --motion high"),
        crumb="extend {n}",
        expensive=True,
        index_param="video_no",
        aliases=("extend-video", "extend"),
    ),
    ActionSpec(
        name="video_upscale",
        icon="M3.5 5.5h17v13h-17z M10 9v6l5-3z M15 2.5h5.5V8 M20.5 2.5L16 7",
        tooltip="Upscale this video to a higher resolution",
        op="video_upscale",
        flow=FLOW_CONFIRM,
        dialog="ConfirmPopover",
        crumb="upscale video {n}",
        expensive=True,
        index_param="video_no",
        aliases=("video-upscale",),
    ),
    ActionSpec(
        name="reroll",
        icon="M20 12a8 8 0 1 1-2.4-5.7 M20 4v5h-5",
        tooltip="Run the same prompt again for a new grid",
        op="reroll",
        flow=FLOW_CONFIRM,
        dialog="ConfirmPopover",
        scope=SCOPE_JOB,
        crumb="reroll",
    ),
)

_TOPAZ_OPTIONS = (
    OptionSpec(
        "target_resolution",
        "Resolution",
        tuple(Choice(name, name, f"{edge} px on the long edge") for name, edge in TOPAZ_LONG_EDGE.items()),
        default="2K",
        priced=True,
    ),
    OptionSpec(
        "content_type",
        "Content",
        (
            Choice("Standard", "standard", "General purpose, mixed content"),
            Choice("Photo", "photo", "Photographs, realistic images"),
            Choice("Illustration", "illustration", "Digital art, CGI, drawings"),
            Choice("Text", "text", "Documents, screenshots with text"),
            Choice("Low-res", "low_res", "Very low quality source images"),
        ),
        default="standard",
    ),
    OptionSpec(
        "aspect_ratio",
        "Aspect",
        (Choice("Keep", "keep", "The image's own aspect"),
         *(Choice(r, r, f"Reshaped to {r}") for r in ("1:1", "16:9", "9:16", "4:5", "5:4", "3:2", "2:3", "4:3",
                                                     "3:4"))),
        default="keep",
    ),
    OptionSpec(
        "crop_mode",
        "Fit",
        (
            Choice("Letterbox", "letterbox", "A new aspect pads the whole image with bars"),
            Choice("Crop", "crop", "A new aspect crops the image to fill it"),
            Choice("Stretch", "stretch", "A new aspect stretches the image to fill it"),
        ),
        default="letterbox",
        unless=("aspect_ratio", "keep"),
    ),
    OptionSpec(
        "output_format",
        "Format",
        (
            Choice("JPEG", "jpeg", "Smallest files"),
            Choice("PNG", "png", "Lossless"),
            Choice("TIFF", "tiff", "Lossless, for print"),
        ),
        default="jpeg",
    ),
    OptionSpec(
        "face_enhancement_level",
        "Faces",
        (
            Choice("Off", "off", "No faces in the image"),
            Choice("Subtle", "subtle", "Gentle, for natural portraits"),
            Choice("Moderate", "moderate", "Balanced (the default)"),
            Choice("Strong", "strong", "For low-quality faces"),
        ),
        default="moderate",
    ),
)

IMAGE_TOOLS: tuple[ActionSpec, ...] = (
    ActionSpec(
        name="describe",
        icon="M4 5h16v10H9l-5 4z M8 9h8 M8 12h5",
        tooltip="Describe: four prompts that could have made this image (one click puts one in the editor)",
        op="describe",
        flow=FLOW_CONFIRM,
        dialog="ConfirmPopover",
        crumb="describe {n}",
        studio=True,
    ),
    ActionSpec(
        name="retexture",
        icon="M4 4h16v16H4z M4 10l6-6 M4 16L16 4 M8 20L20 8 M14 20l6-6",
        tooltip="Retexture: keep the shapes, change the materials and surfaces with a prompt",
        op="retexture",
        flow=FLOW_OPTIONS,
        dialog="OptionsPopover",
        prompt=PromptSpec("remix_prompt", required=True, checked=True,
                          empty_text="The new material, e.g. brushed copper, knitted wool"),
        crumb="retexture {n}",
        studio=True,
    ),
    ActionSpec(
        name="remove_background",
        label="Remove background",
        icon="M12 3l8 4.5v9L12 21l-8-4.5v-9z M4 7.5l8 4.5 8-4.5 M12 12v9",
        tooltip="Remove the background: a cut-out with a transparent background (PNG)",
        op="remove_background",
        flow=FLOW_CONFIRM,
        dialog="ConfirmPopover",
        crumb="cut-out {n}",
        studio=True,
        aliases=("remove-background",),
    ),
    ActionSpec(
        name="enhance_upscale",
        label="Topaz",
        icon="M3 15v6h6 M21 9V3h-6 M3 21l7-7 M21 3l-7 7 M14 21h7v-7",
        tooltip="Topaz upscale: enlarge this image to HD … 12K (credits by resolution)",
        op="enhance_upscale",
        flow=FLOW_OPTIONS,
        dialog="OptionsPopover",
        options=_TOPAZ_OPTIONS,
        verb="Upscale",
        crumb="Topaz {n}",
        studio=True,
        aliases=("enhance-upscale", "topaz"),
    ),
)

# Local actions: no server request, so they never appear in ACTIONS (which mirrors the
# server's available_actions) but are drawn with the same buttons.
SAVE_ICON = "M12 4v11 M7.5 10.5L12 15l4.5-4.5 M5 19.5h14"
SAVE_ALL = ActionSpec(
    name="save_all",
    label="Save all",
    icon=SAVE_ICON,
    tooltip="Save every image of this job, with its prompt embedded, to the download folder",
    op="",
    flow=FLOW_LOCAL,
    dialog="",
    scope=SCOPE_JOB,
)

_BY_NAME: dict[str, ActionSpec] = {}
for _spec in (*ACTIONS, *IMAGE_TOOLS):
    _BY_NAME[_spec.name] = _spec
    for _alias in _spec.aliases:
        _BY_NAME[_alias] = _spec

# The order buttons appear in under an image: most used first, unknown names after these.
BUTTON_ORDER: tuple[str, ...] = tuple(spec.name for spec in (*ACTIONS, *IMAGE_TOOLS))

# Breadcrumb words for the pan `direction` values (docs: 0 down, 1 right, 2 up, 3 left).
PAN_DIRECTIONS: dict[int, str] = {0: "down", 1: "right", 2: "up", 3: "left"}

# Breadcrumb step for a job by operation name (lineage shows how a job was made).
_CRUMB_BY_OP: dict[str, str] = {spec.op: spec.crumb for spec in (*ACTIONS, *IMAGE_TOOLS) if spec.crumb}


# The keyword naming the output acted on, by operation (image_no unless the registry says).
_INDEX_PARAM_BY_OP: dict[str, str] = {spec.op: spec.index_param for spec in ACTIONS}
_STUDIO_OPS = frozenset(spec.op for spec in IMAGE_TOOLS)


def is_studio_op(op: str) -> bool:
    """Whether `op` is one of IMAGE_TOOLS (its request names its image its own way)."""
    return op in _STUDIO_OPS


def image_tools(kind: str, listed: list[str]) -> list[str]:
    """The studio's tools offered on an output of this kind ("image" | "video") that the
    server's `listed` names do not already cover (an image only: a video frame has no URL)."""
    if kind != "image":
        return []
    covered = {spec_for(name).name for name in listed if spec_for(name) is not None}
    return [spec.name for spec in IMAGE_TOOLS if spec.name not in covered]


def index_param_for(op: str) -> str:
    """"image_no" or "video_no": how `op` names the output it acts on."""
    return _INDEX_PARAM_BY_OP.get(op, "image_no")


def spec_for(name: str) -> ActionSpec | None:
    """The registry entry for a server action name, or None if the studio does not know it."""
    return _BY_NAME.get(name)


def unknown_tooltip(name: str) -> str:
    return (
        f"“{name}”: the server offers this action, but this version of the studio does not "
        "know it yet, so it cannot send it."
    )


def image_actions(available: dict[str, object], image_no: int) -> list[str]:
    """The action names the server lists for image `image_no`, in button order.

    Only list-valued entries that contain the index count; booleans (reroll) are job-level.
    Unknown names keep the server's order after the known ones.
    """
    names = [
        name
        for name, value in available.items()
        if isinstance(value, (list, tuple)) and image_no in _ints(value)
    ]
    return _ordered(names)


# Requests the docs define on every image of a finished image job, whether or not the server's
# available_actions list them (Video Diffusion: `jobId` + `imageNo` 0-3 animates any image).
DOCUMENTED_ON_IMAGES: tuple[str, ...] = ("animate",)


def with_documented(available: dict[str, object], count: int) -> dict[str, object]:
    """`available` plus the documented image actions it leaves out, on all `count` images. Only
    for a job the server offers actions on at all (a cut-out or a Topaz result it does not)."""
    if not available or count <= 0:
        return available
    named = {spec_for(name) for name in available}
    extra = {name: list(range(count)) for name in DOCUMENTED_ON_IMAGES if spec_for(name) not in named}
    return {**available, **extra} if extra else available


def job_actions(available: dict[str, object]) -> list[str]:
    """The job-level action names (boolean entries that are true, e.g. reroll)."""
    return _ordered([name for name, value in available.items() if value is True])


def crumb_for(op: str, image_no: int | None, kwargs: dict | None = None) -> str:
    """Breadcrumb step for a job made by `op` from image `image_no` ("U2", "pan right")."""
    template = _CRUMB_BY_OP.get(op)
    if not template:
        return op.replace("_", " ")
    kwargs = kwargs or {}
    direction = kwargs.get("direction")
    scale = kwargs.get("scale")
    values = {
        "n": "" if image_no is None else str(image_no + 1),
        "direction": PAN_DIRECTIONS.get(direction, "") if isinstance(direction, int) else "",
        "scale": f"{scale:g}×" if isinstance(scale, (int, float)) else "",
    }
    return " ".join(template.format(**values).split())


def expiry_reason(job: Any, now: datetime) -> str | None:
    """Why actions on this job are no longer valid (3 days after creation), or None.

    An unknown creation time is not treated as expired: the server will say if it is.
    """
    created = getattr(getattr(job, "meta", None), "created_at", None)
    if created is None:
        return None
    if created.tzinfo is None:
        created = created.replace(tzinfo=timezone.utc)
    age = now - created
    if age <= timedelta(days=ACTION_VALID_DAYS):
        return None
    days = age.days
    return (
        f"Expired: actions on an image are valid for {ACTION_VALID_DAYS} days after its job "
        f"was created; this one was created {created:%Y-%m-%d %H:%M} UTC ({days} days ago). "
        "Run the prompt again to act on it."
    )


def time_left(job: Any, now: datetime) -> timedelta | None:
    """How long actions on this job stay valid (None: unknown creation time, or expired)."""
    created = getattr(getattr(job, "meta", None), "created_at", None)
    if created is None:
        return None
    if created.tzinfo is None:
        created = created.replace(tzinfo=timezone.utc)
    left = created + timedelta(days=ACTION_VALID_DAYS) - now
    return left if left.total_seconds() > 0 else None


def time_left_text(left: timedelta) -> str:
    """"5 h", "40 min": how long is left, rounded up (never "0 min" while it is valid)."""
    minutes = max(1, math.ceil(left.total_seconds() / 60))
    return f"{math.ceil(minutes / 60)} h" if minutes > 60 else f"{minutes} min"


def _ints(values) -> list[int]:
    return [v for v in values if isinstance(v, int) and not isinstance(v, bool)]


def _ordered(names: list[str]) -> list[str]:
    rank = {name: i for i, name in enumerate(BUTTON_ORDER)}

    def key(item: tuple[int, str]) -> tuple[int, int]:
        position, name = item
        spec = spec_for(name)
        if spec is None:
            return (len(rank), position)
        return (rank[spec.name], position)

    return [name for _, name in sorted(enumerate(names), key=key)]

