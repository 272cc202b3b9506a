"""The one place a server URL typed by a person becomes what the client, `eas check`, the matrix
and the load generator use.

``mail.example.com`` means ``https://mail.example.com``; a path names the ActiveSync endpoint
when it is not the standard one (SOGo: ``/SOGo/Microsoft-Server-ActiveSync``); without one,
requests go to ``/Microsoft-Server-ActiveSync`` (MS-ASHTTP 2.2.1.1.1). A query, a fragment, a
port out of range or a scheme other than http(s) is refused with :class:`UrlError`.

:func:`resolve_target` is the entry point for anything a user may give instead of a URL: today
only URLs; Autodiscover (MS-ASAB: an e-mail address → the server's URL) plugs in there.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from easclient.errors import EasError, excerpt
from easclient.protocol.http import ACTIVESYNC_PATH

__all__ = ["ServerUrl", "UrlError", "parse_server_url", "resolve_target"]


class UrlError(EasError):
    """A server URL we cannot use; ``value`` is the text as given."""


@dataclass(frozen=True)
class ServerUrl:
    """A server URL, checked and split."""

    scheme: str
    host: str
    """The host name (lower case) or address (IPv6 without brackets)."""
    port: int | None
    """The port the URL names, None for the scheme's default."""
    path: str = ""
    """The path as given, without a trailing slash ('' for none)."""

    @property
    def tls(self) -> bool:
        return self.scheme == "https"

    @property
    def effective_port(self) -> int:
        """The port connected to: the URL's, else 443 for https and 80 for http."""
        return self.port or (443 if self.tls else 80)

    @property
    def netloc(self) -> str:
        """host[:port], IPv6 hosts bracketed."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}" if self.port else host

    @property
    def base(self) -> str:
        """scheme://host[:port][/path]: what the client is given (it sends every request to the
        path when there is one, else to the standard one)."""
        return f"{self.scheme}://{self.netloc}{self.path}"

    @property
    def origin(self) -> str:
        """scheme://host:port with the port always written, and no path."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.effective_port}"

    @property
    def endpoint_path(self) -> str | None:
        """The path when it is not the standard /Microsoft-Server-ActiveSync, else None."""
        return self.path if self.path and self.path != ACTIVESYNC_PATH else None


def parse_server_url(text: str) -> ServerUrl:
    """Check and split a server URL (see the module docstring); raises :class:`UrlError`."""
    given = text
    url = text if "://" in text else "https://" + text
    quoted = excerpt(given)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:  # an unclosed IPv6 bracket, a port out of range or not a number
        if "out of range" in str(exc):
            raise UrlError(f"port out of range in {quoted}", value=given) from None
        raise UrlError(f"not a URL: {quoted} ({exc})", value=given) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UrlError(
            f"the server URL must be http(s)://host[:port][/path], got {quoted}", value=given
        )
    if parts.query or parts.fragment or "?" in url or "#" in url:
        raise UrlError(
            f"the server URL must not carry a query or fragment, got {quoted}", value=given
        )
    if port is not None and not 1 <= port <= 65535:
        raise UrlError(f"port out of range in {quoted}", value=given)
    return ServerUrl(parts.scheme, parts.hostname, port, parts.path.rstrip("/"))


def resolve_target(url: str) -> ServerUrl:
    """What a user named as the server, as a :class:`ServerUrl`.

    An e-mail address (``alice@example.com``) is not a URL: Autodiscover turns it into one
    (:meth:`EasClient.connect` and the CLI commands run it first; ``eas discover`` shows it).
    """
    if "@" in url and "://" not in url and "/" not in url:
        raise UrlError(
            f"{excerpt(url)} looks like an e-mail address: find its server with Autodiscover "
            "(eas discover, or EasClient.connect with the address) or give the server's URL",
            value=url,
        )
    return parse_server_url(url)
