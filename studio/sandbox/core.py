"""The sandbox's moving parts in one place, shared by the HTTP layer and the server."""

from __future__ import annotations

import asyncio
import random
import threading
from dataclasses import dataclass, field
from typing import Any

from .account import DEFAULT_CONCURRENT_LIMIT
from .clock import SandboxClock
from .faults import FaultInjector, FaultSpec
from .render import Renderer
from .state import DEFAULT_MAX_REQUESTS, SandboxState


class RequestRefused(Exception):
    """A request the server answers with an error body instead of a job."""

    def __init__(self, status: int, message: str, detail: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.detail = detail


@dataclass
class SandboxCore:
    keys: frozenset[str] | None = None  # None: any non-empty key
    speed: float = 1.0
    balance: int = 10_000
    image_size_cap: int | None = None
    faults_spec: FaultSpec | None = None
    durations: dict[str, float] | None = None
    seed: int | None = None
    progress: bool = True  # send the job's `progress` (no vendor sample shows it)
    max_requests: int | None = DEFAULT_MAX_REQUESTS
    concurrent_limit: int = DEFAULT_CONCURRENT_LIMIT  # reported by /account/active_tasks only
    account_endpoints: bool = True  # False: /account/info and /account/active_tasks are 404
    clock: SandboxClock = field(default_factory=SandboxClock)

    def __post_init__(self) -> None:
        if self.speed <= 0:
            raise ValueError("speed must be positive")
        if isinstance(self.concurrent_limit, bool) or not isinstance(self.concurrent_limit, int) \
                or self.concurrent_limit < 1:
            raise ValueError("concurrent_limit must be a positive integer")
        self.account_created = self.clock.now()  # the account's created_at in /account/info
        self.state = SandboxState(self.clock, self.balance, self.max_requests)
        self.faults = FaultInjector(self.faults_spec)
        self.renderer = Renderer(self.state, self.image_size_cap)
        self._rng = random.Random(self.seed)
        self._rng_lock = threading.Lock()
        # Live connections by client address, so a "drop" fault can close one mid-request.
        self.connections: dict[tuple[str, int], asyncio.Protocol] = {}

    def key_accepted(self, key: str | None) -> bool:
        if not key:
            return False
        return self.keys is None or key in self.keys

    def random_seed(self) -> int:
        with self._rng_lock:
            return self._rng.randrange(2**32)
