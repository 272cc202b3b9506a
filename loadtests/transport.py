"""A gevent transport for simulated devices: one keep-alive TCP (or TLS) connection per device,
HTTP/1.1 written by hand and read with geventhttpclient's C parser (llhttp).

Why not ``HttpxTransport`` under gevent: measured here it made ~730 POSTs/s on one core against
~2,500 for locust's ``FastHttpUser`` (geventhttpclient), and the capacity target needs the latter.
Why not geventhttpclient's ``HTTPClient``: each one carries a connection pool (semaphore, queue)
per device, sets the socket timeout only when connecting (a Ping needs heartbeat + margin, a
Sync seconds), and turns a reset before the first byte into "connection closed" — while the NAT
scenarios need resets, closes and black holes told apart (they drive the heartbeat strategies).

Implements :class:`easclient.client.Transport`. TCP keepalive is per device; TLS uses one
``ssl.SSLContext`` shared by every device of the process (a context per device costs ~840 KB).
"""

from __future__ import annotations

import contextlib
import errno
import select
import ssl
from collections.abc import Callable

import gevent.socket as gsocket
from geventhttpclient._parser import HTTPParseError
from geventhttpclient.response import HTTPResponse

from easclient.client import NetworkError, PingOutcome
from easclient.client.transport import keepalive_socket_options
from easclient.errors import EasError
from easclient.protocol import EasRequest, EasResponse, Headers
from easclient.protocol.http import endpoint_path
from easclient.tls import client_context
from easclient.url import parse_server_url

_RECV = 16384


class GeventTransport:
    """One device's connection to the server (or to a NAT proxy standing in front of it)."""

    __slots__ = (
        "_auth_header",
        "_host_header",
        "_sock",
        "_used",
        "base_url",
        "connect_address",
        "connect_timeout",
        "on_connect",
        "read_timeout",
        "retry_log",
        "server_hostname",
        "socket_options",
        "source_address",
        "ssl_context",
    )

    def __init__(
        self,
        base_url: str,
        *,
        auth_header: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
        connect_address: tuple[str, int] | None = None,
        source_address: str | None = None,
        connect_timeout: float = 30.0,
        read_timeout: float = 120.0,
        tcp_keepalive: int | None = None,
        on_connect: Callable[[bool], None] | None = None,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise EasError(f"server URL must start with http:// or https://, got {base_url!r}")
        self.base_url = base_url
        self._auth_header = auth_header
        self.ssl_context = ssl_context
        self.connect_address = connect_address
        self.source_address = source_address
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.socket_options = keepalive_socket_options(tcp_keepalive) if tcp_keepalive else None
        self.on_connect = on_connect
        self.retry_log: list[str] = []  # never resends: a failure is the device's to see
        self._sock = None
        self._used = False
        self._host_header = ""
        self.server_hostname = ""

    # -- connection -------------------------------------------------------------------------
    def _target(self) -> tuple[str, int, bool]:
        server = parse_server_url(self.base_url)  # base_url changes on a 451 redirect
        self._host_header = server.netloc
        self.server_hostname = server.host
        return server.host, server.effective_port, server.tls

    def _connect(self) -> gsocket.socket:
        host, port, tls = self._target()
        address = self.connect_address or (host, port)
        family = gsocket.AF_INET6 if ":" in address[0] else gsocket.AF_INET
        sock = gsocket.socket(family, gsocket.SOCK_STREAM)
        try:
            sock.setsockopt(gsocket.IPPROTO_TCP, gsocket.TCP_NODELAY, 1)
            for level, name, value in self.socket_options or ():
                sock.setsockopt(level, name, value)
            if self.source_address:
                # Several 127.x source addresses: ~28k ports each towards one server port.
                sock.bind((self.source_address, 0))
            sock.settimeout(self.connect_timeout)
            sock.connect(address)
            if tls:
                if self.ssl_context is None:
                    raise EasError("an https:// URL needs an SSL context")
                sock = self.ssl_context.wrap_socket(sock, server_hostname=host)
        except BaseException:
            sock.close()
            raise
        reconnect = self._used
        self._used = True
        if self.on_connect is not None:
            self.on_connect(reconnect)
        return sock

    def _alive(self, sock: gsocket.socket) -> bool:
        """An idle keep-alive socket must not be readable; readable means FIN, RST or junk."""
        try:
            if sock.fileno() < 0:
                return False
            readable, _, _ = select.select([sock], [], [], 0.0)
            return not readable
        except (OSError, ValueError):
            return False

    def close(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.close()

    # -- one exchange -----------------------------------------------------------------------
    def _head(self, request: EasRequest) -> bytes:
        # A server URL with a path (SOGo: /SOGo/Microsoft-Server-ActiveSync) names the endpoint.
        path = endpoint_path(self.base_url, request.path)
        qs = request.query_string
        target = f"{path}?{qs}" if qs else path
        lines = [f"{request.method} {target} HTTP/1.1", f"Host: {self._host_header}"]
        for name, value in request.headers.items():
            lines.append(f"{name}: {value}")
        if self._auth_header:
            lines.append(f"Authorization: {self._auth_header}")
        lines.append(f"Content-Length: {len(request.body or b'')}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def send(self, request: EasRequest, *, read_timeout: float | None = None) -> EasResponse:
        sock = self._sock
        if sock is not None and not self._alive(sock):
            self.close()
            sock = None
        phase = "connect"
        try:
            if sock is None:
                sock = self._sock = self._connect()
            phase = "send"
            sock.settimeout(self.read_timeout if read_timeout is None else read_timeout)
            sock.sendall(self._head(request) + (request.body or b""))
            phase = "read"
            parser = HTTPResponse(method=request.method)
            while not parser.message_complete:
                data = sock.recv(_RECV)
                if not data:
                    raise ConnectionAbortedError(errno.EPIPE, "closed before a complete answer")
                parser.feed(data)
        except (OSError, HTTPParseError, EasError) as exc:
            self.close()
            outcome = _classify(exc, phase)
            raise NetworkError(
                f"{self.server_hostname}: {outcome.value} during {phase}: {exc}",
                outcome=outcome,
                url=self.base_url,
            ) from None
        if parser.should_close():
            self.close()
        return EasResponse(
            parser.get_code(), Headers(dict(parser.items())), bytes(parser._body_buffer)
        )


def _classify(exc: BaseException, phase: str) -> PingOutcome:
    """What a failed exchange looked like on the wire (the classes of easclient.client.outcome)."""
    if isinstance(exc, ssl.SSLError) and not isinstance(exc, ssl.SSLEOFError):
        return PingOutcome.TLS_ERROR
    if isinstance(exc, TimeoutError | gsocket.timeout):
        return PingOutcome.CONNECT_ERROR if phase == "connect" else PingOutcome.BLACKHOLE
    if phase == "connect":
        if isinstance(exc, ConnectionResetError):
            return PingOutcome.RESET
        return PingOutcome.CONNECT_ERROR
    if isinstance(exc, ConnectionResetError) or getattr(exc, "errno", None) == errno.ECONNRESET:
        return PingOutcome.RESET
    return PingOutcome.CLOSED


def shared_ssl_context(ca_file: str | None = None, insecure: bool = False) -> ssl.SSLContext:
    """One client context for every device in the process (verification on unless insecure)."""
    return client_context(ca_file, verify=not insecure)
