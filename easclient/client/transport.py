"""Moving an :class:`~easclient.protocol.EasRequest` over HTTP and back.

The device's flows (``device.py``) speak to a :class:`Transport` — one method,
``send(request, read_timeout=None) -> EasResponse`` — so they do not care what carries the
bytes. :class:`HttpxTransport` is the real one: a synchronous ``httpx.Client`` (which gevent can
monkey-patch for locust), explicit timeouts, TLS verification on by default with an optional CA
file, optional TCP keepalive, Basic or Bearer authentication, and an optional capture of every
exchange. Tests plug an ``httpx.MockTransport`` or ``httpx.ASGITransport``-like transport in.

The server URL may name the endpoint's path (``http://host/SOGo/Microsoft-Server-ActiveSync``);
without one, requests go to the standard ``/Microsoft-Server-ActiveSync``.

Network failures become :class:`NetworkError` carrying a :class:`PingOutcome` (reset, closed,
black hole, TLS, connect) so callers can tell them apart without knowing httpx.
"""

from __future__ import annotations

import base64
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import httpx

from easclient.errors import EasError
from easclient.protocol import EasRequest, EasResponse, Headers
from easclient.protocol.http import endpoint_path

from .capture import CaptureWriter
from .heartbeat import PingOutcome
from .outcome import classify_ping_exception


@dataclass(frozen=True)
class BasicAuth:
    """HTTP Basic (RFC 7617): what most EAS servers accept."""

    user: str
    password: str = ""

    def header(self) -> str:
        raw = f"{self.user}:{self.password}".encode()
        return "Basic " + base64.b64encode(raw).decode("ascii")

    def secrets(self) -> tuple[str, ...]:
        """What a capture must never hold: the password and the header's credential."""
        return (self.password, self.header().split(" ", 1)[1])

    def __repr__(self) -> str:  # never show the password, not even in a traceback
        return f"BasicAuth(user={self.user!r}, password=***)"


@dataclass(frozen=True)
class BearerAuth:
    """An OAuth 2.0 bearer token (RFC 6750), as Exchange Online uses."""

    token: str

    def header(self) -> str:
        return f"Bearer {self.token}"

    def secrets(self) -> tuple[str, ...]:
        return (self.token,)

    def __repr__(self) -> str:
        return "BearerAuth(token=***)"


Auth = BasicAuth | BearerAuth


class NetworkError(EasError):
    """The request got no HTTP response: reset, closed, timed out, TLS or connect failure."""

    def __init__(self, message: str, *, outcome: PingOutcome, url: str) -> None:
        super().__init__(message)
        self.outcome = outcome
        self.url = url


class Transport(Protocol):
    """What the device needs from whatever carries its requests."""

    base_url: str

    def send(self, request: EasRequest, *, read_timeout: float | None = None) -> EasResponse:
        """Send ``request`` to ``base_url``; ``read_timeout`` overrides the default for this
        request (a Ping waits heartbeat + margin). Raises :class:`NetworkError`."""
        ...

    def close(self) -> None: ...


def keepalive_socket_options(idle: int, interval: int | None = None, count: int = 3) -> list:
    """Socket options for TCP keepalive: first probe after ``idle`` s of silence, then every
    ``interval`` s, give up after ``count`` unanswered probes (Linux names; others skipped)."""
    opts: list[tuple[int, int, int]] = [(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)]
    interval = interval or max(1, idle // 3)
    for name, value in (
        ("TCP_KEEPIDLE", idle),
        ("TCP_KEEPINTVL", interval),
        ("TCP_KEEPCNT", count),
    ):
        if hasattr(socket, name):
            opts.append((socket.IPPROTO_TCP, getattr(socket, name), int(value)))
    return opts


def _describe(exc: BaseException, outcome: PingOutcome, url: str) -> str:
    host = httpx.URL(url).host
    what = {
        PingOutcome.RESET: "the connection was reset",
        PingOutcome.CLOSED: "the server closed the connection without an answer",
        PingOutcome.BLACKHOLE: "no answer before the read timeout",
        PingOutcome.CONNECT_ERROR: "cannot connect",
        PingOutcome.TLS_ERROR: "TLS failed",
    }.get(outcome, "network error")
    detail = str(exc) or type(exc).__name__
    hint = ""
    if outcome is PingOutcome.TLS_ERROR and "certificate" in detail.lower():
        hint = " (use --ca-file for a private CA)"
    return f"{host}: {what}: {detail}{hint}"


class HttpxTransport:
    """The httpx-based transport (synchronous client)."""

    def __init__(
        self,
        base_url: str,
        *,
        auth: Auth | None = None,
        verify: bool = True,
        ca_file: str | None = None,
        connect_timeout: float = 30.0,
        read_timeout: float = 120.0,
        tcp_keepalive: int | None = None,
        transport: httpx.BaseTransport | None = None,
        capture: CaptureWriter | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise EasError(f"server URL must start with http:// or https://, got {base_url!r}")
        if "?" in base_url or "#" in base_url:
            raise EasError(f"server URL must not carry a query or fragment, got {base_url!r}")
        if tcp_keepalive is not None and tcp_keepalive < 1:
            raise EasError(f"TCP keepalive idle time must be at least 1 s, got {tcp_keepalive}")
        self.base_url = base_url
        self.auth = auth
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.capture = capture
        if capture is not None and auth is not None:
            # Scrubbed even when the caller did not hand them to the capture itself.
            for secret in auth.secrets():
                capture.add_secret(secret)
        self._clock = clock
        if ca_file:
            try:
                ssl_verify: ssl.SSLContext | bool = ssl.create_default_context(cafile=ca_file)
            except (OSError, ssl.SSLError) as exc:
                raise EasError(f"cannot load CA file {ca_file!r}: {exc}") from exc
        else:
            ssl_verify = verify
        if transport is None:
            transport = httpx.HTTPTransport(
                verify=ssl_verify,
                socket_options=keepalive_socket_options(tcp_keepalive) if tcp_keepalive else None,
            )
        # follow_redirects off: EAS redirects with 451 + X-MS-Location, which the device handles.
        self._client = httpx.Client(transport=transport, follow_redirects=False, verify=ssl_verify)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpxTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send(self, request: EasRequest, *, read_timeout: float | None = None) -> EasResponse:
        url = request.url(self.base_url)
        headers = Headers(request.headers)
        if self.auth is not None:
            headers["Authorization"] = self.auth.header()
        timeout = httpx.Timeout(
            connect=self.connect_timeout,
            read=self.read_timeout if read_timeout is None else read_timeout,
            write=self.connect_timeout,
            pool=self.connect_timeout,
        )
        started = self._clock()
        sent = EasRequest(
            request.method,
            endpoint_path(self.base_url, request.path),
            request.query,
            headers,
            request.body,
            request.base64_query,
        )
        try:
            r = self._client.request(
                request.method, url, headers=dict(headers), content=request.body, timeout=timeout
            )
        except httpx.TransportError as exc:
            outcome = classify_ping_exception(exc)
            err = NetworkError(_describe(exc, outcome, url), outcome=outcome, url=url)
            if self.capture is not None:
                self.capture.record(sent, None, url=url, elapsed=self._clock() - started, error=err)
            raise err from exc
        response = EasResponse(r.status_code, Headers(dict(r.headers)), r.content)
        if self.capture is not None:
            self.capture.record(sent, response, url=url, elapsed=self._clock() - started)
        return response
