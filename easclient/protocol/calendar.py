"""The Calendar class (MS-ASCAL): an appointment or meeting's ApplicationData.

Times are MS-ASDTYPE 2.3 compact date-times (``20261206T100000Z``); ``timezone`` is the zone
the item was made in (:class:`TimeZone`), used to expand recurrences across DST changes.
A meeting has an organizer and ``attendees`` (``AttendeeStatus``/``AttendeeType`` from 12.0);
``meeting_status`` says whether this is a meeting and who organised it (0 appointment, 1 meeting
organised here, 3 received, 5/7 cancelled). A recurring item has ``recurrence`` and may have
``exceptions``: occurrences changed or ``deleted``, named by ``ExceptionStartTime`` up to 14.1
and by ``AirSyncBase:InstanceId`` from 16.0.

What changed by version (MS-ASCAL 2.2.2): the body is ``Calendar:Body`` at 2.5 and
``AirSyncBase:Body`` from 12.0; ``Location`` is ``Calendar:Location`` text up to 14.1 and
``AirSyncBase:Location`` from 16.0; ``ClientUid`` (16.0) is the client's id for an Add; 16.0
items carry attachments. This class reads and writes each form; one value serves every version.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from easclient.wbxml import Element, ns

from ._elements import as_tuples, opt_int, opt_text
from ._itemfields import (
    Field,
    Recurrence,
    read_body,
    read_categories,
    read_fields,
    write_body,
    write_categories,
    write_fields,
)
from .email import Attachment, Body
from .timezone import TimeZone
from .versions import version_at_least

__all__ = ["Attendee", "CalendarEvent", "CalendarException"]

CAL = ns("Calendar")
ASB = ns("AirSyncBase")


@dataclass(frozen=True, slots=True)
class Attendee:
    """``attendee_status``: 0 unknown, 2 tentative, 3 accept, 4 decline, 5 not responded;
    ``attendee_type``: 1 required, 2 optional, 3 resource (both 12.0+)."""

    email: str
    name: str | None = None
    attendee_status: int | None = None
    attendee_type: int | None = None

    def to_element(self, version: str) -> Element:
        modern = version_at_least(version, "12.0")
        return CAL.Attendee(
            CAL.Email(self.email),
            CAL.Name(self.name if self.name is not None else self.email),
            None
            if self.attendee_status is None or not modern
            else CAL.AttendeeStatus(self.attendee_status),
            None
            if self.attendee_type is None or not modern
            else CAL.AttendeeType(self.attendee_type),
        )

    @classmethod
    def from_element(cls, el: Element) -> Attendee:
        return cls(
            opt_text(el, "Calendar:Email") or "",
            opt_text(el, "Calendar:Name"),
            opt_int(el, "Calendar:AttendeeStatus"),
            opt_int(el, "Calendar:AttendeeType"),
        )


def _attendees(items: tuple[Attendee, ...], version: str) -> Element | None:
    if not items:
        return None
    return CAL.Attendees(*(a.to_element(version) for a in items))


def _read_attendees(el: Element) -> tuple[Attendee, ...]:
    block = el.find("Calendar:Attendees")
    if block is None:
        return ()
    return tuple(Attendee.from_element(a) for a in block.findall("Calendar:Attendee"))


def _location(text: str | None, version: str) -> Element | None:
    if text is None:
        return None
    if version_at_least(version, "16.0"):
        return ASB.Location(ASB.DisplayName(text))
    return CAL.Location(text)


def _read_location(el: Element) -> str | None:
    loc = el.find("AirSyncBase:Location")
    if loc is not None:
        return opt_text(loc, "AirSyncBase:DisplayName") or ""
    return opt_text(el, "Calendar:Location")


# Fields an exception and its item share (MS-ASCAL 2.2.2.19), in the order written.
_SHARED_HEAD: tuple[Field, ...] = (("all_day_event", "Calendar:AllDayEvent", bool),)
_SHARED_TIMES: tuple[Field, ...] = (
    ("busy_status", "Calendar:BusyStatus", int),
    ("dt_stamp", "Calendar:DtStamp", str),
    ("end_time", "Calendar:EndTime", str),
)
_SHARED_TAIL: tuple[Field, ...] = (
    ("reminder", "Calendar:Reminder", int),
    ("sensitivity", "Calendar:Sensitivity", int),
    ("subject", "Calendar:Subject", str),
    ("start_time", "Calendar:StartTime", str),
)
_REPLY: tuple[Field, ...] = (
    ("meeting_status", "Calendar:MeetingStatus", int),
    ("appointment_reply_time", "Calendar:AppointmentReplyTime", str),
    ("response_type", "Calendar:ResponseType", int),
    ("online_meeting_conf_link", "Calendar:OnlineMeetingConfLink", str),
    ("online_meeting_external_link", "Calendar:OnlineMeetingExternalLink", str),
)


@dataclass(frozen=True, slots=True)
class CalendarException:
    """One changed or deleted occurrence of a recurring item. ``exception_start_time`` (up to
    14.1) or ``instance_id`` (16.0) names the original occurrence; other fields, when set,
    replace the item's for that occurrence."""

    exception_start_time: str | None = None
    instance_id: str | None = None
    deleted: bool | None = None
    all_day_event: bool | None = None
    busy_status: int | None = None
    dt_stamp: str | None = None
    end_time: str | None = None
    reminder: int | None = None
    sensitivity: int | None = None
    subject: str | None = None
    start_time: str | None = None
    location: str | None = None
    meeting_status: int | None = None
    appointment_reply_time: str | None = None
    response_type: int | None = None
    online_meeting_conf_link: str | None = None
    online_meeting_external_link: str | None = None
    body: Body | None = None
    categories: tuple[str, ...] = field(default=())
    attendees: tuple[Attendee, ...] = field(default=())

    def __post_init__(self) -> None:
        as_tuples(self, "categories", "attendees")

    def to_element(self, version: str) -> Element:
        modern = version_at_least(version, "16.0")
        out: list[Element | None] = [
            None if self.deleted is None else CAL.Deleted(self.deleted),
            None
            if self.exception_start_time is None or modern
            else CAL.ExceptionStartTime(self.exception_start_time),
            None if self.instance_id is None or not modern else ASB.InstanceId(self.instance_id),
        ]
        out += write_fields(self, _SHARED_HEAD, version)
        out += write_body("Calendar", self.body, version, size=False)
        out += write_fields(self, _SHARED_TIMES, version)
        out.append(_location(self.location, version))
        out += write_fields(self, _SHARED_TAIL, version)
        out.append(write_categories("Calendar", self.categories))
        out.append(_attendees(self.attendees, version))
        out += write_fields(self, _REPLY, version)
        return CAL.Exception(*out)

    @classmethod
    def from_element(cls, el: Element) -> CalendarException:
        values = read_fields(
            el,
            (
                ("exception_start_time", "Calendar:ExceptionStartTime", str),
                ("instance_id", "AirSyncBase:InstanceId", str),
                ("deleted", "Calendar:Deleted", bool),
                *_SHARED_HEAD,
                *_SHARED_TIMES,
                *_SHARED_TAIL,
                *_REPLY,
            ),
        )
        values["location"] = _read_location(el)
        values["body"] = read_body(el, "Calendar")
        values["categories"] = read_categories(el, "Calendar")
        values["attendees"] = _read_attendees(el)
        return cls(**values)


_ORGANIZER: tuple[Field, ...] = (
    ("organizer_name", "Calendar:OrganizerName", str),
    ("organizer_email", "Calendar:OrganizerEmail", str),
)
_IDS: tuple[Field, ...] = (("uid", "Calendar:UID", str),)
_FLAGS: tuple[Field, ...] = (
    ("response_requested", "Calendar:ResponseRequested", bool),
    ("disallow_new_time_proposal", "Calendar:DisallowNewTimeProposal", bool),
    ("client_uid", "Calendar:ClientUid", str),
)


@dataclass(frozen=True, slots=True)
class CalendarEvent:
    """An appointment or meeting (MS-ASCAL 2.2.2). ``busy_status``: 0 free, 1 tentative,
    2 busy, 3 out of office, 4 working elsewhere; ``reminder``: minutes before the start."""

    subject: str | None = None
    start_time: str | None = None
    end_time: str | None = None
    timezone: TimeZone | None = None
    all_day_event: bool | None = None
    busy_status: int | None = None
    dt_stamp: str | None = None
    location: str | None = None
    reminder: int | None = None
    sensitivity: int | None = None
    uid: str | None = None
    organizer_name: str | None = None
    organizer_email: str | None = None
    meeting_status: int | None = None
    appointment_reply_time: str | None = None
    response_type: int | None = None
    response_requested: bool | None = None
    disallow_new_time_proposal: bool | None = None
    online_meeting_conf_link: str | None = None
    online_meeting_external_link: str | None = None
    client_uid: str | None = None
    body: Body | None = None
    categories: tuple[str, ...] = field(default=())
    attendees: tuple[Attendee, ...] = field(default=())
    recurrence: Recurrence | None = None
    exceptions: tuple[CalendarException, ...] = field(default=())
    attachments: tuple[Attachment, ...] = field(default=())

    def __post_init__(self) -> None:
        as_tuples(self, "categories", "attendees", "exceptions", "attachments")

    def to_element(self, version: str = "14.1") -> Element:
        return Element("AirSync:ApplicationData", *self.to_children(version))

    def to_children(self, version: str = "14.1") -> list[Element]:
        out: list[Element | None] = [
            None if self.timezone is None else CAL.Timezone(self.timezone.to_base64())
        ]
        out += write_fields(self, _SHARED_HEAD, version)
        out += write_body("Calendar", self.body, version, size=False)
        out += write_fields(self, (*_SHARED_TIMES[:1], *_ORGANIZER, *_SHARED_TIMES[1:]), version)
        out.append(_location(self.location, version))
        out += write_fields(self, (*_SHARED_TAIL, *_IDS), version)
        out += write_fields(self, _REPLY[:1], version)
        out.append(_attendees(self.attendees, version))
        out.append(write_categories("Calendar", self.categories))
        if self.recurrence is not None:
            out.append(self.recurrence.to_element("Calendar", version))
        if self.exceptions:
            out.append(CAL.Exceptions(*(e.to_element(version) for e in self.exceptions)))
        out += write_fields(self, (*_REPLY[1:], *_FLAGS), version)
        if self.attachments and version_at_least(version, "16.0"):
            out.append(ASB.Attachments(*(a.to_element(version) for a in self.attachments)))
        return [e for e in out if e is not None]

    @classmethod
    def from_element(cls, el: Element) -> CalendarEvent:
        values = read_fields(
            el,
            (
                *_SHARED_HEAD,
                *_SHARED_TIMES,
                *_SHARED_TAIL,
                *_ORGANIZER,
                *_IDS,
                *_REPLY,
                *_FLAGS,
            ),
        )
        tz = opt_text(el, "Calendar:Timezone")
        values["timezone"] = None if tz is None else TimeZone.from_base64(tz)
        values["location"] = _read_location(el)
        values["body"] = read_body(el, "Calendar")
        values["categories"] = read_categories(el, "Calendar")
        values["attendees"] = _read_attendees(el)
        rec = el.find("Calendar:Recurrence")
        values["recurrence"] = None if rec is None else Recurrence.from_element(rec, "Calendar")
        block = el.find("Calendar:Exceptions")
        values["exceptions"] = (
            ()
            if block is None
            else tuple(
                CalendarException.from_element(x) for x in block.findall("Calendar:Exception")
            )
        )
        atts = el.find("AirSyncBase:Attachments")
        values["attachments"] = (
            ()
            if atts is None
            else tuple(Attachment.from_element(a) for a in atts.findall("AirSyncBase:Attachment"))
        )
        return cls(**values)
