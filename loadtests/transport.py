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
import ipaddress
import select
import ssl
import sys
from collections.abc import Callable

import gevent.socket as gsocket
from gevent.monkey import get_original
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
#: getsockopt(IPPROTO_TCP, TCP_INFO): struct tcp_info, ``tcpi_unacked`` at byte offset 24.
_TCP_INFO = getattr(gsocket, "TCP_INFO", 11)
#: The kernel's poll, not gevent's (a zero-timeout check needs no hub, and no fd limit).
_poll = get_original("select", "poll")


class GeventTransport:
    """One device's connection to the server (or to a NAT proxy standing in front of it)."""

    __slots__ = (
        "_auth_header",
        "_close_cause",
        "_host_header",
        "_sock",
        "_used",
        "base_url",
        "connect_address",
        "connect_timeout",
        "direct",
        "late_grace",
        "on_connect",
        "ping_slow",
        "read_timeout",
        "reconnect_cause",
        "retry_log",
        "server_hostname",
        "slow",
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
        late_grace: float = 0.0,
        direct: bool = False,
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
        #: Seconds to keep waiting after a read timeout when the request did reach the server's
        #: side (see :meth:`send`); 0: the timeout ends the exchange as before.
        self.late_grace = late_grace
        #: Nothing between us and the server but loopback/LAN (no NAT, no proxy): a request
        #: the server's kernel acknowledged and never answered is a slow server, not a NAT.
        self.direct = direct
        #: How the last exchange was slow: "late" (answered within the grace), "server-slow"
        #: (unanswered, but a NAT is ruled out), or None.
        self.slow: str | None = None
        self.ping_slow: str | None = None
        self._sock = None
        self._used = False
        self._close_cause: str | None = None
        self.reconnect_cause = ""
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
        #: Why the connection before this one ended (read by ``on_connect`` on a reconnect).
        self.reconnect_cause = self._close_cause or "client closed"
        self._close_cause = None
        if self.on_connect is not None:
            self.on_connect(reconnect)
        return sock

    def _alive(self, sock: gsocket.socket) -> bool:
        """An idle keep-alive socket must not be readable; readable means FIN, RST or junk.

        Asked with the original (unpatched) ``poll`` and a zero timeout: ``select()`` refuses
        descriptors above FD_SETSIZE (1024), so with more than ~1,000 devices in a process
        every healthy connection looked dead and was replaced before each request.
        """
        try:
            fd = sock.fileno()
            if fd < 0:
                return False
            poller = _poll()
            poller.register(fd, select.POLLIN | select.POLLPRI)
            return not poller.poll(0)
        except (OSError, ValueError):
            return False

    def close(self, cause: str = "client closed") -> None:
        """Close the connection; ``cause`` is reported with the next connect (why it was a
        reconnect)."""
        if self._sock is not None:
            self._close_cause = cause
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

    def _grace(self, sock) -> bool:
        """After a read timeout: wait ``late_grace`` more when the wire says the request got
        through (every byte of it acknowledged, TCP_INFO), since then a late answer means a busy
        server. Bytes still unacknowledged mean the path is gone: a black hole at once."""
        if self.late_grace <= 0 or not request_acknowledged(sock):
            return False
        self.slow = "late"
        sock.settimeout(self.late_grace)
        return True

    def send(self, request: EasRequest, *, read_timeout: float | None = None) -> EasResponse:
        """One request and its answer on the kept connection (opened when there is none, or
        when the server closed it while idle). Raises :class:`NetworkError`; ``slow`` says
        afterwards whether the answer came, or failed to come, after ``read_timeout``
        (``ping_slow`` the same for the last Ping, which the Syncs after it do not erase)."""
        ping = request.query is not None and str(request.query.cmd) == "Ping"
        try:
            return self._exchange(request, read_timeout)
        finally:
            if ping:
                self.ping_slow = self.slow

    def _exchange(self, request: EasRequest, read_timeout: float | None) -> EasResponse:
        self.slow = None
        sock = self._sock
        if sock is not None and not self._alive(sock):
            self.close("server closed the idle connection")
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
                try:
                    data = sock.recv(_RECV)
                except (TimeoutError, gsocket.timeout):
                    if self.slow is not None or not self._grace(sock):
                        raise
                    continue
                if not data:
                    raise ConnectionAbortedError(errno.EPIPE, "closed before a complete answer")
                parser.feed(data)
        except (OSError, HTTPParseError, EasError) as exc:
            outcome = _classify(exc, phase)
            if self.slow == "late" and outcome is PingOutcome.BLACKHOLE and self.direct:
                self.slow = "server-slow"
            elif self.slow == "late":
                self.slow = None
            cause = self.slow or f"{outcome.value} during {phase}"
            self.close(cause)
            raise NetworkError(
                f"{self.server_hostname}: {outcome.value} during {phase}: {exc}",
                outcome=outcome,
                url=self.base_url,
            ) from None
        if parser.should_close():
            self.close("server answered Connection: close")
        return EasResponse(
            parser.get_code(), Headers(dict(parser.items())), bytes(parser._body_buffer)
        )


#: Seconds a device on a direct path (no NAT, loopback) keeps waiting for a late answer.
LATE_GRACE_DIRECT = 30.0


def path_settings(
    base_url: str, connect_address: tuple[str, int] | None, ping_margin: float
) -> tuple[bool, float]:
    """(direct, late grace) for devices of ``base_url`` connecting to ``connect_address``.

    Direct: the server is on a loopback address and no proxy stands in between, so no NAT can
    lose a connection; a timeout there is a slow server, and the grace is long. Otherwise (a NAT
    proxy, a remote server) a late answer and a black hole look alike once the grace (one more
    Ping margin) has passed, and the timeout counts as a black hole.
    """
    if connect_address is not None:
        return False, ping_margin
    host = base_url.split("://", 1)[-1].split("/", 1)[0]
    host = host[1:].split("]", 1)[0] if host.startswith("[") else host.rsplit(":", 1)[0]
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    return (True, LATE_GRACE_DIRECT) if loopback else (False, ping_margin)


def request_acknowledged(sock) -> bool:
    """Whether the peer's TCP acknowledged everything we sent (Linux TCP_INFO
    ``tcpi_unacked`` == 0). With a user-space proxy in the path its kernel acknowledges, so this
    proves only that the bytes reached the next hop. True where TCP_INFO is unavailable."""
    try:
        info = sock.getsockopt(gsocket.IPPROTO_TCP, _TCP_INFO, 104)
    except (OSError, AttributeError):
        return True
    if len(info) < 28:
        return True
    return int.from_bytes(info[24:28], sys.byteorder) == 0


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
