"""The OPTIONS exchange (MS-ASHTTP 2.2.3, 3.1.5.1): which versions and commands a server has.

A client sends ``OPTIONS /Microsoft-Server-ActiveSync``; the answer's headers list the protocol
versions (``MS-ASProtocolVersions``), the commands (``MS-ASProtocolCommands``) and the server's
own version (``MS-Server-ActiveSync``). A reverse proxy that blocks OPTIONS typically answers
without the last one, the classic "Could not find MS-Server-ActiveSync header" failure.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .commands import Command
from .errors import OptionsBlocked, VersionError
from .http import ACTIVESYNC_PATH, EasRequest, EasResponse, Headers, check_http
from .versions import ALL_VERSIONS, choose_version

__all__ = [
    "DEFAULT_SERVER_COMMANDS",
    "OptionsResult",
    "build_options_request",
    "options_headers",
    "parse_options",
]

#: What an Exchange 2016-era server lists in MS-ASProtocolCommands (EAS-FACTS 2).
DEFAULT_SERVER_COMMANDS: tuple[str, ...] = (
    "Sync",
    "SendMail",
    "SmartForward",
    "SmartReply",
    "GetAttachment",
    "GetHierarchy",
    "CreateCollection",
    "DeleteCollection",
    "MoveCollection",
    "FolderSync",
    "FolderCreate",
    "FolderDelete",
    "FolderUpdate",
    "MoveItems",
    "GetItemEstimate",
    "MeetingResponse",
    "Search",
    "Settings",
    "Ping",
    "ItemOperations",
    "Provision",
    "ResolveRecipients",
    "ValidateCert",
    "Find",
)


@dataclass(frozen=True, slots=True)
class OptionsResult:
    """What OPTIONS said. ``versions`` and ``commands`` are as the server listed them."""

    versions: tuple[str, ...]
    commands: tuple[str, ...]
    server_version: str

    @property
    def supported_versions(self) -> tuple[str, ...]:
        """The listed versions this package speaks, oldest first."""
        return tuple(v for v in ALL_VERSIONS if v in self.versions)

    def choose_version(self, client_versions: Iterable[str] | None = None) -> str:
        """The highest version both sides support (VersionError when none)."""
        return choose_version(self.versions, client_versions)

    def supports(self, command: str | Command) -> bool:
        return str(command) in self.commands


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(p.strip() for p in (value or "").split(",") if p.strip())


def build_options_request(
    user_agent: str | None = None, *, path: str = ACTIVESYNC_PATH
) -> EasRequest:
    """``OPTIONS /Microsoft-Server-ActiveSync`` (no query, no body)."""
    headers = Headers()
    if user_agent:
        headers["User-Agent"] = user_agent
    return EasRequest("OPTIONS", path, None, headers, b"")


def parse_options(resp: EasResponse) -> OptionsResult:
    """Read an OPTIONS response; HTTP errors raise as :func:`check_http` says.

    A 2xx answer without ``MS-Server-ActiveSync`` raises :class:`OptionsBlocked`, and one
    without any ``MS-ASProtocolVersions`` raises :class:`VersionError`.
    """
    check_http(resp)
    server_version = resp.headers.get("MS-Server-ActiveSync")
    if not server_version:
        raise OptionsBlocked(
            "OPTIONS response has no MS-Server-ActiveSync header: blocked by a proxy?",
            element="MS-Server-ActiveSync",
            value=dict(resp.headers),
        )
    versions = _split(resp.headers.get("MS-ASProtocolVersions"))
    if not versions:
        raise VersionError(
            "OPTIONS response lists no MS-ASProtocolVersions", value=dict(resp.headers)
        )
    return OptionsResult(
        versions=versions,
        commands=_split(resp.headers.get("MS-ASProtocolCommands")),
        server_version=server_version.strip(),
    )


def options_headers(
    versions: Iterable[str] = ALL_VERSIONS,
    commands: Iterable[str | Command] = DEFAULT_SERVER_COMMANDS,
    server_version: str = "15.1",
) -> dict[str, str]:
    """The server side: headers of a 200 answer to OPTIONS."""
    return {
        "Allow": "OPTIONS,POST",
        "Public": "OPTIONS,POST",
        "MS-Server-ActiveSync": server_version,
        "MS-ASProtocolVersions": ",".join(versions),
        "MS-ASProtocolCommands": ",".join(str(c) for c in commands),
    }
