"""Metering a device's exchanges for locust: every EAS request fires locust's ``request`` event
(named by command), and the waits after a 503 are measured against its Retry-After."""

from __future__ import annotations

import time
from typing import Any

from easclient.client import NetworkError
from easclient.load.stats import LoadStats
from easclient.protocol import EasRequest, EasResponse, parse_retry_after

from .transport import GeventTransport


class HTTPStatusFailure(Exception):
    """An HTTP error answer, as locust's failure tables show it (one row per status)."""


class MeteredTransport:
    """Fires locust's ``request`` event for every EAS exchange and watches Retry-After.

    Ping is fired without a response time (``None``): how long a Ping was held is no response
    time, so it counts as a request but stays out of the percentiles; its outcome is counted
    separately.
    """

    __slots__ = ("_fire", "_inner", "_stats", "_throttled_at")

    def __init__(self, inner: GeventTransport, environment: Any, stats: LoadStats) -> None:
        self._inner = inner
        self._fire = environment.events.request.fire
        self._stats = stats
        self._throttled_at: tuple[float, float] | None = None

    @property
    def base_url(self) -> str:
        return self._inner.base_url

    @base_url.setter
    def base_url(self, value: str) -> None:
        self._inner.base_url = value

    @property
    def retry_log(self) -> list[str]:
        return self._inner.retry_log

    def close(self) -> None:
        self._inner.close()

    def send(self, request: EasRequest, *, read_timeout: float | None = None) -> EasResponse:
        fire = self._fire
        query = request.query
        cmd = str(query.cmd) if request.method == "POST" and query else request.method
        now = time.time()
        if self._throttled_at is not None:
            retry_after, at = self._throttled_at
            self._stats.throttled(retry_after, now - at, now)
            self._throttled_at = None
        started = time.perf_counter()
        try:
            response = self._inner.send(request, read_timeout=read_timeout)
        except NetworkError as exc:
            elapsed = (time.perf_counter() - started) * 1000.0
            fire(
                request_type="EAS",
                name=cmd,
                response_time=None if cmd == "Ping" else elapsed,
                response_length=0,
                exception=exc if cmd != "Ping" else _PingLost(exc.outcome.value),
                context={},
            )
            raise
        elapsed = (time.perf_counter() - started) * 1000.0
        exception = None
        if response.status_code >= 300:
            exception = HTTPStatusFailure(f"HTTP {response.status_code}")
            if response.status_code == 503:
                seconds, _date = parse_retry_after(response.headers.get("Retry-After"))
                if seconds is not None:
                    self._throttled_at = (seconds, time.time())
        fire(
            request_type="EAS",
            name=cmd,
            response_time=None if cmd == "Ping" else elapsed,
            response_length=len(response.body),
            exception=exception,
            context={},
        )
        return response


class _PingLost(Exception):
    """A Ping that lost its connection (the outcome is the message)."""
