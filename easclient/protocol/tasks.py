"""The Tasks class (MS-ASTASK): a task's ApplicationData.

Dates come in pairs, local and UTC (``StartDate``/``UtcStartDate``, ``DueDate``/``UtcDueDate``),
as MS-ASDTYPE 2.3 date-times. A recurring task carries ``Recurrence`` with ``Start`` and may ask
the next occurrence to be ``Regenerate``\\ d from completion; ``DeadOccur`` marks the last one.
``OrdinalDate``/``SubOrdinalDate`` (12.0+) order flagged items. The body is ``AirSyncBase:Body``
from 12.0 and ``Tasks:Body``/``BodySize``/``BodyTruncated`` at 2.5.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from easclient.wbxml import Element

from ._elements import as_tuples
from ._itemfields import (
    Field,
    Recurrence,
    read_body,
    read_categories,
    read_fields,
    write_body,
    write_categories,
    write_fields,
)
from .email import Body

__all__ = ["Task"]

_FIELDS: tuple[Field, ...] = (
    ("subject", "Tasks:Subject", str),
    ("importance", "Tasks:Importance", int),
    ("utc_start_date", "Tasks:UtcStartDate", str),
    ("start_date", "Tasks:StartDate", str),
    ("utc_due_date", "Tasks:UtcDueDate", str),
    ("due_date", "Tasks:DueDate", str),
    ("complete", "Tasks:Complete", bool),
    ("date_completed", "Tasks:DateCompleted", str),
    ("sensitivity", "Tasks:Sensitivity", int),
    ("reminder_time", "Tasks:ReminderTime", str),
    ("reminder_set", "Tasks:ReminderSet", bool),
    ("ordinal_date", "Tasks:OrdinalDate", str),
    ("sub_ordinal_date", "Tasks:SubOrdinalDate", str),
)


@dataclass(frozen=True, slots=True)
class Task:
    """A task (MS-ASTASK 2.2.2). ``importance``: 0 low, 1 normal, 2 high; ``sensitivity``:
    0 normal, 1 personal, 2 private, 3 confidential."""

    subject: str | None = None
    importance: int | None = None
    utc_start_date: str | None = None
    start_date: str | None = None
    utc_due_date: str | None = None
    due_date: str | None = None
    complete: bool | None = None
    date_completed: str | None = None
    sensitivity: int | None = None
    reminder_time: str | None = None
    reminder_set: bool | None = None
    ordinal_date: str | None = None
    sub_ordinal_date: str | None = None
    categories: tuple[str, ...] = field(default=())
    recurrence: Recurrence | None = None
    body: Body | None = None

    def __post_init__(self) -> None:
        as_tuples(self, "categories")

    def to_element(self, version: str = "14.1") -> Element:
        return Element("AirSync:ApplicationData", *self.to_children(version))

    def to_children(self, version: str = "14.1") -> list[Element]:
        out = write_body("Tasks", self.body, version)
        out += write_fields(self, _FIELDS, version)
        cats = write_categories("Tasks", self.categories)
        if cats is not None:
            out.append(cats)
        if self.recurrence is not None:
            out.append(self.recurrence.to_element("Tasks", version))
        return out

    @classmethod
    def from_element(cls, el: Element) -> Task:
        values = read_fields(el, _FIELDS)
        rec = el.find("Tasks:Recurrence")
        values["recurrence"] = None if rec is None else Recurrence.from_element(rec, "Tasks")
        values["categories"] = read_categories(el, "Tasks")
        values["body"] = read_body(el, "Tasks")
        return cls(**values)
