"""`easclient.EasClient.connect`, the front door: a ready client from a URL and credentials,
against the mock server over real HTTP, that owns (and closes) what it opened."""

from __future__ import annotations

import threading

import pytest

import easclient
from easclient import BasicAuth, EasClient, MemoryState, PingOutcome, StateStore


def test_connect_syncs_and_pings_the_mock(eas_mock_server):
    user = eas_mock_server.user
    with EasClient.connect(
        eas_mock_server.url, auth=BasicAuth(user.name, user.password), profile="android"
    ) as client:
        assert isinstance(client.state, MemoryState)  # the default: nothing on disk
        report = client.sync_all_mail()
        assert report.folders["2"].added == 10
        timer = threading.Timer(0.3, lambda: eas_mock_server.control.deliver(user.name, 1))
        timer.start()
        try:
            ping = client.ping(heartbeat=5)
        finally:
            timer.join()
        assert ping.outcome is PingOutcome.CHANGES and "2" in ping.folders
    devices = eas_mock_server.control.devices()[user.name]
    assert devices[0]["device_id"] == client.device_id and devices[0]["provisioned"]


def test_connect_with_a_state_path_resumes_and_closes_the_file(eas_mock_server, tmp_path):
    user = eas_mock_server.user
    auth = BasicAuth(user.name, user.password)
    path = tmp_path / "alice.sqlite3"
    with EasClient.connect(eas_mock_server.url, auth=auth, state=path) as first:
        first.sync_all_mail()
        key = first.state.sync_key("2")
    assert first.owned == []  # transport and state file closed
    with EasClient.connect(eas_mock_server.url, auth=auth, state=path) as again:
        assert again.device_id == first.device_id  # stable per profile, user and host
        assert again.state.sync_key("2") == key
        assert again.sync_all_mail().folders["2"].added == 0


def test_a_store_passed_in_is_the_callers_to_close(eas_mock_server):
    user = eas_mock_server.user
    store = MemoryState()
    client = EasClient.connect(
        eas_mock_server.url, auth=BasicAuth(user.name, user.password), state=store
    )
    client.close()
    assert client.state is store and isinstance(store, StateStore)


def test_connect_refuses_an_unknown_protocol_version():
    with pytest.raises(easclient.VersionError, match=r"'17\.0'") as info:
        EasClient.connect("https://mail.example.test", protocol="17.0")
    assert info.value.value == "17.0"
    # (An e-mail address runs Autodiscover: tests/client/test_discover.py, with a local DNS.)


def test_a_url_that_is_an_e_mail_address_is_named_as_one():
    with pytest.raises(easclient.UrlError, match="Autodiscover"):
        easclient.url.resolve_target("alice@example.com")


@pytest.mark.eas_mock(tls=True)
def test_connect_trusts_the_ca_file_it_is_given(eas_mock_server, eas_client):
    user = eas_mock_server.user
    auth = BasicAuth(user.name, user.password)
    with (
        pytest.raises(easclient.NetworkError, match="TLS"),
        EasClient.connect(eas_mock_server.url, auth=auth) as client,
    ):
        client.options()
    with EasClient.connect(eas_mock_server.url, auth=auth, ca_file=eas_mock_server.ca_file) as c:
        assert "14.1" in c.options().versions
    assert "14.1" in eas_client().options().versions  # the fixture trusts the server's CA


def test_the_eas_client_fixture_makes_separate_devices(eas_client, eas_mock_server):
    alice, bob = eas_client(), eas_client(user="bob")
    assert alice.user == "alice" and bob.user == "bob" and alice.device_id != bob.device_id
    assert bob.sync_all_mail().folders["2"].added == 10
