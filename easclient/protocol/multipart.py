"""Multipart ItemOperations bodies, ``application/vnd.ms-sync.multipart`` (MS-ASCMD 2.2.1.10.1).

A client that sends ``MS-ASAcceptMultiPart: T`` (or the base64 query's AcceptMultiPart option)
gets binary content outside the WBXML. The body is a MultiPartResponse (2.2.1.10.1.1)::

    PartsCount      int32
    PartsMetaData   PartsCount x PartMetaData (2.2.1.10.1.1.1): Offset int32, Length int32
    Parts           the bytes the offsets point into

Offsets count from the start of the body. Part 0 is always the WBXML response; an item's
``ItemOperations:Part`` element gives the index of its content. Integers are little-endian (the
spec example in 4.10.5.2 reads ``02000000`` as 2; EAS-FACTS 8).
"""

from __future__ import annotations

from collections.abc import Sequence

from construct import Array, ConstructError, Int32sl, Struct, this

from .errors import ProtocolError
from .http import MULTIPART_CONTENT_TYPE

PartMetaData = Struct(
    "offset" / Int32sl,
    "length" / Int32sl,
)

MultiPartHeader = Struct(
    "parts_count" / Int32sl,
    "parts_metadata" / Array(this.parts_count, PartMetaData),
)

_COUNT_SIZE = 4
_META_SIZE = PartMetaData.sizeof()


def is_multipart(content_type: str | None) -> bool:
    """Whether a Content-Type header names the multipart form (parameters ignored)."""
    if not content_type:
        return False
    return content_type.split(";", 1)[0].strip().lower() == MULTIPART_CONTENT_TYPE


def parse_multipart(body: bytes) -> list[bytes]:
    """The parts of a MultiPartResponse body, part 0 (the WBXML) first.

    Every count, offset and length is checked against the body before any slicing: a malformed
    body raises :class:`ProtocolError` naming the field and its value.
    """
    size = len(body)
    if size < _COUNT_SIZE:
        raise ProtocolError(
            f"multipart body too short for PartsCount: {size} bytes", value=bytes(body)
        )
    count = Int32sl.parse(body[:_COUNT_SIZE])
    if count < 1:
        # MS-ASCMD 2.2.1.10.1: there is always at least the WBXML part.
        raise ProtocolError(f"multipart PartsCount must be at least 1, got {count}", value=count)
    header_size = _COUNT_SIZE + count * _META_SIZE
    if header_size > size:
        raise ProtocolError(
            f"multipart PartsCount {count} needs {header_size} bytes of metadata, "
            f"the body has {size}",
            value=count,
        )
    try:
        header = MultiPartHeader.parse(body[:header_size])
    except ConstructError as exc:  # cannot happen after the size check; kept as a guard
        raise ProtocolError(f"multipart metadata unreadable: {exc}") from exc
    parts = []
    for index, meta in enumerate(header.parts_metadata):
        offset, length = meta.offset, meta.length
        if offset < header_size or length < 0 or offset + length > size:
            raise ProtocolError(
                f"multipart part {index} (offset {offset}, length {length}) lies outside the "
                f"data ({header_size}..{size})",
                value=(offset, length),
            )
        parts.append(bytes(body[offset : offset + length]))
    return parts


def build_multipart(parts: Sequence[bytes]) -> bytes:
    """A MultiPartResponse body holding ``parts`` in order (part 0 should be the WBXML)."""
    if not parts:
        raise ValueError("a multipart body needs at least one part (the WBXML response)")
    offset = _COUNT_SIZE + len(parts) * _META_SIZE
    metadata = []
    for part in parts:
        metadata.append({"offset": offset, "length": len(part)})
        offset += len(part)
    header: bytes = MultiPartHeader.build({"parts_count": len(parts), "parts_metadata": metadata})
    return header + b"".join(bytes(p) for p in parts)


__all__ = [
    "MultiPartHeader",
    "PartMetaData",
    "build_multipart",
    "is_multipart",
    "parse_multipart",
]
