"""The httpx transport a check's device uses: a fresh connection for every request, and with
``--resolve`` a fixed address for the host name while the URL, the Host header and TLS SNI keep
the name (a device with a cached DNS answer, reproduced).

Why no keep-alive: a check measures what the path does to *one* request held idle (a Ping). A
pooled connection that sat idle between two requests may already have been forgotten by the NAT
under test, and the next request would be lost for a reason that has nothing to do with it.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterable, Mapping
from typing import Any

import httpcore
import httpx

from easclient.tls import client_context

from .target import CheckError

_NO_KEEPALIVE = httpx.Limits(max_connections=10, max_keepalive_connections=0)
_ONE_KEPT = httpx.Limits(max_connections=10, max_keepalive_connections=1, keepalive_expiry=5.0)


class _PinnedBackend(httpcore.NetworkBackend):
    """Connects to the pinned address for a pinned host name, and elsewhere as asked."""

    def __init__(self, pins: Mapping[str, str]) -> None:
        self._pins = {host.lower(): addr for host, addr in pins.items()}
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        address = self._pins.get(host.lower(), host)
        return self._inner.connect_tcp(address, port, timeout, local_address, socket_options)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        return self._inner.connect_unix_socket(path, timeout, socket_options)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def check_transport(
    verify: ssl.SSLContext | bool,
    pins: Mapping[str, str] | None = None,
    *,
    proxy: str | None = None,
    keepalive: bool = False,
) -> httpx.HTTPTransport:
    """An ``httpx.HTTPTransport`` without keep-alive; connections to ``pins``' hosts go to
    their addresses.

    httpx has no public hook for the network backend, so for pins the transport's connection
    pool is rebuilt with ours (httpcore's public API); the --resolve tests guard this.
    Through a ``proxy`` the proxy resolves the name, so pins do not apply. ``keepalive``: for
    NTLM, whose handshake must finish on the connection it began on (one request still gets a
    fresh connection: the challenge is per connection).
    """
    limits = _ONE_KEPT if keepalive else _NO_KEEPALIVE
    transport = httpx.HTTPTransport(verify=verify, limits=limits, proxy=proxy)
    if not pins or proxy:
        return transport
    if not hasattr(transport, "_pool"):
        raise CheckError("this httpx version does not allow --resolve (no connection pool)")
    if isinstance(verify, ssl.SSLContext):
        ssl_context = verify
    else:
        ssl_context = client_context(verify=verify is not False)
    transport._pool = httpcore.ConnectionPool(
        ssl_context=ssl_context,
        max_connections=10,
        max_keepalive_connections=limits.max_keepalive_connections,
        network_backend=_PinnedBackend(pins),
    )
    return transport
