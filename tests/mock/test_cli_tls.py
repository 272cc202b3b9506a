"""`eas mock-server` as a process (JSON line, clean stop) and TLS with test certificates."""

from __future__ import annotations

import json
import signal
import ssl
import subprocess
import sys

import httpx
import pytest

from easclient.mock import MockConfig, MockServer, spawn
from easclient.mock.config import MockConfigError, generate_users, parse_users
from easclient.tls import client_context
from easclient.url import parse_server_url

from .helpers import PATH, RawDevice


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_cli_prints_json_and_stops_cleanly(sig):
    server = spawn(["--user-count", "3", "--personality", "sogo", "--seed", "5"])
    try:
        info = server.handle.info()
        assert info["url"].startswith("http://127.0.0.1:")
        assert len(info["users"]) == 3 and info["users"][0]["name"] == "user0001"
        user = server.handle.users[1]
        opts = httpx.options(info["url"] + PATH, auth=(user.name, user.password))
        # The sogo personality's quirks: Provision unlisted, and versions up to 14.1 advertised.
        assert "Provision" not in opts.headers["ms-asprotocolcommands"]
        assert opts.headers["ms-asprotocolversions"].endswith(",14.1")
        dev = RawDevice(server.handle.url, user.name, user.password)
        dev.provision()
        assert dev.folder_sync().status == 1
        assert server.handle.control.stats()["requests"]["Provision"] == 2
    finally:
        server.handle.stop()
        server.process.send_signal(sig)
        assert server.process.wait(15) == 0


def test_cli_bad_arguments_give_one_line():
    proc = subprocess.run(
        [sys.executable, "-m", "easclient.cli", "mock-server", "--personality", "nope"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "unknown personality 'nope'" in proc.stderr
    assert proc.stdout == ""


def test_config_errors():
    with pytest.raises(MockConfigError, match="name:password"):
        parse_users("alice")
    with pytest.raises(MockConfigError, match="twice"):
        parse_users("a:1,A:2")
    with pytest.raises(MockConfigError, match="version"):
        MockConfig(versions=("13.0",))
    with pytest.raises(MockConfigError, match="above"):
        MockConfig(heartbeat_min=100, heartbeat_max=10).effective_personality()
    assert generate_users(2, seed=1) == generate_users(2, seed=1)
    assert generate_users(2, seed=1) != generate_users(2, seed=2)


def test_tls_with_the_written_ca(tmp_path):
    config = MockConfig(tls=True, tls_dir=str(tmp_path), users=tuple(parse_users("a:b")))
    with MockServer(config).start_in_thread() as server:
        assert server.url.startswith("https://127.0.0.1:")
        assert server.ca_file == str(tmp_path / "ca.pem")
        verify = client_context(server.ca_file)
        resp = httpx.options(server.url + PATH, auth=("a", "b"), verify=verify)
        assert resp.status_code == 200
        with pytest.raises(httpx.ConnectError):
            httpx.options(server.url + PATH, auth=("a", "b"))  # system CAs do not know it
        assert server.control.stats()["requests"]["OPTIONS"] == 1


def test_tls_names_reproduce_a_name_mismatch(tmp_path):
    config = MockConfig(tls=True, tls_names=("mail.example.com",), tls_dir=str(tmp_path))
    with MockServer(config).start_in_thread() as server:
        with pytest.raises(httpx.ConnectError) as err:
            httpx.options(
                server.url + PATH, verify=client_context(server.ca_file)
            )
        assert isinstance(err.value.__context__, ssl.SSLCertVerificationError) or "match" in str(
            err.value
        )
        # The certificate does name the other host: a client told to expect it accepts it.
        ctx = client_context(server.ca_file)
        where = parse_server_url(server.url)
        host, port = where.host, where.effective_port
        import socket

        with (
            socket.create_connection((host, port), timeout=5) as raw,
            ctx.wrap_socket(raw, server_hostname="mail.example.com") as tls,
        ):
            assert tls.getpeercert()["subjectAltName"] == (("DNS", "mail.example.com"),)


def test_plugin_session_fixture(eas_mock_server_session):
    dev = RawDevice(eas_mock_server_session.url, "alice", "alice-pw", device_id="session")
    dev.provision()
    assert dev.folder_sync().status == 1


@pytest.mark.eas_mock(users="carol:c-pw", personality="horde")
def test_plugin_marker_settings(eas_mock_server):
    assert [u.name for u in eas_mock_server.users] == ["carol"]
    resp = httpx.options(eas_mock_server.url + PATH, auth=("carol", "c-pw"))
    assert resp.headers["MS-Server-ActiveSync"] == "16.0"  # what real Horde names
    assert json.loads(json.dumps(eas_mock_server.info()))["users"][0]["password"] == "c-pw"
