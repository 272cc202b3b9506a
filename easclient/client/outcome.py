"""Classify how a Ping ended: a response's status, or the exception that ended it.

The classes are those of issue 5 ("Device behaviour"): what a device can tell apart on the wire.
A Ping that dies with a reset (RST) and one that dies with a close (FIN) look different to the
client; one that gets no answer at all is only noticed when the read timeout (heartbeat plus
margin) fires — the mark of a NAT or firewall that forgot the connection (a "black hole").
"""

from __future__ import annotations

import errno
import ssl

import httpx

from easclient.protocol import EasHTTPError, PingStatus

from .heartbeat import PingOutcome

__all__ = ["PingOutcome", "classify_ping_exception", "classify_ping_status"]

_RESET_ERRNOS = {errno.ECONNRESET, errno.ECONNABORTED}
_CLOSED_ERRNOS = {errno.EPIPE}
_CONNECT_ERRNOS = {errno.ECONNREFUSED, errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ETIMEDOUT}


def classify_ping_status(status: int | None) -> PingOutcome:
    """A Ping response's Status (MS-ASCMD 2.2.3.177.11) as an outcome; None = empty body."""
    if status == PingStatus.HeartbeatExpired:
        return PingOutcome.NO_CHANGES
    if status == PingStatus.ChangesOccurred:
        return PingOutcome.CHANGES
    if status == PingStatus.InvalidHeartbeatInterval:
        return PingOutcome.ADJUSTED
    return PingOutcome.OTHER_STATUS


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception and its causes/contexts (httpx wraps httpcore wraps the socket error)."""
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen and len(seen) < 10:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def classify_ping_exception(exc: BaseException) -> PingOutcome:
    """The outcome of a Ping that raised ``exc`` instead of returning a response."""
    if isinstance(exc, EasHTTPError):
        return PingOutcome.HTTP_ERROR
    kind = getattr(exc, "outcome", None)  # our transport's NetworkError carries its class
    if isinstance(kind, PingOutcome):
        return kind
    chain = _chain(exc)
    texts = " | ".join(str(e) for e in chain).lower()
    if any(isinstance(e, ssl.SSLError) for e in chain) and not any(
        isinstance(e, ssl.SSLEOFError) for e in chain
    ):
        return PingOutcome.TLS_ERROR
    if any(isinstance(e, httpx.ConnectTimeout | httpx.PoolTimeout) for e in chain):
        return PingOutcome.CONNECT_ERROR
    if any(isinstance(e, httpx.ReadTimeout | httpx.WriteTimeout | TimeoutError) for e in chain):
        return PingOutcome.BLACKHOLE
    if any(isinstance(e, ConnectionResetError | ConnectionAbortedError) for e in chain):
        return PingOutcome.RESET
    if any(isinstance(e, OSError) and e.errno in _RESET_ERRNOS for e in chain):
        return PingOutcome.RESET
    if "reset by peer" in texts or "connection reset" in texts:
        return PingOutcome.RESET
    if any(isinstance(e, httpx.ConnectError | ConnectionRefusedError) for e in chain):
        if "ssl" in texts or "certificate" in texts or "tls" in texts:
            return PingOutcome.TLS_ERROR
        return PingOutcome.CONNECT_ERROR
    if any(isinstance(e, OSError) and e.errno in _CONNECT_ERRNOS for e in chain):
        return PingOutcome.CONNECT_ERROR
    if any(isinstance(e, BrokenPipeError | ssl.SSLEOFError) for e in chain):
        return PingOutcome.CLOSED
    if any(isinstance(e, OSError) and e.errno in _CLOSED_ERRNOS for e in chain):
        return PingOutcome.CLOSED
    if any(isinstance(e, httpx.RemoteProtocolError | httpx.ReadError) for e in chain):
        # "Server disconnected without sending a response" / an incomplete body: a FIN.
        return PingOutcome.CLOSED
    if any(isinstance(e, httpx.TransportError) for e in chain):
        return PingOutcome.CLOSED
    raise exc
