"""Cross-check against Debian's libwbxml (libwbxml2-1 in process, libwbxml2-utils on the command
line): our encoding equals libwbxml's bytes, and each side decodes the other's output to the same
tree.

libwbxml's ActiveSync tables differ from MS-ASWBXML in ways we note here rather than copy:

- it names some tags differently (``Attendee_Email`` for Calendar ``Email``, ``MIME`` for
  ComposeMail ``Mime``, ``Reply-To`` for Email ``ReplyTo``, a typo ``ihsManagementInformation``…;
  :data:`RENAMED`), and writes the GAL page's namespace as ``Gal:``;
- it does not know the Find page (25) nor a few 16.x tags (:data:`UNKNOWN`); it decodes them as
  ``<unknown>``;
- a tag name it does not find in the element's namespace is looked up on other pages and silently
  encoded there (``<Query xmlns="Find:">`` becomes Search ``Query``), or, with no string table,
  refused as a LITERAL ("mis-encodes namespaces it does not know");
- it writes CR into XML text as a raw byte, which any XML parser reads back as LF;
- it needs ``-a`` (anonymous: public id 1 as EAS sends), ``-n`` (no string table, else it moves
  repeated strings into one and uses STR_T) and ``-k`` (else it drops whitespace inside values);
- it recognises an ActiveSync document only by the root ``Sync`` or by the DOCTYPE line it writes
  itself (``"-//MICROSOFT//DTD ActiveSync//EN"``), so its input gets that line.

So the documents compared here use libwbxml's names where they differ (:func:`libwbxml_view`),
leave out what it does not know, and compare text with CR normalised as XML does.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from easclient.wbxml import BY_NAME, E, Element, decode, encode, from_xml, ns, to_xml

from . import corpus, libwbxml
from .test_golden import CASES

LIB = libwbxml.load()

pytestmark = [
    pytest.mark.libwbxml,
    pytest.mark.skipif(
        LIB is None,
        reason="libwbxml2.so.1 not installed (apt-get install libwbxml2-1 libwbxml2-utils; "
        "scripts/install-system-deps does it)",
    ),
]

#: Our tag -> libwbxml's local name for the same (page, token).
RENAMED = {
    "Contacts:AssistantPhoneNumber": "AssistantTelephoneNumber",
    "Contacts:BusinessAddressCity": "BusinessCity",
    "Contacts:BusinessAddressCountry": "BusinessCountry",
    "Contacts:BusinessAddressPostalCode": "BusinessPostalCode",
    "Contacts:BusinessAddressState": "BusinessState",
    "Contacts:BusinessAddressStreet": "BusinessStreet",
    "Contacts:HomeAddressCity": "HomeCity",
    "Contacts:HomeAddressCountry": "HomeCountry",
    "Contacts:HomeAddressPostalCode": "HomePostalCode",
    "Contacts:HomeAddressState": "HomeState",
    "Contacts:HomeAddressStreet": "HomeStreet",
    "Contacts:OtherAddressCity": "OtherCity",
    "Contacts:OtherAddressCountry": "OtherCountry",
    "Contacts:OtherAddressPostalCode": "OtherPostalCode",
    "Contacts:OtherAddressState": "OtherState",
    "Contacts:OtherAddressStreet": "OtherStreet",
    "Email:AttOid": "AttOId",
    "Email:ReplyTo": "Reply-To",
    "Email:DtStamp": "DTStamp",
    "Email:Type": "Recurrence_Type",
    "Email:Until": "Recurrence_Until",
    "Email:Occurrences": "Recurrence_Occurrences",
    "Email:Interval": "Recurrence_Interval",
    "Email:DayOfWeek": "Recurrence_DayOfWeek",
    "Email:DayOfMonth": "Recurrence_DayOfMonth",
    "Email:WeekOfMonth": "Recurrence_WeekOfMonth",
    "Email:MonthOfYear": "Recurrence_MonthOfYear",
    "Email:Status": "FlagStatus",
    "Calendar:Timezone": "TimeZone",
    "Calendar:Email": "Attendee_Email",
    "Calendar:Name": "Attendee_Name",
    "Calendar:DtStamp": "DTStamp",
    "Calendar:Deleted": "Exception_Deleted",
    "Calendar:ExceptionStartTime": "Exception_StartTime",
    "Calendar:OrganizerEmail": "Organizer_Email",
    "Calendar:OrganizerName": "Organizer_Name",
    "Calendar:Type": "Recurrence_Type",
    "Calendar:Until": "Recurrence_Until",
    "Calendar:Occurrences": "Recurrence_Occurrences",
    "Calendar:Interval": "Recurrence_Interval",
    "Calendar:DayOfWeek": "Recurrence_DayOfWeek",
    "Calendar:DayOfMonth": "Recurrence_DayOfMonth",
    "Calendar:WeekOfMonth": "Recurrence_WeekOfMonth",
    "Calendar:MonthOfYear": "Recurrence_MonthOfYear",
    "Calendar:AttendeeStatus": "Attendee_Status",
    "Calendar:AttendeeType": "Attendee_Type",
    "Tasks:UtcDueDate": "UTCDueDate",
    "Tasks:Type": "Recurrence_Type",
    "Tasks:Start": "Recurrence_Start",
    "Tasks:Until": "Recurrence_Until",
    "Tasks:Occurrences": "Recurrence_Occurrences",
    "Tasks:Interval": "Recurrence_Interval",
    "Tasks:DayOfMonth": "Recurrence_DayOfMonth",
    "Tasks:DayOfWeek": "Recurrence_DayOfWeek",
    "Tasks:WeekOfMonth": "Recurrence_WeekOfMonth",
    "Tasks:MonthOfYear": "Recurrence_MonthOfYear",
    "Tasks:Regenerate": "Recurrence_Regenerate",
    "Tasks:DeadOccur": "Recurrence_DeadOccur",
    "Tasks:UtcStartDate": "UTCStartDate",
    "Provision:RequireStorageCardEncryption": "DeviceEncryptionEnabled",
    "Settings:SMTPAddress": "SmtpAddress",
    "Settings:RightsManagementInformation": "ihsManagementInformation",
    "ComposeMail:Mime": "MIME",
    "ComposeMail:Name": "ForwardeeName",
    "ComposeMail:Email": "ForwardeeEmail",
    "RightsManagement:Owner": "RMOwner",
    "RightsManagement:RemoveRightsManagementProtection": "RemoveRightsManagementDistribution",
}
#: Tags libwbxml's tables do not have.
UNKNOWN = {
    "MeetingResponse:ProposedStartTime",
    "MeetingResponse:ProposedEndTime",
    "Provision:AccountOnlyRemoteWipe",
    *(tag for tag in BY_NAME if tag.startswith("Find:")),
}
NAMESPACES = {"GAL": "Gal"}


def libwbxml_view(tree: Element) -> Element:
    """The same document with libwbxml's names for tags and namespaces."""
    namespace, _, name = tree.tag.partition(":")
    name = RENAMED.get(tree.tag, name)
    namespace = NAMESPACES.get(namespace, namespace)
    return Element._raw(f"{namespace}:{name}", [libwbxml_view(c) for c in tree.children], tree.text)


DOCTYPE = (
    '<!DOCTYPE ActiveSync PUBLIC "-//MICROSOFT//DTD ActiveSync//EN" "http://www.microsoft.com/">'
)


def libwbxml_xml(tree: Element) -> bytes:
    """The XML libwbxml needs for ``tree``: its names, its DOCTYPE, no layout whitespace."""
    text = to_xml(libwbxml_view(tree), pretty=False)
    declaration, _, body = text.partition("?>")
    # A renamed opaque tag (Mime -> MIME) is unknown to to_xml, which would mark its bytes with
    # opaque="true"; libwbxml knows the tag as binary by itself.
    body = body.replace(' opaque="true"', "")
    return f"{declaration}?>{DOCTYPE}{body}".encode()


def structure(xml: bytes | str) -> tuple:
    """An XML document as nested (namespace, name, text, children), CR normalised to LF."""

    def walk(el: ET.Element) -> tuple:
        uri, _, name = el.tag[1:].partition("}")
        text = (el.text or "").replace("\r\n", "\n").replace("\r", "\n")
        kids = [walk(c) for c in el]
        return (uri.rstrip(":"), name, "" if kids else text, kids)

    return walk(ET.fromstring(xml))


def normalise_cr(tree: Element) -> Element:
    text = tree.text
    if isinstance(text, str):
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return Element._raw(tree.tag, [normalise_cr(c) for c in tree.children], text)


def uses_renamed_tags(tree: Element) -> bool:
    return any(el.tag in RENAMED or el.tag.startswith("GAL:") for el in tree.iter())


def cross_check(tree: Element) -> None:
    ours = encode(tree)
    view = libwbxml_view(tree)
    # libwbxml encodes the document's XML to our bytes ...
    theirs = LIB.xml_to_wbxml(libwbxml_xml(tree))
    assert theirs.hex(" ") == ours.hex(" ")
    # ... we decode libwbxml's bytes to the tree ...
    assert decode(theirs) == tree
    # ... and libwbxml decodes our bytes to the same document.
    their_xml = LIB.wbxml_to_xml(ours)
    assert structure(their_xml) == structure(to_xml(view).replace(' opaque="true"', ""))
    if not uses_renamed_tags(tree):
        assert from_xml(their_xml) == normalise_cr(tree)


ALL_KNOWN = sorted(set(BY_NAME) - UNKNOWN)


@pytest.mark.parametrize("tag", ALL_KNOWN)
def test_every_tag_libwbxml_knows(tag):
    value: str | bytes = b"\x00\x01\xff" if BY_NAME[tag].opaque else "v a l"
    cross_check(E("AirSync:Sync", E(tag, value), E(tag)))


@pytest.mark.parametrize("seed", range(6))
def test_generated_sync_responses(seed):
    cross_check(corpus.sync_response(1 + seed * 3, mime=seed % 2 == 1, seed=seed))


@pytest.mark.parametrize("seed", range(3))
def test_generated_folder_sync_responses(seed):
    cross_check(corpus.folder_sync_response(5 + seed * 20, seed=seed))


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_documents(name):
    tree, data, _ = CASES[name]
    cross_check(tree)
    assert LIB.xml_to_wbxml(libwbxml_xml(tree)) == data


def test_a_large_document():
    cross_check(corpus.sync_response(120, mime=True, seed=42))


@pytest.mark.skipif(not libwbxml.tools_available(), reason="libwbxml2-utils not installed")
def test_command_line_tools_with_the_documented_flags():
    tree = corpus.sync_response(3, seed=7)
    ours = encode(tree)
    assert libwbxml.xml2wbxml(to_xml(tree).encode()) != ours  # pretty XML: whitespace is kept
    assert libwbxml.xml2wbxml(to_xml(tree, pretty=False).encode()) == ours
    assert from_xml(libwbxml.wbxml2xml(ours)) == normalise_cr(tree)


def test_quirk_unknown_namespace_tags_land_on_another_page():
    # Find (page 25) is unknown to libwbxml: <Query xmlns="Find:"> is encoded as Search Query
    # (page 15, 0x09) instead of Find Query (page 25, 0x09).
    tree = E("AirSync:Sync", ns("Find").Query("x"))
    theirs = LIB.xml_to_wbxml(to_xml(tree, pretty=False).encode())
    assert encode(tree).hex(" ") == "03 01 6a 00 45 00 19 49 03 78 00 01 01"
    assert theirs.hex(" ") == "03 01 6a 00 45 00 0f 49 03 78 00 01 01"


def test_quirk_cr_is_written_raw():
    tree = E("AirSync:Sync", E("Email:Subject", "a\r\nb"))
    their_xml = LIB.wbxml_to_xml(encode(tree))
    assert b"a\r\nb" in their_xml  # raw CR: an XML parser reads "a\nb"
    assert from_xml(their_xml).findtext("Subject") == "a\nb"
    assert "a&#13;\nb" in to_xml(tree)  # ours survives
