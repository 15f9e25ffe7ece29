"""One typed request per operation: its fields are the operation's arguments, `body()` checks
them and builds the JSON the endpoint takes (nothing is sent when a check fails), and
`operation` is its row of the operations table. `LegnextClient.submit(request)` posts any of
them; a stored job's request comes back through `request_for(op, **fields)`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, fields
from typing import Any, ClassVar, Sequence

from studio.api.errors import ValidationError
from studio.api.operations import OPERATIONS, Operation
from studio.api.requests import (
    BLEND_ASPECT_RATIOS,
    BLEND_IMAGES,
    IMAGE_TYPES,
    OUTPAINT_SCALE,
    PAN_DIRECTIONS,
    PAN_SCALE,
    REMIX_MODES,
    TOPAZ_ASPECT_RATIOS,
    TOPAZ_CONTENT_TYPES,
    TOPAZ_CROP_MODES,
    TOPAZ_FACE_ENHANCEMENT,
    TOPAZ_OUTPUT_FORMATS,
    TOPAZ_TARGET_RESOLUTIONS,
    UPSCALE_TYPES,
    VARIATION_TYPES,
    VIDEO_TYPES,
    Canvas,
    CanvasImg,
    Mask,
    body,
    check_choice,
    check_image_no,
    check_image_type,
    check_job_id,
    check_range,
    check_text,
    check_url,
)


def _callback(callback: str | None) -> str | None:
    return None if callback is None else check_url("callback", callback)


def _remix(remix_prompt: str | None) -> str | None:
    return None if remix_prompt is None else check_text("remixPrompt", remix_prompt)


@dataclass(frozen=True)
class JobRequest(ABC):
    """What one POST asks for; subclasses name their operation and build its body."""

    operation: ClassVar[Operation]

    @abstractmethod
    def body(self) -> dict[str, Any]:
        """The checked JSON body (ValidationError, nothing sent, for a bad argument)."""

    def arguments(self) -> dict[str, Any]:
        """The fields as given (what a job record keeps to send it again)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class DiffusionRequest(JobRequest):
    operation: ClassVar[Operation] = OPERATIONS["diffusion"]
    text: str
    callback: str | None = None

    def body(self) -> dict[str, Any]:
        return body(text=check_text("text", self.text), callback=_callback(self.callback))


@dataclass(frozen=True)
class VariationRequest(JobRequest):
    operation: ClassVar[Operation] = OPERATIONS["variation"]
    job_id: str
    image_no: int
    type: int
    remix_prompt: str | None = None
    callback: str | None = None

    def body(self) -> dict[str, Any]:
        return body(
            jobId=check_job_id("jobId", self.job_id),
            imageNo=check_image_no("imageNo", self.image_no),
            type=check_choice("type", self.type, VARIATION_TYPES),
            remixPrompt=_remix(self.remix_prompt),
            callback=_callback(self.callback),
        )


@dataclass(frozen=True)
class UpscaleRequest(JobRequest):
    operation: ClassVar[Operation] = OPERATIONS["upscale"]
    job_id: str
    image_no: int
    type: int
    callback: str | None = None

    def body(self) -> dict[str, Any]:
        return body(
            jobId=check_job_id("jobId", self.job_id),
            imageNo=check_image_no("imageNo", self.image_no),
            type=check_choice("type", self.type, UPSCALE_TYPES),
            callback=_callback(self.callback),
        )


@dataclass(frozen=True)
class RerollRequest(JobRequest):
    operation: ClassVar[Operation] = OPERATIONS["reroll"]
    job_id: str
    callback: str | None = None

    def body(self) -> dict[str, Any]:
        return body(jobId=check_job_id("jobId", self.job_id), callback=_callback(self.callback))


@dataclass(frozen=True)
class BlendRequest(JobRequest):
    operation: ClassVar[Operation] = OPERATIONS["blend"]
    img_urls: Sequence[str]
    aspect_ratio: str
    callback: str | None = None

    def body(self) -> dict[str, Any]:
        if isinstance(self.img_urls, str) or not isinstance(self.img_urls, Sequence):
            raise ValidationError("imgUrls", "must be a list of image URLs")
        low, high = BLEND_IMAGES
        if not low <= len(self.img_urls) <= high:
            raise ValidationError("imgUrls", f"blend takes {low} to {high} images; got {len(self.img_urls)}")
        urls = [check_url(f"imgUrls[{i}]", url) for i, url in enumerate(self.img_urls)]
        return body(
            imgUrls=urls,
            aspect_ratio=check_choice("aspect_ratio", self.aspect_ratio, BLEND_ASPECT_RATIOS),
            callback=_callback(self.callback),
        )


@dataclass(frozen=True)
class DescribeRequest(JobRequest):
    operation: ClassVar[Operation] = OPERATIONS["describe"]
    img_url: str
    callback: str | None = None

    def body(self) -> dict[str, Any]:
        return body(imgUrl=check_url("imgUrl", self.img_url), callback=_callback(self.callback))


@dataclass(frozen=True)
class ShortenRequest(JobRequest):
    operation: ClassVar[Operation] = OPERATIONS["shorten"]
    prompt: str
    callback: str | None = None

    def body(self) -> dict[str, Any]:
        return body(prompt=check_text("prompt", self.prompt), callback=_callback(self.callback))


@dataclass(frozen=True)
class PanRequest(JobRequest):
    operation: ClassVar[Operation] = OPERATIONS["pan"]
    job_id: str
    image_no: int
    direction: int
    scale: float
    remix_prompt: str | None = None
    callback: str | None = None

    def body(self) -> dict[str, Any]:
        return body(
            jobId=check_job_id("jobId", self.job_id),
            imageNo=check_image_no("imageNo", self.image_no),
            direction=check_choice("direction", self.direction, PAN_DIRECTIONS),
            scale=check_range("scale", self.scale, *PAN_SCALE),
            remixPrompt=_remix(self.remix_prompt),
            callback=_callback(self.callback),
        )


@dataclass(frozen=True)
class OutpaintRequest(JobRequest):
    operation: ClassVar[Operation] = OPERATIONS["outpaint"]
    job_id: str
    image_no: int
    scale: float
    remix_prompt: str | None = None
    callback: str | None = None

    def body(self) -> dict[str, Any]:
        return body(
            jobId=check_job_id("jobId", self.job_id),
            imageNo=check_image_no("imageNo", self.image_no),
            scale=check_range("scale", self.scale, *OUTPAINT_SCALE),
            remixPrompt=_remix(self.remix_prompt),
            callback=_callback(self.callback),
        )


@dataclass(frozen=True)
class InpaintRequest(JobRequest):
    operation: ClassVar[Operation] = OPERATIONS["inpaint"]
    job_id: str
    image_no: int
    mask: Mask
    remix_prompt: str | None = None
    callback: str | None = None

    def body(self) -> dict[str, Any]:
        return body(
            jobId=check_job_id("jobId", self.job_id),
            imageNo=check_image_no("imageNo", self.image_no),
            mask=Mask.from_json(self.mask).to_json(),
            remixPrompt=_remix(self.remix_prompt),
            callback=_callback(self.callback),
        )


@dataclass(frozen=True)
class RemixRequest(JobRequest):
    operation: ClassVar[Operation] = OPERATIONS["remix"]
    job_id: str
    image_no: int
    remix_prompt: str
    mode: int | None = None
    callback: str | None = None

    def body(self) -> dict[str, Any]:
        return body(
            jobId=check_job_id("jobId", self.job_id),
            imageNo=check_image_no("imageNo", self.image_no),
            remixPrompt=check_text("remixPrompt", self.remix_prompt),
            mode=None if self.mode is None else check_choice("mode", self.mode, REMIX_MODES),
            callback=_callback(self.callback),
        )


@dataclass(frozen=True)
class EditRequest(JobRequest):
    operation: ClassVar[Operation] = OPERATIONS["edit"]
    job_id: str
    image_no: int
    canvas: Canvas
    img_pos: CanvasImg
    remix_prompt: str
    mask: Mask | None = None
    callback: str | None = None

    def body(self) -> dict[str, Any]:
        return body(
            jobId=check_job_id("jobId", self.job_id),
            imageNo=check_image_no("imageNo", self.image_no),
            canvas=Canvas.from_json(self.canvas).to_json(),
            imgPos=CanvasImg.from_json(self.img_pos).to_json(),
            remixPrompt=check_text("remixPrompt", self.remix_prompt),
            mask=None if self.mask is None else Mask.from_json(self.mask).to_json(),
            callback=_callback(self.callback),
        )


@dataclass(frozen=True)
class UploadPaintRequest(JobRequest):
    operation: ClassVar[Operation] = OPERATIONS["upload_paint"]
    img_url: str
    canvas: Canvas
    img_pos: CanvasImg
    remix_prompt: str
    mask: Mask
    callback: str | None = None

    def body(self) -> dict[str, Any]:
        if self.mask is None:
            raise ValidationError("mask", "upload-paint needs a mask (polygon areas or a mask image url)")
        return body(
            imgUrl=check_url("imgUrl", self.img_url),
            canvas=Canvas.from_json(self.canvas).to_json(),
            imgPos=CanvasImg.from_json(self.img_pos).to_json(),
            remixPrompt=check_text("remixPrompt", self.remix_prompt),
            mask=Mask.from_json(self.mask).to_json(),
            callback=_callback(self.callback),
        )


@dataclass(frozen=True)
class RetextureRequest(JobRequest):
    operation: ClassVar[Operation] = OPERATIONS["retexture"]
    img_url: str
    remix_prompt: str
    callback: str | None = None

    def body(self) -> dict[str, Any]:
        return body(
            imgUrl=check_image_type("imgUrl", check_url("imgUrl", self.img_url), IMAGE_TYPES["retexture"]),
            remixPrompt=check_text("remixPrompt", self.remix_prompt),
            callback=_callback(self.callback),
        )


@dataclass(frozen=True)
class RemoveBackgroundRequest(JobRequest):
    operation: ClassVar[Operation] = OPERATIONS["remove_background"]
    img_url: str
    callback: str | None = None

    def body(self) -> dict[str, Any]:
        return body(imgUrl=check_url("imgUrl", self.img_url), callback=_callback(self.callback))


@dataclass(frozen=True)
class EnhanceRequest(JobRequest):
    operation: ClassVar[Operation] = OPERATIONS["enhance"]
    job_id: str
    image_no: int
    callback: str | None = None

    def body(self) -> dict[str, Any]:
        return body(
            jobId=check_job_id("jobId", self.job_id),
            imageNo=check_image_no("imageNo", self.image_no),
            callback=_callback(self.callback),
        )


@dataclass(frozen=True)
class VideoDiffusionRequest(JobRequest):
    operation: ClassVar[Operation] = OPERATIONS["video_diffusion"]
    prompt: str | None = None
    job_id: str | None = None
    image_no: int | None = None
    video_type: int | None = None
    callback: str | None = None

    def body(self) -> dict[str, Any]:
        if self.job_id is None and self.image_no is not None:
            raise ValidationError("jobId", "is required with imageNo (animate an image of a job)")
        if self.job_id is not None and self.image_no is None:
            raise ValidationError("imageNo", "is required with jobId (which image of the grid to animate)")
        if self.job_id is None and self.prompt is None:
            raise ValidationError("prompt", "give a prompt (with an image URL) or a jobId and imageNo")
        return body(
            jobId=None if self.job_id is None else check_job_id("jobId", self.job_id),
            imageNo=None if self.image_no is None else check_image_no("imageNo", self.image_no),
            prompt=None if self.prompt is None else check_text("prompt", self.prompt),
            videoType=None
            if self.video_type is None
            else check_choice("videoType", self.video_type, VIDEO_TYPES),
            callback=_callback(self.callback),
        )


@dataclass(frozen=True)
class ExtendVideoRequest(JobRequest):
    operation: ClassVar[Operation] = OPERATIONS["extend_video"]
    job_id: str
    video_no: int
    prompt: str | None = None
    callback: str | None = None

    def body(self) -> dict[str, Any]:
        return body(
            jobId=check_job_id("jobId", self.job_id),
            videoNo=check_image_no("videoNo", self.video_no),
            prompt=None if self.prompt is None else check_text("prompt", self.prompt),
            callback=_callback(self.callback),
        )


@dataclass(frozen=True)
class VideoUpscaleRequest(JobRequest):
    operation: ClassVar[Operation] = OPERATIONS["video_upscale"]
    job_id: str
    video_no: int
    callback: str | None = None

    def body(self) -> dict[str, Any]:
        return body(
            jobId=check_job_id("jobId", self.job_id),
            videoNo=check_image_no("videoNo", self.video_no),
            callback=_callback(self.callback),
        )


@dataclass(frozen=True)
class EnhanceUpscaleRequest(JobRequest):
    operation: ClassVar[Operation] = OPERATIONS["enhance_upscale"]
    image_url: str | None = None
    job_id: str | None = None
    image_no: int | None = None
    target_resolution: str | None = None
    content_type: str | None = None
    aspect_ratio: str | None = None
    crop_mode: str | None = None
    output_format: str | None = None
    face_enhancement_level: str | None = None
    callback: str | None = None

    def body(self) -> dict[str, Any]:
        by_task = self.job_id is not None or self.image_no is not None
        if self.image_url is not None and by_task:
            raise ValidationError("image_url", "give either image_url or jobId + imageNo, not both")
        if self.image_url is None and (not by_task):
            raise ValidationError("image_url", "give an image_url, or a jobId and imageNo")
        if by_task and self.job_id is None:
            raise ValidationError("jobId", "is required with imageNo")
        if by_task and self.image_no is None:
            raise ValidationError("imageNo", "is required with jobId")

        def option(field: str, value: str | None, allowed: Sequence[str]) -> str | None:
            return None if value is None else check_choice(field, value, allowed)

        return body(
            image_url=None if self.image_url is None else check_image_type(
                "image_url", check_url("image_url", self.image_url), IMAGE_TYPES["enhance_upscale"]),
            jobId=None if self.job_id is None else check_job_id("jobId", self.job_id),
            imageNo=None if self.image_no is None else check_image_no("imageNo", self.image_no),
            target_resolution=option("target_resolution", self.target_resolution, TOPAZ_TARGET_RESOLUTIONS),
            content_type=option("content_type", self.content_type, TOPAZ_CONTENT_TYPES),
            aspect_ratio=option("aspect_ratio", self.aspect_ratio, TOPAZ_ASPECT_RATIOS),
            crop_mode=option("crop_mode", self.crop_mode, TOPAZ_CROP_MODES),
            output_format=option("output_format", self.output_format, TOPAZ_OUTPUT_FORMATS),
            face_enhancement_level=option(
                "face_enhancement_level", self.face_enhancement_level, TOPAZ_FACE_ENHANCEMENT
            ),
            callback=_callback(self.callback),
        )


# Every request type by its operation's name: where a stored request (op + fields) is rebuilt.
REQUESTS: dict[str, type[JobRequest]] = {cls.operation.name: cls for cls in JobRequest.__subclasses__()}


def request_for(op: str, **arguments: Any) -> JobRequest:
    """The typed request for operation `op` ("upscale", "upload-paint") with these arguments;
    ValidationError (nothing sent) for an unknown operation or arguments it does not take."""
    cls = REQUESTS.get(op.replace("-", "_"))
    if cls is None:
        raise ValidationError("op", f"unknown operation {op!r}; known: {', '.join(REQUESTS)}")
    try:
        return cls(**arguments)
    except TypeError as exc:
        raise ValidationError("op", f"{op}: {exc}") from None
