"""A reused keep-alive connection that the server drops before answering: resent once, on a new
connection (the race of RFC 9112 9.3.1, which SOGo's sogod shows now and then).

The server is a small asyncio HTTP/1.1 server on 127.0.0.1 that answers from the fake EAS server
but can, per request, reset the connection (RST), close it (FIN), reset it after holding the
request, or hold it until the client gives up - each decided from how many requests the
connection already carried.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest

from easclient.client import BasicAuth, DeviceState, EasClient, get_profile
from easclient.client.capture import CaptureWriter
from easclient.client.heartbeat import FixedHeartbeat
from easclient.client.transport import STALE_WINDOW, HttpxTransport, NetworkError, PingOutcome
from easclient.protocol import build_options_request, build_request

from .fake_server import FakeServer

PASSWORD = "pw-Stale-1"

#: What the server does with one request: answer it, or one of the failures.
ANSWER, RESET, CLOSE, HOLD_RESET, BLACKHOLE = "answer", "reset", "close", "hold-reset", "blackhole"


@dataclass
class Seen:
    connection: int  # which connection (0, 1, ...)
    on_connection: int  # the how-many-th request on it (0: the first, on a new connection)
    target: str
    action: str


@dataclass
class RawServer:
    """``decide(seen_so_far, connection, index_on_connection, target) -> action``."""

    eas: FakeServer
    decide: Callable[[list[Seen], int, int, str], str]
    hold: float = 0.8
    seen: list[Seen] = field(default_factory=list)
    connections: int = 0
    url: str = ""

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = self.connections
        self.connections += 1
        index = 0
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
                length = int({k.lower(): v for k, v in headers.items()}.get("content-length", 0))
                body = await reader.readexactly(length) if length else b""
                action = self.decide(self.seen, conn, index, target)
                self.seen.append(Seen(conn, index, target, action))
                index += 1
                if action == ANSWER:
                    status, out_headers, data = self.eas.handle(method, target, headers, body)
                    extra = "".join(
                        f"{k}: {v}\r\n"
                        for k, v in out_headers.items()
                        if k.lower() != "content-length"
                    )
                    head = f"HTTP/1.1 {status} X\r\n{extra}Content-Length: {len(data)}\r\n\r\n"
                    writer.write(head.encode() + data)
                    await writer.drain()
                    continue
                if action == HOLD_RESET:
                    await asyncio.sleep(self.hold)
                if action == BLACKHOLE:
                    # Never answer; end when the client gives up (bounded, whatever happens).
                    with contextlib.suppress(asyncio.TimeoutError, ConnectionError):
                        await asyncio.wait_for(reader.read(), 10)
                    return
                if action in (RESET, HOLD_RESET):
                    sock = writer.get_extra_info("socket")
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    writer.transport.abort()  # close with linger 0: an RST
                else:
                    writer.close()  # a FIN, no answer
                return
        finally:
            writer.close()


@contextlib.contextmanager
def running(server: RawServer) -> Iterator[RawServer]:
    loop = asyncio.new_event_loop()
    started = threading.Event()
    holder: dict[str, asyncio.AbstractServer] = {}

    async def start() -> None:
        srv = await asyncio.start_server(server.handle, "127.0.0.1", 0)
        holder["srv"] = srv
        server.url = f"http://127.0.0.1:{srv.sockets[0].getsockname()[1]}"
        started.set()

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(start(), loop).result(5)
    assert started.wait(5)
    try:
        yield server
    finally:

        async def stop() -> None:
            holder["srv"].close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        asyncio.run_coroutine_threadsafe(stop(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()


def first_reused(action: str) -> Callable[[list[Seen], int, int, str], str]:
    """``action`` for the first request that arrives on a reused connection; answer the rest."""

    def decide(seen: list[Seen], conn: int, index: int, target: str) -> str:
        if index > 0 and not any(s.action != ANSWER for s in seen):
            return action
        return ANSWER

    return decide


def _folder_sync():
    return build_request("FolderSync", None, user="alice", device_id="d1", device_type="T")


def _auth() -> BasicAuth:
    return BasicAuth("alice", PASSWORD)


@pytest.mark.parametrize(
    ("action", "words"),
    [(RESET, "the connection was reset"), (CLOSE, "closed the connection without an answer")],
)
def test_a_reused_connection_dropped_before_the_answer_is_resent_once(tmp_path, action, words):
    eas = FakeServer(users={"alice": PASSWORD})
    cap = tmp_path / "c.jsonl"
    with (
        running(RawServer(eas, first_reused(action))) as srv,
        CaptureWriter(cap) as writer,
        HttpxTransport(srv.url, auth=_auth(), capture=writer) as tr,
    ):
        assert tr.send(build_options_request()).status_code == 200
        assert tr.send(_folder_sync()).status_code == 449  # answered, on the retry
        assert tr.retries == 1 and "FolderSync" in tr.retry_log[0]
        assert tr.send(_folder_sync()).status_code == 449  # and the new connection is kept
    assert [(s.connection, s.on_connection, s.action) for s in srv.seen] == [
        (0, 0, ANSWER),
        (0, 1, action),
        (1, 0, ANSWER),  # the retry: a new connection
        (1, 1, ANSWER),
    ]
    lines = [json.loads(line) for line in cap.read_text().splitlines()]
    assert [e["status"] for e in lines] == [200, None, 449, 449]
    assert words in lines[1]["error"] and "resent on a new connection" in lines[1]["error"]


def test_the_retry_is_bounded_to_one():
    """The reused connection is reset, and so is the retry's new one: the error surfaces."""

    def decide(seen, conn, index, target):
        return ANSWER if not seen else RESET

    eas = FakeServer(users={"alice": PASSWORD})
    with running(RawServer(eas, decide)) as srv, HttpxTransport(srv.url, auth=_auth()) as tr:
        tr.send(build_options_request())
        with pytest.raises(NetworkError) as info:
            tr.send(_folder_sync())
    assert info.value.outcome is PingOutcome.RESET
    assert tr.retries == 1 and len(srv.seen) == 3


@pytest.mark.parametrize(("action", "outcome"), [(RESET, "reset"), (CLOSE, "closed")])
def test_a_new_connections_failure_is_not_resent(action, outcome):
    eas = FakeServer(users={"alice": PASSWORD})
    decide = lambda seen, conn, index, target: action  # noqa: E731
    with (
        running(RawServer(eas, decide)) as srv,
        HttpxTransport(srv.url, auth=_auth()) as tr,
        pytest.raises(NetworkError) as info,
    ):
        tr.send(_folder_sync())
    assert info.value.outcome is PingOutcome(outcome)
    assert tr.retries == 0 and len(srv.seen) == 1


def test_sendmail_is_never_resent():
    eas = FakeServer(users={"alice": PASSWORD})
    with (
        running(RawServer(eas, first_reused(RESET))) as srv,
        HttpxTransport(srv.url, auth=_auth()) as tr,
    ):
        tr.send(build_options_request())
        mail = build_request(
            "SendMail", b"Subject: x\r\n\r\nbody\r\n", user="alice", device_id="d1",
            device_type="T", version="12.1", extra_params={"SaveInSent": "T"},
        )  # fmt: skip
        with pytest.raises(NetworkError):
            tr.send(mail)
    assert tr.retries == 0 and len(srv.seen) == 2


# -- the device: a full sync and Pings over keep-alive ------------------------------------------


@pytest.fixture
def device(tmp_path):
    made = []

    def make(url: str) -> EasClient:
        tr = HttpxTransport(url, auth=_auth())
        state = DeviceState(tmp_path / f"s{len(made)}.sqlite3")
        p = get_profile("android")  # window size 5: many Syncs on one connection
        client = EasClient(
            tr, user="alice", profile=p, device_id="stale1", state=state,
            heartbeat=FixedHeartbeat(2), ping_margin=1.0, sleep=lambda s: None,
        )  # fmt: skip
        made.append((tr, state))
        return client

    yield make
    for tr, state in made:
        tr.close()
        state.close()


def test_a_full_sync_survives_resets_of_reused_connections(device):
    """Every third request that arrives on a reused connection is reset (as SOGo does now and
    then); the sync ends with exactly the server's items, and the report says what was resent."""
    eas = FakeServer(items_per_folder=23, users={"alice": PASSWORD})

    def decide(seen, conn, index, target):
        return RESET if index > 0 and len(seen) % 3 == 2 else ANSWER

    with running(RawServer(eas, decide)) as srv:
        client = device(srv.url)
        report = client.sync_all_mail()
    resets = sum(s.action == RESET for s in srv.seen)
    assert resets >= 3
    assert client.transport.retries == resets
    for fid in ("5", "6"):
        held = {i.server_id for i in client.state.items(fid)}
        assert held == eas.server_ids(fid) and report.folders[fid].total == 23
    retry_notes = [n for n in report.notes if "resent on a new connection" in n]
    assert len(retry_notes) == resets
    assert len(client.state.events("connection-retry")) == resets


def test_ping_reset_at_once_on_a_reused_connection_is_resent(device):
    eas = FakeServer(items_per_folder=1, users={"alice": PASSWORD})
    srv = RawServer(eas, lambda seen, conn, index, target: ANSWER)
    with running(srv):
        client = device(srv.url)
        client.sync_all_mail()
        srv.decide = first_reused_after(len(srv.seen), "Ping", RESET)
        report = client.ping()
    assert report.outcome is PingOutcome.NO_CHANGES and report.status == 1
    assert client.transport.retries == 1
    assert [s.action for s in srv.seen if "Cmd=Ping" in s.target] == [RESET, ANSWER]


@pytest.mark.parametrize(
    ("action", "outcome"),
    [(HOLD_RESET, PingOutcome.RESET), (BLACKHOLE, PingOutcome.BLACKHOLE)],
)
def test_ping_held_then_lost_on_a_reused_connection_is_the_outcome(device, action, outcome):
    """A Ping reset after the server held it (a NAT or proxy forgot it), or never answered (black
    hole), is the path's answer: not resent, classified as before, within heartbeat + margin."""
    eas = FakeServer(items_per_folder=1, users={"alice": PASSWORD})
    srv = RawServer(eas, lambda seen, conn, index, target: ANSWER, hold=STALE_WINDOW + 0.3)
    with running(srv):
        client = device(srv.url)
        client.sync_all_mail()
        srv.decide = first_reused_after(len(srv.seen), "Ping", action)
        started = time.monotonic()
        report = client.ping()
        waited = time.monotonic() - started
    assert report.outcome is outcome and report.status is None
    assert client.transport.retries == 0
    assert [s.action for s in srv.seen if "Cmd=Ping" in s.target] == [action]
    assert waited <= 2 + 1.0 + 0.5  # heartbeat + margin, never more
    if outcome is PingOutcome.BLACKHOLE:
        assert waited >= 2 + 1.0 - 0.2


def first_reused_after(skip: int, cmd: str, action: str):
    """``action`` for the first ``cmd`` request after the first ``skip`` requests, if it comes on
    a reused connection; answer everything else."""

    def decide(seen, conn, index, target):
        done = any(s.action != ANSWER for s in seen[skip:])
        if not done and index > 0 and f"Cmd={cmd}" in target:
            return action
        return ANSWER

    return decide
