"""The ItemOperations command's Fetch (MS-ASCMD 2.2.1.10), 12.0 and later.

A Fetch asks for one item (``airsync:CollectionId`` + ``airsync:ServerId``, or a
``search:LongId``) or one attachment (``airsyncbase:FileReference``), with Options such as
``airsyncbase:BodyPreference``. The response has a command Status and one ``Fetch`` per request
with its own Status and ``Properties``: the item's fields (for mail, the Email fields and body),
or an attachment's ``airsyncbase:ContentType`` and its content — base64 text in
``ItemOperations:Data``, or, in a multipart response (:mod:`.multipart`), an
``ItemOperations:Part`` index into the body's parts.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from easclient.wbxml import Element, WBXMLError, decode, encode, ns

from ._elements import as_tuples, code_of, expect_root, opt_int, opt_text, prune, status
from .email import Email, looks_like_email
from .errors import ProtocolError
from .multipart import build_multipart, is_multipart, parse_multipart
from .status import ItemOperationsStatus
from .sync import BodyPreference, MIMESupport

IO = ns("ItemOperations")
A = ns("AirSync")
ASB = ns("AirSyncBase")

MAILBOX = "Mailbox"


@dataclass(frozen=True, slots=True)
class FetchRequest:
    """One ``Fetch`` (MS-ASCMD 2.2.3.67.1): an item, or an attachment by ``file_reference``.

    ``range`` ("0-1023") asks for part of the data (MS-ASCMD 2.2.3.143.2).
    """

    collection_id: str | None = None
    server_id: str | None = None
    file_reference: str | None = None
    long_id: str | None = None
    store: str = MAILBOX
    body_preferences: tuple[BodyPreference, ...] = ()
    mime_support: MIMESupport | int | None = None
    range: str | None = None

    def __post_init__(self) -> None:
        as_tuples(self, "body_preferences")
        if self.file_reference is None and self.long_id is None and self.server_id is None:
            raise ValueError("a Fetch names a ServerId, a LongId or a FileReference")

    def to_element(self, version: str = "14.1") -> Element:
        options = [
            *([IO.Range(self.range)] if self.range is not None else []),
            *([A.MIMESupport(int(self.mime_support))] if self.mime_support is not None else []),
            *(p.to_element(version) for p in self.body_preferences),
        ]
        # The order of MS-ASCMD 2.2.3.67.1 and its examples (4.10): Store, LongId,
        # CollectionId, ServerId, FileReference, Options.
        return IO.Fetch(
            IO.Store(self.store),
            None if self.long_id is None else Element("Search:LongId", self.long_id),
            None if self.collection_id is None else A.CollectionId(self.collection_id),
            None if self.server_id is None else A.ServerId(self.server_id),
            None if self.file_reference is None else ASB.FileReference(self.file_reference),
            IO.Options(*options) if options else None,
        )

    @classmethod
    def from_element(cls, el: Element) -> FetchRequest:
        options = el.find("ItemOperations:Options")
        mime = None if options is None else opt_int(options, "AirSync:MIMESupport")
        try:
            return cls(
                collection_id=opt_text(el, "AirSync:CollectionId"),
                server_id=opt_text(el, "AirSync:ServerId"),
                file_reference=opt_text(el, "AirSyncBase:FileReference"),
                long_id=opt_text(el, "Search:LongId"),
                store=opt_text(el, "ItemOperations:Store") or MAILBOX,
                body_preferences=()
                if options is None
                else tuple(
                    BodyPreference.from_element(p)
                    for p in options.findall("AirSyncBase:BodyPreference")
                ),
                mime_support=None if mime is None else code_of(MIMESupport, mime),
                range=None if options is None else opt_text(options, "ItemOperations:Range"),
            )
        except ValueError as exc:
            raise ProtocolError(f"ItemOperations:Fetch: {exc}", element=el.tag) from None


@dataclass(frozen=True, slots=True)
class ItemOperationsRequest:
    """An ItemOperations request made of Fetch operations (EmptyFolderContents and Move are not
    modelled)."""

    fetches: tuple[FetchRequest, ...]

    def __post_init__(self) -> None:
        as_tuples(self, "fetches")

    def to_element(self, version: str = "14.1") -> Element:
        return prune(
            IO.ItemOperations(*(f.to_element(version) for f in self.fetches)),
            version,
        )

    @classmethod
    def from_element(cls, el: Element) -> ItemOperationsRequest:
        expect_root(el, "ItemOperations:ItemOperations")
        return cls(tuple(FetchRequest.from_element(f) for f in el.findall("ItemOperations:Fetch")))


def _data_bytes(el: Element) -> bytes:
    if isinstance(el.text, bytes):  # some servers send it as WBXML opaque data
        return el.text
    try:
        return base64.b64decode(el.text or "", validate=True)
    except (binascii.Error, ValueError):
        raise ProtocolError(
            f"ItemOperations:Data is not base64: {(el.text or '')[:40]!r}", element=el.tag
        ) from None


_ATTACHMENT_TAGS = {
    "AirSyncBase:ContentType",
    "ItemOperations:Data",
    "ItemOperations:Part",
    "ItemOperations:Range",
    "ItemOperations:Total",
    "ItemOperations:Version",
}


@dataclass(frozen=True, slots=True)
class FetchResult:
    """One ``Fetch`` of the response (MS-ASCMD 2.2.3.67.1).

    For an item: ``item`` is an :class:`Email` for mail, else the raw ``Properties`` element.
    For an attachment or document: ``content_type``, and ``data`` (decoded from base64) or
    ``part`` (the multipart index); ``range`` and ``total`` when a byte range was asked for.
    Use :meth:`content` to get the bytes whichever way they came.
    """

    status: ItemOperationsStatus | int
    collection_id: str | None = None
    server_id: str | None = None
    class_: str | None = None
    file_reference: str | None = None
    long_id: str | None = None
    item: Email | Element | None = None
    content_type: str | None = None
    data: bytes | None = None
    part: int | None = None
    range: str | None = None
    total: int | None = None

    def content(self, parts: Sequence[bytes] = ()) -> bytes | None:
        """The attachment's bytes: ``data``, or ``parts[part]`` of a multipart response."""
        if self.data is not None:
            return self.data
        if self.part is None:
            return None
        if not 0 < self.part < len(parts):
            raise ProtocolError(
                f"ItemOperations:Part {self.part} names no binary part "
                f"(the response has {len(parts)} parts)",
                value=self.part,
            )
        return parts[self.part]

    def body_content(self, parts: Sequence[bytes] = ()) -> bytes | None:
        """The fetched mail's body bytes when the body came as a multipart part."""
        if not isinstance(self.item, Email) or self.item.body is None:
            return None
        body = self.item.body
        if body.part is None:
            return None if body.data is None else body.data.encode("utf-8")
        return FetchResult(self.status, part=body.part).content(parts)

    def to_element(self, version: str = "14.1") -> Element:
        properties: list[Element] = []
        if isinstance(self.item, Email):
            properties.extend(self.item.to_children(version))
        elif self.item is not None:
            properties.extend(self.item.children)
        if self.content_type is not None:
            properties.append(ASB.ContentType(self.content_type))
        if self.range is not None:
            properties.append(IO.Range(self.range))
        if self.total is not None:
            properties.append(IO.Total(self.total))
        if self.data is not None:
            properties.append(IO.Data(base64.b64encode(self.data).decode("ascii")))
        if self.part is not None:
            properties.append(IO.Part(self.part))
        has_properties = (
            self.item is not None
            or self.content_type is not None
            or self.data is not None
            or self.part is not None
            or self.range is not None
            or self.total is not None
        )
        return IO.Fetch(
            IO.Status(int(self.status)),
            None if self.collection_id is None else A.CollectionId(self.collection_id),
            None if self.server_id is None else A.ServerId(self.server_id),
            None if self.class_ is None else A.Class(self.class_),
            None if self.long_id is None else Element("Search:LongId", self.long_id),
            None if self.file_reference is None else ASB.FileReference(self.file_reference),
            IO.Properties(*properties) if has_properties else None,
        )

    @classmethod
    def from_element(cls, el: Element) -> FetchResult:
        class_ = opt_text(el, "AirSync:Class")
        props = el.find("ItemOperations:Properties")
        item: Email | Element | None = None
        values: dict[str, Any] = {}  # the keyword arguments of cls()
        if props is not None:
            data = props.find("ItemOperations:Data")
            values = {
                "content_type": opt_text(props, "AirSyncBase:ContentType"),
                "data": None if data is None else _data_bytes(data),
                "part": opt_int(props, "ItemOperations:Part"),
                "range": opt_text(props, "ItemOperations:Range"),
                "total": opt_int(props, "ItemOperations:Total"),
            }
            rest = [c for c in props if c.tag not in _ATTACHMENT_TAGS]
            if rest:
                item_el = Element("ItemOperations:Properties", *rest)
                is_mail = class_ == "Email" or (class_ is None and looks_like_email(item_el))
                item = Email.from_element(item_el) if is_mail else item_el
        return cls(
            status=status(el, "ItemOperations:Status", ItemOperationsStatus),
            collection_id=opt_text(el, "AirSync:CollectionId"),
            server_id=opt_text(el, "AirSync:ServerId"),
            class_=class_,
            file_reference=opt_text(el, "AirSyncBase:FileReference"),
            long_id=opt_text(el, "Search:LongId"),
            item=item,
            **values,
        )


@dataclass(frozen=True, slots=True)
class ItemOperationsResponse:
    """An ItemOperations response: the command ``status`` and one result per Fetch.

    ``parts`` holds the multipart body's parts (part 0 is the WBXML itself) when the response
    came as ``application/vnd.ms-sync.multipart``; results point into it with ``part``.
    """

    status: ItemOperationsStatus | int
    fetches: tuple[FetchResult, ...] = ()
    parts: tuple[bytes, ...] = ()

    def __post_init__(self) -> None:
        as_tuples(self, "fetches", "parts")

    def to_element(self, version: str = "14.1") -> Element:
        return prune(
            IO.ItemOperations(
                IO.Status(int(self.status)),
                IO.Response(*(f.to_element(version) for f in self.fetches))
                if self.fetches
                else None,
            ),
            version,
        )

    @classmethod
    def from_element(cls, el: Element) -> ItemOperationsResponse:
        expect_root(el, "ItemOperations:ItemOperations")
        response = el.find("ItemOperations:Response")
        fetches = () if response is None else response.findall("ItemOperations:Fetch")
        return cls(
            status=status(el, "ItemOperations:Status", ItemOperationsStatus),
            fetches=tuple(FetchResult.from_element(f) for f in fetches),
        )

    def to_multipart(self, version: str = "14.1", binary_parts: Sequence[bytes] = ()) -> bytes:
        """The multipart body for this response: its WBXML as part 0, then ``binary_parts``
        (so the first binary part is Part 1)."""
        return build_multipart([encode(self.to_element(version)), *binary_parts])


def parse_itemoperations_body(body: bytes, content_type: str | None) -> ItemOperationsResponse:
    """An ItemOperations response from an HTTP body, WBXML or multipart by ``content_type``.

    A multipart body's parts are kept on the result (``parts``) for :meth:`FetchResult.content`.
    """
    if is_multipart(content_type):
        parts = parse_multipart(body)
        result = ItemOperationsResponse.from_element(_decode(parts[0]))
        return ItemOperationsResponse(result.status, result.fetches, tuple(parts))
    if not body:
        raise ProtocolError("ItemOperations response has an empty body")
    return ItemOperationsResponse.from_element(_decode(body))


def _decode(data: bytes) -> Element:
    try:
        return decode(data)
    except WBXMLError as exc:
        raise ProtocolError(f"ItemOperations WBXML is malformed: {exc}", value=data[:64]) from exc


__all__ = [
    "FetchRequest",
    "FetchResult",
    "ItemOperationsRequest",
    "ItemOperationsResponse",
    "parse_itemoperations_body",
]
