"""EAS command names and their base64 command codes (MS-ASHTTP 2.2.1.1.1.1.2)."""

from __future__ import annotations

from enum import StrEnum

from easclient.errors import excerpt

from .errors import QueryError

__all__ = ["Command"]


class Command(StrEnum):
    """An EAS command; the value is the name used in ``Cmd=``, :attr:`code` the base64 code."""

    Sync = "Sync"
    SendMail = "SendMail"
    SmartForward = "SmartForward"
    SmartReply = "SmartReply"
    GetAttachment = "GetAttachment"
    # 5-8: commands of protocol 2.5 that the spec's code table no longer lists; the numbers
    # follow the order the old servers used (EAS-FACTS 4 marks them unverified).
    GetHierarchy = "GetHierarchy"
    CreateCollection = "CreateCollection"
    DeleteCollection = "DeleteCollection"
    MoveCollection = "MoveCollection"
    FolderSync = "FolderSync"
    FolderCreate = "FolderCreate"
    FolderDelete = "FolderDelete"
    FolderUpdate = "FolderUpdate"
    MoveItems = "MoveItems"
    GetItemEstimate = "GetItemEstimate"
    MeetingResponse = "MeetingResponse"
    Search = "Search"
    Settings = "Settings"
    Ping = "Ping"
    ItemOperations = "ItemOperations"
    Provision = "Provision"
    ResolveRecipients = "ResolveRecipients"
    ValidateCert = "ValidateCert"
    Find = "Find"

    @property
    def code(self) -> int:
        """The command code of the base64 query form."""
        return _CODES[self]

    @classmethod
    def from_code(cls, code: int) -> Command:
        try:
            return _BY_CODE[code]
        except KeyError:
            raise QueryError(f"unknown command code {code}", value=code) from None

    @classmethod
    def parse(cls, name: str) -> Command:
        """The command named ``name`` (exact case, as the spec writes it)."""
        try:
            return cls(name)
        except ValueError:
            raise QueryError(f"unknown EAS command {excerpt(name)}", value=name) from None

    def __str__(self) -> str:
        return self.value


_CODES: dict[Command, int] = {c: i for i, c in enumerate(Command)}
_BY_CODE: dict[int, Command] = {i: c for c, i in _CODES.items()}
assert _CODES[Command.FolderSync] == 9 and _CODES[Command.Find] == 23
