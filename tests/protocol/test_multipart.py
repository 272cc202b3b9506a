"""application/vnd.ms-sync.multipart (MS-ASCMD 2.2.1.10.1.1): parse, build, reject bad bodies."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from easclient.protocol.errors import ProtocolError
from easclient.protocol.multipart import (
    MULTIPART_CONTENT_TYPE,
    build_multipart,
    is_multipart,
    parse_multipart,
)
from easclient.wbxml import decode

from .spec_vectors import MULTIPART_ITEMOPERATIONS


def test_spec_example_parts() -> None:
    # MS-ASCMD 4.10.5.2: PartCount 2; part 0 at 20 (500 bytes), part 1 at 520 (19 bytes).
    wbxml_part, body = parse_multipart(MULTIPART_ITEMOPERATIONS)
    assert len(wbxml_part) == 500
    assert body == b"This is the body.\r\n"
    assert decode(wbxml_part).tag == "ItemOperations:ItemOperations"


def test_build_reproduces_the_spec_example() -> None:
    assert build_multipart(parse_multipart(MULTIPART_ITEMOPERATIONS)) == MULTIPART_ITEMOPERATIONS


def test_layout_is_little_endian_and_absolute() -> None:
    data = build_multipart([b"AB", b"", b"xyz"])
    assert data[:4] == b"\x03\x00\x00\x00"
    header = 4 + 3 * 8
    assert struct.unpack("<6i", data[4:header]) == (header, 2, header + 2, 0, header + 2, 3)
    assert data[header:] == b"ABxyz"


@settings(max_examples=100, deadline=None)
@given(st.lists(st.binary(max_size=300), min_size=1, max_size=8))
def test_round_trip(parts: list[bytes]) -> None:
    assert parse_multipart(build_multipart(parts)) == parts


def _raw(count: int, metas: list[tuple[int, int]], tail: bytes = b"") -> bytes:
    return struct.pack("<i", count) + b"".join(struct.pack("<ii", o, n) for o, n in metas) + tail


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"", "too short"),
        (b"\x01\x00", "too short"),
        (_raw(0, []), "at least 1"),
        (_raw(-1, []), "at least 1"),
        (_raw(2, [(20, 0)]), "needs 20 bytes"),  # metadata cut short
        (_raw(0x7FFFFFFF, []), "needs"),  # absurd count: refused before any parsing
        (_raw(1, [(12, 5)], b"abcd"), "outside"),  # runs past the end
        (_raw(1, [(12, -1)], b"abcd"), "outside"),  # negative length
        (_raw(1, [(4, 4)], b"abcd"), "outside"),  # points into the metadata
        (_raw(1, [(-8, 4)], b"abcd"), "outside"),
    ],
)
def test_malformed_bodies(body: bytes, fragment: str) -> None:
    with pytest.raises(ProtocolError, match=fragment):
        parse_multipart(body)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=64))
def test_arbitrary_bytes_never_crash(data: bytes) -> None:
    try:
        parts = parse_multipart(data)
    except ProtocolError:
        return
    assert parts and all(len(p) <= len(data) for p in parts)


def test_build_needs_a_part() -> None:
    with pytest.raises(ValueError):
        build_multipart([])


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (MULTIPART_CONTENT_TYPE, True),
        ("Application/Vnd.MS-Sync.Multipart; charset=binary", True),
        ("application/vnd.ms-sync.wbxml", False),
        (None, False),
        ("", False),
    ],
)
def test_is_multipart(value, expected: bool) -> None:
    assert is_multipart(value) is expected
