"""The prompts printed in the docs must lint without errors on the model they target.

Sources: REFERENCE.md › Image Parameters › Example Usage, Advanced Prompt Techniques,
Parameter Combination Suggestions, Object Reference, Prompt Best Practices; Video Parameters ›
Example Usage and Parameter Combination Suggestions; Video Diffusion › Advanced Parameters.
Bracketed stand-ins ([URL], [reference image URL], [fixed value], ...) are replaced by real
values first.
"""

from __future__ import annotations

import re

import pytest

from studio.prompt import lint

BRACKETED_VALUES = {
    "[reference image URL]": "https://example.com/character.png",
    "[object reference URL]": "https://example.com/object.png",
    "[URL]": "https://example.com/ref.png",
    "[character image]": "https://example.com/character.png",
    "[style image]": "https://example.com/style.png",
    "[fixed value]": "12345",
    "[image url]": "https://example.com/end.png",
}

IMAGE_EXAMPLES = [
    # Example Usage
    "A cute kitten --ar 16:9 --stylize 100",
    "Beautiful landscape, sunset --quality 1 --chaos 50",
    "Portrait --cref [reference image URL] --niji",
    "A small duck holding a magic wand --oref [object reference URL]",
    "Dynamic explosion --chaos 75 --weird 250 --s 200",
    "Minimalist design --raw --stylize 0 --stop 80",
    "Mountain scenery --ar 16:9",
    "Abstract art --stylize 500 --weird 750",
    # Advanced Prompt Techniques
    "Hot dog:: animal --ar 16:9",
    "Hot:: dog:: animal --ar 16:9",
    "Beach::2 mountain forest --ar 16:9",
    "Beautiful garden --no weeds, dead plants, brown leaves",
    "Portrait --no glasses, hat, beard",
    "Landscape --no buildings, cars, people",
    "Professional portrait --quality 2 --stylize 50 --chaos 10",
    "Abstract art --stylize 750 --weird 1500 --chaos 80",
    "Character design --cref [URL] --seed 12345 --stylize 200",
    # "Dynamic action scene --niji 6 --motion 4 --chaos 30" contradicts the docs' own rules:
    # see test_motion_4_in_the_image_example_is_an_error below.
    # Object Reference
    "A small duck holding a magic wand --oref http://image.png",
    # Prompt Best Practices
    "Portrait of an elderly wizard, oil painting style, long white beard, wise eyes, wearing "
    "purple robes, mystical library background --ar 2:3 --stylize 200 --quality 1",
]

# Parameter Combination Suggestions (parameters only; a subject is put in front).
SUGGESTIONS = [
    "--quality 1 --stylize 250 --chaos 10",
    "--chaos 75 --stylize 50 --weird 500",
    "--cref [character image] --seed [fixed value] --chaos 0",
    "--sref [style image] --stylize 100 --iw 1.5",
    "--stylize 50 --quality 1 --raw",
    "--stylize 750 --weird 1000 --chaos 80",
    "--niji 6 --stylize 200 --quality 1",
    "--chaos 25 --stylize 150",
]

VIDEO_EXAMPLES = [
    "Create a video with high motion --motion high",
    "Generate a looping video with specific end frame --loop --end https://example.com/end-frame.jpg",
    "Create multiple videos with raw mode --bs 4 --raw",
    "Combine parameters for precise control --motion low --loop --bs 2",
    "https://example.com/image.jpg A cinematic landscape --motion high",
    "https://example.com/image.jpg A peaceful sunset scene --raw",
    "https://example.com/start.jpg A transformation sequence --end https://example.com/end.jpg",
    "https://example.com/image.jpg Rotating product display --loop",
    "https://example.com/image.jpg A dynamic animation --bs 2",
    "https://example.com/image.jpg Epic camera movement through the scene --motion high --raw --loop --bs 1",
]

VIDEO_SUGGESTIONS = [
    "--motion low --loop",
    "--motion high --bs 2",
    "--raw --motion low",
    "--end [image url] --motion high",
]


def fill(text: str) -> str:
    for k, v in BRACKETED_VALUES.items():
        text = text.replace(k, v)
    assert not re.search(r"\[[^\]]*\]", text), text
    return text


@pytest.mark.parametrize("text", IMAGE_EXAMPLES + ["A lighthouse at dusk " + s for s in SUGGESTIONS])
def test_image_examples_lint_without_errors(text):
    # The model is the one the example names (--niji), else the documented default v7.
    r = lint(fill(text))
    assert r.ok, [d.message for d in r.errors]


@pytest.mark.parametrize("text", VIDEO_EXAMPLES + ["https://example.com/start.jpg waves " + s for s in VIDEO_SUGGESTIONS])
def test_video_examples_lint_without_errors_or_warnings(text):
    r = lint(fill(text), video=True)
    assert r.ok
    assert [d for d in r.diagnostics if d.severity == "warning"] == []


def test_motion_4_in_the_image_example_is_an_error():
    """Image Parameters lists `--motion 1-4` and uses `--motion 4` in an image example; the
    Video Parameters page says `low|high`, and Notes 6 makes motion video-only. The reading that
    spends no credits by mistake (issue 13): in an image prompt it is an error (fix: remove it);
    in a video prompt a number is an error whose fix is the matching word."""
    text = "Dynamic action scene --niji 6 --motion 4 --chaos 30"
    r = lint(text)
    assert not r.ok and r.model == "niji6"
    (d,) = r.diagnostics
    assert (d.severity, d.code, d.fix) == ("error", "flag-ignored", "")
    assert text[d.span[0]:d.span[1]] == "--motion 4"
    v = lint("https://example.com/a.png Dynamic action scene --motion 4", video=True)
    assert [(d.severity, d.code, d.fix) for d in v.diagnostics] == [("error", "value-not-allowed", "high")]


def test_enhance_requirement_prompt_is_a_v7_draft():
    r = lint("a castle --v7 --draft")
    assert r.ok and r.model == "7"
