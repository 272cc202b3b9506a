"""Ping outcome classification, with real sockets on 127.0.0.1 producing each failure."""

import socket
import struct
import threading

import httpx
import pytest

from easclient.client.outcome import PingOutcome, classify_ping_exception, classify_ping_status
from easclient.protocol import ServerError


class OneShotServer:
    """Accepts one connection, reads the request head, then does ``behaviour``."""

    def __init__(self, behaviour):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.port = self.sock.getsockname()[1]
        self.behaviour = behaviour
        self.release = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        self.sock.settimeout(5)
        try:
            conn, _ = self.sock.accept()
        except OSError:
            return
        conn.settimeout(5)
        try:
            data = b""
            while self.behaviour != "garbage" and b"\r\n\r\n" not in data:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                data += chunk
            if self.behaviour == "reset":
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            elif self.behaviour == "blackhole":
                self.release.wait(5)
            elif self.behaviour == "garbage":
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        finally:
            conn.close()
            self.sock.close()

    def stop(self):
        self.release.set()
        self.thread.join(5)


def _exc_from(behaviour, scheme="http", timeout=2.0):
    server = OneShotServer(behaviour)
    try:
        with httpx.Client(timeout=timeout) as client:
            with pytest.raises(Exception) as info:
                client.post(f"{scheme}://127.0.0.1:{server.port}/Microsoft-Server-ActiveSync")
            return info.value
    finally:
        server.stop()


def test_a_reset_connection_is_outcome_reset():
    assert classify_ping_exception(_exc_from("reset")) is PingOutcome.RESET


def test_a_close_without_answer_is_outcome_closed():
    assert classify_ping_exception(_exc_from("close")) is PingOutcome.CLOSED


def test_silence_until_read_timeout_is_blackhole():
    exc = _exc_from("blackhole", timeout=0.3)
    assert isinstance(exc, httpx.ReadTimeout)
    assert classify_ping_exception(exc) is PingOutcome.BLACKHOLE


def test_tls_to_plain_server_is_tls_error():
    assert classify_ping_exception(_exc_from("garbage", scheme="https")) is PingOutcome.TLS_ERROR


def test_refused_is_connect_error():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    with httpx.Client(timeout=2) as client, pytest.raises(httpx.ConnectError) as info:
        client.post(f"http://127.0.0.1:{port}/")
    assert classify_ping_exception(info.value) is PingOutcome.CONNECT_ERROR


def test_http_errors_and_carried_outcomes():
    assert classify_ping_exception(ServerError(502, {}, "bad gateway")) is PingOutcome.HTTP_ERROR

    class Carrier(Exception):
        outcome = PingOutcome.BLACKHOLE

    assert classify_ping_exception(Carrier()) is PingOutcome.BLACKHOLE
    with pytest.raises(KeyError):
        classify_ping_exception(KeyError("not a network failure"))


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (1, PingOutcome.NO_CHANGES),
        (2, PingOutcome.CHANGES),
        (5, PingOutcome.ADJUSTED),
        (3, PingOutcome.OTHER_STATUS),
        (7, PingOutcome.OTHER_STATUS),
        (None, PingOutcome.OTHER_STATUS),
    ],
)
def test_status_classification(status, outcome):
    assert classify_ping_status(status) is outcome
