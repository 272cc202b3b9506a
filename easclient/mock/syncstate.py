"""Per-device state on the server side: provisioning, hierarchy and collection SyncKeys, Ping cache.

SyncKeys (MS-ASCMD 2.2.3.166.4): each answer carries a new key; the client must send it back on
the next request. The mock keeps, per device and collection, the items the device has been told
about (server id -> change counter). A request with the current key gets the difference against
the folder; a request that repeats the key of the previous request (the client lost our answer)
gets that same answer again; any other key is invalid (Sync Status 3, FolderSync Status 9).
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .mailbox import Folder, Item, Mailbox

if TYPE_CHECKING:
    from easclient.protocol.sync import SyncCollectionResponse, SyncRequest


def _token() -> str:
    return secrets.token_hex(4)


@dataclass(slots=True)
class Diff:
    """What a device has not yet been told about one folder."""

    adds: list[Item]
    changes: list[Item]
    deletes: list[str]

    def __len__(self) -> int:
        return len(self.adds) + len(self.changes) + len(self.deletes)


@dataclass(slots=True)
class CollectionState:
    """One device's view of one folder."""

    generation: str = field(default_factory=_token)
    counter: int = 1
    known: dict[str, int] = field(default_factory=dict)
    #: Folder change counter at the last answer that left nothing pending.
    synced_modseq: int = -1
    #: The key of the last request and the encoded answer to it (for a repeated request).
    last_request_key: str | None = None
    last_answer: SyncCollectionResponse | None = None
    #: Options the client sent last (MS-ASCMD: a Sync may omit unchanged Options).
    options: object = None
    window_size: int | None = None
    #: Folder change counter as of the current key's answer (-1: more was pending), and as of
    #: the last key the device sent back (for the PING_UNCONFIRMED_SYNCKEY quirk).
    issued_modseq: int = -1
    confirmed_modseq: int = -1

    @property
    def sync_key(self) -> str:
        return f"{self.counter}.{self.generation}"

    def advance(self) -> str:
        self.counter += 1
        return self.sync_key

    def diff(self, box: Mailbox, folder: Folder) -> Diff:
        """Adds (newest first), changes and deletes not yet sent to this device."""
        items = box.items(folder)
        known = self.known
        adds = [m for sid, m in items.items() if sid not in known]
        adds.sort(key=lambda m: m.date, reverse=True)
        changes = [m for sid, m in items.items() if sid in known and known[sid] != m.modseq]
        deletes = [sid for sid in known if sid not in items]
        return Diff(adds, changes, deletes)

    def has_changes(self, box: Mailbox, folder: Folder) -> bool:
        if folder.modseq == self.synced_modseq:
            return False
        return len(self.diff(box, folder)) > 0


@dataclass(slots=True)
class DeviceState:
    """Everything the server remembers about one device of one user."""

    device_id: str
    device_type: str = ""
    #: Provisioning (MS-ASPROV): the final key once acknowledged, the temporary one before.
    policy_key: int | None = None
    pending_policy_key: int | None = None
    remote_wipe: bool = False
    account_only_wipe: bool = False
    wiped: bool = False
    device_information: object = None
    #: FolderSync key: "<version>.<generation>" of the hierarchy the device was sent.
    hierarchy_generation: str | None = None
    hierarchy_counter: int = 0
    #: The hierarchy as the device was last told it: {server id: (parent, name, type)}.
    known_folders: dict[str, tuple[str, str, int]] = field(default_factory=dict)
    collections: dict[str, CollectionState] = field(default_factory=dict)
    #: Ping cache (MS-ASCMD 2.2.3.88.1): folders and heartbeat of the last complete Ping.
    ping_folders: tuple[str, ...] | None = None
    ping_heartbeat: int | None = None
    parked: asyncio.Future | None = None
    #: Baseline change counters for folders the device pings without having synced them.
    ping_baseline: dict[str, int] = field(default_factory=dict)
    #: The last Sync request with collections (an empty Sync repeats it, MS-ASCMD 2.2.1.21).
    last_sync_request: SyncRequest | None = None

    @property
    def hierarchy_key(self) -> str | None:
        if self.hierarchy_generation is None:
            return None
        return f"{self.hierarchy_counter}.{self.hierarchy_generation}"

    def reset_hierarchy(self) -> str:
        self.hierarchy_generation = _token()
        self.hierarchy_counter = 1
        self.known_folders = {}
        return f"{self.hierarchy_counter}.{self.hierarchy_generation}"  # hierarchy_key's

    def advance_hierarchy(self, known: dict[str, tuple[str, str, int]]) -> str:
        """A new FolderSync key, the device now knowing ``known``."""
        self.hierarchy_counter += 1
        self.known_folders = dict(known)
        return f"{self.hierarchy_counter}.{self.hierarchy_generation}"

    def folder_has_changes(
        self, box: Mailbox, folder: Folder, *, unconfirmed: bool = False
    ) -> bool:
        """Whether a Ping on ``folder`` should report it (Status 2) for this device.

        ``unconfirmed``: also while the device has not sent back the key of its last Sync
        (SOGo records a SyncKey only when the client uses it)."""
        state = self.collections.get(folder.server_id)
        if state is not None:
            if unconfirmed and state.confirmed_modseq != folder.modseq:
                return True
            return state.has_changes(box, folder)
        base = self.ping_baseline.setdefault(folder.server_id, folder.modseq)
        return folder.modseq != base


class DeviceRegistry:
    """Devices by (user, device id). A device id is only meaningful within one user."""

    def __init__(self) -> None:
        self._devices: dict[tuple[str, str], DeviceState] = {}

    def get(self, user: str, device_id: str) -> DeviceState:
        key = (user, device_id)
        dev = self._devices.get(key)
        if dev is None:
            dev = self._devices[key] = DeviceState(device_id)
        return dev

    def find(self, user: str, device_id: str) -> DeviceState | None:
        return self._devices.get((user, device_id))

    def all(self) -> list[tuple[str, DeviceState]]:
        return [(u, d) for (u, _), d in self._devices.items()]
