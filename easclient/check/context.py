"""What the steps of one check share: the target, the options, and the facts earlier steps found."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from easclient.client.auth import Credential
from easclient.client.limits import DEFAULT_DEADLINE

from .target import Target


@dataclass
class CheckOptions:
    """How to check (the CLI's flags, as values)."""

    user: str | None = None
    password: str | None = field(default=None, repr=False)
    ca_file: str | None = None
    insecure: bool = False
    connect_timeout: float = 5.0
    request_timeout: float = 60.0
    profile: str = "iphone"
    sync_windows: int = 4
    ping_heartbeat: int = 5
    ping_margin: float = 5.0
    ping_follow_max: int = 120
    expiry_warn_days: int = 30
    probe_heartbeat: bool = False
    probe_min: int = 60
    probe_max: int = 1800
    probe_budget: float = 3600.0
    probe_lanes: int = 6
    #: the client's bounds on an answer (None: the client's defaults, README "Limits")
    max_response_size: int | None = None
    response_deadline: float = DEFAULT_DEADLINE
    max_wait: float | None = None
    #: how to sign in when not Basic with user and password (bearer, OAuth, NTLM, ...)
    credential: Credential | None = field(default=None, repr=False)
    #: mutual TLS: a client certificate (PEM) and its key when apart
    client_cert: str | None = None
    client_key: str | None = None
    #: an outbound HTTP proxy (CONNECT for https), from --proxy or HTTPS_PROXY / NO_PROXY
    proxy: str | None = None


@dataclass
class CheckContext:
    """Target, options and facts. Steps read earlier facts and add their own."""

    target: Target
    options: CheckOptions
    #: every address DNS gave (or the pinned / literal address), in order
    addresses: list[str] = field(default_factory=list)
    #: the address later steps connect to (the first that accepted TCP)
    connect_address: str | None = None
    #: whether TLS came up (None: not tried / plain HTTP)
    tls_ok: bool | None = None
    #: anything else a step wants to hand on (e.g. the protocol session)
    facts: dict[str, Any] = field(default_factory=dict)
    #: host, port -> addresses; None means the system resolver (getaddrinfo)
    resolver: Callable[[str, int], list[str]] | None = None
