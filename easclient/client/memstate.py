"""A device's state held in memory, for fleets of thousands of simulated devices.

:class:`~easclient.client.DeviceState` keeps everything in an SQLite file, which is right for one
real device and wrong for 18,000 simulated ones (a connection and a file descriptor each). This
class answers the same calls (:class:`~easclient.client.StateStore`), keeps only what the
protocol needs to go on (SyncKeys, policy key, folders, the ServerIds held per collection), and
hands every added item to ``on_add`` so the load generator can time push deliveries. It is also
the default of :meth:`EasClient.connect <easclient.client.EasClient.connect>`: nothing on disk.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from .state import ApplyResult, Folder, ItemUpdate, MetaValues, StateError, StoredItem


class MemoryState(MetaValues):
    """In-memory stand-in for :class:`~easclient.client.DeviceState` (same method names)."""

    __slots__ = (
        "_collections",
        "_folders",
        "_meta",
        "events_seen",
        "on_add",
        "path",
    )

    def __init__(self, on_add: Callable[[str, StoredItem], None] | None = None) -> None:
        self.path = ":memory:"
        self._meta: dict[str, str] = {}
        self._folders: dict[str, Folder] = {}
        # collection id -> (SyncKey, ServerIds held)
        self._collections: dict[str, tuple[str, set[str]]] = {}
        self.events_seen: dict[str, int] = {}
        self.on_add = on_add

    def close(self) -> None:
        """Nothing to release (same surface as DeviceState)."""

    def __enter__(self) -> MemoryState:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- meta -------------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        return self._meta.get(key)

    def set_meta(self, key: str, value: str | None) -> None:
        if value is None:
            self._meta.pop(key, None)
        else:
            self._meta[key] = value

    def record_event(self, kind: str, detail: str | None = None) -> None:
        # Only counted: a fleet's events go to the load statistics, not to each device.
        self.events_seen[kind] = self.events_seen.get(kind, 0) + 1

    # -- folders ----------------------------------------------------------------------------
    def folders(self) -> list[Folder]:
        return [self._folders[k] for k in sorted(self._folders)]

    def apply_folder_sync(
        self,
        new_sync_key: str,
        *,
        adds: Iterable[Folder] = (),
        updates: Iterable[Folder] = (),
        deletes: Iterable[str] = (),
        expected_sync_key: str | None = None,
    ) -> None:
        if expected_sync_key is not None and self.folder_sync_key != expected_sync_key:
            raise StateError(
                f"folder SyncKey changed under us: expected {expected_sync_key!r}, "
                f"found {self.folder_sync_key!r}"
            )
        for f in [*adds, *updates]:
            self._folders[f.server_id] = f
        for server_id in deletes:
            self._folders.pop(server_id, None)
            self._collections.pop(server_id, None)
        self._meta["folder_sync_key"] = new_sync_key

    def reset_hierarchy(self) -> None:
        self._folders.clear()
        self._collections.clear()
        self._meta["folder_sync_key"] = "0"

    # -- collections ------------------------------------------------------------------------
    def sync_key(self, collection_id: str) -> str:
        entry = self._collections.get(collection_id)
        return "0" if entry is None else entry[0]

    def sync_keys(self) -> dict[str, str]:
        return {cid: key for cid, (key, _) in self._collections.items()}

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
    ) -> ApplyResult:
        key, held = self._collections.get(collection_id, ("0", set()))
        if key != expected_sync_key:
            raise StateError(
                f"SyncKey of collection {collection_id} changed under us: expected "
                f"{expected_sync_key!r}, found {key!r}"
            )
        result = ApplyResult()
        for item in adds:
            if item.server_id not in held:
                held.add(item.server_id)
                result.added += 1
                if self.on_add is not None:
                    self.on_add(collection_id, item)
        for change in changes:
            result.changed += change.server_id in held
        for server_id in deletes:
            if server_id in held:
                held.discard(server_id)
                result.deleted += 1
        self._collections[collection_id] = (new_sync_key, held)
        return result

    def reset_collection(self, collection_id: str) -> int:
        entry = self._collections.pop(collection_id, None)
        return 0 if entry is None else len(entry[1])

    def items(self, collection_id: str) -> list[StoredItem]:
        """The items held, by ServerId only: no subjects or digests are kept here, so a resync
        after Sync Status 3 counts items added and deleted, not changed."""
        entry = self._collections.get(collection_id)
        return [] if entry is None else [StoredItem(s) for s in sorted(entry[1])]

    def item_count(self, collection_id: str) -> int:
        entry = self._collections.get(collection_id)
        return 0 if entry is None else len(entry[1])
