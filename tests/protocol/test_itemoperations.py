"""ItemOperations Fetch (MS-ASCMD 2.2.1.10): requests, responses, base64 and multipart content."""

from __future__ import annotations

import pytest

from easclient.protocol.email import Attachment, Body, BodyType, Email, Importance
from easclient.protocol.errors import ProtocolError
from easclient.protocol.itemoperations import (
    FetchRequest,
    FetchResult,
    ItemOperationsRequest,
    ItemOperationsResponse,
    parse_itemoperations_body,
)
from easclient.protocol.multipart import MULTIPART_CONTENT_TYPE, parse_multipart
from easclient.protocol.status import CommonStatus, ItemOperationsStatus
from easclient.protocol.sync import BodyPreference, MIMESupport
from easclient.wbxml import E, decode, encode, ns

from ._golden import END, SWITCH_PAGE, tag, wbxml
from ._tags import assert_tags_in_version
from .spec_vectors import MULTIPART_ITEMOPERATIONS

IO, A, ASB = ns("ItemOperations"), ns("AirSync"), ns("AirSyncBase")
VERSIONS = ["12.0", "12.1", "14.0", "14.1", "16.0", "16.1"]
WBXML = "application/vnd.ms-sync.wbxml"


def test_fetch_item_request_tree() -> None:
    req = ItemOperationsRequest(
        (FetchRequest("5", "5:1", body_preferences=(BodyPreference(BodyType.MIME),)),)
    )
    assert req.to_element("14.1") == IO.ItemOperations(
        IO.Fetch(
            IO.Store("Mailbox"),
            A.CollectionId("5"),
            A.ServerId("5:1"),
            IO.Options(ASB.BodyPreference(ASB.Type("4"))),
        )
    )


def test_fetch_attachment_request_tree() -> None:
    el = FetchRequest(file_reference="5%3a1%3a0").to_element()
    assert el == IO.Fetch(IO.Store("Mailbox"), ASB.FileReference("5%3a1%3a0"))


def test_a_fetch_must_name_something() -> None:
    with pytest.raises(ValueError):
        FetchRequest()
    with pytest.raises(ProtocolError):
        ItemOperationsRequest.from_element(IO.ItemOperations(IO.Fetch(IO.Store("Mailbox"))))


REQUEST = ItemOperationsRequest(
    (
        FetchRequest(
            "5",
            "5:1",
            body_preferences=(BodyPreference(BodyType.HTML, 1024, all_or_none=True),),
            mime_support=MIMESupport.Always,
        ),
        FetchRequest(file_reference="5%3a1%3a0", range="0-99"),
        FetchRequest(long_id="RgAAAAB", store="Mailbox"),
    )
)


@pytest.mark.parametrize("version", VERSIONS)
def test_request_round_trip(version: str) -> None:
    el = REQUEST.to_element(version)
    assert_tags_in_version(el, version)
    assert ItemOperationsRequest.from_element(el) == REQUEST


MAIL = Email(
    subject="Report",
    from_="a@x.test",
    read=True,
    importance=Importance.High,
    body=Body(BodyType.HTML, "<p>hi</p>", False, 9),
    attachments=(Attachment("r.pdf", "5%3a1%3a0", 1, 1000),),
)
RESPONSE = ItemOperationsResponse(
    ItemOperationsStatus.Success,
    (
        FetchResult(ItemOperationsStatus.Success, "5", "5:1", class_="Email", item=MAIL),
        FetchResult(
            ItemOperationsStatus.Success,
            file_reference="5%3a1%3a0",
            content_type="application/pdf",
            data=b"%PDF-1.4\x00\xff binary",
        ),
        FetchResult(ItemOperationsStatus.ObjectNotFound, "5", "5:404"),
        FetchResult(
            ItemOperationsStatus.Success,
            file_reference="5%3a2%3a0",
            content_type="text/plain",
            part=1,
            range="0-4",
            total=5,
        ),
        FetchResult(  # a calendar item stays a raw Properties element
            ItemOperationsStatus.Success,
            "7",
            "7:1",
            item=IO.Properties(E("Calendar:Subject", "Standup")),
        ),
    ),
)


@pytest.mark.parametrize("version", VERSIONS)
def test_response_round_trip(version: str) -> None:
    el = RESPONSE.to_element(version)
    assert_tags_in_version(el, version)
    assert ItemOperationsResponse.from_element(el) == RESPONSE


def test_data_is_base64_text_on_the_wire() -> None:
    el = RESPONSE.fetches[1].to_element()
    assert el.findtext("Properties/Data") == "JVBERi0xLjQA/yBiaW5hcnk="
    assert RESPONSE.fetches[1].content() == b"%PDF-1.4\x00\xff binary"


def test_opaque_data_is_accepted_too() -> None:
    el = IO.Fetch(IO.Status("1"), IO.Properties(IO.Data(b"\x00\x01raw")))
    assert FetchResult.from_element(el).data == b"\x00\x01raw"


def test_spec_multipart_example() -> None:
    # MS-ASCMD 4.10.5.2: a mail whose body is part 1 of the multipart response.
    resp = parse_itemoperations_body(MULTIPART_ITEMOPERATIONS, MULTIPART_CONTENT_TYPE)
    assert resp.status is ItemOperationsStatus.Success
    (fetch,) = resp.fetches
    assert (fetch.status, fetch.collection_id, fetch.server_id, fetch.class_) == (
        ItemOperationsStatus.Success,
        "5",
        "5:1",
        "Email",
    )
    mail = fetch.item
    assert isinstance(mail, Email)
    assert mail.subject == "Test Multipart Response"
    assert mail.read is False and mail.importance is Importance.Normal
    assert mail.body == Body(BodyType.PlainText, estimated_data_size=19, part=1)
    assert mail.attachments[0].display_name == "test.txt"
    assert mail.attachments[0].estimated_data_size == 73
    assert mail.native_body_type is BodyType.HTML
    assert fetch.body_content(resp.parts) == b"This is the body.\r\n"
    assert len(resp.parts) == 2


def test_multipart_built_and_read_back() -> None:
    resp = ItemOperationsResponse(
        ItemOperationsStatus.Success,
        (FetchResult(ItemOperationsStatus.Success, file_reference="f", part=1),),
    )
    body = resp.to_multipart("14.1", [b"attachment bytes"])
    back = parse_itemoperations_body(body, MULTIPART_CONTENT_TYPE)
    assert back.fetches == resp.fetches
    assert back.fetches[0].content(back.parts) == b"attachment bytes"
    assert parse_multipart(body)[0] == encode(resp.to_element("14.1"))


def test_part_out_of_range_is_a_protocol_error() -> None:
    result = FetchResult(ItemOperationsStatus.Success, part=3)
    with pytest.raises(ProtocolError, match="Part 3"):
        result.content([b"wbxml", b"one"])
    with pytest.raises(ProtocolError):
        FetchResult(ItemOperationsStatus.Success, part=0).content([b"wbxml"])  # 0 is the WBXML


def test_plain_wbxml_body() -> None:
    body = encode(RESPONSE.to_element("14.1"))
    assert parse_itemoperations_body(body, WBXML) == RESPONSE


@pytest.mark.parametrize(
    ("body", "ctype"),
    [
        (b"", WBXML),
        (b"\x03\x01\x6a\x00\x00\x14", WBXML),  # cut short
        (b"\x01\x00\x00\x00", MULTIPART_CONTENT_TYPE),
    ],
)
def test_bad_bodies(body: bytes, ctype: str) -> None:
    with pytest.raises(ProtocolError):
        parse_itemoperations_body(body, ctype)


@pytest.mark.parametrize(
    "el",
    [
        IO.ItemOperations(),  # no Status
        IO.ItemOperations(IO.Status("1"), IO.Response(IO.Fetch(A.ServerId("1")))),  # no Status
        IO.ItemOperations(
            IO.Status("1"), IO.Response(IO.Fetch(IO.Status("1"), IO.Properties(IO.Data("@@"))))
        ),  # not base64
        E("AirSync:Sync"),
    ],
)
def test_bad_responses(el) -> None:
    with pytest.raises(ProtocolError):
        ItemOperationsResponse.from_element(el)


def test_global_status_kept() -> None:
    resp = ItemOperationsResponse.from_element(IO.ItemOperations(IO.Status("144")))
    assert resp.status is CommonStatus.InvalidPolicyKey


def test_request_golden_bytes() -> None:
    data = wbxml(
        SWITCH_PAGE, 20,
        tag(0x05), tag(0x06),  # ItemOperations, Fetch
        tag(0x07), "Mailbox", END,  # Store
        SWITCH_PAGE, 17,
        tag(0x11), "5%3a1%3a0", END,  # AirSyncBase:FileReference
        END, END,
    )  # fmt: skip
    req = ItemOperationsRequest((FetchRequest(file_reference="5%3a1%3a0"),))
    assert encode(req.to_element("14.1")) == data
    assert ItemOperationsRequest.from_element(decode(data)) == req


def test_no_itemoperations_before_12_0() -> None:
    with pytest.raises(ValueError, match=r"protocol 2\.5 has no"):
        REQUEST.to_element("2.5")
