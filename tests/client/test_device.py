"""The device's flows and wire behaviour, against the fake server through httpx.MockTransport."""

import dataclasses
import json

import httpx
import pytest

from easclient.client.capture import CaptureWriter, basic_credential
from easclient.client.device import (
    DeviceError,
    EasClient,
    ProvisionFailed,
    RedirectLoop,
    RemoteWipeAcknowledged,
    SyncFailed,
)
from easclient.client.heartbeat import FixedHeartbeat, PingOutcome
from easclient.client.transport import BasicAuth
from easclient.errors import EasError
from easclient.protocol import (
    AccountBlocked,
    AuthenticationFailed,
    FolderSyncResponse,
    Forbidden,
    PasswordExpired,
    PingResponse,
    ProvisionRequired,
    ProvisionResponse,
    SyncCollectionResponse,
    SyncResponse,
    Throttled,
)

from .fake_server import FakeServer, mock_transport

BASE = "https://eas.example.test"
PASSWORD = "s3cret-Pässword!"


class Sleeps(list):
    def __call__(self, seconds):
        self.append(seconds)


@pytest.fixture
def make(eas_client):
    def _make(server, *, profile="android", transport=None, capture=None, **kw) -> EasClient:
        kw.setdefault("sleep", Sleeps())
        return eas_client(
            BASE,
            auth=BasicAuth("alice", PASSWORD),
            http_transport=transport or mock_transport(server),
            capture=capture,
            profile=profile,
            device_id="androidc0000000001",
            **kw,
        )

    return _make


def held(client, fid):
    return {i.server_id for i in client.state.items(fid)}


def test_full_flow_syncs_every_mail_folder_in_windows(make):
    server = FakeServer(items_per_folder=12)
    client = make(server)
    report = client.sync_all_mail()
    assert client.state.protocol_version == "14.1"  # android speaks up to 14.1
    assert client.state.policy_key == server.final_key
    assert set(report.folders) == {"5", "6"}  # Calendar (type 8) is not mail
    for fid in ("5", "6"):
        assert held(client, fid) == server.server_ids(fid)
        assert report.folders[fid].added == 12 and report.folders[fid].total == 12
    syncs = [t for m, t, h, b in server.requests if "Cmd=Sync" in t]
    assert len(syncs) >= 2 * (1 + 3)  # prime + 12 items in windows of 5 per folder
    # Second run: nothing new; then server-side changes show up as added/deleted.
    again = client.sync_all_mail()
    assert again.folders["5"].added == again.folders["5"].deleted == 0
    gone = sorted(server.mail["5"])[0]
    del server.mail["5"][gone]
    new = server.add_mail("5")
    third = client.sync_all_mail()
    assert (third.folders["5"].added, third.folders["5"].deleted) == (1, 1)
    assert held(client, "5") == server.server_ids("5") and new in held(client, "5")


def test_server_changes_update_read_flags(make):
    server = FakeServer(items_per_folder=3)
    client = make(server)
    client.sync_all_mail()
    sid = sorted(server.mail["5"])[1]
    server.mail["5"][sid] = dataclasses.replace(server.mail["5"][sid], read=True)
    report = client.sync_all_mail()
    assert (report.folders["5"].changed, report.folders["5"].added) == (1, 0)
    flags = {i.server_id: i.read for i in client.state.items("5")}
    assert flags[sid] is True and sum(flags.values()) == 1


def test_provision_is_two_phase_with_device_information(make):
    server = FakeServer()
    client = make(server, profile="iphone")
    client.sync_all_mail()
    first, second = server.provision_requests[:2]
    assert first.policy_key is None and first.device_information.model == "iPhone15C2"
    assert second.policy_key == server.temp_key and second.policy_status == 1
    # base64 query form (iphone profile) carried the final policy key
    sync_targets = [t for m, t, h, b in server.requests if m == "POST"][-1]
    assert "Cmd=" not in sync_targets


def test_http_449_reprovisions_and_retries_once(make):
    server = FakeServer(items_per_folder=1)
    client = make(server)
    client.sync_all_mail()
    n = len(server.provision_requests)
    server.inject("FolderSync", status=449)
    client.folder_sync()
    assert len(server.provision_requests) == n + 2
    server.inject("FolderSync", status=449, times=2)
    with pytest.raises(ProvisionRequired, match="449"):
        client.folder_sync()


@pytest.mark.parametrize("status", [142, 143, 144])
def test_global_status_142_reprovisions(make, status):
    server = FakeServer(items_per_folder=1)
    client = make(server)
    client.sync_all_mail()
    n = len(server.provision_requests)
    server.inject("FolderSync", body=FolderSyncResponse(status=status).to_element())
    client.folder_sync()
    assert len(server.provision_requests) == n + 2
    # Once only: the same status after re-provisioning is an error, not another round.
    server.inject("FolderSync", body=FolderSyncResponse(status=status).to_element(), times=2)
    with pytest.raises(EasError, match=str(status)):
        client.folder_sync()
    assert len(server.provision_requests) == n + 4


def test_451_follows_location_and_guards_loops(make):
    server = FakeServer(items_per_folder=1)
    client = make(server)
    other = "https://cas2.example.test/Microsoft-Server-ActiveSync"
    server.inject("OPTIONS", status=451, headers={"X-MS-Location": other})
    client.options()
    assert client.transport.base_url == other
    assert server.requests[-1][1] == "/Microsoft-Server-ActiveSync"
    server.inject("OPTIONS", status=451, headers={"X-MS-Location": other})
    with pytest.raises(RedirectLoop, match="cas2"):
        client.options()
    server.inject("OPTIONS", status=451)
    with pytest.raises(RedirectLoop, match="missing"):
        client.options()


def test_451_location_path_is_where_requests_go_next(make):
    """X-MS-Location is a URL (MS-ASHTTP 2.2.2.1.1): its path, not only its host, is the new
    endpoint."""
    server = FakeServer(items_per_folder=1)
    client = make(server)
    other = "https://cas2.example.test/SOGo/Microsoft-Server-ActiveSync"
    server.inject("OPTIONS", status=451, headers={"X-MS-Location": other})
    client.options()
    assert server.requests[-1][1] == "/SOGo/Microsoft-Server-ActiveSync"
    client.folder_sync()
    assert server.requests[-1][1].startswith("/SOGo/Microsoft-Server-ActiveSync?Cmd=FolderSync&")


@pytest.mark.parametrize("location", ["http://cas3.example.test/eas", "cas3.example.test"])
def test_451_never_sends_credentials_out_of_tls(make, location):
    server = FakeServer(items_per_folder=1)
    client = make(server)
    server.inject("OPTIONS", status=451, headers={"X-MS-Location": location})
    with pytest.raises(DeviceError, match="refusing X-MS-Location"):
        client.options()
    assert client.transport.base_url == BASE


def test_503_honours_retry_after_records_throttle_and_is_bounded(make):
    server = FakeServer(items_per_folder=1)
    sleeps = Sleeps()
    client = make(server, sleep=sleeps)
    server.inject(
        "OPTIONS", status=503, headers={"Retry-After": "7", "X-MS-ASThrottle": "CommandFrequency"}
    )
    server.inject("OPTIONS", status=503)  # no Retry-After: back off 2 s (second attempt)
    client.options()
    assert sleeps == [7.0, 2.0]
    assert client.throttle_reasons == ["CommandFrequency", None]
    assert "CommandFrequency" in client.state.events("throttled")[0][2]
    sleeps.clear()
    server.inject("OPTIONS", status=503, headers={"Retry-After": "100000"}, times=4)
    with pytest.raises(Throttled):
        client.options()
    assert sleeps == [60.0, 60.0, 60.0]  # capped at max_backoff, three retries


@pytest.mark.parametrize(
    ("code", "exc", "words"),
    [
        (401, AuthenticationFailed, "401: authentication failed"),
        (403, Forbidden, "403"),
        (456, AccountBlocked, "456: the account is blocked"),
        (457, PasswordExpired, "457: password expired"),
    ],
)
def test_auth_errors_say_which(make, code, exc, words):
    server = FakeServer()
    client = make(server)
    server.inject("OPTIONS", status=code)
    with pytest.raises(exc, match=words):
        client.options()


def test_status_165_resends_provision_with_device_information(make):
    server = FakeServer(items_per_folder=1)
    client = make(server, send_device_information=False)
    client.state.protocol_version = "14.1"
    server.inject("Provision", body=ProvisionResponse(status=165).to_element())
    client.provision()
    sent = server.provision_requests
    assert sent[0].device_information is not None  # the resend (the 165 answer was canned)
    assert client.state.policy_key == server.final_key


def test_remote_wipe_is_acknowledged_recorded_and_deletes_nothing(make, tmp_path):
    server = FakeServer(items_per_folder=3)
    client = make(server)
    client.sync_all_mail()
    before = held(client, "5")
    wipe = ProvisionResponse(status=1, remote_wipe=True).to_element()
    assert wipe.find("Provision:RemoteWipe") is not None
    server.inject("FolderSync", body=FolderSyncResponse(status=140).to_element())
    server.inject("Provision", body=wipe)
    with pytest.raises(RemoteWipeAcknowledged, match="nothing was deleted"):
        client.folder_sync()
    ack = server.provision_requests[-1]
    assert ack.remote_wipe_status == 1
    assert client.state.events("remote-wipe")
    assert held(client, "5") == before  # nothing deleted, state file intact
    assert client.state.path.exists()


def test_status_140_without_a_wipe_in_provision_is_not_called_acknowledged(make):
    """140, but the Provision that should carry the RemoteWipe has none: we must not claim to
    have acknowledged a wipe; the request is recorded and the error says what happened."""
    server = FakeServer(items_per_folder=1)
    client = make(server)
    client.sync_all_mail()
    server.inject("FolderSync", body=FolderSyncResponse(status=140).to_element())
    with pytest.raises(DeviceError, match="no RemoteWipe") as caught:
        client.folder_sync()
    assert not isinstance(caught.value, RemoteWipeAcknowledged)
    assert "140" in client.state.events("remote-wipe")[0][2]


def test_sync_status_3_restarts_collection_from_zero(make):
    server = FakeServer(items_per_folder=4)
    client = make(server)
    client.sync_all_mail()
    # The server loses its sync state (e.g. reset): every old key is now invalid.
    server.sync_states.clear()
    server.add_mail("5")
    report = client.sync_all_mail()
    assert report.folders["5"].restarted
    assert held(client, "5") == server.server_ids("5")
    # The net change since the last run, not "4 deleted, 5 added".
    f = report.folders["5"]
    assert (f.added, f.changed, f.deleted, f.total) == (1, 0, 0, 5)


def test_sync_status_12_runs_foldersync_then_goes_on(make):
    server = FakeServer(items_per_folder=2)
    client = make(server)
    client.sync_all_mail()
    server.add_mail("5")
    server.inject("Sync", body=SyncResponse(status=12).to_element())
    before = sum(1 for m, t, h, b in server.requests if "FolderSync" in t)
    client.sync_all_mail()
    after = sum(1 for m, t, h, b in server.requests if "FolderSync" in t)
    assert after - before == 2  # the run's own FolderSync and the one status 12 asked for
    assert held(client, "5") == server.server_ids("5")


def test_sync_collection_status_3_in_collection(make):
    server = FakeServer(items_per_folder=2)
    client = make(server)
    client.sync_all_mail()
    server.inject(
        "Sync",
        body=SyncResponse(collections=(SyncCollectionResponse("5", status=3),)).to_element(),
    )
    report = client.sync_all_mail()
    assert report.folders["5"].restarted and held(client, "5") == server.server_ids("5")


def test_policy_status_2_carries_on_without_a_policy(make):
    server = FakeServer(items_per_folder=2, policy=False)
    client = make(server)
    report = client.sync_all_mail()
    assert client.state.policy_key is None
    assert any("no policy" in n for n in report.notes)
    assert held(client, "5") == server.server_ids("5")


def test_ping_outcomes_and_server_heartbeat(make):
    server = FakeServer(items_per_folder=1)
    client = make(server, heartbeat=FixedHeartbeat(900))
    client.sync_all_mail()
    r = client.ping()
    assert (r.outcome, r.status, r.heartbeat) == (PingOutcome.NO_CHANGES, 1, 900)
    server.inject("Ping", body=PingResponse(status=5, heartbeat_interval=600).to_element())
    r = client.ping()
    assert r.outcome is PingOutcome.ADJUSTED and client.heartbeat.next_heartbeat() == 600
    server.inject("Ping", body=PingResponse(status=6, max_folders=1).to_element())
    client.ping()
    assert len(client.ping_folders()) == 1
    last_ping = server.requests[-1]
    assert "Ping" in last_ping[1]
    client.ping()
    assert server.requests[-1][3].count(b"Email") == 1  # only one folder sent now
    fs_before = sum(1 for m, t, h, b in server.requests if "FolderSync" in t)
    server.inject("Ping", body=PingResponse(status=7).to_element())
    r = client.ping()
    assert r.status == 7
    assert sum(1 for m, t, h, b in server.requests if "FolderSync" in t) == fs_before + 1


def test_ping_step_syncs_reported_folders(make):
    server = FakeServer(items_per_folder=1)
    client = make(server, heartbeat=FixedHeartbeat(60))
    client.sync_all_mail()
    new = server.add_mail("5")
    r = client.ping_step()
    assert r.outcome is PingOutcome.CHANGES and r.folders == ("5",)
    assert new in held(client, "5")


def test_ping_read_timeout_is_heartbeat_plus_margin_and_blackhole(make):
    server = FakeServer(items_per_folder=1)
    seen = {}
    inner = mock_transport(server)

    def handler(request):
        if b"Ping" in request.url.raw_path or "Cmd=Ping" in str(request.url):
            seen["timeout"] = request.extensions["timeout"]["read"]
            raise httpx.ReadTimeout("no answer", request=request)
        return inner.handle_request(request)

    client = make(server, transport=httpx.MockTransport(handler), heartbeat=FixedHeartbeat(120))
    client.ping_margin = 7
    client.sync_all_mail()
    r = client.ping()
    assert seen["timeout"] == 127
    assert r.outcome is PingOutcome.BLACKHOLE and r.status is None


def test_capture_never_holds_secrets(make, tmp_path):
    server = FakeServer(items_per_folder=2)
    path = tmp_path / "cap.jsonl"
    with CaptureWriter(path, secrets=[PASSWORD, basic_credential("alice", PASSWORD)]) as cap:
        client = make(server, capture=cap)
        client.sync_all_mail()
        server.inject("Ping", status=401, headers={"Set-Cookie": "session=abc123"})
        client.ping(60)
    text = path.read_text("utf-8")
    assert PASSWORD not in text
    assert basic_credential("alice", PASSWORD) not in text
    assert "session=abc123" not in text
    lines = [json.loads(line) for line in text.splitlines()]
    assert lines[0]["command"] == "OPTIONS"
    cmds = [entry["command"] for entry in lines]
    assert {"Provision", "FolderSync", "Sync", "Ping"} <= set(cmds)
    sync = next(e for e in lines if e["command"] == "Sync" and e["response"])
    assert "<Sync" in sync["response"]["xml"] and sync["query_decoded"]["cmd"] == "Sync"
    assert sync["request_headers"]["Authorization"] == "Basic [redacted]"
    assert lines[-1]["status"] == 401


# -- the protocol flows, driven by the client (issue 12) --------------------------------------


def _sent(server, cmd):
    return [b for m, t, h, b in server.requests if m == "POST" and cmd in t]


def test_foldersync_status_9_restarts_the_hierarchy_from_0(make):
    server = FakeServer(items_per_folder=2)
    client = make(server)
    client.sync_all_mail()
    assert client.state.sync_key("5") != "0" and held(client, "5")
    server.inject("FolderSync", body=FolderSyncResponse(status=9).to_element())
    before = len(_sent(server, "FolderSync"))
    assert client.folder_sync() == (3, 0)  # the whole hierarchy again
    assert len(_sent(server, "FolderSync")) == before + 2
    assert client.state.folder_sync_key == "F1"
    assert {f.server_id for f in client.state.folders()} == {"5", "6", "7"}
    # The old hierarchy went with its collections: mail starts again from SyncKey 0.
    assert client.state.sync_key("5") == "0" and not held(client, "5")
    client.sync_all_mail()
    assert held(client, "5") == server.server_ids("5")


def test_foldersync_other_status_is_sync_failed_with_it(make):
    server = FakeServer()
    client = make(server)
    client.sync_all_mail()
    server.inject("FolderSync", body=FolderSyncResponse(status=6).to_element())
    with pytest.raises(SyncFailed, match="FolderSync failed: status 6") as caught:
        client.folder_sync()
    assert caught.value.status == 6
    assert client.state.folder_sync_key == "F1"  # nothing applied


@pytest.mark.parametrize("status", [13, 16])
def test_sync_status_13_16_resends_the_same_request(make, status):
    server = FakeServer(items_per_folder=2)
    client = make(server)
    client.sync_all_mail()
    server.add_mail("5")
    server.inject("Sync", body=SyncResponse(status=status).to_element())
    folder = next(f for f in client.state.folders() if f.server_id == "5")
    before = len(_sent(server, "Sync"))
    report = client.sync_collection(folder)
    bodies = _sent(server, "Sync")[before:]
    assert len(bodies) == 2 and bodies[0] == bodies[1]
    assert report.added == 1 and held(client, "5") == server.server_ids("5")


def test_sync_retry_is_bounded_to_three_resends(make):
    server = FakeServer(items_per_folder=1)
    client = make(server)
    client.sync_all_mail()
    server.inject("Sync", body=SyncResponse(status=16).to_element(), times=4)
    folder = next(f for f in client.state.folders() if f.server_id == "5")
    with pytest.raises(SyncFailed, match=r"Sync of Inbox \(5\) failed: status 16") as caught:
        client.sync_collection(folder)
    assert (caught.value.status, caught.value.collection) == (16, "5")


def test_sync_more_available_past_max_windows_fails(make):
    server = FakeServer(items_per_folder=12)  # android: windows of 5 → priming + 3 windows
    client = make(server, max_windows=3)
    with pytest.raises(SyncFailed, match="still MoreAvailable after 3 windows"):
        client.sync_all_mail()


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (ProvisionResponse(status=3), "Provision failed: status 3"),
        (
            ProvisionResponse(status=1, policy_type="MS-EAS-Provisioning-WBXML", policy_status=4),
            "Provision: policy status 4, key None",
        ),
    ],
)
def test_provision_refused_says_how(make, answer, message):
    server = FakeServer()
    client = make(server)
    client.state.protocol_version = "14.1"
    server.inject("Provision", body=answer.to_element())
    with pytest.raises(ProvisionFailed, match=message) as caught:
        client.provision()
    assert caught.value.outcome is not None and caught.value.outcome.status == answer.status
    assert client.state.policy_key is None
