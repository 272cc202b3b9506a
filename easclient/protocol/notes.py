"""The Notes class (MS-ASNOTE, 14.0 and later): a note's ApplicationData.

A note is a ``Subject``, an ``AirSyncBase:Body``, ``Categories``, ``LastModifiedDate`` (set by
the server) and a ``MessageClass`` (``IPM.StickyNote`` and its subclasses).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from easclient.wbxml import Element

from ._elements import as_tuples
from ._itemfields import (
    Field,
    read_body,
    read_categories,
    read_fields,
    write_body,
    write_categories,
    write_fields,
)
from .email import Body
from .versions import version_at_least

__all__ = ["Note"]

_FIELDS: tuple[Field, ...] = (
    ("subject", "Notes:Subject", str),
    ("message_class", "Notes:MessageClass", str),
    ("last_modified_date", "Notes:LastModifiedDate", str),
)


@dataclass(frozen=True, slots=True)
class Note:
    """A note (MS-ASNOTE 2.2.2)."""

    subject: str | None = None
    body: Body | None = None
    message_class: str | None = "IPM.StickyNote"
    last_modified_date: str | None = None
    categories: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        as_tuples(self, "categories")

    def to_element(self, version: str = "14.1") -> Element:
        return Element("AirSync:ApplicationData", *self.to_children(version))

    def to_children(self, version: str = "14.1") -> list[Element]:
        if not version_at_least(version, "14.0"):
            raise ValueError(f"protocol {version} has no Notes class (14.0 and later)")
        out = write_fields(self, _FIELDS[:1], version)
        out += write_body("Notes", self.body, version)
        cats = write_categories("Notes", self.categories)
        if cats is not None:
            out.append(cats)
        out += write_fields(self, _FIELDS[1:], version)
        return out

    @classmethod
    def from_element(cls, el: Element) -> Note:
        values = read_fields(el, _FIELDS)
        values["categories"] = read_categories(el, "Notes")
        values["body"] = read_body(el, "Notes")
        return cls(**values)
