"""The encoder: the minimal EAS form, and clear errors for trees it cannot write."""

from __future__ import annotations

import pytest

from easclient.wbxml import E, Element, WBXMLError, decode, encode, ns, to_xml

A = ns("AirSync")
CM = ns("ComposeMail")
H = "03 01 6a 00"


def hexed(tree: Element, **kw) -> str:
    return encode(tree, **kw).hex(" ")


def test_header_and_empty_root():
    assert hexed(A.Sync()) == f"{H} 05"


def test_empty_text_and_empty_bytes_are_written_as_empty_elements():
    assert hexed(Element._raw("AirSync:Sync", [], "")) == f"{H} 05"
    assert hexed(Element._raw("AirSync:Sync", [], b"")) == f"{H} 05"


def test_page_switch_only_when_the_page_changes():
    tree = A.Sync(
        E("Email:Subject", "a"), E("Email:Read", "1"), A.SyncKey("1"), E("Email:Read", "0")
    )
    assert hexed(tree) == (
        f"{H} 45 00 02 54 03 61 00 01 55 03 31 00 01 00 00 4b 03 31 00 01 00 02 55 03 30 00 01 01"
    )


def test_root_on_another_page_starts_with_a_switch():
    assert hexed(E("Ping:Ping")) == f"{H} 00 0d 05"


def test_utf8_strings():
    assert hexed(A.SyncKey("é€")) == f"{H} 4b 03 c3 a9 e2 82 ac 00 01"


def test_nul_in_a_string_is_refused():
    with pytest.raises(WBXMLError, match=r"AirSync:Sync/AirSync:SyncKey: text holds a NUL"):
        encode(A.Sync(A.SyncKey("a\x00b")))


def test_lone_surrogate_is_refused():
    with pytest.raises(WBXMLError, match="cannot be UTF-8 encoded"):
        encode(A.SyncKey("\ud800"))


@pytest.mark.parametrize(
    ("length", "prefix"),
    [(0x7F, "7f"), (0x80, "81 00"), (0x3FFF, "ff 7f"), (0x4000, "81 80 00"), (300, "82 2c")],
)
def test_bytes_are_opaque_with_mb_u_int32_length(length, prefix):
    data = encode(CM.Mime(b"\xaa" * length))
    assert data.hex(" ").startswith(f"{H} 00 15 50 c3 {prefix} aa")
    assert data.endswith(b"\xaa\x01")
    assert len(data) == 4 + 3 + 1 + len(bytes.fromhex(prefix)) + length + 1


def test_bytes_in_a_non_opaque_element_are_still_opaque():
    assert hexed(A.SyncKey(b"\x01")) == f"{H} 4b c3 01 01 01"


def test_str_in_an_opaque_element_is_str_i_and_round_trips():
    tree = CM.SendMail(CM.Mime("From: a@example.com\r\n\r\nhi"))
    data = encode(tree)
    assert bytes.fromhex("50 03") in data
    assert decode(data) == tree


def test_unknown_tag_names_itself_and_its_path():
    with pytest.raises(WBXMLError, match=r"AirSync:Sync/AirSync:Collections/AirSync:Nope: is not"):
        encode(A.Sync(A.Collections(A.Nope())))
    with pytest.raises(WBXMLError, match="Nowhere:Sync"):
        encode(E("Nowhere:Sync"))


def test_strict_version_refuses_tags_the_version_lacks():
    find = E("Find:Find", E("Find:SearchId", "1"))  # Find is 16.1 only
    assert encode(find, version="14.1") == encode(find)  # not strict: not checked
    with pytest.raises(WBXMLError, match=r"Find:Find: is not in protocol version 14.1 \(only 16.1"):
        encode(find, version="14.1", strict=True)
    assert encode(find, version="16.1", strict=True) == encode(find)


def test_strict_version_refuses_tags_that_were_removed():
    # Contacts:Body is a 2.5 tag (AirSyncBase:Body replaced it)
    tree = E("AirSync:ApplicationData", E("Contacts:Body", "x"))
    assert encode(tree, version="2.5", strict=True)
    with pytest.raises(WBXMLError, match=r"Contacts:Body: is not in protocol version 12.0"):
        encode(tree, version="12.0", strict=True)


def test_unknown_version_is_refused():
    with pytest.raises(WBXMLError, match=r"unknown protocol version '13\.0'"):
        encode(A.Sync(), version="13.0")


def test_value_and_children_together_are_refused():
    el = Element._raw("AirSync:Sync", [A.SyncKey("1")], "text")
    with pytest.raises(WBXMLError, match="both a value and child elements"):
        encode(el)


def test_value_of_another_type_is_refused():
    with pytest.raises(WBXMLError, match="must be str or bytes, not int"):
        encode(Element._raw("AirSync:SyncKey", [], 5))  # type: ignore[arg-type]


def test_not_an_element():
    with pytest.raises(TypeError):
        encode("<Sync/>")  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["x", None, 5, b"x"])
def test_a_child_that_is_not_an_element_is_named_not_an_attribute_error(bad):
    # Element.append and children.append do not check what they are given.
    tree = E("AirSync:Sync", E("AirSync:Collections", E("AirSync:SyncKey", "1")))
    tree.children[0].children.append(bad)
    with pytest.raises(WBXMLError, match=r"AirSync:Sync/AirSync:Collections: a child is"):
        encode(tree)
    with pytest.raises(WBXMLError, match="not an Element"):
        to_xml(tree)


def test_a_tree_containing_itself_is_refused_not_looped():
    root = A.Sync()
    root.children.append(root)
    with pytest.raises(WBXMLError, match="deeper than 1000"):
        encode(root)


def test_deep_trees_encode_without_recursion_up_to_the_limit():
    leaf = A.SyncKey("1")
    tree = leaf
    for _ in range(999):
        tree = A.Sync(tree)
    data = encode(tree)  # 1000 levels: the decoder's default limit
    assert len(data) == 4 + 999 + 5 + 999
    assert decode(data) == tree
    assert encode(decode(data)) == data
    with pytest.raises(WBXMLError, match="deeper than 1000"):
        encode(A.Sync(tree))
    data = encode(A.Sync(tree), max_depth=1001)
    assert encode(decode(data, max_depth=1001), max_depth=1001) == data


def test_placeholder_tags_are_written_as_their_page_and_token():
    assert hexed(E("page254:0x05", E("page254:0x3F"))) == f"{H} 00 fe 45 3f 01"
    with pytest.raises(WBXMLError, match="page254:0x04"):
        encode(E("page254:0x04"))  # 0x04 is a global token, not a tag
