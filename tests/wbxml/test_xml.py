"""The XML form: MS-ASCMD's namespace style out, any namespace style in, untrusted input refused."""

from __future__ import annotations

import pytest

from easclient.wbxml import E, Element, WBXMLError, XMLInputError, from_xml, ns, to_xml

A = ns("AirSync")
EM = ns("Email")
CM = ns("ComposeMail")
EM2 = ns("Email2")


def test_root_default_namespace_and_prefixes_declared_on_the_root():
    tree = A.Sync(A.Collections(A.Collection(A.ApplicationData(EM.Subject("s"), EM2.IsDraft()))))
    text = to_xml(tree)
    assert text.splitlines()[:2] == [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<Sync xmlns="AirSync:" xmlns:email="Email:" xmlns:email2="Email2:">',
    ]
    assert "        <email:Subject>s</email:Subject>" in text.splitlines()
    assert "        <email2:IsDraft/>" in text.splitlines()


def test_compact_form_has_no_layout_whitespace():
    assert to_xml(A.Sync(A.SyncKey("1")), pretty=False) == (
        '<?xml version="1.0" encoding="utf-8"?><Sync xmlns="AirSync:"><SyncKey>1</SyncKey></Sync>'
    )


def test_text_is_escaped_and_cr_preserved():
    tree = A.Sync(EM.Subject("a & b <c> ]]> \"q\" 'a'\r\nnext\ttab"))
    text = to_xml(tree)
    assert "a &amp; b &lt;c&gt; ]]&gt; \"q\" 'a'&#13;\nnext\ttab" in text
    assert from_xml(text) == tree


def test_leading_and_trailing_whitespace_in_values_is_kept():
    tree = A.Sync(EM.Subject("  padded  "), EM.To(" "))
    assert from_xml(to_xml(tree)) == tree


def test_characters_xml_cannot_hold_are_an_error():
    with pytest.raises(WBXMLError, match=r"Email:Subject: text holds U\+0001"):
        to_xml(A.Sync(EM.Subject("a\x01b")))


def test_opaque_elements_are_base64():
    tree = CM.SendMail(CM.Mime(b"\x00\xffMIME"))
    text = to_xml(tree)
    assert "<Mime>AP9NSU1F</Mime>" in text
    assert from_xml(text) == tree


def test_base64_may_be_wrapped_with_whitespace():
    text = '<SendMail xmlns="ComposeMail:"><Mime>\n  AP9N\n  SU1F\n</Mime></SendMail>'
    assert from_xml(text) == CM.SendMail(CM.Mime(b"\x00\xffMIME"))


def test_opaque_attribute_keeps_unusual_value_types():
    tree = A.Sync(A.SyncKey(b"\x01\x02"), CM.Mime("plain text MIME"))
    text = to_xml(tree)
    assert '<SyncKey opaque="true">AQI=</SyncKey>' in text
    assert '<composemail:Mime opaque="false">plain text MIME</composemail:Mime>' in text
    assert from_xml(text) == tree


def test_bad_base64_in_an_opaque_element():
    with pytest.raises(XMLInputError, match="ComposeMail:Mime carries opaque data"):
        from_xml('<SendMail xmlns="ComposeMail:"><Mime>From: me</Mime></SendMail>')


@pytest.mark.parametrize(
    "text",
    [
        # per-element default namespaces, as libwbxml writes them
        '<Sync xmlns="AirSync:"><ApplicationData><Subject xmlns="Email:">s</Subject>'
        "</ApplicationData></Sync>",
        # namespace names without the trailing colon
        '<Sync xmlns="AirSync"><ApplicationData><Subject xmlns="Email">s</Subject>'
        "</ApplicationData></Sync>",
        # arbitrary prefixes, including one for the root
        '<a:Sync xmlns:a="AirSync:" xmlns:x="Email:"><a:ApplicationData><x:Subject>s</x:Subject>'
        "</a:ApplicationData></a:Sync>",
        # libwbxml's DOCTYPE line, comments and a processing instruction
        '<?xml version="1.0"?><!DOCTYPE ActiveSync PUBLIC "-//MICROSOFT//DTD ActiveSync//EN" '
        '"http://www.microsoft.com/"><!-- c --><?pi x?><Sync xmlns="AirSync:">'
        '<ApplicationData><Subject xmlns="Email:">s</Subject></ApplicationData></Sync>',
        # bytes in another encoding, as its declaration says
        '<?xml version="1.0" encoding="utf-16"?><Sync xmlns="AirSync:"><ApplicationData>'
        '<Subject xmlns="Email:">s</Subject></ApplicationData></Sync>',
    ],
)
def test_any_namespace_style_is_read(text):
    data: str | bytes = text.encode("utf-16") if 'encoding="utf-16"' in text else text
    assert from_xml(data) == A.Sync(A.ApplicationData(EM.Subject("s")))


def test_str_input_ignores_a_stale_encoding_declaration():
    text = (
        '<?xml version="1.0" encoding="iso-8859-1"?>'
        '<Sync xmlns="AirSync:"><SyncKey>é</SyncKey></Sync>'
    )
    assert from_xml(text).findtext("SyncKey") == "é"


def test_bytes_declaring_an_unknown_encoding_are_an_xml_input_error():
    data = b'<?xml version="1.0" encoding="utf-8i"?><Sync xmlns="AirSync:"/>'
    with pytest.raises(XMLInputError, match="utf-8i") as info:
        from_xml(data)
    assert (info.value.line, info.value.column) == (1, 1)


@pytest.mark.parametrize(
    ("encoding", "why"),
    [
        ("utf-7", "multi-byte"),
        ("shift_jis", "multi-byte"),
        ("euc-jp", "multi-byte"),
        ("big5", "multi-byte"),
        ("gb2312", "multi-byte"),
        ("idna", "not usable"),  # Python codecs that are no text encoding
        ("undefined", "not usable"),
        ("punycode", "not usable"),
    ],
)
def test_bytes_declaring_an_encoding_expat_cannot_use_are_an_xml_input_error(encoding, why):
    # pyexpat raised a plain ValueError (or UnicodeError) for these
    data = f'<?xml version="1.0" encoding="{encoding}"?><Sync xmlns="AirSync:"/>'.encode()
    with pytest.raises(XMLInputError, match=why) as info:
        from_xml(data)
    assert f"encoding {encoding!r} is" in str(info.value)
    assert (info.value.line, info.value.column, info.value.offset) == (1, 1, 0)


@pytest.mark.parametrize("name", ["x" * 100_000, "utf-" + "8" * 100_000])
def test_a_long_encoding_name_is_quoted_bounded(name):
    data = f'<?xml version="1.0" encoding="{name}"?><Sync xmlns="AirSync:"/>'.encode()
    with pytest.raises(XMLInputError) as info:
        from_xml(data)
    assert len(str(info.value)) < 250
    assert "characters)" in str(info.value)  # the excerpt says how long the whole name is


def test_layout_whitespace_is_dropped_but_leaf_whitespace_kept():
    text = '<Sync xmlns="AirSync:">\n  <SyncKey> </SyncKey>\n  <GetChanges/>\n</Sync>\n'
    assert from_xml(text) == A.Sync(A.SyncKey(" "), A.GetChanges())


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("", "no element found"),
        ("<Sync", "unclosed token"),
        ('<Sync xmlns="AirSync:"></Ping>', "mismatched tag"),
        ("<Sync/>", "has no namespace"),
        ('<Sync xmlns="Nowhere:"/>', "namespace 'Nowhere:' is not an EAS code page"),
        ('<Nope xmlns="AirSync:"/>', "AirSync:Nope is not a tag of code page AirSync"),
        ('<Sync xmlns="AirSync:" a="1"/>', "attribute a='1' not accepted"),
        ('<Sync xmlns="AirSync:" opaque="maybe"/>', "attribute opaque='maybe'"),
        ('<Sync xmlns="AirSync:">x<SyncKey/></Sync>', "both text and child elements"),
        ('<Sync xmlns="AirSync:"><SyncKey/>x</Sync>', "both text and child elements"),
        ('<Sync xmlns="AirSync:">&undefined;</Sync>', "undefined entity"),
        ('<Sync xmlns="AirSync:"/><Sync xmlns="AirSync:"/>', "junk after document element"),
        (
            '<!DOCTYPE Sync [<!ENTITY a "aaaaaaaaaa">]><Sync xmlns="AirSync:">&a;</Sync>',
            "internal subset",
        ),
        (
            '<!DOCTYPE Sync SYSTEM "file:///etc/passwd"><Sync xmlns="AirSync:">&x;</Sync>',
            "undefined entity|external",
        ),
        ('<page254:_05 xmlns:page254="page254:"/>', "not a placeholder"),
    ],
)
def test_bad_xml_is_refused_with_its_position(text, match):
    with pytest.raises(XMLInputError, match=match) as info:
        from_xml(text)
    err = info.value
    assert isinstance(err, WBXMLError)
    assert err.line >= 1 and err.column >= 1
    assert f"line {err.line}, column {err.column}" in str(err)


def test_error_position_points_into_the_document():
    with pytest.raises(XMLInputError) as info:
        from_xml('<Sync xmlns="AirSync:">\n  <SyncKey>1</SyncKey>\n  <Bogus/>\n</Sync>')
    assert (info.value.line, info.value.column) == (3, 3)


def test_billion_laughs_is_refused_quickly():
    lol = "".join(
        f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10 if i else "lol"}">' for i in range(10)
    )
    with pytest.raises(XMLInputError, match="internal subset"):
        from_xml(f'<!DOCTYPE Sync [{lol}]><Sync xmlns="AirSync:">&l9;</Sync>')


def test_deep_xml_is_an_error():
    depth = 100_000
    text = (
        '<Sync xmlns="AirSync:">' + "<Collections>" * depth + "</Collections>" * depth + "</Sync>"
    )
    with pytest.raises(XMLInputError, match="nested deeper than 1000"):
        from_xml(text)


def test_placeholders_round_trip():
    tree = A.Sync(E("page254:0x05", "x"), E("page254:0x06"))
    text = to_xml(tree)
    assert 'xmlns:page254="page254:"' in text
    assert "<page254:_0x05>x</page254:_0x05>" in text
    assert from_xml(text) == tree


def test_to_xml_refuses_a_value_and_children():
    with pytest.raises(WBXMLError, match="both a value and child elements"):
        to_xml(Element._raw("AirSync:Sync", [A.SyncKey("1")], "x"))


def test_to_xml_handles_trees_deeper_than_the_recursion_limit():
    tree = A.SyncKey("1")
    for _ in range(3000):
        tree = A.Sync(tree)
    text = to_xml(tree, pretty=False)
    assert text.count("</Sync>") == 3000
    assert from_xml(text, max_depth=5000).findtext("/".join(["Sync"] * 2999 + ["SyncKey"])) == "1"


def test_namespace_names_are_matched_without_regard_to_case():
    # libwbxml writes the GAL page (16) as "Gal:"
    text = '<Properties xmlns="Search:"><DisplayName xmlns="Gal:">Ann</DisplayName></Properties>'
    assert from_xml(text) == E("Search:Properties", E("GAL:DisplayName", "Ann"))


@pytest.mark.parametrize("tag", ["Sync", "AirSync:", ":Sync", "Air Sync:Sync", "AirSync:Sy<nc"])
def test_to_xml_refuses_tags_that_would_make_malformed_xml(tag):
    with pytest.raises(WBXMLError, match="not of the form Namespace:Name"):
        to_xml(E("AirSync:Sync", Element._raw(tag, [], None)))
