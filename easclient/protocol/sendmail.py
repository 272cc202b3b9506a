"""The SendMail command (MS-ASCMD 2.2.1.17): send a MIME message.

Two forms, by protocol version:

- 14.0 and later: a WBXML ``ComposeMail:SendMail`` with ``ClientId`` (unique per message, so a
  resend is recognised), optional ``AccountId`` (14.1+), ``SaveInSentItems`` (an empty element:
  present means save) and ``Mime``, the RFC 5322 message as opaque bytes;
- 12.1 and earlier: the raw message is the request body (``Content-Type: message/rfc822``) and
  the query parameter ``SaveInSent=T`` asks to keep a copy (MS-ASHTTP command parameters).

Success is an empty response body; a failure is ``ComposeMail:SendMail`` with a ``Status``,
whose codes are the global ones (MS-ASCMD 2.2.3.177.16, e.g. 118 MessagePreviouslySent,
120 MailSubmissionFailed).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from easclient.errors import excerpt
from easclient.wbxml import Element, ns

from ._elements import child, expect_root, opt_text, status
from .errors import ProtocolError
from .status import CommonStatus
from .versions import version_at_least

CM = ns("ComposeMail")


def sendmail_uses_wbxml(version: str) -> bool:
    """Whether SendMail at ``version`` is the ComposeMail WBXML form (14.0+) rather than a raw
    message/rfc822 body with SaveInSent in the query."""
    return version_at_least(version, "14.0")


@dataclass(frozen=True, slots=True)
class SendMailRequest:
    """A message to send. ``mime`` is the complete RFC 5322 message, sent unchanged.

    ``client_id`` is required for the WBXML form (14.0+); the raw form has none.
    """

    mime: bytes
    client_id: str | None = None
    save_in_sent_items: bool = False
    account_id: str | None = None

    # -- 14.0+: ComposeMail WBXML ------------------------------------------------------------
    def to_element(self, version: str = "14.1") -> Element:
        """``ComposeMail:SendMail`` (14.0+ only; earlier versions use :meth:`legacy_body`)."""
        if not sendmail_uses_wbxml(version):
            raise ValueError(
                f"SendMail at protocol {version} is a raw message/rfc822 body, not WBXML; "
                "use legacy_body() and legacy_params()"
            )
        if not self.client_id:
            raise ValueError("SendMail in WBXML form (14.0+) needs a ClientId")
        return CM.SendMail(
            CM.ClientId(self.client_id),
            None
            if self.account_id is None or not version_at_least(version, "14.1")
            else CM.AccountId(self.account_id),
            CM.SaveInSentItems() if self.save_in_sent_items else None,
            CM.Mime(bytes(self.mime)),
        )

    @classmethod
    def from_element(cls, el: Element) -> SendMailRequest:
        expect_root(el, "ComposeMail:SendMail")
        mime = child(el, "ComposeMail:Mime").text
        if isinstance(mime, str):  # from XML text rather than WBXML opaque data
            mime = mime.encode("utf-8")
        client_id = opt_text(el, "ComposeMail:ClientId")
        if not client_id:
            raise ProtocolError("ComposeMail:SendMail lacks its required ClientId", element=el.tag)
        return cls(
            mime=mime or b"",
            client_id=client_id,
            save_in_sent_items=el.find("ComposeMail:SaveInSentItems") is not None,
            account_id=opt_text(el, "ComposeMail:AccountId"),
        )

    # -- 2.5 to 12.1: raw MIME body ----------------------------------------------------------
    def legacy_body(self) -> bytes:
        """The request body before 14.0: the message itself (Content-Type message/rfc822)."""
        return bytes(self.mime)

    def legacy_params(self) -> dict[str, str]:
        """The query parameters before 14.0: ``SaveInSent`` T or F."""
        return {"SaveInSent": "T" if self.save_in_sent_items else "F"}

    @classmethod
    def from_legacy(cls, body: bytes, params: Mapping[str, str]) -> SendMailRequest:
        """The server side of the pre-14.0 form: the body and the query parameters."""
        save = params.get("SaveInSent", "F").upper()
        if save not in ("T", "F"):
            raise ProtocolError(f"SaveInSent must be T or F, got {excerpt(save)}", value=save)
        return cls(mime=bytes(body), save_in_sent_items=save == "T")

    def body_and_params(self, version: str) -> tuple[Element | bytes, dict[str, str]]:
        """What to send at ``version``: (WBXML tree, {}) from 14.0, (raw MIME, SaveInSent)
        before. ``build_request`` takes either kind of body."""
        if sendmail_uses_wbxml(version):
            return self.to_element(version), {}
        return self.legacy_body(), self.legacy_params()


@dataclass(frozen=True, slots=True)
class SendMailResponse:
    """The outcome of SendMail: ``status`` None means success (the server sent no body)."""

    status: CommonStatus | int | None = None

    @property
    def ok(self) -> bool:
        return self.status is None or self.status == 1

    def to_element(self, version: str = "14.1") -> Element | None:
        """The response body: None (send nothing) on success, else ``SendMail/Status``."""
        if self.status is None:
            return None
        return CM.SendMail(CM.Status(int(self.status)))

    @classmethod
    def from_element(cls, el: Element | None) -> SendMailResponse:
        """Read a response body; ``None`` (empty body) is success."""
        if el is None:
            return cls()
        expect_root(el, "ComposeMail:SendMail")
        return cls(status(el, "ComposeMail:Status", CommonStatus))


__all__ = [
    "SendMailRequest",
    "SendMailResponse",
    "sendmail_uses_wbxml",
]
