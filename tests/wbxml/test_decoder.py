"""The decoder: every WBXML 1.3 construct EAS can meet, and every way input can be malformed."""

from __future__ import annotations

import tracemalloc

import pytest

from easclient.wbxml import E, WBXMLError, decode, encode
from easclient.wbxml.decoder import placeholder

H = bytes.fromhex("03 01 6A 00")


def b(hexs: str) -> bytes:
    return bytes.fromhex(hexs)


def fails(data: bytes, match: str, offset: int | None = None, **kw) -> WBXMLError:
    with pytest.raises(WBXMLError, match=match) as info:
        decode(data, **kw)
    if offset is not None:
        assert info.value.offset == offset
    assert str(info.value.offset) in str(info.value)
    return info.value


# -- what is accepted -----------------------------------------------------------------------------
def test_empty_root_without_content_bit():
    assert decode(H + b("05")) == E("AirSync:Sync")


def test_empty_root_with_content_bit():
    assert decode(H + b("45 01")) == E("AirSync:Sync")


def test_empty_string_is_no_value():
    assert decode(H + b("45 4B 03 00 01 01")) == E("AirSync:Sync", E("AirSync:SyncKey"))
    assert decode(H + b("4B 03 00 01")).text is None  # the root itself, slow path


def test_several_strings_join():
    data = H + b("45 4B 03") + b"ab\x00" + b("03") + b"cd\x00" + b("01 01")
    assert decode(data).find("SyncKey").text == "abcd"


def test_str_t_reads_the_string_table():
    # string table of 8 bytes: "abc\0xyz\0"; STR_T 4 -> "xyz", STR_T 0 -> "abc", STR_T 1 -> "bc"
    data = b("03 01 6A 08") + b"abc\x00xyz\x00" + b("45 4B 83 04 01 4D 83 00 83 01 01 01")
    tree = decode(data)
    assert tree.findtext("SyncKey") == "xyz"
    assert tree.findtext("ServerId") == "abcbc"


def test_str_t_errors():
    table = b("03 01 6A 04") + b"abc\x00"
    fails(table + b("45 4B 83 04 01 01"), "STR_T index 4 outside", offset=10)
    fails(b("03 01 6A 03") + b"abc" + b("45 4B 83 00 01 01"), "no terminating NUL")


def test_entity_adds_a_character():
    data = H + b("45 4B 03") + b"a\x00" + b("02 81 7F 03") + b"b\x00" + b("01 01")
    assert decode(data).findtext("SyncKey") == "a\u00ffb"
    fails(H + b("45 4B 02 00 01 01"), "ENTITY 0", offset=6)
    fails(H + b("45 4B 02 83 B0 00 01 01"), "ENTITY 55296", offset=6)  # a surrogate


def test_opaque_gives_bytes():
    data = H + b("45 4B C3 03 00 FF 01 01 01")
    assert decode(data).find("SyncKey").text == b"\x00\xff\x01"


def test_opaque_with_multibyte_lengths():
    for length in (127, 128, 16383, 16384, 100_000):
        blob = bytes(range(256)) * (length // 256 + 1)
        blob = blob[:length]
        tree = E("ComposeMail:SendMail", E("ComposeMail:Mime", blob))
        data = encode(tree)
        assert decode(data) == tree


def test_empty_opaque_is_no_value():
    assert decode(H + b("45 4B C3 00 01 01")).find("SyncKey").text is None


def test_switch_page_and_back():
    data = H + b("45 00 02 54 03") + b"s\x00" + b("01 00 00 4B 03") + b"k\x00" + b("01 01")
    assert decode(data) == E("AirSync:Sync", E("Email:Subject", "s"), E("AirSync:SyncKey", "k"))


def test_header_with_public_id_in_string_table_and_latin1():
    # public id 0 -> index 0 into the string table; charset 4 (ISO-8859-1)
    data = b("03 00 00 04 05") + b"-//x\x00" + b("45 4B 03 E9 00 01 01")
    assert decode(data).findtext("SyncKey") == "\u00e9"


def test_wbxml_1_0_header_has_no_charset():
    assert decode(b("00 01 00 45 01")) == E("AirSync:Sync")


def test_multibyte_header_fields():
    # public id 1 written in two bytes, charset 106 as "80 6A", string table length "80 00"
    assert decode(b("03 80 01 80 6A 80 00 45 01")) == E("AirSync:Sync")


def test_bytearray_and_memoryview_are_accepted():
    data = H + b("45 01")
    assert decode(bytearray(data)) == decode(memoryview(data)) == E("AirSync:Sync")


def test_str_input_is_a_type_error():
    with pytest.raises(TypeError):
        decode("not bytes")  # type: ignore[arg-type]


# -- what is refused ------------------------------------------------------------------------------
def test_attribute_bit_is_refused():
    fails(H + b("C5 01 01"), "attributes", offset=4)
    fails(H + b("85 01"), "attributes", offset=4)


@pytest.mark.parametrize(
    ("token", "name"),
    [
        ("04", "LITERAL"),
        ("44", "LITERAL_C"),
        ("84", "LITERAL_A"),
        ("C4", "LITERAL_AC"),
        ("43", "PI"),
        ("40", "EXT_I_0"),
        ("80", "EXT_T_0"),
        ("C0", "EXT_0"),
    ],
)
def test_unused_global_tokens_are_refused(token, name):
    fails(H + b(f"45 {token} 00 01"), name, offset=5)


def test_unknown_token_strict_and_lenient():
    data = H + b("45 5F 03") + b"x\x00" + b("01 01")  # AirSync 0x1F is unassigned
    fails(data, r"unknown token 0x1F on code page 0 \(AirSync\)", offset=5)
    report: list[WBXMLError] = []
    tree = decode(data, lenient=True, report=report)
    assert tree == E("AirSync:Sync", E("page0:0x1F", "x"))
    assert [(r.offset, r.reason) for r in report] == [
        (5, "unknown token 0x1F on code page 0 (AirSync)")
    ]


def test_unknown_page_strict_and_lenient():
    # Outlook 2013 has been seen sending code page 254 (tine20 #3765)
    data = H + b("45 00 FE 45 03") + b"x\x00" + b("01 06 00 00 4B 03") + b"1\x00" + b("01 01")
    fails(data, "unknown code page 254", offset=5)
    report: list[WBXMLError] = []
    tree = decode(data, lenient=True, report=report)
    assert tree == E(
        "AirSync:Sync",
        E("page254:0x05", "x"),
        E("page254:0x06"),
        E("AirSync:SyncKey", "1"),
    )
    assert [r.offset for r in report] == [5, 7, 12]
    assert placeholder(254, 5) == "page254:0x05"
    assert decode(data, lenient=True) == tree  # no report list: still tolerated


def test_placeholders_re_encode_to_the_same_bytes():
    data = H + b("45 00 FE 45 03") + b"x\x00" + b("01 06 00 00 4B 03") + b"1\x00" + b("01 01")
    assert encode(decode(data, lenient=True)) == data


def test_trailing_bytes_strict_and_lenient():
    data = H + b("45 01 00")
    fails(data, "1 byte", offset=6)
    report: list[WBXMLError] = []
    assert decode(data, lenient=True, report=report) == E("AirSync:Sync")
    assert report[0].offset == 6


def test_mixed_content_is_refused():
    fails(H + b("45 03") + b"x\x00" + b("4B 01 01"), "both text and child", offset=10)
    fails(H + b("45 4B 01 03") + b"x\x00" + b("01"), "both text and child")


def test_string_and_opaque_in_one_element_are_refused():
    fails(H + b("45 4B 03") + b"x\x00" + b("C3 01 00 01 01"), "mixes string and OPAQUE")


def test_text_outside_the_root_is_refused():
    fails(H + b("03") + b"x\x00" + b("45 01"), "outside the root", offset=4)


def test_end_without_element():
    fails(H + b("01"), "END without an open element", offset=4)


def test_empty_body():
    fails(H, "unexpected end of data", offset=4)


def test_bad_utf8():
    fails(H + b("45 4B 03 C3 28 00 01 01"), "not valid utf-8", offset=5)
    fails(H + b("4B 03 FF 00 01"), "not valid utf-8", offset=5)


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ("", "bad header"),
        ("03", "bad header"),
        ("03 01", "bad header"),
        ("03 01 6A", "bad header"),
        ("03 01 6A 05 61", "bad header"),  # a string table longer than the data
        ("03 81 81 81 81 81 01 6A 00 45 01", "longer than 5 bytes"),
        ("03 01 9F FF FF FF 7F 00 45 01", "exceeds 32 bits"),
        ("04 01 6A 00 45 01", "unsupported WBXML version"),
        ("03 01 83 71 00 45 01", "unsupported charset MIBenum 497"),
    ],
)
def test_bad_headers(data, match):
    fails(b(data), match)


def test_every_truncation_of_a_document_is_a_wbxml_error():
    tree = E(
        "AirSync:Sync",
        E("Email:Subject", "subject \u00e9"),
        E("ComposeMail:Mime", b"x" * 200),
        E("AirSync:SyncKey"),
    )
    data = encode(tree)
    for cut in range(len(data)):
        with pytest.raises(WBXMLError):
            decode(data[:cut])


def test_huge_declared_opaque_length_fails_fast():
    data = H + b("45 4B C3 8F FF FF FF 7F") + b"x" * 10
    tracemalloc.start()
    try:
        fails(data, "OPAQUE length 4294967295 runs past the end", offset=6)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000  # checked against the input, nothing allocated for it


def test_huge_declared_string_table_fails_fast():
    fails(b("03 01 6A 8F FF FF FF 7F") + b"x" * 10, "bad header")


def test_mb_u_int32_over_five_bytes():
    fails(H + b("45 4B C3 81 81 81 81 81 01"), "longer than 5 bytes", offset=7)


def test_deep_nesting_is_an_error_not_a_crash():
    depth = 100_000
    data = H + b("45") + b("5C") * depth + b("01") * (depth + 1)
    fails(data, "nested deeper than 1000")


def test_depth_limit_is_configurable_and_exact():
    def nested(levels: int) -> bytes:  # levels elements, the innermost with a string
        return H + b("45") * (levels - 1) + b("4B 03 31 00 01") + b("01") * (levels - 1)

    assert decode(nested(1000)) is not None
    fails(nested(1001), "nested deeper than 1000")
    assert decode(nested(5), max_depth=5) is not None
    fails(nested(6), "nested deeper than 5", max_depth=5)
    # empty elements count too
    assert decode(H + b("45 05 01"), max_depth=2) is not None
    fails(H + b("45 45 05 01 01"), "nested deeper than 2", max_depth=2)


def test_error_is_a_value_error_with_offset_and_reason():
    err = fails(H + b("01"), "END")
    assert isinstance(err, ValueError)
    assert err.reason == "END without an open element"
    assert str(err) == "at byte 4: END without an open element"
