"""The client's flow against a real SOGo 5.8 (Debian's sogo-activesync), at 12.1, 14.0, 14.1 and
16.1 (which SOGo does not advertise, and serves all the same)."""

from __future__ import annotations

import threading
import time
import uuid

import pytest

from easclient import wbxml
from easclient.client import (
    BasicAuth,
    DeviceState,
    EasClient,
    HttpxTransport,
    PingOutcome,
    get_profile,
)
from easclient.protocol import AuthenticationFailed, FolderType, ServerError
from easclient.protocol.email import Email
from easclient.protocol.getitemestimate import (
    EstimateCollection,
    GetItemEstimateRequest,
    GetItemEstimateResponse,
)
from easclient.protocol.itemoperations import (
    FetchRequest,
    ItemOperationsRequest,
    ItemOperationsResponse,
)
from easclient.protocol.settings import SettingsRequest, SettingsResponse
from easclient.protocol.sync import (
    BodyPreference,
    SyncAdd,
    SyncCollectionRequest,
    SyncOptions,
    SyncRequest,
    parse_sync_body,
)

from .conftest import VERSIONS


def _walk(el):
    yield el
    for child in el.children:
        yield from _walk(child)


def _inbox(device) -> str:
    return next(f.server_id for f in device.state.folders() if f.type == FolderType.Inbox)


def _sync_items(client, inbox: str, version: str) -> tuple[str, dict[str, Email]]:
    """Sync the Inbox from 0 to the end with plain-text bodies; (last SyncKey, items)."""
    key, items = "0", {}
    for _ in range(20):
        opts = (SyncOptions(body_preferences=(BodyPreference(type=1, truncation_size=65536),)),)
        col_req = (
            SyncCollectionRequest(sync_key="0", collection_id=inbox)
            if key == "0"
            else SyncCollectionRequest(
                sync_key=key, collection_id=inbox, get_changes=True, window_size=4, options=opts
            )
        )
        el = client.execute("Sync", SyncRequest(collections=(col_req,)).to_element(version))
        col = parse_sync_body(el, {inbox: "Email"}).collection(inbox)
        if col is None:
            break
        assert int(col.status) == 1
        for cmd in col.commands:
            if isinstance(cmd, SyncAdd):
                items[cmd.server_id] = cmd.application_data
        primed = key == "0"
        key = col.sync_key
        if not primed and not col.more_available:
            break
    return key, items


def test_options_advertises_versions_up_to_14_1(make_device):
    result = make_device().client.options()
    assert result.versions == ("2.5", "12.0", "12.1", "14.0", "14.1")
    assert result.server_version == "14.1"
    for command in ("Sync", "FolderSync", "Ping", "GetItemEstimate", "ItemOperations", "Settings"):
        assert command in result.commands
    assert "Provision" not in result.commands  # SOGo answers Provision all the same


@pytest.mark.parametrize("version", VERSIONS)
def test_provision_without_policy_then_carry_on(make_device, version):
    dev = make_device(version=version)
    assert dev.client.provision() is None
    assert any("no policy" in n for n in dev.client.notes)
    assert dev.state.policy_key is None
    report = dev.client.sync_all_mail()
    # Provisioned once (first run), not in a loop; then the hierarchy and every mail folder.
    assert dev.counter.commands["Provision"] == 2
    assert dev.counter.commands["FolderSync"] == 1
    assert any("no policy" in n for n in report.notes)
    again = dev.client.sync_all_mail()
    assert dev.counter.commands["Provision"] == 2, "remembered: no Provision on the next run"
    assert again.folders_added == 0


@pytest.mark.parametrize("version", VERSIONS)
def test_foldersync_initial_incremental_add_and_delete(sogo, make_device, version):
    dev = make_device(version=version)
    added, deleted = dev.client.folder_sync()
    folders = dev.state.folders()
    names = {f.display_name: f.type for f in folders}
    assert added == len(folders) >= 4 and deleted == 0
    assert names["INBOX"] == FolderType.Inbox
    for special in ("Sent", "Drafts", "Trash"):
        assert special in names
    assert dev.client.folder_sync() == (0, 0)

    box = f"Interop-{version.replace('.', '')}-{uuid.uuid4().hex[:6]}"  # Dovecot: no "." in names
    sogo.harness.create_mailbox(sogo.ports, sogo.user("alice"), box)
    try:
        assert dev.client.folder_sync() == (1, 0)
        assert box in {f.display_name for f in dev.state.folders()}
    finally:
        sogo.harness.delete_mailbox(sogo.ports, sogo.user("alice"), box)
    assert dev.client.folder_sync() == (0, 1)
    assert box not in {f.display_name for f in dev.state.folders()}


@pytest.mark.parametrize("version", VERSIONS)
def test_sync_inbox_to_the_end_with_bodies(sogo, make_device, version):
    dev = make_device(version=version)
    report = dev.client.sync_all_mail()
    inbox = _inbox(dev)
    count = sogo.inbox_count("alice")
    assert report.folders[inbox].total == count
    subjects = {i.subject for i in dev.state.items(inbox)}
    assert set(sogo.seeded["alice"]) <= subjects

    # Small windows (4), so more than one round; every body arrives and carries its marker.
    # A new device must FolderSync first: SOGo answers Sync with Status 12 until it has.
    fresh = make_device(version=version)
    fresh.client.folder_sync()
    _, items = _sync_items(fresh.client, inbox, version)
    assert len(items) == count
    seeded = [e for e in items.values() if e.subject in sogo.seeded["alice"]]
    assert len(seeded) == len(sogo.seeded["alice"])
    for email in seeded:
        n = email.subject.split()[1]
        assert email.body is not None and f"Marker: alice-{n}" in (email.body.data or "")


@pytest.mark.parametrize("version", VERSIONS)
def test_ping_expires_after_the_heartbeat(make_device, version):
    dev = make_device(version=version)
    dev.client.sync_all_mail()
    first = dev.client.ping(heartbeat=5)
    if first.status == 2:
        # SOGo's first Ping after a complete Sync reports the folder as changed (it records the
        # SyncKey only when the client uses it); the Sync it asks for brings nothing.
        inbox = next(f for f in dev.state.folders() if f.type == FolderType.Inbox)
        rep = dev.client.sync_collection(inbox)
        assert (rep.added, rep.changed, rep.deleted) == (0, 0, 0)
    report = dev.client.ping(heartbeat=5)
    assert report.status == 1 and report.outcome is PingOutcome.NO_CHANGES
    assert 4.5 <= report.seconds < 15


@pytest.mark.parametrize("version", VERSIONS)
def test_ping_woken_by_mail_then_sync_brings_it(sogo, make_device, version):
    dev = make_device(version=version)
    dev.client.sync_all_mail()
    inbox_folder = next(f for f in dev.state.folders() if f.type == FolderType.Inbox)
    inbox = inbox_folder.server_id
    settle = dev.client.ping(heartbeat=5)
    if settle.status == 2:
        dev.client.sync_collection(inbox_folder)
    subject = f"Mid-Ping {version} {uuid.uuid4().hex[:8]}"
    timer = threading.Timer(1.5, sogo.deliver, args=("alice", subject))
    timer.start()
    try:
        started = time.monotonic()
        report = dev.client.ping(heartbeat=60)
        held = time.monotonic() - started
    finally:
        timer.join()
    assert report.status == 2 and report.outcome is PingOutcome.CHANGES
    assert inbox in report.folders
    assert held < 30, f"woken only after {held:.1f} s"
    rep = dev.client.sync_collection(inbox_folder)
    assert rep.added == 1
    assert subject in {i.subject for i in dev.state.items(inbox)}


def test_ping_above_maximum_gets_status_5_and_is_adopted(sogo, make_device):
    """SOGo answers Status 5 with its maximum only after holding the request that long (a
    deviation, pinned here); the client adopts the value. The versions run side by side."""
    maximum = sogo.settings["max_ping_interval"]
    reports: dict[str, object] = {}
    adopted: dict[str, int] = {}

    def ping(version: str) -> None:
        # SQLite state stays in the thread that opened it.
        dev = make_device(version=version)
        dev.client.folder_sync()
        reports[version] = dev.client.ping(heartbeat=maximum * 2)
        adopted[version] = dev.client.heartbeat.next_heartbeat()
        dev.state.close()

    threads = [threading.Thread(target=ping, args=(v,)) for v in VERSIONS]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=maximum * 3)
    for version in VERSIONS:
        report = reports[version]
        assert report.status == 5, version
        assert report.server_heartbeat == maximum
        assert report.outcome is PingOutcome.ADJUSTED
        assert report.seconds >= maximum - 6, "SOGo holds Status 5 until its maximum"
        assert adopted[version] <= maximum


@pytest.mark.parametrize("version", VERSIONS)
def test_get_item_estimate_and_itemoperations_fetch(sogo, make_device, version):
    dev = make_device(version=version)
    dev.client.folder_sync()
    inbox = _inbox(dev)
    key, items = _sync_items(dev.client, inbox, version)
    # One more message after the sync: the estimate counts exactly it.
    sogo.deliver("alice", f"Estimate {version} {uuid.uuid4().hex[:8]}")
    req = GetItemEstimateRequest(
        (
            EstimateCollection(
                collection_id=inbox,
                sync_key=key,
                options=(SyncOptions(class_="Email"),),
            ),
        )
    )
    resp = GetItemEstimateResponse.from_element(
        dev.client.execute("GetItemEstimate", req.to_element(version))
    )
    assert [int(r.status) for r in resp.results] == [1]
    # SOGo's estimate is not "changes since this SyncKey" (MS-ASCMD 2.2.1.9): it counts more
    # than the one new message; it stays within the folder's size.
    assert 1 <= resp.estimate_for(inbox) <= sogo.inbox_count("alice")

    server_id, email = next(
        (sid, e) for sid, e in items.items() if e.subject in sogo.seeded["alice"]
    )
    fetch = FetchRequest(
        collection_id=inbox,
        server_id=server_id,
        body_preferences=(BodyPreference(type=1, truncation_size=65536),),
    )
    el = dev.client.execute("ItemOperations", ItemOperationsRequest((fetch,)).to_element(version))
    r = ItemOperationsResponse.from_element(el)
    assert int(r.status) == 1 and len(r.fetches) == 1
    got = r.fetches[0]
    assert int(got.status) == 1 and got.server_id == server_id
    assert isinstance(got.item, Email) and got.item.subject == email.subject
    n = email.subject.split()[1]
    assert f"Marker: alice-{n}" in (got.item.body.data or "")


@pytest.mark.parametrize("version", VERSIONS)
def test_settings_user_information(make_device, version):
    dev = make_device(version=version)
    info = dev.client.profile.device_information()
    req = SettingsRequest(device_information=info, get_user_information=True)
    el = dev.client.execute("Settings", req.to_element(version))
    assert el.findtext("Status") == "1"
    user = el.find("Settings:UserInformation")
    assert user is not None
    # Pinned deviation: no Status inside UserInformation (MS-ASCMD 2.2.3.177.15 wants one).
    assert user.find("Settings:Status") is None
    addresses = [a.text for a in _walk(user) if a.tag.lower().endswith("smtpaddress")]
    assert addresses == ["alice@example.test"]
    # The parser takes SOGo's answer as it is: the missing Status is unknown (None).
    parsed = SettingsResponse.from_element(el)
    assert int(parsed.status) == 1 and parsed.user_information is not None
    assert parsed.user_information.status is None
    user_info = parsed.user_information
    parsed_addresses = [*user_info.email_addresses]
    for account in user_info.accounts:  # the 14.1+ shape, where SOGo uses it
        parsed_addresses += [*account.email_addresses]
        if account.primary_smtp_address:
            parsed_addresses.append(account.primary_smtp_address)
    assert set(parsed_addresses) == {"alice@example.test"}, wbxml.to_xml(el)


@pytest.mark.parametrize("version", ["12.1", "14.0", "14.1", "16.1"])
def test_base64_query_form(sogo, make_device, version):
    dev = make_device(version=version, base64_query=True)
    report = dev.client.sync_all_mail()
    inbox = _inbox(dev)
    assert report.folders[inbox].total == sogo.inbox_count("alice")


def test_wrong_password_is_401_with_a_challenge(make_device):
    dev = make_device(password="not-the-password")
    with pytest.raises(AuthenticationFailed) as info:
        dev.client.folder_sync()
    assert info.value.status_code == 401
    assert dev.counter.http == [401]


@pytest.mark.parametrize("version", ["14.1", "16.1"])
def test_second_user_never_sees_the_first_users_mail(sogo, make_device, version):
    bob = make_device(user="bob", version=version)
    report = bob.client.sync_all_mail()
    inbox = _inbox(bob)
    subjects = {i.subject for i in bob.state.items(inbox)}
    assert report.folders[inbox].total == sogo.inbox_count("bob")
    assert set(sogo.seeded["bob"]) <= subjects
    assert not any("alice" in (s or "") for s in subjects)
    total = sum(r.total for r in report.folders.values())
    assert total == sogo.inbox_count("bob"), "bob's other folders are empty"


def test_malformed_synckey_is_http_501_a_clear_error_then_a_restart_from_zero(sogo, make_device):
    """SOGo answers a SyncKey it cannot parse with HTTP 501 (not Sync Status 3): the client
    raises a typed error naming the code, and a restart from SyncKey 0 brings everything back."""
    dev = make_device(version="14.1")
    dev.client.sync_all_mail()
    inbox = next(f for f in dev.state.folders() if f.type == FolderType.Inbox)
    key = dev.state.sync_key(inbox.server_id)
    dev.state.apply_sync(inbox.server_id, "garbage!key", expected_sync_key=key)
    with pytest.raises(ServerError) as info:
        dev.client.sync_collection(inbox)
    assert info.value.status_code == 501
    assert dev.state.reset_collection(inbox.server_id) == sogo.inbox_count("alice")
    report = dev.client.sync_collection(inbox)
    assert report.added == report.total == sogo.inbox_count("alice")


def test_full_syncs_over_keep_alive_connections(sogo, tmp_path):
    """With connections kept alive (what devices do), sogod resets a reused one now and then
    before answering; the client resends that request once on a new connection, so every full
    sync ends with the whole Inbox, and each resend is in the report's notes."""
    user = sogo.user("alice")
    for n in range(6):
        with HttpxTransport(sogo.url, auth=BasicAuth(user.uid, user.password)) as tr:
            profile = get_profile("iphone")
            with DeviceState(tmp_path / f"keepalive{n}.db") as state:
                client = EasClient(
                    tr, user=user.uid, profile=profile, state=state,
                    device_id=profile.device_id(f"interop-keepalive-{uuid.uuid4().hex}"),
                )  # fmt: skip
                report = client.sync_all_mail()
                inbox = next(f.server_id for f in client.state.folders() if f.type == 2)
                assert report.folders[inbox].total == sogo.inbox_count("alice")
                resent = [note for note in report.notes if "resent on a new connection" in note]
                assert len(resent) == tr.retries <= len(tr.retry_log)
