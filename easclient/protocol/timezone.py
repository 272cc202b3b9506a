"""The calendar TimeZone blob (MS-ASDTYPE 2.7, MS-ASCAL 2.2.2.42): 172 bytes, base64 in XML.

Layout (little-endian), as declared below with construct: ``Bias`` (int32, minutes: UTC = local
+ bias), ``StandardName`` (32 UTF-16 code units, NUL-padded), ``StandardDate`` (a SYSTEMTIME:
year, month, day of week, day, hour, minute, second, milliseconds — year 0 with ``day`` 1-5 means
"the nth ``day_of_week`` of ``month``", 5 the last), ``StandardBias`` (int32), and the same three
for daylight saving time. A zone without DST has month 0 in both dates.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from construct import Bytes, ConstructError, Int16ul, Int32sl, Struct

from .errors import ProtocolError

__all__ = ["SystemTime", "TimeZone"]

_SYSTEMTIME = Struct(
    "year" / Int16ul,
    "month" / Int16ul,
    "day_of_week" / Int16ul,
    "day" / Int16ul,
    "hour" / Int16ul,
    "minute" / Int16ul,
    "second" / Int16ul,
    "milliseconds" / Int16ul,
)
_TIMEZONE = Struct(
    "bias" / Int32sl,
    "standard_name" / Bytes(64),
    "standard_date" / _SYSTEMTIME,
    "standard_bias" / Int32sl,
    "daylight_name" / Bytes(64),
    "daylight_date" / _SYSTEMTIME,
    "daylight_bias" / Int32sl,
)
SIZE = 172


@dataclass(frozen=True, slots=True)
class SystemTime:
    """A SYSTEMTIME; in a TimeZone, the moment the change to standard or daylight time happens."""

    year: int = 0
    month: int = 0
    day_of_week: int = 0
    day: int = 0
    hour: int = 0
    minute: int = 0
    second: int = 0
    milliseconds: int = 0


def _name(raw: bytes) -> str:
    return raw.decode("utf-16-le", errors="replace").split("\0", 1)[0]


def _raw_name(name: str) -> bytes:
    raw = name.encode("utf-16-le")
    if len(raw) > 62:  # 31 code units and the terminating NUL
        raise ValueError(f"a time zone name has at most 31 UTF-16 code units: {name[:40]!r}")
    return raw.ljust(64, b"\0")


@dataclass(frozen=True, slots=True)
class TimeZone:
    """A time zone as EAS carries it. ``TimeZone()`` is UTC."""

    bias: int = 0
    standard_name: str = ""
    standard_date: SystemTime = SystemTime()
    standard_bias: int = 0
    daylight_name: str = ""
    daylight_date: SystemTime = SystemTime()
    daylight_bias: int = 0

    @property
    def has_dst(self) -> bool:
        return self.daylight_date.month != 0 and self.standard_date.month != 0

    def to_bytes(self) -> bytes:
        return bytes(
            _TIMEZONE.build(
                {
                    "bias": self.bias,
                    "standard_name": _raw_name(self.standard_name),
                    "standard_date": _fields_of(self.standard_date),
                    "standard_bias": self.standard_bias,
                    "daylight_name": _raw_name(self.daylight_name),
                    "daylight_date": _fields_of(self.daylight_date),
                    "daylight_bias": self.daylight_bias,
                }
            )
        )

    def to_base64(self) -> str:
        """The text of a ``Calendar:Timezone`` element."""
        return base64.b64encode(self.to_bytes()).decode("ascii")

    @classmethod
    def from_bytes(cls, raw: bytes) -> TimeZone:
        if len(raw) != SIZE:
            raise ProtocolError(f"a TimeZone blob is {SIZE} bytes, got {len(raw)}")
        try:
            v = _TIMEZONE.parse(raw)
        except ConstructError as exc:  # cannot happen at 172 bytes; kept as our error anyway
            raise ProtocolError(f"unreadable TimeZone blob: {exc}") from None
        return cls(
            v.bias,
            _name(v.standard_name),
            _systemtime(v.standard_date),
            v.standard_bias,
            _name(v.daylight_name),
            _systemtime(v.daylight_date),
            v.daylight_bias,
        )

    @classmethod
    def from_base64(cls, text: str) -> TimeZone:
        """Read a ``Calendar:Timezone`` element's text."""
        try:
            raw = base64.b64decode(text.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise ProtocolError(f"Timezone is not base64: {text[:40]!r}", value=text) from None
        return cls.from_bytes(raw)


def _fields_of(t: SystemTime) -> dict[str, int]:
    return {name: getattr(t, name) for name in SystemTime.__slots__}


def _systemtime(v: object) -> SystemTime:
    return SystemTime(**{name: getattr(v, name) for name in SystemTime.__slots__})
