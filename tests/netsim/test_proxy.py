"""The userspace NAT proxy with real sockets on 127.0.0.1: what a client holding a long poll sees
for each way of forgetting a connection, and what the proxy logs."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import ssl
import threading
import time

import pytest
import trustme

from easclient.netsim import (
    EventKind,
    NatProxy,
    NatProxyConfig,
    NetsimError,
    OnIdle,
    Side,
    TlsBridge,
    start_in_thread,
)
from easclient.netsim.peers import LongPollServer, long_poll
from easclient.tls import client_context

IDLE = 0.3


def _wait_for(predicate, timeout: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


@pytest.fixture
def server():
    with LongPollServer() as srv:
        yield srv


def _nat(server: LongPollServer, **kw):
    return start_in_thread(NatProxyConfig("127.0.0.1", server.port, **kw))


def test_forwards_and_counts_bytes(server):
    with _nat(server, idle_timeout=5) as nat:
        result = long_poll("127.0.0.1", nat.port, ["ECHO hello", "ECHO again"], read_timeout=2)
        assert result.steps == ["data:hello", "data:again"]
        assert _wait_for(lambda: nat.connections[0].closed_at is not None)
        (record,) = nat.connections
    assert record.bytes_client_to_server == len("ECHO hello\nECHO again\n")
    assert record.bytes_server_to_client == len("hello\nagain\n")
    assert record.kinds()[:2] == [EventKind.OPENED, EventKind.UPSTREAM_CONNECTED]
    assert record.find(EventKind.CLOSED).side is Side.CLIENT
    assert record.kinds()[-1] is EventKind.FINISHED
    # The server saw the proxy, not the client.
    assert server.sessions[0].peer != result.local


def test_traffic_keeps_the_mapping(server):
    with _nat(server, idle_timeout=IDLE, on_idle="reset") as nat:
        requests = [f"ECHO {i}" for i in range(6)]
        with socket.create_connection(("127.0.0.1", nat.port), timeout=2) as sock:
            for request in requests:  # one every IDLE/2: never idle for IDLE
                sock.sendall(request.encode() + b"\n")
                assert sock.recv(100) == request[5:].encode() + b"\n"
                time.sleep(IDLE / 2)
        assert nat.connections[0].find(EventKind.IDLE_EXPIRED) is None


def test_drop_black_holes_the_poll_answer(server):
    """The server answers after the mapping expired; the answer is swallowed and the client's
    read times out on a socket that is still open."""
    with _nat(server, idle_timeout=IDLE, on_idle=OnIdle.DROP) as nat:
        with socket.create_connection(("127.0.0.1", nat.port), timeout=2) as sock:
            sock.sendall(b"POLL 0.6\n")
            sock.settimeout(1.2)
            with pytest.raises(TimeoutError):
                sock.recv(100)
            # Still open: sending succeeds, nothing comes back, nothing reaches the server.
            sock.sendall(b"ECHO lost\n")
            sock.settimeout(0.4)
            with pytest.raises(TimeoutError):
                sock.recv(100)
            (record,) = nat.connections
            assert record.closed_at is None
        assert _wait_for(lambda: nat.connections[0].closed_at is not None)
        (record,) = nat.connections
    expired = record.find(EventKind.IDLE_EXPIRED)
    assert expired.action is OnIdle.DROP
    assert IDLE <= expired.at < IDLE + 0.3
    swallowed = [e.side for e in record.events if e.kind is EventKind.SWALLOWED]
    assert swallowed == [Side.SERVER, Side.CLIENT]
    assert record.bytes_swallowed == len("DONE 0.6\n") + len("ECHO lost\n")
    assert server.sessions[0].requests == ["POLL 0.6"]


def test_reset_gives_connection_reset(server):
    with _nat(server, idle_timeout=IDLE, on_idle="reset") as nat:
        with socket.create_connection(("127.0.0.1", nat.port), timeout=2) as sock:
            t0 = time.monotonic()
            sock.sendall(b"HOLD\n")
            with pytest.raises(ConnectionResetError):
                sock.recv(100)
            assert IDLE <= time.monotonic() - t0 < IDLE + 0.5
        assert _wait_for(lambda: server.sessions and server.sessions[0].end == "reset")
        (record,) = nat.connections
    resets = [e.side for e in record.events if e.kind is EventKind.RESET]
    assert resets == [Side.CLIENT, Side.SERVER]


def test_close_gives_eof(server):
    with _nat(server, idle_timeout=IDLE, on_idle="close") as nat:
        result = long_poll("127.0.0.1", nat.port, ["HOLD"], read_timeout=2)
        assert result.steps == ["eof"]
        assert IDLE <= result.elapsed[0] < IDLE + 0.5
        assert _wait_for(lambda: server.sessions and server.sessions[0].end == "eof")
        assert nat.connections[0].find(EventKind.IDLE_EXPIRED).action is OnIdle.CLOSE


def test_kernel_mode_is_silent_then_resets_on_next_send(server):
    with _nat(server, idle_timeout=IDLE, on_idle="kernel") as nat:
        result = long_poll("127.0.0.1", nat.port, ["POLL 0.6", "ECHO next"], read_timeout=1.0)
        assert result.steps == ["timeout", "reset"]
        # The RST answers the send at once, not after another read timeout.
        assert result.elapsed[1] - result.elapsed[0] < 0.3
        assert _wait_for(lambda: nat.connections[0].closed_at is not None)
        (record,) = nat.connections
    # The server's late answer hit the forgotten mapping: its side was reset then.
    assert server.sessions[0].end == "reset"
    server_reset = next(
        e for e in record.events if e.kind is EventKind.RESET and e.side is Side.SERVER
    )
    client_reset = next(
        e for e in record.events if e.kind is EventKind.RESET and e.side is Side.CLIENT
    )
    assert 0.5 < server_reset.at < client_reset.at


def test_max_lifetime_ends_a_busy_connection(server):
    with _nat(server, max_lifetime=0.6, on_idle="reset") as nat:
        outcomes = []
        with socket.create_connection(("127.0.0.1", nat.port), timeout=2) as sock:
            for _ in range(20):  # bounded: 20 x 0.1 s, far beyond the lifetime
                try:
                    sock.sendall(b"ECHO x\n")
                    data = sock.recv(100)
                except ConnectionResetError:
                    outcomes.append("reset")
                    break
                outcomes.append("ok" if data == b"x\n" else "eof")
                time.sleep(0.1)
        assert outcomes[-1] == "reset"
        assert 3 <= outcomes.count("ok") <= 8
        (record,) = nat.connections
    assert record.find(EventKind.IDLE_EXPIRED) is None
    lifetime = record.find(EventKind.LIFETIME_EXPIRED)
    assert lifetime.action is OnIdle.RESET
    assert 0.6 <= lifetime.at - record.opened_at < 0.9


def test_address_change_kills_every_connection(server):
    with _nat(server, idle_timeout=30) as nat:
        socks = [socket.create_connection(("127.0.0.1", nat.port), timeout=2) for _ in range(3)]
        try:
            for sock in socks:
                sock.sendall(b"HOLD\n")
            assert _wait_for(lambda: len(server.sessions) == 3)
            assert nat.change_address() == 3
            for sock in socks:
                with pytest.raises(ConnectionResetError):
                    sock.recv(100)
        finally:
            for sock in socks:
                sock.close()
        # A new connection after the change works.
        assert long_poll("127.0.0.1", nat.port, ["ECHO new"], read_timeout=2).steps == ["data:new"]
        records = nat.connections
    assert [r.find(EventKind.ADDRESS_CHANGED) is not None for r in records] == [
        True,
        True,
        True,
        False,
    ]


def test_address_change_on_a_schedule(server):
    with _nat(server, change_address_every=0.5, on_address_change="close") as nat:
        result = long_poll("127.0.0.1", nat.port, ["HOLD"], read_timeout=2)
        assert result.steps == ["eof"]
        assert result.elapsed[0] < 0.8
        assert _wait_for(lambda: len(nat.proxy.address_changes) >= 2)
        changes = list(nat.proxy.address_changes)
    assert changes[0].connections_killed == 1
    assert 0.5 <= changes[0].at < 0.7
    assert 0.45 < changes[1].at - changes[0].at < 0.7


def test_address_change_at_given_times_with_its_own_action(server):
    """`change_address_at` fires once at each time, with `on_address_change`."""
    cfg = NatProxyConfig(
        "127.0.0.1",
        server.port,
        change_address_at=(0.4,),
        on_address_change="kernel",
        on_idle="reset",
    )
    with start_in_thread(cfg) as nat:
        result = long_poll("127.0.0.1", nat.port, ["HOLD", "ECHO after"], read_timeout=0.8)
        assert result.steps == ["timeout", "reset"]  # kernel-like: silence, then RST on send
        time.sleep(0.3)
        assert len(nat.proxy.address_changes) == 1
        (record,) = nat.connections
    change = record.find(EventKind.ADDRESS_CHANGED)
    assert change.action is OnIdle.KERNEL and 0.4 <= change.at < 0.6


def test_on_max_lifetime_overrides_on_idle(server):
    cfg = NatProxyConfig(
        "127.0.0.1",
        server.port,
        idle_timeout=10,
        on_idle="reset",
        max_lifetime=0.3,
        on_max_lifetime="close",
    )
    with start_in_thread(cfg) as nat:
        assert long_poll("127.0.0.1", nat.port, ["HOLD"], read_timeout=2).steps == ["eof"]
        assert nat.connections[0].find(EventKind.LIFETIME_EXPIRED).action is OnIdle.CLOSE


def test_upstream_refused_resets_the_client():
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]  # bound, never listening: connections are refused
        with start_in_thread(NatProxyConfig("127.0.0.1", port)) as nat:
            # The RST can come so fast that connect() itself reports it.
            with (
                pytest.raises(ConnectionResetError),
                socket.create_connection(("127.0.0.1", nat.port), timeout=2) as sock,
            ):
                sock.recv(100)
            assert _wait_for(lambda: nat.connections[0].closed_at is not None)
            failed = nat.connections[0].find(EventKind.CONNECT_FAILED)
    assert "ConnectionRefusedError" in failed.detail


def test_event_log_as_json(server):
    with _nat(server, idle_timeout=IDLE, on_idle="reset") as nat:
        long_poll("127.0.0.1", nat.port, ["ECHO one", "HOLD"], read_timeout=2)
        assert _wait_for(lambda: nat.connections[0].closed_at is not None)
        data = json.loads(nat.to_json())
    (conn,) = data
    assert conn["bytes_client_to_server"] == len("ECHO one\nHOLD\n")
    assert conn["bytes_server_to_client"] == len("one\n")
    kinds = [e["kind"] for e in conn["events"]]
    assert kinds == [
        "opened",
        "upstream-connected",
        "idle-expired",
        "reset",
        "reset",
        "finished",
    ]
    assert conn["events"][2]["action"] == "reset"
    times = [e["at"] for e in conn["events"]]
    assert times == sorted(times)
    assert conn["opened_at"] <= times[0] and conn["closed_at"] >= times[-1]


def test_async_use_with_an_injected_clock(server):
    """Expiry follows the injected clock: a fake clock that jumps 1000 s on each sleep expires a
    1000 s idle timeout at once, and the log reports fake seconds."""

    class FakeTime:
        def __init__(self) -> None:
            self.now = 5000.0

        def clock(self) -> float:
            return self.now

        async def sleep(self, seconds: float) -> None:
            self.now += seconds
            await asyncio.sleep(0.01)

    fake = FakeTime()

    async def scenario() -> tuple[bytes, list]:
        cfg = NatProxyConfig("127.0.0.1", server.port, idle_timeout=1000, on_idle="close")
        async with NatProxy(cfg, clock=fake.clock, sleep=fake.sleep) as nat:
            reader, writer = await asyncio.open_connection("127.0.0.1", nat.port)
            writer.write(b"HOLD\n")
            data = await asyncio.wait_for(reader.read(100), 2)
            writer.close()
            return data, nat.connections

    data, records = asyncio.run(scenario())
    assert data == b""  # closed by the proxy, in well under a real second
    expired = records[0].find(EventKind.IDLE_EXPIRED)
    # 1000 fake seconds after the last byte (the fake clock may have jumped once before HOLD).
    assert expired.at in (pytest.approx(1000, abs=1), pytest.approx(2000, abs=1))


def _tls_server(ca: trustme.CA, seen: list[dict]) -> tuple[socket.socket, threading.Thread]:
    """A TLS echo-once server that records each session it sees."""
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost", "127.0.0.1").configure_cert(ctx)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(5)

    def serve() -> None:
        try:
            raw, peer = listener.accept()
        except OSError:
            return
        raw.settimeout(5)
        try:
            tls = ctx.wrap_socket(raw, server_side=True)
        except (OSError, ssl.SSLError):  # a client that rejected our certificate
            raw.close()
            return
        with tls:
            line = tls.recv(100)
            seen.append({"peer": peer, "version": tls.version(), "line": line})
            tls.sendall(b"server says " + line)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return listener, thread


def test_tls_bridging(tmp_path):
    server_ca = trustme.CA()
    server_ca_file = tmp_path / "server-ca.pem"
    server_ca.cert_pem.write_to_path(str(server_ca_file))
    seen: list[dict] = []
    listener, thread = _tls_server(server_ca, seen)
    bridge = TlsBridge(upstream_ca_file=str(server_ca_file))
    cfg = NatProxyConfig("127.0.0.1", listener.getsockname()[1], idle_timeout=5, tls=bridge)
    try:
        with start_in_thread(cfg) as nat:
            client_ctx = ssl.create_default_context(cadata=nat.proxy.tls_ca_pem.decode())
            with (
                socket.create_connection(("127.0.0.1", nat.port), timeout=3) as raw,
                client_ctx.wrap_socket(raw, server_hostname="localhost") as tls,
            ):
                issuer = dict(x[0] for x in tls.getpeercert()["issuer"])
                local = tls.getsockname()
                tls.sendall(b"hello\n")
                assert tls.recv(100) == b"server says hello\n"
            # A client that trusts only the server's CA rejects the proxy's certificate.
            strict = client_context(server_ca_file)
            with (
                socket.create_connection(("127.0.0.1", nat.port), timeout=3) as raw,
                pytest.raises(ssl.SSLCertVerificationError),
            ):
                strict.wrap_socket(raw, server_hostname="localhost")
            assert _wait_for(lambda: all(r.closed_at is not None for r in nat.connections))
            records = nat.connections
    finally:
        listener.close()
        thread.join(5)
    assert "easclient NAT proxy" in issuer["organizationName"]
    (session,) = seen
    assert session["line"] == b"hello\n"
    assert session["peer"][1] != local[1]  # a separate TCP (and TLS) session from the proxy
    assert session["version"] in ("TLSv1.2", "TLSv1.3")
    kinds = records[0].kinds()
    assert EventKind.TLS_HANDSHAKE in kinds and EventKind.UPSTREAM_CONNECTED in kinds
    assert records[0].find(EventKind.UPSTREAM_CONNECTED).detail.startswith("TLSv1")
    assert len(records) == 1  # the rejected handshake never became a connection


def test_tls_bridge_verifies_the_server(tmp_path):
    """With the wrong CA for the server the proxy refuses the upstream session."""
    seen: list[dict] = []
    listener, thread = _tls_server(trustme.CA(), seen)
    other_ca = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other_ca))
    bridge = TlsBridge(upstream_ca_file=str(other_ca))
    cfg = NatProxyConfig("127.0.0.1", listener.getsockname()[1], tls=bridge)
    try:
        with start_in_thread(cfg) as nat:
            ctx = ssl.create_default_context(cadata=nat.proxy.tls_ca_pem.decode())
            with (
                socket.create_connection(("127.0.0.1", nat.port), timeout=3) as raw,
                ctx.wrap_socket(raw, server_hostname="localhost") as tls,
            ):
                tls.settimeout(3)
                try:
                    data = tls.recv(100)
                except (ConnectionResetError, ssl.SSLError):
                    # Python's ssl reports the proxy's RST after TLS 1.3 tickets as an EOF in
                    # violation of the protocol, or as b"" with suppress_ragged_eofs.
                    data = b""
                assert data == b""
            assert _wait_for(lambda: nat.connections[0].closed_at is not None)
            (record,) = nat.connections
    finally:
        listener.close()
        thread.join(5)
    assert "CERTIFICATE_VERIFY_FAILED" in record.find(EventKind.CONNECT_FAILED).detail
    assert record.kinds()[-2:] == [EventKind.RESET, EventKind.FINISHED]
    assert seen == []  # the server never got a request


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"target_port": 0}, "target port"),
        ({"target_port": 70000}, "70000"),
        ({"idle_timeout": 0}, "idle timeout"),
        ({"on_idle": "forget"}, "'forget'"),
        ({"on_address_change": "x"}, "'x'"),
        ({"change_address_at": (-1,)}, "-1"),
    ],
)
def test_bad_config_is_refused(kwargs, needle):
    args = {"target_host": "127.0.0.1", "target_port": 80, **kwargs}
    with pytest.raises(NetsimError, match=needle.replace("(", r"\(")):
        NatProxyConfig(**args)


def test_bad_certificate_file_is_refused(tmp_path):
    bridge = TlsBridge(cert_file=str(tmp_path / "missing.pem"), key_file=None)
    with pytest.raises(NetsimError, match=r"missing\.pem"):
        NatProxy(NatProxyConfig("127.0.0.1", 80, tls=bridge))


def test_listen_address_in_use_is_a_clear_error(server):
    with pytest.raises(NetsimError, match=str(server.port)):
        start_in_thread(NatProxyConfig("127.0.0.1", 80, listen_port=server.port))


def _own_sockets_on_port(port: int) -> int:
    """How many of this process's open TCP sockets have local port `port` (Linux /proc)."""
    inodes = set()
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(name) as f:
            for line in f.readlines()[1:]:
                fields = line.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == port:
                    inodes.add(fields[9])
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            target = os.readlink(f"/proc/self/fd/{fd}")
            count += target.startswith("socket:[") and target[8:-1] in inodes
    return count


def test_stop_frees_a_connection_whose_client_does_not_read():
    """A server floods a client that never reads: the proxy's socket to the client holds unsent
    data, so a FIN alone never completes. stop() must still close every socket of the proxy
    within its grace time, leaving no handler behind."""

    async def scenario() -> tuple[float, int, list]:
        async def flood(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError):
                while True:
                    writer.write(b"y" * 65536)
                    await writer.drain()
            writer.close()

        flooder = await asyncio.start_server(flood, "127.0.0.1", 0)
        target = flooder.sockets[0].getsockname()[1]
        nat = NatProxy(NatProxyConfig("127.0.0.1", target))
        await nat.start()
        port = nat.port
        client = socket.create_connection(("127.0.0.1", port))  # never reads
        try:
            await asyncio.sleep(0.5)  # the buffers on every hop fill up
            assert _own_sockets_on_port(port) == 2  # the listener and the accepted socket
            started = time.monotonic()
            await nat.stop(timeout=0.5)
            took = time.monotonic() - started
            return took, _own_sockets_on_port(port), nat.connections
        finally:
            client.close()
            flooder.close()
            await flooder.wait_closed()

    took, left_open, records = asyncio.run(scenario())
    assert took < 2.0
    assert left_open == 0
    assert records[0].closed_at is not None and records[0].kinds()[-1] is EventKind.FINISHED
