"""Benchmark: parse + validate + cost of an 8192-character prompt with 40 flags.

Target: median <= 1 ms: the editor lints when typing pauses (benchmarks/typing.py measures the
keystrokes themselves), and a {a, b} set lints each of its up to 40 prompts. Prints one JSON
line per figure (medians over many runs). Caches are not involved: every run parses fresh text.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from studio.prompt import lint, parse  # noqa: E402
from studio.prompt.rules import load_rules  # noqa: E402

FLAGS = [
    "--ar 16:9", "--s 250", "--c 20", "--w 500", "--q 2", "--seed 12345", "--stop 80",
    "--iw 1.5", "--sw 300", "--sv 4", "--tile", "--raw", "--exp 20", "--fast",
    "--no people, cars, text", "--sref https://example.com/s1.png https://example.com/s2.png",
    "--cref https://example.com/c.png", "--cw 50", "--oref https://example.com/o.png", "--ow 200",
    "--p abc123", "--draft", "--hd", "--stylize 300", "--chaos 10", "--weird 100",
    "--aspect 3:2", "--quality 1", "--v 7", "--style raw", "--turbo", "—ar 4:3", "--foo bar",
    "--s 5000", "--iw 9", "--sref 12345 random", "--motion high", "--relax", "--stop 5",
    "--seed 99",
]


def make_prompt(length: int = 8192) -> str:
    head = "https://example.com/a.png https://example.com/b.png "
    tail = " " + " ".join(FLAGS)
    words = ("a weathered lighthouse on a basalt cliff::2 storm clouds, spray, gulls::1.5 "
             "moody cinematic light, volumetric fog::-0.5 ")
    body_len = length - len(head) - len(tail)
    body = (words * (body_len // len(words) + 1))[:body_len]
    text = head + body + tail
    assert len(text) == length, len(text)
    return text


def median_ms(fn, text: str, runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn(text)
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def main() -> None:
    load_rules()  # loaded once per process, like the app
    text = make_prompt()
    assert len(parse(text).flags) == len(FLAGS)
    for _ in range(50):
        lint(text)
    runs = 2000
    full = median_ms(lambda t: lint(t), text, runs)
    only_parse = median_ms(lambda t: parse(t), text, runs)
    # What the editor does when typing pauses: lint, then colour every token.
    with_tokens = median_ms(lambda t: lint(t).parsed.tokens, text, runs)
    typical = "https://example.com/a.png castle on a cliff::2 fog::-0.5 --ar 16:9 --v 8.1 --s 250 --raw"
    short = median_ms(lambda t: lint(t), typical, runs)
    print(json.dumps({"metric": "prompt_lint_8192_chars_40_flags_median", "value": round(full, 4),
                      "unit": "ms", "target": "<= 1", "runs": runs,
                      "note": "parse + validate + cost"}))
    print(json.dumps({"metric": "prompt_parse_8192_chars_40_flags_median",
                      "value": round(only_parse, 4), "unit": "ms", "runs": runs}))
    print(json.dumps({"metric": "prompt_lint_and_tokens_8192_chars_median",
                      "value": round(with_tokens, 4), "unit": "ms", "runs": runs,
                      "note": "lint plus every highlight token of the body"}))
    print(json.dumps({"metric": "prompt_lint_typical_prompt_median", "value": round(short, 4),
                      "unit": "ms", "runs": runs, "note": f"{len(typical)} characters, 4 flags"}))

if __name__ == "__main__":
    main()
