"""What a command handler gets (one request) and what it gives back (one answer)."""

from __future__ import annotations

from dataclasses import dataclass, field

from easclient.protocol import EasRequest
from easclient.protocol.errors import ProtocolError
from easclient.protocol.query import RequestQuery
from easclient.wbxml import E, Element

from .config import User
from .mailbox import Mailbox
from .state import MockState
from .syncstate import DeviceState

#: The root element of each command's request and response (for status-only answers).
ROOTS: dict[str, str] = {
    "Sync": "AirSync:Sync",
    "FolderSync": "FolderHierarchy:FolderSync",
    "Ping": "Ping:Ping",
    "Provision": "Provision:Provision",
    "GetItemEstimate": "GetItemEstimate:GetItemEstimate",
    "ItemOperations": "ItemOperations:ItemOperations",
    "SendMail": "ComposeMail:SendMail",
    "SmartReply": "ComposeMail:SmartReply",
    "SmartForward": "ComposeMail:SmartForward",
    "Settings": "Settings:Settings",
    "FolderCreate": "FolderHierarchy:FolderCreate",
    "FolderDelete": "FolderHierarchy:FolderDelete",
    "FolderUpdate": "FolderHierarchy:FolderUpdate",
    "MoveItems": "Move:MoveItems",
    "Search": "Search:Search",
    "ResolveRecipients": "ResolveRecipients:ResolveRecipients",
    "ValidateCert": "ValidateCert:ValidateCert",
    "MeetingResponse": "MeetingResponse:MeetingResponse",
    "Find": "Find:Find",
}


def status_element(command: str, code: int) -> Element:
    """``<Root><Status>code</Status></Root>`` for ``command`` (how Exchange reports 1xx codes)."""
    root = ROOTS.get(command, "AirSync:Sync")
    namespace = root.partition(":")[0]
    return E(root, E(f"{namespace}:Status", str(int(code))))


@dataclass
class Answer:
    """One response: an element (encoded as WBXML), raw bytes, or nothing."""

    status_code: int = 200
    element: Element | None = None
    body: bytes = b""
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


class StatusAnswer(Exception):
    """Raised by a handler to answer with only a (global or command) Status code."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


@dataclass
class Context:
    """One authenticated request, handed to a command handler."""

    state: MockState
    user: User
    mailbox: Mailbox
    device: DeviceState
    request: EasRequest
    element: Element | None
    version: str
    receive: object = None  # the ASGI receive callable (a parked Ping listens for disconnects)

    @property
    def command(self) -> str:
        return self.request.query.cmd if self.request.query else "OPTIONS"

    @property
    def query(self) -> RequestQuery:
        """The request's query (only OPTIONS has none, and it gets no handler)."""
        if self.request.query is None:
            raise ProtocolError(f"{self.request.method} request without a query")
        return self.request.query

    @property
    def body(self) -> Element:
        """The request's element, for the commands that cannot do without one: the endpoint
        answers an empty body itself except for Ping, Sync and SendMail."""
        if self.element is None:
            raise ProtocolError(f"{self.command}: the request has no body")
        return self.element
