"""What `eas check` is pointed at: the URL, split into the parts each step needs, and the pinned
address from ``--resolve HOST:ADDR`` (a device's cached DNS answer, reproduced)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from easclient.errors import EasError
from easclient.url import resolve_target


class CheckError(EasError):
    """Bad input to a check (a URL or a ``--resolve`` value we cannot use); names the value."""


@dataclass(frozen=True)
class Target:
    """The server a check talks to."""

    url: str
    scheme: str
    host: str
    port: int
    pinned: str | None = None
    path: str | None = None
    """The endpoint's path when the URL names one other than the standard
    /Microsoft-Server-ActiveSync (SOGo without a reverse-proxy alias, for instance)."""

    @property
    def host_is_address(self) -> bool:
        """True when the URL names an IP address rather than a host name."""
        return _as_address(self.host) is not None

    @property
    def tls(self) -> bool:
        return self.scheme == "https"

    @property
    def base_url(self) -> str:
        """scheme://host:port with no path (IPv6 hosts bracketed)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"


def _as_address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None


def parse_target(url: str, resolve: list[str] | None = None) -> Target:
    """Split ``url`` (through :func:`easclient.url.resolve_target`) and apply ``--resolve``
    entries (``HOST:ADDR`` or curl's ``HOST:PORT:ADDR``).

    A bare host (``mail.example.com``) means ``https://mail.example.com``; the EAS path is
    implied, as devices imply it.
    """
    server = resolve_target(url)
    host, port = server.host, server.effective_port
    pinned = None
    for entry in resolve or []:
        name, addr = _parse_resolve(entry, port)
        if name.lower() != host.lower():
            raise CheckError(f"--resolve {entry!r} names {name!r}, but the URL's host is {host!r}")
        pinned = addr
    return Target(
        url=url if "://" in url else "https://" + url,
        scheme=server.scheme,
        host=host,
        port=port,
        pinned=pinned,
        path=server.endpoint_path,
    )


def _parse_resolve(entry: str, url_port: int) -> tuple[str, str]:
    name, sep, rest = entry.partition(":")
    if not sep or not name or not rest:
        raise CheckError(f"--resolve wants HOST:ADDR, got {entry!r}")
    # curl's HOST:PORT:ADDR form: take it when the middle part is a port number.
    port_text, sep2, addr_text = rest.partition(":")
    if sep2 and port_text.isdigit() and _as_address(addr_text) is not None:
        if int(port_text) != url_port:
            raise CheckError(
                f"--resolve {entry!r} is for port {port_text}, the URL uses {url_port}"
            )
        rest = addr_text
    addr = _as_address(rest)
    if addr is None:
        raise CheckError(f"--resolve {entry!r}: {rest!r} is not an IP address")
    return name, str(addr)
