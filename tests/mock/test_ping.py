"""Direct Push: Ping really waits, wakes on delivery, times out, and each personality's bounds."""

from __future__ import annotations

import threading
import time

import pytest

from easclient.protocol.ping import PingFolder, PingRequest, PingResponse
from easclient.protocol.status import PingStatus

from .helpers import RawDevice, ready_device

INBOX = (PingFolder("2", "Email"),)


def ping(dev, heartbeat=None, folders=None) -> PingResponse:
    """Ping; with neither heartbeat nor folders it is the empty Ping (no body)."""
    if folders is None:
        folders = INBOX if heartbeat is not None else ()
    request = PingRequest(heartbeat, folders)
    body = request.to_body(dev.version)
    resp = dev.post("Ping", body)
    assert resp.status_code == 200
    from easclient import wbxml

    return PingResponse.from_element(wbxml.decode(resp.content))


def test_ping_is_woken_by_a_delivery(eas_mock_server):
    dev = ready_device(eas_mock_server)
    dev.sync_all()
    result: dict = {}

    def run() -> None:
        result["response"] = ping(dev, 30)
        result["at"] = time.time()

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.time() + 5
    while eas_mock_server.control.stats()["parked_pings"] < 1 and time.time() < deadline:
        time.sleep(0.02)
    assert eas_mock_server.control.stats()["parked_pings"] == 1
    delivered = eas_mock_server.control.deliver("alice", 1)
    thread.join(10)
    assert result["response"] == PingResponse(PingStatus.ChangesOccurred, ("2",))
    latency = result["at"] - delivered[0]["delivered_at"]
    assert 0 <= latency < 1.0
    assert eas_mock_server.control.stats()["parked_pings"] == 0


def test_ping_times_out_after_the_heartbeat(eas_mock_server):
    dev = ready_device(eas_mock_server)
    dev.sync_all()
    start = time.monotonic()
    assert ping(dev, 2).status == PingStatus.HeartbeatExpired
    assert 1.9 <= time.monotonic() - start < 4


def test_delivery_to_another_user_does_not_wake(eas_mock_server):
    dev = ready_device(eas_mock_server)
    dev.sync_all()
    timer = threading.Timer(0.3, lambda: eas_mock_server.control.deliver("bob", 1))
    timer.start()
    assert ping(dev, 1).status == PingStatus.HeartbeatExpired
    timer.join(10)  # the delivery's answer read before the fixture stops the server


def test_pending_changes_answer_at_once_and_empty_ping_uses_the_cache(eas_mock_server):
    dev = ready_device(eas_mock_server)
    key, _ = dev.sync_all()
    assert ping(dev, 1).status == PingStatus.HeartbeatExpired  # caches heartbeat and folders
    eas_mock_server.control.deliver("alice", 2)
    start = time.monotonic()
    assert ping(dev).folders == ("2",)  # empty Ping, changes already waiting
    assert time.monotonic() - start < 1
    dev.sync("2", key)
    assert ping(dev).status == PingStatus.HeartbeatExpired


def test_empty_ping_without_cache_is_status_3(eas_mock_server):
    dev = ready_device(eas_mock_server)
    assert ping(dev, None, ()).status == PingStatus.MissingParameters


def test_unknown_folder_is_status_7_and_too_many_is_6(eas_mock_server):
    dev = ready_device(eas_mock_server)
    assert ping(dev, 5, (PingFolder("404"),)).status == PingStatus.FolderHierarchySyncRequired
    many = tuple(PingFolder(str(i)) for i in range(400))
    answer = ping(dev, 5, many)
    assert answer.status == PingStatus.TooManyFolders and answer.max_folders == 300


def test_a_new_ping_from_the_same_device_ends_the_parked_one(eas_mock_server):
    dev = ready_device(eas_mock_server)
    dev.sync_all()
    results = []
    thread = threading.Thread(target=lambda: results.append(ping(dev, 30)))
    thread.start()
    time.sleep(0.3)
    user = eas_mock_server.user
    second = RawDevice(eas_mock_server.url, user.name, user.password)  # same DeviceId
    second.policy_key = dev.policy_key
    assert ping(second, 1).status == PingStatus.HeartbeatExpired
    thread.join(5)
    assert results and results[0].status == PingStatus.HeartbeatExpired


@pytest.mark.parametrize(
    ("personality", "heartbeat", "bound"),
    [
        ("exchange", 30, 60),
        ("exchange", 4000, 3540),
        ("horde", 30, 60),
        ("horde", 3000, 2700),
        ("sogo", 20, 10),
    ],
)
def test_personality_status_5(eas_mock_config, personality, heartbeat, bound):
    from dataclasses import replace

    from easclient.mock import MockServer

    # The bounds alone: SOGo's quirk of holding Status 5 is in test_personality_quirks.py.
    config = replace(eas_mock_config, personality=personality, heartbeat_min=None, quirks=())
    with MockServer(config).start_in_thread() as server:
        dev = ready_device(server)
        answer = ping(dev, heartbeat)
        assert answer == PingResponse(PingStatus.InvalidHeartbeatInterval, heartbeat_interval=bound)
        assert ping(dev).status == PingStatus.MissingParameters  # nothing was cached


@pytest.mark.eas_mock(personality="zpush")
def test_zpush_has_no_bounds(eas_mock_server):
    dev = ready_device(eas_mock_server)
    dev.sync_all()
    timer = threading.Timer(0.3, lambda: eas_mock_server.control.deliver("alice", 1))
    timer.start()
    assert ping(dev, 100_000).status == PingStatus.ChangesOccurred
    timer.join(10)  # the delivery's answer read before the fixture stops the server


@pytest.mark.eas_mock(personality="zpush", heartbeat_min=0, heartbeat_max=100)
def test_zpush_with_bounds_caches_and_answers_empty_ping_with_3(eas_mock_server):
    dev = ready_device(eas_mock_server)
    answer = ping(dev, 200)
    assert answer == PingResponse(PingStatus.InvalidHeartbeatInterval, heartbeat_interval=100)
    assert ping(dev).status == PingStatus.MissingParameters
    assert ping(dev, 1).status == PingStatus.HeartbeatExpired
    assert ping(dev).status == PingStatus.HeartbeatExpired  # now the cache is in range


@pytest.mark.eas_mock(personality="exchange", heartbeat_min=1, heartbeat_max=3)
def test_bounds_are_overridable(eas_mock_server):
    dev = ready_device(eas_mock_server)
    assert ping(dev, 5).heartbeat_interval == 3
    assert ping(dev, 1).status == PingStatus.HeartbeatExpired


def test_client_going_away_unparks(eas_mock_server):
    dev = ready_device(eas_mock_server)
    dev.sync_all()
    import httpx

    short = ready_device(eas_mock_server, device_id="quitter")
    short.http.timeout = httpx.Timeout(0.5)
    with pytest.raises(httpx.ReadTimeout):
        ping(short, 30)
    deadline = time.time() + 5
    while eas_mock_server.control.stats()["parked_pings"] and time.time() < deadline:
        time.sleep(0.05)
    assert eas_mock_server.control.stats()["parked_pings"] == 0
