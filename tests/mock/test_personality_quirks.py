"""Each personality's documented quirks over real HTTP on 127.0.0.1 (SOGo 5.8 as tests/interop
pins it, Z-Push's Retry-After), the exchange personality answering the same requests as the spec
says, and `eas matrix` against the mock's sogo personality reporting SOGo's deviations."""

from __future__ import annotations

import subprocess
import sys
import time

import httpx
import pytest

from easclient import wbxml
from easclient.matrix import MatrixConfig, run_matrix
from easclient.mock import PERSONALITIES, MockConfig, Quirk, parse_quirks
from easclient.mock.config import MockConfigError
from easclient.protocol.ping import PingFolder, PingRequest, PingResponse
from easclient.protocol.provision import ProvisionRequest, ProvisionResponse
from easclient.protocol.settings import DeviceInformation, SettingsRequest
from easclient.protocol.status import PingStatus, PolicyStatus

from .helpers import PATH, RawDevice

SOGO_ADVERTISED = "2.5,12.0,12.1,14.0,14.1"


def _device(server, **kw) -> RawDevice:
    user = server.user
    return RawDevice(server.url, user.name, user.password, **kw)


def _options(server, auth=True) -> httpx.Response:
    user = server.user
    return httpx.options(server.url + PATH, auth=(user.name, user.password) if auth else None)


def _ping(dev: RawDevice, heartbeat: int) -> PingResponse:
    body = PingRequest(heartbeat, (PingFolder("2"),)).to_body(dev.version)
    r = dev.post("Ping", body)
    assert r.status_code == 200
    return PingResponse.from_element(wbxml.decode(r.content))


# -- configuration ---------------------------------------------------------------------------
def test_personalities_carry_their_quirks_and_exchange_none():
    assert PERSONALITIES["exchange"].quirks == frozenset()
    horde = PERSONALITIES["horde"]
    assert (horde.heartbeat_min, horde.heartbeat_max, horde.server_version) == (60, 2700, "16.0")
    assert Quirk.SYNC_25_TEXT_HTML in horde.quirks and Quirk.NO_POLICY not in horde.quirks
    assert PERSONALITIES["zpush"].quirks == {
        Quirk.EMPTY_PING_STATUS3,
        Quirk.RETRY_AFTER_300,
        Quirk.SENDMAIL_FROM_KEPT,
    }
    sogo = PERSONALITIES["sogo"]
    assert (sogo.heartbeat_max, sogo.server_version) == (10, "14.1")
    assert Quirk.NO_POLICY in sogo.quirks and Quirk.RETRY_AFTER_300 not in sogo.quirks
    # A config can switch them off, or choose others on any personality.
    assert MockConfig(personality="sogo", quirks=()).effective_personality().quirks == set()
    chosen = MockConfig(personality="exchange", quirks="no-policy,none")
    assert chosen.effective_personality().quirks == {Quirk.NO_POLICY}
    with pytest.raises(MockConfigError, match=r"unknown quirk.*'nope'"):
        parse_quirks("no-policy,nope")


def test_cli_quirks_option():
    bad = subprocess.run(
        [sys.executable, "-m", "easclient.cli", "mock-server", "--quirks", "sometimes-broken"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (
        bad.returncode == 2 and "unknown quirk" in bad.stderr and "sometimes-broken" in bad.stderr
    )
    assert "Traceback" not in bad.stderr


# -- SOGo ------------------------------------------------------------------------------------
@pytest.mark.eas_mock(personality="sogo")
def test_sogo_options_hide_provision_and_16_but_serve_16(eas_mock_server):
    r = _options(eas_mock_server)
    assert r.headers["ms-asprotocolversions"] == SOGO_ADVERTISED
    assert r.headers["ms-server-activesync"] == "14.1"
    assert "Provision" not in r.headers["ms-asprotocolcommands"].split(",")
    for version in ("16.0", "16.1"):
        dev = _device(eas_mock_server, version=version, device_id=f"v{version}")
        assert dev.folder_sync().status == 1  # no Provision needed, and 16.x served


@pytest.mark.eas_mock(personality="exchange")
def test_exchange_advertises_what_it_serves(eas_mock_server):
    r = _options(eas_mock_server)
    assert r.headers["ms-asprotocolversions"].endswith("16.0,16.1")
    assert "Provision" in r.headers["ms-asprotocolcommands"].split(",")
    assert _device(eas_mock_server).post("FolderSync", None).status_code == 449


@pytest.mark.eas_mock(personality="sogo")
def test_sogo_provision_answers_no_policy_and_no_key(eas_mock_server):
    dev = _device(eas_mock_server)
    first = dev.call(
        "Provision",
        ProvisionRequest.initial("14.1", DeviceInformation(model="pytest")),
        ProvisionResponse,
    )
    assert int(first.status) == 1 and first.policy_status == PolicyStatus.NoPolicy
    assert first.policy_key is None and first.device_information_status == 1
    # An acknowledgement of a key it never issued: the same answer, never a key.
    ack = dev.call(
        "Provision", ProvisionRequest.acknowledge(1234, version="14.1"), ProvisionResponse
    )
    assert ack.policy_status == PolicyStatus.NoPolicy and ack.policy_key is None
    assert dev.folder_sync().status == 1  # without any PolicyKey


@pytest.mark.parametrize(
    ("personality", "no_credentials"),
    [("sogo", (403, None)), ("exchange", (401, 'Basic realm="eas-mock"'))],
)
def test_no_credentials(eas_mock_config, personality, no_credentials):
    from dataclasses import replace

    from easclient.mock import MockServer

    with MockServer(replace(eas_mock_config, personality=personality)).start_in_thread() as s:
        for response in (_options(s, auth=False), _device(s).http.post(PATH, auth=None)):
            got = (response.status_code, response.headers.get("www-authenticate"))
            assert got == no_credentials
        # A wrong password is 401 with a challenge on both.
        wrong = RawDevice(s.url, s.user.name, "not-it").post("FolderSync", None)
        assert wrong.status_code == 401 and wrong.headers["www-authenticate"].startswith("Basic")


@pytest.mark.parametrize(("personality", "code"), [("sogo", 500), ("exchange", 400)])
def test_missing_device_id(eas_mock_config, personality, code):
    from dataclasses import replace

    from easclient.mock import MockServer

    with MockServer(replace(eas_mock_config, personality=personality)).start_in_thread() as s:
        dev = _device(s)
        query = "?Cmd=FolderSync&User=alice&DeviceType=TestDevice"
        r = dev.http.post(PATH + query, headers={"MS-ASProtocolVersion": "14.1"}, content=b"")
        assert r.status_code == code


def _synced(server) -> tuple[RawDevice, str]:
    dev = _device(server)
    dev.folder_sync()
    key, commands = dev.sync_all()
    assert len(commands) == 10
    return dev, key


@pytest.mark.eas_mock(personality="sogo")
def test_sogo_synckeys_never_issued_and_unparseable(eas_mock_server):
    dev, key = _synced(eas_mock_server)
    eas_mock_server.control.deliver("alice", 2)
    unknown = dev.sync("2", key + "9999").collections[0]
    assert (int(unknown.status), unknown.commands, unknown.sync_key) == (1, (), key + "9999")
    r = dev.post("Sync", _sync_body(key="garbage!key"))
    assert r.status_code == 501 and r.content == b""
    # Neither touched the device's state: the issued key still brings the new mail.
    assert len(dev.sync("2", key).collections[0].commands) == 2


@pytest.mark.eas_mock(personality="exchange", require_provisioning=False)
def test_exchange_synckeys_never_issued_and_unparseable_are_status_3(eas_mock_server):
    dev, key = _synced(eas_mock_server)
    for bad in (key + "9999", "garbage!key"):
        coll = dev.sync("2", bad).collections[0]
        assert int(coll.status) == 3 and coll.sync_key == "0"


def _sync_body(key: str):
    from easclient.protocol.sync import SyncCollectionRequest, SyncRequest

    return SyncRequest((SyncCollectionRequest(key, "2"),)).to_element("14.1")


@pytest.mark.eas_mock(personality="sogo")
def test_sogo_sync_before_foldersync_is_status_12(eas_mock_server):
    dev = _device(eas_mock_server)
    assert int(dev.sync("2", "0").collections[0].status) == 12
    dev.folder_sync()
    assert int(dev.sync("2", "0").collections[0].status) == 1


@pytest.mark.parametrize(("personality", "held"), [("sogo", True), ("exchange", False)])
def test_ping_above_maximum(eas_mock_config, personality, held):
    from dataclasses import replace

    from easclient.mock import MockServer

    config = replace(
        eas_mock_config, personality=personality, heartbeat_max=2, require_provisioning=False
    )
    with MockServer(config).start_in_thread() as server:
        dev = _device(server)
        dev.folder_sync()
        started = time.monotonic()
        answer = _ping(dev, 60)
        took = time.monotonic() - started
        assert answer == PingResponse(PingStatus.InvalidHeartbeatInterval, heartbeat_interval=2)
        assert (took >= 1.9) is held, took
        assert took < 5


@pytest.mark.eas_mock(personality="sogo")
def test_sogo_ping_reports_a_folder_until_its_last_synckey_comes_back(eas_mock_server):
    dev, key = _synced(eas_mock_server)
    started = time.monotonic()
    assert _ping(dev, 5) == PingResponse(PingStatus.ChangesOccurred, folders=("2",))
    assert time.monotonic() - started < 1  # at once: nothing to sync, all the same
    coll = dev.sync("2", key).collections[0]
    assert coll.commands == ()
    assert _ping(dev, 1).status == PingStatus.HeartbeatExpired
    # A real change still wakes it, and the Sync brings it.
    eas_mock_server.control.deliver("alice", 1)
    assert _ping(dev, 5).status == PingStatus.ChangesOccurred
    assert len(dev.sync("2", coll.sync_key).collections[0].commands) == 1


@pytest.mark.eas_mock(personality="exchange", require_provisioning=False)
def test_exchange_ping_after_a_complete_sync_waits(eas_mock_server):
    dev, _ = _synced(eas_mock_server)
    assert _ping(dev, 1).status == PingStatus.HeartbeatExpired


@pytest.mark.parametrize(("personality", "status"), [("sogo", None), ("exchange", "1")])
def test_settings_user_information_status(eas_mock_config, personality, status):
    from dataclasses import replace

    from easclient.mock import MockServer

    with MockServer(replace(eas_mock_config, personality=personality)).start_in_thread() as s:
        dev = _device(s)
        if personality == "exchange":
            dev.provision()
        req = SettingsRequest(get_user_information=True)
        el = wbxml.decode(dev.post("Settings", req.to_element("14.1")).content)
        assert el.findtext("Status") == "1"
        info = el.find("Settings:UserInformation")
        assert info is not None and info.findtext("Status") == status
        assert "alice@example.test" in wbxml.to_xml(info)


# -- Z-Push ----------------------------------------------------------------------------------
@pytest.mark.parametrize(("personality", "retry_after"), [("zpush", "300"), ("exchange", "30")])
def test_503_retry_after(eas_mock_config, personality, retry_after):
    from dataclasses import replace

    from easclient.mock import MockServer

    config = replace(eas_mock_config, personality=personality, require_provisioning=False)
    with MockServer(config).start_in_thread() as server:
        server.control.add_fault(action="http_status", status=503, command="FolderSync")
        server.control.add_fault(
            action="http_status", status=503, command="Sync", retry_after=7, count=1
        )
        dev = _device(server)
        r = dev.post("FolderSync", None)
        assert (r.status_code, r.headers["retry-after"]) == (503, retry_after)
        assert dev.post("Sync", _sync_body("0")).headers["retry-after"] == "7"  # as told


# -- eas matrix --------------------------------------------------------------------------------
@pytest.mark.eas_mock(personality="sogo", heartbeat_max=4)
def test_matrix_against_mock_sogo_reports_sogos_deviations(eas_mock_server):
    """What tests/interop/test_matrix.py pins against the real SOGo 5.8, from the mock."""
    report = run_matrix(
        MatrixConfig(
            url=eas_mock_server.url,
            user="alice",
            password="alice-pw",
            versions=("12.1", "14.1", "16.1"),
            heartbeat=2,
            long_heartbeat=60,
            keepalive_probe=3,
        )
    )
    assert report.server_version == "14.1"
    assert report.advertised_versions == SOGO_ADVERTISED.split(",")
    assert [r.advertised for r in report.runs] == [True, True, False]
    for run in report.runs:
        for command in ("Provision", "FolderSync", "Sync", "GetItemEstimate", "ItemOperations"):
            step = run.step(command)
            assert step is not None and step.ok and step.http_status == 200, (run.version, step)
        assert "no policy" in run.step("Provision").detail
        assert run.step("Ping").status == 2 and run.step("Ping (again)").status == 1
        long_ping = run.step("Ping (above maximum)")
        assert long_ping.status == 5 and long_ping.seconds >= 3.5

    def observed(probe: str) -> str:
        d = report.deviation(probe)
        assert d is not None, f"no {probe} deviation: {report.conforming}"
        return d.observed

    assert observed("no-credentials") == "HTTP 403 without WWW-Authenticate"
    assert observed("missing-deviceid") == "HTTP 500"
    assert observed("unknown-synckey").endswith("HTTP 200, Status 1, 0 commands")
    assert observed("malformed-synckey").endswith("HTTP 501")
    assert report.deviation("unadvertised-version").version == "16.1"
    assert observed("ping-status5-delayed").startswith("Status 5 after holding")
    assert report.deviation("ping-spurious-change") is not None
    assert report.deviation("settings-response-shape") is not None
    assert {"wrong-password", "keepalive"} <= set(report.conforming)
    assert any("Policy Status 2" in n for n in report.notes)


@pytest.mark.eas_mock(personality="sogo", quirks=())
def test_matrix_against_mock_sogo_without_quirks_finds_none(eas_mock_server):
    report = run_matrix(
        MatrixConfig(
            url=eas_mock_server.url,
            user="alice",
            password="alice-pw",
            versions=("14.1",),
            heartbeat=1,
            keepalive_probe=0,
        )
    )
    assert report.deviations == [], report.deviations
    assert report.run("14.1").step("Provision").detail.startswith("policy acknowledged")
