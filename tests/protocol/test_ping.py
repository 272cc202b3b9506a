"""Ping (MS-ASCMD 2.2.1.13): trees and golden WBXML both ways."""

import pytest

from easclient import wbxml
from easclient.protocol import (
    PingFolder,
    PingRequest,
    PingResponse,
    PingStatus,
    ProtocolError,
    build_request,
    decode_body,
)
from easclient.protocol.http import EasResponse
from easclient.wbxml import E, ns

from ._golden import END, SWITCH_PAGE, tag
from ._golden import wbxml as golden
from ._tags import assert_tags_in_version

P = ns("Ping")
VERSIONS = ["2.5", "12.0", "12.1", "14.0", "14.1", "16.0", "16.1"]
# Ping page 13: Ping 05, Status 07, HeartbeatInterval 08, Folders 09, Folder 0A, Id 0B,
# Class 0C, MaxFolders 0D.
PING, STATUS, HBI, FOLDERS, FOLDER, ID, CLASS, MAXF = 5, 7, 8, 9, 0xA, 0xB, 0xC, 0xD


def test_request_tree():
    req = PingRequest(480, [PingFolder("5"), PingFolder("8", "Calendar")])
    assert req.to_element() == P.Ping(
        P.HeartbeatInterval("480"),
        P.Folders(P.Folder(P.Id("5"), P.Class("Email")), P.Folder(P.Id("8"), P.Class("Calendar"))),
    )
    assert req.folders == (PingFolder("5", "Email"), PingFolder("8", "Calendar"))


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(
    "req",
    [
        PingRequest(),
        PingRequest(heartbeat_interval=900),
        PingRequest(folders=[PingFolder("1", "Contacts")]),
        PingRequest(3540, [PingFolder("5"), PingFolder("6", "Tasks")]),
    ],
)
def test_request_round_trip(req, version):
    el = req.to_element(version)
    assert_tags_in_version(el, version)
    assert PingRequest.from_element(el) == req


def test_empty_ping_is_sent_without_a_body():
    req = PingRequest()
    assert req.is_empty and req.to_body() is None
    http = build_request("Ping", req.to_body(), user="u", device_id="d", device_type="t")
    assert http.body == b"" and "Content-Type" not in http.headers
    assert PingRequest.from_body(None) == req
    assert PingRequest.from_body(E("Ping:Ping")) == req  # an empty element means the same
    assert not PingRequest(60).is_empty


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(
    "resp",
    [
        PingResponse(PingStatus.HeartbeatExpired),
        PingResponse(PingStatus.ChangesOccurred, ["5", "12"]),
        PingResponse(PingStatus.InvalidHeartbeatInterval, heartbeat_interval=3540),
        PingResponse(PingStatus.TooManyFolders, max_folders=200),
        PingResponse(PingStatus.FolderHierarchySyncRequired),
        PingResponse(142),
        PingResponse(77),
    ],
)
def test_response_round_trip(resp, version):
    el = resp.to_element(version)
    assert_tags_in_version(el, version)
    assert PingResponse.from_element(el) == resp


def test_response_status_5_and_6_carry_their_bounds():
    r5 = PingResponse.from_element(P.Ping(P.Status("5"), P.HeartbeatInterval("60")))
    assert r5.status is PingStatus.InvalidHeartbeatInterval and r5.heartbeat_interval == 60
    r6 = PingResponse.from_element(P.Ping(P.Status("6"), P.MaxFolders("10")))
    assert r6.status is PingStatus.TooManyFolders and r6.max_folders == 10
    assert r6.heartbeat_interval is None


def test_unknown_status_kept_and_unknown_elements_ignored():
    r = PingResponse.from_element(P.Ping(P.Status("99"), P.AutdState("x")))
    assert r.status == 99 and type(r.status) is int


@pytest.mark.parametrize(
    ("el", "match"),
    [
        (E("FolderHierarchy:FolderSync"), "Ping:Ping"),
        (P.Ping(), "Status"),
        (P.Ping(P.Status("ok")), "'ok'"),
        (P.Ping(P.Status("2"), P.HeartbeatInterval("soon")), "'soon'"),
    ],
)
def test_malformed_responses(el, match):
    with pytest.raises(ProtocolError, match=match):
        PingResponse.from_element(el)


def test_malformed_request_folder():
    with pytest.raises(ProtocolError, match="Id"):
        PingRequest.from_element(P.Ping(P.Folders(P.Folder(P.Class("Email")))))


# -- golden bytes --------------------------------------------------------------------------

REQUEST_BYTES = golden(
    SWITCH_PAGE, 13,
    tag(PING),
    tag(HBI), "480", END,
    tag(FOLDERS),
    tag(FOLDER), tag(ID), "5", END, tag(CLASS), "Email", END, END,
    tag(FOLDER), tag(ID), "8", END, tag(CLASS), "Calendar", END, END,
    END,
    END,
)  # fmt: skip


def test_request_golden_bytes_both_ways():
    req = PingRequest(480, [PingFolder("5", "Email"), PingFolder("8", "Calendar")])
    assert wbxml.encode(req.to_element("14.1"), version="14.1") == REQUEST_BYTES
    assert PingRequest.from_element(wbxml.decode(REQUEST_BYTES)) == req


@pytest.mark.parametrize(
    ("resp", "data"),
    [
        (
            PingResponse(PingStatus.ChangesOccurred, ["5", "12"]),
            golden(SWITCH_PAGE, 13, tag(PING), tag(STATUS), "2", END, tag(FOLDERS),
                   tag(FOLDER), "5", END, tag(FOLDER), "12", END, END, END),
        ),
        (
            PingResponse(PingStatus.InvalidHeartbeatInterval, heartbeat_interval=3540),
            golden(SWITCH_PAGE, 13, tag(PING), tag(STATUS), "5", END, tag(HBI), "3540", END, END),
        ),
        (
            PingResponse(PingStatus.TooManyFolders, max_folders=200),
            golden(SWITCH_PAGE, 13, tag(PING), tag(STATUS), "6", END, tag(MAXF), "200", END, END),
        ),
    ],
)  # fmt: skip
def test_response_golden_bytes_both_ways(resp, data):
    assert wbxml.encode(resp.to_element("14.1"), version="14.1") == data
    http = EasResponse(200, {"Content-Type": "application/vnd.ms-sync.wbxml"}, data)
    assert PingResponse.from_element(decode_body(http)) == resp
