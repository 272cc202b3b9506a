"""A userspace NAT/firewall in asyncio: listen → target, with the ways real middleboxes end
idle connections.

Each client connection gets its own upstream connection. The proxy forgets a connection (its
"mapping") when no byte has moved in either direction for `idle_timeout`, when it has lived for
`max_lifetime`, or when the "public address" changes; what the client then sees is chosen by
`OnIdle` (black-hole, RST, FIN, or the kernel-NAT-like silence-then-RST).

Limit: this proxy ends TCP itself on both sides, so TCP keepalive probes from the client are
answered by the proxy's own kernel and never count as activity here. Whether keepalive keeps a
NAT mapping alive can only be shown with the kernel's NAT (`easclient.netsim.kernel`).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import copy
import enum
import socket
import ssl
import struct
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Self, TypeVar

from easclient.netsim.errors import NetsimError
from easclient.netsim.events import (
    ConnectionEvent,
    ConnectionRecord,
    EventKind,
    OnIdle,
    Side,
    records_to_json,
)
from easclient.netsim.tlsbridge import TlsBridge, TlsContexts, build_contexts

_CHUNK = 65536
_T = TypeVar("_T")


def _check_port(name: str, port: int, allow_zero: bool) -> None:
    if not isinstance(port, int) or not (0 if allow_zero else 1) <= port <= 65535:
        raise NetsimError(f"{name} must be a TCP port number, got {port!r}")


def _check_seconds(name: str, value: float | None) -> None:
    if value is not None and not value > 0:
        raise NetsimError(f"{name} must be a positive number of seconds, got {value!r}")


def _on_idle(name: str, value: OnIdle | str) -> OnIdle:
    try:
        return OnIdle(value)
    except ValueError:
        choices = ", ".join(m.value for m in OnIdle)
        raise NetsimError(f"{name} must be one of {choices}, got {value!r}") from None


@dataclass(frozen=True)
class NatProxyConfig:
    """What the proxy listens on, where it forwards, and how it forgets connections."""

    target_host: str
    target_port: int
    listen_host: str = "127.0.0.1"
    listen_port: int = 0
    """0 picks a free port (read it from `NatProxy.port`)."""
    idle_timeout: float | None = None
    """Seconds with no byte in either direction before the mapping expires; None: never."""
    on_idle: OnIdle = OnIdle.DROP
    max_lifetime: float | None = None
    """Seconds after which a connection expires however busy it is; None: no limit."""
    on_max_lifetime: OnIdle | None = None
    """None: the same as `on_idle`."""
    change_address_every: float | None = None
    """Change the public address (killing every connection) every this many seconds."""
    change_address_at: tuple[float, ...] = ()
    """…and/or at these times (seconds after start)."""
    on_address_change: OnIdle = OnIdle.RESET
    tls: TlsBridge | None = None
    connect_timeout: float = 10.0
    upstream_local_host: str | None = None
    """Source address for upstream connections (None: the system picks)."""
    max_records: int = 10_000
    """Connection records kept in memory (oldest dropped first)."""

    def __post_init__(self) -> None:
        _check_port("target port", self.target_port, allow_zero=False)
        _check_port("listen port", self.listen_port, allow_zero=True)
        for name in ("idle_timeout", "max_lifetime", "change_address_every", "connect_timeout"):
            _check_seconds(name.replace("_", " "), getattr(self, name))
        for at in self.change_address_at:
            if not at >= 0:
                raise NetsimError(f"address change times must be >= 0 s, got {at!r}")
        object.__setattr__(self, "on_idle", _on_idle("on idle", self.on_idle))
        object.__setattr__(
            self, "on_address_change", _on_idle("on address change", self.on_address_change)
        )
        if self.on_max_lifetime is not None:
            object.__setattr__(
                self, "on_max_lifetime", _on_idle("on max lifetime", self.on_max_lifetime)
            )
        if not self.target_host:
            raise NetsimError("target host must not be empty")


class _State(enum.Enum):
    CONNECTING = "connecting"
    FORWARDING = "forwarding"
    BLACKHOLE = "blackhole"
    SILENT = "silent"  # kernel mode after expiry: waiting for the client's next send
    DEAD = "dead"


def _send_rst(writer: asyncio.StreamWriter | None) -> None:
    """Close with SO_LINGER 0 so the kernel sends an RST instead of a FIN."""
    if writer is None or writer.transport.is_closing():
        return
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


def _send_fin(writer: asyncio.StreamWriter | None) -> None:
    if writer is not None and not writer.transport.is_closing():
        writer.close()


class _Connection:
    def __init__(
        self,
        proxy: NatProxy,
        record: ConnectionRecord,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        self.proxy = proxy
        self.record = record
        self.c_reader, self.c_writer = reader, writer
        self.s_reader: asyncio.StreamReader | None = None
        self.s_writer: asyncio.StreamWriter | None = None
        self.state = _State.CONNECTING
        self.opened = proxy.clock()
        self.last_activity = self.opened
        self.swallow_logged: set[Side] = set()

    def log(
        self,
        kind: EventKind,
        side: Side | None = None,
        action: OnIdle | None = None,
        detail: str = "",
        at: float | None = None,
    ) -> None:
        at = self.proxy.now() if at is None else at
        self.record.events.append(ConnectionEvent(at, kind, side, action, detail))

    # -- lifecycle -------------------------------------------------------------------------

    async def run(self) -> None:
        cfg, tls = self.proxy.config, self.proxy.tls_contexts
        if tls is not None:
            # The listener did the handshake (doing it here with start_tls races the client's
            # ClientHello into the plain-text buffer).
            self.log(EventKind.TLS_HANDSHAKE, Side.CLIENT, detail=_tls_version(self.c_writer))
        try:
            local = (cfg.upstream_local_host, 0) if cfg.upstream_local_host else None
            self.s_reader, self.s_writer = await asyncio.wait_for(
                asyncio.open_connection(
                    cfg.target_host,
                    cfg.target_port,
                    ssl=tls.client if tls else None,
                    server_hostname=(tls and cfg.tls and cfg.tls.upstream_server_hostname)
                    or (cfg.target_host if tls else None),
                    local_addr=local,
                ),
                cfg.connect_timeout,
            )
        except (OSError, ssl.SSLError, TimeoutError) as exc:
            self.log(EventKind.CONNECT_FAILED, Side.SERVER, detail=_describe(exc))
            _send_rst(self.c_writer)
            self.log(EventKind.RESET, Side.CLIENT, detail="sent by proxy")
            return
        if self.state == _State.DEAD:  # the proxy stopped while we were connecting
            _send_fin(self.s_writer)
            return
        self.log(
            EventKind.UPSTREAM_CONNECTED,
            Side.SERVER,
            detail=_tls_version(self.s_writer) if tls else "",
        )
        self.state = _State.FORWARDING
        self.last_activity = self.proxy.clock()
        assert self.s_reader is not None and self.s_writer is not None  # connected above
        watchdog = asyncio.create_task(self._watch())
        try:
            await asyncio.gather(
                self._pump(Side.CLIENT, self.c_reader, self.s_writer),
                self._pump(Side.SERVER, self.s_reader, self.c_writer),
            )
        finally:
            watchdog.cancel()
            self.state = _State.DEAD
            _send_fin(self.c_writer)
            _send_fin(self.s_writer)

    async def _watch(self) -> None:
        cfg, clock = self.proxy.config, self.proxy.clock
        while self.state == _State.FORWARDING:
            deadlines: list[tuple[float, EventKind, OnIdle]] = []
            if cfg.idle_timeout is not None:
                deadlines.append(
                    (self.last_activity + cfg.idle_timeout, EventKind.IDLE_EXPIRED, cfg.on_idle)
                )
            if cfg.max_lifetime is not None:
                deadlines.append(
                    (
                        self.opened + cfg.max_lifetime,
                        EventKind.LIFETIME_EXPIRED,
                        cfg.on_max_lifetime or cfg.on_idle,
                    )
                )
            if not deadlines:
                return
            at, kind, action = min(deadlines, key=lambda d: d[0])
            now = clock()
            if now >= at:
                self.expire(kind, action)
                return
            await self.proxy.sleep(at - now)

    def expire(self, kind: EventKind, action: OnIdle) -> None:
        """The mapping is gone (idle, lifetime or address change): act as `action` says."""
        if self.state in (_State.DEAD, _State.CONNECTING):
            return
        self.log(kind, Side.PROXY, action)
        if action is OnIdle.RESET:
            self.state = _State.DEAD
            _send_rst(self.c_writer)
            _send_rst(self.s_writer)
            self.log(EventKind.RESET, Side.CLIENT, detail="sent by proxy")
            self.log(EventKind.RESET, Side.SERVER, detail="sent by proxy")
        elif action is OnIdle.CLOSE:
            self.state = _State.DEAD
            _send_fin(self.c_writer)
            _send_fin(self.s_writer)
            self.log(EventKind.CLOSED, Side.PROXY, detail="FIN sent to both sides")
        elif self.state == _State.FORWARDING:
            self.state = _State.BLACKHOLE if action is OnIdle.DROP else _State.SILENT

    async def _pump(
        self, src: Side, reader: asyncio.StreamReader, dst: asyncio.StreamWriter
    ) -> None:
        other = Side.SERVER if src is Side.CLIENT else Side.CLIENT
        src_writer = self.c_writer if src is Side.CLIENT else self.s_writer
        while True:
            try:
                data = await reader.read(_CHUNK)
            except (ConnectionResetError, ssl.SSLError, OSError) as exc:
                if self.state != _State.DEAD:
                    self.log(EventKind.RESET, src, detail=f"received: {_describe(exc)}")
                    if self.state == _State.FORWARDING:
                        # A router passes an RST on; so does this proxy.
                        self.state = _State.DEAD
                        _send_rst(dst)
                        self.log(EventKind.RESET, other, detail="sent by proxy")
                    else:
                        self._left_after_expiry(src, src_writer)
                return
            if self.state == _State.DEAD:
                return
            if not data:
                self.log(EventKind.CLOSED, src, detail="FIN received")
                if self.state == _State.FORWARDING:
                    if dst.can_write_eof():
                        with contextlib.suppress(OSError, RuntimeError):
                            dst.write_eof()
                    else:  # TLS cannot half-close
                        _send_fin(dst)
                else:
                    self._left_after_expiry(src, src_writer)
                return
            if self.state == _State.FORWARDING:
                if src is Side.CLIENT:
                    self.record.bytes_client_to_server += len(data)
                else:
                    self.record.bytes_server_to_client += len(data)
                self.last_activity = self.proxy.clock()
                dst.write(data)
                try:
                    await dst.drain()
                except (OSError, ssl.SSLError) as exc:
                    if self.state == _State.FORWARDING:
                        self.log(EventKind.RESET, other, detail=f"on send: {_describe(exc)}")
                        self.state = _State.DEAD
                        _send_rst(src_writer)
                        self.log(EventKind.RESET, src, detail="sent by proxy")
                    return
            elif self.state == _State.BLACKHOLE:
                self._swallow(src, data)
            elif self.state == _State.SILENT:
                self._swallow(src, data)
                # No mapping: the packet is sent on as a new flow the peer does not know,
                # and the peer answers with an RST (the server's; for a server-sent packet,
                # the NAT host's own).
                if src is Side.CLIENT:
                    self.state = _State.DEAD
                    _send_rst(self.c_writer)
                    _send_rst(self.s_writer)
                    self.log(EventKind.RESET, Side.CLIENT, detail="sent by proxy (no mapping)")
                    self.log(EventKind.RESET, Side.SERVER, detail="sent by proxy")
                else:
                    _send_rst(self.s_writer)
                    self.log(EventKind.RESET, Side.SERVER, detail="sent by proxy (no mapping)")
                return

    def _left_after_expiry(self, src: Side, src_writer: asyncio.StreamWriter | None) -> None:
        """`src` ended (RST or FIN) after the mapping expired: close our socket to it; if it
        was the client, which gave up on the forgotten mapping, nothing is left to keep."""
        if src is Side.CLIENT:
            self.state = _State.DEAD
            _send_fin(self.s_writer)
        else:
            _send_fin(src_writer)

    def _swallow(self, src: Side, data: bytes) -> None:
        self.record.bytes_swallowed += len(data)
        if src not in self.swallow_logged:
            self.swallow_logged.add(src)
            self.log(EventKind.SWALLOWED, src, detail=f"{len(data)} bytes")

    def shutdown(self) -> None:
        if self.state == _State.DEAD:
            return
        self.state = _State.DEAD
        _send_fin(self.c_writer)
        _send_fin(self.s_writer)
        self.log(EventKind.CLOSED, Side.PROXY, detail="proxy stopped")


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _tls_version(writer: asyncio.StreamWriter | None) -> str:
    obj = writer.get_extra_info("ssl_object") if writer else None
    return (obj.version() or "") if obj is not None else ""


def _peer(writer: asyncio.StreamWriter) -> str:
    peer = writer.get_extra_info("peername")
    if isinstance(peer, tuple) and len(peer) >= 2:
        return f"[{peer[0]}]:{peer[1]}" if ":" in str(peer[0]) else f"{peer[0]}:{peer[1]}"
    return str(peer)


@dataclass
class AddressChange:
    at: float
    connections_killed: int


class NatProxy:
    """The proxy. Use `async with NatProxy(config) as proxy:` (then `proxy.port`), or
    `start_in_thread(config)` from synchronous code.

    `clock` (seconds, monotonic) and `sleep` are injectable so that expiry can be driven by a
    fake clock; event times are `clock()` minus the clock at start.
    """

    def __init__(
        self,
        config: NatProxyConfig,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        on_record: Callable[[ConnectionRecord], None] | None = None,
    ) -> None:
        self.config = config
        self.clock = clock
        self.sleep = sleep
        self.on_record = on_record
        """Called with each connection's record when the connection has finished."""
        self.tls_contexts: TlsContexts | None = build_contexts(config.tls) if config.tls else None
        self.records: collections.deque[ConnectionRecord] = collections.deque(
            maxlen=config.max_records
        )
        self.address_changes: list[AddressChange] = []
        self._t0 = clock()
        self._next_id = 1
        self._server: asyncio.base_events.Server | None = None
        self._live: set[_Connection] = set()
        self._handlers: set[asyncio.Task] = set()
        self._scheduler: asyncio.Task | None = None
        self._stopping = False

    # -- public surface --------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._server is None:
            raise NetsimError("the proxy is not listening (call start() first)")
        return self._server.sockets[0].getsockname()[1]

    @property
    def host(self) -> str:
        return self.config.listen_host

    @property
    def tls_ca_pem(self) -> bytes | None:
        """PEM of the CA behind the proxy's own TLS certificate, when the proxy made one."""
        return self.tls_contexts.ca_pem if self.tls_contexts else None

    def now(self) -> float:
        """Seconds since the proxy started, by its clock."""
        return round(self.clock() - self._t0, 6)

    @property
    def connections(self) -> list[ConnectionRecord]:
        """Every connection's record, oldest first (live ones still growing)."""
        return list(self.records)

    def to_json(self) -> str:
        return records_to_json(self.connections)

    async def start(self) -> None:
        self._t0 = self.clock()
        try:
            tls = self.tls_contexts
            self._server = await asyncio.start_server(
                self._accept,
                self.config.listen_host,
                self.config.listen_port,
                ssl=tls.server if tls else None,
                ssl_handshake_timeout=self.config.connect_timeout if tls else None,
            )
        except OSError as exc:
            raise NetsimError(
                f"cannot listen on {self.config.listen_host}:{self.config.listen_port}: {exc}"
            ) from exc
        if self.config.change_address_every or self.config.change_address_at:
            self._scheduler = asyncio.create_task(self._address_schedule())

    def change_address(self) -> int:
        """The public address changes now: every established connection expires with
        `on_address_change`. Returns how many were hit."""
        hit = [c for c in self._live if c.state != _State.DEAD and c.state != _State.CONNECTING]
        for conn in hit:
            conn.expire(EventKind.ADDRESS_CHANGED, self.config.on_address_change)
        self.address_changes.append(AddressChange(self.now(), len(hit)))
        return len(hit)

    async def stop(self, timeout: float = 5.0) -> None:
        self._stopping = True
        if self._scheduler is not None:
            self._scheduler.cancel()
        if self._server is not None:
            self._server.close()
        # Connections accepted just before close() start their handlers later: keep waiting
        # until none is left (bounded).
        deadline = time.monotonic() + timeout  # real time: the injected clock may be fake
        await asyncio.sleep(0)
        while self._handlers and time.monotonic() < deadline:
            for conn in list(self._live):
                conn.shutdown()
            await asyncio.wait(set(self._handlers), timeout=0.1)
        # A FIN waits for the send buffer to drain, which a peer that does not read never lets
        # happen: whatever is still open now is aborted, or its socket outlives the proxy.
        for conn in list(self._live):
            for writer in (conn.c_writer, conn.s_writer):
                if writer is not None:
                    writer.transport.abort()
        handlers = set(self._handlers)
        for task in handlers:
            task.cancel()
        if handlers:
            await asyncio.wait(handlers, timeout=1.0)
        if self._server is not None:
            await self._server.wait_closed()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # -- internals -------------------------------------------------------------------------

    async def _address_schedule(self) -> None:
        cfg = self.config
        at_times = sorted(cfg.change_address_at)
        next_every = cfg.change_address_every
        while at_times or next_every is not None:
            first_at = at_times[0] if at_times else None
            due = min(t for t in (first_at, next_every) if t is not None)
            wait = due - (self.clock() - self._t0)
            if wait > 0:
                await self.sleep(wait)
                continue
            self.change_address()
            if at_times and at_times[0] <= due:
                at_times.pop(0)
            if next_every is not None and next_every <= due:
                next_every += cfg.change_address_every or 0

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._stopping:
            _send_fin(writer)
            return
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        cfg = self.config
        record = ConnectionRecord(
            id=self._next_id,
            client=_peer(writer),
            target=f"{cfg.target_host}:{cfg.target_port}",
            opened_at=self.now(),
        )
        self._next_id += 1
        self.records.append(record)
        conn = _Connection(self, record, reader, writer)
        conn.log(EventKind.OPENED, Side.CLIENT, at=record.opened_at)
        self._live.add(conn)
        try:
            await conn.run()
        except asyncio.CancelledError:
            # Only stop() cancels handlers (after its grace time); nothing awaits this task,
            # and asyncio 3.11 would report the cancellation as an error.
            pass
        finally:
            conn.state = _State.DEAD
            _send_fin(conn.c_writer)
            _send_fin(conn.s_writer)
            self._live.discard(conn)
            record.closed_at = self.now()
            conn.log(EventKind.FINISHED, at=record.closed_at)
            self._handlers.discard(task)
            if self.on_record is not None:
                self.on_record(record)


class ProxyThread:
    """A NatProxy running on its own event loop in a daemon thread, for synchronous code."""

    def __init__(self, proxy: NatProxy) -> None:
        self.proxy = proxy
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_requested: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name="eas-nat-proxy", daemon=True)

    @property
    def port(self) -> int:
        return self.proxy.port

    @property
    def host(self) -> str:
        return self.proxy.host

    @property
    def address(self) -> tuple[str, int]:
        return self.proxy.host, self.proxy.port

    def start(self, timeout: float = 10.0) -> Self:
        self._thread.start()
        if not self._ready.wait(timeout):
            raise NetsimError(f"the NAT proxy did not start within {timeout} s")
        if self._error is not None:
            raise self._error
        return self

    def _main(self) -> None:
        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop_requested = asyncio.Event()
            try:
                await self.proxy.start()
            except BaseException as exc:
                self._error = exc
                return
            finally:
                self._ready.set()
            try:
                await self._stop_requested.wait()
            finally:
                await self.proxy.stop()

        asyncio.run(main())

    def _call(self, fn: Callable[[], _T], timeout: float = 5.0) -> _T:
        if self._loop is None or not self._thread.is_alive():
            raise NetsimError("the NAT proxy thread is not running")

        async def call() -> _T:
            return fn()

        return asyncio.run_coroutine_threadsafe(call(), self._loop).result(timeout)

    def change_address(self) -> int:
        """See NatProxy.change_address."""
        return int(self._call(self.proxy.change_address))

    @property
    def connections(self) -> list[ConnectionRecord]:
        """A consistent copy of the records, taken on the proxy's loop."""
        return self._call(lambda: copy.deepcopy(self.proxy.connections))

    def to_json(self) -> str:
        return records_to_json(self.connections)

    def stop(self, timeout: float = 10.0) -> None:
        if self._loop is not None and self._stop_requested is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop_requested.set)
        self._thread.join(timeout)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def start_in_thread(
    config: NatProxyConfig,
    *,
    clock: Callable[[], float] = time.monotonic,
    on_record: Callable[[ConnectionRecord], None] | None = None,
) -> ProxyThread:
    """Start a NatProxy in a background thread and return once it listens.

    `with start_in_thread(cfg) as nat: connect(nat.address)`.
    """
    return ProxyThread(NatProxy(config, clock=clock, on_record=on_record)).start()


__all__ = [
    "AddressChange",
    "NatProxy",
    "NatProxyConfig",
    "ProxyThread",
    "start_in_thread",
]
