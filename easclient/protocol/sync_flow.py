"""The Sync window loop of one collection as a state machine, sans I/O (MS-ASCMD 2.2.1.21).

:class:`SyncCollectionFlow` says which request to send (:meth:`~SyncCollectionFlow.next_request`)
and reads each parsed answer (:class:`SyncResponse`, :meth:`~SyncCollectionFlow.receive`):

- SyncKey "0" primes the collection: a request without GetChanges and Options (MS-ASCMD
  3.1.5.3); the answer's key is the first real one;
- every answered window is a :class:`SyncWindow` for the caller to apply (in one
  transaction); the loop goes on while the answer says MoreAvailable (MS-ASCMD, the
  MoreAvailable element);
- an empty answer means nothing changed (MS-ASCMD 2.2.1.21): done;
- collection Status 3 (invalid SyncKey, MS-ASCMD 2.2.3.177.17): :class:`SyncRestart`, the
  collection starts again from SyncKey "0" (the caller drops its items, and may report the
  net change once the resync is complete);
- Status 12 (hierarchy changed), top level or collection: the outcome asks for FolderSync;
- top-level Status 13 (incomplete request) / 16 (retry): :class:`SyncResend`, the same request
  again — we always send the full request;
- restarts and resends together are bounded (``max_restarts``), and so are the requests
  (``max_windows``); past either, or on any other status, the outcome is a failure.

Client changes (Add/Change/Delete, MS-ASCMD 2.2.3.24) are not sent by this project's flows yet;
the request would carry them in the window after the priming one.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from .status import SyncStatus
from .sync import (
    INITIAL_SYNC_KEY,
    ServerCommand,
    SyncCollectionRequest,
    SyncCollectionResponse,
    SyncOptions,
    SyncRequest,
    SyncResponse,
)

__all__ = [
    "SyncCollectionFlow",
    "SyncFailure",
    "SyncOutcome",
    "SyncResend",
    "SyncRestart",
    "SyncResult",
    "SyncWindow",
]


@dataclass(frozen=True, slots=True)
class SyncWindow:
    """One answered window: apply ``commands`` and move from ``expected_sync_key`` to
    ``sync_key``. ``primed``: the answer to SyncKey "0" (no items expected)."""

    collection: SyncCollectionResponse
    expected_sync_key: str
    sync_key: str
    primed: bool

    @property
    def commands(self) -> tuple[ServerCommand, ...]:
        return self.collection.commands


@dataclass(frozen=True, slots=True)
class SyncRestart:
    """Status 3: forget the collection; the next request starts from SyncKey "0"."""

    rejected_sync_key: str


@dataclass(frozen=True, slots=True)
class SyncResend:
    """Top-level Status 13 or 16: the same request goes again."""

    status: SyncStatus | int


class SyncResult(Enum):
    """How a collection's window loop ended."""

    COMPLETE = "complete"  # no more changes
    HIERARCHY_CHANGED = "hierarchy-changed"  # Status 12: FolderSync, then sync again
    FAILED = "failed"


class SyncFailure(Enum):
    """Why a loop failed (with :attr:`SyncResult.FAILED`)."""

    STATUS = "status"  # a status the loop cannot recover from (or 13/16 too often)
    SYNC_KEY_REJECTED = "sync-key-rejected"  # Status 3 again after ``max_restarts`` restarts
    TOO_MANY_WINDOWS = "too-many-windows"  # still MoreAvailable after ``max_windows`` requests


@dataclass(frozen=True, slots=True)
class SyncOutcome:
    """The end of a :class:`SyncCollectionFlow`; ``status`` is the one at fault (failure,
    hierarchy change), ``top_level`` whether it was the whole request's."""

    result: SyncResult
    status: SyncStatus | int | None = None
    failure: SyncFailure | None = None
    top_level: bool = False
    restarted: bool = False


class SyncCollectionFlow:
    """Sync one collection to the end (see the module docstring).

    The request after priming carries ``window_size`` and ``options``; ``class_`` is written
    where the version has AirSync:Class in requests (2.5-12.1).
    """

    def __init__(
        self,
        collection_id: str,
        sync_key: str = INITIAL_SYNC_KEY,
        *,
        class_: str | None = None,
        window_size: int | None = None,
        options: tuple[SyncOptions, ...] = (),
        max_windows: int = 10_000,
        max_restarts: int = 3,
    ) -> None:
        self.collection_id = collection_id
        self.sync_key = sync_key
        self.class_ = class_
        self.window_size = window_size
        self.options = options
        self.max_windows = max_windows
        self.max_restarts = max_restarts
        self.requests = 0
        self.restarts = 0
        self.restarted = False
        self.outcome: SyncOutcome | None = None

    def collection_request(self) -> SyncCollectionRequest:
        """The collection as the next request names it."""
        if self.sync_key == INITIAL_SYNC_KEY:
            # The priming request: no GetChanges, no options (MS-ASCMD 3.1.5.3).
            return SyncCollectionRequest(
                sync_key=INITIAL_SYNC_KEY, collection_id=self.collection_id, class_=self.class_
            )
        return SyncCollectionRequest(
            sync_key=self.sync_key,
            collection_id=self.collection_id,
            get_changes=True,
            window_size=self.window_size,
            options=self.options,
            class_=self.class_,
        )

    def next_request(self) -> SyncRequest | SyncOutcome:
        """The request to send now, or the outcome when the loop is over."""
        if self.outcome is not None:
            return self.outcome
        if self.requests >= self.max_windows:
            return self._end(SyncResult.FAILED, failure=SyncFailure.TOO_MANY_WINDOWS)
        self.requests += 1
        return SyncRequest(collections=(self.collection_request(),))

    def receive(self, answer: SyncResponse) -> SyncWindow | SyncRestart | SyncResend | SyncOutcome:
        """What the answer to the last request means."""
        if answer.status is not None and answer.status != SyncStatus.Success:
            return self._top_level(answer.status)
        col = answer.collection(self.collection_id)
        if col is None:
            return self._end(SyncResult.COMPLETE)  # empty answer: nothing changed
        if col.status == SyncStatus.InvalidSyncKey:
            if self.restarts >= self.max_restarts:
                return self._end(SyncResult.FAILED, col.status, SyncFailure.SYNC_KEY_REJECTED)
            self.restarts += 1
            self.restarted = True
            rejected, self.sync_key = self.sync_key, INITIAL_SYNC_KEY
            return SyncRestart(rejected)
        if col.status == SyncStatus.FolderHierarchyChanged:
            return self._end(SyncResult.HIERARCHY_CHANGED, col.status)
        if col.status != SyncStatus.Success or col.sync_key is None:
            return self._end(SyncResult.FAILED, col.status, SyncFailure.STATUS)
        primed = self.sync_key == INITIAL_SYNC_KEY
        window = SyncWindow(col, self.sync_key, col.sync_key, primed)
        self.sync_key = col.sync_key
        if not primed and not col.more_available:
            self._end(SyncResult.COMPLETE)
        return window

    def _top_level(self, status: SyncStatus | int) -> SyncResend | SyncOutcome:
        if status == SyncStatus.FolderHierarchyChanged:
            return self._end(SyncResult.HIERARCHY_CHANGED, status, top_level=True)
        if (
            status in (SyncStatus.IncompleteRequest, SyncStatus.Retry)
            and self.restarts < self.max_restarts
        ):
            self.restarts += 1
            return SyncResend(status)
        return self._end(SyncResult.FAILED, status, SyncFailure.STATUS, top_level=True)

    def _end(
        self,
        result: SyncResult,
        status: SyncStatus | int | None = None,
        failure: SyncFailure | None = None,
        *,
        top_level: bool = False,
    ) -> SyncOutcome:
        self.outcome = SyncOutcome(result, status, failure, top_level, self.restarted)
        return self.outcome
