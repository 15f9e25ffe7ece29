"""Run the sandbox on its own:
`python -m studio.sandbox --port 8765 [--key K]... [--speed F] [--faults SPEC] [--no-progress]
[--concurrent-limit N] [--no-account-endpoints]`."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from .account import DEFAULT_CONCURRENT_LIMIT
from .faults import FaultSpec
from .server import SandboxServer


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m studio.sandbox",
        description="Offline Legnext API simulator (images made locally, nothing leaves this machine).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port (0 picks a free one; default 8765)")
    parser.add_argument("--key", action="append", dest="keys", metavar="KEY",
                        help="accepted API key (repeatable); by default any non-empty key is accepted")
    parser.add_argument("--speed", type=float, default=1.0,
                        help="divide every simulated duration by this (default 1: a diffusion takes ~5 s)")
    parser.add_argument("--faults", default="", metavar="SPEC",
                        help='injected fault shares, e.g. "429=0.1,500=0.05,drop=0.02,slow=0.1,fail=0.05"')
    parser.add_argument("--balance", type=int, default=10_000, help="starting credits (default 10000)")
    parser.add_argument("--image-size-cap", type=int, default=None, metavar="PX",
                        help="shrink generated images so their long edge is at most PX")
    parser.add_argument("--seed", type=int, default=None, help="seed for job seeds (reproducible runs)")
    parser.add_argument("--no-progress", dest="progress", action="store_false",
                        help="leave `progress` out of job answers, as in the vendor's samples")
    parser.add_argument("--concurrent-limit", type=int, default=DEFAULT_CONCURRENT_LIMIT, metavar="N",
                        help="concurrent_limit reported by /account/active_tasks "
                             f"(default {DEFAULT_CONCURRENT_LIMIT}; nothing is refused for it)")
    parser.add_argument("--no-account-endpoints", dest="account_endpoints", action="store_false",
                        help="answer /account/info and /account/active_tasks with 404, like a server without them")
    args = parser.parse_args(argv)
    if args.speed <= 0:
        parser.error("--speed must be positive")
    if args.concurrent_limit < 1:
        parser.error("--concurrent-limit must be at least 1")
    try:
        args.fault_spec = FaultSpec.parse(args.faults) if args.faults else None
    except ValueError as exc:
        parser.error(f"--faults: {exc}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    server = SandboxServer(
        host=args.host, port=args.port, keys=args.keys, speed=args.speed, faults=args.fault_spec,
        balance=args.balance, image_size_cap=args.image_size_cap, seed=args.seed, progress=args.progress,
        concurrent_limit=args.concurrent_limit, account_endpoints=args.account_endpoints,
    )
    try:
        server.start()
    except (OSError, RuntimeError) as exc:
        print(f"sandbox: could not listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    keys = f"{len(args.keys)} configured key(s)" if args.keys else "any non-empty x-api-key"
    print(f"Legnext sandbox on {server.base_url} (accepts {keys}; speed x{args.speed:g}). Ctrl-C stops.",
          flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
