"""MeetingResponse (MS-ASCMD 2.2.1.11): accept, tentatively accept or decline a meeting request.

Request ``MeetingResponse{Request{UserResponse, CollectionId, RequestId | search:LongId,
InstanceId?, SendResponse?}…}``; response ``MeetingResponse{Result{RequestId, Status,
CalendarId?}…}``. ``RequestId`` is the ServerId of the meeting request (in the Inbox) or of the
calendar item; ``CalendarId`` is the calendar item the answer made or kept (none on decline).
``InstanceId`` (14.1+) answers one occurrence of a recurring meeting; ``SendResponse`` (16.0)
asks the server to send the organizer the answer, optionally proposing a new time.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from easclient.wbxml import Element, ns

from ._elements import as_tuples, expect_root, opt_text, req_int, status, text
from .errors import ProtocolError
from .status import MeetingResponseStatus
from .versions import version_at_least

__all__ = [
    "MeetingAnswer",
    "MeetingResponseRequest",
    "MeetingResponseResponse",
    "MeetingResponseResult",
    "UserResponse",
]

MR = ns("MeetingResponse")
S = ns("Search")


class UserResponse(IntEnum):
    """MeetingResponse UserResponse (MS-ASCMD 2.2.3.189)."""

    Accepted = 1
    Tentative = 2
    Declined = 3


@dataclass(frozen=True, slots=True)
class MeetingAnswer:
    """One answer: to ``request_id`` in ``collection_id``, or to a Search result's ``long_id``.
    ``proposed_start``/``proposed_end`` (16.0, with ``send_response``) propose a new time, as
    compact ISO dates (MS-ASDTYPE 2.3)."""

    user_response: UserResponse
    request_id: str | None = None
    collection_id: str | None = None
    long_id: str | None = None
    instance_id: str | None = None
    send_response: bool = False
    proposed_start: str | None = None
    proposed_end: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "user_response", UserResponse(int(self.user_response)))
        if not self.long_id and not self.request_id:
            raise ValueError("a meeting answer needs a RequestId (with CollectionId) or a LongId")

    def to_element(self, version: str) -> Element:
        send = None
        if self.send_response and version_at_least(version, "16.0"):
            send = MR.SendResponse(
                None if self.proposed_start is None else MR.ProposedStartTime(self.proposed_start),
                None if self.proposed_end is None else MR.ProposedEndTime(self.proposed_end),
            )
        return MR.Request(
            MR.UserResponse(int(self.user_response)),
            None if self.collection_id is None else MR.CollectionId(self.collection_id),
            None if self.request_id is None else MR.RequestId(self.request_id),
            None if self.long_id is None else S.LongId(self.long_id),
            MR.InstanceId(self.instance_id)
            if self.instance_id is not None and version_at_least(version, "14.1")
            else None,
            send,
        )

    @classmethod
    def from_element(cls, el: Element) -> MeetingAnswer:
        code = req_int(el, "MeetingResponse:UserResponse")
        if code not in tuple(UserResponse):
            raise ProtocolError(f"UserResponse must be 1, 2 or 3, got {code}", value=code)
        send = el.find("MeetingResponse:SendResponse")
        try:
            return cls(
                UserResponse(code),
                opt_text(el, "MeetingResponse:RequestId"),
                opt_text(el, "MeetingResponse:CollectionId"),
                opt_text(el, "Search:LongId"),
                opt_text(el, "MeetingResponse:InstanceId"),
                send is not None,
                None if send is None else opt_text(send, "MeetingResponse:ProposedStartTime"),
                None if send is None else opt_text(send, "MeetingResponse:ProposedEndTime"),
            )
        except ValueError as exc:
            raise ProtocolError(str(exc), element="MeetingResponse:Request") from None


@dataclass(frozen=True, slots=True)
class MeetingResponseRequest:
    answers: tuple[MeetingAnswer, ...]

    def __post_init__(self) -> None:
        as_tuples(self, "answers")
        if not self.answers:
            raise ValueError("MeetingResponse needs at least one Request")

    def to_element(self, version: str = "14.1") -> Element:
        return MR.MeetingResponse(*(a.to_element(version) for a in self.answers))

    @classmethod
    def from_element(cls, el: Element) -> MeetingResponseRequest:
        expect_root(el, "MeetingResponse:MeetingResponse")
        answers = el.findall("MeetingResponse:Request")
        if not answers:
            raise ProtocolError("MeetingResponse without a Request")
        return cls(tuple(MeetingAnswer.from_element(a) for a in answers))


@dataclass(frozen=True, slots=True)
class MeetingResponseResult:
    """The outcome of one answer; ``calendar_id`` is the calendar item's ServerId."""

    request_id: str
    status: MeetingResponseStatus | int
    calendar_id: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == MeetingResponseStatus.Success

    def to_element(self) -> Element:
        return MR.Result(
            MR.RequestId(self.request_id),
            MR.Status(int(self.status)),
            None if self.calendar_id is None else MR.CalendarId(self.calendar_id),
        )

    @classmethod
    def from_element(cls, el: Element) -> MeetingResponseResult:
        return cls(
            text(el, "MeetingResponse:RequestId"),
            status(el, "MeetingResponse:Status", MeetingResponseStatus),
            opt_text(el, "MeetingResponse:CalendarId"),
        )


@dataclass(frozen=True, slots=True)
class MeetingResponseResponse:
    results: tuple[MeetingResponseResult, ...]

    def __post_init__(self) -> None:
        as_tuples(self, "results")

    def to_element(self, version: str = "14.1") -> Element:
        return MR.MeetingResponse(*(r.to_element() for r in self.results))

    @classmethod
    def from_element(cls, el: Element) -> MeetingResponseResponse:
        expect_root(el, "MeetingResponse:MeetingResponse")
        results = el.findall("MeetingResponse:Result")
        return cls(tuple(MeetingResponseResult.from_element(r) for r in results))
