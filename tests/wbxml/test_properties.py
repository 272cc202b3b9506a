"""Property tests (hypothesis): round trips over generated trees from every code page, and
malformed input of any shape raising nothing but WBXMLError."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from easclient.wbxml import BY_NAME, PAGES, Element, WBXMLError, decode, encode, from_xml, to_xml

# Two shared cores: no per-example deadline, moderate example counts, whole file in seconds.
COMMON = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=150)
FUZZ = settings(COMMON, max_examples=400)

TAGS = sorted(BY_NAME)
H = b"\x03\x01\x6a\x00"

# Any text STR_I can carry: no NUL, no lone surrogates (not UTF-8).
wbxml_text = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"))
# Text XML 1.0 can carry as well (XML 1.0 §2.2 Char).
xml_text = st.text(
    st.characters(
        exclude_categories=("Cs",),
        exclude_characters="".join(map(chr, [*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20)]))
        + "\ufffe\uffff",
    )
)


def trees(text: st.SearchStrategy[str], tags: list[str] = TAGS) -> st.SearchStrategy[Element]:
    value = st.one_of(st.none(), text, st.binary(max_size=300))
    leaf = st.builds(Element, st.sampled_from(tags), value)
    return st.recursive(
        leaf,
        lambda kids: st.builds(
            lambda tag, children: Element(tag, *children),
            st.sampled_from(tags),
            st.lists(kids, min_size=1, max_size=6),
        ),
        max_leaves=40,
    )


@COMMON
@given(trees(wbxml_text))
def test_decode_inverts_encode(tree):
    data = encode(tree)
    assert decode(data) == tree
    assert encode(decode(data)) == data


@COMMON
@given(trees(xml_text))
def test_from_xml_inverts_to_xml(tree):
    assert from_xml(to_xml(tree)) == tree
    assert from_xml(to_xml(tree, pretty=False)) == tree


def _placeholder_tags() -> list[str]:
    # unknown pages, and unassigned tokens of known pages
    unknown = [f"page{p}:0x{t:02X}" for p in (26, 99, 254, 255) for t in (0x05, 0x2A, 0x3F)]
    unassigned = [
        f"page{p}:0x{t:02X}"
        for p, page in PAGES.items()
        for t in range(0x05, 0x40)
        if t not in {tag.token for tag in page.tags}
    ]
    return unknown + unassigned[::7]


@COMMON
@given(trees(wbxml_text, TAGS[::5] + _placeholder_tags()))
def test_lenient_decoding_keeps_unknown_tags_as_placeholders(tree):
    data = encode(tree)
    report: list[WBXMLError] = []
    assert decode(data, lenient=True, report=report) == tree
    has_placeholder = any(el.tag.startswith("page") for el in tree.iter())
    assert bool(report) == has_placeholder
    if has_placeholder:
        with pytest.raises(WBXMLError):
            decode(data)


def _only_wbxml_errors(data: bytes) -> None:
    for lenient in (False, True):
        try:
            tree = decode(data, lenient=lenient)
        except WBXMLError:
            continue
        # whatever decodes must encode again (placeholders included)
        assert isinstance(encode(tree), bytes)


@FUZZ
@given(st.binary(max_size=200))
def test_arbitrary_bytes_raise_only_wbxml_error(data):
    _only_wbxml_errors(data)


@FUZZ
@given(st.binary(max_size=200))
def test_arbitrary_bodies_raise_only_wbxml_error(body):
    _only_wbxml_errors(H + body)


@st.composite
def mutated(draw) -> bytes:
    data = bytearray(encode(draw(trees(wbxml_text))))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(("flip", "insert", "delete", "truncate")))
        at = draw(st.integers(0, len(data)))
        if kind == "flip" and at < len(data):
            data[at] = draw(st.integers(0, 255))
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=6))
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 4))]
        else:
            del data[at:]
    return bytes(data)


@settings(COMMON, max_examples=250)
@given(mutated())
def test_mutated_documents_raise_only_wbxml_error(data):
    _only_wbxml_errors(data)


@COMMON
@given(st.text(max_size=300))
def test_arbitrary_text_raises_only_wbxml_error_from_xml(text):
    with contextlib.suppress(WBXMLError):
        from_xml(text)


@COMMON
@given(st.from_regex(r"[A-Za-z0-9_.\-]{1,12}", fullmatch=True))
def test_any_encoding_declared_by_xml_bytes_raises_only_wbxml_error(name):
    # Bytes are decoded as their declaration says; expat asks Python for names it lacks.
    data = f'<?xml version="1.0" encoding="{name}"?><Sync xmlns="AirSync:"/>'.encode()
    with contextlib.suppress(WBXMLError):
        from_xml(data)


@st.composite
def mutated_xml(draw) -> str:
    text = to_xml(draw(trees(xml_text)))
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(text)))
        kind = draw(st.sampled_from(("insert", "delete")))
        if kind == "insert":
            text = (
                text[:at]
                + draw(st.sampled_from(["<", ">", "&", "/", '"', "x", "&#0;"]))
                + text[at:]
            )
        else:
            text = text[:at] + text[at + draw(st.integers(1, 5)) :]
    return text


@COMMON
@given(mutated_xml())
def test_mutated_xml_raises_only_wbxml_error(text):
    with contextlib.suppress(WBXMLError):
        encode(from_xml(text))
    # as bytes, the XML declaration's encoding is honoured (and may be garbage)
    with contextlib.suppress(WBXMLError):
        encode(from_xml(text.encode("utf-8", "surrogatepass")))
