"""`eas discover EMAIL`, and `eas check` / `eas sync` / `eas options` started from an e-mail
address, against the mock server on 127.0.0.1 with a DNS server the test starts (names it does
not know are NXDOMAIN: nothing leaves the machine)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from easclient.cli.groups import group
from easclient.client.discover import recall, remember
from easclient.client.state import DeviceState
from tests.client.autodiscover_env import ALICE, DOMAIN, PASSWORD, LocalDns, mock, port_of

app = typer.Typer(pretty_exceptions_enable=False)


@app.callback()
def _root() -> None:
    pass


app.add_typer(group("diagnose"))  # discover, check
app.add_typer(group("device"))  # sync, options

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str):
    return CliRunner().invoke(
        app, list(args), env={"EAS_PASSWORD": PASSWORD}, catch_exceptions=False
    )


@pytest.fixture
def dns():
    with LocalDns() as server:
        yield server


@pytest.fixture
def server():
    with mock() as handle:
        yield handle


def test_discover_text_lists_every_try_and_the_winner(dns, server):
    to = f"autodiscover.{DOMAIN}:443:127.0.0.1:{port_of(server)}"
    r = run("discover", ALICE, "--user", "alice", "--ca-file", server.ca_file,
            "--dns-server", dns.address, "--connect-to", to)  # fmt: skip
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert lines[0] == f"Autodiscover for {ALICE}"
    assert lines[1].startswith(f"  1. [root-domain] POST https://{DOMAIN}/autodiscover/")
    assert "NXDOMAIN" in lines[1]
    assert lines[2].startswith("* 2. [autodiscover-host] POST https://autodiscover.")
    assert "TLS TLSv1" in lines[2] and "HTTP 200" in lines[2]
    assert lines[-1].startswith(f"found: {server.url}/Microsoft-Server-ActiveSync (via ")


def test_discover_json_and_exit_1_when_nothing_answers(dns):
    r = run("discover", ALICE, "--dns-server", dns.address, "--json")
    assert r.exit_code == 1
    doc = json.loads(r.stdout)
    assert doc["found"] is False and doc["url"] is None
    assert [a["kind"] for a in doc["attempts"]] == [
        "root-domain",
        "autodiscover-host",
        "http-redirect",
        "srv-lookup",
        "v2-json",
    ]
    assert all("NXDOMAIN" in a["dns"] for a in doc["attempts"])
    assert {"url", "dns", "tls", "http_status", "seconds", "outcome"} <= set(doc["attempts"][0])


def test_discover_bad_input_is_one_line():
    env = {**os.environ, "EAS_PASSWORD": "x"}
    for args, message in [
        (["not-an-address"], "eas: error: not an e-mail address: 'not-an-address'\n"),
        ([ALICE, "--dns-server", "ns.test"], "eas: error: --dns-server 'ns.test': HOST must"),
        ([ALICE, "--connect-to", "a:b"], "eas: error: --connect-to wants HOST1:PORT1:HOST2"),
    ]:
        r = subprocess.run(
            [sys.executable, "-m", "easclient.cli", "discover", *args],
            capture_output=True, text=True, timeout=60, cwd=ROOT, env=env,
        )  # fmt: skip
        assert r.returncode == 2, r.stderr
        assert r.stderr.startswith(message) and r.stderr.count("\n") == 1
        assert r.stdout == ""


def test_check_an_email_address_end_to_end(dns, server):
    to = f"{DOMAIN}:443:127.0.0.1:{port_of(server)}"
    r = run("check", ALICE, "--user", "alice", "--password-env", "EAS_PASSWORD",
            "--ca-file", server.ca_file, "--dns-server", dns.address, "--connect-to", to,
            "--ping-heartbeat", "1", "--json")  # fmt: skip
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["verdict"] == "pass", r.stdout
    names = [s["name"] for s in doc["steps"]]
    assert names[:2] == ["autodiscover-1", "autodiscover"]
    assert names[2:] == ["dns", "tcp", "tls", "tls-trust", "tls-name", "tls-dates",
                         "options", "provision", "foldersync", "sync", "ping"]  # fmt: skip
    assert doc["target"] == f"{ALICE} → {server.url}/Microsoft-Server-ActiveSync"
    first = doc["steps"][0]
    assert first["title"] == "Autodiscover root-domain" and first["result"] == "pass"
    assert "HTTP 200" in first["detail"] and "TLS TLSv1" in first["detail"]


def test_check_an_email_address_nothing_found_fails(dns):
    r = run("check", ALICE, "--dns-server", dns.address)
    assert r.exit_code == 1
    assert "Autodiscover" in r.stdout and "no ActiveSync URL" in r.stdout
    assert "verdict: FAIL" in r.stdout


def test_sync_from_an_email_address_finds_the_server_by_srv_and_keeps_it(dns, server, tmp_path):
    dns.add_srv(f"_autodiscover._tcp.{DOMAIN}", f"eas.{DOMAIN}.", port_of(server))
    dns.add_a(f"eas.{DOMAIN}")
    state = tmp_path / "s.sqlite3"
    args = ["sync", ALICE, "--user", "alice", "--ca-file", server.ca_file, "--state", str(state),
            "--dns-server", dns.address, "--json"]  # fmt: skip
    r = run(*args)
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["folders"]
    with DeviceState(state) as s:
        assert recall(s, ALICE) == f"{server.url}/Microsoft-Server-ActiveSync"
    srv_queries = [q for q in dns.zone.queries if q[1] == "SRV"]
    r = run(*args, "--verbose")  # the saved URL: no Autodiscover this time
    assert r.exit_code == 0, r.output
    assert [q for q in dns.zone.queries if q[1] == "SRV"] == srv_queries
    assert "using the saved URL" in r.stderr


def test_a_saved_url_that_fails_is_found_again(dns, server, tmp_path):
    state = tmp_path / "s.sqlite3"
    with DeviceState(state) as s:
        remember(s, ALICE, "https://127.0.0.1:9/Microsoft-Server-ActiveSync")  # nothing there
    to = f"{DOMAIN}:443:127.0.0.1:{port_of(server)}"
    r = run("options", ALICE, "--user", "alice", "--ca-file", server.ca_file,
            "--state", str(state), "--dns-server", dns.address, "--connect-to", to,
            "--json", "--verbose")  # fmt: skip
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["versions"]
    assert f"autodiscover: {ALICE} → {server.url}" in r.stderr
    with DeviceState(state) as s:
        assert recall(s, ALICE) == f"{server.url}/Microsoft-Server-ActiveSync"


def test_sync_from_an_address_nothing_answers_is_one_line(dns, tmp_path):
    r = run("sync", ALICE, "--user", "alice", "--state", str(tmp_path / "s.sqlite3"),
            "--dns-server", dns.address)  # fmt: skip
    assert r.exit_code == 2
    assert "Autodiscover found no ActiveSync URL for alice@example.test" in r.output
