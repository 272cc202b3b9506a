"""SendMail (MS-ASCMD 2.2.1.17): the 14.0+ ComposeMail form and the earlier raw MIME form."""

from __future__ import annotations

import pytest

from easclient.protocol.errors import ProtocolError
from easclient.protocol.http import build_request
from easclient.protocol.sendmail import SendMailRequest, SendMailResponse, sendmail_uses_wbxml
from easclient.protocol.status import CommonStatus
from easclient.wbxml import E, decode, encode, ns

from ._golden import END, SWITCH_PAGE, tag, wbxml
from ._tags import assert_tags_in_version

CM = ns("ComposeMail")
MIME = (
    b"From: a@x.test\r\nTo: b@x.test\r\nSubject: hi\r\nMIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n\r\nHello \xc3\xa9\r\n"
)
MODERN = ["14.0", "14.1", "16.0", "16.1"]
LEGACY = ["2.5", "12.0", "12.1"]


@pytest.mark.parametrize(
    ("version", "expected"), [(v, True) for v in MODERN] + [(v, False) for v in LEGACY]
)
def test_form_by_version(version: str, expected: bool) -> None:
    assert sendmail_uses_wbxml(version) is expected


def test_wbxml_tree() -> None:
    el = SendMailRequest(MIME, "msg-1", save_in_sent_items=True).to_element("14.1")
    assert el == CM.SendMail(CM.ClientId("msg-1"), CM.SaveInSentItems(), CM.Mime(MIME))
    assert isinstance(el.find("Mime").text, bytes)


@pytest.mark.parametrize("version", MODERN)
@pytest.mark.parametrize(
    "request_",
    [
        SendMailRequest(MIME, "c1", save_in_sent_items=True),
        SendMailRequest(MIME, "c2"),
        SendMailRequest(MIME, "c3", True, account_id="acct"),
    ],
)
def test_round_trip(version: str, request_: SendMailRequest) -> None:
    el = request_.to_element(version)
    assert_tags_in_version(el, version)
    expected = request_
    if version == "14.0" and request_.account_id is not None:  # AccountId is 14.1+
        expected = SendMailRequest(request_.mime, request_.client_id, request_.save_in_sent_items)
    assert SendMailRequest.from_element(el) == expected


def test_mime_is_opaque_on_the_wire() -> None:
    # MS-ASWBXML page 21: SendMail 0x05, ClientId 0x11, SaveInSentItems 0x08, Mime 0x10 (opaque).
    req = SendMailRequest(b"Subject: x\r\n\r\nbody", "42", save_in_sent_items=True)
    data = wbxml(
        SWITCH_PAGE, 21,
        tag(0x05),
        tag(0x11), "42", END,
        0x08,  # SaveInSentItems, empty
        tag(0x10), 0xC3, 18, b"Subject: x\r\n\r\nbody", END,  # OPAQUE, 18 bytes
        END,
    )  # fmt: skip
    assert encode(req.to_element("14.1")) == data
    assert SendMailRequest.from_element(decode(data)) == req


@pytest.mark.parametrize("version", LEGACY)
def test_legacy_form(version: str) -> None:
    req = SendMailRequest(MIME, save_in_sent_items=True)
    body, params = req.body_and_params(version)
    assert body == MIME and params == {"SaveInSent": "T"}
    with pytest.raises(ValueError, match="raw message/rfc822"):
        req.to_element(version)
    assert SendMailRequest.from_legacy(body, params) == req
    http = build_request("SendMail", body, user="u", device_id="d", device_type="t",
                         version=version, extra_params=params)  # fmt: skip
    assert http.headers["Content-Type"] == "message/rfc822"
    assert http.body == MIME
    assert "SaveInSent=T" in http.query_string


def test_legacy_default_is_not_saving() -> None:
    assert SendMailRequest(MIME).legacy_params() == {"SaveInSent": "F"}
    assert SendMailRequest.from_legacy(MIME, {}).save_in_sent_items is False
    with pytest.raises(ProtocolError):
        SendMailRequest.from_legacy(MIME, {"SaveInSent": "yes"})


def test_wbxml_form_needs_a_client_id() -> None:
    with pytest.raises(ValueError, match="ClientId"):
        SendMailRequest(MIME).to_element("14.1")


@pytest.mark.parametrize(
    "el",
    [
        CM.SendMail(CM.ClientId("1")),  # no Mime
        CM.SendMail(CM.Mime(b"x")),  # no ClientId
        E("ComposeMail:SmartReply", CM.ClientId("1"), CM.Mime(b"x")),
    ],
)
def test_bad_requests(el) -> None:
    with pytest.raises(ProtocolError):
        SendMailRequest.from_element(el)


def test_responses() -> None:
    assert SendMailResponse.from_element(None) == SendMailResponse() and SendMailResponse().ok
    assert SendMailResponse().to_element() is None
    for code in (CommonStatus.MessagePreviouslySent, CommonStatus.MailSubmissionFailed, 199):
        resp = SendMailResponse(code)
        back = SendMailResponse.from_element(resp.to_element())
        assert back == resp and not back.ok
    assert SendMailResponse.from_element(CM.SendMail(CM.Status("120"))).status is (
        CommonStatus.MailSubmissionFailed
    )
    with pytest.raises(ProtocolError):
        SendMailResponse.from_element(CM.SendMail())
    with pytest.raises(ProtocolError):
        SendMailResponse.from_element(CM.SmartReply(CM.Status("1")))
