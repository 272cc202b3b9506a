"""Issue 11, the small bounds: sizes as written, per-command limits, wire integers, quoted
values, back-off notices, and private files (the end-to-end proof is test_hostile_server)."""

from __future__ import annotations

import os
import stat

import httpx
import pytest

from easclient import wbxml
from easclient.client import (
    BasicAuth,
    DeviceState,
    EasClient,
    HttpxTransport,
    ResponseLimits,
    ResponseTooLarge,
    WaitLimitExceeded,
    get_profile,
    parse_size,
)
from easclient.client.capture import CaptureWriter
from easclient.client.state import default_state_dir
from easclient.errors import EasError
from easclient.protocol import (
    EmptyResponse,
    PingResponse,
    ProtocolError,
    Redirect,
    build_request,
    check_http,
    parse_retry_after,
)
from easclient.protocol._elements import to_int
from easclient.protocol.http import EasResponse

from .fake_server import FakeServer, mock_transport

BASE = "https://eas.example.test"


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("65536", 65536),
        ("512K", 512 * 1024),
        ("64M", 64 << 20),
        ("1GiB", 1 << 30),
        ("2 mb", 2 << 20),
    ],
)
def test_sizes_as_written_on_a_command_line(text, size) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "0", "-1", "1.5M", "12X", "١٢", "9" * 100_000])
def test_a_bad_size_is_refused_in_a_bounded_line(text) -> None:
    with pytest.raises(EasError) as e:
        parse_size(text)
    assert len(str(e.value)) < 200


def test_limits_per_command_and_one_cap_for_all() -> None:
    limits = ResponseLimits()
    assert limits.size_for("ItemOperations") > limits.size_for("Sync") == 64 << 20
    assert limits.size_for("Ping") == limits.size_for("OPTIONS") == 64 << 10
    assert limits.size_for("MoveItems") == 16 << 20
    capped = ResponseLimits(max_size=1000)
    assert capped.size_for("ItemOperations") == capped.size_for("Ping") == 1000
    with pytest.raises(EasError):
        ResponseLimits(deadline=0)


def _transport(handler, **kw) -> HttpxTransport:
    return HttpxTransport(BASE, transport=httpx.MockTransport(handler), **kw)


def _request(cmd: str):
    return build_request(cmd, None, user="u", device_id="d", device_type="t")


def test_a_streamed_body_is_counted_and_cut_at_the_limit() -> None:
    pulled = []

    def body():
        for _ in range(1000):  # 64 MB if read to the end
            pulled.append(1)
            yield bytes(65536)

    tr = _transport(lambda r: httpx.Response(200, content=body()), limits=ResponseLimits(10**6))
    with pytest.raises(ResponseTooLarge, match=r"Sync answer still arriving after .* 1,000,000"):
        tr.send(_request("Sync"))
    assert len(pulled) <= 17  # stopped at the limit, not at the end


def test_a_content_length_beyond_the_limit_is_refused_before_the_body() -> None:
    def handler(request):
        return httpx.Response(200, headers={"Content-Length": "9" * 5000}, content=b"")

    with pytest.raises(ResponseTooLarge, match=r"^Ping answer of .* \(Content-Length\) is"):
        _transport(handler).send(_request("Ping"))


@pytest.mark.parametrize("value", ["1_0", "+1", "١٢", "12a", "", "9" * 100_000])
def test_wire_integers_are_ascii_digits_only(value) -> None:
    with pytest.raises(ProtocolError) as e:
        to_int(value, "Ping:HeartbeatInterval")
    assert len(str(e.value)) < 200


def test_wire_integers_that_are_integers() -> None:
    assert to_int(" 42 ", "x") == 42 and to_int("-3", "x") == -3


def test_a_heartbeat_written_1_0_is_a_protocol_error() -> None:
    xml = '<Ping xmlns="Ping:"><Status>5</Status><HeartbeatInterval>1_0</HeartbeatInterval></Ping>'
    el = wbxml.from_xml(xml)
    with pytest.raises(ProtocolError, match="HeartbeatInterval must be an integer"):
        PingResponse.from_element(el)


def test_hostile_header_values_are_quoted_as_excerpts() -> None:
    with pytest.raises(Redirect) as e:
        check_http(EasResponse(451, {"X-MS-Location": "https://x/" + "a" * 100_000}))
    assert len(str(e.value)) < 200
    huge = EasResponse(503, {"Retry-After": "9" * 100_000, "X-MS-ASThrottle": "T" * 100_000})
    with pytest.raises(EasError) as e:
        check_http(huge)
    assert len(str(e.value)) < 300
    assert parse_retry_after("9" * 100_000) == (float("inf"), None)
    assert parse_retry_after("Sun, " + "x" * 100_000) == (None, None)


def _client(server: FakeServer, tmp_path, **kw) -> EasClient:
    tr = HttpxTransport(BASE, auth=BasicAuth("alice", "pw"), transport=mock_transport(server))
    profile = get_profile("android")
    return EasClient(
        tr,
        user="alice",
        profile=profile,
        device_id="dev1",
        state=DeviceState(tmp_path / "s.sqlite3"),
        **kw,
    )


def test_each_back_off_is_said_as_it_starts_and_max_wait_bounds_them(tmp_path) -> None:
    server = FakeServer()
    server.inject("FolderSync", status=503, headers={"Retry-After": "2"}, times=3)
    said: list[str] = []
    slept: list[float] = []
    client = _client(server, tmp_path, sleep=slept.append, warn=said.append, max_wait=5)
    with pytest.raises(WaitLimitExceeded, match="1 s left of the 5 s wait limit"):
        client.folder_sync()
    assert slept == [2, 2]
    assert said == [
        "HTTP 503 (no reason given): waiting 2 s before retry 1 of 3",
        "HTTP 503 (no reason given): waiting 2 s before retry 2 of 3",
    ]


def test_an_empty_later_sync_is_still_no_changes(tmp_path) -> None:
    """MS-ASCMD 2.2.1.21.2: an empty answer to a Sync with a real SyncKey means no changes;
    only the priming Sync (SyncKey 0) must carry one."""
    server = FakeServer(items_per_folder=2)
    client = _client(server, tmp_path)
    client.sync_all_mail()
    server.inject("Sync", body=b"", times=10)
    report = client.sync_all_mail()
    assert all(f.added == f.deleted == 0 for f in report.folders.values())
    client.state.reset_collection("5")
    with pytest.raises(EmptyResponse, match="SyncKey 0"):
        client.sync_collection(next(f for f in client.state.folders() if f.server_id == "5"))


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_an_existing_capture_or_state_file_is_made_private(tmp_path) -> None:
    capture, state = tmp_path / "c.jsonl", tmp_path / "s.sqlite3"
    capture.write_text("")
    DeviceState(state).close()
    os.chmod(capture, 0o644)
    os.chmod(state, 0o644)
    CaptureWriter(capture).close()
    DeviceState(state).close()
    assert _mode(capture) == _mode(state) == 0o600


def test_the_default_state_directory_is_private(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    folder = default_state_dir()
    folder.mkdir(mode=0o755)
    os.chmod(folder, 0o755)
    DeviceState(folder / "a.sqlite3").close()
    assert _mode(folder) == 0o700
    mine = tmp_path / "mine"
    mine.mkdir(mode=0o755)
    os.chmod(mine, 0o755)
    DeviceState(mine / "b.sqlite3").close()
    assert _mode(mine) == 0o755  # a directory the user named is theirs
