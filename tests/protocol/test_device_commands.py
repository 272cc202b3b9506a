"""The commands a whole device sends beyond mail sync: MoveItems, FolderCreate/Update/Delete,
SmartReply/SmartForward, MeetingResponse and Search (MS-ASCMD 2.2.1.x).

Golden bytes are assembled by hand from the token tables of MS-ASWBXML (pages 5 Move,
7 FolderHierarchy, 8 MeetingResponse, 15 Search, 21 ComposeMail), not produced by our encoder.
"""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import HealthCheck, given, settings

from easclient.protocol.errors import ProtocolError
from easclient.protocol.find import FindRequest, FindResponse
from easclient.protocol.foldercommands import (
    FolderCreateRequest,
    FolderCreateResponse,
    FolderDeleteRequest,
    FolderDeleteResponse,
    FolderUpdateRequest,
    FolderUpdateResponse,
)
from easclient.protocol.foldersync import FolderType
from easclient.protocol.meetingresponse import (
    MeetingAnswer,
    MeetingResponseRequest,
    MeetingResponseResponse,
    MeetingResponseResult,
    UserResponse,
)
from easclient.protocol.moveitems import Move, MoveItemsRequest, MoveItemsResponse, MoveResult
from easclient.protocol.search import (
    GalPicture,
    MailboxQuery,
    SearchRequest,
    SearchResponse,
    SearchResult,
    SearchStore,
    parse_range,
)
from easclient.protocol.smartmail import (
    Forwardee,
    SmartKind,
    SmartMailRequest,
    SmartMailResponse,
    SmartSource,
)
from easclient.protocol.status import (
    CommonStatus,
    FolderSyncStatus,
    MeetingResponseStatus,
    MoveItemsStatus,
    SearchStatus,
)
from easclient.wbxml import Element, decode, encode, ns

from ._golden import END, SWITCH_PAGE, tag, wbxml
from ._tags import assert_tags_in_version
from .test_robustness import _trees

ALL = ["2.5", "12.0", "12.1", "14.0", "14.1", "16.0", "16.1"]
MODERN = ["14.0", "14.1", "16.0", "16.1"]
GAL = ns("GAL")


def _golden(el: Element, data: bytes) -> None:
    assert encode(el) == data
    assert decode(data) == el


# -- MoveItems (page 5) -------------------------------------------------------------------------
def test_moveitems_request_golden_bytes() -> None:
    req = MoveItemsRequest([Move("5:1", "5", "6")])
    data = wbxml(
        SWITCH_PAGE, 5, tag(0x05), tag(0x06),
        tag(0x07), "5:1", END, tag(0x08), "5", END, tag(0x09), "6", END,
        END, END,
    )  # fmt: skip
    _golden(req.to_element(), data)


def test_moveitems_response_golden_bytes_and_success_is_3() -> None:
    data = wbxml(
        SWITCH_PAGE, 5, tag(0x05), tag(0x0A),
        tag(0x07), "5:1", END, tag(0x0B), "3", END, tag(0x0C), "6:1", END,
        END, tag(0x0A), tag(0x07), "5:2", END, tag(0x0B), "1", END, END,
        END,
    )  # fmt: skip
    resp = MoveItemsResponse.from_element(decode(data))
    assert resp.results[0] == MoveResult("5:1", MoveItemsStatus.Success, "6:1")
    assert resp.results[0].ok and not resp.results[1].ok
    assert resp.results[1].status is MoveItemsStatus.InvalidSourceId
    assert encode(resp.to_element()) == data


@pytest.mark.parametrize("version", ALL)
def test_moveitems_round_trip(version: str) -> None:
    req = MoveItemsRequest([Move("1:1", "1", "2"), Move("1:2", "1", "3")])
    el = req.to_element(version)
    assert_tags_in_version(el, version)
    assert MoveItemsRequest.from_element(decode(encode(el))) == req


def test_moveitems_needs_a_move() -> None:
    with pytest.raises(ValueError):
        MoveItemsRequest([])


# -- FolderCreate / FolderUpdate / FolderDelete (page 7) ----------------------------------------
def test_foldercreate_golden_bytes() -> None:
    req = FolderCreateRequest("3", "0", "Projects", FolderType.UserMail)
    data = wbxml(
        SWITCH_PAGE, 7, tag(0x13),
        tag(0x12), "3", END, tag(0x09), "0", END, tag(0x07), "Projects", END,
        tag(0x0A), "12", END,
        END,
    )  # fmt: skip
    _golden(req.to_element(), data)
    resp = wbxml(
        SWITCH_PAGE, 7, tag(0x13),
        tag(0x0C), "1", END, tag(0x12), "4", END, tag(0x08), "42", END,
        END,
    )  # fmt: skip
    answer = FolderCreateResponse.from_element(decode(resp))
    assert answer == FolderCreateResponse(FolderSyncStatus.Success, "4", "42") and answer.ok
    assert encode(answer.to_element()) == resp


@pytest.mark.parametrize("version", ALL)
def test_folder_commands_round_trip(version: str) -> None:
    for req, cls in (
        (FolderCreateRequest("1", "0", "A", FolderType.UserCalendar), FolderCreateRequest),
        (FolderUpdateRequest("2", "7", "0", "B"), FolderUpdateRequest),
        (FolderDeleteRequest("3", "7"), FolderDeleteRequest),
    ):
        el = req.to_element(version)
        assert_tags_in_version(el, version)
        assert cls.from_element(decode(encode(el))) == req
    for resp, rcls in (
        (FolderCreateResponse(2), FolderCreateResponse),
        (FolderUpdateResponse(1, "5"), FolderUpdateResponse),
        (FolderDeleteResponse(4), FolderDeleteResponse),
    ):
        assert rcls.from_element(decode(encode(resp.to_element(version)))) == resp


def test_folder_answers_name_their_status() -> None:
    assert FolderCreateResponse(2).status is FolderSyncStatus.FolderExists
    assert not FolderDeleteResponse(4).ok
    assert FolderUpdateResponse(9).status is FolderSyncStatus.InvalidSyncKey


def test_a_successful_create_must_name_the_folder() -> None:
    el = ns("FolderHierarchy").FolderCreate(
        ns("FolderHierarchy").Status(1), ns("FolderHierarchy").SyncKey("2")
    )
    with pytest.raises(ProtocolError, match="ServerId"):
        FolderCreateResponse.from_element(el)


# -- SmartReply / SmartForward (page 21) --------------------------------------------------------
MIME = b"From: a@x.test\r\nTo: b@x.test\r\nSubject: Re: hi\r\n\r\nThanks!\r\n"


def test_smartreply_golden_bytes() -> None:
    req = SmartMailRequest(
        SmartKind.Reply, SmartSource("5", "5:3"), b"hi", client_id="c1", save_in_sent_items=True
    )
    data = wbxml(
        SWITCH_PAGE, 21, tag(0x07),
        tag(0x11), "c1", END,
        tag(0x0B), tag(0x0C), "5", END, tag(0x0D), "5:3", END, END,
        0x08,  # SaveInSentItems, empty
        tag(0x10), bytes([0xC3, 0x02]), b"hi", END,  # Mime: OPAQUE, length 2
        END,
    )  # fmt: skip
    _golden(req.to_element("14.1"), data)


@pytest.mark.parametrize("version", MODERN)
@pytest.mark.parametrize("kind", list(SmartKind))
def test_smart_round_trip(version: str, kind: SmartKind) -> None:
    fwd = (Forwardee("c@x.test", "C"),) if kind is SmartKind.Forward else ()
    req = SmartMailRequest(
        kind,
        SmartSource(long_id="RgAAAA", instance_id="20261206T100000Z"),
        MIME,
        client_id="c9",
        replace_mime=True,
        account_id="acct",
        forwardees=fwd,
    )
    el = req.to_element(version)
    assert_tags_in_version(el, version)
    back = SmartMailRequest.from_element(decode(encode(el)))
    assert back.source == req.source and back.mime == MIME and back.replace_mime
    assert back.kind is kind and back.command == kind.value
    assert back.account_id == (None if version == "14.0" else "acct")
    assert back.forwardees == (fwd if version.startswith("16") else ())


@pytest.mark.parametrize("version", ["2.5", "12.0", "12.1"])
def test_smart_legacy_form_puts_the_source_in_the_query(version: str) -> None:
    req = SmartMailRequest(
        SmartKind.Forward, SmartSource("5", "5:3", instance_id="x"), MIME, save_in_sent_items=True
    )
    body, params = req.body_and_params(version)
    assert body == MIME
    assert params == {"ItemId": "5:3", "CollectionId": "5", "Occurrence": "x", "SaveInSent": "T"}
    assert SmartMailRequest.from_legacy(SmartKind.Forward, body, params) == req
    with pytest.raises(ValueError):
        req.to_element(version)


def test_smart_source_needs_an_item() -> None:
    with pytest.raises(ValueError):
        SmartSource(folder_id="5")
    with pytest.raises(ProtocolError):
        SmartMailRequest.from_legacy(SmartKind.Reply, b"", {"SaveInSent": "T"})


def test_smart_response_empty_body_is_success() -> None:
    assert SmartMailResponse.from_element(SmartKind.Reply, None).ok
    failed = SmartMailResponse(SmartKind.Reply, CommonStatus(150))
    back = SmartMailResponse.from_element(SmartKind.Reply, failed.to_element())
    assert back.status == 150 and not back.ok


# -- MeetingResponse (page 8) -------------------------------------------------------------------
def test_meetingresponse_golden_bytes() -> None:
    req = MeetingResponseRequest([MeetingAnswer(UserResponse.Accepted, "5:7", "5")])
    data = wbxml(
        SWITCH_PAGE, 8, tag(0x07), tag(0x09),
        tag(0x0C), "1", END, tag(0x06), "5", END, tag(0x08), "5:7", END,
        END, END,
    )  # fmt: skip
    _golden(req.to_element("14.1"), data)
    resp = wbxml(
        SWITCH_PAGE, 8, tag(0x07), tag(0x0A),
        tag(0x08), "5:7", END, tag(0x0B), "1", END, tag(0x05), "8:2", END,
        END, END,
    )  # fmt: skip
    answer = MeetingResponseResponse.from_element(decode(resp))
    assert answer.results == (MeetingResponseResult("5:7", MeetingResponseStatus.Success, "8:2"),)
    assert encode(answer.to_element()) == resp


@pytest.mark.parametrize("version", ALL)
def test_meetingresponse_round_trip(version: str) -> None:
    answer = MeetingAnswer(
        UserResponse.Tentative,
        "5:7",
        "5",
        instance_id="20261206T100000Z",
        send_response=True,
        proposed_start="20261207T100000Z",
        proposed_end="20261207T110000Z",
    )
    el = MeetingResponseRequest([answer]).to_element(version)
    assert_tags_in_version(el, version)
    (back,) = MeetingResponseRequest.from_element(decode(encode(el))).answers
    assert back.user_response is UserResponse.Tentative and back.request_id == "5:7"
    assert back.instance_id == (answer.instance_id if version in ("14.1", "16.0", "16.1") else None)
    assert back.send_response is version.startswith("16")
    assert back.proposed_end == (answer.proposed_end if version.startswith("16") else None)


def test_meetingresponse_refuses_an_unknown_answer() -> None:
    MR = ns("MeetingResponse")
    el = MR.MeetingResponse(MR.Request(MR.UserResponse(4), MR.RequestId("1")))
    with pytest.raises(ProtocolError, match="UserResponse"):
        MeetingResponseRequest.from_element(el)


# -- Search (page 15) ---------------------------------------------------------------------------
def test_gal_search_golden_bytes() -> None:
    req = SearchRequest(SearchStore.GAL, "ali", range=(0, 9))
    data = wbxml(
        SWITCH_PAGE, 15, tag(0x05), tag(0x07),
        tag(0x08), "GAL", END, tag(0x09), "ali", END,
        tag(0x0A), tag(0x0B), "0-9", END, END,
        END, END,
    )  # fmt: skip
    _golden(req.to_element("14.1"), data)


def test_gal_search_response_reads_entries_and_paging() -> None:
    S = ns("Search")
    el = S.Search(
        S.Status(1),
        S.Response(
            S.Store(
                S.Status(1),
                S.Result(S.Properties(GAL.DisplayName("Alice"), GAL.EmailAddress("a@x.test"))),
                S.Range("0-0"),
                S.Total(3),
            )
        ),
    )
    resp = SearchResponse.from_element(decode(encode(el)))
    assert resp.ok and resp.more and resp.total == 3 and resp.range == (0, 0)
    assert resp.results[0].gal == {"DisplayName": "Alice", "EmailAddress": "a@x.test"}
    assert SearchResponse.from_element(resp.to_element()) == resp


@pytest.mark.parametrize("version", ["12.0", "12.1", "14.0", "14.1", "16.0", "16.1"])
def test_mailbox_search_round_trip(version: str) -> None:
    req = SearchRequest(
        SearchStore.Mailbox,
        MailboxQuery("invoice", collection_id="5", since="2026-01-01T00:00:00.000Z"),
        range=(0, 49),
        deep_traversal=True,
        rebuild_results=True,
    )
    el = req.to_element(version)
    assert_tags_in_version(el, version)
    assert SearchRequest.from_element(decode(encode(el))) == req


def test_gal_picture_is_14_1_and_later() -> None:
    req = SearchRequest(SearchStore.GAL, "bob", picture=GalPicture(10240, 5))
    assert req.to_element("14.1").find("Search:Store/Search:Options/Search:Picture") is not None
    assert req.to_element("14.0").find("Search:Store/Search:Options/Search:Picture") is None
    assert SearchRequest.from_element(req.to_element("16.1")).picture == GalPicture(10240, 5)


def test_search_failure_statuses() -> None:
    resp = SearchResponse(SearchStatus.Success, SearchStatus.TooComplex)
    back = SearchResponse.from_element(resp.to_element())
    assert back.store_status is SearchStatus.TooComplex and not back.ok
    assert SearchResponse.from_element(SearchResponse(3).to_element()).status is (
        SearchStatus.ServerError
    )


@pytest.mark.parametrize("bad", ["", "5", "a-b", "9-1", "-1-3", "\u0661-\u0662"])
def test_search_range_must_be_ascii_first_last(bad: str) -> None:
    with pytest.raises(ProtocolError):
        parse_range(bad)


def test_search_result_without_properties() -> None:
    assert SearchResult().gal == {}


# -- only our error comes out of the parsers ----------------------------------------------------
_PARSERS = [
    (MoveItemsRequest, "Move:MoveItems"),
    (MoveItemsResponse, "Move:MoveItems"),
    (FolderCreateRequest, "FolderHierarchy:FolderCreate"),
    (FolderCreateResponse, "FolderHierarchy:FolderCreate"),
    (FolderUpdateRequest, "FolderHierarchy:FolderUpdate"),
    (FolderUpdateResponse, "FolderHierarchy:FolderUpdate"),
    (FolderDeleteRequest, "FolderHierarchy:FolderDelete"),
    (FolderDeleteResponse, "FolderHierarchy:FolderDelete"),
    (SmartMailRequest, "ComposeMail:SmartReply"),
    (MeetingResponseRequest, "MeetingResponse:MeetingResponse"),
    (MeetingResponseResponse, "MeetingResponse:MeetingResponse"),
    (SearchRequest, "Search:Search"),
    (SearchResponse, "Search:Search"),
    (FindRequest, "Find:Find"),
    (FindResponse, "Find:Find"),
]


@pytest.mark.parametrize(("cls", "root"), _PARSERS, ids=[c.__name__ for c, _ in _PARSERS])
def test_random_trees_raise_only_protocol_error(cls: type, root: str) -> None:
    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(_trees(root))
    def check(tree: Element) -> None:
        with contextlib.suppress(ProtocolError):
            cls.from_element(tree)

    check()


# -- Find (page 25, 16.1) -----------------------------------------------------------------------
def test_find_request_golden_bytes() -> None:
    from easclient.protocol.find import FindRequest

    req = FindRequest("s1", "budget", collection_id="5", range=(0, 9))
    data = wbxml(
        SWITCH_PAGE, 25, tag(0x05), tag(0x06), "s1", END,  # Find, SearchId
        tag(0x07), tag(0x08), tag(0x09),  # ExecuteSearch, MailBoxSearchCriterion, Query
        SWITCH_PAGE, 0, tag(0x10), "Email", END, tag(0x12), "5", END,  # Class, CollectionId
        SWITCH_PAGE, 25, tag(0x0B), "budget", END, END,  # FreeText, /Query
        tag(0x0C), tag(0x0D), "0-9", END, END,  # Options, Range
        END, END, END,
    )  # fmt: skip
    _golden(req.to_element("16.1"), data)
    assert FindRequest.from_element(decode(data)) == req


def test_find_round_trips_and_statuses() -> None:
    from easclient.protocol.find import FindRequest, FindResponse, FindResult
    from easclient.protocol.status import FindStatus

    gal = FindRequest("s2", "ali", gal=True, class_=None, picture=GalPicture(1024, 2))
    el = gal.to_element("16.1")
    assert_tags_in_version(el, "16.1")
    assert FindRequest.from_element(decode(encode(el))) == gal
    resp = FindResponse(
        FindStatus.Success,
        FindStatus.Success,
        (FindResult("5:1", "5", "Email", ns("Find").Properties(ns("Email").Subject("x"))),),
        (0, 0),
        3,
    )
    back = FindResponse.from_element(decode(encode(resp.to_element())))
    assert back == resp and back.ok
    assert FindResponse.from_element(FindResponse(4).to_element()).status is (
        FindStatus.StartOfRangeNotZero
    )
