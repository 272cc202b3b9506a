"""Sync (MS-ASCMD 2.2.1.21): request and response trees, round trips, statuses, errors."""

from __future__ import annotations

import pytest

from easclient.protocol.contacts import Contact
from easclient.protocol.email import Attachment, AttachmentAdd, Body, BodyType, Email
from easclient.protocol.errors import ProtocolError
from easclient.protocol.status import CommonStatus, SyncStatus
from easclient.protocol.sync import (
    INITIAL_SYNC_KEY,
    BodyPreference,
    ClientAdd,
    ClientChange,
    ClientDelete,
    ClientFetch,
    Conflict,
    FilterType,
    MIMESupport,
    SyncAdd,
    SyncChange,
    SyncCollectionRequest,
    SyncCollectionResponse,
    SyncDelete,
    SyncItemResponse,
    SyncOptions,
    SyncRequest,
    SyncResponse,
    SyncSoftDelete,
    parse_sync_body,
)
from easclient.wbxml import E, decode, encode, ns

from ._golden import END, SWITCH_PAGE, tag, wbxml
from ._tags import assert_tags_in_version

A, EM, ASB = ns("AirSync"), ns("Email"), ns("AirSyncBase")
ALL = ["2.5", "12.0", "12.1", "14.0", "14.1", "16.0", "16.1"]


def _mail_options() -> SyncOptions:
    return SyncOptions(
        filter_type=FilterType.ThreeDays,
        body_preferences=(BodyPreference(BodyType.HTML, 51200, all_or_none=False),),
        conflict=Conflict.ServerWins,
        mime_support=MIMESupport.Never,
    )


def test_initial_sync_request_tree() -> None:
    req = SyncRequest((SyncCollectionRequest(INITIAL_SYNC_KEY, "5"),))
    assert req.to_element("14.1") == A.Sync(
        A.Collections(A.Collection(A.SyncKey("0"), A.CollectionId("5")))
    )


def test_collection_children_follow_the_strict_order() -> None:
    # MS-ASCMD 2.2.3.29.2: SyncKey, CollectionId, Supported, DeletesAsMoves, GetChanges,
    # WindowSize, ConversationMode, Options, Commands.
    coll = SyncCollectionRequest(
        "k1",
        "5",
        get_changes=True,
        window_size=25,
        options=(_mail_options(),),
        commands=(ClientFetch("5:1"),),
        deletes_as_moves=True,
        conversation_mode=False,
        supported=A.Supported(E("Contacts:Birthday")),
    )
    el = coll.to_element("14.1")
    assert [c.name for c in el] == [
        "SyncKey", "CollectionId", "Supported", "DeletesAsMoves", "GetChanges", "WindowSize",
        "ConversationMode", "Options", "Commands",
    ]  # fmt: skip
    assert el.find("Options") == A.Options(
        A.FilterType("2"),
        ASB.BodyPreference(ASB.Type("2"), ASB.TruncationSize("51200"), ASB.AllOrNone("0")),
        A.Conflict("1"),
        A.MIMESupport("0"),
    )


def test_class_goes_in_the_collection_only_before_14_0() -> None:
    coll = SyncCollectionRequest("k", "5", class_="Email")
    assert coll.to_element("12.1").children[0] == A.Class("Email")
    assert coll.to_element("14.0").find("Class") is None


def test_wait_heartbeat_partial_window() -> None:
    el = SyncRequest(wait=5, window_size=100, partial=True).to_element("12.1")
    assert el == A.Sync(A.Wait("5"), A.WindowSize("100"), A.Partial())
    el = SyncRequest(heartbeat_interval=900).to_element("14.1")
    assert el == A.Sync(A.HeartbeatInterval("900"))
    assert SyncRequest().to_element() == A.Sync()  # the empty Sync of 12.1+


MAIL = Email(subject="Hi", read=True, body=Body(BodyType.PlainText, "x", False, 1))
FULL_REQUEST = SyncRequest(
    collections=(
        SyncCollectionRequest(
            "k1",
            "5",
            get_changes=True,
            window_size=50,
            options=(_mail_options(), SyncOptions(class_="SMS", filter_type=FilterType.OneDay)),
            commands=(
                ClientAdd("c1", Email(subject="draft", to="a@x.test")),
                ClientChange("5:1", Email(read=True)),
                ClientDelete("5:2"),
                ClientFetch("5:3"),
            ),
            deletes_as_moves=True,
        ),
        SyncCollectionRequest(
            "k2",
            "7",
            get_changes=False,
            commands=(
                ClientChange("7:1", E("AirSync:ApplicationData", E("Calendar:Subject", "Meet"))),
            ),
        ),
    ),
    heartbeat_interval=600,
    window_size=100,
    partial=True,
)


@pytest.mark.parametrize("version", ["14.0", "14.1", "16.0", "16.1"])
def test_full_request_round_trip(version: str) -> None:
    assert SyncRequest.from_element(FULL_REQUEST.to_element(version)) == FULL_REQUEST


@pytest.mark.parametrize("version", ["14.1", "16.1"])
def test_full_request_tags_exist(version: str) -> None:
    assert_tags_in_version(FULL_REQUEST.to_element(version), version)


@pytest.mark.parametrize("version", ["12.0", "12.1"])
def test_12x_request_round_trip(version: str) -> None:
    req = SyncRequest(
        (
            SyncCollectionRequest(
                "k", "5", True, 10, (_mail_options(),), (ClientChange("5:1", Email(read=False)),),
                class_="Email",
            ),
        ),
        wait=3 if version == "12.1" else None,
    )  # fmt: skip
    el = req.to_element(version)
    assert_tags_in_version(el, version)
    assert SyncRequest.from_element(el) == req


def test_2_5_request_round_trip() -> None:
    req = SyncRequest(
        (
            SyncCollectionRequest(
                "k", "5", True, 10,
                (SyncOptions(filter_type=FilterType.OneWeek, truncation=4, mime_support=0),),
                (ClientChange("5:1", Email(read=True)),),
                class_="Email",
            ),
        )
    )  # fmt: skip
    el = req.to_element("2.5")
    assert_tags_in_version(el, "2.5")
    assert SyncRequest.from_element(el) == req


def test_get_changes_empty_element_means_true() -> None:
    el = A.Sync(A.Collections(A.Collection(A.SyncKey("1"), A.CollectionId("5"), A.GetChanges())))
    assert SyncRequest.from_element(el).collections[0].get_changes is True


@pytest.mark.parametrize(
    "el",
    [
        A.Sync(A.Collections(A.Collection(A.CollectionId("5")))),  # no SyncKey
        A.Sync(A.Collections(A.Collection(A.SyncKey("1")))),  # no CollectionId
        A.Sync(A.Collections(A.Collection(A.SyncKey("1"), A.CollectionId("5"), A.WindowSize("x")))),
        A.Sync(A.Collections(A.Collection(A.SyncKey("1"), A.CollectionId("5"), A.GetChanges("2")))),
        A.Sync(A.Collections(A.Collection(
            A.SyncKey("1"), A.CollectionId("5"), A.Commands(A.Add(A.ApplicationData(EM.Read("1"))))
        ))),  # Add without ClientId
        A.Sync(A.Collections(A.Collection(
            A.SyncKey("1"), A.CollectionId("5"), A.Commands(A.SoftDelete(A.ServerId("1")))
        ))),  # not a client command
        E("FolderHierarchy:FolderSync"),
    ],
)  # fmt: skip
def test_bad_requests(el) -> None:
    with pytest.raises(ProtocolError):
        SyncRequest.from_element(el)


# -- responses -------------------------------------------------------------------------------

FULL_RESPONSE = SyncResponse(
    collections=(
        SyncCollectionResponse(
            "5",
            SyncStatus.Success,
            sync_key="k2",
            more_available=True,
            commands=(
                SyncAdd("5:10", MAIL),
                SyncChange("5:11", Email(read=False)),
                SyncDelete("5:12"),
                SyncSoftDelete("5:13"),
            ),
            responses=(
                SyncItemResponse("Add", SyncStatus.Success, server_id="5:14", client_id="c1"),
                SyncItemResponse("Change", SyncStatus.ObjectNotFound, server_id="5:1"),
                SyncItemResponse("Fetch", SyncStatus.Success, "5:3", application_data=MAIL),
            ),
        ),
        SyncCollectionResponse("7", SyncStatus.InvalidSyncKey, sync_key="0"),
        SyncCollectionResponse(
            "8", SyncStatus.Success, "k9",
            commands=(SyncAdd("8:1", E("AirSync:ApplicationData", E("Calendar:Subject", "M"))),),
        ),
    )
)  # fmt: skip


@pytest.mark.parametrize("version", ["12.0", "12.1", "14.0", "14.1", "16.0", "16.1"])
def test_full_response_round_trip(version: str) -> None:
    el = FULL_RESPONSE.to_element(version)
    assert_tags_in_version(el, version)
    assert SyncResponse.from_element(el) == FULL_RESPONSE


def test_2_5_response_with_classes_round_trip() -> None:
    resp = SyncResponse(
        (
            SyncCollectionResponse(
                "5", SyncStatus.Success, "k2", class_="Email",
                commands=(SyncAdd("5:1", MAIL), SyncDelete("5:2")),
            ),
        )
    )  # fmt: skip
    el = resp.to_element("2.5")
    assert el.find("Collections/Collection/Class").text == "Email"
    assert el.find("Collections/Collection/Commands/Add/ApplicationData/Email:Body") is not None
    assert_tags_in_version(el, "2.5")
    assert SyncResponse.from_element(el) == resp


def test_class_hint_decides_what_is_mail() -> None:
    # Without a hint an item with no Email fields stays raw; with the folder's class it is read.
    el = A.Sync(A.Collections(A.Collection(
        A.SyncKey("2"), A.CollectionId("5"), A.Status("1"),
        A.Commands(A.Add(A.ServerId("5:1"), A.ApplicationData(ASB.Body(ASB.Type("1"))))),
    )))  # fmt: skip
    raw = SyncResponse.from_element(el).collections[0].commands[0].application_data
    assert raw == A.ApplicationData(ASB.Body(ASB.Type("1")))
    typed = SyncResponse.from_element(el, {"5": "Email"}).collections[0].commands[0]
    assert typed.application_data == Email(body=Body(BodyType.PlainText))
    contacts = SyncResponse.from_element(el, {"5": "Contacts"}).collections[0].commands[0]
    assert contacts.application_data == Contact(body=Body(BodyType.PlainText))
    sms = SyncResponse.from_element(el, {"5": "SMS"}).collections[0].commands[0]
    assert sms.application_data == raw  # a class without a typed form stays raw


def test_top_level_status_and_limit() -> None:
    resp = SyncResponse(status=SyncStatus.InvalidWaitOrHeartbeatInterval, limit=59)
    el = resp.to_element("14.1")
    assert el == A.Sync(A.Status("14"), A.Limit("59"))
    back = SyncResponse.from_element(el)
    assert back == resp and not back.ok


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("12", SyncStatus.FolderHierarchyChanged),
        ("142", CommonStatus.DeviceNotProvisioned),
        ("77", 77),
    ],
)
def test_status_codes_known_global_and_unknown(code: str, expected) -> None:
    resp = SyncResponse.from_element(A.Sync(A.Status(code)))
    assert resp.status == expected
    assert type(resp.status) is type(expected)


def test_collection_without_status_means_success() -> None:
    el = A.Sync(A.Collections(A.Collection(A.SyncKey("3"), A.CollectionId("5"))))
    coll = SyncResponse.from_element(el).collection("5")
    assert coll is not None and coll.status is SyncStatus.Success and coll.sync_key == "3"
    assert SyncResponse.from_element(el).collection("6") is None


def test_empty_body_means_no_changes() -> None:
    resp = parse_sync_body(None)
    assert resp == SyncResponse() and resp.ok and resp.collections == ()


def test_spec_example_response_shape() -> None:
    # Shaped like the spec's Sync examples (one new mail): SyncKey, CollectionId, Status, Commands.
    el = A.Sync(A.Collections(A.Collection(
        A.SyncKey("1035317907"), A.CollectionId("1"), A.Status("1"),
        A.Commands(A.Add(A.ServerId("1:1"), A.ApplicationData(
            EM.To('"Device User" <deviceuser@example.com>'),
            EM.From('"Device User 2" <deviceuser2@example.com>'),
            EM.Subject("New mail message"),
            EM.DateReceived("2009-07-29T19:25:37.817Z"),
            EM.Importance("1"), EM.Read("0"),
            ASB.Body(ASB.Type("2"), ASB.EstimatedDataSize("116575"), ASB.Truncated("1")),
            EM.MessageClass("IPM.Note"),
        ))),
    )))  # fmt: skip
    (coll,) = parse_sync_body(el).collections
    assert (coll.sync_key, coll.collection_id, coll.status) == ("1035317907", "1", 1)
    (add,) = coll.commands
    assert isinstance(add, SyncAdd) and add.server_id == "1:1"
    assert add.application_data.subject == "New mail message"
    assert add.application_data.body.truncated is True


@pytest.mark.parametrize(
    "el",
    [
        A.Sync(A.Collections(A.Collection(A.SyncKey("1"), A.Status("1")))),  # no CollectionId
        A.Sync(A.Collections(A.Collection(A.CollectionId("5"), A.Status("ok")))),
        A.Sync(A.Collections(A.Collection(
            A.CollectionId("5"), A.Commands(A.Add(A.ApplicationData(EM.Read("1"))))
        ))),  # Add without ServerId
        A.Sync(A.Collections(A.Collection(
            A.CollectionId("5"), A.Commands(A.Fetch(A.ServerId("1")))
        ))),  # Fetch is not a server command
        A.Sync(A.Collections(A.Collection(
            A.CollectionId("5"), A.Responses(A.Change(A.ServerId("1")))
        ))),  # a response without Status
        A.Sync(A.Limit("many")),
        E("Ping:Ping"),
    ],
)  # fmt: skip
def test_bad_responses(el) -> None:
    with pytest.raises(ProtocolError):
        SyncResponse.from_element(el)


# -- golden bytes (MS-ASWBXML: page 0 AirSync, 2 Email, 17 AirSyncBase) ---------------------


def test_initial_sync_golden_bytes() -> None:
    data = wbxml(
        tag(0x05),  # Sync (page 0 is the initial page)
        tag(0x1C),  # Collections
        tag(0x0F),  # Collection
        tag(0x0B), "0", END,  # SyncKey
        tag(0x12), "5", END,  # CollectionId
        END, END, END,
    )  # fmt: skip
    req = SyncRequest((SyncCollectionRequest("0", "5"),))
    assert encode(req.to_element("14.1")) == data
    assert SyncRequest.from_element(decode(data)) == req


def test_sync_with_options_golden_bytes() -> None:
    data = wbxml(
        tag(0x05), tag(0x1C), tag(0x0F),
        tag(0x0B), "123", END,  # SyncKey
        tag(0x12), "5", END,  # CollectionId
        0x13,  # GetChanges, empty (no content bit)
        tag(0x15), "25", END,  # WindowSize
        tag(0x17),  # Options
        tag(0x18), "3", END,  # FilterType
        SWITCH_PAGE, 17,
        tag(0x05),  # BodyPreference
        tag(0x06), "2", END,  # Type
        tag(0x07), "5120", END,  # TruncationSize
        END,  # BodyPreference
        END, END, END,  # Options, Collection, Collections (END needs no page switch)
        SWITCH_PAGE, 0,
        tag(0x29), "600", END,  # HeartbeatInterval
        END,
    )  # fmt: skip
    req = SyncRequest(
        (
            SyncCollectionRequest(
                "123", "5", get_changes=True, window_size=25,
                options=(SyncOptions(FilterType.OneWeek, (BodyPreference(2, 5120),)),),
            ),
        ),
        heartbeat_interval=600,
    )  # fmt: skip
    assert SyncRequest.from_element(decode(data)) == req
    assert encode(req.to_element("14.1")) == data


def test_sync_response_golden_bytes() -> None:
    data = wbxml(
        tag(0x05), tag(0x1C), tag(0x0F),
        tag(0x0B), "k2", END,  # SyncKey
        tag(0x12), "5", END,  # CollectionId
        tag(0x0E), "1", END,  # Status
        tag(0x16),  # Commands
        tag(0x07),  # Add
        tag(0x0D), "5:1", END,  # ServerId
        tag(0x1D),  # ApplicationData
        SWITCH_PAGE, 2,
        tag(0x14), "Hello", END,  # Email:Subject
        tag(0x15), "0", END,  # Email:Read
        SWITCH_PAGE, 17,
        tag(0x0A),  # AirSyncBase:Body
        tag(0x06), "1", END,  # Type
        tag(0x0C), "5", END,  # EstimatedDataSize
        tag(0x0B), "Hi!!!", END,  # Data
        END,
        END, END,  # ApplicationData, Add (END needs no page switch)
        SWITCH_PAGE, 0,
        tag(0x09), tag(0x0D), "5:0", END, END,  # Delete/ServerId
        END,  # Commands
        END, END, END,
    )  # fmt: skip
    resp = SyncResponse(
        (
            SyncCollectionResponse(
                "5", SyncStatus.Success, "k2",
                commands=(
                    SyncAdd("5:1", Email(subject="Hello", read=False, body=Body(
                        BodyType.PlainText, "Hi!!!", estimated_data_size=5))),
                    SyncDelete("5:0"),
                ),
            ),
        )
    )  # fmt: skip
    assert SyncResponse.from_element(decode(data)) == resp
    assert encode(resp.to_element("14.1")) == data


# -- version pruning -------------------------------------------------------------------------


def test_elements_a_version_lacks_are_left_out() -> None:
    # Wait is 12.1+, HeartbeatInterval 14.0+, AirSyncBase 12.0+, Preview 14.0+.
    req = SyncRequest(
        (
            SyncCollectionRequest(
                "1", "5",
                options=(SyncOptions(body_preferences=(BodyPreference(1, 200, preview=100),)),),
            ),
        ),
        wait=5,
    )  # fmt: skip
    assert req.to_element("12.0").find("Wait") is None
    assert req.to_element("12.1").findtext("Wait") == "5"
    pref_12 = req.to_element("12.1").find("Collections/Collection/Options/BodyPreference")
    assert pref_12 is not None and pref_12.find("Preview") is None
    pref_14 = req.to_element("14.0").find("Collections/Collection/Options/BodyPreference")
    assert pref_14.findtext("Preview") == "100"
    assert req.to_element("2.5").find("Collections/Collection/Options/BodyPreference") is None
    assert SyncRequest(heartbeat_interval=60).to_element("12.1") == A.Sync()
    for version in ALL:
        assert_tags_in_version(req.to_element(version), version)


def test_draft_add_and_its_answer_16_0() -> None:
    # 16.0: a client adds a draft with an attachment to Drafts; the server's Responses/Add
    # gives the item's ServerId and links the attachment's ClientId to its FileReference.
    draft = Email(
        subject="Draft",
        to="b@x.test",
        body=Body(BodyType.PlainText, "hello"),
        attachment_adds=(AttachmentAdd("a1", b"file bytes", "f.txt"),),
    )
    req = SyncRequest((SyncCollectionRequest("7", "3", commands=(ClientAdd("d1", draft),)),))
    el = req.to_element("16.0")
    assert_tags_in_version(el, "16.0")
    assert SyncRequest.from_element(decode(encode(el, version="16.0", strict=True))) == req
    answer = SyncResponse(
        (
            SyncCollectionResponse(
                "3", SyncStatus.Success, "8",
                responses=(
                    SyncItemResponse(
                        "Add", SyncStatus.Success, "3:1", "d1",
                        application_data=Email(
                            attachments=(Attachment("f.txt", "3%3a1%3a0", client_id="a1"),)
                        ),
                    ),
                ),
            ),
        )
    )  # fmt: skip
    data = encode(answer.to_element("16.0"), version="16.0", strict=True)
    # Only AirSyncBase children: the folder's class (from FolderSync) says it is mail.
    assert SyncResponse.from_element(decode(data), {"3": "Email"}) == answer


def test_lists_and_single_items_are_accepted_for_sequences() -> None:
    req = SyncRequest(
        [
            SyncCollectionRequest(
                "1", "5", options=SyncOptions(filter_type=1), commands=[ClientFetch("5:1")]
            )
        ]
    )
    assert req.collections[0].options == (SyncOptions(filter_type=1),)
    assert req.collections[0].commands == (ClientFetch("5:1"),)
    assert SyncRequest.from_element(req.to_element()) == req
