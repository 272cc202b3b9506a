"""Moving an :class:`~easclient.protocol.EasRequest` over HTTP and back.

The device's flows (``device.py``) speak to a :class:`Transport` — one method,
``send(request, read_timeout=None) -> EasResponse`` — so they do not care what carries the
bytes. :class:`HttpxTransport` is the real one: a synchronous ``httpx.Client`` (which gevent can
monkey-patch for locust), explicit timeouts, TLS verification on by default with an optional CA
file and client certificate, an outbound proxy (``proxy=`` or HTTPS_PROXY/NO_PROXY), optional TCP
keepalive, any credential of :mod:`easclient.client.auth` (Basic, bearer, OAuth, NTLM), and an
optional capture of every exchange. Tests plug an ``httpx.MockTransport`` or
``httpx.ASGITransport``-like transport in.

The server URL may name the endpoint's path (``http://host/SOGo/Microsoft-Server-ActiveSync``);
without one, requests go to the standard ``/Microsoft-Server-ActiveSync``.

Network failures become :class:`NetworkError` carrying a :class:`PingOutcome` (reset, closed,
black hole, TLS, connect) so callers can tell them apart without knowing httpx. One failure is
retried, once, on a new connection: a REUSED keep-alive connection that the server reset or
closed before any byte of the answer (the race of RFC 9112 9.3.1 — the server gave up on the idle
connection as the request went out; SOGo's sogod does it now and then). EAS makes the resend safe:
the same SyncKey gets the same answer (MS-ASCMD 2.2.3.166.4).

Every answer is bounded (:mod:`.limits`): in size, per command (a Content-Length beyond the
limit is refused before any of the body is read; a body is counted as it arrives, so an endless
chunked answer stops at the limit), and in time, by a whole-answer deadline (a Ping's is its
heartbeat + margin; others' is ``limits.deadline``), since httpx's read timeout bounds each read,
not the answer. A body that does not decode (``Content-Encoding: gzip`` and junk) is a
:class:`~.limits.ResponseDecodingError`, not a traceback.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Sequence
from typing import Protocol

import httpx

from easclient.errors import EasError, excerpt
from easclient.protocol import EasRequest, EasResponse, Headers
from easclient.protocol.http import endpoint_path
from easclient.tls import httpx_verify

from .auth import BasicAuth as BasicAuth  # re-exported: the classes used to live here
from .auth import BearerAuth as BearerAuth
from .auth import Credential, httpx_auth
from .capture import CaptureWriter
from .heartbeat import PingOutcome
from .limits import (
    ResponseDeadlineExceeded,
    ResponseDecodingError,
    ResponseLimitError,
    ResponseLimits,
    ResponseTooLarge,
)
from .netconfig import choose_proxy
from .outcome import classify_ping_exception

#: Any way of signing in (Basic, bearer, NTLM, ...): see :mod:`easclient.client.auth`.
Auth = Credential


class NetworkError(EasError):
    """The request got no HTTP response: reset, closed, timed out, TLS or connect failure."""

    def __init__(self, message: str, *, outcome: PingOutcome, url: str) -> None:
        super().__init__(message)
        self.outcome = outcome
        self.url = url


class Transport(Protocol):
    """What the device needs from whatever carries its requests."""

    base_url: str

    @property
    def retry_log(self) -> Sequence[str]:
        """One line per request the transport resent by itself (after a reused connection
        failed, see the module docstring), so the device can report it; a transport that never
        resends keeps it empty."""
        ...

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


#: Commands never resent by the transport: a mail sent twice is two mails (before 14.0 there is
#: no ClientId for the server to spot the duplicate by, MS-ASCMD 2.2.3.28.1).
NOT_RESENT = frozenset({"SendMail", "SmartForward", "SmartReply"})

#: A Ping is resent only if its reused connection failed this soon: the stale-connection race
#: fails within a round trip, while a Ping reset after being held is the path's answer (a NAT
#: or proxy that forgot it), which the heartbeat strategy must see, not a retry hide.
STALE_WINDOW = 0.5


class _DeadlinePassed(httpx.ReadTimeout):
    """The whole answer's deadline passed while its body was still arriving."""


class _Trace:
    """httpcore's trace hook (the ``trace`` request extension): was the connection new, and did
    any of the answer arrive?"""

    def __init__(self) -> None:
        self.connected = False
        self.sent = False
        self.answered = False

    def __call__(self, event: str, info: dict) -> None:
        if event.startswith(("connection.connect_tcp.", "connection.connect_unix_socket.")):
            self.connected = True
        elif event.endswith("send_request_headers.started"):
            self.sent = True
        elif event.endswith("receive_response_headers.complete"):
            self.answered = True

    @property
    def stale(self) -> bool:
        """Sent on a connection from the pool (no connect seen), and no answer came back."""
        return self.sent and not self.connected and not self.answered


class HttpxTransport:
    """The httpx-based transport (synchronous client).

    ``retries`` counts the requests resent after a reused connection failed (see the module
    docstring); ``retry_log`` says what failed, one line each. Transports httpx cannot trace
    (``httpx.MockTransport``) are never retried. ``limits`` bounds every answer's size and time
    (default :class:`~.limits.ResponseLimits`: 64 MiB for a Sync, 300 s for the whole answer).
    """

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
        limits: ResponseLimits | None = None,
        proxy: str | None = None,
        trust_env: bool = True,
        client_cert: str | None = None,
        client_key: str | None = None,
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
        self.limits = limits or ResponseLimits()
        self.retries = 0
        self.retry_log: list[str] = []
        if capture is not None and auth is not None:
            # Scrubbed even when the caller did not hand them to the capture itself.
            for secret in auth.secrets():
                capture.add_secret(secret)
        self._clock = clock
        ssl_verify = httpx_verify(
            ca_file, verify=verify, client_cert=client_cert, client_key=client_key
        )
        if transport is None:
            transport = httpx.HTTPTransport(
                verify=ssl_verify,
                socket_options=keepalive_socket_options(tcp_keepalive) if tcp_keepalive else None,
                proxy=choose_proxy(base_url, proxy, trust_env),
            )
        # follow_redirects off: EAS redirects with 451 + X-MS-Location, which the device handles.
        self._client = httpx.Client(
            transport=transport, follow_redirects=False, verify=ssl_verify, auth=httpx_auth(auth)
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpxTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send(self, request: EasRequest, *, read_timeout: float | None = None) -> EasResponse:
        url = request.url(self.base_url)
        headers = Headers(request.headers)
        if self.auth is not None and httpx_auth(self.auth) is None:  # a flow sets its own
            headers["Authorization"] = self.auth.header()
        budget = self.read_timeout if read_timeout is None else read_timeout
        sent = EasRequest(
            request.method,
            endpoint_path(self.base_url, request.path),
            request.query,
            headers,
            request.body,
            request.base64_query,
        )
        cmd = request.query.cmd if request.query else request.method
        # A Ping's deadline is its own budget (heartbeat + margin); others get the limits'.
        deadline = budget if read_timeout is not None else self.limits.deadline
        max_size = self.limits.size_for(cmd)
        started = self._clock()
        retried = False
        while True:
            attempt_started = self._clock()
            left = deadline - (attempt_started - started) if retried else deadline
            timeout = httpx.Timeout(
                connect=self.connect_timeout,
                # The retry gets what is left of the budget (a Ping's heartbeat + margin); no
                # single read may outlast the whole answer's deadline.
                read=min(budget - (attempt_started - started) if retried else budget, left),
                write=self.connect_timeout,
                pool=self.connect_timeout,
            )
            trace = _Trace()
            try:
                r, body = self._exchange(
                    request, url, headers, timeout, trace, whole=left, max_size=max_size, cmd=cmd
                )
            except httpx.TransportError as exc:
                outcome = classify_ping_exception(exc)
                err: EasError = NetworkError(_describe(exc, outcome, url), outcome=outcome, url=url)
                now = self._clock()
                timed_out = outcome is PingOutcome.BLACKHOLE and now - attempt_started >= left
                if read_timeout is None and (isinstance(exc, _DeadlinePassed) or timed_out):
                    # Not "no answer": the whole-answer deadline of an ordinary exchange passed.
                    err = ResponseDeadlineExceeded(cmd, deadline)
                again = not retried and self._resend(request, trace, outcome, now - attempt_started)
                again = again and min(budget, deadline) - (now - started) > 0
                if self.capture is not None:
                    note = NetworkError(
                        f"{err}; resent on a new connection", outcome=outcome, url=url
                    )
                    self.capture.record(
                        sent,
                        None,
                        url=url,
                        elapsed=now - attempt_started,
                        error=note if again else err,
                    )
                if again:
                    retried = True
                    self.retries += 1
                    self.retry_log.append(f"{cmd}: {err}; resent on a new connection")
                    continue
                raise err from exc
            except (httpx.DecodingError, ResponseLimitError) as exc:
                limit_err = (
                    exc
                    if isinstance(exc, ResponseLimitError)
                    else ResponseDecodingError(
                        f"{httpx.URL(url).host}: the {cmd} answer does not decode as its "
                        f"Content-Encoding says: {excerpt(str(exc), 120)}"
                    )
                )
                if self.capture is not None:
                    self.capture.record(
                        sent,
                        None,
                        url=url,
                        elapsed=self._clock() - attempt_started,
                        error=limit_err,
                    )
                raise limit_err from None
            response = EasResponse(r.status_code, Headers(dict(r.headers)), body)
            if self.capture is not None:
                self.capture.record(
                    sent, response, url=url, elapsed=self._clock() - attempt_started
                )
            return response

    def _exchange(
        self,
        request: EasRequest,
        url: str,
        headers: Headers,
        timeout: httpx.Timeout,
        trace: _Trace,
        *,
        whole: float,
        max_size: int,
        cmd: str,
    ) -> tuple[httpx.Response, bytes]:
        """One attempt: the response and its whole body, within ``whole`` seconds and
        ``max_size`` bytes (decoded).

        httpx's read timeout bounds each read, not the answer: a server or proxy that trickles the
        body a byte at a time would hold the caller for as long as it likes, so the body must be
        complete within ``whole`` or the attempt ends as a read timeout (:class:`_DeadlinePassed`;
        a Ping outcome of black hole). A Content-Length beyond ``max_size`` is refused before
        the body is read; a body is counted as it arrives (chunked, or lying about its length).
        """
        started = self._clock()
        with self._client.stream(
            request.method,
            url,
            headers=dict(headers),
            content=request.body,
            timeout=timeout,
            extensions={"trace": trace},
        ) as r:
            announced = r.headers.get("Content-Length", "").strip()
            # Length checked as text first: a 100,000-digit Content-Length never becomes an int.
            if (
                announced.isascii()
                and announced.isdigit()
                and (len(announced) > 18 or int(announced) > max_size)
            ):
                size = int(announced) if len(announced) <= 18 else 10**18
                raise ResponseTooLarge(cmd, max_size, size, announced=True)
            chunks = []
            received = 0
            for chunk in r.iter_bytes():
                received += len(chunk)
                if received > max_size:
                    raise ResponseTooLarge(cmd, max_size, received, announced=False)
                chunks.append(chunk)
                if self._clock() - started > whole:
                    raise _DeadlinePassed(
                        f"answer still arriving after the {whole:g} s budget", request=r.request
                    )
            return r, b"".join(chunks)

    @staticmethod
    def _resend(request: EasRequest, trace: _Trace, outcome: PingOutcome, elapsed: float) -> bool:
        """Whether a failed attempt is the stale keep-alive race, and safe to send again."""
        if not trace.stale or outcome not in (PingOutcome.RESET, PingOutcome.CLOSED):
            return False  # a new connection's failure, a timeout (black hole), TLS: the outcome
        cmd = request.query.cmd if request.query else request.method
        if cmd in NOT_RESENT:
            return False
        return cmd != "Ping" or elapsed <= STALE_WINDOW
