"""The EAS code pages (MS-ASWBXML 2.1.2.1) as data: page, namespace, tag name <-> token, versions.

Each page is one text block, a tag a line::

    TOKEN NAME [SINCE[-UNTIL]] [opaque]

TOKEN is the tag's token in hex without the 0x40 content bit; SINCE / UNTIL are the first and last
protocol versions that have the tag (default: every version); ``opaque`` marks the elements that
carry binary data and are written as WBXML OPAQUE (see EAS-FACTS 5.3).
"""

from __future__ import annotations

from dataclasses import dataclass

#: The protocol versions of MS-ASHTTP 2.2.1.1.2.6, oldest first.
VERSIONS: tuple[str, ...] = ("2.5", "12.0", "12.1", "14.0", "14.1", "16.0", "16.1")
_RANK = {v: i for i, v in enumerate(VERSIONS)}


@dataclass(frozen=True, slots=True)
class Tag:
    """One tag of one code page."""

    page: int
    token: int
    namespace: str
    name: str
    since: str = VERSIONS[0]
    until: str = VERSIONS[-1]
    opaque: bool = False

    @property
    def qualified(self) -> str:
        """``Namespace:Name``, the form the element tree uses."""
        return f"{self.namespace}:{self.name}"

    def in_version(self, version: str) -> bool:
        """Whether protocol ``version`` has this tag."""
        rank = _RANK[version]
        return _RANK[self.since] <= rank <= _RANK[self.until]


@dataclass(frozen=True, slots=True)
class CodePage:
    number: int
    namespace: str
    tags: tuple[Tag, ...]


_TABLE: dict[int, tuple[str, str]] = {
    0: (
        "AirSync",
        """
        05 Sync
        06 Responses
        07 Add
        08 Change
        09 Delete
        0A Fetch
        0B SyncKey
        0C ClientId
        0D ServerId
        0E Status
        0F Collection
        10 Class
        12 CollectionId
        13 GetChanges
        14 MoreAvailable
        15 WindowSize
        16 Commands
        17 Options
        18 FilterType
        1B Conflict
        1C Collections
        1D ApplicationData
        1E DeletesAsMoves
        20 Supported
        21 SoftDelete
        22 MIMESupport
        23 MIMETruncation
        24 Wait
        25 Limit
        26 Partial
        27 ConversationMode
        28 MaxItems
        29 HeartbeatInterval
        """,
    ),
    7: (
        "FolderHierarchy",
        """
        07 DisplayName
        08 ServerId
        09 ParentId
        0A Type
        0C Status
        0E Changes
        0F Add
        10 Delete
        11 Update
        12 SyncKey
        13 FolderCreate
        14 FolderDelete
        15 FolderUpdate
        16 FolderSync
        17 Count
        """,
    ),
    13: (
        "Ping",
        """
        05 Ping
        06 AutdState
        07 Status
        08 HeartbeatInterval
        09 Folders
        0A Folder
        0B Id
        0C Class
        0D MaxFolders
        """,
    ),
    14: (
        "Provision",
        """
        05 Provision
        06 Policies
        07 Policy
        08 PolicyType
        09 PolicyKey
        0A Data
        0B Status
        0C RemoteWipe
        0D EASProvisionDoc
        3B AccountOnlyRemoteWipe
        """,
    ),
}


def _parse(table: dict[int, tuple[str, str]]) -> dict[int, CodePage]:
    pages: dict[int, CodePage] = {}
    for number, (namespace, block) in sorted(table.items()):
        tags = []
        for line in block.strip().splitlines():
            fields = line.split()
            token = int(fields[0], 16)
            since, until, opaque = VERSIONS[0], VERSIONS[-1], False
            for extra in fields[2:]:
                if extra == "opaque":
                    opaque = True
                else:
                    first, _, last = extra.partition("-")
                    since = first or since
                    until = last or until
            assert since in _RANK and until in _RANK, line
            tags.append(Tag(number, token, namespace, fields[1], since, until, opaque))
        pages[number] = CodePage(number, namespace, tuple(tags))
    return pages


#: Every code page by number.
PAGES: dict[int, CodePage] = _parse(_TABLE)
#: (page, token) -> Tag
BY_TOKEN: dict[tuple[int, int], Tag] = {
    (t.page, t.token): t for p in PAGES.values() for t in p.tags
}
#: "Namespace:Name" -> Tag
BY_NAME: dict[str, Tag] = {t.qualified: t for p in PAGES.values() for t in p.tags}
#: namespace -> page number
PAGE_OF_NAMESPACE: dict[str, int] = {p.namespace: n for n, p in PAGES.items()}
