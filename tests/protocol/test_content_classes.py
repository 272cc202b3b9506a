"""The content classes beyond mail: Calendar (MS-ASCAL, with the TimeZone blob of MS-ASDTYPE
2.7), Contacts (MS-ASCNTC, with Contacts2), Tasks (MS-ASTASK) and Notes (MS-ASNOTE), read from
and written to ApplicationData at every version they exist in, and typed inside Sync."""

from __future__ import annotations

import contextlib
import dataclasses

import pytest
from hypothesis import HealthCheck, given, settings

from easclient.protocol._itemfields import Recurrence
from easclient.protocol.calendar import Attendee, CalendarEvent, CalendarException
from easclient.protocol.contacts import _FIELDS as CONTACT_FIELDS
from easclient.protocol.contacts import Contact
from easclient.protocol.email import Attachment, Body, BodyType
from easclient.protocol.errors import ProtocolError
from easclient.protocol.notes import Note
from easclient.protocol.sync import SyncAdd, SyncCollectionResponse, SyncResponse, SyncStatus
from easclient.protocol.tasks import Task
from easclient.protocol.timezone import SystemTime, TimeZone
from easclient.wbxml import Element, decode, encode, ns

from ._golden import END, SWITCH_PAGE, tag, wbxml
from ._tags import assert_tags_in_version
from .test_robustness import _trees

ALL = ["2.5", "12.0", "12.1", "14.0", "14.1", "16.0", "16.1"]
A = ns("AirSync")
CAL = ns("Calendar")

# MS-ASCAL's example zone (Pacific time), as base64 in the Timezone element.
PACIFIC_B64 = (
    "4AEAAFAAYQBjAGkAZgBpAGMAIABTAHQAYQBuAGQAYQByAGQAIABUAGkAbQBlAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    "AAsAAAABAAIAAAAAAAAAAAAAAFAAYQBjAGkAZgBpAGMAIABEAGEAeQBsAGkAZwBoAHQAIABUAGkAbQBlAAAAAAAAAAAA"
    "AAAAAAAAAAAAAAAAAAAAAAMAAAACAAIAAAAAAAAAxP///w=="
)
PACIFIC = TimeZone(
    480,
    "Pacific Standard Time",
    SystemTime(month=11, day=1, hour=2),  # first Sunday of November, 02:00
    0,
    "Pacific Daylight Time",
    SystemTime(month=3, day=2, hour=2),  # second Sunday of March, 02:00
    -60,
)


def _at(version: str, since: str) -> bool:
    order = ALL.index
    return order(version) >= order(since)


# -- TimeZone -----------------------------------------------------------------------------------
def test_timezone_blob_matches_the_spec_example() -> None:
    assert PACIFIC.to_base64() == PACIFIC_B64
    assert TimeZone.from_base64(PACIFIC_B64) == PACIFIC
    assert PACIFIC.has_dst and not TimeZone().has_dst
    assert len(TimeZone().to_bytes()) == 172


@pytest.mark.parametrize("bad", ["", "AAAA", "not base64!", PACIFIC_B64[:-8] + "AAAAAAA="])
def test_timezone_refuses_a_wrong_blob(bad: str) -> None:
    with pytest.raises(ProtocolError):
        TimeZone.from_base64(bad)


def test_timezone_name_is_at_most_31_code_units() -> None:
    with pytest.raises(ValueError):
        TimeZone(standard_name="x" * 32).to_bytes()


# -- Calendar -----------------------------------------------------------------------------------
MEETING = CalendarEvent(
    subject="Planning",
    start_time="20261026T090000Z",
    end_time="20261026T100000Z",
    timezone=PACIFIC,
    busy_status=2,
    dt_stamp="20261001T120000Z",
    location="Room 4",
    reminder=15,
    sensitivity=0,
    uid="040000008200E00074C5B7101A82E008",
    organizer_name="Olga",
    organizer_email="olga@example.test",
    meeting_status=1,
    response_requested=True,
    body=Body(BodyType.PlainText, "Agenda"),
    categories=("Work",),
    attendees=(Attendee("bob@example.test", "Bob", 5, 1),),
    # weekly on Mondays, ten times: across the end of DST (first Sunday of November)
    recurrence=Recurrence(1, interval=1, day_of_week=2, occurrences=10, first_day_of_week=1),
    exceptions=(
        CalendarException(exception_start_time="20261102T090000Z", deleted=True),
        CalendarException(
            exception_start_time="20261109T090000Z",
            instance_id="20261109T090000Z",
            subject="Planning (moved)",
            start_time="20261109T100000Z",
            end_time="20261109T110000Z",
        ),
    ),
)


def _calendar_at(version: str) -> CalendarEvent:
    """What survives a trip through ``version``: the fields it has."""
    ev = MEETING
    if not _at(version, "12.0"):
        ev = dataclasses.replace(ev, attendees=(Attendee("bob@example.test", "Bob"),))
    if not _at(version, "14.0"):
        ev = dataclasses.replace(ev, response_requested=None)
    if not _at(version, "14.1"):
        assert ev.recurrence is not None
        rec = dataclasses.replace(ev.recurrence, first_day_of_week=None)
        ev = dataclasses.replace(ev, recurrence=rec)
    new = _at(version, "16.0")
    ev = dataclasses.replace(
        ev,
        exceptions=tuple(
            dataclasses.replace(
                x,
                exception_start_time=None if new else x.exception_start_time,
                instance_id=x.instance_id if new else None,
            )
            for x in ev.exceptions
        ),
    )
    return ev


@pytest.mark.parametrize("version", ALL)
def test_calendar_round_trip(version: str) -> None:
    el = MEETING.to_element(version)
    assert_tags_in_version(el, version)
    assert CalendarEvent.from_element(decode(encode(el))) == _calendar_at(version)


def test_calendar_location_and_body_forms_by_version() -> None:
    old = MEETING.to_element("2.5")
    assert old.findtext("Calendar:Location") == "Room 4"
    assert old.findtext("Calendar:Body") == "Agenda"
    assert old.find("AirSyncBase:Body") is None
    new = MEETING.to_element("16.0")
    assert new.find("Calendar:Location") is None
    assert new.findtext("AirSyncBase:Location/AirSyncBase:DisplayName") == "Room 4"
    assert new.findtext("Calendar:Timezone") == PACIFIC_B64


def test_calendar_16_0_client_uid_and_attachments() -> None:
    ev = CalendarEvent(
        subject="x", client_uid="c-1", attachments=(Attachment("a.txt", "f1", 1, 10),)
    )
    back = CalendarEvent.from_element(ev.to_element("16.1"))
    assert back.client_uid == "c-1" and back.attachments == ev.attachments
    assert CalendarEvent.from_element(ev.to_element("14.1")) == CalendarEvent(subject="x")


def test_calendar_golden_bytes() -> None:
    ev = CalendarEvent(subject="Lunch", start_time="20261206T120000Z", all_day_event=False)
    data = wbxml(
        tag(0x1D),  # AirSync:ApplicationData (page 0 is where a document starts)
        SWITCH_PAGE, 4, tag(0x06), "0", END,  # Calendar:AllDayEvent
        tag(0x26), "Lunch", END,  # Subject
        tag(0x27), "20261206T120000Z", END,  # StartTime
        END,
    )  # fmt: skip
    assert encode(ev.to_element("14.1")) == data
    assert CalendarEvent.from_element(decode(data)) == ev


def test_recurrence_needs_a_type() -> None:
    with pytest.raises(ProtocolError, match="Type"):
        CalendarEvent.from_element(A.ApplicationData(CAL.Recurrence(CAL.Interval(1))))


# -- Contacts -----------------------------------------------------------------------------------
def test_contact_table_names_real_fields() -> None:
    names = {f.name for f in dataclasses.fields(Contact)}
    assert {attr for attr, _, _ in CONTACT_FIELDS} <= names
    assert ("im_address", "Contacts2:IMAddress", str) in CONTACT_FIELDS
    assert ("email1_address", "Contacts:Email1Address", str) in CONTACT_FIELDS


CONTACT = Contact(
    first_name="Alice",
    last_name="Example",
    file_as="Example, Alice",
    email1_address='"Alice" <alice@example.test>',
    mobile_phone_number="+1 555 0100",
    birthday="1990-04-01T00:00:00.000Z",
    picture="/9j/4AAQSkZJRg==",
    alias="alice",
    nick_name="Al",
    im_address="alice@im.example.test",
    categories=("Friends",),
    children=("Ann", "Ben"),
    body=Body(BodyType.PlainText, "Met at the conference", estimated_data_size=21),
)


@pytest.mark.parametrize("version", ALL)
def test_contact_round_trip(version: str) -> None:
    el = CONTACT.to_element(version)
    assert_tags_in_version(el, version)
    expected = CONTACT if _at(version, "14.0") else dataclasses.replace(CONTACT, alias=None)
    if version == "2.5":  # Contacts:Body/BodySize: no type
        assert el.findtext("Contacts:Body") == "Met at the conference"
    assert Contact.from_element(decode(encode(el))) == expected


def test_contact_golden_bytes() -> None:
    data = wbxml(
        tag(0x1D),  # AirSync:ApplicationData (page 0 is where a document starts)
        SWITCH_PAGE, 1, tag(0x1F), "Alice", END,  # Contacts:FirstName
        SWITCH_PAGE, 12, tag(0x0D), "Al", END,  # Contacts2:NickName
        END,
    )  # fmt: skip
    contact = Contact(first_name="Alice", nick_name="Al")
    assert encode(contact.to_element("14.1")) == data
    assert Contact.from_element(decode(data)) == contact


# -- Tasks --------------------------------------------------------------------------------------
TASK = Task(
    subject="File taxes",
    importance=2,
    start_date="2027-04-01T00:00:00.000Z",
    utc_start_date="2027-04-01T07:00:00.000Z",
    due_date="2027-04-15T00:00:00.000Z",
    utc_due_date="2027-04-15T07:00:00.000Z",
    complete=False,
    reminder_set=True,
    reminder_time="2027-04-14T16:00:00.000Z",
    sensitivity=2,
    categories=("Home",),
    recurrence=Recurrence(
        5, start="2027-04-01T00:00:00.000Z", month_of_year=4, day_of_month=15, regenerate=False
    ),
    body=Body(BodyType.PlainText, "Receipts in the drawer"),
)


@pytest.mark.parametrize("version", ALL)
def test_task_round_trip(version: str) -> None:
    el = TASK.to_element(version)
    assert_tags_in_version(el, version)
    assert Task.from_element(decode(encode(el))) == TASK


def test_task_golden_bytes() -> None:
    data = wbxml(
        tag(0x1D),  # AirSync:ApplicationData (page 0 is where a document starts)
        SWITCH_PAGE, 9, tag(0x20), "Call", END,  # Tasks:Subject
        tag(0x0A), "1", END,  # Complete
        END,
    )  # fmt: skip
    task = Task(subject="Call", complete=True)
    assert encode(task.to_element("14.1")) == data
    assert Task.from_element(decode(data)) == task


# -- Notes --------------------------------------------------------------------------------------
@pytest.mark.parametrize("version", ["14.0", "14.1", "16.0", "16.1"])
def test_note_round_trip(version: str) -> None:
    note = Note("Groceries", Body(BodyType.PlainText, "milk"), categories=("Home",))
    el = note.to_element(version)
    assert_tags_in_version(el, version)
    assert Note.from_element(decode(encode(el))) == note


@pytest.mark.parametrize("version", ["2.5", "12.0", "12.1"])
def test_notes_are_14_0_and_later(version: str) -> None:
    with pytest.raises(ValueError, match=r"14\.0"):
        Note("x").to_element(version)


# -- inside Sync --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("class_", "item"),
    [("Calendar", MEETING), ("Contacts", CONTACT), ("Tasks", TASK), ("Notes", Note("n"))],
)
def test_sync_types_items_by_the_collections_class(class_: str, item: object) -> None:
    expected = _calendar_at("14.1") if class_ == "Calendar" else item
    resp = SyncResponse(
        collections=[
            SyncCollectionResponse("7", SyncStatus.Success, "2", commands=[SyncAdd("7:1", item)])
        ]
    )
    data = encode(resp.to_element("14.1"))
    back = SyncResponse.from_element(decode(data), {"7": class_})
    assert back.collections[0].commands[0].application_data == expected
    # Without the class the item stays as the server sent it (nothing is guessed).
    raw = SyncResponse.from_element(decode(data)).collections[0].commands[0].application_data
    assert isinstance(raw, Element)


# -- only our errors from hostile input ---------------------------------------------------------
@pytest.mark.parametrize("cls", [CalendarEvent, Contact, Task, Note], ids=lambda c: c.__name__)
def test_random_application_data_raises_only_protocol_error(cls: type) -> None:
    @settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(_trees("AirSync:ApplicationData"))
    def check(tree: Element) -> None:
        with contextlib.suppress(ProtocolError):
            cls.from_element(tree)

    check()
