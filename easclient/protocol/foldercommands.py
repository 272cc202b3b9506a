"""FolderCreate, FolderUpdate and FolderDelete (MS-ASCMD 2.2.1.3, 2.2.1.6, 2.2.1.4): the
device changes the folder hierarchy.

Each request carries the hierarchy's current SyncKey (the one FolderSync last returned) and each
successful response a new one, which the device keeps as its FolderSync key: the change is then
not sent back to it by the next FolderSync. Statuses are FolderSync's (MS-ASCMD 2.2.3.177.3,
.4, .6): 2 the folder exists, 3 a special folder, 4 no such folder, 5 no such parent, 9 stale
SyncKey (run FolderSync from "0" first).
"""

from __future__ import annotations

from dataclasses import dataclass

from easclient.wbxml import Element, ns

from ._elements import code_of, expect_root, opt_text, req_int, status, text
from .errors import ProtocolError
from .foldersync import FolderType
from .status import FolderSyncStatus, status_of

__all__ = [
    "FolderCreateRequest",
    "FolderCreateResponse",
    "FolderDeleteRequest",
    "FolderDeleteResponse",
    "FolderUpdateRequest",
    "FolderUpdateResponse",
]

F = ns("FolderHierarchy")


def _answer(el: Element, root: str) -> tuple[FolderSyncStatus | int, str | None]:
    expect_root(el, root)
    code = status(el, "FolderHierarchy:Status", FolderSyncStatus)
    key = opt_text(el, "FolderHierarchy:SyncKey")
    if code == FolderSyncStatus.Success and not key:
        raise ProtocolError(f"{root} succeeded without a SyncKey", element=root)
    return code, key


def _status_and_key(status_: int, sync_key: str | None) -> list[Element]:
    out = [F.Status(int(status_))]
    if sync_key is not None:
        out.append(F.SyncKey(sync_key))
    return out


@dataclass(frozen=True, slots=True)
class FolderCreateRequest:
    """A new folder ``display_name`` of ``type`` under ``parent_id`` ("0": the root)."""

    sync_key: str
    parent_id: str
    display_name: str
    type: FolderType | int = FolderType.UserMail

    def __post_init__(self) -> None:
        object.__setattr__(self, "type", code_of(FolderType, int(self.type)))
        if not self.display_name:
            raise ValueError("FolderCreate needs a DisplayName")

    def to_element(self, version: str = "14.1") -> Element:
        return F.FolderCreate(
            F.SyncKey(self.sync_key),
            F.ParentId(self.parent_id),
            F.DisplayName(self.display_name),
            F.Type(int(self.type)),
        )

    @classmethod
    def from_element(cls, el: Element) -> FolderCreateRequest:
        expect_root(el, "FolderHierarchy:FolderCreate")
        name = text(el, "FolderHierarchy:DisplayName")
        if not name:
            raise ProtocolError("FolderCreate with an empty DisplayName", element=el.tag)
        return cls(
            text(el, "FolderHierarchy:SyncKey"),
            text(el, "FolderHierarchy:ParentId"),
            name,
            req_int(el, "FolderHierarchy:Type"),
        )


@dataclass(frozen=True, slots=True)
class FolderCreateResponse:
    """``server_id`` is the new folder's; ``sync_key`` the hierarchy's new key."""

    status: FolderSyncStatus | int
    sync_key: str | None = None
    server_id: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", status_of(FolderSyncStatus, self.status))

    @property
    def ok(self) -> bool:
        return self.status == FolderSyncStatus.Success

    def to_element(self, version: str = "14.1") -> Element:
        children = _status_and_key(self.status, self.sync_key)
        if self.server_id is not None:
            children.append(F.ServerId(self.server_id))
        return F.FolderCreate(*children)

    @classmethod
    def from_element(cls, el: Element) -> FolderCreateResponse:
        code, key = _answer(el, "FolderHierarchy:FolderCreate")
        server_id = opt_text(el, "FolderHierarchy:ServerId")
        if code == FolderSyncStatus.Success and not server_id:
            raise ProtocolError("FolderCreate succeeded without the new folder's ServerId")
        return cls(code, key, server_id)


@dataclass(frozen=True, slots=True)
class FolderUpdateRequest:
    """Rename folder ``server_id`` to ``display_name`` and/or move it under ``parent_id``."""

    sync_key: str
    server_id: str
    parent_id: str
    display_name: str

    def to_element(self, version: str = "14.1") -> Element:
        return F.FolderUpdate(
            F.SyncKey(self.sync_key),
            F.ServerId(self.server_id),
            F.ParentId(self.parent_id),
            F.DisplayName(self.display_name),
        )

    @classmethod
    def from_element(cls, el: Element) -> FolderUpdateRequest:
        expect_root(el, "FolderHierarchy:FolderUpdate")
        return cls(
            text(el, "FolderHierarchy:SyncKey"),
            text(el, "FolderHierarchy:ServerId"),
            text(el, "FolderHierarchy:ParentId"),
            text(el, "FolderHierarchy:DisplayName"),
        )


@dataclass(frozen=True, slots=True)
class FolderDeleteRequest:
    """Delete folder ``server_id`` (and what it holds)."""

    sync_key: str
    server_id: str

    def to_element(self, version: str = "14.1") -> Element:
        return F.FolderDelete(F.SyncKey(self.sync_key), F.ServerId(self.server_id))

    @classmethod
    def from_element(cls, el: Element) -> FolderDeleteRequest:
        expect_root(el, "FolderHierarchy:FolderDelete")
        return cls(text(el, "FolderHierarchy:SyncKey"), text(el, "FolderHierarchy:ServerId"))


@dataclass(frozen=True, slots=True)
class _KeyedAnswer:
    status: FolderSyncStatus | int
    sync_key: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", status_of(FolderSyncStatus, self.status))

    @property
    def ok(self) -> bool:
        return self.status == FolderSyncStatus.Success


@dataclass(frozen=True, slots=True)
class FolderUpdateResponse(_KeyedAnswer):
    """Status and the hierarchy's new SyncKey."""

    def to_element(self, version: str = "14.1") -> Element:
        return F.FolderUpdate(*_status_and_key(self.status, self.sync_key))

    @classmethod
    def from_element(cls, el: Element) -> FolderUpdateResponse:
        return cls(*_answer(el, "FolderHierarchy:FolderUpdate"))


@dataclass(frozen=True, slots=True)
class FolderDeleteResponse(_KeyedAnswer):
    """Status and the hierarchy's new SyncKey."""

    def to_element(self, version: str = "14.1") -> Element:
        return F.FolderDelete(*_status_and_key(self.status, self.sync_key))

    @classmethod
    def from_element(cls, el: Element) -> FolderDeleteResponse:
        return cls(*_answer(el, "FolderHierarchy:FolderDelete"))
