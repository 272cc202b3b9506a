"""The WBXML 1.3 wire grammar (WAP-192-WBXML-20010725, as MS-ASWBXML 2.1.2 profiles it), declared
with ``construct`` where it reads like the spec.

The header and the string table are parsed and built through these declarations. The per-token
body loop is *not*: a construct ``Struct`` per token costs 15-30 µs against ~1 µs for plain Python,
so :mod:`.decoder` and :mod:`.encoder` walk the body by hand, using the token constants and
:func:`mb_u_int32` defined here.
"""

from __future__ import annotations

import enum
from typing import IO, Any

from construct import (
    Byte,
    Const,
    Construct,
    CString,
    GreedyBytes,
    If,
    Prefixed,
    StreamError,
    Struct,
    ValidationError,
    stream_read,
    stream_write,
    this,
)

#: mb_u_int32 values are 32-bit: at most five 7-bit groups (WBXML 1.3 §5.1).
MB_UINT32_MAX_BYTES = 5
MB_UINT32_MAX = 0xFFFFFFFF


# construct ships without type hints, so its classes are Any to mypy.
class _MbUInt32(Construct):  # type: ignore[misc]  # subclassing construct's (untyped) base
    """``mb_u_int32`` (WBXML 1.3 §5.1): an unsigned 32-bit integer as big-endian base-128 digits,
    with the continuation bit 0x80 set on every byte but the last."""

    def _parse(self, stream: IO[bytes], context: Any, path: str) -> int:
        value = 0
        for _ in range(MB_UINT32_MAX_BYTES):
            byte: int = stream_read(stream, 1, path)[0]
            value = (value << 7) | (byte & 0x7F)
            if not byte & 0x80:
                if value > MB_UINT32_MAX:
                    raise ValidationError(f"mb_u_int32 {value} exceeds 32 bits", path=path)
                return value
        raise ValidationError("mb_u_int32 longer than 5 bytes", path=path)

    def _build(self, obj: int, stream: IO[bytes], context: Any, path: str) -> int:
        data = mb_u_int32(obj)
        stream_write(stream, data, len(data), path)
        return obj

    def _sizeof(self, context: Any, path: str) -> int:
        raise StreamError("mb_u_int32 has a variable size", path=path)


MbUInt32 = _MbUInt32()  # one stateless instance, used like construct's own ``VarInt``

#: The document header (WBXML 1.3 §5.3-5.5, §5.7). EAS always sends ``03 01 6A 00``: version 1.3,
#: public id 1 ("unknown"), charset 106 (UTF-8), an empty string table.
Header = Struct(
    # high nibble: major version - 1; low nibble: minor version (0x03 = 1.3)
    "version" / Byte,
    # publicid = mb_u_int32 | ( zero index ): 0 means "the id is a string in the string table"
    "public_id" / MbUInt32,
    "public_id_index" / If(this.public_id == 0, MbUInt32),
    # WBXML 1.0 has no charset field; 1.1 and later do (an IANA MIBenum)
    "charset" / If(this.version >= 0x01, MbUInt32),
    # strtbl = length *byte: strings referenced by STR_T, each ending in a NUL
    "string_table" / Prefixed(MbUInt32, GreedyBytes),
)


class Token(enum.IntEnum):
    """The global tokens (WBXML 1.3 §7.1); they are the same on every code page."""

    SWITCH_PAGE = 0x00
    END = 0x01
    ENTITY = 0x02
    STR_I = 0x03
    LITERAL = 0x04
    EXT_I_0 = 0x40
    EXT_I_1 = 0x41
    EXT_I_2 = 0x42
    PI = 0x43
    LITERAL_C = 0x44
    EXT_T_0 = 0x80
    EXT_T_1 = 0x81
    EXT_T_2 = 0x82
    STR_T = 0x83
    LITERAL_A = 0x84
    EXT_0 = 0xC0
    EXT_1 = 0xC1
    EXT_2 = 0xC2
    OPAQUE = 0xC3
    LITERAL_AC = 0xC4


SWITCH_PAGE, END, ENTITY, STR_I, LITERAL = 0x00, 0x01, 0x02, 0x03, 0x04
STR_T, OPAQUE = 0x83, 0xC3

#: The token-level productions EAS uses (WBXML 1.3 §5.8.2-5.8.4), declared for reference and for
#: the tests that hold the hand-written loops to them; the codec does not run them per token.
SwitchPage = Struct("token" / Const(SWITCH_PAGE, Byte), "page" / Byte)
#: inline = STR_I termstr (in UTF-8, the only charset EAS uses)
StrI = Struct("token" / Const(STR_I, Byte), "value" / CString("utf8"))
#: tableref = STR_T index
StrT = Struct("token" / Const(STR_T, Byte), "index" / MbUInt32)
#: opaque = OPAQUE length *byte
Opaque = Struct("token" / Const(OPAQUE, Byte), "data" / Prefixed(MbUInt32, GreedyBytes))
#: entity = ENTITY entcode
Entity = Struct("token" / Const(ENTITY, Byte), "entcode" / MbUInt32)

#: Tag byte bits (WBXML 1.3 §5.8.2): the low six bits are the tag's token.
TAG_MASK = 0x3F
CONTENT_BIT = 0x40
ATTRIBUTE_BIT = 0x80
#: Tokens 0x00-0x04 of each 64-token quarter are global tokens, so a tag token is at least 5.
FIRST_TAG_TOKEN = 0x05

#: IANA MIBenum -> Python codec, for the charsets whose strings end in a single NUL byte.
#: 0 ("unknown") is read as UTF-8, which is what every EAS peer sends.
CHARSETS: dict[int | None, str] = {
    None: "utf-8",
    0: "utf-8",
    3: "ascii",
    4: "latin-1",
    106: "utf-8",
}

UTF8 = 106
PUBLIC_ID_UNKNOWN = 1


def mb_u_int32(value: int) -> bytes:
    """Encode ``value`` as mb_u_int32 (plain Python: it is on the encoder's OPAQUE path)."""
    if not 0 <= value <= MB_UINT32_MAX:
        raise ValueError(f"mb_u_int32 out of range: {value}")
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    return bytes(reversed(out))


#: The header the encoder writes, built from the declaration above.
EAS_HEADER: bytes = Header.build(
    {
        "version": 0x03,
        "public_id": PUBLIC_ID_UNKNOWN,
        "public_id_index": None,
        "charset": UTF8,
        "string_table": b"",
    }
)
assert EAS_HEADER == b"\x03\x01\x6a\x00", EAS_HEADER
