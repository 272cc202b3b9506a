"""Fuzz-style: random and mutated requests get 400 or an EAS status; the server keeps serving."""

from __future__ import annotations

import asyncio
import base64
import json
import random
import socket

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from easclient import wbxml
from easclient.errors import EasError
from easclient.mock.app import build_app
from easclient.mock.config import MockConfig
from easclient.mock.state import MockState
from easclient.protocol import build_request
from easclient.protocol.foldersync import FolderSyncRequest
from easclient.protocol.ping import PingFolder, PingRequest
from easclient.protocol.provision import ProvisionRequest
from easclient.protocol.settings import SettingsRequest
from easclient.protocol.sync import SyncCollectionRequest, SyncRequest
from easclient.wbxml import E

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


# -- hypothesis against the ASGI app in-process ------------------------------------------------
#
# Every request is driven straight through the ASGI app (no sockets), so a few hundred malformed
# queries, headers and bodies cost seconds. Whatever comes in: no exception escapes, exactly one
# response is started, and it is never a 5xx, but for 501 (a command the mock does not
# implement, as MS-ASHTTP 2.2.2.1.1 has it).

_AUTH = "Basic " + base64.b64encode(b"alice:alice-pw").decode()
_VERSIONS = ("2.5", "12.0", "12.1", "14.0", "14.1", "16.0", "16.1")
_COMMANDS = (*sorted(VALID), "ItemOperations", "SendMail", "GetItemEstimate", "Nope", "")
# What h11 lets through in a request target and in a header value.
_TARGET_CHARS = st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="#")
_HEADER_CHARS = st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f")


def _fuzz_state() -> MockState:
    # Heartbeats of 0-1 s, so a mutated Ping that stays valid returns at once or within 1 s.
    return MockState(MockConfig(heartbeat_min=0, heartbeat_max=1, messages_per_folder=3))


async def _call(app, method: str, target: str, headers: list[tuple[str, str]], body: bytes):
    path, _, qs = target.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": qs.encode("latin-1"),
        "root_path": "",
        "headers": [(k.lower().encode("latin-1"), v.encode()) for k, v in headers],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
    }
    pending = [{"type": "http.request", "body": body, "more_body": False}]
    sent: list[dict] = []

    async def receive() -> dict:
        if pending:
            return pending.pop()
        await asyncio.sleep(3600)  # the client stays; a parked request is ended by its timer
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    await asyncio.wait_for(app(scope, receive, send), 10)
    starts = [m for m in sent if m["type"] == "http.response.start"]
    assert len(starts) == 1, sent
    return starts[0]["status"]


def _run(app, method, target, headers, body) -> int:
    return asyncio.run(_call(app, method, target, headers, body))


def _join(pairs: tuple[tuple[str, str | None], ...]) -> str:
    return "&".join(f"{k}={v}" for k, v in pairs if v is not None)


_junk = st.text(_TARGET_CHARS, max_size=40)
_plain_query = st.builds(
    lambda *pairs: _join(pairs),
    st.tuples(st.just("Cmd"), st.one_of(st.none(), st.sampled_from(_COMMANDS), _junk)),
    st.tuples(st.just("User"), st.one_of(st.none(), st.sampled_from(("alice", "bob")), _junk)),
    st.tuples(st.just("DeviceId"), st.one_of(st.none(), st.just("dev1"), _junk)),
    st.tuples(st.just("DeviceType"), st.one_of(st.none(), st.just("T"), _junk)),
    st.tuples(
        st.sampled_from(("SaveInSent", "ItemId", "Junk", "Cmd")),
        st.one_of(st.none(), st.sampled_from(("T", "F", "9" * 5000)), _junk),
    ),
)

_base64_query = st.one_of(
    st.binary(max_size=80).map(lambda b: base64.b64encode(b).decode()),
    st.binary(max_size=80).map(lambda b: base64.urlsafe_b64encode(b).decode().rstrip("=")),
    st.builds(
        lambda version, cmd, locale, device, key, rest: base64.b64encode(
            bytes([version, cmd]) + locale + bytes([len(device)]) + device + key + rest
        ).decode(),
        st.sampled_from((25, 120, 121, 140, 141, 160, 161, 0, 255)),
        st.integers(0, 30),
        st.binary(min_size=0, max_size=3),
        st.binary(max_size=20),
        st.sampled_from((b"\x00", b"\x04\x01\x02\x03\x04", b"\x09", b"")),
        st.binary(max_size=20),
    ),
)


def _header_set(draw_version, draw_key, draw_type) -> list[tuple[str, str]]:
    headers = [("Authorization", _AUTH)]
    if draw_version is not None:
        headers.append(("MS-ASProtocolVersion", draw_version))
    if draw_key is not None:
        headers.append(("X-MS-PolicyKey", draw_key))
    if draw_type is not None:
        headers.append(("Content-Type", draw_type))
    return headers


_headers = st.builds(
    _header_set,
    st.one_of(st.none(), st.sampled_from(_VERSIONS), st.text(_HEADER_CHARS, max_size=12)),
    st.one_of(
        st.none(),
        st.integers(-(2**40), 2**40).map(str),
        st.sampled_from(("9" * 5000, "", " ", "0x10", "1_0", "٣")),
        st.text(_HEADER_CHARS, max_size=20),
    ),
    st.one_of(
        st.none(),
        st.sampled_from(
            ("application/vnd.ms-sync.wbxml", "message/rfc822", "text/plain", ";;;", "")
        ),
    ),
)


def _valid_body(cmd: str) -> bytes:
    request = VALID.get(cmd)
    return wbxml.encode(request.to_element("14.1")) if request is not None else b""


@st.composite
def _bodies(draw) -> bytes:
    kind = draw(st.sampled_from(("random", "mutated", "deep", "empty")))
    if kind == "random":
        return draw(st.binary(max_size=200))
    if kind == "empty":
        return b""
    if kind == "deep":
        tag = draw(st.sampled_from(("Settings:Model", "AirSync:Collection", "Ping:Folder")))
        el = E(tag, "x")
        for _ in range(draw(st.integers(1, 300))):
            el = E(tag, el)
        root = draw(st.sampled_from(("Settings:Settings", "AirSync:Sync", "Ping:Ping")))
        return wbxml.encode(E(root, el))
    data = bytearray(_valid_body(draw(st.sampled_from(sorted(VALID)))))
    for _ in range(draw(st.integers(1, 4))):
        if not data:
            break
        i = draw(st.integers(0, len(data) - 1))
        data[i] = draw(st.integers(0, 255))
    return bytes(data)


_FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@_FUZZ
@given(
    query=st.one_of(_plain_query, _base64_query, st.text(_TARGET_CHARS, max_size=60)),
    headers=_headers,
    body=_bodies(),
    method=st.sampled_from(("POST", "POST", "POST", "OPTIONS", "GET", "PUT")),
)
def test_fuzzed_requests_never_get_a_5xx(query, headers, body, method):
    app = build_app(_fuzz_state())
    status = _run(app, method, f"{PATH}?{query}", headers, body)
    assert status < 500 or status == 501, (status, query[:80], headers, body[:80])


@_FUZZ
@given(
    cmd=st.sampled_from(_COMMANDS),
    version=st.sampled_from(_VERSIONS),
    base64_query=st.booleans(),
    policy_key=st.one_of(st.none(), st.integers(0, 2**32 - 1)),
    raw_key=st.one_of(st.none(), st.sampled_from(("9" * 5000, "-1", "٣", "4294967296"))),
    body=st.one_of(st.none(), _bodies()),
)
def test_fuzzed_bodies_on_well_formed_queries_never_get_a_5xx(
    cmd, version, base64_query, policy_key, raw_key, body
):
    if body is None:  # the command's own valid body, at a version that may lack it
        body = _valid_body(cmd)
    app = build_app(_fuzz_state())
    try:
        req = build_request(
            cmd or "Sync",
            body,
            user="alice",
            device_id="fuzz1",
            device_type="Fuzz",
            version=version,
            policy_key=policy_key,
            base64_query=base64_query and version != "2.5",
        )
    except EasError:
        return  # a query the protocol layer will not build (e.g. an unknown command)
    headers = [("Authorization", _AUTH), *((k, v) for k, v in req.headers.items())]
    if raw_key is not None:
        headers = [(k, v) for k, v in headers if k.lower() != "x-ms-policykey"]
        headers.append(("X-MS-PolicyKey", raw_key))
    status = _run(app, "POST", req.target, headers, body)
    assert status < 500 or status == 501, (status, cmd, version, body[:80])


@_FUZZ
@given(
    path=st.sampled_from(("/_mock/deliver", "/_mock/faults", "/_mock/wipe")),
    body=st.one_of(
        st.binary(max_size=100),
        st.recursive(
            st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=10),
            lambda inner: (
                st.lists(inner, max_size=4)
                | st.dictionaries(
                    st.sampled_from(
                        ("user", "count", "folder", "subject", "device_id", "action", "seconds")
                    ),
                    inner,
                    max_size=5,
                )
            ),
            max_leaves=20,
        ).map(lambda v: json.dumps(v).encode()),
        st.sampled_from((b"[" * 50_000, b'{"user": "alice", "count": 1e999}')),
    ),
)
def test_fuzzed_control_calls_never_get_a_5xx(path, body):
    state = _fuzz_state()
    app = build_app(state)
    headers = [("Authorization", f"Bearer {state.config.control_token}")]
    status = _run(app, "POST", path, headers, body)
    assert status < 500, (status, path, body[:80])


# -- a few on a real socket: h11 and uvicorn in front of the app ---------------------------------


def _raw_exchange(url: str, data: bytes, seconds: float = 5) -> bytes:
    """Send ``data``; read one response (to its Content-Length) or until the server closes."""
    host, port = url.split("//")[1].rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=seconds) as sock:
        sock.sendall(data)
        out = b""
        sock.settimeout(seconds)
        try:
            while chunk := sock.recv(65536):
                out += chunk
                head, sep, body = out.partition(b"\r\n\r\n")
                if sep:
                    length = next(
                        (
                            int(line.split(b":", 1)[1])
                            for line in head.split(b"\r\n")[1:]
                            if line.lower().startswith(b"content-length:")
                        ),
                        None,
                    )
                    if length is not None and len(body) >= length:
                        break
        except (TimeoutError, ConnectionResetError):
            pass
    return out


_AUTH_LINE = f"Authorization: {_AUTH}\r\n"


@pytest.mark.parametrize(
    "raw",
    [
        b"NOT HTTP AT ALL\r\n\r\n",
        b"POST " + PATH.encode() + b"?Cmd=Sync HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
        (
            f"POST {PATH}?Cmd=Sync&User=alice&DeviceId=d&DeviceType=t HTTP/1.1\r\nHost: x\r\n"
            f"{_AUTH_LINE}MS-ASProtocolVersion: 14.1\r\nTransfer-Encoding: chunked\r\n\r\n"
            "zz\r\nnot hex\r\n0\r\n\r\n"
        ).encode(),
        (
            f"POST {PATH}?%ZZ%00%ff=%%%&Cmd=Ping HTTP/1.1\r\nHost: x\r\n{_AUTH_LINE}"
            "MS-ASProtocolVersion: 14.1\r\nContent-Length: 0\r\n\r\n"
        ).encode(),
        (
            f"POST {PATH}?jAAJBAtkZXZpY2UAAAAA HTTP/1.1\r\nHost: x\r\n{_AUTH_LINE}"
            "X-MS-PolicyKey: " + "9" * 5000 + "\r\nContent-Length: 0\r\n\r\n"
        ).encode(),
        (f"POST {PATH} HTTP/1.1\r\nHost: x\r\n{_AUTH_LINE}X-Big: {'a' * 70000}\r\n\r\n").encode(),
    ],
)
def test_malformed_requests_on_a_real_socket_get_a_4xx(eas_mock_server, raw):
    answer = _raw_exchange(eas_mock_server.url, raw)
    assert answer.startswith(b"HTTP/1.1 4"), answer[:120]
    assert "500" not in eas_mock_server.control.stats()["http_status"]
    with httpx.Client(base_url=eas_mock_server.url, auth=("alice", "alice-pw")) as http:
        assert http.options(PATH).status_code == 200  # still serving
