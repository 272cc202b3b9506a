"""The client against the project's mock EAS server, over real HTTP on 127.0.0.1."""

import threading
import time

import pytest

from easclient.client import PingOutcome, RemoteWipeAcknowledged
from easclient.client.heartbeat import FixedHeartbeat


@pytest.fixture
def device(eas_client, eas_mock_server):
    def _make(profile="iphone", *, ca_file=None, user=None, **kw):
        name = (user or eas_mock_server.user).name
        return eas_client(eas_mock_server, user=name, profile=profile, ca_file=ca_file, **kw)

    return _make


@pytest.mark.parametrize("profile", ["iphone", "android", "outlook", "windows-mobile"])
def test_provision_foldersync_and_sync_all_mail(device, eas_mock_server, profile):
    client = device(profile)
    report = client.sync_all_mail()
    assert client.state.policy_key is not None
    assert client.version in client.profile.versions
    inbox = next(f for f in report.folders.values() if f.name == "Inbox")
    assert inbox.added == 10 and inbox.total == 10  # the fixture's ten mails, all windows
    # Mail delivered later arrives on the next run, and only it.
    eas_mock_server.control.deliver(eas_mock_server.user.name, count=3)
    again = client.sync_all_mail()
    inbox2 = next(f for f in again.folders.values() if f.name == "Inbox")
    assert (inbox2.added, inbox2.total) == (3, 13)


@pytest.mark.parametrize(
    ("profile", "version"),
    [("windows-mobile", "2.5"), ("windows-mobile", "12.0"), ("iphone", "16.0")],
)
def test_forced_protocol_versions(device, profile, version):
    client = device(profile, protocol=version)
    report = client.sync_all_mail()
    inbox = next(f for f in report.folders.values() if f.name == "Inbox")
    assert inbox.total == 10
    assert client.state.protocol_version is None  # forced: OPTIONS was not needed


def test_ping_times_out_with_no_changes(device):
    client = device(heartbeat=FixedHeartbeat(2))
    client.ping_margin = 5
    client.sync_all_mail()
    started = time.monotonic()
    report = client.ping()
    assert report.outcome is PingOutcome.NO_CHANGES and report.status == 1
    assert 1.5 <= report.seconds <= 7 and time.monotonic() - started < 8


@pytest.mark.eas_mock(heartbeat_min=1)
def test_a_trickled_ping_answer_ends_at_heartbeat_plus_margin(device, eas_mock_server):
    # httpx bounds each read, not the answer: a proxy trickling the body a byte every 0.3 s would
    # hold the device for as long as it liked. The Ping's budget is the whole answer's.
    client = device(heartbeat=FixedHeartbeat(1))
    client.ping_margin = 1
    client.sync_all_mail()
    eas_mock_server.control.add_fault(
        action="trickle", command="Ping", chunk=1, seconds=0.3, count=1
    )
    started = time.monotonic()
    report = client.ping()
    elapsed = time.monotonic() - started
    assert report.outcome is PingOutcome.BLACKHOLE
    assert elapsed < 1 + 1 + 0.3 + 0.5  # heartbeat + margin, one more trickled byte, slack
    assert client.ping().outcome is PingOutcome.NO_CHANGES  # the next Ping is answered whole


def test_ping_is_woken_by_new_mail(device, eas_mock_server):
    client = device(heartbeat=FixedHeartbeat(30))
    client.sync_all_mail()
    inbox = next(f for f in client.mail_folders() if f.type == 2)
    timer = threading.Timer(
        0.5, lambda: eas_mock_server.control.deliver(eas_mock_server.user.name, count=1)
    )
    timer.start()
    try:
        report = client.ping_step()
    finally:
        timer.cancel()
    assert report.outcome is PingOutcome.CHANGES
    assert inbox.server_id in report.folders and report.seconds < 10
    assert client.state.item_count(inbox.server_id) == 11  # ping_step synced the new mail


@pytest.mark.eas_mock(heartbeat_min=60)
def test_ping_out_of_bounds_adopts_server_heartbeat(device):
    client = device(heartbeat=FixedHeartbeat(5))
    client.sync_all_mail()
    report = client.ping()
    assert report.outcome is PingOutcome.ADJUSTED and report.server_heartbeat == 60
    assert client.heartbeat.next_heartbeat() == 60


def test_remote_wipe_from_the_server_is_acknowledged(device, eas_mock_server):
    client = device()
    client.sync_all_mail()
    eas_mock_server.control.wipe(eas_mock_server.user.name, client.device_id)
    with pytest.raises(RemoteWipeAcknowledged):
        client.sync_all_mail()
    assert client.state.events("remote-wipe")
    assert client.state.item_count(next(iter(client.state.sync_keys()))) > 0  # nothing deleted


def test_throttling_and_reprovision_faults(device, eas_mock_server):
    client = device()
    client.sync_all_mail()
    control = eas_mock_server.control
    control.add_fault(
        action="http_status", command="FolderSync", status=503, retry_after=3,
        throttle_reason="CommandFrequency", count=1,
    )  # fmt: skip
    control.add_fault(action="http_status", command="Sync", status=449, count=1)
    client.sync_all_mail()
    assert client.throttle_reasons == ["CommandFrequency"]
    assert [e[1] for e in client.state.events("provisioned")].count("provisioned") >= 2


@pytest.mark.eas_mock(tls=True)
def test_tls_with_ca_file(device, eas_mock_server):
    assert eas_mock_server.url.startswith("https://")
    client = device(ca_file=eas_mock_server.ca_file)
    client.sync_all_mail()
    assert client.mail_folders()
