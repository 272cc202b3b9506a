"""Ping (MS-ASCMD 2.2.1.13): wait for changes in a set of folders, for a heartbeat.

Request ``Ping{HeartbeatInterval, Folders{Folder{Id, Class}…}}``; both parts are optional and the
server uses the values of the previous Ping when they are left out, so a fully empty Ping is sent
as an HTTP body of no bytes at all. Response ``Ping{Status, Folders{Folder…}}``, with
``HeartbeatInterval`` (status 5: the allowed bound) or ``MaxFolders`` (status 6).
"""

from __future__ import annotations

from dataclasses import dataclass

from easclient.wbxml import Element, ns

from ._elements import MAX_INT_DIGITS, expect_root, opt_int, status, text
from .status import PingStatus, status_of

__all__ = ["PingFolder", "PingRequest", "PingResponse"]

P = ns("Ping")


@dataclass(frozen=True, slots=True)
class PingFolder:
    """One folder to watch: its ServerId and the class of its items ("Email", "Calendar" …)."""

    id: str
    class_: str = "Email"


#: A heartbeat written with more digits than wire integers may have (MS-ASDTYPE 2.6; see
#: ``_elements.MAX_INT_DIGITS``) is beyond every server's bound: it is read as this, so a server
#: answers Status 5 with its bound (or, with none, waits) instead of refusing the request.
BEYOND_ANY_BOUND = 10**20


def _heartbeat(el: Element) -> int | None:
    value = el.findtext("Ping:HeartbeatInterval")
    digits = (value or "").strip()
    if digits.isascii() and digits.isdigit() and len(digits) > MAX_INT_DIGITS:
        return BEYOND_ANY_BOUND
    return opt_int(el, "Ping:HeartbeatInterval")


@dataclass(frozen=True, slots=True)
class PingRequest:
    """A Ping request; leave both fields empty to reuse the server's cached values."""

    heartbeat_interval: int | None = None
    folders: tuple[PingFolder, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "folders", tuple(self.folders))

    @property
    def is_empty(self) -> bool:
        return self.heartbeat_interval is None and not self.folders

    def to_element(self, version: str = "14.1") -> Element:
        """``Ping:Ping`` (an element even when empty; see :meth:`to_body`)."""
        children = []
        if self.heartbeat_interval is not None:
            children.append(P.HeartbeatInterval(self.heartbeat_interval))
        if self.folders:
            children.append(
                P.Folders(*(P.Folder(P.Id(f.id), P.Class(f.class_)) for f in self.folders))
            )
        return P.Ping(*children)

    def to_body(self, version: str = "14.1") -> Element | None:
        """What to send: None (no body) for an empty Ping, else :meth:`to_element`."""
        return None if self.is_empty else self.to_element(version)

    @classmethod
    def from_element(cls, el: Element) -> PingRequest:
        expect_root(el, "Ping:Ping")
        folders = el.find("Ping:Folders")
        return cls(
            heartbeat_interval=_heartbeat(el),
            folders=tuple(
                PingFolder(text(f, "Ping:Id"), text(f, "Ping:Class"))
                for f in (folders or ())
                if f.tag == "Ping:Folder"
            ),
        )

    @classmethod
    def from_body(cls, el: Element | None) -> PingRequest:
        """The server side: a request from a decoded body, None meaning the empty Ping."""
        return cls() if el is None else cls.from_element(el)


@dataclass(frozen=True, slots=True)
class PingResponse:
    """The server's answer (statuses: :class:`PingStatus`, MS-ASCMD 2.2.3.177.11).

    ``folders`` lists the ServerIds with changes (status 2); ``heartbeat_interval`` is the
    bound to adopt (status 5); ``max_folders`` the most folders allowed (status 6).
    """

    status: PingStatus | int
    folders: tuple[str, ...] = ()
    heartbeat_interval: int | None = None
    max_folders: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "folders", tuple(self.folders))
        object.__setattr__(self, "status", status_of(PingStatus, self.status))

    def to_element(self, version: str = "14.1") -> Element:
        children = [P.Status(int(self.status))]
        if self.folders:
            children.append(P.Folders(*(P.Folder(f) for f in self.folders)))
        if self.max_folders is not None:
            children.append(P.MaxFolders(self.max_folders))
        if self.heartbeat_interval is not None:
            children.append(P.HeartbeatInterval(self.heartbeat_interval))
        return P.Ping(*children)

    @classmethod
    def from_element(cls, el: Element) -> PingResponse:
        expect_root(el, "Ping:Ping")
        folders = el.find("Ping:Folders")
        return cls(
            status=status(el, "Ping:Status", PingStatus),
            folders=tuple(
                f.text if isinstance(f.text, str) else ""
                for f in (folders or ())
                if f.tag == "Ping:Folder"
            ),
            heartbeat_interval=opt_int(el, "Ping:HeartbeatInterval"),
            max_folders=opt_int(el, "Ping:MaxFolders"),
        )
