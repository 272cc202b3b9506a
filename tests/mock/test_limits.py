"""The mock's bounds: header and body deadlines, body size, connections per address, and a huge
body decoded off the event loop. Real sockets against a real uvicorn server."""

from __future__ import annotations

import socket
import threading
import time

import httpx
import pytest

from easclient import wbxml
from easclient.protocol.ping import PingFolder, PingRequest, PingResponse
from easclient.protocol.status import PingStatus
from easclient.wbxml import E

from .helpers import PATH, ready_device

QUERY = "?Cmd=FolderSync&User=alice&DeviceId=raw&DeviceType=T"


def _connect(url: str) -> socket.socket:
    host, port = url.split("//")[1].rsplit(":", 1)
    sock = socket.create_connection((host, int(port)), timeout=10)
    return sock


def _read_all(sock: socket.socket, seconds: float) -> bytes:
    """Everything the server sends until it closes (or ``seconds`` pass)."""
    sock.settimeout(seconds)
    data = b""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            break
        except ConnectionResetError:
            break
        if not chunk:
            return data + b"<EOF>"
        data += chunk
    return data


def _head(body_len: int | str, extra: str = "") -> bytes:
    return (
        f"POST {PATH}{QUERY} HTTP/1.1\r\nHost: mock\r\n"
        "Authorization: Basic YWxpY2U6YWxpY2UtcHc=\r\n"
        f"MS-ASProtocolVersion: 14.1\r\nContent-Length: {body_len}\r\n{extra}\r\n"
    ).encode()


@pytest.mark.eas_mock(header_timeout=0.5)
def test_slow_headers_and_silent_connections_are_closed_408(eas_mock_server):
    slow = [_connect(eas_mock_server.url) for _ in range(100)]
    silent = [_connect(eas_mock_server.url) for _ in range(100)]
    start = time.monotonic()
    for sock in slow:
        sock.sendall(b"POST " + PATH.encode() + b" HTTP/1.1\r\nHost: mo")  # never finished
    try:
        answers = [_read_all(s, 5) for s in slow + silent]
        assert time.monotonic() - start < 8
        for answer in answers:
            assert answer.startswith(b"HTTP/1.1 408 ") and answer.endswith(b"<EOF>"), answer
    finally:
        for sock in slow + silent:
            sock.close()
    assert eas_mock_server.control.stats()["limits"]["header_timeout"] == 200


@pytest.mark.eas_mock(header_timeout=0.5)
def test_an_idle_kept_alive_connection_is_not_a_slow_request(eas_mock_server):
    with httpx.Client(base_url=eas_mock_server.url, auth=("alice", "alice-pw")) as http:
        assert http.options(PATH).status_code == 200
        time.sleep(1.5)  # idle between requests: keep-alive's business (75 s), not headers'
        assert http.options(PATH).status_code == 200
        assert http.options(PATH).status_code == 200
    assert eas_mock_server.control.stats()["limits"].get("header_timeout") is None


@pytest.mark.eas_mock(body_timeout=0.5)
def test_a_body_that_never_finishes_is_408(eas_mock_server):
    sock = _connect(eas_mock_server.url)
    try:
        sock.sendall(_head(100) + b"\x03\x01j\x00")  # 4 of 100 bytes, then nothing
        start = time.monotonic()
        answer = _read_all(sock, 5)
        assert answer.startswith(b"HTTP/1.1 408 ") and answer.endswith(b"<EOF>"), answer
        assert 0.4 < time.monotonic() - start < 4
    finally:
        sock.close()
    assert eas_mock_server.control.stats()["limits"]["body_timeout"] == 1


@pytest.mark.eas_mock(header_timeout=0.5, body_timeout=0.5, heartbeat_min=1)
def test_a_long_ping_is_not_a_slow_request(eas_mock_server):
    dev = ready_device(eas_mock_server)
    dev.sync_all()
    body = PingRequest(3, (PingFolder("2", "Email"),)).to_element("14.1")
    start = time.monotonic()
    resp = dev.post("Ping", body)
    assert resp.status_code == 200
    answer = PingResponse.from_element(wbxml.decode(resp.content))
    assert answer.status == PingStatus.HeartbeatExpired
    assert time.monotonic() - start >= 2.9
    assert eas_mock_server.control.stats()["limits"] == {}


@pytest.mark.eas_mock(max_body_size=1000)
def test_a_body_over_the_bound_is_413(eas_mock_server):
    dev = ready_device(eas_mock_server)
    big = wbxml.encode(E("FolderHierarchy:FolderSync", E("FolderHierarchy:SyncKey", "0" * 2000)))
    assert dev.post("FolderSync", big).status_code == 413  # declared by Content-Length
    # Chunked, so the size shows only while reading.
    chunked = dev.http.post(
        PATH + QUERY,
        content=iter([big[:600], big[600:]]),
        headers={"MS-ASProtocolVersion": "14.1", "X-MS-PolicyKey": str(dev.policy_key)},
    )
    assert chunked.status_code == 413
    assert dev.folder_sync().status == 1  # a small one is served
    assert eas_mock_server.control.stats()["limits"]["body_too_large"] == 2


@pytest.mark.eas_mock(max_connections_per_address=5)
def test_connections_over_the_per_address_cap_get_503(eas_mock_server):
    held = [_connect(eas_mock_server.url) for _ in range(5)]
    try:
        time.sleep(0.2)
        extra = _connect(eas_mock_server.url)
        answer = _read_all(extra, 5)
        extra.close()
        assert answer.startswith(b"HTTP/1.1 503 ") and b"retry-after: " in answer.lower()
        assert answer.endswith(b"<EOF>")
        held.pop().close()
        deadline = time.monotonic() + 5
        status = None
        while time.monotonic() < deadline:
            with httpx.Client(base_url=eas_mock_server.url, auth=("alice", "alice-pw")) as http:
                status = http.options(PATH).status_code
            if status == 200:
                break
            time.sleep(0.1)
        assert status == 200  # a freed slot is usable again
    finally:
        for sock in held:
            sock.close()
    assert eas_mock_server.control.stats()["limits"]["refused_connection"] >= 1


def _huge_body(folders: int) -> bytes:
    """A Ping body with ``folders`` Folder elements, built by repeating one's bytes."""

    def ping(n: int) -> bytes:
        folder = E("Ping:Folder", E("Ping:Id", "2"), E("Ping:Class", "Email"))
        return wbxml.encode(E("Ping:Ping", E("Ping:Folders", *[folder] * n)))

    one, two = ping(1), ping(2)
    repeated = two[len(one) - 2 : -2]  # the second Folder, before the two closing ENDs
    assert one[:-2] + repeated + one[-2:] == two
    return one[:-2] + repeated * (folders - 1) + one[-2:]


def test_a_huge_body_does_not_stall_other_users(eas_mock_server):
    body = _huge_body(120_000)
    start = time.perf_counter()
    wbxml.decode(body)
    decode_time = time.perf_counter() - start  # the baseline, on this machine, now
    alice = ready_device(eas_mock_server)
    done = threading.Event()
    result: dict = {}

    def send_huge() -> None:
        # A Ping body sent as FolderSync: decoding is all the work (then Status 103).
        result["resp"] = alice.post("FolderSync", body)
        done.set()

    latencies: list[float] = []
    with httpx.Client(base_url=eas_mock_server.url, auth=("bob", "bob-pw")) as http:
        http.options(PATH)
        thread = threading.Thread(target=send_huge)
        thread.start()
        while not done.is_set() and len(latencies) < 10_000:
            t = time.perf_counter()
            assert http.options(PATH).status_code == 200
            latencies.append(time.perf_counter() - t)
        thread.join(30)
    assert wbxml.decode(result["resp"].content).findtext("Status") == "103"
    assert len(latencies) >= 3
    # Decoded on the event loop, one of bob's requests waits for (nearly) the whole decode.
    assert max(latencies) < decode_time / 2, (max(latencies), decode_time)
