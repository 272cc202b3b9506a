import pytest

from easclient.wbxml import BY_NAME, BY_TOKEN, PAGES, E, Element, ns


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
