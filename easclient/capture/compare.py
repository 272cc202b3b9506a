"""Comparing two answers to the same request: HTTP status, protocol status, structure.

What two servers may legitimately answer differently — SyncKeys, PolicyKeys, ServerIds, dates,
the content of items and of the policy — is not compared. What is: the HTTP status; every
``Status`` element (by path, in order); a few values that are protocol decisions rather than
data (heartbeat bounds, MaxFolders, Limit); which elements the answer has and how many of
each (the structure), leaving out what lies inside item data (``ApplicationData``, fetched
``Properties``) and inside the policy document; and, for OPTIONS, the versions and commands
offered.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass

from easclient.protocol import Headers
from easclient.wbxml import Element

#: Local names of elements whose value is a protocol decision worth comparing.
VALUE_ELEMENTS = frozenset({"HeartbeatInterval", "MaxFolders", "Limit", "PolicyType"})
#: Elements whose inside is data, not protocol structure (compared only as present/absent).
OPAQUE_INSIDE = frozenset({"ApplicationData", "Properties", "EASProvisionDoc", "Data", "Body"})
#: OPTIONS answer headers that say what the server speaks (MS-ASHTTP 2.2.4).
OPTIONS_HEADERS = ("MS-ASProtocolVersions", "MS-ASProtocolCommands")


@dataclass(frozen=True)
class Difference:
    """One way the two answers differ. ``kind``: http-status, status, value, structure, header,
    error."""

    kind: str
    path: str
    recorded: str | None
    live: str | None

    def __str__(self) -> str:
        return f"{self.path}: {self.recorded or '-'} → {self.live or '-'}"

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Shape:
    """What is compared of one answer."""

    http_status: int | None
    statuses: dict[str, list[str]]
    values: dict[str, list[str]]
    structure: Counter

    @classmethod
    def of(cls, http_status: int | None, element: Element | None) -> Shape:
        statuses: dict[str, list[str]] = {}
        values: dict[str, list[str]] = {}
        structure: Counter = Counter()
        if element is not None:
            _walk(element, element.name, statuses, values, structure)
        return cls(http_status, statuses, values, structure)


def _walk(
    el: Element,
    path: str,
    statuses: dict[str, list[str]],
    values: dict[str, list[str]],
    structure: Counter,
) -> None:
    structure[path] += 1
    text = el.text if isinstance(el.text, str) else None
    if el.name == "Status" and text is not None:
        statuses.setdefault(path, []).append(text)
    elif el.name in VALUE_ELEMENTS and text is not None:
        values.setdefault(path, []).append(text)
    if el.name in OPAQUE_INSIDE:
        return
    for child in el.children:
        _walk(child, f"{path}/{child.name}", statuses, values, structure)


def _join(items: list[str] | None) -> str | None:
    return None if not items else ", ".join(items)


def compare(
    recorded: Shape,
    live: Shape,
    *,
    recorded_headers: dict[str, str] | None = None,
    live_headers: dict[str, str] | None = None,
    options: bool = False,
) -> list[Difference]:
    """The differences between a recorded and a live answer, most important first."""
    out: list[Difference] = []
    if recorded.http_status != live.http_status:
        out.append(
            Difference(
                "http-status",
                "HTTP",
                None if recorded.http_status is None else str(recorded.http_status),
                None if live.http_status is None else str(live.http_status),
            )
        )
    for kind, a, b in (
        ("status", recorded.statuses, live.statuses),
        ("value", recorded.values, live.values),
    ):
        for path in sorted(set(a) | set(b)):
            if a.get(path) != b.get(path):
                out.append(Difference(kind, path, _join(a.get(path)), _join(b.get(path))))
    reported: set[str] = set()
    for path in sorted(set(recorded.structure) | set(live.structure)):
        if any(path in d for d in (recorded.statuses, live.statuses, recorded.values, live.values)):
            continue  # already reported as a status or value difference
        if any(path.startswith(p + "/") for p in reported):
            continue  # inside an element already counted differently: say it once
        n, m = recorded.structure.get(path, 0), live.structure.get(path, 0)
        if n != m:
            reported.add(path)
            out.append(
                Difference("structure", path, f"{n}x" if n else None, f"{m}x" if m else None)
            )
    if options:
        a_h, b_h = Headers(recorded_headers or {}), Headers(live_headers or {})
        for name in OPTIONS_HEADERS:
            if a_h.get(name) != b_h.get(name):
                out.append(Difference("header", name, a_h.get(name), b_h.get(name)))
    return out


def summary(http_status: int | None, element: Element | None, error: str | None = None) -> str:
    """One line about an answer: "200 Ping Status 5 HeartbeatInterval 60"."""
    if http_status is None:
        return f"no answer ({error})" if error else "no answer"
    parts = [str(http_status)]
    if element is None:
        parts.append("(empty)")
        return " ".join(parts)
    parts.append(element.name)
    status = element.findtext("Status")
    if status is not None:
        parts.append(f"Status {status}")
    for col in element.iter("Collection"):
        s = col.findtext("Status")
        if s is not None and s != status:
            parts.append(f"[{col.findtext('CollectionId') or '?'}: Status {s}]")
        adds = sum(1 for _ in col.iter("Add"))
        if adds:
            parts.append(f"{adds} Add")
        if col.find("MoreAvailable") is not None:
            parts.append("MoreAvailable")
    for name in ("HeartbeatInterval", "MaxFolders", "Limit"):
        v = element.findtext(name)
        if v is not None:
            parts.append(f"{name} {v}")
    if element.name == "FolderSync":
        changes = element.find("Changes")
        if changes is not None:
            parts.append(f"{sum(1 for _ in changes.iter('Add'))} folders")
    if element.name == "Ping":
        folders = [f.text for f in element.iter("Folder") if isinstance(f.text, str)]
        if folders:
            parts.append("Folders " + ",".join(folders))
    return " ".join(parts)
