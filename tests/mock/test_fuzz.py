"""Fuzz-style: random and mutated requests get 400 or an EAS status; the server keeps serving."""

from __future__ import annotations

import random

import httpx
import pytest

from easclient import wbxml
from easclient.protocol.foldersync import FolderSyncRequest
from easclient.protocol.ping import PingFolder, PingRequest
from easclient.protocol.provision import ProvisionRequest
from easclient.protocol.settings import SettingsRequest
from easclient.protocol.sync import SyncCollectionRequest, SyncRequest

from .helpers import PATH, ready_device

VALID = {
    "FolderSync": FolderSyncRequest("0"),
    "Sync": SyncRequest((SyncCollectionRequest("0", "2"),)),
    "Ping": PingRequest(0, (PingFolder("2"),)),
    "Provision": ProvisionRequest.initial("14.1"),
    "Settings": SettingsRequest(get_user_information=True),
}


def _mutate(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        op = rng.choice(("flip", "insert", "delete", "cut"))
        if op == "flip" and out:
            out[rng.randrange(len(out))] = rng.randrange(256)
        elif op == "insert":
            out.insert(rng.randrange(len(out) + 1), rng.randrange(256))
        elif op == "delete" and len(out) > 1:
            del out[rng.randrange(len(out))]
        elif op == "cut" and len(out) > 1:
            out = out[: rng.randrange(len(out))]
    return bytes(out)


def _check(resp: httpx.Response, cmd: str) -> None:
    assert resp.status_code in (200, 400), (cmd, resp.status_code)
    if resp.status_code == 200 and resp.content:
        root = wbxml.decode(resp.content)  # whatever we sent, the answer is valid WBXML
        assert root.find("Status") is not None or root.iter("Status"), root


# Heartbeats of 0-1 s only, so mutated Pings that stay valid do not hold the test up.
@pytest.mark.eas_mock(heartbeat_min=0, heartbeat_max=1)
def test_random_and_mutated_bodies(eas_mock_server):
    rng = random.Random(4)
    dev = ready_device(eas_mock_server)
    for i in range(240):
        cmd = rng.choice(sorted(VALID))
        if i % 3 == 0:
            body = rng.randbytes(rng.randint(1, 80))
        else:
            body = _mutate(wbxml.encode(VALID[cmd].to_element("14.1")), rng)
        resp = dev.post(cmd, body, content_type="application/vnd.ms-sync.wbxml")
        _check(resp, cmd)
    stats = eas_mock_server.control.stats()
    assert stats["bad_requests"] > 50 and "500" not in stats["http_status"]
    assert dev.folder_sync().status == 1  # still serving


def test_bad_wbxml_answers_by_version(eas_mock_server):
    modern = ready_device(eas_mock_server, version="14.1")
    resp = modern.post("FolderSync", b"\x03\x01\x6a\x00\x45\x99", content_type=None)
    assert resp.status_code == 200 and wbxml.decode(resp.content).findtext("Status") == "102"
    # Valid WBXML, wrong document for the command: InvalidXML.
    resp = modern.post("FolderSync", wbxml.E("Ping:Ping"))
    assert wbxml.decode(resp.content).findtext("Status") == "103"
    old = ready_device(eas_mock_server, device_id="old", version="12.1")
    assert old.post("FolderSync", b"garbage", content_type=None).status_code == 400


def test_random_queries_get_400(eas_mock_server):
    rng = random.Random(7)
    auth = ("alice", "alice-pw")
    with httpx.Client(base_url=eas_mock_server.url, auth=auth) as http:
        for _ in range(60):
            junk = "".join(rng.choice("AZaz09=&%+/?") for _ in range(rng.randint(0, 40)))
            resp = http.post(PATH + "?" + junk, content=rng.randbytes(8))
            assert resp.status_code in (400, 403, 449), (junk, resp.status_code)
        resp = http.post(
            PATH + "?Cmd=Nope&User=alice&DeviceId=d&DeviceType=t",
            headers={"MS-ASProtocolVersion": "14.1"},
        )
        assert resp.status_code in (400, 449, 501)
        assert http.options(PATH).status_code == 200
