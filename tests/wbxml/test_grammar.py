"""The construct declarations of the wire grammar, and the hand-written hot paths held to them."""

from __future__ import annotations

import pytest
from construct import ConstructError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from easclient.wbxml import BY_TOKEN, E, decode, encode
from easclient.wbxml._grammar import (
    EAS_HEADER,
    END,
    Entity,
    Header,
    MbUInt32,
    Opaque,
    StrI,
    StrT,
    SwitchPage,
    Token,
    mb_u_int32,
)

FAST = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=200)
text = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), min_size=1)


@pytest.mark.parametrize(
    ("value", "wire"),
    [(0, "00"), (0x7F, "7f"), (0x80, "81 00"), (0xA0, "81 20"), (0x3FFF, "ff 7f"),
     (0x4000, "81 80 00"), (0xFFFFFFFF, "8f ff ff ff 7f")],
)  # fmt: skip
def test_mb_u_int32_examples(value, wire):
    # WBXML 1.3 §5.1: 0xA0 is "81 20"
    assert mb_u_int32(value).hex(" ") == wire
    assert MbUInt32.build(value).hex(" ") == wire
    assert MbUInt32.parse(bytes.fromhex(wire)) == value


@FAST
@given(st.integers(0, 0xFFFFFFFF))
def test_plain_mb_u_int32_matches_the_declaration(value):
    assert mb_u_int32(value) == MbUInt32.build(value)
    assert MbUInt32.parse(mb_u_int32(value)) == value


def test_mb_u_int32_bounds():
    with pytest.raises(ValueError):
        mb_u_int32(2**32)
    with pytest.raises(ValueError):
        mb_u_int32(-1)
    with pytest.raises(ConstructError, match="exceeds 32 bits"):
        MbUInt32.parse(bytes.fromhex("9f ff ff ff 7f"))
    with pytest.raises(ConstructError, match="longer than 5 bytes"):
        MbUInt32.parse(bytes.fromhex("81 81 81 81 81 01"))


def test_header_declaration_builds_the_eas_header():
    assert EAS_HEADER.hex(" ") == "03 01 6a 00"
    parsed = Header.parse(EAS_HEADER)
    assert (parsed.version, parsed.public_id, parsed.charset, parsed.string_table) == (
        3,
        1,
        106,
        b"",
    )


@FAST
@given(text)
def test_encoder_str_i_matches_the_declaration(value):
    data = encode(E("AirSync:SyncKey", value))
    assert data == EAS_HEADER + bytes([0x4B]) + StrI.build({"value": value}) + bytes([END])
    assert StrI.parse(data[5:]).value == value


@FAST
@given(st.binary(min_size=1, max_size=20_000))
def test_encoder_opaque_matches_the_declaration(blob):
    data = encode(E("AirSync:SyncKey", blob))
    assert data == EAS_HEADER + bytes([0x4B]) + Opaque.build({"data": blob}) + bytes([END])


@FAST
@given(st.integers(0, 255), st.sampled_from([0x05, 0x3F]))
def test_decoder_reads_declared_switch_page(page, token):
    data = EAS_HEADER + SwitchPage.build({"page": page}) + bytes([token])
    known = BY_TOKEN.get((page, token))
    expected = known.qualified if known else f"page{page}:0x{token:02X}"
    assert decode(data, lenient=True).tag == expected


@FAST
@given(st.lists(text, min_size=1, max_size=5), st.data())
def test_decoder_reads_declared_str_t_and_entity(strings, data):
    table = b"".join(s.encode() + b"\x00" for s in strings)
    offsets = [0]
    for s in strings[:-1]:
        offsets.append(offsets[-1] + len(s.encode()) + 1)
    i = data.draw(st.integers(0, len(strings) - 1))
    code = data.draw(st.integers(1, 0x10FFFF).filter(lambda c: not 0xD800 <= c <= 0xDFFF))
    header = Header.build(
        {"version": 3, "public_id": 1, "public_id_index": None, "charset": 106,
         "string_table": table}
    )  # fmt: skip
    body = (
        bytes([0x4B])
        + StrT.build({"index": offsets[i]})
        + Entity.build({"entcode": code})
        + bytes([END])
    )
    assert decode(header + body).text == strings[i] + chr(code)


def test_token_names():
    assert Token.OPAQUE == 0xC3 and Token.STR_T == 0x83 and Token.LITERAL_AC == 0xC4
    # a global token's low six bits are below 5; a tag token's are 5 or more
    assert all(t & 0x3F < 5 for t in Token)
