"""The mock server's Autodiscover endpoints over real HTTP on 127.0.0.1: what each scenario
answers, and refused scenario settings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from easclient.mock import MockConfig, MockConfigError
from easclient.mock.autodiscover import parse_scenario
from easclient.protocol.autodiscover import (
    build_autodiscover_request,
    parse_autodiscover_response,
    parse_autodiscover_v2,
)
from tests.client.autodiscover_env import ALICE, PASSWORD, mock

POX = "/autodiscover/autodiscover.xml"


def post(server, email: str, auth=("alice", PASSWORD), path: str = POX) -> httpx.Response:
    return httpx.post(
        server.url + path,
        content=build_autodiscover_request(email),
        auth=auth,
        headers={"Content-Type": "text/xml"},
        timeout=10,
    )


def test_settings_point_at_the_server_itself():
    with mock(tls=False) as server:
        r = post(server, ALICE)
        upper = post(server, ALICE, path="/Autodiscover/Autodiscover.xml")
        no_auth = post(server, ALICE, auth=None)
        stranger = post(server, "carol@example.test")
        v2 = httpx.get(
            server.url + "/autodiscover/autodiscover.json",
            params={"Email": ALICE, "Protocol": "ActiveSync"},
        )
        v2_other = httpx.get(
            server.url + "/autodiscover/autodiscover.json",
            params={"Email": "a@elsewhere.test", "Protocol": "ActiveSync"},
        )
        get = httpx.get(server.url + POX)
    url = f"{server.url}/Microsoft-Server-ActiveSync"
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/xml")
    assert parse_autodiscover_response(r.content).mobile_sync_url == url
    assert parse_autodiscover_response(upper.content).mobile_sync_url == url
    assert no_auth.status_code == 401 and "Basic" in no_auth.headers["www-authenticate"]
    err = parse_autodiscover_response(stranger.content).error
    assert err is not None and err.status == 2 and "cannot be found" in (err.message or "")
    assert parse_autodiscover_v2(v2.content).url == url
    assert v2_other.status_code == 400
    assert get.status_code == 404  # no redirect method unless the scenario says so


def test_domain_and_scenario_settings():
    with mock(
        tls=False,
        autodiscover_domain="corp.test",
        scenario={"eas_url": "https://eas.corp.test/Microsoft-Server-ActiveSync",
                  "mode": "pox-only"},
    ) as server:  # fmt: skip
        r = post(server, "alice@corp.test")
        home = post(server, ALICE)
        v2 = httpx.get(server.url + "/autodiscover/autodiscover.json")
    assert parse_autodiscover_response(r.content).mobile_sync_url == (
        "https://eas.corp.test/Microsoft-Server-ActiveSync"
    )
    assert parse_autodiscover_response(home.content).error is not None
    assert v2.status_code == 404


def test_bad_request_body_gets_error_code_600():
    with mock(tls=False) as server:
        r = httpx.post(server.url + POX, content=b"<x/>", auth=("alice", PASSWORD))
    err = parse_autodiscover_response(r.content).error
    assert err is not None and err.error_code == 600


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "not JSON"),
        ("[]", "JSON object"),
        ('{"mood": 1}', "unknown key"),
        ('{"mode": "sometimes"}', "mode 'sometimes'"),
        ('{"redirects": {"a@x": 1}}', "map strings to strings"),
        ('{"error_code": 42}', "error_code 42"),
        ('{"eas_url": 5}', "eas_url must be a string"),
    ],
)
def test_bad_scenarios_are_named(text, message):
    with pytest.raises(MockConfigError, match=message):
        parse_scenario(text)
    with pytest.raises(MockConfigError, match=message):
        MockConfig(autodiscover_scenario=text)


def test_mock_server_cli_refuses_a_bad_scenario_in_one_line():
    r = subprocess.run(
        [sys.executable, "-m", "easclient.cli", "mock-server",
         "--autodiscover-scenario", json.dumps({"mode": "sometimes"})],
        capture_output=True, text=True, timeout=60,
        cwd=Path(__file__).resolve().parents[2], env=dict(os.environ),
    )  # fmt: skip
    assert r.returncode == 2
    assert r.stderr.startswith("eas: error: autodiscover scenario mode 'sometimes'")
    assert r.stderr.count("\n") == 1
