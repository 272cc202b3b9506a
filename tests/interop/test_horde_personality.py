"""The same flow against real Horde and against the mock's ``horde`` personality (with the
harness's Ping bounds): whatever this file checks, the mock must show as Horde does, so that
tests written against the mock hold against the real server."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest

from easclient import wbxml
from easclient.client import BasicAuth, EasClient, get_profile
from easclient.mock import MockConfig, MockServer
from easclient.mock.config import parse_users
from easclient.protocol import (
    FolderSyncRequest,
    ProtocolError,
    ProvisionFlow,
    ProvisionOutcome,
    ProvisionRequest,
    ProvisionResult,
    build_request,
)
from easclient.protocol.sync import SyncCollectionRequest, SyncRequest, parse_sync_body

from .conftest import _horde_harness_module, provision_exchange

HARNESS = _horde_harness_module()
INBOX = 2


@dataclass
class Target:
    name: str
    url: str  # what the client is given
    heartbeat_min: int
    heartbeat_max: int


@pytest.fixture(params=["real", "mock"])
def target(request) -> Iterator[Target]:
    if request.param == "real":
        horde = request.getfixturevalue("horde")
        yield Target(
            "real",
            horde.url,
            int(horde.settings["heartbeat_min"]),
            int(horde.settings["heartbeat_max"]),
        )
        return
    config = MockConfig(
        users=tuple(parse_users("alice:alice-pw")),
        personality="horde",
        heartbeat_min=HARNESS.HEARTBEAT_MIN,
        heartbeat_max=HARNESS.HEARTBEAT_MAX,
        messages_per_folder=6,
    )
    handle = MockServer(config).start_in_thread()
    try:
        yield Target("mock", handle.url, HARNESS.HEARTBEAT_MIN, HARNESS.HEARTBEAT_MAX)
    finally:
        handle.stop()


@pytest.fixture
def device(target: Target, eas_client) -> Callable[..., EasClient]:
    def make(version: str = "14.1") -> EasClient:
        p = get_profile("iphone")
        return eas_client(
            target.url,
            auth=BasicAuth("alice", "alice-pw"),
            profile=p,
            device_id=p.device_id(f"personality-{uuid.uuid4().hex}"),
            protocol=version,
            read_timeout=60,
            base64_query=False,
        )

    return make


def _foldersync(target: Target, client: EasClient, version: str, key: int | None):
    req = build_request(
        "FolderSync",
        FolderSyncRequest("0").to_element(version),
        user="alice",
        device_id=client.device_id,
        device_type=client.profile.device_type,
        version=version,
        policy_key=key,
    )
    url = req.url(target.url)
    return httpx.post(
        url, headers=dict(req.headers), content=req.body, auth=("alice", "alice-pw"), timeout=30
    )


def test_options_versions_and_commands(target, device):
    result = device().options()
    assert result.versions == ("2.5", "12.0", "12.1", "14.0", "14.1", "16.0")
    assert result.server_version == "16.0"
    assert "Provision" in result.commands and "Ping" in result.commands


@pytest.mark.parametrize("version", ["12.1", "14.1", "16.0"])
def test_provisioning_as_horde_does_it(target, device, version):
    client = device(version)
    before = _foldersync(target, client, version, None)
    assert before.status_code == 449
    if version >= "14.0":
        assert wbxml.decode(before.content).findtext("Status") == "142"
    else:
        assert before.content == b""
    info = client.profile.device_information() if version >= "14.1" else None
    flow = ProvisionFlow(version, info)
    first = provision_exchange(client, flow.request(), version)
    assert int(first.status) == 1 and int(first.policy_status) == 1
    assert first.policy_key and isinstance(first.policy_data, dict)
    ack = flow.receive(first)
    assert isinstance(ack, ProvisionRequest) and ack.policy_key == first.policy_key
    # Horde serves the temporary key before the acknowledgement.
    assert _foldersync(target, client, version, first.policy_key).status_code == 200
    second = provision_exchange(client, ack, version)
    assert int(second.status) == 1 and second.policy_key not in (None, first.policy_key)
    outcome = flow.receive(second)
    assert isinstance(outcome, ProvisionOutcome)
    assert outcome.result is ProvisionResult.PROVISIONED
    assert outcome.policy_key == second.policy_key
    ok = _foldersync(target, client, version, second.policy_key)
    assert ok.status_code == 200 and wbxml.decode(ok.content).findtext("Status") == "1"


def test_unadvertised_16_1_is_served(target, device):
    client = device("16.1")
    assert client.provision() is not None
    added, _ = client.folder_sync()
    assert added >= 4 and any(f.type == INBOX for f in client.state.folders())


def test_mail_sync_to_the_end(target, device):
    client = device("14.1")
    report = client.sync_all_mail()
    inbox = next(f.server_id for f in client.state.folders() if f.type == INBOX)
    assert report.folders[inbox].total == len(client.state.items(inbox)) >= 6


@pytest.mark.parametrize("side", ["below", "above"])
def test_ping_out_of_bounds_is_status_5_at_once(target, device, side):
    client = device("14.1")
    client.folder_sync()
    asked, bound = (
        (target.heartbeat_min - 3, target.heartbeat_min)
        if side == "below"
        else (target.heartbeat_max + 100, target.heartbeat_max)
    )
    report = client.ping(heartbeat=asked)
    assert report.status == 5 and report.server_heartbeat == bound
    assert report.seconds < 3


def test_sync_at_2_5_is_text_html_after_priming(target, device):
    client = device("2.5")
    client.folder_sync()
    inbox = next(f.server_id for f in client.state.folders() if f.type == INBOX)
    prime = SyncRequest(
        collections=(SyncCollectionRequest(sync_key="0", collection_id=inbox, class_="Email"),)
    )
    col = parse_sync_body(client.execute("Sync", prime.to_element("2.5")), {inbox: "Email"})
    key = col.collection(inbox).sync_key
    again = SyncRequest(
        collections=(
            SyncCollectionRequest(
                sync_key=key, collection_id=inbox, class_="Email", get_changes=True
            ),
        )
    )
    with pytest.raises(ProtocolError, match="text/html"):
        client.execute("Sync", again.to_element("2.5"))
