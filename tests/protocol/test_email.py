"""Mail ApplicationData (MS-ASEMAIL 2.2.2, MS-ASAIRS 2.2.2): both body forms, round trips."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from easclient.protocol.email import (
    Attachment,
    AttachmentAdd,
    AttachmentMethod,
    Body,
    BodyType,
    Email,
    Importance,
    looks_like_email,
)
from easclient.protocol.errors import ProtocolError
from easclient.wbxml import E, decode, encode, ns

from ._golden import END, SWITCH_PAGE, tag, wbxml
from ._tags import assert_tags_in_version

A, EM, ASB = ns("AirSync"), ns("Email"), ns("AirSyncBase")
MODERN = ["12.0", "12.1", "14.0", "14.1", "16.0", "16.1"]
ALL = ["2.5", *MODERN]

MAIL = Email(
    subject="Lunch",
    from_='"Alice" <alice@example.test>',
    to='"Bob" <bob@example.test>',
    cc="carol@example.test",
    date_received="2009-11-12T00:45:06.000Z",
    display_to="Bob",
    thread_topic="Lunch",
    importance=Importance.Normal,
    read=False,
    message_class="IPM.Note",
    internet_cpid="65001",
    body=Body(BodyType.PlainText, "Noon?", truncated=False, estimated_data_size=5),
    attachments=(Attachment("menu.pdf", "5%3a7%3a0", AttachmentMethod.NormalAttachment, 2048),),
)


def test_modern_tree_uses_airsyncbase() -> None:
    el = MAIL.to_element("14.1")
    assert el.tag == "AirSync:ApplicationData"
    assert el.find("AirSyncBase:Body") == ASB.Body(
        ASB.Type("1"), ASB.EstimatedDataSize("5"), ASB.Truncated("0"), ASB.Data("Noon?")
    )
    assert el.find("AirSyncBase:Attachments/AirSyncBase:Attachment") == ASB.Attachment(
        ASB.DisplayName("menu.pdf"),
        ASB.FileReference("5%3a7%3a0"),
        ASB.Method("1"),
        ASB.EstimatedDataSize("2048"),
    )
    assert el.findtext("Email:Subject") == "Lunch"
    assert el.findtext("Email:Read") == "0"
    assert el.find("Email:Body") is None


def test_legacy_tree_uses_email_namespace() -> None:
    el = MAIL.to_element("2.5")
    assert el.findtext("Email:Body") == "Noon?"
    assert el.findtext("Email:BodySize") == "5"
    assert el.findtext("Email:BodyTruncated") == "0"
    assert el.find("Email:Attachments/Email:Attachment") == EM.Attachment(
        EM.DisplayName("menu.pdf"), EM.AttName("5%3a7%3a0"), EM.AttMethod("1"), EM.AttSize("2048")
    )
    assert el.find("AirSyncBase:Body") is None


@pytest.mark.parametrize("version", ALL)
def test_every_written_tag_exists_in_that_version(version: str) -> None:
    mail = dataclasses.replace(
        MAIL,
        native_body_type=BodyType.HTML,
        body=dataclasses.replace(MAIL.body, preview="Noon"),
        attachments=(dataclasses.replace(MAIL.attachments[0], content_id="c1", is_inline=False),),
    )
    assert_tags_in_version(mail.to_element(version), version)


@pytest.mark.parametrize("version", ALL)
def test_round_trip_each_version(version: str) -> None:
    assert Email.from_element(MAIL.to_element(version)) == MAIL


def test_mime_body_in_both_forms() -> None:
    mime = Email(body=Body(BodyType.MIME, "MIME-Version: 1.0\r\n\r\nhi", True, 4000))
    assert Email.from_element(mime.to_element("16.1")) == mime
    legacy = mime.to_element("2.5")
    assert legacy.findtext("Email:MIMEData").startswith("MIME-Version")
    assert legacy.findtext("Email:MIMETruncated") == "1"
    assert Email.from_element(legacy) == mime


def test_preview_only_from_14_0() -> None:
    mail = Email(body=Body(BodyType.HTML, "<p>x</p>", preview="x"))
    assert mail.to_element("12.1").find("AirSyncBase:Body/AirSyncBase:Preview") is None
    assert Email.from_element(mail.to_element("14.0")) == mail


def test_native_body_type_and_unknown_codes_are_kept() -> None:
    mail = Email(importance=7, native_body_type=9, body=Body(type=42, data="?"))
    back = Email.from_element(mail.to_element("14.1"))
    assert back == mail
    assert back.importance == 7 and not isinstance(back.importance, Importance)


def test_spec_style_sync_add_data() -> None:
    # Shaped like an Exchange 2010 Sync Add in the spec's examples: no Cc, HTML body.
    app = A.ApplicationData(
        EM.To('"Device User" <deviceuser@example.com>'),
        EM.From('"Device User 2" <deviceuser2@example.com>'),
        EM.Subject("New mail message"),
        EM.DateReceived("2009-07-29T19:25:37.817Z"),
        EM.DisplayTo("Device User"),
        EM.ThreadTopic("New mail message"),
        EM.Importance("1"),
        EM.Read("0"),
        ASB.Body(ASB.Type("2"), ASB.EstimatedDataSize("116575"), ASB.Truncated("1")),
        EM.MessageClass("IPM.Note"),
        EM.InternetCPID("28591"),
        EM.Flag(),
        EM.ContentClass("urn:content-classes:message"),
        ASB.NativeBodyType("2"),
    )
    mail = Email.from_element(app)
    assert mail.subject == "New mail message"
    assert mail.read is False
    assert mail.importance is Importance.Normal
    assert mail.body == Body(BodyType.HTML, None, True, 116575)
    assert mail.native_body_type is BodyType.HTML
    assert looks_like_email(app)
    assert not looks_like_email(A.ApplicationData(E("Calendar:Subject", "x")))


@pytest.mark.parametrize(
    "app",
    [
        A.ApplicationData(EM.Read("yes")),
        A.ApplicationData(EM.Importance("high")),
        A.ApplicationData(ASB.Body(ASB.Type("1"), ASB.EstimatedDataSize("big"))),
    ],
)
def test_malformed_values_are_protocol_errors(app) -> None:
    with pytest.raises(ProtocolError):
        Email.from_element(app)


# -- property test ---------------------------------------------------------------------------

# Element text cannot be empty (it normalises to None) and WBXML strings cannot hold NUL.
_text = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1
)
_opt_text = st.none() | _text
_size = st.none() | st.integers(0, 2**31)

bodies = st.builds(
    Body,
    type=st.sampled_from(list(BodyType)),
    data=_opt_text,
    truncated=st.none() | st.booleans(),
    estimated_data_size=_size,
    preview=_opt_text,
    part=st.none() | st.integers(0, 100),
)
attachments = st.builds(
    Attachment,
    display_name=_opt_text,
    file_reference=_opt_text,
    method=st.none() | st.sampled_from(list(AttachmentMethod)),
    estimated_data_size=_size,
    content_id=_opt_text,
    is_inline=st.none() | st.booleans(),
    client_id=_opt_text,
)
attachment_adds = st.builds(
    AttachmentAdd,
    client_id=_text,
    content=st.binary(max_size=64),
    display_name=_opt_text,
    method=st.sampled_from(list(AttachmentMethod)),
    content_type=_opt_text,
    content_id=_opt_text,
    content_location=_opt_text,
    is_inline=st.none() | st.booleans(),
)
emails = st.builds(
    Email,
    subject=_opt_text,
    from_=_opt_text,
    to=_opt_text,
    cc=_opt_text,
    reply_to=_opt_text,
    date_received=_opt_text,
    display_to=_opt_text,
    thread_topic=_opt_text,
    importance=st.none() | st.sampled_from(list(Importance)),
    read=st.none() | st.booleans(),
    message_class=_opt_text,
    internet_cpid=_opt_text,
    body=st.none() | bodies,
    attachments=st.lists(attachments, max_size=3).map(tuple),
    native_body_type=st.none() | st.sampled_from(list(BodyType)),
    attachment_adds=st.lists(attachment_adds, max_size=2).map(tuple),
    attachment_deletes=st.lists(_text, max_size=2).map(tuple),
)


def _as_before_16(mail: Email, version: str) -> Email:
    """What survives a version before 16.0: no draft attachment changes, no ClientIds
    (and no Preview before 14.0)."""
    body = mail.body
    if body is not None and version in ("12.0", "12.1"):
        body = dataclasses.replace(body, preview=None)
    return dataclasses.replace(
        mail,
        body=body,
        attachments=tuple(dataclasses.replace(a, client_id=None) for a in mail.attachments),
        attachment_adds=(),
        attachment_deletes=(),
    )


@settings(max_examples=150, deadline=None)
@given(emails)
def test_round_trip_property_16_1(mail: Email) -> None:
    assert Email.from_element(mail.to_element("16.1")) == mail


@settings(max_examples=100, deadline=None)
@given(emails, st.sampled_from(["12.0", "12.1"]))
def test_round_trip_property_12(mail: Email, version: str) -> None:
    assert Email.from_element(mail.to_element(version)) == _as_before_16(mail, version)


def test_legacy_body_golden_bytes() -> None:
    # 2.5: the body is Email:Body (page 2, 0x0C) with BodySize (0x0D) and BodyTruncated (0x0E).
    data = wbxml(
        tag(0x1D),  # AirSync:ApplicationData
        SWITCH_PAGE, 2,
        tag(0x14), "Re: x", END,  # Subject
        tag(0x0C), "Hello", END,  # Body
        tag(0x0D), "2000", END,  # BodySize
        tag(0x0E), "1", END,  # BodyTruncated
        END,
    )  # fmt: skip
    mail = Email(subject="Re: x", body=Body(BodyType.PlainText, "Hello", True, 2000))
    assert Email.from_element(decode(data)) == mail
    assert encode(mail.to_element("2.5"), version="2.5", strict=True) == data


@settings(max_examples=150, deadline=None)
@given(emails, st.sampled_from(["14.0", "14.1", "16.0", "16.1"]))
def test_round_trip_through_the_codec(mail: Email, version: str) -> None:
    # The whole path: tree -> WBXML bytes -> tree -> Email, strings and sizes intact.
    data = encode(mail.to_element(version), version=version, strict=True)
    expected = mail if version in ("16.0", "16.1") else _as_before_16(mail, version)
    assert Email.from_element(decode(data)) == expected


def test_draft_attachment_changes_16_0() -> None:
    # MS-ASAIRS 2.2.2.2 / 2.2.2.21: a client adds one attachment and removes another (16.0+).
    draft = Email(
        subject="Draft",
        body=Body(BodyType.PlainText, "see attached"),
        attachment_adds=(AttachmentAdd("att-1", b"\x00PNG", "a.png", content_type="image/png"),),
        attachment_deletes=("5%3a9%3a0",),
    )
    el = draft.to_element("16.0")
    assert_tags_in_version(el, "16.0")
    atts = el.find("AirSyncBase:Attachments")
    assert [c.name for c in atts] == ["Add", "Delete"]
    assert atts.find("Add/Content").text == b"\x00PNG"
    assert Email.from_element(el) == draft
    assert Email.from_element(decode(encode(el, version="16.0", strict=True))) == draft
    assert draft.to_element("14.1").find("AirSyncBase:Attachments") is None
    # The server's answer links the client's id to the new FileReference.
    answer = Email(attachments=(Attachment("a.png", "5%3a1%3a0", client_id="att-1"),))
    assert Email.from_element(answer.to_element("16.1")) == answer


def test_attachment_add_needs_client_id_and_content() -> None:
    app = A.ApplicationData(ASB.Attachments(ASB.Add(ASB.DisplayName("x"))))
    with pytest.raises(ProtocolError, match="ClientId and Content"):
        Email.from_element(app)
