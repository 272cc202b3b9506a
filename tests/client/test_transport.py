"""The httpx transport on its own: auth headers, TLS failures, keepalive options, bad input."""

import json
import socket

import httpx
import pytest

from easclient.client import BearerAuth, CaptureWriter, HttpxTransport, NetworkError, PingOutcome
from easclient.client.transport import BasicAuth, keepalive_socket_options
from easclient.errors import EasError
from easclient.protocol import build_options_request, build_request

from .fake_server import FakeServer, serve


def _req():
    return build_request("FolderSync", None, user="u", device_id="d1", device_type="T")


def test_bearer_token_sent_and_never_captured(tmp_path):
    seen = {}

    def handler(request):
        seen["auth"] = request.headers["authorization"]
        return httpx.Response(200)

    cap = tmp_path / "c.jsonl"
    with CaptureWriter(cap, secrets=["tok-123456"]) as writer, HttpxTransport(
        "https://h.test", auth=BearerAuth("tok-123456"), transport=httpx.MockTransport(handler),
        capture=writer,
    ) as tr:  # fmt: skip
        assert tr.send(_req()).status_code == 200
    assert seen["auth"] == "Bearer tok-123456"
    text = cap.read_text()
    assert "tok-123456" not in text
    assert json.loads(text)["request_headers"]["Authorization"] == "Bearer [redacted]"
    assert "tok-123456" not in repr(BearerAuth("tok-123456"))
    assert "s3cr3t" not in repr(BasicAuth("u", "s3cr3t"))


def test_capture_scrubs_the_transports_own_credentials(tmp_path):
    """A capture given no secrets still never holds the password or credential that the
    transport sends, even when the server echoes them back."""
    auth = BasicAuth("u", "pa55-word")
    credential = auth.header().split(" ", 1)[1]

    def handler(request):
        echo = f"{request.headers['authorization']} pa55-word"
        return httpx.Response(500, headers={"X-Echo": echo}, content=echo.encode())

    cap = tmp_path / "c.jsonl"
    with (
        CaptureWriter(cap) as writer,
        HttpxTransport(
            "https://h.test", auth=auth, transport=httpx.MockTransport(handler), capture=writer
        ) as tr,
    ):
        assert tr.send(_req()).status_code == 500
    text = cap.read_text()
    assert "pa55-word" not in text and credential not in text
    assert cap.stat().st_mode & 0o077 == 0  # the user's mail, decoded: private
    assert json.loads(text)["response_headers"]["x-echo"] == "Basic [redacted] [redacted]"


def test_tls_verification_failure_is_tls_error_with_hint(eas_mock_server_tls):
    with HttpxTransport(eas_mock_server_tls.url) as tr, pytest.raises(NetworkError) as info:
        tr.send(_req())
    assert info.value.outcome is PingOutcome.TLS_ERROR
    assert "--ca-file" in str(info.value)
    with HttpxTransport(eas_mock_server_tls.url, verify=False) as tr:
        assert tr.send(_req()).status_code in (200, 401, 449)


@pytest.fixture
def eas_mock_server_tls(eas_mock_config):
    from dataclasses import replace

    from easclient.mock import MockServer

    handle = MockServer(replace(eas_mock_config, tls=True)).start_in_thread()
    try:
        yield handle
    finally:
        handle.stop()


def test_keepalive_options():
    opts = keepalive_socket_options(30)
    assert (socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1) in opts
    if hasattr(socket, "TCP_KEEPIDLE"):
        assert (socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 30) in opts
        assert (socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 10) in opts


def test_keepalive_is_set_on_the_real_socket():
    server = FakeServer(require_provision=False)
    with serve(server) as url, HttpxTransport(url, tcp_keepalive=17) as tr:
        assert tr.send(build_options_request()).status_code == 200
        # The pooled connection's socket (httpcore exposes it as the stream's "socket" extra).
        conn = tr._client._transport._pool.connections[0]
        sock = conn._connection._network_stream.get_extra_info("socket")
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
        if hasattr(socket, "TCP_KEEPIDLE"):
            assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE) == 17


def test_bad_inputs_are_clear(tmp_path):
    with pytest.raises(EasError, match="ftp://x"):
        HttpxTransport("ftp://x")
    bad = tmp_path / "ca.pem"
    bad.write_text("not a certificate")
    with pytest.raises(EasError, match=r"ca\.pem"):
        HttpxTransport("https://h.test", ca_file=str(bad))


SOGO_PATH = "/SOGo/Microsoft-Server-ActiveSync"


@pytest.mark.parametrize("suffix", [SOGO_PATH, SOGO_PATH + "/"])
def test_the_endpoint_path_comes_from_the_url(tmp_path, suffix):
    """A server that answers only at /SOGo/Microsoft-Server-ActiveSync is reached through a URL
    naming that path, and the capture shows the path the request went to."""
    server = FakeServer(path=SOGO_PATH)
    cap = tmp_path / "c.jsonl"
    with serve(server) as url, CaptureWriter(cap) as writer:
        with HttpxTransport(url + suffix, capture=writer) as tr:
            assert tr.send(build_options_request()).status_code == 200
            assert tr.send(_req()).status_code == 449  # reached the EAS handler: no policy key
        with HttpxTransport(url) as tr:  # no path: the standard one, which this server lacks
            assert tr.send(build_options_request()).status_code == 404
    targets = [t for _, t, _, _ in server.requests]
    assert targets[0] == SOGO_PATH and targets[1].startswith(SOGO_PATH + "?Cmd=FolderSync&")
    assert targets[2] == "/Microsoft-Server-ActiveSync"
    lines = [json.loads(line) for line in cap.read_text().splitlines()]
    assert [e["url"] for e in lines] == [url + SOGO_PATH, url + targets[1]]


@pytest.mark.parametrize("bad", ["http://h.test/eas?x=1", "http://h.test/#frag"])
def test_a_url_with_a_query_or_fragment_is_refused(bad):
    with pytest.raises(EasError, match="query or fragment") as info:
        HttpxTransport(bad)
    assert bad in str(info.value)
