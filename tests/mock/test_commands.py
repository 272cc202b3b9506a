"""Each command of the mock server over real HTTP on 127.0.0.1 (httpx + protocol classes)."""

from __future__ import annotations

import base64

import httpx
import pytest

from easclient import wbxml
from easclient.protocol import parse_options
from easclient.protocol.email import BodyType, Email
from easclient.protocol.foldersync import FolderType
from easclient.protocol.getitemestimate import (
    EstimateCollection,
    GetItemEstimateRequest,
    GetItemEstimateResponse,
)
from easclient.protocol.http import EasResponse
from easclient.protocol.provision import ProvisionRequest, ProvisionResponse
from easclient.protocol.settings import DeviceInformation, SettingsRequest, SettingsResponse
from easclient.protocol.status import (
    FolderSyncStatus,
    GetItemEstimateStatus,
    PolicyStatus,
    SyncStatus,
)
from easclient.protocol.sync import (
    BodyPreference,
    ClientChange,
    SyncAdd,
    SyncChange,
    SyncCollectionRequest,
    SyncRequest,
    SyncResponse,
)

from .helpers import PATH, RawDevice, ready_device


def test_options_lists_versions_and_commands(eas_mock_server):
    user = eas_mock_server.user
    resp = httpx.options(eas_mock_server.url + PATH, auth=(user.name, user.password))
    assert resp.status_code == 200
    result = parse_options(EasResponse(resp.status_code, dict(resp.headers), resp.content))
    assert "14.1" in result.versions and "16.1" in result.versions
    assert {"Sync", "FolderSync", "Ping", "Provision"} <= set(result.commands)
    assert result.server_version == "14.3"  # the exchange personality


@pytest.mark.eas_mock(versions=("12.1", "14.0"))
def test_versions_are_configurable(eas_mock_server):
    user = eas_mock_server.user
    resp = httpx.options(eas_mock_server.url + PATH, auth=(user.name, user.password))
    assert resp.headers["MS-ASProtocolVersions"] == "12.1,14.0"
    dev = RawDevice(eas_mock_server.url, user.name, user.password, version="14.1")
    assert dev.post("FolderSync", None).status_code == 400


@pytest.mark.parametrize(
    "auth",
    [None, ("alice", "wrong"), ("nobody", "alice-pw")],
    ids=["missing", "bad-password", "unknown-user"],
)
def test_basic_auth_is_required(eas_mock_server, auth):
    resp = httpx.post(eas_mock_server.url + PATH + "?Cmd=Sync", auth=auth)
    assert resp.status_code == 401
    assert resp.headers["WWW-Authenticate"].startswith("Basic")


def test_provision_two_phases_and_449_before(eas_mock_server):
    user = eas_mock_server.user
    dev = RawDevice(eas_mock_server.url, user.name, user.password)
    assert dev.post("FolderSync", None).status_code == 449
    first = dev.call(
        "Provision",
        ProvisionRequest.initial("14.1", DeviceInformation(model="m")),
        ProvisionResponse,
    )
    assert first.policy_status == PolicyStatus.Success
    assert isinstance(first.policy_data, dict) and "DevicePasswordEnabled" in first.policy_data
    # A temporary key is not enough.
    dev.policy_key = first.policy_key
    assert dev.post("FolderSync", None).status_code == 449
    wrong = dev.call(
        "Provision", ProvisionRequest.acknowledge(first.policy_key + 1), ProvisionResponse
    )
    assert wrong.policy_status == PolicyStatus.WrongPolicyKey
    final = dev.call("Provision", ProvisionRequest.acknowledge(first.policy_key), ProvisionResponse)
    assert final.policy_status == PolicyStatus.Success and final.policy_key != first.policy_key
    dev.policy_key = final.policy_key
    assert dev.folder_sync().status == FolderSyncStatus.Success


def test_provision_2_5_uses_the_wap_policy(eas_mock_server):
    dev = RawDevice(eas_mock_server.url, "alice", "alice-pw", version="2.5")
    first = dev.call("Provision", ProvisionRequest.initial("2.5"), ProvisionResponse)
    assert first.policy_type == "MS-WAP-Provisioning-XML"
    assert isinstance(first.policy_data, str) and "wap-provisioningdoc" in first.policy_data


@pytest.mark.eas_mock(provision_status_codes=True)
def test_provision_status_codes_instead_of_449(eas_mock_server):
    dev = RawDevice(eas_mock_server.url, "alice", "alice-pw")
    resp = dev.post(
        "FolderSync", wbxml.E("FolderHierarchy:FolderSync", wbxml.E("FolderHierarchy:SyncKey", "0"))
    )
    assert resp.status_code == 200
    assert wbxml.decode(resp.content).findtext("Status") == "142"
    dev.policy_key = 12345
    resp = dev.post("FolderSync", None)
    assert wbxml.decode(resp.content).findtext("Status") == "144"


def test_remote_wipe_flag_per_device(eas_mock_server):
    dev = ready_device(eas_mock_server, device_id="wipe-me")
    other = ready_device(eas_mock_server, device_id="keep-me")
    eas_mock_server.control.wipe("alice", "wipe-me")
    assert dev.post("FolderSync", None).status_code == 449
    assert other.folder_sync().status == FolderSyncStatus.Success
    answer = dev.call("Provision", ProvisionRequest.initial("14.1"), ProvisionResponse)
    assert answer.remote_wipe
    done = dev.call(
        "Provision", ProvisionRequest(policy_type=None, remote_wipe_status=1), ProvisionResponse
    )
    assert done.status == 1
    devices = {d["device_id"]: d for d in eas_mock_server.control.devices()["alice"]}
    assert devices["wipe-me"]["wiped"] and not devices["keep-me"]["wiped"]


def test_folder_sync_keys(eas_mock_server):
    dev = ready_device(eas_mock_server)
    first = dev.folder_sync()
    names = {a.display_name: a for a in first.added}
    assert {
        "Inbox",
        "Drafts",
        "Deleted Items",
        "Sent Items",
        "Outbox",
        "Calendar",
        "Contacts",
        "Tasks",
        "Notes",
    } <= set(names)
    assert names["Inbox"].type == FolderType.Inbox
    assert any(a.type == FolderType.UserMail for a in first.added)
    again = dev.folder_sync(first.sync_key)
    assert again.status == FolderSyncStatus.Success and not again.changes
    assert dev.folder_sync("bogus").status == FolderSyncStatus.InvalidSyncKey


def test_sync_window_more_available_and_bodies(eas_mock_server):
    dev = ready_device(eas_mock_server)
    key, commands = dev.sync_all("2", window_size=3)
    adds = [c for c in commands if isinstance(c, SyncAdd)]
    assert len(adds) == 10  # messages_per_folder of the fixture
    assert len({a.server_id for a in adds}) == 10
    email = adds[0].application_data
    assert isinstance(email, Email) and email.subject and "@" in email.from_
    assert email.body.type == BodyType.PlainText and email.body.truncated
    assert len(email.body.data.encode()) <= 100 < email.body.estimated_data_size
    # Nothing left: the next Sync is empty, with a new key.
    coll = dev.sync("2", key).collections[0]
    assert coll.status == SyncStatus.Success and not coll.commands and coll.sync_key != key


@pytest.mark.parametrize("body_type", [1, 2, 4])
def test_sync_body_types(eas_mock_server, body_type):
    dev = ready_device(eas_mock_server)
    key = dev.sync("2", "0").collections[0].sync_key
    coll = dev.sync(
        "2", key, window_size=1, body_preferences=(BodyPreference(body_type, 1_000_000),)
    ).collections[0]
    body = coll.commands[0].application_data.body
    assert int(body.type) == body_type and not body.truncated
    if body_type == 2:
        assert body.data.startswith("<html>")
    if body_type == 4:
        assert "MIME-Version" in body.data and "Subject:" in body.data


def test_sync_key_validation_and_resend(eas_mock_server):
    dev = ready_device(eas_mock_server)
    key = dev.sync("2", "0").collections[0].sync_key
    first = dev.sync("2", key, window_size=2)
    # The answer was "lost": the same key again gets the same answer.
    again = dev.sync("2", key, window_size=2)
    assert again == first
    assert dev.sync("2", "nonsense").collections[0].status == SyncStatus.InvalidSyncKey
    # Unknown collection.
    assert dev.sync("999", "0").collections[0].status == SyncStatus.FolderHierarchyChanged


def test_read_flag_change_reaches_other_devices_only(eas_mock_server):
    phone = ready_device(eas_mock_server, device_id="phone")
    tablet = ready_device(eas_mock_server, device_id="tablet")
    phone_key, adds = phone.sync_all()
    tablet_key, _ = tablet.sync_all()
    target = next(a for a in adds if not a.application_data.read)
    coll = SyncCollectionRequest(
        phone_key, "2", commands=(ClientChange(target.server_id, Email(read=True)),)
    )
    result = phone.call("Sync", SyncRequest((coll,)), SyncResponse).collections[0]
    assert result.status == SyncStatus.Success and not result.commands
    changes = tablet.sync("2", tablet_key).collections[0].commands
    assert changes == (SyncChange(target.server_id, Email(read=True)),)


def test_users_cannot_touch_each_others_items(eas_mock_server):
    alice = ready_device(eas_mock_server, 0)
    bob = ready_device(eas_mock_server, 1)
    _, alice_adds = alice.sync_all()
    bob_key, bob_adds = bob.sync_all()
    assert {a.application_data.subject for a in alice_adds} != {
        b.application_data.subject for b in bob_adds
    }
    # Bob addresses an id only Alice has: not found, and Alice's item is unchanged.
    eas_mock_server.control.deliver("alice", 1)
    alice_only = "2:999"
    coll = SyncCollectionRequest(
        bob_key, "2", commands=(ClientChange(alice_only, Email(read=True)),)
    )
    result = bob.call("Sync", SyncRequest((coll,)), SyncResponse).collections[0]
    assert result.responses[0].status == SyncStatus.ObjectNotFound


def test_base64_query_form(eas_mock_server):
    dev = RawDevice(eas_mock_server.url, "alice", "alice-pw", base64_query=True)
    dev.provision()
    resp = dev.post(
        "FolderSync", wbxml.E("FolderHierarchy:FolderSync", wbxml.E("FolderHierarchy:SyncKey", "0"))
    )
    assert resp.status_code == 200
    assert resp.request.url.query and b"=" not in resp.request.url.query.rstrip(b"=")
    assert base64.b64decode(resp.request.url.query + b"==")[1] == 9  # FolderSync's code


def test_get_item_estimate(eas_mock_server):
    dev = ready_device(eas_mock_server)
    key = dev.sync("2", "0").collections[0].sync_key

    def estimate(cid, sync_key):
        req = GetItemEstimateRequest((EstimateCollection(cid, sync_key),))
        return dev.call("GetItemEstimate", req, GetItemEstimateResponse).results[0]

    assert estimate("2", key).estimate == 10
    assert estimate("2", "0").status == GetItemEstimateStatus.SyncStateNotPrimed
    assert estimate("2", "wrong").status == GetItemEstimateStatus.InvalidSyncKey
    assert estimate("999", key).status == GetItemEstimateStatus.InvalidCollection


def test_settings(eas_mock_server):
    dev = ready_device(eas_mock_server)
    req = SettingsRequest(DeviceInformation(model="X1"), get_user_information=True)
    resp = dev.call("Settings", req, SettingsResponse)
    assert resp.status == 1 and resp.device_information_status == 1
    assert resp.user_information.accounts[0].primary_smtp_address == "alice@example.test"


def _fetch(dev, server_id, multipart=False, body_type=2):
    from easclient.protocol.itemoperations import (
        FetchRequest,
        ItemOperationsRequest,
        parse_itemoperations_body,
    )

    req = ItemOperationsRequest(
        (FetchRequest("2", server_id, body_preferences=(BodyPreference(body_type),)),)
    )
    resp = dev.post("ItemOperations", req.to_element(dev.version), accept_multipart=multipart)
    assert resp.status_code == 200
    return resp, parse_itemoperations_body(resp.content, resp.headers.get("Content-Type"))


def test_item_operations_fetch_plain_and_multipart(eas_mock_server):
    dev = ready_device(eas_mock_server)
    _, adds = dev.sync_all()
    sid = adds[0].server_id
    resp, result = _fetch(dev, sid)
    fetched = result.fetches[0]
    assert fetched.status == 1 and fetched.item.subject == adds[0].application_data.subject
    assert fetched.item.body.data.startswith("<html>")
    resp, result = _fetch(dev, sid, multipart=True)
    assert resp.headers["Content-Type"] == "application/vnd.ms-sync.multipart"
    body = result.fetches[0].body_content(result.parts)
    assert body.decode() == fetched.item.body.data
    _, missing = _fetch(dev, "2:99999")
    assert missing.fetches[0].status == 6  # ObjectNotFound


def _mime(to: str, subject: str, sender: str = "alice@example.test") -> bytes:
    from email.message import EmailMessage

    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content("hello there")
    return msg.as_bytes()


def test_send_mail_delivers_locally_and_wakes_the_recipients_ping(eas_mock_server):
    import threading
    import time

    from easclient.protocol.ping import PingFolder, PingRequest, PingResponse
    from easclient.protocol.sendmail import SendMailRequest

    alice = ready_device(eas_mock_server, 0)
    bob = ready_device(eas_mock_server, 1)
    bob_key, _ = bob.sync_all()
    answers = []

    def bob_pings():
        resp = bob.post("Ping", PingRequest(30, (PingFolder("2"),)).to_element())
        answers.append(PingResponse.from_element(wbxml.decode(resp.content)))

    thread = threading.Thread(target=bob_pings)
    thread.start()
    for _ in range(100):
        if eas_mock_server.control.stats()["parked_pings"]:
            break
        time.sleep(0.02)
    request = SendMailRequest(_mime("Bob <bob@example.test>", "lunch?"), "c1", True)
    resp = alice.post("SendMail", request.to_element())
    assert resp.status_code == 200 and resp.content == b""
    thread.join(5)
    assert answers and answers[0].folders == ("2",)
    new = bob.sync("2", bob_key).collections[0].commands
    assert [c.application_data.subject for c in new] == ["lunch?"]
    _, sent = alice.sync_all("5")
    assert "lunch?" in {c.application_data.subject for c in sent}


def test_send_mail_errors_and_legacy_form(eas_mock_server):
    from easclient.protocol.sendmail import SendMailRequest

    alice = ready_device(eas_mock_server, 0)
    no_rcpt = SendMailRequest(b"Subject: x\r\n\r\nbody", "c2")
    resp = alice.post("SendMail", no_rcpt.to_element())
    assert wbxml.decode(resp.content).findtext("Status") == "119"
    old = ready_device(eas_mock_server, 1, device_id="old", version="12.1")
    request = SendMailRequest(
        _mime("alice@example.test", "from 12.1", sender="bob@example.test"),
        save_in_sent_items=False,
    )
    body, params = request.body_and_params("12.1")
    resp = old.post("SendMail", body, extra_params=params)
    assert resp.status_code == 200
    _, adds = alice.sync_all()
    assert "from 12.1" in {a.application_data.subject for a in adds}


def test_sync_wait_holds_until_mail_arrives_and_checks_bounds(eas_mock_server):
    import threading
    import time

    dev = ready_device(eas_mock_server)
    key, _ = dev.sync_all()

    def held_sync(**kw):
        coll = SyncCollectionRequest(key, "2")
        return dev.post("Sync", SyncRequest((coll,), **kw).to_element())

    timer = threading.Timer(0.4, lambda: eas_mock_server.control.deliver("alice", 1))
    timer.start()
    start = time.monotonic()
    resp = held_sync(heartbeat_interval=30)
    timer.join(10)  # the delivery's answer read before the fixture stops the server
    assert 0.3 < time.monotonic() - start < 5
    answer = SyncResponse.from_element(wbxml.decode(resp.content))
    assert len(answer.collections[0].commands) == 1
    bad = SyncResponse.from_element(wbxml.decode(held_sync(wait=90).content))
    assert bad.status == SyncStatus.InvalidWaitOrHeartbeatInterval and bad.limit == 59
    # An empty Sync repeats the last full request (12.1+).
    again = dev.post("Sync", None)
    assert again.status_code == 200


@pytest.mark.parametrize("version", ["2.5", "12.0", "12.1", "14.0", "14.1", "16.0", "16.1"])
def test_every_version_provisions_and_syncs(eas_mock_server, version):
    dev = ready_device(eas_mock_server, version=version)
    _, adds = dev.sync_all()
    assert len(adds) == 10
    body = adds[0].application_data.body
    assert body is not None and body.data  # AirSyncBase from 12.0, Email:Body at 2.5


def test_logs_carry_no_secrets(eas_mock_server, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    dev = ready_device(eas_mock_server)
    dev.post("FolderSync", b"\x03\x01\x6a\x00\x45\x99", content_type=None)
    dev.post("Sync", wbxml.E("Ping:Ping"))
    httpx.post(eas_mock_server.url + PATH + "?garbage", auth=("alice", "alice-pw"))
    token = base64.b64encode(b"alice:alice-pw").decode()
    assert caplog.records  # the bad requests were logged …
    assert "alice-pw" not in caplog.text and token not in caplog.text  # … without secrets
    assert eas_mock_server.control_token not in caplog.text


def test_attachments_by_file_reference(eas_mock_server):
    from easclient.protocol.itemoperations import (
        FetchRequest,
        ItemOperationsRequest,
        parse_itemoperations_body,
    )

    dev = ready_device(eas_mock_server)
    _, adds = dev.sync_all()
    with_attachment = [a for a in adds if a.application_data.attachments]
    assert with_attachment  # one mail in four, deterministic for the seed
    att = with_attachment[0].application_data.attachments[0]
    assert att.display_name.endswith(".bin") and att.estimated_data_size >= 64

    def fetch(ref, multipart):
        req = ItemOperationsRequest((FetchRequest(file_reference=ref),))
        resp = dev.post("ItemOperations", req.to_element(), accept_multipart=multipart)
        return parse_itemoperations_body(resp.content, resp.headers.get("Content-Type"))

    plain = fetch(att.file_reference, False)
    data = plain.fetches[0].content()
    assert len(data) == att.estimated_data_size
    assert plain.fetches[0].content_type == "application/octet-stream"
    multi = fetch(att.file_reference, True)
    assert multi.fetches[0].part == 1 and multi.fetches[0].content(multi.parts) == data
    assert fetch("2:1:99", False).fetches[0].status == 15  # InvalidAttachment
