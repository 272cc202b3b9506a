"""The mock server's bounds against slow or greedy clients.

- :func:`read_bounded_body` (the EAS endpoint) and :class:`BodyGuard` (ASGI middleware, every
  other route): a request's whole body must arrive within ``body_timeout`` seconds of its
  headers (408 otherwise) and be at most ``max_body_size`` bytes (413). A Ping's heartbeat only
  starts once its body is in: a long Ping is never a slow request.
- :func:`limited_h11_protocol`: uvicorn's h11 protocol with a deadline for a request's headers
  (``header_timeout``, from connect or from the first byte of a kept-alive connection's next
  request; 408 and close) and a cap on the connections one client address holds open (503 and
  close). uvicorn itself has neither: a connection that never finishes its headers is held
  until the client goes.
"""

from __future__ import annotations

import asyncio
from collections import Counter

from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from .state import MockState

#: Retry-After (seconds) of the 503 that refuses a connection over the per-address cap.
REFUSED_RETRY_AFTER = 5


def _raw_response(status: str, reason: str, extra: str = "") -> bytes:
    body = reason.encode()
    head = (
        f"HTTP/1.1 {status}\r\ncontent-type: text/plain\r\ncontent-length: {len(body)}\r\n"
        f"{extra}connection: close\r\n\r\n"
    )
    return head.encode() + body


HEADER_TIMEOUT_RESPONSE = _raw_response(
    "408 Request Timeout", "request headers not received in time"
)
REFUSED_RESPONSE = _raw_response(
    "503 Service Unavailable",
    "too many connections from this address",
    f"retry-after: {REFUSED_RETRY_AFTER}\r\n",
)


async def _plain(send: Send, status: int, reason: str) -> None:
    body = reason.encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def read_bounded_body(
    scope: Scope, receive: Receive, send: Send, state: MockState
) -> bytes | None:
    """The request body, read within ``body_timeout`` and at most ``max_body_size`` bytes;
    None when it broke a bound (and was answered 408 or 413 here). A client that goes away
    mid-body leaves what it sent."""
    config, stats = state.config, state.stats
    limit = config.max_body_size
    for name, value in scope["headers"]:
        # h11 has checked the value is digits; a declared size over the bound needs no read.
        if name == b"content-length" and len(value) <= 20 and int(value) > limit:
            stats.limits["body_too_large"] += 1
            stats.http_status[413] += 1
            await _plain(send, 413, f"request body over {limit} bytes")
            return None
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(config.body_timeout):
            while True:
                message = await receive()
                if message["type"] != "http.request":
                    break
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > limit:
                    stats.limits["body_too_large"] += 1
                    stats.http_status[413] += 1
                    await _plain(send, 413, f"request body over {limit} bytes")
                    return None
                chunks.append(chunk)
                if not message.get("more_body", False):
                    break
    except TimeoutError:
        stats.limits["body_timeout"] += 1
        stats.http_status[408] += 1
        await _plain(send, 408, f"request body not received within {config.body_timeout:g} s")
        return None
    return b"".join(chunks)


class BodyGuard:
    """ASGI middleware: every route but ``passthrough`` (the EAS endpoint, which reads its
    body with :func:`read_bounded_body` itself, so a parked Ping carries no extra frame) gets
    its body read within the bounds first, then handed on at once."""

    def __init__(self, app: ASGIApp, state: MockState, passthrough: str = "") -> None:
        self.app = app
        self.state = state
        self.passthrough = passthrough

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] == self.passthrough:
            await self.app(scope, receive, send)
            return
        body = await read_bounded_body(scope, receive, send, self.state)
        if body is None:
            return
        pending: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]
        del body

        async def replay() -> Message:
            # The body once, then the connection's own messages (http.disconnect).
            if pending:
                return pending.pop()
            return await receive()

        await self.app(scope, replay, send)


def limited_h11_protocol(state: MockState) -> type[H11Protocol]:
    """uvicorn's h11 protocol with the header deadline and per-address cap of ``state.config``."""
    config, stats = state.config, state.stats
    header_timeout = config.header_timeout
    cap = config.max_connections_per_address
    per_address: Counter[str] = Counter()

    class LimitedH11Protocol(H11Protocol):
        _address: str | None = None
        _header_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            address = self.client[0] if self.client else None
            if address is None:
                self._arm_header_timer()
                return
            if cap and per_address[address] >= cap:
                stats.limits["refused_connection"] += 1
                stats.http_status[503] += 1
                transport.write(REFUSED_RESPONSE)
                transport.close()
                return
            per_address[address] += 1
            self._address = address
            self._arm_header_timer()

        def connection_lost(self, exc: Exception | None) -> None:
            self._cancel_header_timer()
            if self._address is not None:
                per_address[self._address] -= 1
                if per_address[self._address] <= 0:
                    del per_address[self._address]
                self._address = None
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            if self._header_timer is None and (self.cycle is None or self.cycle.response_complete):
                self._arm_header_timer()  # the first byte of the next request
            before = self.cycle
            super().data_received(data)
            if self.cycle is not before:  # a request's headers are complete
                self._cancel_header_timer()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if self.cycle is not None and not self.cycle.response_complete:
                self._cancel_header_timer()  # a pipelined request began at once

        def _arm_header_timer(self) -> None:
            self._cancel_header_timer()
            self._header_timer = self.loop.call_later(header_timeout, self._headers_too_slow)

        def _cancel_header_timer(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _headers_too_slow(self) -> None:
            self._header_timer = None
            if self.transport is None or self.transport.is_closing():
                return
            if self.cycle is not None and not self.cycle.response_complete:
                return  # a request is being served: not ours to end
            stats.limits["header_timeout"] += 1
            stats.http_status[408] += 1
            self.transport.write(HEADER_TIMEOUT_RESPONSE)
            self.transport.close()

    return LimitedH11Protocol
