"""Mail items as Sync and ItemOperations carry them: the Email class's ApplicationData.

Fields follow MS-ASEMAIL 2.2.2 (Email namespace); the body and attachments follow MS-ASAIRS
(AirSyncBase namespace, 12.0+). Protocol 2.5 has no AirSyncBase: its body is ``Email:Body``
with ``Email:BodySize`` / ``Email:BodyTruncated`` (or ``Email:MIMEData`` / ``MIMESize`` /
``MIMETruncated`` for MIME), and its attachments are ``Email:Attachments`` / ``Email:Attachment``
with ``AttName``, ``AttSize``, ``AttMethod`` and ``DisplayName``. :class:`Email` writes either
form by ``version`` and reads both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from easclient.wbxml import Element, ns

from ._elements import (
    as_tuples,
    code_of,
    opt_bool,
    opt_int,
    opt_text,
    to_bool,
    to_int,
)
from .errors import ProtocolError
from .versions import version_at_least

EM = ns("Email")
ASB = ns("AirSyncBase")


class BodyType(IntEnum):
    """AirSyncBase:Type of a body (MS-ASAIRS, Type in Body)."""

    PlainText = 1
    HTML = 2
    RTF = 3
    MIME = 4


class Importance(IntEnum):
    """Email:Importance (MS-ASEMAIL, Importance element)."""

    Low = 0
    Normal = 1
    High = 2


class AttachmentMethod(IntEnum):
    """AirSyncBase:Method / Email:AttMethod (MS-ASAIRS, Method element)."""

    NormalAttachment = 1
    EmbeddedMessage = 5
    OLE = 6


@dataclass(frozen=True, slots=True)
class Body:
    """A body (AirSyncBase:Body, MS-ASAIRS 2.2.2.9; Email:Body etc. at 2.5).

    ``data`` is the (possibly truncated) content; ``truncated`` says whether it was cut;
    ``estimated_data_size`` is the whole body's size in bytes. ``preview`` (14.0+) is a short
    plain-text excerpt. ``part`` (``ItemOperations:Part``, in a multipart ItemOperations
    response) replaces ``data``: the index of the multipart part holding the body (MS-ASCMD
    2.2.3.130).
    """

    type: BodyType | int = BodyType.PlainText
    data: str | None = None
    truncated: bool | None = None
    estimated_data_size: int | None = None
    preview: str | None = None
    part: int | None = None

    def to_element(self, version: str = "14.1") -> Element:
        """``AirSyncBase:Body`` (12.0+). For 2.5 use :meth:`to_legacy_elements`."""
        return ASB.Body(
            ASB.Type(int(self.type)),
            None
            if self.estimated_data_size is None
            else ASB.EstimatedDataSize(self.estimated_data_size),
            None if self.truncated is None else ASB.Truncated(self.truncated),
            None if self.data is None else ASB.Data(self.data),
            None if self.part is None else Element("ItemOperations:Part", self.part),
            None
            if self.preview is None or not version_at_least(version, "14.0")
            else ASB.Preview(self.preview),
        )

    @classmethod
    def from_element(cls, el: Element) -> Body:
        """Read an ``AirSyncBase:Body``."""
        type_ = opt_int(el, "AirSyncBase:Type")
        return cls(
            type=code_of(BodyType, type_) if type_ is not None else BodyType.PlainText,
            data=opt_text(el, "AirSyncBase:Data"),
            truncated=opt_bool(el, "AirSyncBase:Truncated"),
            estimated_data_size=opt_int(el, "AirSyncBase:EstimatedDataSize"),
            preview=opt_text(el, "AirSyncBase:Preview"),
            part=opt_int(el, "ItemOperations:Part"),
        )

    def to_legacy_elements(self) -> list[Element]:
        """The 2.5 form: Email:Body/BodySize/BodyTruncated, or MIMEData/MIMESize/MIMETruncated."""
        if self.type == BodyType.MIME:
            names = ("MIMEData", "MIMESize", "MIMETruncated")
        else:
            names = ("Body", "BodySize", "BodyTruncated")
        out = []
        if self.data is not None:
            out.append(EM(names[0], self.data))
        if self.estimated_data_size is not None:
            out.append(EM(names[1], self.estimated_data_size))
        if self.truncated is not None:
            out.append(EM(names[2], self.truncated))
        return out

    @classmethod
    def from_legacy(cls, app: Element) -> Body | None:
        """The 2.5 body of an ApplicationData, or None when it has none."""
        for type_, names in (
            (BodyType.MIME, ("MIMEData", "MIMESize", "MIMETruncated")),
            (BodyType.PlainText, ("Body", "BodySize", "BodyTruncated")),
        ):
            data = app.findtext(f"Email:{names[0]}")
            size = opt_int(app, f"Email:{names[1]}")
            truncated = opt_bool(app, f"Email:{names[2]}")
            if data is not None or size is not None or truncated is not None:
                return cls(type_, data, truncated, size)
        return None


@dataclass(frozen=True, slots=True)
class Attachment:
    """One attachment (AirSyncBase:Attachment, MS-ASAIRS 2.2.2.7; Email:Attachment at 2.5).

    ``file_reference`` is what ItemOperations Fetch (or GetAttachment at 2.5 to 12.x) takes to
    download it; at 2.5 it travels as ``Email:AttName``. ``client_id`` (16.0+) appears in the
    server's answer to a client that added the attachment (:class:`AttachmentAdd`): it links the
    client's temporary id to the new ``file_reference`` (MS-ASAIRS 2.2.2.14).
    """

    display_name: str | None = None
    file_reference: str | None = None
    method: AttachmentMethod | int | None = None
    estimated_data_size: int | None = None
    content_id: str | None = None
    is_inline: bool | None = None
    client_id: str | None = None

    def to_element(self, version: str = "14.1") -> Element:
        if not version_at_least(version, "12.0"):
            return EM.Attachment(
                None if self.display_name is None else EM.DisplayName(self.display_name),
                None if self.file_reference is None else EM.AttName(self.file_reference),
                None if self.method is None else EM.AttMethod(int(self.method)),
                None if self.estimated_data_size is None else EM.AttSize(self.estimated_data_size),
            )
        return ASB.Attachment(
            None if self.display_name is None else ASB.DisplayName(self.display_name),
            None if self.file_reference is None else ASB.FileReference(self.file_reference),
            None if self.method is None else ASB.Method(int(self.method)),
            None
            if self.estimated_data_size is None
            else ASB.EstimatedDataSize(self.estimated_data_size),
            None if self.content_id is None else ASB.ContentId(self.content_id),
            None if self.is_inline is None else ASB.IsInline(self.is_inline),
            None
            if self.client_id is None or not version_at_least(version, "16.0")
            else ASB.ClientId(self.client_id),
        )

    @classmethod
    def from_element(cls, el: Element) -> Attachment:
        if el.namespace == "Email":  # the 2.5 form
            method = opt_int(el, "Email:AttMethod")
            return cls(
                display_name=opt_text(el, "Email:DisplayName"),
                file_reference=opt_text(el, "Email:AttName"),
                method=None if method is None else code_of(AttachmentMethod, method),
                estimated_data_size=opt_int(el, "Email:AttSize"),
            )
        method = opt_int(el, "AirSyncBase:Method")
        return cls(
            display_name=opt_text(el, "AirSyncBase:DisplayName"),
            file_reference=opt_text(el, "AirSyncBase:FileReference"),
            method=None if method is None else code_of(AttachmentMethod, method),
            estimated_data_size=opt_int(el, "AirSyncBase:EstimatedDataSize"),
            content_id=opt_text(el, "AirSyncBase:ContentId"),
            is_inline=opt_bool(el, "AirSyncBase:IsInline"),
            client_id=opt_text(el, "AirSyncBase:ClientId"),
        )


@dataclass(frozen=True, slots=True)
class AttachmentAdd:
    """An attachment the client adds to a draft or calendar item (AirSyncBase:Add in a Sync
    request's Attachments, MS-ASAIRS 2.2.2.2; 16.0+). ``content`` is the file, sent as opaque
    data (AirSyncBase:Content); the server answers with the ``client_id`` and a FileReference.
    """

    client_id: str
    content: bytes
    display_name: str | None = None
    method: AttachmentMethod | int = AttachmentMethod.NormalAttachment
    content_type: str | None = None
    content_id: str | None = None
    content_location: str | None = None
    is_inline: bool | None = None

    def to_element(self, version: str = "16.0") -> Element:
        return ASB.Add(
            ASB.ClientId(self.client_id),
            ASB.Method(int(self.method)),
            ASB.Content(bytes(self.content)),
            None if self.display_name is None else ASB.DisplayName(self.display_name),
            None if self.content_type is None else ASB.ContentType(self.content_type),
            None if self.content_id is None else ASB.ContentId(self.content_id),
            None if self.content_location is None else ASB.ContentLocation(self.content_location),
            None if self.is_inline is None else ASB.IsInline(self.is_inline),
        )

    @classmethod
    def from_element(cls, el: Element) -> AttachmentAdd:
        content = el.find("AirSyncBase:Content")
        # An empty file is an empty Content element (the tree normalises b"" to None).
        data = None if content is None else (content.text or b"")
        method = opt_int(el, "AirSyncBase:Method")
        client_id = el.findtext("AirSyncBase:ClientId")
        if not client_id or data is None:
            raise ProtocolError(
                "AirSyncBase:Add needs a ClientId and Content", element=el.tag, value=client_id
            )
        return cls(
            client_id=client_id,
            content=data.encode("utf-8") if isinstance(data, str) else data,
            display_name=opt_text(el, "AirSyncBase:DisplayName"),
            method=AttachmentMethod.NormalAttachment
            if method is None
            else code_of(AttachmentMethod, method),
            content_type=opt_text(el, "AirSyncBase:ContentType"),
            content_id=opt_text(el, "AirSyncBase:ContentId"),
            content_location=opt_text(el, "AirSyncBase:ContentLocation"),
            is_inline=opt_bool(el, "AirSyncBase:IsInline"),
        )


#: Simple Email-namespace text fields in the order Exchange writes them (MS-ASEMAIL 2.2.2).
_TEXT_FIELDS: tuple[tuple[str, str], ...] = (
    ("to", "To"),
    ("cc", "Cc"),
    ("from_", "From"),
    ("subject", "Subject"),
    ("reply_to", "ReplyTo"),
    ("date_received", "DateReceived"),
    ("display_to", "DisplayTo"),
    ("thread_topic", "ThreadTopic"),
)


@dataclass(frozen=True, slots=True)
class Email:
    """A mail item's ApplicationData (MS-ASEMAIL 2.2.2).

    Address fields (``to``, ``cc``, ``from_``, ``reply_to``) are the header text as the server
    sends it (RFC 5322 address lists). ``date_received`` is the spec's UTC datetime text, e.g.
    ``2009-11-12T00:45:06.000Z`` (MS-ASDTYPE 2.3). ``native_body_type`` (AirSyncBase, 12.0+) is
    the body type the item is stored in. ``attachment_adds`` and ``attachment_deletes``
    (FileReferences) are what a client sends when it changes a draft's attachments (16.0+;
    MS-ASAIRS 2.2.2.2 and 2.2.2.21); older versions leave them out.
    """

    subject: str | None = None
    from_: str | None = None
    to: str | None = None
    cc: str | None = None
    reply_to: str | None = None
    date_received: str | None = None
    display_to: str | None = None
    thread_topic: str | None = None
    importance: Importance | int | None = None
    read: bool | None = None
    message_class: str | None = None
    internet_cpid: str | None = None
    body: Body | None = None
    attachments: tuple[Attachment, ...] = field(default=())
    native_body_type: BodyType | int | None = None
    attachment_adds: tuple[AttachmentAdd, ...] = ()
    attachment_deletes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        as_tuples(self, "attachments", "attachment_adds", "attachment_deletes")

    def to_element(self, version: str = "14.1") -> Element:
        """``AirSync:ApplicationData`` holding this mail in the form ``version`` uses."""
        return Element("AirSync:ApplicationData", *self.to_children(version))

    def to_children(self, version: str = "14.1") -> list[Element]:
        """The ApplicationData children (ItemOperations puts them under ``Properties``)."""
        modern = version_at_least(version, "12.0")
        out: list[Element] = []
        for attr, name in _TEXT_FIELDS:
            value = getattr(self, attr)
            if value is not None:
                out.append(EM(name, value))
        if self.importance is not None:
            out.append(EM.Importance(int(self.importance)))
        if self.read is not None:
            out.append(EM.Read(self.read))
        changes: list[Element] = []
        if version_at_least(version, "16.0"):  # drafts and their attachments: 16.0+
            changes.extend(a.to_element(version) for a in self.attachment_adds)
            changes.extend(ASB.Delete(ASB.FileReference(ref)) for ref in self.attachment_deletes)
        if self.attachments or changes:
            wrap = ASB.Attachments if modern else EM.Attachments
            out.append(wrap(*(a.to_element(version) for a in self.attachments), *changes))
        if self.body is not None:
            if modern:
                out.append(self.body.to_element(version))
            else:
                out.extend(self.body.to_legacy_elements())
        if self.message_class is not None:
            out.append(EM.MessageClass(self.message_class))
        if self.internet_cpid is not None:
            out.append(EM.InternetCPID(self.internet_cpid))
        if self.native_body_type is not None and modern:
            out.append(ASB.NativeBodyType(int(self.native_body_type)))
        return out

    @classmethod
    def from_element(cls, el: Element) -> Email:
        """Read an ApplicationData (or ItemOperations Properties) element of the Email class.

        Both the AirSyncBase and the 2.5 body and attachment forms are understood; elements of
        other namespaces (Email2, Calendar for meeting requests, …) are ignored.
        """
        values: dict[str, Any] = {}  # the keyword arguments of cls()
        for attr, name in _TEXT_FIELDS:
            values[attr] = el.findtext(f"Email:{name}")
        importance = opt_int(el, "Email:Importance")
        if importance is not None:
            values["importance"] = code_of(Importance, importance)
        read = el.findtext("Email:Read")
        if read is not None:
            values["read"] = to_bool(read, "Email:Read")
        values["message_class"] = el.findtext("Email:MessageClass")
        values["internet_cpid"] = el.findtext("Email:InternetCPID")
        body = el.find("AirSyncBase:Body")
        values["body"] = Body.from_element(body) if body is not None else Body.from_legacy(el)
        attachments = el.find("AirSyncBase:Attachments") or el.find("Email:Attachments")
        if attachments is not None:
            values["attachments"] = tuple(
                Attachment.from_element(a) for a in attachments if a.name == "Attachment"
            )
            values["attachment_adds"] = tuple(
                AttachmentAdd.from_element(a) for a in attachments.findall("AirSyncBase:Add")
            )
            values["attachment_deletes"] = tuple(
                a.findtext("AirSyncBase:FileReference") or ""
                for a in attachments.findall("AirSyncBase:Delete")
            )
        native = el.findtext("AirSyncBase:NativeBodyType")
        if native is not None:
            values["native_body_type"] = code_of(
                BodyType, to_int(native, "AirSyncBase:NativeBodyType")
            )
        return cls(**values)


def looks_like_email(app: Element) -> bool:
    """Whether an ApplicationData holds a mail item: it has Email-namespace children.

    Sync responses from 12.0 on do not name the class of each item; a collection's class is
    known from FolderSync. When the caller cannot say, the namespaces tell: Calendar, Contacts,
    Tasks and Notes items use their own namespaces (MS-ASCAL, MS-ASCNTC, MS-ASTASK, MS-ASNOTE).
    """
    return any(c.namespace == "Email" for c in app.children)


__all__ = [
    "Attachment",
    "AttachmentAdd",
    "AttachmentMethod",
    "Body",
    "BodyType",
    "Email",
    "Importance",
    "looks_like_email",
]
