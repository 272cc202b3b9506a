"""What `eas matrix` is given: its settings, its error, and the HTTP transport its requests go
over (shared by the flow per version and the deviation probes)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from easclient.client.auth import Credential
from easclient.client.netconfig import choose_proxy
from easclient.errors import EasError
from easclient.tls import httpx_verify
from easclient.url import resolve_target


class MatrixError(EasError):
    """The matrix could not start (bad URL, OPTIONS failed); carries the offending value."""

    def __init__(self, message: str, *, value: object = None) -> None:
        super().__init__(message)
        self.value = value


@dataclass
class MatrixConfig:
    """What ``eas matrix`` runs against and how.

    ``heartbeat`` is the Ping that should simply expire (Status 1); ``long_heartbeat`` (off by
    default, since a server that accepts it holds the request that long) probes the server's
    maximum; ``all_versions`` adds the versions the server does not advertise.
    """

    url: str
    user: str
    password: str
    profile: str = "iphone"
    versions: tuple[str, ...] | None = None
    all_versions: bool = False
    heartbeat: int = 5
    long_heartbeat: int | None = None
    ping_margin: float = 15.0
    verify: bool = True
    ca_file: str | None = None
    keepalive_probe: int = 20
    parallel: int = 4
    deviations: bool = True
    device_seed: str = "eas-matrix"
    log: Callable[[str], None] | None = None
    timeout: float = 30.0
    extra: dict[str, str] = field(default_factory=dict)
    #: sign-in other than Basic (the deviation probes, which test Basic, are then left out)
    credential: Credential | None = field(default=None, repr=False)
    client_cert: str | None = None
    client_key: str | None = None
    proxy: str | None = None


def http_transport(config: MatrixConfig, *, keepalive: bool = False) -> httpx.BaseTransport:
    """A fresh connection per request unless ``keepalive`` (the flow's results then do not
    depend on how the server treats reused connections; that has a probe of its own)."""
    try:
        verify = httpx_verify(
            config.ca_file,
            verify=config.verify,
            client_cert=config.client_cert,
            client_key=config.client_key,
        )
        proxy = choose_proxy(resolve_target(config.url).base, config.proxy)
    except EasError as exc:
        raise MatrixError(str(exc), value=config.ca_file or config.client_cert) from None
    limits = httpx.Limits() if keepalive else httpx.Limits(max_keepalive_connections=0)
    return httpx.HTTPTransport(verify=verify, limits=limits, proxy=proxy)
