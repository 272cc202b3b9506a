import pytest

from easclient.wbxml import (
    BY_NAME,
    BY_TOKEN,
    MAX_DEPTH,
    PAGES,
    E,
    Element,
    WBXMLError,
    decode,
    decoder,
    encode,
    encoder,
    from_xml,
    ns,
    to_xml,
    xml,
)


def test_builder_and_find():
    A = ns("AirSync")
    doc = A.Sync(A.Collections(A.Collection(A.SyncKey("0"), A.CollectionId(5))))
    assert doc == E(
        "AirSync:Sync",
        E(
            "AirSync:Collections",
            E("AirSync:Collection", E("AirSync:SyncKey", "0"), E("AirSync:CollectionId", "5")),
        ),
    )
    assert doc.findtext("Collections/Collection/CollectionId") == "5"
    assert doc.findtext("Collections/Collection/AirSync:SyncKey") == "0"
    assert doc.find("Collections/Nope") is None
    assert doc.findtext("Nope", "x") == "x"
    assert [e.name for e in doc.iter()] == [
        "Sync",
        "Collections",
        "Collection",
        "SyncKey",
        "CollectionId",
    ]
    assert doc.namespace == "AirSync"


def test_bare_name_matches_local_part_only():
    el = E("AirSync:Sync", E("Email:Status", "1"), E("AirSync:Status", "2"))
    assert [e.text for e in el.findall("Status")] == ["1", "2"]
    assert [e.text for e in el.findall("AirSync:Status")] == ["2"]
    assert el.findall("tatus") == []


def test_find_one_step_agrees_with_findall():
    # find() has a one-step fast path; it must pick what findall() lists first.
    el = E("AirSync:Sync", E("Email:Status", "1"), E("AirSync:Status", "2"), E("AirSync:Status"))
    for path in ("Status", "AirSync:Status", "Email:Status", "tatus", "Sync", "AirSync:Nope"):
        found = el.findall(path)
        assert el.find(path) is (found[0] if found else None), path
    assert el.find("Status").text == "1" and el.find("AirSync:Status").text == "2"


def test_empty_text_is_none_and_bytes_kept():
    assert E("AirSync:SyncKey", "").text is None
    assert E("ComposeMail:Mime", b"\x00\x01").text == b"\x00\x01"
    assert E("AirSync:Supported", True).text == "1"


def test_mixing_text_and_children_is_refused():
    with pytest.raises(TypeError):
        E("AirSync:Sync", E("AirSync:SyncKey"), "text")
    el = E("AirSync:SyncKey", "1")
    with pytest.raises(TypeError):
        el.append(E("AirSync:Status"))


def test_codepage_lookups_agree():
    for (page, token), tag in BY_TOKEN.items():
        assert PAGES[page].namespace == tag.namespace
        assert BY_NAME[tag.qualified] is tag
        assert 0x05 <= token <= 0x3F
    assert BY_NAME["Ping:HeartbeatInterval"].token == 0x08
    assert isinstance(E("Ping:Ping"), Element)


def test_ns_builders_are_made_once_and_stay_separate():
    a, b = ns("AirSync"), ns("Email")
    assert a.SyncKey is a.SyncKey  # cached on first use
    assert a.Status("1") == E("AirSync:Status", "1")
    assert b.Status("1") == E("Email:Status", "1")  # another namespace's cache is its own
    assert a.namespace == "AirSync" and a("Status").tag == "AirSync:Status"


def _nested(levels: int, text: str = "1") -> Element:
    tree = E("AirSync:SyncKey", text)
    for _ in range(levels - 1):
        tree = E("AirSync:Sync", tree)
    return tree


def test_one_depth_limit_for_the_whole_codec():
    assert MAX_DEPTH == 1000
    for fn in (decoder.decode, encoder.encode, xml.from_xml):
        assert fn.__kwdefaults__["max_depth"] is MAX_DEPTH, fn


def test_everything_works_at_the_depth_limit_and_refuses_one_level_more():
    deepest = _nested(MAX_DEPTH)
    other = _nested(MAX_DEPTH, "2")
    # ==, != and repr walk the tree without recursing (they failed at ~300 levels)
    assert deepest == _nested(MAX_DEPTH)
    assert deepest != other
    assert (deepest == other) is False
    assert repr(deepest) == "E('AirSync:Sync', " * (MAX_DEPTH - 1) + "E('AirSync:SyncKey', '1')" + (
        ")" * (MAX_DEPTH - 1)
    )
    data = encode(deepest)
    assert decode(data) == deepest
    assert from_xml(to_xml(deepest)) == deepest
    too_deep = E("AirSync:Sync", deepest)
    with pytest.raises(WBXMLError, match=f"deeper than {MAX_DEPTH}"):
        encode(too_deep)
    with pytest.raises(WBXMLError, match=f"deeper than {MAX_DEPTH}"):
        decode(b"\x03\x01\x6a\x00\x45" + data[4:] + b"\x01")
    with pytest.raises(WBXMLError, match=f"deeper than {MAX_DEPTH}"):
        from_xml(to_xml(too_deep))


def test_repr_and_eq_match_the_recursive_definitions():
    doc = E(
        "AirSync:Sync",
        E("AirSync:SyncKey", "1"),
        E("AirSync:Collections", E("AirSync:Collection"), E("ComposeMail:Mime", b"\x00")),
    )
    assert repr(doc) == (
        "E('AirSync:Sync', E('AirSync:SyncKey', '1'), E('AirSync:Collections', "
        "E('AirSync:Collection'), E('ComposeMail:Mime', b'\\x00')))"
    )
    assert eval(repr(doc), {"E": E}) == doc
    same = E(
        "AirSync:Sync",
        E("AirSync:SyncKey", "1"),
        E("AirSync:Collections", E("AirSync:Collection"), E("ComposeMail:Mime", b"\x00")),
    )
    assert doc == same
    for changed in (
        E("AirSync:Sync", E("AirSync:SyncKey", "1")),  # fewer children
        E("AirSync:Sync", E("AirSync:SyncKey", "2"), same.children[1]),  # text
        E("AirSync:Sync", E("AirSync:Status", "1"), same.children[1]),  # tag
        E("AirSync:Sync", same.children[0], E("AirSync:Collections", E("AirSync:Collection"))),
    ):
        assert doc != changed and changed != doc
    assert doc != "AirSync:Sync"
    # a child that is not an Element (children.append does not check) is compared and shown
    # as list equality and repr would
    odd = E("AirSync:Sync")
    odd.children.append("x")
    assert repr(odd) == "E('AirSync:Sync', 'x')"
    assert odd != E("AirSync:Sync", E("AirSync:SyncKey"))
