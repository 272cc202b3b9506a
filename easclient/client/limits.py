"""How much a server may send, and for how long: the client's bounds on one answer.

A hostile or broken server (or a proxy in front of it) can stream an endless chunked body,
announce a 2 GB Content-Length, or trickle its answer a byte a second so every read returns
just within the read timeout. The transport bounds each answer in size (per command: an
attachment may be large, a Ping answer never is) and in time (a whole-answer deadline), and
says which limit was hit and how to raise it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from easclient.errors import EasError, excerpt

from .heartbeat import PingOutcome

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB

#: Per-command size bounds. Attachments and fetched items (ItemOperations, GetAttachment) may
#: be large; a Sync window or the folder hierarchy is bounded by WindowSize and the mailbox's
#: shape; Ping, OPTIONS and the small control commands answer in a few hundred bytes.
DEFAULT_MAX_RESPONSE_SIZES: Mapping[str, int] = {
    "ItemOperations": 256 * MiB,
    "GetAttachment": 256 * MiB,
    "Sync": 64 * MiB,
    "FolderSync": 64 * MiB,
    "Search": 64 * MiB,
    "Find": 64 * MiB,
    "GetItemEstimate": 1 * MiB,
    "Provision": 1 * MiB,
    "Settings": 1 * MiB,
    "Ping": 64 * KiB,
    "OPTIONS": 64 * KiB,
}
#: Any command not listed above.
DEFAULT_MAX_RESPONSE_SIZE = 16 * MiB
#: The whole answer of any exchange but a Ping (whose deadline is its heartbeat + margin).
DEFAULT_DEADLINE = 300.0


class ResponseLimitError(EasError):
    """An answer the client will not take: beyond a bound (size, time) or undecodable; not a
    network fault."""


class ResponseTooLarge(ResponseLimitError):
    """An answer larger than the command's size limit (announced or counted while read)."""

    def __init__(self, command: str, limit: int, seen: int, *, announced: bool) -> None:
        self.command = command
        self.limit = limit
        self.seen = seen
        if announced:
            what = f"{command} answer of {format_size(seen)} (Content-Length) is"
        else:
            what = f"{command} answer still arriving after {format_size(seen)}:"
        super().__init__(
            f"{what} beyond the {format_size(limit)} limit (raise it with --max-response-size)"
        )


class ResponseDeadlineExceeded(ResponseLimitError):
    """An answer not complete within the whole-answer deadline (a trickling server or proxy).

    ``outcome`` is that of a read timeout, so a Ping's classification is unchanged."""

    def __init__(self, command: str, deadline: float) -> None:
        self.command = command
        self.deadline = deadline
        self.outcome = PingOutcome.BLACKHOLE
        super().__init__(
            f"{command} answer not complete within the {deadline:g} s deadline "
            "(raise it with --deadline)"
        )


class ResponseDecodingError(ResponseLimitError):
    """An answer whose Content-Encoding does not decode (e.g. gzip announced, junk sent)."""


@dataclass(frozen=True)
class ResponseLimits:
    """Size bound per command and the whole-answer deadline.

    ``max_size`` caps every command at one value when given (what ``--max-response-size``
    sets); otherwise ``sizes`` (defaults: :data:`DEFAULT_MAX_RESPONSE_SIZES`) and ``default``.
    """

    max_size: int | None = None
    sizes: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_MAX_RESPONSE_SIZES))
    default: int = DEFAULT_MAX_RESPONSE_SIZE
    deadline: float = DEFAULT_DEADLINE

    def __post_init__(self) -> None:
        if self.max_size is not None and self.max_size < 1:
            raise EasError(f"the response size limit must be positive, got {self.max_size}")
        if not self.deadline > 0:
            raise EasError(f"the response deadline must be positive, got {self.deadline:g}")

    def size_for(self, command: str) -> int:
        """The size bound of ``command``'s answer, in bytes."""
        if self.max_size is not None:
            return self.max_size
        return self.sizes.get(command, self.default)


_UNITS = {"": 1, "b": 1, "k": KiB, "kb": KiB, "kib": KiB, "m": MiB, "mb": MiB, "mib": MiB}
_UNITS |= {"g": GiB, "gb": GiB, "gib": GiB}
_SIZE = re.compile(r"([0-9]{1,15})\s*([a-z]{0,3})")


def parse_size(text: str) -> int:
    """A size as written on a command line: bytes, or with a binary unit (``64M``, ``1GiB``,
    ``512k``; K/M/G are powers of 1024)."""
    m = _SIZE.fullmatch(text.strip().lower()) if text.isascii() else None
    if m is None or m.group(2) not in _UNITS:
        raise EasError(f"not a size: {excerpt(text)} (write e.g. 65536, 512K, 64M or 1G)")
    value = int(m.group(1)) * _UNITS[m.group(2)]
    if value < 1:
        raise EasError(f"a size must be positive, got {excerpt(text)}")
    return value


def format_size(n: int) -> str:
    """``n`` bytes for a message: whole KiB/MiB/GiB when exact, else bytes."""
    for unit, size in (("GiB", GiB), ("MiB", MiB), ("KiB", KiB)):
        if n >= size and n % size == 0:
            return f"{n // size} {unit}"
    return f"{n:,} bytes"
