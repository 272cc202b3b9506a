"""EAS protocol versions (MS-ASHTTP 2.2.1.1.2.6) and choosing one.

A version is carried as the text of ``MS-ASProtocolVersion`` ("14.1") or, in a base64 query
(MS-ASHTTP 2.2.1.1.1.1), as one byte holding the version times ten (141).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from easclient.errors import excerpt

from .errors import VersionError

__all__ = [
    "ALL_VERSIONS",
    "ProtocolVersion",
    "base64_query_allowed",
    "choose_version",
    "version_at_least",
]


class ProtocolVersion(StrEnum):
    """One protocol version; compares by protocol order, not as text ("2.5" < "12.0")."""

    V2_5 = "2.5"
    V12_0 = "12.0"
    V12_1 = "12.1"
    V14_0 = "14.0"
    V14_1 = "14.1"
    V16_0 = "16.0"
    V16_1 = "16.1"

    @classmethod
    def parse(cls, value: str | ProtocolVersion) -> ProtocolVersion:
        """The version named by ``value``; :class:`VersionError` for anything else."""
        try:
            return cls(str(value).strip())
        except ValueError:
            raise VersionError(
                f"unknown EAS protocol version {excerpt(value)}", value=value
            ) from None

    @classmethod
    def from_byte(cls, byte: int) -> ProtocolVersion:
        """The version of a base64 query's version byte (MS-ASHTTP 2.2.1.1.1.1)."""
        for v in cls:
            if v.byte == byte:
                return v
        raise VersionError(f"unknown protocol version byte {byte}", value=byte)

    @property
    def byte(self) -> int:
        """The version times ten, as the base64 query carries it (14.0 → 140)."""
        major, _, minor = self.value.partition(".")
        return int(major) * 10 + int(minor)

    @property
    def rank(self) -> int:
        """The position in protocol order (2.5 is 0)."""
        return _RANK[self]

    def _cmp(self, other: object) -> int | None:
        if isinstance(other, str):
            return self.rank - ProtocolVersion.parse(other).rank
        return None

    # str compares as text; versions compare by protocol order (str's methods are replaced).
    def __lt__(self, other: object) -> bool:
        c = self._cmp(other)
        return NotImplemented if c is None else c < 0

    def __le__(self, other: object) -> bool:
        c = self._cmp(other)
        return NotImplemented if c is None else c <= 0

    def __gt__(self, other: object) -> bool:
        c = self._cmp(other)
        return NotImplemented if c is None else c > 0

    def __ge__(self, other: object) -> bool:
        c = self._cmp(other)
        return NotImplemented if c is None else c >= 0

    # str's own __eq__/__hash__ stay: ProtocolVersion.V14_1 == "14.1".
    __hash__ = str.__hash__

    def __str__(self) -> str:
        return self.value


_RANK: dict[str, int] = {v: i for i, v in enumerate(ProtocolVersion)}

#: Every version this package speaks, oldest first (as strings).
ALL_VERSIONS: tuple[str, ...] = tuple(v.value for v in ProtocolVersion)


def version_at_least(version: str, minimum: str) -> bool:
    """Whether ``version`` is ``minimum`` or later (``version_at_least("14.1", "12.1")``)."""
    return _rank(version) >= _rank(minimum)


def _rank(version: str) -> int:
    # Builders ask this several times per message; skip parse() for the exact spellings.
    rank = _RANK.get(version)  # a ProtocolVersion is its str
    return ProtocolVersion.parse(version).rank if rank is None else rank


def base64_query_allowed(version: str) -> bool:
    """Whether the base64 query form may be used: 12.1 and later (MS-ASHTTP 2.2.1.1.1.1)."""
    return version_at_least(version, "12.1")


def _split(versions: Iterable[str] | str) -> list[str]:
    # The OPTIONS header is one comma-separated string ("2.5,12.0,12.1"); accept it as is.
    if isinstance(versions, str):
        versions = versions.split(",")
    return [v.strip() for v in versions if v and v.strip()]


def choose_version(
    server_versions: Iterable[str] | str, client_versions: Iterable[str] | str | None = None
) -> str:
    """The highest version both sides support.

    ``server_versions`` is what OPTIONS listed in ``MS-ASProtocolVersions``; versions this
    package does not know (Exchange also lists "1.0", "2.0", "2.1") are ignored. Without
    ``client_versions`` every version we speak is allowed. No common version → VersionError.
    """
    known = set(ALL_VERSIONS)
    server = {v for v in _split(server_versions) if v in known}
    client = set(ALL_VERSIONS) if client_versions is None else set(_split(client_versions))
    for v in client - known:
        raise VersionError(f"unknown EAS protocol version {excerpt(v)}", value=v)
    common = server & client
    if not common:
        raise VersionError(
            f"no protocol version in common: server offers {sorted(server) or 'none we know'}, "
            f"client allows {sorted(client, key=ALL_VERSIONS.index)}",
            value=server_versions,
        )
    return max(common, key=ALL_VERSIONS.index)
