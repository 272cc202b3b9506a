"""What the userspace NAT proxy did to each connection, and when: values for tests and logs.

Times are seconds since the proxy started, read from the proxy's (injectable) clock.
"""

from __future__ import annotations

import enum
import json
from dataclasses import asdict, dataclass, field
from typing import Any


class OnIdle(enum.StrEnum):
    """What the proxy does to a connection whose mapping expires (idle timeout, maximum
    lifetime or public-address change)."""

    DROP = "drop"
    """Black-hole: stop forwarding, keep both sockets open, swallow data from either side —
    a NAT that forgot the mapping and silently discards packets."""
    RESET = "reset"
    """Send an RST to both sides (SO_LINGER 0, then close) — a firewall that resets."""
    CLOSE = "close"
    """Close both sides with a FIN — a proxy that ends idle connections politely."""
    KERNEL = "kernel"
    """Like Linux conntrack NAT by default: silence at expiry; the next data from the client
    gets an RST (and data from the server resets the server's side)."""


class Side(enum.StrEnum):
    CLIENT = "client"
    SERVER = "server"
    PROXY = "proxy"


class EventKind(enum.StrEnum):
    OPENED = "opened"
    """The client connected to the proxy."""
    UPSTREAM_CONNECTED = "upstream-connected"
    CONNECT_FAILED = "connect-failed"
    """The proxy could not reach the target (or its TLS handshake failed); the client is reset."""
    TLS_HANDSHAKE = "tls-handshake"
    """The client's TLS handshake with the proxy succeeded (detail: the TLS version). Failed
    client handshakes never become connections; asyncio logs them."""
    IDLE_EXPIRED = "idle-expired"
    LIFETIME_EXPIRED = "lifetime-expired"
    ADDRESS_CHANGED = "address-changed"
    SWALLOWED = "swallowed"
    """Data that arrived after the mapping expired and was discarded (first occurrence per side)."""
    RESET = "reset"
    """An RST: sent by the proxy (side = the side it was sent to) or received from a peer."""
    CLOSED = "closed"
    """A FIN: received from `side`, or sent by the proxy (side = proxy)."""
    FINISHED = "finished"
    """Both sockets are gone; the connection's log is complete."""


@dataclass(frozen=True)
class ConnectionEvent:
    at: float
    kind: EventKind
    side: Side | None = None
    action: OnIdle | None = None
    detail: str = ""


@dataclass
class ConnectionRecord:
    """One client connection through the proxy: addresses, byte counts and its events."""

    id: int
    client: str
    target: str
    opened_at: float
    closed_at: float | None = None
    bytes_client_to_server: int = 0
    bytes_server_to_client: int = 0
    bytes_swallowed: int = 0
    events: list[ConnectionEvent] = field(default_factory=list)

    def kinds(self) -> list[EventKind]:
        """The event kinds in order (handy in tests)."""
        return [e.kind for e in self.events]

    def find(self, kind: EventKind) -> ConnectionEvent | None:
        """The first event of `kind`, or None."""
        return next((e for e in self.events if e.kind is kind), None)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for event in data["events"]:
            # StrEnum members serialise as their values; drop empty fields to keep logs short.
            for key in ("side", "action", "detail"):
                if event[key] in (None, ""):
                    del event[key]
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"))


def records_to_json(records: list[ConnectionRecord]) -> str:
    """A JSON array of connection records."""
    return json.dumps([r.to_dict() for r in records], indent=2)
