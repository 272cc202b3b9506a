"""Mailboxes of the mock server: users, folders, messages, and change notification.

Mail is generated deterministically from a seed with ``faker`` and only when a folder is first
read, so a server with thousands of users costs little until they sync. Every id (folder and
item) lives inside one user's mailbox: a user can only ever address their own items.

Change notification: a parked Ping registers one future in each folder it watches
(:meth:`Folder.watch`); any change to the folder resolves them (:meth:`Folder.touch`).
"""

from __future__ import annotations

import asyncio
import hashlib
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from typing import TypeVar

from faker import Faker

from .config import User
from .pim import PimFactory, PimItem

#: Fixed reference time for generated mail, so a seed always gives the same mailbox.
BASE_TIME = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

# FolderHierarchy Type values (MS-ASCMD 2.2.3.186.3; EAS-FACTS §7).
_CLASS_OF_TYPE = {
    1: "Email",
    2: "Email",
    3: "Email",
    4: "Email",
    5: "Email",
    6: "Email",
    12: "Email",
    7: "Tasks",
    15: "Tasks",
    8: "Calendar",
    13: "Calendar",
    9: "Contacts",
    14: "Contacts",
    10: "Notes",
    17: "Notes",
}

#: (server id, parent id, display name, type, share of messages_per_folder) of every mailbox.
STANDARD_FOLDERS: tuple[tuple[str, str, str, int, float], ...] = (
    ("2", "0", "Inbox", 2, 1.0),
    ("3", "0", "Drafts", 3, 0.0),
    ("4", "0", "Deleted Items", 4, 0.0),
    ("5", "0", "Sent Items", 5, 0.5),
    ("6", "0", "Outbox", 6, 0.0),
    ("7", "0", "Tasks", 7, 0.5),
    ("8", "0", "Calendar", 8, 0.5),
    ("9", "0", "Contacts", 9, 0.5),
    ("10", "0", "Notes", 10, 0.5),
    ("11", "2", "Projects", 12, 0.25),
    ("12", "2", "Receipts", 12, 0.25),
)
INBOX_ID = "2"
SENT_ID = "5"
#: Folder types a device may create, rename and delete (user-created folders).
USER_FOLDER_TYPES = frozenset((1, 12, 13, 14, 15, 16, 17))


@dataclass(slots=True)
class Message:
    """One mail item. ``modseq`` is the folder's change counter at its last change."""

    server_id: str
    subject: str
    sender: str  # "Name <address>"
    to: str
    date: datetime
    body_text: str
    body_html: str
    read: bool = False
    flagged: bool = False
    importance: int = 1
    modseq: int = 0
    mime: bytes | None = None  # as submitted (SendMail); else rendered on demand
    #: (file name, content type, content) of each attachment.
    attachments: tuple[tuple[str, str, bytes], ...] = ()
    #: IPM.Note, or IPM.Schedule.Meeting.Request for an invitation (MS-ASEMAIL MessageClass).
    message_class: str = "IPM.Note"
    #: An invitation's tentative item in the invitee's Calendar (its ServerId).
    meeting_id: str | None = None

    def file_reference(self, index: int) -> str:
        """The AirSyncBase FileReference of attachment ``index`` (unique within the mailbox)."""
        return f"{self.server_id}:{index}"

    def mime_bytes(self) -> bytes:
        """The message as RFC 5322 MIME (text + HTML alternatives, then any attachments)."""
        if self.mime is not None:
            return self.mime
        msg = EmailMessage()
        msg["From"] = self.sender
        msg["To"] = self.to
        msg["Subject"] = self.subject
        msg["Date"] = format_datetime(self.date)
        msg["Message-ID"] = f"<{self.server_id.replace(':', '.')}.{self.modseq}@mock.easclient>"
        msg.set_content(self.body_text)
        msg.add_alternative(self.body_html, subtype="html")
        for name, content_type, data in self.attachments:
            maintype, _, subtype = content_type.partition("/")
            msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
        return msg.as_bytes()


Item = Message | PimItem
ItemT = TypeVar("ItemT", Message, PimItem)


class Folder:
    """One folder of one mailbox, with its items and its Ping waiters."""

    __slots__ = (
        "_next_item",
        "_seed_count",
        "class_",
        "display_name",
        "items",
        "modseq",
        "parent_id",
        "server_id",
        "type",
        "waiters",
    )

    def __init__(
        self, server_id: str, parent_id: str, display_name: str, type_: int, seed_count: int = 0
    ) -> None:
        self.server_id = server_id
        self.parent_id = parent_id
        self.display_name = display_name
        self.type = type_
        self.class_ = _CLASS_OF_TYPE.get(type_, "Email")
        self.items: dict[str, Item] | None = None  # None until first read (lazy)
        self.modseq = 0
        self._next_item = 1
        self._seed_count = seed_count
        self.waiters: set[asyncio.Future] | None = None

    # -- changes -------------------------------------------------------------------------
    def next_server_id(self) -> str:
        sid = f"{self.server_id}:{self._next_item}"
        self._next_item += 1
        return sid

    def touch(self) -> int:
        """Record a change: bump the change counter and wake every Ping watching the folder."""
        self.modseq += 1
        if self.waiters:
            for fut in self.waiters:
                if not fut.done():
                    fut.set_result(self.server_id)
        return self.modseq

    def watch(self, fut: asyncio.Future) -> None:
        if self.waiters is None:
            self.waiters = set()
        self.waiters.add(fut)

    def unwatch(self, fut: asyncio.Future) -> None:
        if self.waiters is not None:
            self.waiters.discard(fut)
            if not self.waiters:
                self.waiters = None


@dataclass
class Mailbox:
    """One user's folders and items. Built by :class:`MailStore`; fills folders lazily."""

    user: User
    store: MailStore
    folders: dict[str, Folder] = field(default_factory=dict)
    #: FolderSync state: bumps when the hierarchy changes (MS-ASCMD 2.2.1.5).
    hierarchy_version: int = 1

    def folder(self, server_id: str) -> Folder | None:
        return self.folders.get(server_id)

    def items(self, folder: Folder) -> dict[str, Item]:
        """The folder's items, generating the seeded mail on first use."""
        if folder.items is None:
            folder.items = {}
            for index in range(folder._seed_count):
                if folder.class_ == "Email":
                    item: Item | None = self.store.factory.make(
                        self.user, folder, index
                    )
                else:
                    item = self.store.pim.make(
                        self.user, folder.class_, folder.next_server_id(), index
                    )
                if item is not None:
                    item.modseq = folder.modseq
                    folder.items[item.server_id] = item
        return folder.items

    def find_attachment(self, file_reference: str) -> tuple[str, str, bytes] | None:
        """An attachment by its FileReference (``folder:n:index``), only within this mailbox."""
        item_id, _, index = file_reference.rpartition(":")
        found = self.find_item(item_id)
        if found is None or not index.isdigit():
            return None
        item = found[1]
        if not isinstance(item, Message):
            return None
        attachments = item.attachments
        return attachments[int(index)] if int(index) < len(attachments) else None

    def find_item(self, server_id: str) -> tuple[Folder, Item] | None:
        """An item of any class by its server id (``folder:n``), only within this mailbox."""
        folder_id, _, _ = server_id.partition(":")
        folder = self.folders.get(folder_id)
        if folder is None:
            return None
        item = self.items(folder).get(server_id)
        return (folder, item) if item is not None else None

    def find_message(self, server_id: str) -> tuple[Folder, Message] | None:
        """A mail item by its server id (None for other classes and unknown ids)."""
        found = self.find_item(server_id)
        if found is None or not isinstance(found[1], Message):
            return None
        return found[0], found[1]

    def add_message(self, folder: Folder, msg: ItemT) -> ItemT:
        """Store an item of any class (a server id from ``folder.next_server_id()``)."""
        items = self.items(folder)
        msg.modseq = folder.touch()
        items[msg.server_id] = msg
        return msg

    def change_message(self, folder: Folder, msg: Item, **changes: object) -> None:
        for name, value in changes.items():
            setattr(msg, name, value)
        msg.modseq = folder.touch()

    def delete_message(self, folder: Folder, server_id: str) -> bool:
        if self.items(folder).pop(server_id, None) is None:
            return False
        folder.touch()
        return True

    def mail_folders(self) -> Iterator[Folder]:
        return (f for f in self.folders.values() if f.class_ == "Email")

    # -- hierarchy changes (FolderCreate/Update/Delete, MS-ASCMD 2.2.1.3/.6/.4) -------------
    def hierarchy(self) -> dict[str, tuple[str, str, int]]:
        """Every folder as ``{server id: (parent id, display name, type)}``."""
        return {f.server_id: (f.parent_id, f.display_name, f.type) for f in self.folders.values()}

    def _name_taken(self, parent_id: str, name: str, but: str | None = None) -> bool:
        return any(
            f.parent_id == parent_id and f.display_name.lower() == name.lower()
            for f in self.folders.values()
            if f.server_id != but
        )

    def create_folder(self, parent_id: str, name: str, type_: int) -> Folder | int:
        """A new empty folder, or the FolderCreate status that refuses it (2 exists,
        5 no parent, 10 a type only the server makes)."""
        if parent_id != "0" and parent_id not in self.folders:
            return 5
        if type_ not in USER_FOLDER_TYPES:
            return 10
        if self._name_taken(parent_id, name):
            return 2
        sid = str(max((int(k) for k in self.folders if k.isdigit()), default=1) + 1)
        folder = self.folders[sid] = Folder(sid, parent_id, name, type_)
        folder.items = {}
        self.hierarchy_version += 1
        return folder

    def update_folder(self, server_id: str, parent_id: str, name: str) -> int:
        """Rename and/or move a folder; the FolderUpdate status (1 done)."""
        folder = self.folders.get(server_id)
        if folder is None:
            return 4
        if folder.type not in USER_FOLDER_TYPES:
            return 2  # MS-ASCMD 2.2.3.177.6: "… or the specified folder is a special folder"
        if parent_id != "0" and (parent_id not in self.folders or parent_id == server_id):
            return 5
        if self._name_taken(parent_id, name, but=server_id):
            return 2
        folder.parent_id, folder.display_name = parent_id, name
        self.hierarchy_version += 1
        return 1

    def delete_folder(self, server_id: str) -> int:
        """Delete a user folder and the folders below it; the FolderDelete status."""
        folder = self.folders.get(server_id)
        if folder is None:
            return 4
        if folder.type not in USER_FOLDER_TYPES:
            return 3
        doomed = {server_id}
        grew = True
        while grew:  # bounded by the number of folders
            below = {f.server_id for f in self.folders.values() if f.parent_id in doomed}
            grew = not below <= doomed
            doomed |= below
        for sid in doomed:
            gone = self.folders.pop(sid)
            gone.touch()  # a Ping parked on it answers
        self.hierarchy_version += 1
        return 1

    def move_message(self, server_id: str, destination: Folder) -> Item | None:
        """Move an item into ``destination`` under a new server id (None: no such item)."""
        found = self.find_item(server_id)
        if found is None:
            return None
        source, msg = found
        self.delete_message(source, server_id)
        msg.server_id = destination.next_server_id()
        msg.modseq = destination.touch()
        self.items(destination)[msg.server_id] = msg
        return msg


class MessageFactory:
    """Deterministic mail: the same (seed, user, folder, index) always gives the same message."""

    def __init__(self, seed: int, domain: str) -> None:
        self.seed = seed
        self.domain = domain
        self._fake = Faker()

    def _rng(self, *parts: object) -> random.Random:
        digest = hashlib.sha256(repr((self.seed, *parts)).encode()).digest()
        return random.Random(int.from_bytes(digest[:8], "big"))

    def make(
        self,
        user: User,
        folder: Folder,
        index: int,
        *,
        when: datetime | None = None,
        subject: str | None = None,
    ) -> Message:
        """Message number ``index`` of ``folder``; ``when`` (a delivery) overrides the date."""
        rng = self._rng(user.name, folder.server_id, index)
        fake = self._fake
        fake.seed_instance(rng.getrandbits(64))
        sender = formataddr((fake.name(), fake.email(domain=None)))
        to = formataddr((user.name, user.address))
        if folder.type == 5:  # Sent Items: from the user
            sender, to = to, sender
        paragraphs = fake.paragraphs(nb=rng.randint(1, 4))
        text = "\n\n".join(paragraphs)
        html = "<html><body>" + "".join(f"<p>{p}</p>" for p in paragraphs) + "</body></html>"
        date = when or BASE_TIME - timedelta(minutes=rng.randint(1, 60 * 24 * 30))
        return Message(
            server_id=folder.next_server_id(),
            subject=subject or fake.sentence(nb_words=rng.randint(3, 8)).rstrip("."),
            sender=sender,
            to=to,
            date=date.replace(microsecond=0),
            body_text=text,
            body_html=html,
            read=rng.random() < 0.6 and when is None,
            importance=rng.choice((1, 1, 1, 0, 2)),
            # One message in four carries a small binary attachment (ItemOperations, multipart).
            attachments=(
                (
                    (
                        f"{fake.word()}.bin",
                        "application/octet-stream",
                        rng.randbytes(rng.randint(64, 4096)),
                    ),
                )
                if rng.random() < 0.25
                else ()
            ),
        )


class MailStore:
    """All users and their mailboxes (created on first use)."""

    def __init__(
        self,
        users: list[User] | tuple[User, ...],
        seed: int,
        messages_per_folder: int,
        domain: str = "example.test",
    ) -> None:
        self.users = tuple(users)
        self._by_name: dict[str, User] = {}
        for u in self.users:
            self._by_name[u.name.lower()] = u
            self._by_name[u.address.lower()] = u
        self.factory = MessageFactory(seed, domain)
        self.pim = PimFactory(seed)
        self.messages_per_folder = messages_per_folder
        self._mailboxes: dict[str, Mailbox] = {}

    def user(self, name: str) -> User | None:
        """A user by login name or SMTP address (case-insensitive)."""
        return self._by_name.get(name.lower())

    def mailbox(self, user: User) -> Mailbox:
        box = self._mailboxes.get(user.name)
        if box is None:
            box = Mailbox(user, self)
            for sid, parent, name, type_, share in STANDARD_FOLDERS:
                count = int(self.messages_per_folder * share)
                box.folders[sid] = Folder(sid, parent, name, type_, count)
            self._mailboxes[user.name] = box
        return box

    def deliver(
        self, user: User, folder_id: str = INBOX_ID, count: int = 1, subject: str | None = None
    ) -> list[Message]:
        """Put ``count`` new unread messages into a folder (now-dated); wakes its Pings."""
        box = self.mailbox(user)
        folder = box.folder(folder_id)
        if folder is None:
            raise KeyError(folder_id)
        box.items(folder)
        now = datetime.now(UTC)
        out = []
        for _ in range(count):
            index = folder._next_item + 1_000_000  # distinct from the seeded range
            msg = self.factory.make(user, folder, index, when=now, subject=subject)
            out.append(box.add_message(folder, msg))
        return out
