"""The mock server's run-time state: mailboxes, devices, faults, statistics."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from .config import MockConfig, Personality
from .faults import FaultSet
from .mailbox import MailStore
from .syncstate import DeviceRegistry


@dataclass
class Stats:
    """Counters the control API reports (``GET /_mock/stats``)."""

    requests: Counter = field(default_factory=Counter)
    http_status: Counter = field(default_factory=Counter)
    ping_results: Counter = field(default_factory=Counter)
    parked_pings: int = 0
    max_parked_pings: int = 0
    deliveries: int = 0
    faults_fired: Counter = field(default_factory=Counter)
    bad_requests: int = 0
    #: Requests and connections the server's bounds ended: header_timeout, body_timeout,
    #: body_too_large, refused_connection (per-address cap), shutdown (parked, answered 503).
    limits: Counter[str] = field(default_factory=Counter)
    started: float = field(default_factory=time.time)

    def park(self) -> None:
        self.parked_pings += 1
        self.max_parked_pings = max(self.max_parked_pings, self.parked_pings)

    def unpark(self) -> None:
        self.parked_pings -= 1

    def to_dict(self) -> dict:
        return {
            "requests": dict(self.requests),
            "http_status": {str(k): v for k, v in self.http_status.items()},
            "ping_results": {str(k): v for k, v in self.ping_results.items()},
            "parked_pings": self.parked_pings,
            "max_parked_pings": self.max_parked_pings,
            "deliveries": self.deliveries,
            "faults_fired": {str(k): v for k, v in self.faults_fired.items()},
            "bad_requests": self.bad_requests,
            "limits": dict(self.limits),
            "uptime": round(time.time() - self.started, 3),
        }


class MockState:
    """Everything one running mock server holds; the ASGI app and the control API share it."""

    def __init__(self, config: MockConfig) -> None:
        self.config = config
        self.personality: Personality = config.effective_personality()
        self.store = MailStore(config.users, config.seed, config.messages_per_folder, config.domain)
        self.devices = DeviceRegistry()
        self.faults = FaultSet(random.Random(f"faults-{config.seed}"))
        if config.faults_file:
            self.faults.load_file(config.faults_file)
        self.stats = Stats()
        self.rng = random.Random(f"server-{config.seed}")
        #: Set by the server: finds the transport of a client (host, port), for drop/reset.
        self.transport_lookup: Callable[[tuple[str, int]], asyncio.Transport | None] | None = None
        #: The URL clients use (set once the server listens), for 451 redirects by default.
        self.url: str = ""
        #: Set when the server begins to stop: parked requests end with 503, none park anew.
        self.stopping = False

    def new_policy_key(self) -> int:
        # Non-zero uint32: a zero key means "not provisioned" to many clients.
        return self.rng.randrange(1, 2**32)
