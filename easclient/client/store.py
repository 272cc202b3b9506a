"""What a device's state store answers: the calls :class:`~easclient.client.EasClient` makes.

Two stores implement it: :class:`~easclient.client.DeviceState` (an SQLite file, so a killed run
resumes; one real device) and :class:`~easclient.client.MemoryState` (memory only; fleets of
simulated devices). A store keeps the protocol's state (MS-ASCMD): the policy key, the folder
hierarchy and its SyncKey, a SyncKey per collection and the items each holds.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import Protocol, runtime_checkable

from .state import ApplyResult, Folder, ItemUpdate, StoredItem


@runtime_checkable
class StateStore(Protocol):
    """A device's persisted protocol state (see the module docstring)."""

    @property
    def path(self) -> str | os.PathLike[str]:
        """Where the state lives (a file, or ``:memory:``), for messages."""
        ...

    # -- device-level values (MetaValues gives both stores these) ----------------------------
    @property
    def protocol_version(self) -> str | None: ...
    @protocol_version.setter
    def protocol_version(self, value: str | None) -> None: ...
    @property
    def policy_key(self) -> int | None: ...
    @policy_key.setter
    def policy_key(self, value: int | None) -> None: ...
    @property
    def folder_sync_key(self) -> str: ...

    def get_meta(self, key: str) -> str | None: ...
    def set_meta(self, key: str, value: str | None) -> None: ...
    def record_event(self, kind: str, detail: str | None = None) -> None: ...

    # -- the folder hierarchy (FolderSync, MS-ASCMD 2.2.1.5) ---------------------------------
    def folders(self) -> list[Folder]: ...
    def apply_folder_sync(
        self,
        new_sync_key: str,
        *,
        adds: Iterable[Folder] = (),
        updates: Iterable[Folder] = (),
        deletes: Iterable[str] = (),
        expected_sync_key: str | None = None,
    ) -> None: ...
    def reset_hierarchy(self) -> None: ...

    # -- collections (Sync, MS-ASCMD 2.2.1.21) -----------------------------------------------
    def sync_key(self, collection_id: str) -> str: ...
    def sync_keys(self) -> dict[str, str]: ...
    def apply_sync(
        self,
        collection_id: str,
        new_sync_key: str,
        *,
        expected_sync_key: str,
        adds: Iterable[StoredItem] = (),
        changes: Iterable[ItemUpdate] = (),
        deletes: Iterable[str] = (),
        class_: str | None = None,
    ) -> ApplyResult: ...
    def reset_collection(self, collection_id: str) -> int: ...
    def items(self, collection_id: str) -> Sequence[StoredItem]:
        """The items held in a collection; a store that keeps no item data returns each with
        only its ServerId (digest '')."""
        ...

    def item_count(self, collection_id: str) -> int: ...
    def close(self) -> None: ...
