"""Provisioning against a real Horde ActiveSync (Debian's Horde_ActiveSync 2.41), whose policy
comes from Horde's permissions (``horde:activesync:provisioning`` = enforced for the test users):
HTTP 449 / Status 142 before Provision, the policy document, temporary → final PolicyKey, a
server-side policy change forcing a new Provision, and a remote wipe ordered through Horde's own
device management (``horde/performActiveSyncDeviceAction``), acknowledged by the client."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import httpx
import pytest

from easclient import wbxml
from easclient.client import DeviceError, RemoteWipeAcknowledged
from easclient.protocol import (
    FolderSyncRequest,
    ProvisionFlow,
    ProvisionOutcome,
    ProvisionRequest,
    ProvisionResult,
    build_request,
)

from .conftest import HORDE_VERSIONS, provision_exchange

#: Horde_ActiveSync::RWSTATUS_* (the device table's remote-wipe status).
RW_PENDING, RW_WIPED = 2, 3


def _raw_foldersync(horde, dev, version: str, policy_key: int | None) -> httpx.Response:
    """A FolderSync as the device would send it, read without the client's 449 handling."""
    req = build_request(
        "FolderSync",
        FolderSyncRequest("0").to_element(version),
        user="alice",
        device_id=dev.client.device_id,
        device_type=dev.client.profile.device_type,
        version=version,
        policy_key=policy_key,
    )
    u = horde.user("alice")
    return httpx.post(
        req.url(horde.url),
        headers=dict(req.headers),
        content=req.body,
        auth=(u.uid, u.password),
        timeout=30,
    )


@pytest.mark.parametrize("version", HORDE_VERSIONS)
def test_449_before_provision_then_temporary_and_final_key(horde, horde_device, version):
    dev = horde_device(version=version)
    before = _raw_foldersync(horde, dev, version, None)
    assert before.status_code == 449
    if version >= "14.0":
        # Horde sends HTTP 449 AND a WBXML Status 142 from 14.0 on ("some devices report EAS
        # 14.1 but don't accept the WBXML"); MS-ASCMD 14.0+ has HTTP 200 + Status 142.
        el = wbxml.decode(before.content)
        assert el.findtext("Status") == "142"
    else:
        assert before.content == b""

    info = dev.client.profile.device_information() if version >= "14.1" else None
    flow = ProvisionFlow(version, info)
    first = provision_exchange(dev.client, flow.request(), version)
    assert int(first.status) == 1 and int(first.policy_status) == 1
    assert first.policy_type == "MS-EAS-Provisioning-WBXML"
    assert first.policy_key is not None and first.policy_key > 0
    assert isinstance(first.policy_data, dict)
    assert first.policy_data["DevicePasswordEnabled"] == "0"
    assert first.policy_data["AttachmentsEnabled"] == "1"
    # Pinned deviation: Horde stores the temporary key as the device's key at once, so it
    # serves requests carrying it before the acknowledgement (MS-ASPROV 3.1.5.1: the temporary
    # key is only good for acknowledging the policy).
    assert horde.admin("device", dev.client.device_id)["policykeys"] == {
        "alice": str(first.policy_key)
    }
    assert _raw_foldersync(horde, dev, version, first.policy_key).status_code == 200

    ack = flow.receive(first)
    assert isinstance(ack, ProvisionRequest) and ack.policy_key == first.policy_key
    second = provision_exchange(dev.client, ack, version)
    assert int(second.status) == 1 and second.policy_key is not None
    assert second.policy_key != first.policy_key
    outcome = flow.receive(second)
    assert isinstance(outcome, ProvisionOutcome)
    assert outcome.result is ProvisionResult.PROVISIONED
    assert outcome.policy_key == second.policy_key
    after = _raw_foldersync(horde, dev, version, second.policy_key)
    assert after.status_code == 200
    assert wbxml.decode(after.content).findtext("Status") == "1"
    device = horde.admin("device", dev.client.device_id)
    assert device["policykeys"] == {"alice": str(second.policy_key)}


@pytest.mark.parametrize("version", HORDE_VERSIONS)
def test_client_provisions_on_its_own_then_syncs(horde, horde_device, version):
    dev = horde_device(version=version)
    report = dev.client.sync_all_mail()
    assert dev.counter.commands["Provision"] == 2, "one policy request, one acknowledgement"
    # A new device provisions before its first FolderSync: Horde never has to answer 449.
    assert 449 not in dev.counter.http
    assert dev.state.policy_key is not None
    assert any(kind == "provisioned" for _t, kind, _d in dev.state.events())
    assert sum(r.total for r in report.folders.values()) == horde.inbox_count("alice")


def test_policy_change_on_the_server_forces_a_new_provision(horde, horde_device):
    dev = horde_device(version="14.1")
    dev.client.folder_sync()
    old_key = dev.state.policy_key
    assert old_key is not None and dev.counter.commands["Provision"] == 2
    try:
        # What Horde's admin page does: change a policy permission, then reset every device's
        # policy key so that each one provisions again.
        horde.admin("policy", "DevicePasswordEnabled", "true")
        horde.admin("policy", "MinDevicePasswordLength", "6")
        assert horde.admin("device", dev.client.device_id)["policykeys"] == {"alice": "0"}
        before = _raw_foldersync(horde, dev, "14.1", old_key)
        assert before.status_code == 449
        # The client takes the 449 in its stride: provisions again and retries once.
        dev.client.folder_sync()
        assert dev.counter.commands["Provision"] == 4
        assert dev.state.policy_key not in (None, old_key)
        fresh = horde_device(version="14.1")
        flow = ProvisionFlow("14.1", fresh.client.profile.device_information())
        first = provision_exchange(fresh.client, flow.request(), "14.1")
        assert first.policy_data["DevicePasswordEnabled"] == "1"
        assert first.policy_data["MinDevicePasswordLength"] == "6"
    finally:
        horde.admin("policy", "DevicePasswordEnabled", "false")
        horde.admin("policy", "MinDevicePasswordLength", "0")


@pytest.mark.parametrize("version", ["12.1", "14.1", "16.0"])
def test_remote_wipe_ordered_on_the_server_is_acknowledged_and_stops_the_run(
    horde, horde_device, version
):
    dev = horde_device(version=version)
    dev.client.sync_all_mail()
    device_id = dev.client.device_id
    assert horde.admin("device", device_id)["rwstatus"] not in (RW_PENDING, RW_WIPED)
    horde.admin("wipe", device_id)
    assert horde.admin("device", device_id)["rwstatus"] == RW_PENDING
    provisions = dev.counter.commands["Provision"]
    with pytest.raises(RemoteWipeAcknowledged) as info:
        dev.client.sync_all_mail()
    assert "nothing was deleted" in str(info.value)
    # Status 140 on the Sync, a Provision carrying the RemoteWipe, then its acknowledgement.
    assert dev.counter.commands["Provision"] == provisions + 2
    events = dev.state.events("remote-wipe")
    assert len(events) == 1 and "acknowledged" in (events[0][2] or "")
    # Horde records the acknowledgement as the device being wiped.
    assert horde.admin("device", device_id)["rwstatus"] == RW_WIPED
    # Nothing on this machine was deleted.
    assert any(dev.state.items(f.server_id) for f in dev.state.folders())


def test_wipe_cancelled_on_the_server_is_not_acted_on(horde, horde_device):
    dev = horde_device(version="14.1")
    dev.client.folder_sync()
    horde.admin("wipe", dev.client.device_id)
    horde.admin("cancel-wipe", dev.client.device_id)
    # The policy key was cleared by the wipe order: a plain re-provision, no wipe.
    try:
        dev.client.folder_sync()
    except DeviceError as exc:  # pragma: no cover - the assertion below names it
        pytest.fail(f"a cancelled wipe was still acted on: {exc}")
    assert dev.state.events("remote-wipe") == []


def test_eas_sync_after_a_wipe_order_stops_with_one_line(horde, tmp_path):
    """The CLI as a user runs it: a first `eas sync` pairs the device; Horde's admin orders a
    wipe; the next `eas sync` acknowledges it, says so in one line and exits non-zero."""
    state = tmp_path / "cli-device.db"
    device_id = f"HORDECLI{uuid.uuid4().hex[:12].upper()}"
    env = {**os.environ, "EAS_PASSWORD": "alice-pw"}
    cmd = [
        sys.executable, "-m", "easclient.cli", "sync", horde.url, "--user", "alice",
        "--state", str(state), "--device-id", device_id, "--protocol", "14.1",
    ]  # fmt: skip
    first = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    assert first.returncode == 0, first.stderr
    horde.admin("wipe", device_id)
    second = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    assert second.returncode != 0
    err = second.stderr.strip()
    assert "remote wipe" in err and "nothing was deleted" in err
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert horde.admin("device", device_id)["rwstatus"] == RW_WIPED
