"""One hand-built tree per code page (0-25) with its bytes assembled by hand from MS-ASWBXML
2.1.2.1's token tables, then every tag of the table through the codec."""

from __future__ import annotations

import pytest

from easclient.wbxml import (
    BY_NAME,
    PAGES,
    VERSIONS,
    E,
    WBXMLError,
    decode,
    encode,
    from_xml,
    ns,
    to_xml,
)

A = ns("AirSync")
H = "03 01 6A 00"


def wbxml(*parts: str | bytes) -> bytes:
    return b"".join(bytes.fromhex(p) if isinstance(p, str) else p for p in parts)


def s(text: str) -> bytes:
    return b"\x03" + text.encode() + b"\x00"


def n(namespace: str):
    return ns(namespace)


C, EM, AN, CAL, MV = n("Contacts"), n("Email"), n("AirNotify"), n("Calendar"), n("Move")
GIE, FH, MR, T, RR = (
    n("GetItemEstimate"),
    n("FolderHierarchy"),
    n("MeetingResponse"),
    n("Tasks"),
    n("ResolveRecipients"),
)
VC, C2, PG, P, SE, GAL = (
    n("ValidateCert"),
    n("Contacts2"),
    n("Ping"),
    n("Provision"),
    n("Search"),
    n("GAL"),
)
B, ST, DL, IO, CM, EM2 = (
    n("AirSyncBase"),
    n("Settings"),
    n("DocumentLibrary"),
    n("ItemOperations"),
    n("ComposeMail"),
    n("Email2"),
)
NO, RM, FI = n("Notes"), n("RightsManagement"), n("Find")

# page -> (tree, bytes)
PAGE_CASES = {
    0: (
        A.Sync(
            A.Collections(
                A.Collection(
                    A.SyncKey("3"),
                    A.CollectionId("5"),
                    A.Commands(
                        A.Change(A.ServerId("5:1"), A.ApplicationData()),
                        A.Delete(A.ServerId("5:2")),
                        A.Fetch(A.ServerId("5:3")),
                    ),
                )
            ),
            A.Wait("10"),
        ),
        wbxml(
            H, "45 5C 4F",  # Sync, Collections, Collection
            "4B", s("3"), "01 52", s("5"), "01",  # SyncKey 0x0B, CollectionId 0x12
            "56",  # Commands 0x16
            "48 4D", s("5:1"), "01 1D 01",  # Change 0x08, ServerId 0x0D, ApplicationData 0x1D
            "49 4D", s("5:2"), "01 01",  # Delete 0x09
            "4A 4D", s("5:3"), "01 01",  # Fetch 0x0A
            "01 01 01",  # END Commands, Collection, Collections
            "64", s("10"), "01",  # Wait 0x24
            "01",
        ),
    ),
    1: (
        A.ApplicationData(
            C.FileAs("Doe, Jane"),
            C.FirstName("Jane"),
            C.LastName("Doe"),
            C.Email1Address("jane@example.com"),
            C.MobilePhoneNumber("+1 555 0100"),
            C.Categories(C.Category("Work")),
        ),
        wbxml(
            H, "5D 00 01",
            "5E", s("Doe, Jane"), "01",  # FileAs 0x1E
            "5F", s("Jane"), "01",  # FirstName 0x1F
            "69", s("Doe"), "01",  # LastName 0x29
            "5B", s("jane@example.com"), "01",  # Email1Address 0x1B
            "6B", s("+1 555 0100"), "01",  # MobilePhoneNumber 0x2B
            "55 56", s("Work"), "01 01",  # Categories 0x15, Category 0x16
            "01",
        ),
    ),
    2: (
        A.ApplicationData(
            EM.Attachments(EM.Attachment(EM.AttName("a.txt"), EM.AttSize("12"), EM.AttMethod("1"))),
            EM.MeetingRequest(
                EM.AllDayEvent("0"),
                EM.StartTime("2026-01-05T09:00:00.000Z"),
                EM.Recurrences(EM.Recurrence(EM.Type("1"), EM.Interval("1"), EM.DayOfWeek("2"))),
            ),
        ),
        wbxml(
            H, "5D 00 02",
            "46 45",  # Attachments 0x06, Attachment 0x05
            "47", s("a.txt"), "01 48", s("12"), "01 4A", s("1"), "01",  # 0x07 0x08 0x0A
            "01 01",
            "62",  # MeetingRequest 0x22
            "5A", s("0"), "01",  # AllDayEvent 0x1A
            "71", s("2026-01-05T09:00:00.000Z"), "01",  # StartTime 0x31
            "67 68",  # Recurrences 0x27, Recurrence 0x28
            "69", s("1"), "01 6C", s("1"), "01 6D", s("2"), "01",  # Type 0x29, Interval, DayOfWeek
            "01 01 01",  # END Recurrence, Recurrences, MeetingRequest
            "01",
        ),
    ),
    3: (
        AN.Notify(AN.Version("1.1"), AN.Status("1")),
        wbxml(H, "00 03 45 47", s("1.1"), "01 50", s("1"), "01 01"),  # Version 0x07, Status 0x10
    ),
    4: (
        A.ApplicationData(
            CAL.Timezone("xP///w=="),
            CAL.Subject("Review"),
            CAL.StartTime("20260105T090000Z"),
            CAL.Attendees(
                CAL.Attendee(CAL.Email("ann@example.com"), CAL.Name("Ann"), CAL.AttendeeType("1"))
            ),
            CAL.Recurrence(CAL.Type("0"), CAL.Interval("1")),
            CAL.MeetingStatus("1"),
        ),
        wbxml(
            H, "5D 00 04",
            "45", s("xP///w=="), "01",  # Timezone 0x05
            "66", s("Review"), "01",  # Subject 0x26
            "67", s("20260105T090000Z"), "01",  # StartTime 0x27
            "47 48",  # Attendees 0x07, Attendee 0x08
            # Email 0x09, Name 0x0A, AttendeeType 0x2A
            "49", s("ann@example.com"), "01 4A", s("Ann"), "01 6A", s("1"), "01",
            "01 01",
            "5B 5C", s("0"), "01 5F", s("1"), "01 01",  # Recurrence 0x1B, Type 0x1C, Interval 0x1F
            "58", s("1"), "01",  # MeetingStatus 0x18
            "01",
        ),
    ),
    5: (
        MV.MoveItems(MV.Response(MV.SrcMsgId("5:1"), MV.Status("3"), MV.DstMsgId("6:1"))),
        wbxml(
            H, "00 05 45 4A",  # MoveItems, Response 0x0A
            # SrcMsgId 0x07, Status 0x0B, DstMsgId 0x0C
            "47", s("5:1"), "01 4B", s("3"), "01 4C", s("6:1"), "01",
            "01 01",
        ),
    ),
    6: (
        GIE.GetItemEstimate(
            GIE.Response(
                GIE.Status("1"), GIE.Collection(GIE.CollectionId("5"), GIE.Estimate("12"))
            )
        ),
        wbxml(
            H, "00 06 45 4D",  # GetItemEstimate, Response 0x0D
            "4E", s("1"), "01",  # Status 0x0E
            # Collection 0x08, CollectionId 0x0A, Estimate 0x0C
            "48 4A", s("5"), "01 4C", s("12"), "01 01",
            "01 01",
        ),
    ),
    7: (
        FH.FolderCreate(
            FH.SyncKey("1"), FH.ParentId("0"), FH.DisplayName("Projects"), FH.Type("12")
        ),
        wbxml(
            H, "00 07 53",  # FolderCreate 0x13
            "52", s("1"), "01 49", s("0"), "01 47", s("Projects"), "01 4A", s("12"), "01",
            "01",
        ),
    ),
    8: (
        MR.MeetingResponse(
            MR.Request(MR.UserResponse("1"), MR.CollectionId("5"), MR.RequestId("5:7"))
        ),
        wbxml(
            H, "00 08 47 49",  # MeetingResponse 0x07, Request 0x09
            # UserResponse 0x0C, CollectionId 0x06, RequestId 0x08
            "4C", s("1"), "01 46", s("5"), "01 48", s("5:7"), "01",
            "01 01",
        ),
    ),
    9: (
        A.ApplicationData(
            T.Subject("Pay rent"),
            T.Importance("1"),
            T.UtcDueDate("2026-02-01T00:00:00.000Z"),
            T.Complete("0"),
            T.ReminderSet("0"),
        ),
        wbxml(
            H, "5D 00 09",
            "60", s("Pay rent"), "01",  # Subject 0x20
            "4E", s("1"), "01",  # Importance 0x0E
            "4D", s("2026-02-01T00:00:00.000Z"), "01",  # UtcDueDate 0x0D
            "4A", s("0"), "01",  # Complete 0x0A
            "5B", s("0"), "01",  # ReminderSet 0x1B
            "01",
        ),
    ),
    10: (
        RR.ResolveRecipients(
            RR.Status("1"),
            RR.Response(
                RR.To("ann"),
                RR.Status("1"),
                RR.RecipientCount("1"),
                RR.Recipient(
                    RR.Type("1"),
                    RR.DisplayName("Ann"),
                    RR.EmailAddress("ann@example.com"),
                    RR.Picture(RR.Status("1"), RR.Data(b"\xff\xd8\xff")),
                ),
            ),
        ),
        wbxml(
            H, "00 0A 45",
            "47", s("1"), "01",  # Status 0x07
            "46",  # Response 0x06
            # To 0x10, Status 0x07, RecipientCount 0x12
            "50", s("ann"), "01 47", s("1"), "01 52", s("1"), "01",
            "49",  # Recipient 0x09
            # Type 0x08, DisplayName 0x0A, EmailAddress 0x0B
            "48", s("1"), "01 4A", s("Ann"), "01 4B", s("ann@example.com"), "01",
            "5A 47", s("1"), "01",  # Picture 0x1A, Status
            "5C C3 03 FF D8 FF 01",  # Data 0x1C, OPAQUE
            "01 01 01 01",  # END Picture, Recipient, Response, ResolveRecipients
        ),
    ),
    11: (
        VC.ValidateCert(VC.Certificates(VC.Certificate("MIIBcert")), VC.CheckCRL("1")),
        wbxml(H, "00 0B 45 46 47", s("MIIBcert"), "01 01 49", s("1"), "01 01"),
    ),
    12: (
        A.ApplicationData(C2.CustomerId("42"), C2.NickName("JD"), C2.IMAddress("jd@im.example")),
        wbxml(
            H, "5D 00 0C",
            "45", s("42"), "01 4D", s("JD"), "01 47", s("jd@im.example"), "01",  # 0x05, 0x0D, 0x07
            "01",
        ),
    ),
    13: (
        PG.Ping(PG.Status("6"), PG.MaxFolders("200")),
        wbxml(H, "00 0D 45 47", s("6"), "01 4D", s("200"), "01 01"),  # Status 0x07, MaxFolders 0x0D
    ),
    14: (
        P.Provision(P.RemoteWipe(P.Status("1")), P.AccountOnlyRemoteWipe(P.Status("1"))),
        wbxml(
            H, "00 0E 45",
            "4C 4B", s("1"), "01 01",  # RemoteWipe 0x0C, Status 0x0B
            "7B 4B", s("1"), "01 01",  # AccountOnlyRemoteWipe 0x3B
            "01",
        ),
    ),
    15: (
        SE.Search(
            SE.Store(
                SE.Name("Mailbox"),
                SE.Query(SE.And(A.Class("Email"), SE.FreeText("invoice"))),
                SE.Options(SE.Range("0-9"), SE.DeepTraversal()),
            )
        ),
        wbxml(
            H, "00 0F 45 47",  # Search, Store 0x07
            "48", s("Mailbox"), "01",  # Name 0x08
            "49 53",  # Query 0x09, And 0x13
            "00 00 50", s("Email"), "01",  # AirSync Class 0x10
            "00 0F 55", s("invoice"), "01",  # FreeText 0x15
            "01 01",  # END And, Query
            "4A 4B", s("0-9"), "01 17",  # Options 0x0A, Range 0x0B, DeepTraversal 0x17 empty
            "01 01 01",
        ),
    ),
    16: (
        SE.Properties(
            GAL.DisplayName("Ann"),
            GAL.EmailAddress("ann@example.com"),
            GAL.Picture(GAL.Status("1"), GAL.Data(b"\x89P")),
        ),
        wbxml(
            H, "00 0F 4F",  # Search Properties 0x0F
            "00 10 45", s("Ann"), "01",  # GAL DisplayName 0x05
            "4F", s("ann@example.com"), "01",  # EmailAddress 0x0F
            "50 51", s("1"), "01",  # Picture 0x10, Status 0x11
            "52 C3 02 89 50 01",  # Data 0x12, OPAQUE
            "01 01",
        ),
    ),
    17: (
        A.ApplicationData(
            B.Attachments(
                B.Attachment(
                    B.DisplayName("a.pdf"),
                    B.FileReference("5:1:0"),
                    B.Method("1"),
                    B.EstimatedDataSize("1000"),
                    B.IsInline("0"),
                ),
                B.Add(B.ClientId("c1"), B.Content(b"\x01\x02")),
            )
        ),
        wbxml(
            H, "5D 00 11 4E 4F",  # Attachments 0x0E, Attachment 0x0F
            # DisplayName 0x10, FileReference 0x11, Method 0x12
            "50", s("a.pdf"), "01 51", s("5:1:0"), "01 52", s("1"), "01",
            "4C", s("1000"), "01 55", s("0"), "01",  # EstimatedDataSize 0x0C, IsInline 0x15
            "01",
            "5C 5E", s("c1"), "01",  # Add 0x1C, ClientId 0x1E
            "5F C3 02 01 02 01",  # Content 0x1F, OPAQUE
            "01 01 01",
        ),
    ),
    18: (
        ST.Settings(ST.Oof(ST.Get(ST.BodyType("Text"))), ST.UserInformation(ST.Get())),
        wbxml(
            H, "00 12 45 49 47",  # Settings, Oof 0x09, Get 0x07
            "53", s("Text"), "01 01 01",  # BodyType 0x13
            "5D 07 01",  # UserInformation 0x1D, Get empty
            "01",
        ),
    ),
    19: (
        SE.Properties(
            DL.LinkId("\\\\server\\share\\a.doc"),
            DL.DisplayName("a.doc"),
            DL.IsFolder("0"),
            DL.ContentLength("512"),
        ),
        wbxml(
            H, "00 0F 4F 00 13",
            "45", s("\\\\server\\share\\a.doc"), "01",  # LinkId 0x05
            # DisplayName 0x06, IsFolder 0x07, ContentLength 0x0B
            "46", s("a.doc"), "01 47", s("0"), "01 4B", s("512"), "01",
            "01",
        ),
    ),
    20: (
        IO.ItemOperations(
            IO.EmptyFolderContents(A.CollectionId("5"), IO.Options(IO.DeleteSubFolders()))
        ),
        wbxml(
            H, "00 14 45 52",  # ItemOperations, EmptyFolderContents 0x12
            "00 00 52", s("5"), "01",  # AirSync CollectionId
            "00 14 48 13",  # Options 0x08, DeleteSubFolders 0x13 empty
            "01 01 01",
        ),
    ),
    21: (
        CM.SmartReply(
            CM.ClientId("42"),
            CM.Source(CM.FolderId("5"), CM.ItemId("5:1")),
            CM.SaveInSentItems(),
            CM.ReplaceMime(),
            CM.Mime(b"abc"),
        ),
        wbxml(
            H, "00 15 47",  # SmartReply 0x07
            "51", s("42"), "01",  # ClientId 0x11
            "4B 4C", s("5"), "01 4D", s("5:1"), "01 01",  # Source 0x0B, FolderId 0x0C, ItemId 0x0D
            "08 09",  # SaveInSentItems, ReplaceMime: empty
            "50 C3 03", b"abc", "01",  # Mime 0x10, OPAQUE
            "01",
        ),
    ),
    22: (
        A.ApplicationData(
            EM2.ConversationId(bytes(range(16))),
            EM2.ConversationIndex(b"\x01\x02\x03\x04\x05"),
            EM2.LastVerbExecuted("1"),
            EM2.ReceivedAsBcc("0"),
            EM2.Sender("boss@example.com"),
        ),
        wbxml(
            H, "5D 00 16",
            "49 C3 10", bytes(range(16)), "01",  # ConversationId 0x09, OPAQUE
            "4A C3 05 01 02 03 04 05 01",  # ConversationIndex 0x0A, OPAQUE
            "4B", s("1"), "01 4D", s("0"), "01 4E", s("boss@example.com"), "01",  # 0x0B, 0x0D, 0x0E
            "01",
        ),
    ),
    23: (
        A.ApplicationData(
            NO.Subject("Groceries"),
            NO.MessageClass("IPM.StickyNote"),
            NO.LastModifiedDate("2026-01-01T00:00:00.000Z"),
        ),
        wbxml(
            H, "5D 00 17",
            "45", s("Groceries"), "01 46", s("IPM.StickyNote"), "01",
            "47", s("2026-01-01T00:00:00.000Z"), "01",
            "01",
        ),
    ),
    24: (
        A.ApplicationData(
            RM.RightsManagementLicense(
                RM.Owner("1"), RM.EditAllowed("0"), RM.TemplateID("{00000000-0000-0000-0000}")
            )
        ),
        wbxml(
            H, "5D 00 18 48",  # RightsManagementLicense 0x08
            "52", s("1"), "01 49", s("0"), "01",  # Owner 0x12, EditAllowed 0x09
            "54", s("{00000000-0000-0000-0000}"), "01",  # TemplateID 0x14
            "01 01",
        ),
    ),
    25: (
        FI.Find(
            FI.SearchId("1"),
            FI.ExecuteSearch(
                FI.GalSearchCriterion(
                    FI.Query("ann"),
                    FI.Options(
                        FI.Range("0-4"), FI.Picture(FI.MaxSize("1024"), FI.MaxPictures("5"))
                    ),
                )
            ),
        ),
        wbxml(
            H, "00 19 45",  # Find
            "46", s("1"), "01",  # SearchId 0x06
            "47 59",  # ExecuteSearch 0x07, GalSearchCriterion 0x19
            "49", s("ann"), "01",  # Query 0x09
            "4C 4D", s("0-4"), "01",  # Options 0x0C, Range 0x0D
            # Picture 0x22, MaxSize 0x21, MaxPictures 0x20 (MS-ASWBXML; codepages.py: the conflict)
            "62 61", s("1024"), "01 60", s("5"), "01",
            "01 01 01 01 01",
        ),
    ),
}  # fmt: skip


def test_every_page_has_a_case():
    assert sorted(PAGE_CASES) == sorted(PAGES) == list(range(26))


@pytest.mark.parametrize("page", sorted(PAGE_CASES))
def test_page_tree_encodes_to_hand_assembled_bytes(page):
    tree, data = PAGE_CASES[page]
    assert encode(tree).hex(" ") == data.hex(" ")
    assert decode(data) == tree
    assert from_xml(to_xml(tree)) == tree


ALL_TAGS = sorted(BY_NAME.values(), key=lambda t: (t.page, t.token))


@pytest.mark.parametrize("tag", ALL_TAGS, ids=lambda t: t.qualified)
def test_every_tag_round_trips(tag):
    value: str | bytes = b"\x00\x01" if tag.opaque else "v"
    switch = "" if tag.page == 0 else f"00 {tag.page:02x} "
    tree = E(tag.qualified, value)
    data = encode(tree)
    body = "c3 02 00 01" if tag.opaque else "03 76 00"
    assert data.hex(" ") == f"03 01 6a 00 {switch}{tag.token | 0x40:02x} {body} 01"
    assert decode(data) == tree
    empty = encode(E(tag.qualified))
    assert empty.hex(" ") == f"03 01 6a 00 {switch}{tag.token:02x}"
    assert decode(empty) == E(tag.qualified)
    assert from_xml(to_xml(tree)) == tree


@pytest.mark.parametrize("tag", ALL_TAGS, ids=lambda t: t.qualified)
def test_strict_encoding_follows_each_tags_versions(tag):
    tree = E(tag.qualified)
    for version in VERSIONS:
        if tag.in_version(version):
            assert encode(tree, version=version, strict=True) == encode(tree)
        else:
            with pytest.raises(WBXMLError, match=f"not in protocol version {version}"):
                encode(tree, version=version, strict=True)
