"""Real sockets on 127.0.0.1 for the network and TLS steps: small TLS / plain servers."""

from __future__ import annotations

import datetime as dt
import socket
import socketserver
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest
import trustme


@dataclass
class Served:
    host: str
    port: int
    sni_seen: list[str | None] = field(default_factory=list)


class _Handler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        sock: socket.socket = self.request
        sock.settimeout(5)
        ctx: ssl.SSLContext | None = self.server.tls_context  # type: ignore[attr-defined]
        try:
            if ctx is not None:
                sock = ctx.wrap_socket(sock, server_side=True)
            sock.recv(4096)
            sock.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n")
        except OSError:
            pass  # clients here often hang up after the handshake; that is fine


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


@contextmanager
def serve(host: str = "127.0.0.1", context: ssl.SSLContext | None = None) -> Iterator[Served]:
    """A server on a free port: TLS with ``context``, else plain HTTP; stopped on exit."""
    server = _Server((host, 0), _Handler)
    served = Served(host, server.server_address[1])
    if context is not None:

        def remember_sni(_sock: ssl.SSLObject, name: str | None, _ctx: ssl.SSLContext) -> None:
            served.sni_seen.append(name)

        context.sni_callback = remember_sni
    server.tls_context = context  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield served
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture(scope="session")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="session")
def ca_file(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


def server_context(cert: trustme.LeafCert) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert.configure_cert(ctx)
    return ctx


def issue(
    ca: trustme.CA,
    *names: str,
    days: int | None = None,
    expired: bool = False,
) -> trustme.LeafCert:
    """A leaf for ``names``; ``expired`` ends its validity yesterday, ``days`` from now."""
    now = dt.datetime.now(dt.UTC)
    if expired:
        return ca.issue_cert(
            *names, not_before=now - dt.timedelta(days=30), not_after=now - dt.timedelta(days=1)
        )
    if days is not None:
        return ca.issue_cert(*names, not_after=now + dt.timedelta(days=days))
    return ca.issue_cert(*names)


@pytest.fixture
def free_port() -> int:
    """A port nobody listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


#: What a relay hook returns for a request head: an answer to send back itself (bytes), or the
#: (possibly rewritten) head to forward upstream (a tuple with one element).
HeadAction = bytes | tuple[bytes]


class _HttpRelay(socketserver.BaseRequestHandler):
    """A reverse proxy in miniature: reads the first request head on each connection, lets a
    hook answer it or rewrite it, then relays bytes both ways. (The check opens a connection per
    request, so one head per connection is all it sees.)"""

    def handle(self) -> None:
        client: socket.socket = self.request
        client.settimeout(30)
        head = b""
        try:
            while b"\r\n\r\n" not in head and len(head) < 65536:
                chunk = client.recv(4096)
                if not chunk:
                    return
                head += chunk
            action = self.server.hook(head)  # type: ignore[attr-defined]
            if isinstance(action, bytes):
                client.sendall(action)
                return
            upstream = socket.create_connection(self.server.upstream, timeout=30)  # type: ignore[attr-defined]
        except OSError:
            return
        with upstream:
            upstream.sendall(action[0])
            relay = threading.Thread(target=_pump, args=(upstream, client), daemon=True)
            relay.start()
            _pump(client, upstream)
            relay.join(30)


def _pump(src: socket.socket, dst: socket.socket) -> None:
    try:
        while data := src.recv(65536):
            dst.sendall(data)
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass


@contextmanager
def http_relay(upstream: tuple[str, int], hook) -> Iterator[_Server]:
    """A plain-HTTP relay to ``upstream`` whose ``hook(head)`` answers or rewrites each request."""
    server = _Server(("127.0.0.1", 0), _HttpRelay)
    server.upstream = upstream  # type: ignore[attr-defined]
    server.hook = hook  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def _answer(status: str) -> bytes:
    return f"HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode()


@contextmanager
def options_blocking_proxy(upstream: tuple[str, int]) -> Iterator[_Server]:
    """A relay that answers OPTIONS itself (200, no EAS headers), as blocking proxies do."""
    blocked: list[bytes] = []

    def hook(head: bytes) -> HeadAction:
        if head.startswith(b"OPTIONS "):
            blocked.append(head)
            return _answer("200 OK")
        return (head,)

    with http_relay(upstream, hook) as server:
        server.blocked_heads = blocked  # type: ignore[attr-defined]
        yield server


@contextmanager
def endpoint_at_path(
    upstream: tuple[str, int], prefix: bytes, standard_too: bool = False
) -> Iterator[_Server]:
    """A server whose EAS endpoint is at ``prefix`` + the standard path (as SOGo's); unless
    ``standard_too`` (a reverse-proxy alias), the standard path answers 404."""
    standard = b" /Microsoft-Server-ActiveSync"

    def hook(head: bytes) -> HeadAction:
        line, _, rest = head.partition(b"\r\n")
        if b" " + prefix + standard[1:] in line:
            return (line.replace(b" " + prefix, b" ", 1) + b"\r\n" + rest,)
        if standard_too and (standard + b"?" in line or standard + b" " in line):
            return (head,)
        return _answer("404 Not Found")

    with http_relay(upstream, hook) as server:
        yield server
