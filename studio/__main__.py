"""Command line: `legnext-studio [--offline] [--base-url URL] [--screenshot PATH]` opens the studio;
`legnext-studio lint ...` checks prompts without starting Qt.

Imports stay inside the functions: `lint` must never load Qt, and the window should be on screen
as soon as possible.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

DEMO_FILE = "legnext-studio-demo.png"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="legnext-studio",
        description="A desktop prompt studio for Midjourney through the Legnext API. "
                    "Without an API key it runs on a built-in offline sandbox.",
        epilog="From the command line: legnext-studio lint | generate | history | show | resume | "
               "export (each with --help)",
    )
    parser.add_argument("--offline", action="store_true",
                        help="use the built-in offline sandbox even when an API key is set")
    parser.add_argument("--base-url", metavar="URL",
                        help="send jobs to this server instead of https://api.legnext.ai/api (https, or "
                             "plain http on this machine only; LEGNEXT_STUDIO_INSECURE_HTTP=1 allows more)")
    parser.add_argument("--screenshot", metavar="PATH", type=Path,
                        help="run a demo job on the sandbox, save the window as a PNG at PATH, exit "
                             "(works without a display)")
    parser.add_argument("--sandbox-speed", metavar="F", type=float,
                        help="divide the sandbox's simulated job durations by F (default 2)")
    parser.add_argument("--size", metavar="WxH",
                        help="initial window size, e.g. 1600x1000")
    return parser


def has_display() -> bool:
    """False on Linux/BSD with no X11/Wayland display and no Qt platform chosen explicitly."""
    if not sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        return True
    env = os.environ
    return bool(env.get("DISPLAY") or env.get("WAYLAND_DISPLAY") or env.get("QT_QPA_PLATFORM"))


def _size(text: str | None) -> tuple[int, int] | None:
    if not text:
        return None
    try:
        w, h = (int(part) for part in text.lower().split("x", 1))
    except ValueError:
        raise SystemExit(f"legnext-studio: --size wants WxH, e.g. 1600x1000, not {text!r}") from None
    return (max(400, w), max(300, h))


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "lint":
        from studio.prompt.cli import main as lint_main

        return int(lint_main(argv[1:]) or 0)
    from studio import logs
    from studio.commands import COMMANDS, checked_base_url  # plain Python, no Qt

    logs.early()  # records kept from here; the file opens once the window is on screen
    if argv and argv[0] in COMMANDS:
        from studio.commands import main as jobs_main

        return jobs_main(argv[0], argv[1:])

    args = _parser().parse_args(argv)
    if args.base_url:
        args.base_url = checked_base_url(args.base_url, "legnext-studio")
        if args.base_url is None:
            return 2
    screenshot: Path | None = args.screenshot
    no_display = False
    if screenshot is not None:
        # Rendering a file needs no screen: choose Qt's offscreen platform before Qt starts.
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    elif not has_display():
        no_display = True
        screenshot = Path.cwd() / DEMO_FILE
        print("legnext-studio: no display found (neither DISPLAY nor WAYLAND_DISPLAY is set), so the "
              f"window cannot open here. Rendering a demo of the studio to {screenshot} instead.",
              flush=True)
        os.environ["QT_QPA_PLATFORM"] = "offscreen"

    from studio.app import run

    code = run(offline=args.offline, base_url=args.base_url, screenshot=screenshot,
               sandbox_speed=args.sandbox_speed, size=_size(args.size))
    if no_display and code == 0:
        print(f"legnext-studio: the demo picture is at {screenshot}. Run the studio on a machine with "
              "a display (or set DISPLAY) to use it interactively.", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
