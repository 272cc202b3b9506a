"""FolderSync as a state machine, sans I/O (MS-ASCMD 2.2.1.5).

:class:`FolderSyncFlow` starts from the hierarchy's SyncKey, is fed the parsed answers
(:class:`FolderSyncResponse`) and returns the next request or an outcome:

- Status 1: a :class:`HierarchyUpdate` — the folders added, updated and deleted and the new
  SyncKey, to apply to the stored hierarchy in one go (``expected_sync_key`` is the key the
  answer replaces);
- Status 9 (invalid SyncKey, MS-ASCMD 2.2.3.177.5) to a key other than "0": the next request
  asks for the whole hierarchy again from SyncKey "0", and the update it brings says
  ``restarted`` (the old hierarchy is to be dropped first);
- any other status (or 9 to SyncKey "0"): a :class:`FolderSyncFailed`.
"""

from __future__ import annotations

from dataclasses import dataclass

from .foldersync import FolderAdd, FolderSyncRequest, FolderSyncResponse, FolderUpdate
from .status import FolderSyncStatus
from .sync import INITIAL_SYNC_KEY

__all__ = ["FolderSyncFailed", "FolderSyncFlow", "HierarchyUpdate"]


@dataclass(frozen=True, slots=True)
class HierarchyUpdate:
    """A successful FolderSync, to apply to the stored hierarchy (MS-ASCMD 2.2.1.5, Changes).

    ``restarted``: the flow started again from SyncKey "0" after Status 9, so the stored
    hierarchy (folders, their collections and items) is dropped before this is applied.
    """

    sync_key: str
    expected_sync_key: str
    added: tuple[FolderAdd, ...] = ()
    updated: tuple[FolderUpdate, ...] = ()
    deleted: tuple[str, ...] = ()
    restarted: bool = False


@dataclass(frozen=True, slots=True)
class FolderSyncFailed:
    """A FolderSync that ended with a status the client cannot recover from."""

    status: FolderSyncStatus | int
    sync_key: str


class FolderSyncFlow:
    """One FolderSync from ``sync_key`` (MS-ASCMD 2.2.1.5), restarting once on Status 9."""

    def __init__(self, sync_key: str = INITIAL_SYNC_KEY) -> None:
        self.sync_key = sync_key
        self.restarted = False

    def request(self) -> FolderSyncRequest:
        """The request to send now."""
        return FolderSyncRequest(self.sync_key)

    def receive(
        self, answer: FolderSyncResponse
    ) -> FolderSyncRequest | HierarchyUpdate | FolderSyncFailed:
        """The next request (after Status 9), the update to apply, or the failure."""
        if answer.status == FolderSyncStatus.InvalidSyncKey and self.sync_key != INITIAL_SYNC_KEY:
            self.sync_key = INITIAL_SYNC_KEY
            self.restarted = True
            return self.request()
        if answer.status != FolderSyncStatus.Success or answer.sync_key is None:
            return FolderSyncFailed(answer.status, self.sync_key)
        return HierarchyUpdate(
            answer.sync_key,
            self.sync_key,
            answer.added,
            answer.updated,
            tuple(f.server_id for f in answer.deleted),
            self.restarted,
        )
