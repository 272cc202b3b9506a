"""Meetings between the mock's users: a meeting a device adds to its Calendar with attendees
invites each attendee who has a mailbox here (MS-ASCAL 3.1.5.3 / MS-ASEMAIL meeting requests):
an ``IPM.Schedule.Meeting.Request`` in their Inbox and a tentative copy in their Calendar; the
invitee's MeetingResponse (MS-ASCMD 2.2.1.11) accepts it there, or declines and removes it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from email.utils import formataddr, getaddresses

from easclient.protocol.calendar import CalendarEvent
from easclient.protocol.meetingresponse import MeetingResponseResult, UserResponse
from easclient.protocol.status import MeetingResponseStatus

from .config import User
from .mailbox import INBOX_ID, MailStore, Message
from .pim import PimItem

CALENDAR_ID = "8"
#: Calendar MeetingStatus 3: a meeting the user was invited to (MS-ASCAL 2.2.2.29).
RECEIVED = 3
#: Calendar ResponseType (MS-ASCAL 2.2.2.38): 2 tentative, 3 accepted, 5 not responded.
_RESPONSE_TYPE = {UserResponse.Accepted: 3, UserResponse.Tentative: 2}
NOT_RESPONDED = 5


def invite(store: MailStore, organizer: User, event: CalendarEvent) -> list[str]:
    """Invite the attendees of ``event`` who have a mailbox here; their user names."""
    invited: list[str] = []
    for attendee in event.attendees:
        user = store.user(_address(attendee.email))
        if user is None or user.name == organizer.name or user.name in invited:
            continue
        box = store.mailbox(user)
        calendar = box.folders.get(CALENDAR_ID)
        inbox = box.folders.get(INBOX_ID)
        if calendar is None or inbox is None:
            continue
        copy = replace(
            event,
            meeting_status=RECEIVED,
            response_type=NOT_RESPONDED,
            response_requested=True,
            organizer_name=event.organizer_name or organizer.name,
            organizer_email=event.organizer_email or organizer.address,
            client_uid=None,
        )
        box.items(calendar)
        item = box.add_message(calendar, PimItem(calendar.next_server_id(), copy))
        box.items(inbox)
        box.add_message(
            inbox,
            Message(
                inbox.next_server_id(),
                event.subject or "",
                formataddr((organizer.name, organizer.address)),
                user.address,
                datetime.now(UTC).replace(microsecond=0),
                f"{organizer.name} invites you to {event.subject or 'a meeting'}.",
                "",
                message_class="IPM.Schedule.Meeting.Request",
                meeting_id=item.server_id,
            ),
        )
        invited.append(user.name)
    return invited


def respond(
    store: MailStore, user: User, request_id: str, answer: UserResponse
) -> MeetingResponseResult:
    """The invitee's answer to the invitation ``request_id`` (MS-ASCMD 2.2.1.11): accepted or
    tentative, the calendar item says so and its ServerId is the CalendarId; declined, the item
    is removed (no CalendarId); anything but an invitation is Status 2."""
    box = store.mailbox(user)
    found = box.find_message(request_id)
    meeting = None if found is None else found[1].meeting_id
    item = None if meeting is None else box.find_item(meeting)
    stored = None if item is None else item[1]
    if meeting is None or item is None or not isinstance(stored, PimItem):
        return MeetingResponseResult(request_id, MeetingResponseStatus.InvalidMeetingRequest)
    calendar = item[0]
    if answer is UserResponse.Declined:
        box.delete_message(calendar, meeting)
        return MeetingResponseResult(request_id, MeetingResponseStatus.Success)
    if isinstance(stored.data, CalendarEvent):
        accepted = replace(stored.data, response_type=_RESPONSE_TYPE[answer])
        box.change_message(calendar, stored, data=accepted)
    return MeetingResponseResult(request_id, MeetingResponseStatus.Success, meeting)


def _address(text: str) -> str:
    pairs = getaddresses([text])
    return pairs[0][1] if pairs and pairs[0][1] else text
