"""FolderSync (MS-ASCMD 2.2.1.5): trees and golden WBXML both ways."""

import pytest

from easclient import wbxml
from easclient.protocol import (
    FolderAdd,
    FolderDelete,
    FolderSyncRequest,
    FolderSyncResponse,
    FolderSyncStatus,
    FolderType,
    FolderUpdate,
    ProtocolError,
    folder_class,
)
from easclient.wbxml import ns

from ._golden import END, SWITCH_PAGE, tag
from ._golden import wbxml as golden
from ._tags import assert_tags_in_version

F = ns("FolderHierarchy")
VERSIONS = ["2.5", "12.0", "12.1", "14.0", "14.1", "16.0", "16.1"]
# FolderHierarchy page 7: DisplayName 07, ServerId 08, ParentId 09, Type 0A, Status 0C,
# Changes 0E, Add 0F, Delete 10, Update 11, SyncKey 12, FolderSync 16, Count 17.
DN, SID, PID, TYPE, STATUS, CHANGES, ADD, DELETE, UPDATE, KEY, FS, COUNT = (
    7, 8, 9, 0xA, 0xC, 0xE, 0xF, 0x10, 0x11, 0x12, 0x16, 0x17
)  # fmt: skip

INITIAL = FolderSyncResponse(
    FolderSyncStatus.Success,
    "1",
    [
        FolderAdd("1", "0", "Inbox", FolderType.Inbox),
        FolderAdd("2", "0", "Calendar", FolderType.Calendar),
        FolderAdd("3", "1", "Projects", FolderType.UserMail),
    ],
)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("req", [FolderSyncRequest(), FolderSyncRequest("{a6c8-11}")])
def test_request_round_trip(req, version):
    el = req.to_element(version)
    assert_tags_in_version(el, version)
    assert el == F.FolderSync(F.SyncKey(req.sync_key))
    assert FolderSyncRequest.from_element(el) == req


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(
    "resp",
    [
        INITIAL,
        FolderSyncResponse(
            FolderSyncStatus.Success,
            "7",
            [
                FolderUpdate("3", "0", "Projects 2026", FolderType.UserMail),
                FolderDelete("2"),
                FolderAdd("9", "0", "Odd", 42),  # unknown type kept as int
            ],
        ),
        FolderSyncResponse(FolderSyncStatus.Success, "8"),  # nothing changed
        FolderSyncResponse(FolderSyncStatus.InvalidSyncKey),
        FolderSyncResponse(FolderSyncStatus.ServerError),
        FolderSyncResponse(142),
        FolderSyncResponse(55),
    ],
)
def test_response_round_trip(resp, version):
    el = resp.to_element(version)
    assert_tags_in_version(el, version)
    assert FolderSyncResponse.from_element(el) == resp


def test_response_tree_has_count_and_spec_child_order():
    el = INITIAL.to_element()
    assert el.findtext("Changes/Count") == "3"
    first = el.find("Changes/Add")
    assert [c.name for c in first] == ["ServerId", "ParentId", "DisplayName", "Type"]


def test_add_and_update_share_fields_but_stay_distinct():
    add, update = FolderAdd("5", "0", "x", 12), FolderUpdate("5", "0", "x", 12)
    assert add != update and add.to_element().tag == "FolderHierarchy:Add"
    assert update.to_element().tag == "FolderHierarchy:Update"
    assert FolderUpdate.from_element(update.to_element()) == update
    assert type(FolderAdd.from_element(update.to_element())) is FolderAdd


def test_typed_views_and_folder_classes():
    resp = FolderSyncResponse(
        1, "2", [FolderAdd("1", "0", "Inbox", 2), FolderDelete("4"), FolderUpdate("5", "0", "x", 9)]
    )
    assert resp.status is FolderSyncStatus.Success
    assert [a.server_id for a in resp.added] == ["1"]
    assert [d.server_id for d in resp.deleted] == ["4"]
    assert [u.server_id for u in resp.updated] == ["5"]
    assert folder_class(FolderType.Inbox) == "Email" and folder_class(12) == "Email"
    assert folder_class(FolderType.UserCalendar) == "Calendar"
    assert folder_class(FolderType.Contacts) == "Contacts" and folder_class(15) == "Tasks"
    assert folder_class(17) == "Notes"
    assert folder_class(FolderType.RecipientInformationCache) is None
    assert folder_class(11) is None


def test_unknown_elements_ignored():
    el = F.FolderSync(
        F.Status("1"),
        F.SyncKey("3"),
        F.Changes(F.Count("1"), F.Add(F.ServerId("1"), F.ParentId("0"), F.DisplayName("I"),
                                      F.Type("2")), F.Ignored("x")),
        F.AlsoIgnored("y"),
    )  # fmt: skip
    assert FolderSyncResponse.from_element(el) == FolderSyncResponse(
        1, "3", [FolderAdd("1", "0", "I", FolderType.Inbox)]
    )


@pytest.mark.parametrize(
    ("el", "match"),
    [
        (F.FolderCreate(F.Status("1")), "FolderHierarchy:FolderSync"),
        (F.FolderSync(F.SyncKey("1")), "Status"),
        (F.FolderSync(F.Status("1")), "without a SyncKey"),
        (F.FolderSync(F.Status("1"), F.SyncKey("1"), F.Changes(F.Add(F.ServerId("1")))),
         "ParentId"),
        (F.FolderSync(F.Status("1"), F.SyncKey("1"), F.Changes(F.Delete())), "ServerId"),
        (F.FolderSync(F.Status("1"), F.SyncKey("1"), F.Changes(F.Add(
            F.ServerId("1"), F.ParentId("0"), F.DisplayName("x"), F.Type("mail"))
        )), "'mail'"),
    ],
)  # fmt: skip
def test_malformed_responses(el, match):
    with pytest.raises(ProtocolError, match=match):
        FolderSyncResponse.from_element(el)


def test_request_without_sync_key():
    with pytest.raises(ProtocolError, match="SyncKey"):
        FolderSyncRequest.from_element(F.FolderSync())


# -- golden bytes --------------------------------------------------------------------------


def _add(server_id: str, parent_id: str, name: str, type_: str) -> list:
    return [tag(ADD), tag(SID), server_id, END, tag(PID), parent_id, END, tag(DN), name, END,
            tag(TYPE), type_, END, END]  # fmt: skip


def test_request_golden_bytes_both_ways():
    data = golden(SWITCH_PAGE, 7, tag(FS), tag(KEY), "0", END, END)
    assert wbxml.encode(FolderSyncRequest("0").to_element("14.1"), version="14.1") == data
    assert FolderSyncRequest.from_element(wbxml.decode(data)) == FolderSyncRequest("0")


def test_initial_response_golden_bytes_both_ways():
    data = golden(
        SWITCH_PAGE, 7, tag(FS),
        tag(STATUS), "1", END,
        tag(KEY), "1", END,
        tag(CHANGES),
        tag(COUNT), "3", END,
        *_add("1", "0", "Inbox", "2"),
        *_add("2", "0", "Calendar", "8"),
        *_add("3", "1", "Projects", "12"),
        END,
        END,
    )  # fmt: skip
    assert wbxml.encode(INITIAL.to_element("14.1"), version="14.1") == data
    assert FolderSyncResponse.from_element(wbxml.decode(data)) == INITIAL


def test_incremental_and_error_responses_golden_bytes():
    resp = FolderSyncResponse(1, "2", [FolderUpdate("3", "0", "P", 12), FolderDelete("2")])
    data = golden(
        SWITCH_PAGE, 7, tag(FS), tag(STATUS), "1", END, tag(KEY), "2", END,
        tag(CHANGES), tag(COUNT), "2", END,
        tag(UPDATE), tag(SID), "3", END, tag(PID), "0", END, tag(DN), "P", END, tag(TYPE), "12",
        END, END,
        tag(DELETE), tag(SID), "2", END, END,
        END, END,
    )  # fmt: skip
    assert wbxml.encode(resp.to_element("14.1"), version="14.1") == data
    assert FolderSyncResponse.from_element(wbxml.decode(data)) == resp
    error = golden(SWITCH_PAGE, 7, tag(FS), tag(STATUS), "9", END, END)
    assert wbxml.encode(FolderSyncResponse(9).to_element()) == error
    assert FolderSyncResponse.from_element(wbxml.decode(error)).status is (
        FolderSyncStatus.InvalidSyncKey
    )
