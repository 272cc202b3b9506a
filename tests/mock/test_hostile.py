"""Hostile input gets a short 4xx or an EAS status, never a 500 or a logged traceback."""

from __future__ import annotations

import json
import logging
import threading
import time

import httpx
import pytest

from easclient import wbxml
from easclient.protocol.ping import PingFolder, PingRequest, PingResponse
from easclient.protocol.settings import SettingsRequest
from easclient.protocol.status import PingStatus
from easclient.wbxml import E

from .helpers import PATH, RawDevice, ready_device


def _no_traceback(caplog: pytest.LogCaptureFixture) -> None:
    logged = [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert not logged, [r.getMessage()[:200] for r in logged]


def _status(resp: httpx.Response) -> str | None:
    assert resp.status_code == 200, resp.status_code
    return wbxml.decode(resp.content).findtext("Status")


def test_a_5000_digit_policy_key_is_400(eas_mock_server, caplog):
    dev = ready_device(eas_mock_server)
    req = httpx.Request(
        "POST",
        eas_mock_server.url + PATH + "?Cmd=FolderSync&User=alice&DeviceId=dev1&DeviceType=T",
        headers={"MS-ASProtocolVersion": "14.1", "X-MS-PolicyKey": "9" * 5000},
        content=wbxml.encode(E("FolderHierarchy:FolderSync", E("FolderHierarchy:SyncKey", "0"))),
    )
    resp = dev.http.send(req)
    assert resp.status_code == 400
    assert eas_mock_server.control.stats()["http_status"].get("500") is None
    _no_traceback(caplog)


@pytest.mark.parametrize(
    "cmd, body",
    [
        ("Settings", E("Settings:Settings", E("Settings:UserInformation", E("Settings:Get")))),
        ("ItemOperations", E("ItemOperations:ItemOperations")),
    ],
)
def test_commands_that_2_5_lacks_are_400(eas_mock_server, caplog, cmd, body):
    dev = ready_device(eas_mock_server, version="2.5")
    resp = dev.post(cmd, body)
    assert resp.status_code == 400  # MS-ASHTTP 2.2.2.1.1: a malformed request for 2.5
    # The same command at 12.0 is served.
    newer = ready_device(eas_mock_server, device_id="dev12", version="12.0")
    if cmd == "Settings":
        request = SettingsRequest(get_user_information=True)
        assert newer.post(cmd, request.to_element("12.0")).status_code == 200
    _no_traceback(caplog)


def _deep(tag: str, depth: int) -> wbxml.Element:
    el = E(tag, "x")
    for _ in range(depth):
        el = E(tag, el)
    return el


def test_a_deeply_nested_device_information_is_invalid_xml(eas_mock_server, caplog):
    dev = ready_device(eas_mock_server)
    info = E("Settings:DeviceInformation", _deep("Settings:Model", 250))
    assert _status(dev.post("Settings", E("Settings:Settings", info))) == "103"
    assert _status(dev.post("Provision", E("Provision:Provision", info))) == "103"
    _no_traceback(caplog)


# zpush has no heartbeat bounds: Z-Push takes any HeartbeatInterval and waits for a change.
@pytest.mark.eas_mock(personality="zpush", heartbeat_min=0)
def test_a_huge_heartbeat_waits_for_a_change(eas_mock_server, caplog):
    dev = ready_device(eas_mock_server)
    dev.sync_all()
    body = PingRequest(10**400, (PingFolder("2", "Email"),)).to_element("14.1")
    result: dict = {}

    def run() -> None:
        result["resp"] = dev.post("Ping", body)

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.monotonic() + 10
    while eas_mock_server.control.stats()["parked_pings"] < 1 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert eas_mock_server.control.stats()["parked_pings"] == 1
    eas_mock_server.control.deliver("alice", 1)
    thread.join(10)
    answer = PingResponse.from_element(wbxml.decode(result["resp"].content))
    assert answer.status == PingStatus.ChangesOccurred
    _no_traceback(caplog)


def test_a_huge_heartbeat_on_a_bounded_personality_is_status_5(eas_mock_server):
    dev = ready_device(eas_mock_server)
    body = PingRequest(10**400, (PingFolder("2", "Email"),)).to_element("14.1")
    answer = PingResponse.from_element(wbxml.decode(dev.post("Ping", body).content))
    assert answer.status == PingStatus.InvalidHeartbeatInterval
    assert answer.heartbeat_interval == 3540


@pytest.mark.parametrize(
    "body",
    [
        b'{"user": "alice", "count": 1e999}',
        b'{"user": "alice", "count": 2.5}',
        b'{"user": "alice", "count": true}',
        b'{"user": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        b"[" * 100_000 + b"]" * 100_000,
        b'{"user": "alice", "count": ' + b"9" * 5000 + b"}",
        b'{"user": "alice", "folder": [[["x"]]]}',
    ],
)
def test_control_api_json_gets_400(eas_mock_server, caplog, body):
    token = eas_mock_server.control_token
    with httpx.Client(base_url=eas_mock_server.url) as http:
        resp = http.post(
            "/_mock/deliver", content=body, headers={"Authorization": f"Bearer {token}"}
        )
    assert resp.status_code in (400, 404), resp.text[:200]
    assert len(resp.text) < 400  # a bounded reason, not the value echoed
    _no_traceback(caplog)


@pytest.mark.parametrize(
    "rule",
    [
        {"action": "delay", "seconds": 1e999},
        {"action": "delay", "count": 1e999},
        {"action": "delay", "seconds": "5"},
        {"action": [[["delay"]]]},
        {"action": "http_status", "status": 503.0},
    ],
)
def test_fault_rules_of_the_wrong_type_get_400(eas_mock_server, caplog, rule):
    token = eas_mock_server.control_token
    with httpx.Client(base_url=eas_mock_server.url) as http:
        resp = http.post(
            "/_mock/faults",
            content=json.dumps(rule).replace("Infinity", "1e999").encode(),
            headers={"Authorization": f"Bearer {token}"},
        )
    assert resp.status_code == 400, resp.text[:200]
    assert eas_mock_server.control.faults() == []
    _no_traceback(caplog)


def test_the_server_still_serves_after_hostile_input(eas_mock_server):
    dev = RawDevice(eas_mock_server.url, "alice", "alice-pw", "after")
    dev.provision()
    assert dev.folder_sync().status == 1
