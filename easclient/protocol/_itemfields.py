"""What the content classes (Calendar, Contacts, Tasks, Notes) share: simple fields read and
written from a table, the ``Categories`` list, the body in its two forms and recurrence.

A field table lists ``(attribute, "Namespace:Tag", kind)``; kind ``str`` fields are text, ``int``
integers (MS-ASDTYPE 2.6), ``bool`` the "0"/"1" booleans (2.1). Writing leaves out what is None
and what the protocol version lacks (the code-page table says), so one value serves 2.5 to 16.1.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from easclient.wbxml import BY_NAME, Element

from ._elements import in_version, opt_bool, opt_int, opt_text
from .email import Body
from .errors import ProtocolError
from .versions import version_at_least

Field = tuple[str, str, type]


def write_fields(obj: object, fields: Iterable[Field], version: str) -> list[Element]:
    """The elements for ``obj``'s non-None fields that ``version`` has, in table order."""
    out: list[Element] = []
    for attr, tag, kind in fields:
        value = getattr(obj, attr)
        if value is None or not in_version(tag, version):
            continue
        out.append(Element(tag, int(value) if kind is int else value))
    return out


def read_fields(el: Element, fields: Iterable[Field]) -> dict[str, Any]:
    """``{attribute: value}`` for every field of the table (None when absent)."""
    values: dict[str, Any] = {}
    for attr, tag, kind in fields:
        if kind is bool:
            values[attr] = opt_bool(el, tag)
        elif kind is int:
            values[attr] = opt_int(el, tag)
        else:
            values[attr] = opt_text(el, tag)
    return values


def write_categories(namespace: str, categories: tuple[str, ...]) -> Element | None:
    """``NS:Categories{NS:Category…}``, or None for no categories."""
    if not categories:
        return None
    return Element(
        f"{namespace}:Categories", *(Element(f"{namespace}:Category", c) for c in categories)
    )


def read_categories(el: Element, namespace: str) -> tuple[str, ...]:
    block = el.find(f"{namespace}:Categories")
    if block is None:
        return ()
    return tuple(c.text for c in block.findall(f"{namespace}:Category") if isinstance(c.text, str))


def write_body(
    namespace: str, body: Body | None, version: str, *, size: bool = True
) -> list[Element]:
    """``AirSyncBase:Body`` from 12.0; before, the class's own ``Body``/``BodySize``/
    ``BodyTruncated`` (Calendar has no ``BodySize``: ``size=False``)."""
    if body is None:
        return []
    if version_at_least(version, "12.0"):
        return [body.to_element(version)]
    out = []
    if body.data is not None:
        out.append(Element(f"{namespace}:Body", body.data))
    if size and body.estimated_data_size is not None:
        out.append(Element(f"{namespace}:BodySize", body.estimated_data_size))
    if body.truncated is not None:
        out.append(Element(f"{namespace}:BodyTruncated", body.truncated))
    return out


def read_body(el: Element, namespace: str) -> Body | None:
    found = el.find("AirSyncBase:Body")
    if found is not None:
        return Body.from_element(found)
    data = opt_text(el, f"{namespace}:Body")
    size = opt_int(el, f"{namespace}:BodySize")
    truncated = opt_bool(el, f"{namespace}:BodyTruncated")
    if data is None and size is None and truncated is None:
        return None
    return Body(data=data, truncated=truncated, estimated_data_size=size)


#: Recurrence children, Calendar's and Tasks' alike (MS-ASCAL 2.2.2.38, MS-ASTASK 2.2.2.19);
#: ``Start``, ``Regenerate`` and ``DeadOccur`` are Tasks' only.
_RECURRENCE: tuple[tuple[str, str, type], ...] = (
    ("type", "Type", int),
    ("start", "Start", str),
    ("until", "Until", str),
    ("occurrences", "Occurrences", int),
    ("interval", "Interval", int),
    ("day_of_month", "DayOfMonth", int),
    ("day_of_week", "DayOfWeek", int),
    ("week_of_month", "WeekOfMonth", int),
    ("month_of_year", "MonthOfYear", int),
    ("regenerate", "Regenerate", bool),
    ("dead_occur", "DeadOccur", bool),
    ("calendar_type", "CalendarType", int),
    ("is_leap_month", "IsLeapMonth", bool),
    ("first_day_of_week", "FirstDayOfWeek", int),
)


@dataclass(frozen=True, slots=True)
class Recurrence:
    """A recurrence pattern. ``type``: 0 daily, 1 weekly, 2 monthly, 3 monthly on the nth
    weekday, 5 yearly, 6 yearly on the nth weekday. ``day_of_week`` is a bit mask (1 Sunday …
    64 Saturday); ``week_of_month`` 5 means the last. ``until`` is a date-time, or
    ``occurrences`` counts them; neither: for ever."""

    type: int
    start: str | None = None
    until: str | None = None
    occurrences: int | None = None
    interval: int | None = None
    day_of_month: int | None = None
    day_of_week: int | None = None
    week_of_month: int | None = None
    month_of_year: int | None = None
    regenerate: bool | None = None
    dead_occur: bool | None = None
    calendar_type: int | None = None
    is_leap_month: bool | None = None
    first_day_of_week: int | None = None

    def to_element(self, namespace: str, version: str) -> Element:
        fields = _recurrence_fields(namespace)
        return Element(f"{namespace}:Recurrence", *write_fields(self, fields, version))

    @classmethod
    def from_element(cls, el: Element, namespace: str) -> Recurrence:
        values = read_fields(el, _recurrence_fields(namespace))
        if values.get("type") is None:
            raise ProtocolError(f"{el.tag} lacks its required Type", element=el.tag)
        return cls(**values)


def _recurrence_fields(namespace: str) -> list[Field]:
    """The recurrence fields the namespace has (Calendar lacks Start/Regenerate/DeadOccur)."""
    return [
        (attr, f"{namespace}:{tag}", kind)
        for attr, tag, kind in _RECURRENCE
        if f"{namespace}:{tag}" in BY_NAME
    ]
