"""Ping's answers as decisions, sans I/O (MS-ASCMD 2.2.1.13, statuses 2.2.3.177.11).

:class:`PingFlow` builds each Ping (the folder list trimmed to what the server allows) and reads
the parsed answer into a :class:`PingResult` whose :class:`PingAction` says what to do next:

- Status 1 (heartbeat expired, nothing changed): Ping again;
- Status 2 (changes): Sync the folders listed;
- Status 5 (HeartbeatInterval out of bounds): the answer's HeartbeatInterval is the server's
  bound (its maximum or minimum, MS-ASCMD 2.2.3.88.2); the next Ping uses it;
- Status 6 (too many folders): the answer's MaxFolders is the limit; the next Ping watches at
  most that many folders (the flow remembers it);
- Status 7 (folder hierarchy stale): FolderSync, then Ping again;
- anything else: the Ping failed with that status.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

from .ping import PingFolder, PingRequest, PingResponse
from .status import PingStatus

__all__ = ["PingAction", "PingFlow", "PingResult"]


class PingAction(Enum):
    """What a Ping answer asks of the client."""

    PING_AGAIN = "ping-again"  # 1: nothing changed within the heartbeat
    SYNC = "sync"  # 2: sync the folders in ``PingResult.folders``
    ADJUST_HEARTBEAT = "adjust-heartbeat"  # 5: use ``PingResult.heartbeat`` from now on
    TRIM_FOLDERS = "trim-folders"  # 6: watch at most ``PingResult.max_folders`` folders
    FOLDER_SYNC = "folder-sync"  # 7: the hierarchy is stale
    FAILED = "failed"  # any other status


_ACTIONS: dict[int, PingAction] = {
    PingStatus.HeartbeatExpired: PingAction.PING_AGAIN,
    PingStatus.ChangesOccurred: PingAction.SYNC,
    PingStatus.InvalidHeartbeatInterval: PingAction.ADJUST_HEARTBEAT,
    PingStatus.TooManyFolders: PingAction.TRIM_FOLDERS,
    PingStatus.FolderHierarchySyncRequired: PingAction.FOLDER_SYNC,
}


@dataclass(frozen=True, slots=True)
class PingResult:
    """One Ping answer read: the action, the status, and what the action needs."""

    action: PingAction
    status: PingStatus | int
    folders: tuple[str, ...] = ()
    heartbeat: int | None = None
    max_folders: int | None = None

    @property
    def answered(self) -> bool:
        """The server answered the Ping as a Ping (1, 2 or 5), not with an error."""
        return self.action in (PingAction.PING_AGAIN, PingAction.SYNC, PingAction.ADJUST_HEARTBEAT)


class PingFlow:
    """Ping after Ping for one device: remembers the server's MaxFolders (Status 6) and the
    heartbeat bound it announced (Status 5) for the Pings that follow."""

    def __init__(self) -> None:
        self.max_folders: int | None = None
        self.heartbeat_bound: int | None = None

    def folders(self, folders: Iterable[PingFolder]) -> list[PingFolder]:
        """``folders`` trimmed to the server's MaxFolders, when it announced one."""
        kept = list(folders)
        return kept if self.max_folders is None else kept[: self.max_folders]

    def request(self, heartbeat: int | None, folders: Iterable[PingFolder]) -> PingRequest:
        """The Ping to send (folders trimmed to MaxFolders)."""
        return PingRequest(heartbeat, tuple(self.folders(folders)))

    def receive(self, answer: PingResponse) -> PingResult:
        """Read an answer into its :class:`PingResult` (and remember 5's and 6's limits)."""
        status = answer.status
        action = _ACTIONS.get(int(status), PingAction.FAILED)
        if action is PingAction.TRIM_FOLDERS and answer.max_folders:
            self.max_folders = answer.max_folders
        if action is PingAction.ADJUST_HEARTBEAT and answer.heartbeat_interval:
            self.heartbeat_bound = answer.heartbeat_interval
        return PingResult(
            action,
            status,
            answer.folders,
            answer.heartbeat_interval,
            answer.max_folders,
        )
