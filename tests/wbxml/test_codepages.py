"""The code-page table against MS-ASWBXML 2.1.2.1 (tokens, namespaces, versions, opaque marks)."""

from __future__ import annotations

import pytest

from easclient.wbxml.codepages import (
    BY_NAME,
    BY_TOKEN,
    OPAQUE_TAGS,
    PAGE_OF_NAMESPACE,
    PAGES,
    VERSIONS,
    CodePageTableError,
    _parse,
    tag_for,
    tags_in_version,
)

NAMESPACES = {
    0: "AirSync",
    1: "Contacts",
    2: "Email",
    3: "AirNotify",
    4: "Calendar",
    5: "Move",
    6: "GetItemEstimate",
    7: "FolderHierarchy",
    8: "MeetingResponse",
    9: "Tasks",
    10: "ResolveRecipients",
    11: "ValidateCert",
    12: "Contacts2",
    13: "Ping",
    14: "Provision",
    15: "Search",
    16: "GAL",
    17: "AirSyncBase",
    18: "Settings",
    19: "DocumentLibrary",
    20: "ItemOperations",
    21: "ComposeMail",
    22: "Email2",
    23: "Notes",
    24: "RightsManagement",
    25: "Find",
}

# Tokens from the MS-ASWBXML tables (2.1.2.1.1-26), at least one per page, favouring the tags the
# client and the mock use and the ones implementations get wrong.
SPOT_CHECKS = {
    "AirSync:Sync": 0x05,
    "AirSync:SyncKey": 0x0B,
    "AirSync:Class": 0x10,
    "AirSync:CollectionId": 0x12,
    "AirSync:Collections": 0x1C,
    "AirSync:Supported": 0x20,
    "AirSync:MaxItems": 0x28,
    "AirSync:HeartbeatInterval": 0x29,
    "Contacts:FileAs": 0x1E,
    "Contacts:Picture": 0x3C,
    "Contacts:WeightedRank": 0x3E,
    "Email:Subject": 0x14,
    "Email:From": 0x18,
    "Email:ReplyTo": 0x19,
    "Email:Status": 0x3B,
    "Email:DisallowNewTimeProposal": 0x3F,
    "AirNotify:Notify": 0x05,
    "AirNotify:DeviceFriendlyName": 0x17,
    "Calendar:Timezone": 0x05,
    "Calendar:UID": 0x28,
    "Calendar:ClientUid": 0x3C,
    "Move:MoveItems": 0x05,
    "Move:DstMsgId": 0x0C,
    "GetItemEstimate:GetItemEstimate": 0x05,
    "GetItemEstimate:Estimate": 0x0C,
    "FolderHierarchy:ServerId": 0x08,
    "FolderHierarchy:FolderSync": 0x16,
    "FolderHierarchy:Count": 0x17,
    "MeetingResponse:UserResponse": 0x0C,
    "MeetingResponse:SendResponse": 0x12,
    "Tasks:Subject": 0x20,
    "Tasks:FirstDayOfWeek": 0x26,
    "ResolveRecipients:Availability": 0x16,
    "ResolveRecipients:Data": 0x1C,
    "ResolveRecipients:MaxPictures": 0x1D,
    "ValidateCert:CheckCRL": 0x09,
    "Contacts2:CustomerId": 0x05,
    "Contacts2:MMS": 0x0E,
    "Ping:HeartbeatInterval": 0x08,
    "Ping:MaxFolders": 0x0D,
    "Provision:EASProvisionDoc": 0x0D,
    "Provision:AllowBluetooth": 0x24,
    "Provision:AccountOnlyRemoteWipe": 0x3B,
    "Search:ConversationId": 0x20,
    "Search:MaxPictures": 0x23,
    "GAL:EmailAddress": 0x0F,
    "GAL:Data": 0x12,
    "AirSyncBase:Type": 0x06,
    "AirSyncBase:Body": 0x0A,
    "AirSyncBase:NativeBodyType": 0x16,
    "AirSyncBase:Content": 0x1F,
    "AirSyncBase:InstanceId": 0x2D,
    "Settings:DeviceInformation": 0x16,
    "Settings:UserAgent": 0x20,
    "Settings:RightsManagementInformation": 0x2B,
    "DocumentLibrary:LinkId": 0x05,
    "DocumentLibrary:ContentType": 0x0C,
    "ItemOperations:Fetch": 0x06,
    "ItemOperations:ConversationId": 0x18,
    "ComposeMail:SendMail": 0x05,
    "ComposeMail:Mime": 0x10,
    "ComposeMail:Email": 0x18,
    "Email2:ConversationIndex": 0x0A,
    "Email2:Send": 0x17,
    "Notes:Subject": 0x05,
    "Notes:Category": 0x09,
    "RightsManagement:TemplateID": 0x14,
    "RightsManagement:RemoveRightsManagementProtection": 0x18,
    "Find:Find": 0x05,
    "Find:GalSearchCriterion": 0x19,
    "Find:MaxPictures": 0x20,
    "Find:MaxSize": 0x21,
    "Find:Picture": 0x22,
}

# The byte-array elements (MS-ASDTYPE 2.7.1) of the spec; EAS-FACTS 5.3 lists the same eight.
OPAQUE = {
    "ResolveRecipients:Data",
    "Search:ConversationId",
    "GAL:Data",
    "AirSyncBase:Content",
    "ItemOperations:ConversationId",
    "ComposeMail:Mime",
    "Email2:ConversationId",
    "Email2:ConversationIndex",
}


def test_every_page_present_with_its_namespace():
    assert {n: p.namespace for n, p in PAGES.items()} == NAMESPACES
    assert {ns: n for n, ns in NAMESPACES.items()} == PAGE_OF_NAMESPACE
    assert 254 not in PAGES
    assert all(PAGES[n].tags for n in NAMESPACES)


@pytest.mark.parametrize("number", sorted(NAMESPACES))
def test_tokens_and_names_unique_and_in_range(number):
    page = PAGES[number]
    tokens = [t.token for t in page.tags]
    names = [t.name for t in page.tags]
    assert len(set(tokens)) == len(tokens)
    assert len(set(names)) == len(names)
    assert all(0x05 <= tok <= 0x3F for tok in tokens)
    assert tokens == sorted(tokens)
    assert all(t.page == number and t.namespace == page.namespace for t in page.tags)


def test_lookups_cover_every_tag_once():
    total = sum(len(p.tags) for p in PAGES.values())
    assert len(BY_TOKEN) == total
    assert len(BY_NAME) == total
    for (page, token), tag in BY_TOKEN.items():
        assert (tag.page, tag.token) == (page, token)
        assert BY_NAME[tag.qualified] is tag


@pytest.mark.parametrize(("qualified", "token"), sorted(SPOT_CHECKS.items()))
def test_spot_check_tokens(qualified, token):
    assert BY_NAME[qualified].token == token


def test_spot_checks_touch_every_page():
    pages = {BY_NAME[q].page for q in SPOT_CHECKS}
    assert pages == set(NAMESPACES)


def test_spec_example_bytes_name_the_same_tags():
    # The MS-ASWBXML example of a Sync response adding a contact: the bytes of the spec's WBXML
    # encoding up to contacts:FileAs, walked with this table alone.
    data = bytes.fromhex(
        "03016A00 455C4F50 03436F6E7461637473 00 01 4B 033200 01 52 033200 01 4E 033100 01"
        " 56 47 4D 03323A3100 01 5D 0011 4A 46 033100 01 4C 033000 01 4D 033100 01 01 0001 5E"
    )
    expected = [
        "AirSync:Sync",
        "AirSync:Collections",
        "AirSync:Collection",
        "AirSync:Class",
        "AirSync:SyncKey",
        "AirSync:CollectionId",
        "AirSync:Status",
        "AirSync:Commands",
        "AirSync:Add",
        "AirSync:ServerId",
        "AirSync:ApplicationData",
        "AirSyncBase:Body",
        "AirSyncBase:Type",
        "AirSyncBase:EstimatedDataSize",
        "AirSyncBase:Truncated",
        "Contacts:FileAs",
    ]
    seen, page, i = [], 0, 4
    while i < len(data):
        byte = data[i]
        if byte == 0x00:  # SWITCH_PAGE
            page, i = data[i + 1], i + 2
        elif byte == 0x01:  # END
            i += 1
        elif byte == 0x03:  # STR_I
            i = data.index(0, i + 1) + 1
        else:
            seen.append(BY_TOKEN[(page, byte & 0x3F)].qualified)
            i += 1
    assert seen == expected


def test_opaque_marks_are_the_byte_arrays():
    assert OPAQUE_TAGS == OPAQUE
    assert {t.qualified for t in BY_TOKEN.values() if t.opaque} == OPAQUE
    # Base64 text, not byte arrays: these stay STR_I.
    for name in ("AirSyncBase:Data", "ItemOperations:Data", "Contacts:Picture", "Email:TimeZone"):
        assert not BY_NAME[name].opaque


def test_version_ranges_are_sensible():
    rank = {v: i for i, v in enumerate(VERSIONS)}
    assert VERSIONS == ("2.5", "12.0", "12.1", "14.0", "14.1", "16.0", "16.1")
    for tag in BY_TOKEN.values():
        assert rank[tag.since] <= rank[tag.until], tag


def test_find_is_16_1_only():
    for tag in PAGES[25].tags:
        assert (tag.since, tag.until) == ("16.1", "16.1")
        assert tag.in_version("16.1")
        assert not tag.in_version("16.0")


def test_versions_of_well_known_tags():
    def versions(name):
        return [v for v in VERSIONS if BY_NAME[name].in_version(v)]

    assert versions("AirSync:MaxItems") == ["14.0", "14.1", "16.0", "16.1"]
    assert not BY_NAME["AirSync:MaxItems"].in_version("12.1")
    assert versions("AirSync:Wait") == ["12.1", "14.0", "14.1", "16.0", "16.1"]
    assert versions("AirSync:Sync") == list(VERSIONS)
    assert versions("Email:Body") == ["2.5"]
    assert versions("Email:BodyTruncated") == ["2.5"]
    assert versions("Email:Location") == ["2.5", "12.0", "12.1", "14.0", "14.1"]
    assert versions("Calendar:ExceptionStartTime")[-1] == "14.1"
    assert versions("AirSyncBase:Location") == ["16.0", "16.1"]
    assert versions("Calendar:ClientUid") == ["16.0", "16.1"]
    assert versions("Provision:AccountOnlyRemoteWipe") == ["16.1"]
    assert versions("Provision:AllowBluetooth")[0] == "12.1"
    assert versions("ResolveRecipients:Availability")[0] == "14.0"
    assert versions("ResolveRecipients:Picture")[0] == "14.1"
    assert versions("Contacts2:MMS") == list(VERSIONS)
    assert versions("GetItemEstimate:Class") == ["2.5", "12.0", "12.1"]


def test_pages_introduced_later_have_no_older_tags():
    first = {17: "12.0", 18: "12.0", 19: "12.0", 20: "12.0", 21: "14.0", 22: "14.0"}
    first |= {23: "14.0", 24: "14.1", 25: "16.1"}
    rank = {v: i for i, v in enumerate(VERSIONS)}
    for number, since in first.items():
        assert min(rank[t.since] for t in PAGES[number].tags) == rank[since], number


def test_tags_in_version():
    v141 = {t.qualified for t in tags_in_version("14.1")}
    v161 = {t.qualified for t in tags_in_version("16.1")}
    assert "Find:Find" in v161 and "Find:Find" not in v141
    assert "Email:Location" in v141 and "Email:Location" not in v161
    assert "AirSync:Sync" in v141 and "AirSync:Sync" in v161
    assert "Email:Body" not in v141
    with pytest.raises(ValueError, match=r"17\.0"):
        tags_in_version("17.0")


def test_tag_for():
    assert tag_for("Ping:Ping") is BY_NAME["Ping:Ping"]
    assert tag_for("AirSync::Sync") is BY_NAME["AirSync:Sync"]
    assert tag_for("Ping:NoSuchTag") is None
    assert tag_for("NoSuchPage:Ping") is None
    assert tag_for("Sync") is None


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("ZZ Sync", "not hex"),
        ("04 Sync", "outside"),
        ("40 Sync", "outside"),
        ("05", "no tag name"),
        ("05 Sync 13.0", "bad version"),
        ("05 Sync 14.0-12.0", "bad version"),
        ("05 Sync\n05 Other", "duplicate"),
        ("05 Sync\n06 Sync", "duplicate"),
    ],
)
def test_malformed_table_lines_are_rejected(line, reason):
    with pytest.raises(CodePageTableError, match=reason):
        _parse({0: ("AirSync", line)})


def test_table_comments_and_blank_lines_are_ignored():
    pages = _parse({7: ("X", "\n  05 A 12.1  # note\n\n  # only a comment\n  06 B -14.0 opaque\n")})
    a, b = pages[7].tags
    assert (a.name, a.since, a.until, a.opaque) == ("A", "12.1", "16.1", False)
    assert (b.name, b.since, b.until, b.opaque) == ("B", "2.5", "14.0", True)
