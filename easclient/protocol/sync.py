"""The Sync command (MS-ASCMD 2.2.1.21): requests, responses and the items they carry.

A request names collections (folders) with their SyncKey; the first Sync of a collection uses
SyncKey "0" and returns only a new key (no items). Each collection may carry Options (filter,
body preferences), client commands (Add/Change/Delete/Fetch) and GetChanges/WindowSize. The
request may also be empty or partial (12.1+) and may ask the server to hold it (``Wait``, 12.1+,
minutes; ``HeartbeatInterval``, 14.0+, seconds).

A response carries either a top-level ``Status`` (an error for the whole request, with
``Limit`` on status 14) or per-collection results: the new SyncKey, Status, MoreAvailable,
server Commands (Add/Change/Delete/SoftDelete with ApplicationData) and Responses to the
client's commands. An empty HTTP 200 body is a legal answer meaning "no changes"; see
:func:`parse_sync_body`.

ApplicationData of the Email class is read into :class:`~easclient.protocol.email.Email`; other
classes are kept as the raw element.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum

from easclient.errors import excerpt
from easclient.wbxml import Element, ns

from ._elements import (
    as_tuples,
    child,
    code_of,
    expect_root,
    opt_bool,
    opt_int,
    opt_status,
    opt_text,
    prune,
    req_int,
    status,
    text,
)
from .calendar import CalendarEvent
from .contacts import Contact
from .email import Email, looks_like_email
from .errors import ProtocolError
from .notes import Note
from .status import SyncStatus
from .tasks import Task
from .versions import version_at_least

A = ns("AirSync")
ASB = ns("AirSyncBase")

#: The SyncKey that starts (or restarts) a collection (MS-ASCMD 2.2.3.182.3).
INITIAL_SYNC_KEY = "0"

#: A typed item of each content class (MS-ASEMAIL, MS-ASCAL, MS-ASCNTC, MS-ASTASK, MS-ASNOTE).
ContentItem = Email | CalendarEvent | Contact | Task | Note
ApplicationData = ContentItem | Element
_CLASSES: dict[str, type[ContentItem]] = {
    "Email": Email,
    "Calendar": CalendarEvent,
    "Contacts": Contact,
    "Tasks": Task,
    "Notes": Note,
}


class FilterType(IntEnum):
    """AirSync:FilterType: how far back to sync (MS-ASCMD, FilterType in Sync)."""

    NoFilter = 0
    OneDay = 1
    ThreeDays = 2
    OneWeek = 3
    TwoWeeks = 4
    OneMonth = 5
    ThreeMonths = 6
    SixMonths = 7
    IncompleteTasks = 8


class Conflict(IntEnum):
    """AirSync:Conflict: which side wins a conflicting change (MS-ASCMD, Conflict element)."""

    ClientWins = 0
    ServerWins = 1


class MIMESupport(IntEnum):
    """AirSync:MIMESupport (MS-ASCMD, MIMESupport in Sync)."""

    Never = 0
    SMIMEOnly = 1
    Always = 2


# -- application data ------------------------------------------------------------------------


def _app_to_element(data: ApplicationData, version: str) -> Element:
    if isinstance(data, Element):
        return data
    return data.to_element(version)


def _app_from_element(app: Element, class_: str | None) -> ApplicationData:
    """The typed item of the collection's class: mail when named so or when its namespaces
    say so; Calendar, Contacts, Tasks and Notes when the caller (or a 2.5 Collection's
    ``Class``) names the class; the raw element otherwise (SMS, unknown classes)."""
    if class_ is None and looks_like_email(app):
        class_ = "Email"
    kind = _CLASSES.get(class_ or "")
    return app if kind is None else kind.from_element(app)


def parse_application_data(app: Element, class_: str | None) -> ApplicationData:
    """An ``AirSync:ApplicationData`` element as the typed item of ``class_`` ("Email",
    "Calendar", "Contacts", "Tasks", "Notes"); the element itself for other classes. A server
    reads a device's Add or Change with the class of the folder it goes to."""
    return _app_from_element(app, class_)


def _opt_app(el: Element, class_: str | None) -> ApplicationData | None:
    app = el.find("AirSync:ApplicationData")
    return None if app is None else _app_from_element(app, class_)


def _opt(name: str, value: str | int | None) -> Element | None:
    return None if value is None else A(name, value)


# -- request ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BodyPreference:
    """AirSyncBase:BodyPreference (MS-ASAIRS 2.2.2.12): the body form and size the client wants.

    ``preview`` (14.0+) asks for a plain-text preview of that many characters.
    """

    type: int = 1
    truncation_size: int | None = None
    all_or_none: bool | None = None
    preview: int | None = None

    def to_element(self, version: str = "14.1") -> Element:
        return ASB.BodyPreference(
            ASB.Type(int(self.type)),
            None if self.truncation_size is None else ASB.TruncationSize(self.truncation_size),
            None if self.all_or_none is None else ASB.AllOrNone(self.all_or_none),
            None if self.preview is None else ASB.Preview(self.preview),
        )

    @classmethod
    def from_element(cls, el: Element) -> BodyPreference:
        return cls(
            type=req_int(el, "AirSyncBase:Type"),
            truncation_size=opt_int(el, "AirSyncBase:TruncationSize"),
            all_or_none=opt_bool(el, "AirSyncBase:AllOrNone"),
            preview=opt_int(el, "AirSyncBase:Preview"),
        )


@dataclass(frozen=True, slots=True)
class SyncOptions:
    """AirSync:Options of a collection (MS-ASCMD 2.2.3.125.6).

    ``body_preferences`` are AirSyncBase (12.0+); 2.5 clients use ``truncation`` (AirSync:
    Truncation, an enumerated size 0-9) instead. ``mime_truncation`` is the MIMETruncation
    enumeration (0-8). ``class_`` names the class an Options block applies to when a collection
    has two (SMS in the Inbox, 14.0+).
    """

    filter_type: FilterType | int | None = None
    body_preferences: tuple[BodyPreference, ...] = ()
    conflict: Conflict | int | None = None
    mime_support: MIMESupport | int | None = None
    mime_truncation: int | None = None
    truncation: int | None = None
    max_items: int | None = None
    class_: str | None = None

    def __post_init__(self) -> None:
        as_tuples(self, "body_preferences")

    def to_element(self, version: str = "14.1") -> Element:
        return A.Options(
            _opt("Class", self.class_),
            _opt("FilterType", None if self.filter_type is None else int(self.filter_type)),
            *(p.to_element(version) for p in self.body_preferences),
            _opt("Conflict", None if self.conflict is None else int(self.conflict)),
            _opt("MIMESupport", None if self.mime_support is None else int(self.mime_support)),
            _opt("MIMETruncation", self.mime_truncation),
            _opt("Truncation", self.truncation),
            _opt("MaxItems", self.max_items),
        )

    @classmethod
    def from_element(cls, el: Element) -> SyncOptions:
        filter_type = opt_int(el, "AirSync:FilterType")
        conflict = opt_int(el, "AirSync:Conflict")
        mime = opt_int(el, "AirSync:MIMESupport")
        return cls(
            filter_type=None if filter_type is None else code_of(FilterType, filter_type),
            body_preferences=tuple(
                BodyPreference.from_element(p) for p in el.findall("AirSyncBase:BodyPreference")
            ),
            conflict=None if conflict is None else code_of(Conflict, conflict),
            mime_support=None if mime is None else code_of(MIMESupport, mime),
            mime_truncation=opt_int(el, "AirSync:MIMETruncation"),
            truncation=opt_int(el, "AirSync:Truncation"),
            max_items=opt_int(el, "AirSync:MaxItems"),
            class_=opt_text(el, "AirSync:Class"),
        )


@dataclass(frozen=True, slots=True)
class ClientAdd:
    """A client Add (MS-ASCMD 2.2.3.7.2): a new item with a client-chosen ``client_id``."""

    client_id: str
    application_data: ApplicationData
    class_: str | None = None  # 2.5, or SMS in 14.x

    def to_element(self, version: str = "14.1") -> Element:
        return A.Add(
            _opt("Class", self.class_),
            A.ClientId(self.client_id),
            _app_to_element(self.application_data, version),
        )


@dataclass(frozen=True, slots=True)
class ClientChange:
    """A client Change (MS-ASCMD 2.2.3.24): new values for some fields of ``server_id``."""

    server_id: str
    application_data: ApplicationData
    class_: str | None = None

    def to_element(self, version: str = "14.1") -> Element:
        return A.Change(
            _opt("Class", self.class_),
            A.ServerId(self.server_id),
            _app_to_element(self.application_data, version),
        )


@dataclass(frozen=True, slots=True)
class ClientDelete:
    """A client Delete (MS-ASCMD 2.2.3.42.2)."""

    server_id: str
    class_: str | None = None

    def to_element(self, version: str = "14.1") -> Element:
        return A.Delete(_opt("Class", self.class_), A.ServerId(self.server_id))


@dataclass(frozen=True, slots=True)
class ClientFetch:
    """A client Fetch (MS-ASCMD, Fetch in Sync): ask for one item in full."""

    server_id: str

    def to_element(self, version: str = "14.1") -> Element:
        return A.Fetch(A.ServerId(self.server_id))


ClientCommand = ClientAdd | ClientChange | ClientDelete | ClientFetch


def _client_command_from_element(el: Element, class_: str | None) -> ClientCommand:
    own_class = opt_text(el, "AirSync:Class")
    if el.name == "Add":
        return ClientAdd(
            text(el, "AirSync:ClientId"),
            _app_from_element(child(el, "AirSync:ApplicationData"), own_class or class_),
            own_class,
        )
    if el.name == "Change":
        return ClientChange(
            text(el, "AirSync:ServerId"),
            _app_from_element(child(el, "AirSync:ApplicationData"), own_class or class_),
            own_class,
        )
    if el.name == "Delete":
        return ClientDelete(text(el, "AirSync:ServerId"), own_class)
    if el.name == "Fetch":
        return ClientFetch(text(el, "AirSync:ServerId"))
    raise ProtocolError(f"unknown Sync client command {el.tag}", element=el.tag)


@dataclass(frozen=True, slots=True)
class SyncCollectionRequest:
    """One AirSync:Collection of a Sync request (MS-ASCMD 2.2.3.29.2), in the spec's strict
    element order: (Class), SyncKey, CollectionId, Supported, DeletesAsMoves, GetChanges,
    WindowSize, ConversationMode, Options, Commands.

    ``class_`` is written only for 2.5 to 12.1, where the request names the collection's class.
    ``options`` may hold two blocks (mail and SMS, 14.0+). ``supported`` is kept raw
    (the element, for contacts and calendar ghosting).
    """

    sync_key: str
    collection_id: str
    get_changes: bool | None = None
    window_size: int | None = None
    options: tuple[SyncOptions, ...] = ()
    commands: tuple[ClientCommand, ...] = ()
    deletes_as_moves: bool | None = None
    conversation_mode: bool | None = None
    class_: str | None = None
    supported: Element | None = None

    def __post_init__(self) -> None:
        as_tuples(self, "options", "commands")

    def to_element(self, version: str = "14.1") -> Element:
        legacy_class = self.class_ if not version_at_least(version, "14.0") else None
        return A.Collection(
            _opt("Class", legacy_class),
            A.SyncKey(self.sync_key),
            A.CollectionId(self.collection_id),
            self.supported,
            _opt("DeletesAsMoves", self.deletes_as_moves),
            _get_changes_element(self.get_changes),
            _opt("WindowSize", self.window_size),
            _opt("ConversationMode", self.conversation_mode),
            *(o.to_element(version) for o in self.options),
            A.Commands(*(c.to_element(version) for c in self.commands)) if self.commands else None,
        )

    @classmethod
    def from_element(cls, el: Element) -> SyncCollectionRequest:
        class_ = opt_text(el, "AirSync:Class")
        commands = el.find("AirSync:Commands")
        return cls(
            sync_key=text(el, "AirSync:SyncKey"),
            collection_id=text(el, "AirSync:CollectionId"),
            get_changes=_get_changes(el),
            window_size=opt_int(el, "AirSync:WindowSize"),
            options=tuple(SyncOptions.from_element(o) for o in el.findall("AirSync:Options")),
            commands=()
            if commands is None
            else tuple(_client_command_from_element(c, class_) for c in commands),
            deletes_as_moves=opt_bool(el, "AirSync:DeletesAsMoves"),
            conversation_mode=opt_bool(el, "AirSync:ConversationMode"),
            class_=class_,
            supported=el.find("AirSync:Supported"),
        )


def _get_changes_element(value: bool | None) -> Element | None:
    # True is written as an empty element, the form every version's examples use; False as 0.
    if value is None:
        return None
    return A.GetChanges() if value else A.GetChanges("0")


def _get_changes(el: Element) -> bool | None:
    """GetChanges: an empty element means true (MS-ASCMD 2.2.3.84); "0"/"1" are explicit."""
    found = el.find("AirSync:GetChanges")
    if found is None:
        return None
    value = found.text
    if value is None or value == "1":
        return True
    if value == "0":
        return False
    raise ProtocolError(
        f"AirSync:GetChanges must be empty, 0 or 1, got {excerpt(value)}", value=value
    )


@dataclass(frozen=True, slots=True)
class SyncRequest:
    """A Sync request (MS-ASCMD 2.2.1.21).

    ``wait`` (minutes, 1-59, 12.1+) and ``heartbeat_interval`` (seconds, 60-3540, 14.0+) ask
    the server to hold the request until changes arrive; the spec forbids sending both. They
    are written as given (a test client may want to send bad values on purpose); the server
    answers status 14 with a ``Limit`` when they are out of range. ``partial`` (12.1+) says the
    request lists only some collections and the server is to use its cached list for the rest.
    A request with nothing at all is the empty Sync of 12.1+ (resend the cached request).
    """

    collections: tuple[SyncCollectionRequest, ...] = ()
    wait: int | None = None
    heartbeat_interval: int | None = None
    window_size: int | None = None
    partial: bool = False

    def __post_init__(self) -> None:
        as_tuples(self, "collections")

    def to_element(self, version: str = "14.1") -> Element:
        return prune(
            A.Sync(
                A.Collections(*(c.to_element(version) for c in self.collections))
                if self.collections
                else None,
                _opt("Wait", self.wait),
                _opt("HeartbeatInterval", self.heartbeat_interval),
                _opt("WindowSize", self.window_size),
                A.Partial() if self.partial else None,
            ),
            version,
        )

    @classmethod
    def from_element(cls, el: Element) -> SyncRequest:
        expect_root(el, "AirSync:Sync")
        partial = el.find("AirSync:Partial")
        return cls(
            collections=tuple(
                SyncCollectionRequest.from_element(c)
                for c in el.findall("AirSync:Collections/AirSync:Collection")
            ),
            wait=opt_int(el, "AirSync:Wait"),
            heartbeat_interval=opt_int(el, "AirSync:HeartbeatInterval"),
            window_size=opt_int(el, "AirSync:WindowSize"),
            # Partial is an empty element; some clients write 1, and 0 means "not partial".
            partial=partial is not None and partial.text != "0",
        )


# -- response --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SyncAdd:
    """A server Add (MS-ASCMD 2.2.3.7.2): a new item for the client."""

    server_id: str
    application_data: ApplicationData | None = None
    class_: str | None = None


@dataclass(frozen=True, slots=True)
class SyncChange:
    """A server Change (MS-ASCMD 2.2.3.24): changed fields of an item the client has."""

    server_id: str
    application_data: ApplicationData | None = None
    class_: str | None = None


@dataclass(frozen=True, slots=True)
class SyncDelete:
    """A server Delete (MS-ASCMD 2.2.3.42.2): the item is gone."""

    server_id: str
    class_: str | None = None


@dataclass(frozen=True, slots=True)
class SyncSoftDelete:
    """A server SoftDelete (MS-ASCMD, SoftDelete element): the item left the filter window.

    The client removes it locally but it still exists on the server.
    """

    server_id: str


ServerCommand = SyncAdd | SyncChange | SyncDelete | SyncSoftDelete


def _server_command_to_element(cmd: ServerCommand, version: str) -> Element:
    if isinstance(cmd, SyncSoftDelete):
        return A.SoftDelete(A.ServerId(cmd.server_id))
    if isinstance(cmd, SyncDelete):
        return A.Delete(_opt("Class", cmd.class_), A.ServerId(cmd.server_id))
    tag = "Add" if isinstance(cmd, SyncAdd) else "Change"
    return A(
        tag,
        _opt("Class", cmd.class_),
        A.ServerId(cmd.server_id),
        None if cmd.application_data is None else _app_to_element(cmd.application_data, version),
    )


def _server_command_from_element(el: Element, class_: str | None) -> ServerCommand:
    own_class = opt_text(el, "AirSync:Class")
    server_id = text(el, "AirSync:ServerId")
    if el.name == "Add":
        return SyncAdd(server_id, _opt_app(el, own_class or class_), own_class)
    if el.name == "Change":
        return SyncChange(server_id, _opt_app(el, own_class or class_), own_class)
    if el.name == "Delete":
        return SyncDelete(server_id, own_class)
    if el.name == "SoftDelete":
        return SyncSoftDelete(server_id)
    raise ProtocolError(f"unknown Sync server command {el.tag}", element=el.tag)


@dataclass(frozen=True, slots=True)
class SyncItemResponse:
    """The server's answer to one client command, in ``Responses`` (MS-ASCMD 2.2.3.154).

    ``command`` is "Add", "Change", "Delete" or "Fetch". For Add the server gives the
    ``server_id`` it assigned to ``client_id``; for Fetch the item's ``application_data``.
    """

    command: str
    status: SyncStatus | int
    server_id: str | None = None
    client_id: str | None = None
    class_: str | None = None
    application_data: ApplicationData | None = None

    def to_element(self, version: str = "14.1") -> Element:
        return A(
            self.command,
            _opt("Class", self.class_),
            _opt("ClientId", self.client_id),
            _opt("ServerId", self.server_id),
            A.Status(int(self.status)),
            None
            if self.application_data is None
            else _app_to_element(self.application_data, version),
        )

    @classmethod
    def from_element(cls, el: Element, class_: str | None = None) -> SyncItemResponse:
        own_class = opt_text(el, "AirSync:Class")
        return cls(
            command=el.name,
            status=status(el, "AirSync:Status", SyncStatus),
            server_id=opt_text(el, "AirSync:ServerId"),
            client_id=opt_text(el, "AirSync:ClientId"),
            class_=own_class,
            application_data=_opt_app(el, own_class or class_),
        )


@dataclass(frozen=True, slots=True)
class SyncCollectionResponse:
    """One AirSync:Collection of a Sync response (MS-ASCMD 2.2.3.29.2).

    ``sync_key`` is the key for the next request; ``status`` may be an error for this
    collection alone (e.g. 3: restart from SyncKey 0). ``more_available`` says another Sync
    will return more changes (the window was full).
    """

    collection_id: str
    status: SyncStatus | int
    sync_key: str | None = None
    more_available: bool = False
    commands: tuple[ServerCommand, ...] = ()
    responses: tuple[SyncItemResponse, ...] = ()
    class_: str | None = None

    def __post_init__(self) -> None:
        as_tuples(self, "commands", "responses")

    def to_element(self, version: str = "14.1") -> Element:
        legacy_class = self.class_ if not version_at_least(version, "14.0") else None
        return A.Collection(
            _opt("Class", legacy_class),
            _opt("SyncKey", self.sync_key),
            A.CollectionId(self.collection_id),
            A.Status(int(self.status)),
            A.MoreAvailable() if self.more_available else None,
            A.Commands(*(_server_command_to_element(c, version) for c in self.commands))
            if self.commands
            else None,
            A.Responses(*(r.to_element(version) for r in self.responses))
            if self.responses
            else None,
        )

    @classmethod
    def from_element(
        cls, el: Element, classes: Mapping[str, str] | None = None
    ) -> SyncCollectionResponse:
        collection_id = text(el, "AirSync:CollectionId")
        class_ = opt_text(el, "AirSync:Class")
        hint = class_ or (classes or {}).get(collection_id)
        commands = el.find("AirSync:Commands")
        responses = el.find("AirSync:Responses")
        return cls(
            collection_id=collection_id,
            status=_collection_status(el),
            sync_key=opt_text(el, "AirSync:SyncKey"),
            more_available=el.find("AirSync:MoreAvailable") is not None,
            commands=()
            if commands is None
            else tuple(_server_command_from_element(c, hint) for c in commands),
            responses=()
            if responses is None
            else tuple(SyncItemResponse.from_element(r, hint) for r in responses),
            class_=class_,
        )


def _collection_status(el: Element) -> SyncStatus | int:
    # Some servers leave out a collection's Status on success; 1 is what that means.
    code = opt_status(el, "AirSync:Status", SyncStatus)
    return SyncStatus.Success if code is None else code


@dataclass(frozen=True, slots=True)
class SyncResponse:
    """A Sync response (MS-ASCMD 2.2.1.21).

    ``status`` is the top-level Status, present only when the whole request failed (e.g. 4
    protocol error, 12 hierarchy changed, 13 incomplete request, 14 bad Wait/HeartbeatInterval,
    or a global 1xx); ``limit`` is the allowed Wait/HeartbeatInterval bound sent with 14.
    """

    collections: tuple[SyncCollectionResponse, ...] = ()
    status: SyncStatus | int | None = None
    limit: int | None = None

    def __post_init__(self) -> None:
        as_tuples(self, "collections")

    @property
    def ok(self) -> bool:
        """No top-level error (per-collection statuses may still report one)."""
        return self.status is None or self.status == SyncStatus.Success

    def collection(self, collection_id: str) -> SyncCollectionResponse | None:
        """The result for ``collection_id``, if the response has one."""
        return next((c for c in self.collections if c.collection_id == collection_id), None)

    def to_element(self, version: str = "14.1") -> Element:
        return prune(
            A.Sync(
                None if self.status is None else A.Status(int(self.status)),
                _opt("Limit", self.limit),
                A.Collections(*(c.to_element(version) for c in self.collections))
                if self.collections
                else None,
            ),
            version,
        )

    @classmethod
    def from_element(cls, el: Element, classes: Mapping[str, str] | None = None) -> SyncResponse:
        """Read a Sync response; ``classes`` maps CollectionId to class ("Email", "Calendar",
        …) for responses that do not name it (12.1+); without it, mail is recognised by its
        Email-namespace fields."""
        expect_root(el, "AirSync:Sync")
        return cls(
            collections=tuple(
                SyncCollectionResponse.from_element(c, classes)
                for c in el.findall("AirSync:Collections/AirSync:Collection")
            ),
            status=opt_status(el, "AirSync:Status", SyncStatus),
            limit=opt_int(el, "AirSync:Limit"),
        )


def parse_sync_body(el: Element | None, classes: Mapping[str, str] | None = None) -> SyncResponse:
    """A Sync response from a decoded body; ``None`` (an empty HTTP 200 body) means no changes.

    An empty body answers an empty or Wait/HeartbeatInterval Sync when nothing changed; the
    client keeps its SyncKeys (MS-ASCMD 2.2.1.21).
    """
    if el is None:
        return SyncResponse()
    return SyncResponse.from_element(el, classes)


__all__ = [
    "INITIAL_SYNC_KEY",
    "ApplicationData",
    "BodyPreference",
    "ClientAdd",
    "ClientChange",
    "ClientCommand",
    "ClientDelete",
    "ClientFetch",
    "Conflict",
    "ContentItem",
    "FilterType",
    "MIMESupport",
    "ServerCommand",
    "SyncAdd",
    "SyncChange",
    "SyncCollectionRequest",
    "SyncCollectionResponse",
    "SyncDelete",
    "SyncItemResponse",
    "SyncOptions",
    "SyncRequest",
    "SyncResponse",
    "SyncSoftDelete",
    "parse_application_data",
    "parse_sync_body",
]
