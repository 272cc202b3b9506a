"""The device's persistent state, in one SQLite file.

What a device must remember between runs (MS-ASCMD 2.2.3.166.x SyncKey; MS-ASPROV PolicyKey): the
protocol version it settled on, its policy key, the folder hierarchy's SyncKey and folders, one
SyncKey per synced collection, and the items it holds (ServerId, class, a few fields and a digest).

Durability rule: the SyncKey of a collection and the items that the response carrying it
brought change in **one transaction**, and only after the whole response was read and parsed.
A run killed at any point therefore either has the old SyncKey and none of that response's
changes (it resends the request with the old SyncKey, which EAS answers again — MS-ASCMD
3.1.5.3: a client that did not get the response can reuse the SyncKey) or the new SyncKey and
all of them. Adds are keyed by (collection, ServerId), so a replayed answer cannot duplicate.

The file uses WAL journaling and a busy timeout so that a reader (``eas sync --json`` in another
shell, a test) never blocks a writer for long.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from easclient.errors import EasError

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT
);
CREATE TABLE IF NOT EXISTS folders (
    server_id    TEXT PRIMARY KEY,
    parent_id    TEXT NOT NULL,
    display_name TEXT NOT NULL,
    type         INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS collections (
    collection_id TEXT PRIMARY KEY,
    sync_key      TEXT NOT NULL,
    class         TEXT
);
CREATE TABLE IF NOT EXISTS items (
    collection_id TEXT NOT NULL,
    server_id     TEXT NOT NULL,
    class         TEXT,
    subject       TEXT,
    sender        TEXT,
    date_received TEXT,
    read          INTEGER,
    digest        TEXT NOT NULL,
    PRIMARY KEY (collection_id, server_id)
);
CREATE TABLE IF NOT EXISTS events (
    id    INTEGER PRIMARY KEY AUTOINCREMENT,
    time  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    kind  TEXT NOT NULL,
    detail TEXT
);
"""


class StateError(EasError):
    """The state file cannot be used (corrupt, locked too long, or changed under us)."""


@dataclass(frozen=True, slots=True)
class Folder:
    """One folder of the hierarchy (MS-ASCMD 2.2.3.7.2 Add)."""

    server_id: str
    parent_id: str
    display_name: str
    type: int


@dataclass(frozen=True, slots=True)
class StoredItem:
    """An item the device holds: enough to list it and to tell whether it changed."""

    server_id: str
    class_: str | None = None
    subject: str | None = None
    sender: str | None = None
    date_received: str | None = None
    read: bool | None = None
    digest: str = ""


@dataclass(frozen=True, slots=True)
class ItemUpdate:
    """A server Change: only the fields the server sent (None = untouched)."""

    server_id: str
    read: bool | None = None
    subject: str | None = None
    digest: str | None = None


@dataclass(slots=True)
class ApplyResult:
    """What one applied Sync response did to the stored items."""

    added: int = 0
    changed: int = 0
    deleted: int = 0

    def __iadd__(self, other: ApplyResult) -> ApplyResult:
        self.added += other.added
        self.changed += other.changed
        self.deleted += other.deleted
        return self


def _safe(part: str) -> str:
    return re.sub(r"[^A-Za-z0-9._@+-]", "_", part) or "_"


def default_state_dir() -> Path:
    """``$XDG_STATE_HOME/easclient`` (XDG default ``~/.local/state``): kept mode 0700."""
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(
        os.path.expanduser("~"), ".local", "state"
    )
    return Path(base) / "easclient"


def default_state_path(user: str, host: str, device_id: str) -> Path:
    """``$XDG_STATE_HOME/easclient/<user>@<host>-<deviceid>.sqlite3`` (XDG default
    ``~/.local/state``)."""
    return default_state_dir() / f"{_safe(user)}@{_safe(host)}-{_safe(device_id)}.sqlite3"


class MetaValues:
    """The device-level values kept as meta strings, over ``get_meta``/``set_meta``.

    Shared by :class:`DeviceState` and the load generator's in-memory state, so that both store
    and read them the same way (a policy key as its decimal string, no folder SyncKey as "0").
    """

    __slots__ = ()

    def get_meta(self, key: str) -> str | None:
        raise NotImplementedError

    def set_meta(self, key: str, value: str | None) -> None:
        raise NotImplementedError

    @property
    def protocol_version(self) -> str | None:
        return self.get_meta("protocol_version")

    @protocol_version.setter
    def protocol_version(self, value: str | None) -> None:
        self.set_meta("protocol_version", value)

    @property
    def policy_key(self) -> int | None:
        value = self.get_meta("policy_key")
        return None if value is None else int(value)

    @policy_key.setter
    def policy_key(self, value: int | None) -> None:
        self.set_meta("policy_key", None if value is None else str(value))

    @property
    def folder_sync_key(self) -> str:
        return self.get_meta("folder_sync_key") or "0"


class DeviceState(MetaValues):
    """The state file. Reads are plain queries; every write is one ``BEGIN IMMEDIATE``
    transaction."""

    def __init__(self, path: str | os.PathLike[str], *, busy_timeout: float = 10.0) -> None:
        self.path = Path(path)
        try:
            if str(self.path) != ":memory:":
                self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                if self.path.parent == default_state_dir():
                    # Ours alone: made 0755 by an older version (or a umask), it is made
                    # private; a directory the user named is left as it is.
                    with contextlib.suppress(OSError):
                        self.path.parent.chmod(0o700)
                # Subjects and senders of the user's mail: readable by the user only. SQLite
                # gives its -wal and -shm files the database file's mode.
                try:
                    os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
                except FileExistsError:
                    # An existing file (an older version made it 0644) is made private too.
                    if self.path.is_file():
                        with contextlib.suppress(OSError):
                            self.path.chmod(0o600)
            # isolation_level=None: we issue BEGIN/COMMIT ourselves, so nothing is implicit.
            self._db = sqlite3.connect(str(self.path), timeout=busy_timeout, isolation_level=None)
            self._db.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            self._db.execute("PRAGMA journal_mode = WAL")
            # FULL: a commit survives a power cut too, not only a killed process.
            self._db.execute("PRAGMA synchronous = FULL")
            self._db.executescript(_SCHEMA)  # CREATE ... IF NOT EXISTS: a no-op when present
        except (sqlite3.DatabaseError, OSError) as exc:
            raise StateError(f"cannot open state file {self.path}: {exc}") from exc
        version = self.get_meta("schema_version")
        if version is None:
            self.set_meta("schema_version", str(SCHEMA_VERSION))
        elif version != str(SCHEMA_VERSION):
            raise StateError(
                f"state file {self.path} has schema version {version}, expected {SCHEMA_VERSION}"
            )

    # -- plumbing -------------------------------------------------------------------------
    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> DeviceState:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: all or nothing."""
        db = self._db
        try:
            db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise StateError(f"state file {self.path} is busy: {exc}") from exc
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        else:
            db.execute("COMMIT")

    def get_meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def set_meta(self, key: str, value: str | None) -> None:
        with self._write() as db:
            _set_meta(db, key, value)

    # -- device-level values (protocol_version, policy_key, folder_sync_key: MetaValues) ------
    def record_event(self, kind: str, detail: str | None = None) -> None:
        """Keep a note of something the user must know (a remote wipe request, a policy)."""
        with self._write() as db:
            db.execute("INSERT INTO events (kind, detail) VALUES (?, ?)", (kind, detail))

    def events(self, kind: str | None = None) -> list[tuple[str, str, str | None]]:
        """(time, kind, detail) of recorded events, oldest first."""
        if kind is None:
            rows = self._db.execute("SELECT time, kind, detail FROM events ORDER BY id")
        else:
            rows = self._db.execute(
                "SELECT time, kind, detail FROM events WHERE kind = ? ORDER BY id", (kind,)
            )
        return [tuple(r) for r in rows]

    # -- folder hierarchy (FolderSync) -------------------------------------------------------
    def folders(self) -> list[Folder]:
        rows = self._db.execute(
            "SELECT server_id, parent_id, display_name, type FROM folders ORDER BY server_id"
        )
        return [Folder(*r) for r in rows]

    def apply_folder_sync(
        self,
        new_sync_key: str,
        *,
        adds: Iterable[Folder] = (),
        updates: Iterable[Folder] = (),
        deletes: Iterable[str] = (),
        expected_sync_key: str | None = None,
    ) -> None:
        """Apply one FolderSync response (MS-ASCMD 2.2.1.5) and its new SyncKey atomically.

        A deleted folder takes its collection SyncKey and items with it. ``expected_sync_key``
        guards against two runs sharing a state file: the stored key must still be it.
        """
        with self._write() as db:
            if expected_sync_key is not None:
                current = _get_meta(db, "folder_sync_key") or "0"
                if current != expected_sync_key:
                    raise StateError(
                        f"folder SyncKey changed under us: expected {expected_sync_key!r}, "
                        f"found {current!r} (another run sharing {self.path}?)"
                    )
            for f in [*adds, *updates]:
                db.execute(
                    "INSERT OR REPLACE INTO folders (server_id, parent_id, display_name, type)"
                    " VALUES (?, ?, ?, ?)",
                    (f.server_id, f.parent_id, f.display_name, int(f.type)),
                )
            for server_id in deletes:
                _forget_collection(db, server_id)
                db.execute("DELETE FROM folders WHERE server_id = ?", (server_id,))
            _set_meta(db, "folder_sync_key", new_sync_key)

    def reset_hierarchy(self) -> None:
        """Forget every folder, collection and item (FolderSync status 9: start from 0)."""
        with self._write() as db:
            db.execute("DELETE FROM items")
            db.execute("DELETE FROM collections")
            db.execute("DELETE FROM folders")
            _set_meta(db, "folder_sync_key", "0")

    # -- collections (Sync) -------------------------------------------------------------------
    def sync_key(self, collection_id: str) -> str:
        row = self._db.execute(
            "SELECT sync_key FROM collections WHERE collection_id = ?", (collection_id,)
        ).fetchone()
        return "0" if row is None else row[0]

    def sync_keys(self) -> dict[str, str]:
        return dict(self._db.execute("SELECT collection_id, sync_key FROM collections"))

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
        """Apply one collection of a Sync response (MS-ASCMD 2.2.1.21) atomically.

        ``expected_sync_key`` is the key the request was sent with; if the stored key is no
        longer it, nothing is applied (``StateError``). An Add of an item already held replaces
        it (counted as a change only when its digest differs), so a replayed answer is harmless.
        """
        result = ApplyResult()
        with self._write() as db:
            row = db.execute(
                "SELECT sync_key FROM collections WHERE collection_id = ?", (collection_id,)
            ).fetchone()
            current = "0" if row is None else row[0]
            if current != expected_sync_key:
                raise StateError(
                    f"SyncKey of collection {collection_id} changed under us: expected "
                    f"{expected_sync_key!r}, found {current!r} (another run sharing {self.path}?)"
                )
            for item in adds:
                old = db.execute(
                    "SELECT digest FROM items WHERE collection_id = ? AND server_id = ?",
                    (collection_id, item.server_id),
                ).fetchone()
                db.execute(
                    "INSERT OR REPLACE INTO items (collection_id, server_id, class, subject,"
                    " sender, date_received, read, digest) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        collection_id,
                        item.server_id,
                        item.class_ or class_,
                        item.subject,
                        item.sender,
                        item.date_received,
                        None if item.read is None else int(item.read),
                        item.digest,
                    ),
                )
                if old is None:
                    result.added += 1
                elif old[0] != item.digest:
                    result.changed += 1
            for change in changes:
                sets, args = [], []
                for column, value in (
                    ("read", None if change.read is None else int(change.read)),
                    ("subject", change.subject),
                    ("digest", change.digest),
                ):
                    if value is not None:
                        sets.append(f"{column} = ?")
                        args.append(value)
                if not sets:
                    # A Change with nothing we keep (e.g. a flag): still a change on the server.
                    exists = db.execute(
                        "SELECT 1 FROM items WHERE collection_id = ? AND server_id = ?",
                        (collection_id, change.server_id),
                    ).fetchone()
                    result.changed += exists is not None
                    continue
                cur = db.execute(
                    f"UPDATE items SET {', '.join(sets)} WHERE collection_id = ? AND server_id = ?",
                    (*args, collection_id, change.server_id),
                )
                result.changed += cur.rowcount
            for server_id in deletes:
                cur = db.execute(
                    "DELETE FROM items WHERE collection_id = ? AND server_id = ?",
                    (collection_id, server_id),
                )
                result.deleted += cur.rowcount
            db.execute(
                "INSERT INTO collections (collection_id, sync_key, class) VALUES (?, ?, ?)"
                " ON CONFLICT(collection_id) DO UPDATE SET sync_key = excluded.sync_key,"
                " class = COALESCE(excluded.class, collections.class)",
                (collection_id, new_sync_key, class_),
            )
        return result

    def reset_collection(self, collection_id: str) -> int:
        """Sync status 3 (MS-ASCMD 2.2.3.177.17): start the collection again from SyncKey 0.

        The held items go too: the full resync that follows sends every item as an Add, and an
        item deleted on the server meanwhile must not survive. Returns how many were dropped.
        """
        with self._write() as db:
            return _forget_collection(db, collection_id)

    def items(self, collection_id: str) -> list[StoredItem]:
        rows = self._db.execute(
            "SELECT server_id, class, subject, sender, date_received, read, digest FROM items"
            " WHERE collection_id = ? ORDER BY server_id",
            (collection_id,),
        )
        return [
            StoredItem(s, c, subj, snd, d, None if r is None else bool(r), dig)
            for s, c, subj, snd, d, r, dig in rows
        ]

    def item_count(self, collection_id: str) -> int:
        return self._db.execute(
            "SELECT COUNT(*) FROM items WHERE collection_id = ?", (collection_id,)
        ).fetchone()[0]


def _get_meta(db: sqlite3.Connection, key: str) -> str | None:
    row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else row[0]


def _set_meta(db: sqlite3.Connection, key: str, value: str | None) -> None:
    if value is None:
        db.execute("DELETE FROM meta WHERE key = ?", (key,))
    else:
        db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))


def _forget_collection(db: sqlite3.Connection, collection_id: str) -> int:
    cur = db.execute("DELETE FROM items WHERE collection_id = ?", (collection_id,))
    db.execute("DELETE FROM collections WHERE collection_id = ?", (collection_id,))
    return cur.rowcount
