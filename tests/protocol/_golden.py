"""Hand-assembled WBXML for the golden-byte tests (tokens from MS-ASWBXML / EAS-FACTS 5.2)."""

from __future__ import annotations

HEADER = bytes([0x03, 0x01, 0x6A, 0x00])  # WBXML 1.3, unknown public id, UTF-8, no string table
SWITCH_PAGE = 0x00
END = 0x01


def wbxml(*parts: int | str | bytes) -> bytes:
    """The header, then each part: an int is one byte, a str an inline string (STR_I)."""
    out = bytearray(HEADER)
    for part in parts:
        if isinstance(part, int):
            out.append(part)
        elif isinstance(part, str):
            out += b"\x03" + part.encode("utf-8") + b"\x00"
        else:
            out += part
    return bytes(out)


def tag(token: int) -> int:
    """A tag with content (the 0x40 bit set)."""
    return token | 0x40
