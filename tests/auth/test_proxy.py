"""Outbound proxies: --proxy and HTTPS_PROXY / NO_PROXY through a real forward proxy (proxy.py)
between the CLI and the mock server, eas check's proxy CONNECT step, and the heartbeat probe
through a proxy that closes idle tunnels (the same Direct-Push killer as a NAT)."""

from __future__ import annotations

import json
import socket

import pytest

from easclient.client.netconfig import bypassed, choose_proxy
from easclient.errors import EasError

from .conftest import eas
from .forward_proxy import NamingProxy, forward_proxy

pytestmark = pytest.mark.eas_mock(tls=True)


def _dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_choose_proxy_reads_the_environment(monkeypatch) -> None:
    for var in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(var, raising=False)
    assert choose_proxy("https://mail.example.test") is None
    monkeypatch.setenv("HTTPS_PROXY", "proxy.corp.test:3128")
    assert choose_proxy("https://mail.example.test") == "http://proxy.corp.test:3128"
    assert choose_proxy("https://mail.example.test", trust_env=False) is None
    assert choose_proxy("https://m.example.test", "http://other:8080") == "http://other:8080"
    monkeypatch.setenv("NO_PROXY", "localhost,.example.test")
    assert choose_proxy("https://mail.example.test") is None
    assert choose_proxy("https://mail.example.org") == "http://proxy.corp.test:3128"
    assert bypassed("127.0.0.1", "10.0.0.1, 127.0.0.1:443") and not bypassed("h", "")
    with pytest.raises(EasError, match="proxy must be"):
        choose_proxy("https://x.test", "ftp://p:21")


def test_options_through_proxy_flag_and_environment(eas_mock_server, tmp_path) -> None:
    server = eas_mock_server
    env = {"EAS_PASSWORD": server.user.password}
    args = ["options", server.url, "-u", "alice", "--ca-file", server.ca_file, "--json"]
    with forward_proxy(tmp_path) as proxy:
        r = eas(*args, "--proxy", proxy.url, env=env)
        assert r.returncode == 0, r.stderr
        assert "16.1" in json.loads(r.stdout)["versions"]
        port = server.url.rsplit(":", 1)[1]
        assert f"CONNECT 127.0.0.1:{port}" in proxy.log_text()
        r = eas(*args, env={**env, "HTTPS_PROXY": proxy.url})
        assert r.returncode == 0, r.stderr
        assert proxy.log_text().count(f"CONNECT 127.0.0.1:{port}") == 2
    dead = f"http://127.0.0.1:{_dead_port()}"
    # Through a proxy that is not there: fails, so the requests above did go through one...
    r = eas(*args, env={**env, "HTTPS_PROXY": dead})
    assert r.returncode == 2 and "cannot connect" in r.stderr
    r = eas(*args, "--proxy", dead, env=env)
    assert r.returncode == 2 and "cannot connect" in r.stderr
    # ...and NO_PROXY naming the server sends it direct.
    r = eas(*args, env={**env, "HTTPS_PROXY": dead, "NO_PROXY": "127.0.0.1"})
    assert r.returncode == 0, r.stderr


def test_check_shows_the_proxy_connect_step(eas_mock_server, tmp_path) -> None:
    server = eas_mock_server
    env = {"EAS_PASSWORD": server.user.password}
    args = ["check", server.url, "-u", "alice", "--ca-file", server.ca_file, "--json"]
    with forward_proxy(tmp_path) as proxy:
        r = eas(*args, "--ping-heartbeat", "1", "--proxy", proxy.url, env=env)
    assert r.returncode == 0, r.stdout
    steps = {s["name"]: s for s in json.loads(r.stdout)["steps"]}
    assert steps["proxy"]["result"] == "pass"
    assert steps["proxy"]["data"]["proxy"] == proxy.url
    assert steps["proxy"]["data"]["status"] == 200
    assert steps["proxy"]["data"]["seconds"] < 5
    assert steps["ping"]["result"] == "pass"
    r = eas(*args, "--proxy", f"http://127.0.0.1:{_dead_port()}", env=env)
    assert r.returncode == 1
    step = {s["name"]: s for s in json.loads(r.stdout)["steps"]}["proxy"]
    assert step["result"] == "fail" and "cannot reach the proxy" in step["detail"]


@pytest.mark.eas_mock(tls=True, heartbeat_min=1)
def test_heartbeat_probe_finds_a_proxys_idle_timeout(eas_mock_server, tmp_path) -> None:
    """proxy.py closes a tunnel idle for 4 s: a Ping held 2 s survives, one held 8 s is cut;
    the probe, through the proxy, puts the limit between them."""
    server = eas_mock_server
    env = {"EAS_PASSWORD": server.user.password}
    with forward_proxy(tmp_path, idle_timeout=4) as proxy:
        r = eas(
            "heartbeat-probe", server.url, "-u", "alice", "--ca-file", server.ca_file,
            "--proxy", proxy.url, "--min", "2", "--max", "8", "--lanes", "3",
            "--margin", "1", "--budget", "90", "--json",
            env=env,
            timeout=150,
        )  # fmt: skip
    assert r.returncode == 0, (r.stdout, r.stderr)
    doc = json.loads(r.stdout)
    assert 2 <= doc["longest_surviving_heartbeat"] < 4 + 1
    assert doc["shortest_lost_heartbeat"] is not None
    assert 4 <= doc["shortest_lost_heartbeat"] <= 8


@pytest.mark.eas_mock(tls=True, tls_names=("mail.proxy-only.test",))
def test_check_through_a_proxy_when_only_the_proxy_reaches_the_server(eas_mock_server) -> None:
    """The server's name does not resolve here; the proxy alone reaches it. The direct steps
    say so without failing the check, and the EAS steps run through the tunnel."""
    server = eas_mock_server
    port = server.url.rsplit(":", 1)[1]
    proxy = NamingProxy("mail.proxy-only.test")
    try:
        r = eas(
            "check", f"https://mail.proxy-only.test:{port}", "-u", "alice",
            "--ca-file", server.ca_file, "--ping-heartbeat", "1", "--proxy", proxy.url, "--json",
            env={"EAS_PASSWORD": server.user.password},
        )  # fmt: skip
    finally:
        proxy.close()
    assert r.returncode == 0, r.stdout
    steps = {s["name"]: s for s in json.loads(r.stdout)["steps"]}
    assert steps["dns"]["result"] == "fail" and steps["dns"]["required"] is False
    assert "the device goes through" in steps["dns"]["detail"]
    assert steps["proxy"]["result"] == "pass"
    assert steps["ping"]["result"] == "pass"
