"""NTLM through pyspnego on both sides: the client's httpx auth flow against the mock's acceptor
(pyspnego's server with the mock's users), the connection staying signed in, and eas check's
finding when a Ping on a new connection is challenged again."""

from __future__ import annotations

import json

import pytest

from easclient.client import DeviceState, EasClient, HttpxTransport, get_profile
from easclient.client.auth import SpnegoAuth
from easclient.protocol import AuthenticationFailed, build_options_request

from .conftest import eas

pytestmark = pytest.mark.eas_mock(auth_schemes=("ntlm",))


def test_one_handshake_per_connection(eas_mock_server) -> None:
    server = eas_mock_server
    auth = SpnegoAuth("alice", server.user.password)
    with HttpxTransport(server.url, auth=auth) as tr:
        for _ in range(3):
            assert tr.send(build_options_request()).status_code == 200
        assert auth.handshakes == 1 and auth.rechallenged == {}
    # A new connection (a new transport) is challenged: the handshake runs again.
    with HttpxTransport(server.url, auth=auth) as tr:
        assert tr.send(build_options_request()).status_code == 200
    assert auth.handshakes == 2 and auth.rechallenged == {"OPTIONS": 1}
    assert "alice-pw" not in repr(auth)


def test_the_device_flow_over_ntlm_and_a_wrong_password(eas_mock_server, tmp_path) -> None:
    server = eas_mock_server
    auth = SpnegoAuth("alice", server.user.password)
    profile = get_profile("iphone")
    with (
        HttpxTransport(server.url, auth=auth) as tr,
        DeviceState(tmp_path / "s.db") as state,
    ):
        client = EasClient(tr, user="alice", profile=profile, device_id="NTLM1", state=state)
        client.provision()
        folders = client.folder_sync()
        assert folders
    with (
        HttpxTransport(server.url, auth=SpnegoAuth("alice", "wrong")) as tr,
        DeviceState(":memory:") as state,
        pytest.raises(AuthenticationFailed) as err,
    ):
        EasClient(tr, user="alice", profile=profile, device_id="NTLM2", state=state).options()
    assert err.value.headers.get("www-authenticate") == "NTLM"


def test_cli_sync_and_check_with_ntlm(eas_mock_server, tmp_path) -> None:
    server = eas_mock_server
    env = {"EAS_PASSWORD": server.user.password}
    r = eas(
        "sync", server.url, "--auth", "ntlm", "-u", "alice",
        "--state", str(tmp_path / "s.db"), "--json",
        env=env,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    r = eas(
        "check", server.url, "--auth", "ntlm", "-u", "alice", "--ping-heartbeat", "1",
        "--json",
        env=env,
    )  # fmt: skip
    assert r.returncode == 0, r.stdout
    steps = {s["name"]: s for s in json.loads(r.stdout)["steps"]}
    assert steps["ping"]["result"] == "pass"
    finding = steps["ntlm-connection"]
    assert finding["result"] == "warn"
    assert "challenged again" in finding["detail"]
    assert finding["data"]["ping_challenged"] == 1
    assert server.user.password not in r.stdout


def test_check_with_basic_names_the_ntlm_offer(eas_mock_server) -> None:
    server = eas_mock_server
    r = eas(
        "check", server.url, "-u", "alice", "--json",
        env={"EAS_PASSWORD": server.user.password},
    )  # fmt: skip
    assert r.returncode == 1
    step = {s["name"]: s for s in json.loads(r.stdout)["steps"]}["options"]
    assert "does not take Basic; it offers NTLM" in step["detail"]
    assert "--auth ntlm" in step["fix"]
