"""Fault injection observed from a real HTTP client, and the control API's guard."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from easclient import wbxml
from easclient.mock import ControlClient, ControlError, Fault, FaultError, MockConfig, MockServer
from easclient.mock.faults import FaultSet
from easclient.protocol import check_http
from easclient.protocol.errors import Redirect, Throttled
from easclient.protocol.foldersync import FolderSyncRequest
from easclient.protocol.http import EasResponse

from .helpers import RawDevice, ready_device


def folder_sync(dev) -> httpx.Response:
    return dev.post("FolderSync", FolderSyncRequest("0").to_element())


def eas_response(resp: httpx.Response) -> EasResponse:
    return EasResponse(resp.status_code, dict(resp.headers), resp.content)


def test_http_status_faults(eas_mock_server):
    dev = ready_device(eas_mock_server)
    control = eas_mock_server.control
    control.add_fault(action="http_status", status=503, retry_after=7, count=1)
    with pytest.raises(Throttled) as throttled:
        check_http(eas_response(folder_sync(dev)))
    assert throttled.value.retry_after == 7 and throttled.value.reason == "CommandFrequency"
    control.add_fault(action="http_status", status=451, location="https://other.test/eas", count=1)
    with pytest.raises(Redirect) as redirect:
        check_http(eas_response(folder_sync(dev)))
    assert redirect.value.location == "https://other.test/eas"
    control.add_fault(action="http_status", status=449, count=1)
    assert folder_sync(dev).status_code == 449
    control.add_fault(action="http_status", status=500, command="FolderSync", count=1)
    assert folder_sync(dev).status_code == 500
    assert folder_sync(dev).status_code == 200  # every count is used up
    assert control.stats()["faults_fired"]["http_status"] == 4


def test_eas_status_fault(eas_mock_server):
    dev = ready_device(eas_mock_server)
    eas_mock_server.control.add_fault(action="eas_status", status=111, count=1)
    resp = folder_sync(dev)
    root = wbxml.decode(resp.content)
    assert root.tag == "FolderHierarchy:FolderSync" and root.findtext("Status") == "111"


def test_delay_and_trickle(eas_mock_server):
    dev = ready_device(eas_mock_server)
    eas_mock_server.control.add_fault(action="delay", seconds=0.6, count=1)
    start = time.monotonic()
    assert folder_sync(dev).status_code == 200
    assert time.monotonic() - start >= 0.6
    plain = folder_sync(dev).content
    eas_mock_server.control.add_fault(action="trickle", chunk=64, seconds=0.05, count=1)
    start = time.monotonic()
    trickled = folder_sync(dev).content
    elapsed = time.monotonic() - start
    # The same answer (new SyncKey aside), arriving in pieces.
    assert len(trickled) == len(plain) and elapsed >= 0.05 * (len(plain) // 64 - 1)


def test_drop_and_reset_close_the_connection(eas_mock_server):
    dev = ready_device(eas_mock_server)
    eas_mock_server.control.add_fault(action="drop", count=1)
    with pytest.raises(httpx.RemoteProtocolError):
        folder_sync(dev)
    eas_mock_server.control.add_fault(action="reset", count=1)
    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)) as reset:
        folder_sync(dev)
    assert "reset" in repr(reset.value.__context__).lower() or "reset" in str(reset.value).lower()
    assert folder_sync(dev).status_code == 200  # still serving


def test_truncate_and_corrupt(eas_mock_server):
    dev = ready_device(eas_mock_server)
    eas_mock_server.control.add_fault(action="truncate", keep=10, count=1)
    with pytest.raises(httpx.RemoteProtocolError):
        folder_sync(dev)
    eas_mock_server.control.add_fault(action="corrupt", count=1)
    resp = folder_sync(dev)
    assert resp.status_code == 200 and resp.content[:4] == b"\x03\x01\x6a\x00"
    with pytest.raises(wbxml.WBXMLError):
        wbxml.decode(resp.content)


def test_faults_by_user_and_probability(eas_mock_server):
    alice = ready_device(eas_mock_server, 0)
    bob = ready_device(eas_mock_server, 1)
    eas_mock_server.control.add_fault(action="http_status", status=500, user="bob")
    assert folder_sync(alice).status_code == 200
    assert folder_sync(bob).status_code == 500
    eas_mock_server.control.clear_faults()
    eas_mock_server.control.add_fault(action="http_status", status=500, probability=0.5)
    codes = [folder_sync(alice).status_code for _ in range(40)]
    assert 5 <= codes.count(500) <= 35 and 200 in codes


def test_faults_from_a_file(tmp_path):
    path = tmp_path / "faults.json"
    path.write_text(
        json.dumps({"faults": [{"action": "http_status", "status": 503, "command": "FolderSync"}]})
    )
    config = MockConfig(faults_file=str(path), heartbeat_min=1)
    with MockServer(config).start_in_thread() as server:
        dev = RawDevice(server.url, "alice", "alice-pw")
        dev.provision()
        assert folder_sync(dev).status_code == 503
        assert server.control.faults()[0]["command"] == "FolderSync"


@pytest.mark.parametrize(
    "rule",
    [
        {"action": "explode"},
        {"action": "http_status"},
        {"action": "http_status", "status": 999},
        {"action": "delay", "probability": 2},
        {"action": "delay", "colour": "red"},
        ["not", "a", "rule"],
    ],
)
def test_bad_fault_rules_are_refused(rule):
    with pytest.raises(FaultError):
        FaultSet().add_many([rule])


def test_bad_fault_file(tmp_path):
    path = tmp_path / "f.json"
    path.write_text("{nope")
    with pytest.raises(FaultError, match="not JSON"):
        FaultSet().load_file(path)
    with pytest.raises(FaultError, match="cannot read"):
        FaultSet().load_file(tmp_path / "missing.json")


def test_count_and_removal():
    faults = FaultSet()
    rule = faults.add(Fault("http_status", status=500, count=2))
    assert [len(faults.pick("Sync", "a")) for _ in range(3)] == [1, 1, 0]
    assert faults.remove(rule.id) and not faults.rules


def test_control_api_needs_the_token(eas_mock_server):
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic x"}):
        resp = httpx.get(eas_mock_server.url + "/_mock/stats", headers=headers)
        assert resp.status_code == 401
    with pytest.raises(ControlError, match="401"):
        ControlClient(eas_mock_server.url, "wrong-token").stats()
    with pytest.raises(ControlError, match="400"):
        eas_mock_server.control.add_fault(action="nope")
    with pytest.raises(ControlError, match="404"):
        eas_mock_server.control.deliver("nobody", 1)
