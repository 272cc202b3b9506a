"""SmartReply and SmartForward (MS-ASCMD 2.2.1.20, 2.2.1.19): reply to or forward an item the
server has, sending only the new part; the server adds the original (quoted or attached).

Two forms, by protocol version, as SendMail:

- 14.0 and later: ``ComposeMail:SmartReply`` / ``SmartForward`` with ``ClientId``, ``Source``
  (``FolderId`` + ``ItemId``, or ``LongId`` from a Search result, and ``InstanceId`` for one
  occurrence of a recurring meeting), ``AccountId`` (14.1+), ``SaveInSentItems``,
  ``ReplaceMime`` (send the MIME as is, without the original) and ``Mime``; SmartForward from
  16.0 may name ``Forwardees`` instead of putting them in the MIME.
- 12.1 and earlier: the raw message is the body, and the query names the source: ``ItemId``,
  ``CollectionId``, ``LongId``, ``Occurrence`` and ``SaveInSent`` (MS-ASHTTP 2.2.1.1.1.1.2).

Success is an empty body; a failure is the root element with a global ``Status`` (e.g. 150
ItemNotFound, 121 MessageReplyFailed).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum

from easclient.wbxml import Element, ns

from ._elements import as_tuples, child, expect_root, opt_text, status, text
from .errors import ProtocolError
from .status import CommonStatus
from .versions import version_at_least

__all__ = [
    "Forwardee",
    "SmartKind",
    "SmartMailRequest",
    "SmartMailResponse",
    "SmartSource",
]

CM = ns("ComposeMail")


class SmartKind(Enum):
    """Which of the two commands (they share every element but Forwardees)."""

    Reply = "SmartReply"
    Forward = "SmartForward"


@dataclass(frozen=True, slots=True)
class SmartSource:
    """The original item: ``folder_id`` + ``item_id`` (a Sync ServerId), or ``long_id`` (a
    Search result); ``instance_id`` names one occurrence of a recurring meeting (MS-ASCMD
    2.2.3.170.1)."""

    folder_id: str | None = None
    item_id: str | None = None
    long_id: str | None = None
    instance_id: str | None = None

    def __post_init__(self) -> None:
        if not self.long_id and not (self.folder_id and self.item_id):
            raise ValueError("a Smart source needs FolderId and ItemId, or a LongId")

    def to_element(self) -> Element:
        parts = (
            ("FolderId", self.folder_id),
            ("ItemId", self.item_id),
            ("LongId", self.long_id),
            ("InstanceId", self.instance_id),
        )
        return CM.Source(*(CM(name, value) for name, value in parts if value is not None))

    @classmethod
    def from_element(cls, el: Element) -> SmartSource:
        try:
            return cls(
                opt_text(el, "ComposeMail:FolderId"),
                opt_text(el, "ComposeMail:ItemId"),
                opt_text(el, "ComposeMail:LongId"),
                opt_text(el, "ComposeMail:InstanceId"),
            )
        except ValueError as exc:
            raise ProtocolError(str(exc), element="ComposeMail:Source") from None


@dataclass(frozen=True, slots=True)
class Forwardee:
    """A recipient of a SmartForward named outside the MIME (16.0+, MS-ASCMD 2.2.3.75)."""

    email: str
    name: str | None = None

    def to_element(self) -> Element:
        return CM.Forwardee(None if self.name is None else CM.Name(self.name), CM.Email(self.email))

    @classmethod
    def from_element(cls, el: Element) -> Forwardee:
        return cls(text(el, "ComposeMail:Email"), opt_text(el, "ComposeMail:Name"))


@dataclass(frozen=True, slots=True)
class SmartMailRequest:
    """A reply or forward. ``mime`` holds the new part (or everything, with ``replace_mime``)."""

    kind: SmartKind
    source: SmartSource
    mime: bytes
    client_id: str | None = None
    save_in_sent_items: bool = False
    replace_mime: bool = False
    account_id: str | None = None
    forwardees: tuple[Forwardee, ...] = field(default=())

    def __post_init__(self) -> None:
        as_tuples(self, "forwardees")
        if self.forwardees and self.kind is not SmartKind.Forward:
            raise ValueError("only SmartForward has Forwardees")

    @property
    def command(self) -> str:
        return self.kind.value

    def uses_wbxml(self, version: str) -> bool:
        """14.0+: the ComposeMail form; before: the raw message with query parameters."""
        return version_at_least(version, "14.0")

    def to_element(self, version: str = "14.1") -> Element:
        if not self.uses_wbxml(version):
            raise ValueError(
                f"{self.command} at protocol {version} is a raw message/rfc822 body; "
                "use body_and_params()"
            )
        if not self.client_id:
            raise ValueError(f"{self.command} in WBXML form (14.0+) needs a ClientId")
        forwardees = None
        if self.forwardees and version_at_least(version, "16.0"):
            forwardees = CM.Forwardees(*(f.to_element() for f in self.forwardees))
        return CM(
            self.command,
            CM.ClientId(self.client_id),
            self.source.to_element(),
            CM.AccountId(self.account_id)
            if self.account_id is not None and version_at_least(version, "14.1")
            else None,
            CM.SaveInSentItems() if self.save_in_sent_items else None,
            CM.ReplaceMime() if self.replace_mime else None,
            CM.Mime(bytes(self.mime)),
            forwardees,
        )

    @classmethod
    def from_element(cls, el: Element) -> SmartMailRequest:
        try:
            kind = SmartKind(el.name) if el.namespace == "ComposeMail" else None
        except ValueError:
            kind = None
        if kind is None:
            raise ProtocolError(f"expected ComposeMail:SmartReply or SmartForward, got {el.tag}")
        mime = child(el, "ComposeMail:Mime").text
        if isinstance(mime, str):
            mime = mime.encode("utf-8")
        client_id = opt_text(el, "ComposeMail:ClientId")
        if not client_id:
            raise ProtocolError(f"{el.tag} lacks its required ClientId", element=el.tag)
        block = el.find("ComposeMail:Forwardees")
        return cls(
            kind=kind,
            source=SmartSource.from_element(child(el, "ComposeMail:Source")),
            mime=mime or b"",
            client_id=client_id,
            save_in_sent_items=el.find("ComposeMail:SaveInSentItems") is not None,
            replace_mime=el.find("ComposeMail:ReplaceMime") is not None,
            account_id=opt_text(el, "ComposeMail:AccountId"),
            forwardees=tuple(
                Forwardee.from_element(f)
                for f in (block.findall("ComposeMail:Forwardee") if block is not None else ())
            ),
        )

    # -- 2.5 to 12.1: the raw message, the source in the query ------------------------------
    def legacy_params(self) -> dict[str, str]:
        """``ItemId``/``CollectionId`` (or ``LongId``), ``Occurrence``, ``SaveInSent``."""
        params: dict[str, str] = {}
        if self.source.long_id:
            params["LongId"] = self.source.long_id
        else:
            params["ItemId"] = self.source.item_id or ""
            params["CollectionId"] = self.source.folder_id or ""
        if self.source.instance_id:
            params["Occurrence"] = self.source.instance_id
        params["SaveInSent"] = "T" if self.save_in_sent_items else "F"
        return params

    @classmethod
    def from_legacy(
        cls, kind: SmartKind, body: bytes, params: Mapping[str, str]
    ) -> SmartMailRequest:
        """The server side of the pre-14.0 form."""
        save = params.get("SaveInSent", "F").upper()
        if save not in ("T", "F"):
            raise ProtocolError(f"SaveInSent must be T or F, got {save!r}", value=save)
        try:
            source = SmartSource(
                params.get("CollectionId") or None,
                params.get("ItemId") or None,
                params.get("LongId") or None,
                params.get("Occurrence") or None,
            )
        except ValueError as exc:
            raise ProtocolError(f"{kind.value}: {exc}") from None
        return cls(kind, source, bytes(body), save_in_sent_items=save == "T")

    def body_and_params(self, version: str) -> tuple[Element | bytes, dict[str, str]]:
        """What to send at ``version``: (WBXML tree, {}) from 14.0, (raw MIME, query) before."""
        if self.uses_wbxml(version):
            return self.to_element(version), {}
        return bytes(self.mime), self.legacy_params()


@dataclass(frozen=True, slots=True)
class SmartMailResponse:
    """``status`` None: sent (the server answered with no body)."""

    kind: SmartKind
    status: CommonStatus | int | None = None

    @property
    def ok(self) -> bool:
        return self.status is None or self.status == 1

    def to_element(self, version: str = "14.1") -> Element | None:
        if self.status is None:
            return None
        return CM(self.kind.value, CM.Status(int(self.status)))

    @classmethod
    def from_element(cls, kind: SmartKind, el: Element | None) -> SmartMailResponse:
        if el is None:
            return cls(kind)
        expect_root(el, f"ComposeMail:{kind.value}")
        return cls(kind, status(el, "ComposeMail:Status", CommonStatus))
