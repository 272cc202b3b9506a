"""FolderSync (MS-ASCMD 2.2.1.5): the folder hierarchy and its changes since a SyncKey.

Request ``FolderHierarchy:FolderSync{SyncKey}`` ("0" for the first sync); response
``FolderSync{Status, SyncKey, Changes{Count, Add|Update|Delete…}}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import ClassVar, Self

from easclient.wbxml import Element, ns

from ._elements import code_of, expect_root, opt_text, req_int, status, text
from .errors import ProtocolError
from .status import FolderSyncStatus, status_of

__all__ = [
    "FolderAdd",
    "FolderChange",
    "FolderDelete",
    "FolderSyncRequest",
    "FolderSyncResponse",
    "FolderType",
    "FolderUpdate",
    "folder_class",
]

F = ns("FolderHierarchy")


class FolderType(IntEnum):
    """FolderHierarchy Type (MS-ASCMD 2.2.3.186.3)."""

    UserGeneric = 1
    Inbox = 2
    Drafts = 3
    DeletedItems = 4
    SentItems = 5
    Outbox = 6
    Tasks = 7
    Calendar = 8
    Contacts = 9
    Notes = 10
    Journal = 11
    UserMail = 12
    UserCalendar = 13
    UserContacts = 14
    UserTasks = 15
    UserJournal = 16
    UserNotes = 17
    Unknown = 18
    RecipientInformationCache = 19


_CLASS_OF_TYPE = {
    # Type 1 (user-created generic) holds mail on Exchange; AOSP files it as mail too.
    **dict.fromkeys((1, 2, 3, 4, 5, 6, 12), "Email"),
    **dict.fromkeys((8, 13), "Calendar"),
    **dict.fromkeys((9, 14), "Contacts"),
    **dict.fromkeys((7, 15), "Tasks"),
    **dict.fromkeys((10, 17), "Notes"),
}


def folder_class(folder_type: int) -> str | None:
    """The Sync/Ping ``Class`` of items in a folder of this type, or None (journal, RI cache)."""
    return _CLASS_OF_TYPE.get(int(folder_type))


@dataclass(frozen=True, slots=True)
class _Folder:
    """What Add and Update carry alike: ServerId, ParentId, DisplayName, Type."""

    server_id: str
    parent_id: str
    display_name: str
    type: FolderType | int

    _TAG: ClassVar[str]

    def __post_init__(self) -> None:
        # a type this package does not know is kept as its int, not crashed on
        object.__setattr__(self, "type", code_of(FolderType, int(self.type)))

    def to_element(self, version: str = "14.1") -> Element:
        return F(
            self._TAG,
            F.ServerId(self.server_id),
            F.ParentId(self.parent_id),
            F.DisplayName(self.display_name),
            F.Type(int(self.type)),
        )

    @classmethod
    def from_element(cls, el: Element) -> Self:
        return cls(
            text(el, "FolderHierarchy:ServerId"),
            text(el, "FolderHierarchy:ParentId"),
            text(el, "FolderHierarchy:DisplayName"),
            req_int(el, "FolderHierarchy:Type"),  # __post_init__ makes it a FolderType
        )


@dataclass(frozen=True, slots=True)
class FolderAdd(_Folder):
    """A folder the client does not have yet (MS-ASCMD 2.2.3.7.2)."""

    _TAG: ClassVar[str] = "Add"


@dataclass(frozen=True, slots=True)
class FolderUpdate(_Folder):
    """A folder renamed or moved (MS-ASCMD 2.2.3.190.1)."""

    _TAG: ClassVar[str] = "Update"


@dataclass(frozen=True, slots=True)
class FolderDelete:
    """A folder gone from the server (MS-ASCMD 2.2.3.47.2)."""

    server_id: str

    def to_element(self, version: str = "14.1") -> Element:
        return F.Delete(F.ServerId(self.server_id))

    @classmethod
    def from_element(cls, el: Element) -> FolderDelete:
        return cls(text(el, "FolderHierarchy:ServerId"))


FolderChange = FolderAdd | FolderUpdate | FolderDelete


@dataclass(frozen=True, slots=True)
class FolderSyncRequest:
    """``FolderSync{SyncKey}``; SyncKey "0" asks for the whole hierarchy."""

    sync_key: str = "0"

    def to_element(self, version: str = "14.1") -> Element:
        return F.FolderSync(F.SyncKey(self.sync_key))

    @classmethod
    def from_element(cls, el: Element) -> FolderSyncRequest:
        expect_root(el, "FolderHierarchy:FolderSync")
        return cls(text(el, "FolderHierarchy:SyncKey"))


_CHANGE_TYPES: dict[str, type[FolderChange]] = {
    "Add": FolderAdd,
    "Update": FolderUpdate,
    "Delete": FolderDelete,
}


@dataclass(frozen=True, slots=True)
class FolderSyncResponse:
    """The server's answer. ``sync_key`` and ``changes`` are absent when ``status`` is not 1.

    Statuses: :class:`FolderSyncStatus` (MS-ASCMD 2.2.3.177.5), a global code (101-177) or an
    unknown int. Status 9 means: start again from SyncKey "0".
    """

    status: FolderSyncStatus | int
    sync_key: str | None = None
    changes: tuple[FolderChange, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "changes", tuple(self.changes))
        object.__setattr__(self, "status", status_of(FolderSyncStatus, self.status))

    @property
    def added(self) -> tuple[FolderAdd, ...]:
        return tuple(c for c in self.changes if isinstance(c, FolderAdd))

    @property
    def updated(self) -> tuple[FolderUpdate, ...]:
        return tuple(c for c in self.changes if isinstance(c, FolderUpdate))

    @property
    def deleted(self) -> tuple[FolderDelete, ...]:
        return tuple(c for c in self.changes if isinstance(c, FolderDelete))

    def to_element(self, version: str = "14.1") -> Element:
        children = [F.Status(int(self.status))]
        if self.sync_key is not None:
            children.append(F.SyncKey(self.sync_key))
        if self.sync_key is not None or self.changes:
            children.append(
                F.Changes(
                    F.Count(len(self.changes)), *(c.to_element(version) for c in self.changes)
                )
            )
        return F.FolderSync(*children)

    @classmethod
    def from_element(cls, el: Element) -> FolderSyncResponse:
        expect_root(el, "FolderHierarchy:FolderSync")
        changes: list[FolderChange] = []
        block = el.find("FolderHierarchy:Changes")
        for child in block or ():
            kind = _CHANGE_TYPES.get(child.name) if child.namespace == "FolderHierarchy" else None
            if kind is not None:  # Count is derived; unknown elements are ignored
                changes.append(kind.from_element(child))
        sync_key = opt_text(el, "FolderHierarchy:SyncKey")
        code = status(el, "FolderHierarchy:Status", FolderSyncStatus)
        if code == FolderSyncStatus.Success and sync_key is None:
            raise ProtocolError(
                "FolderSync succeeded without a SyncKey", element="FolderHierarchy:SyncKey"
            )
        return cls(status=code, sync_key=sync_key, changes=tuple(changes))
