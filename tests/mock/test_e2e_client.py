"""End to end: the project's client (easclient.client) against the mock over real HTTP."""

from __future__ import annotations

import threading
import time

import pytest

from easclient.client import PingOutcome


@pytest.fixture
def make_client(eas_client):
    def make(server, user_index: int = 0, **kw):
        return eas_client(server, user=server.users[user_index].name, ping_margin=5.0, **kw)

    return make


def test_provision_folder_sync_sync_all_mail(eas_mock_server, make_client):
    client = make_client(eas_mock_server)
    report = client.sync_all_mail()
    assert report.folders_added == 11
    assert report.folders["2"].added == 10  # the fixture's ten Inbox mails
    devices = eas_mock_server.control.devices()["alice"]
    assert devices[0]["provisioned"]


def test_ping_woken_by_delivery_and_timing_out(eas_mock_server, make_client):
    client = make_client(eas_mock_server)
    client.sync_all_mail()
    timer = threading.Timer(0.5, lambda: eas_mock_server.control.deliver("alice", 2))
    timer.start()
    start = time.monotonic()
    report = client.ping_step()
    timer.join(10)  # the delivery's answer read before the fixture stops the server
    assert report.outcome is PingOutcome.CHANGES and report.folders == ("2",)
    assert time.monotonic() - start < 5
    timeout = client.ping(heartbeat=1)
    assert timeout.outcome is PingOutcome.NO_CHANGES and 0.9 < timeout.seconds < 3


def test_faults_answered_by_the_client(eas_mock_server, make_client):
    slept: list[float] = []
    client = make_client(eas_mock_server, sleep=slept.append)
    client.sync_all_mail()
    control = eas_mock_server.control
    control.add_fault(action="http_status", status=503, retry_after=3, command="Sync", count=1)
    control.add_fault(action="http_status", status=449, command="Sync", count=1)
    control.add_fault(
        action="http_status",
        status=451,
        location=eas_mock_server.url + "/Microsoft-Server-ActiveSync",
        command="FolderSync",
        count=1,
    )
    eas_mock_server.control.deliver("alice", 1)
    report = client.sync_all_mail()
    assert report.folders["2"].added == 1
    assert 3 in slept  # Retry-After honoured
    stats = control.stats()
    assert stats["faults_fired"]["http_status"] == 3
    assert stats["requests"]["Provision"] >= 4  # re-provisioned after the 449


@pytest.mark.eas_mock(personality="sogo", heartbeat_min=None, heartbeat_max=3)
def test_sogo_status_5_is_adopted(eas_mock_server, make_client):
    """With SOGo's quirks: no policy to provision, and Status 5 only after the maximum."""
    client = make_client(eas_mock_server)
    client.sync_all_mail()
    assert client.state.policy_key is None
    report = client.ping(heartbeat=60)
    assert report.outcome is PingOutcome.ADJUSTED and report.server_heartbeat == 3
    assert report.seconds >= 2.5  # held for the maximum, as SOGo does


@pytest.mark.parametrize(
    ("action", "outcome"),
    [
        ("drop", PingOutcome.CLOSED),
        ("reset", PingOutcome.RESET),
        ("truncate", PingOutcome.CLOSED),
    ],
)
def test_connection_faults_classified_by_the_client(eas_mock_server, make_client, action, outcome):
    client = make_client(eas_mock_server)
    client.sync_all_mail()
    # Held a moment first: the client resends a Ping whose reused connection failed at once
    # (the stale keep-alive race), but one lost after being held is the path's answer.
    eas_mock_server.control.add_fault(action="delay", command="Ping", seconds=0.8, count=1)
    eas_mock_server.control.add_fault(action=action, command="Ping", keep=3, count=1)
    eas_mock_server.control.deliver("alice", 1)  # so an unfaulted Ping would answer at once
    assert client.ping(heartbeat=5).outcome is outcome
    assert client.ping(heartbeat=5).outcome is PingOutcome.CHANGES
