"""What differs between servers by nature: the ids they hand out, mapped recorded → live.

A replayed request must carry the live server's SyncKeys (MS-ASCMD 2.2.3.166), PolicyKey
(MS-ASPROV 2.2.2.42), folder ServerIds / CollectionIds and item ServerIds, not the recorded
server's. :class:`IdMap` learns them by walking the recorded answer and the live answer to the
same request side by side, and rewrites the next requests with what it learned.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping

from easclient.wbxml import Element

#: Element (namespace:name) → the id space its value belongs to.
ID_TAGS: dict[str, str] = {
    "AirSync:SyncKey": "synckey",
    "FolderHierarchy:SyncKey": "synckey",
    "Provision:PolicyKey": "policykey",
    "FolderHierarchy:ServerId": "folder",
    "FolderHierarchy:ParentId": "folder",
    "AirSync:CollectionId": "folder",
    "GetItemEstimate:CollectionId": "folder",
    "MeetingResponse:CollectionId": "folder",
    "Ping:Id": "folder",
    "Ping:Folder": "folder",  # in a Ping answer, Folder holds the id as text
    "Move:SrcFldId": "folder",
    "Move:DstFldId": "folder",
    "ItemOperations:DstFldId": "folder",
    "ComposeMail:FolderId": "folder",
    "AirSync:ServerId": "item",
    "Move:SrcMsgId": "item",
    "Move:DstMsgId": "item",
    # SmartReply/SmartForward's source, Search results, meeting answers (MS-ASCMD 2.2.3.x)
    "ComposeMail:ItemId": "item",
    "ComposeMail:LongId": "item",
    "Search:LongId": "item",
    "MeetingResponse:RequestId": "item",
    "MeetingResponse:CalendarId": "item",
    "AirSyncBase:FileReference": "attachment",
}
#: Plain-form query parameters (MS-ASHTTP 2.2.1.1.1.1) that carry ids.
ID_PARAMS: dict[str, str] = {"CollectionId": "folder", "ItemId": "item", "LongId": "item"}
#: Values that mean "none yet" rather than an id handed out by a server.
_UNMAPPED = frozenset({"", "0"})


class IdMap:
    """Recorded id → live id, per id space (synckey, policykey, folder, item, attachment)."""

    def __init__(self) -> None:
        self._map: dict[str, dict[str, str]] = defaultdict(dict)

    def get(self, kind: str, recorded: str) -> str:
        """The live value for ``recorded`` (``recorded`` itself when not learned)."""
        return self._map.get(kind, {}).get(recorded, recorded)

    def knows(self, kind: str, recorded: str) -> bool:
        """Whether ``recorded`` was mapped (a key the replay saw handed out)."""
        return recorded in self._map.get(kind, {})

    def learn(self, kind: str, recorded: str, live: str) -> None:
        if recorded in _UNMAPPED and live == recorded:
            return
        self._map[kind][recorded] = live

    def snapshot(self) -> dict[str, dict[str, str]]:
        """Everything learned whose value differs (for reports)."""
        return {k: {a: b for a, b in v.items() if a != b} for k, v in self._map.items() if v}

    # -- learning from answers ----------------------------------------------------------------
    def learn_answers(self, recorded: Element | None, live: Element | None) -> None:
        """Pair the ids of two answers to the same request, position by position; folders by
        their DisplayName and Type, collections by their (mapped) CollectionId."""
        if recorded is None or live is None or recorded.tag != live.tag:
            return
        kind = ID_TAGS.get(recorded.tag)
        if kind and isinstance(recorded.text, str) and isinstance(live.text, str):
            self.learn(kind, recorded.text, live.text)
        for r, lv in self._pairs(recorded.children, live.children):
            self.learn_answers(r, lv)

    def _pairs(self, rec: list[Element], live: list[Element]) -> list[tuple[Element, Element]]:
        by_tag_r: dict[str, list[Element]] = defaultdict(list)
        by_tag_l: dict[str, list[Element]] = defaultdict(list)
        for el in rec:
            by_tag_r[el.tag].append(el)
        for el in live:
            by_tag_l[el.tag].append(el)
        out: list[tuple[Element, Element]] = []
        for tag, rs in by_tag_r.items():
            ls = list(by_tag_l.get(tag, ()))
            if not ls:
                continue
            key: Callable[..., object] | None
            if tag in ("FolderHierarchy:Add", "FolderHierarchy:Update"):
                key = self._folder_key
            elif tag == "AirSync:Collection":
                key = self._collection_key
            else:
                key = None
            rest: list[Element] = []
            for r in rs:
                k = key(r, recorded=True) if key else None
                match = next((lv for lv in ls if k is not None and key and key(lv) == k), None)
                if match is None:
                    rest.append(r)
                    continue
                ls.remove(match)
                out.append((r, match))
            out.extend(zip(rest, ls, strict=False))
        return out

    @staticmethod
    def _folder_key(el: Element, recorded: bool = False) -> tuple[str | None, str | None]:
        return (el.findtext("DisplayName"), el.findtext("Type"))

    def _collection_key(self, el: Element, recorded: bool = False) -> str | None:
        cid = el.findtext("CollectionId")
        if cid is None:
            return None
        return self.get("folder", cid) if recorded else cid

    # -- rewriting requests -------------------------------------------------------------------
    def rewrite(self, el: Element) -> Element:
        """A copy of request ``el`` with every id replaced by its live value."""
        kind = ID_TAGS.get(el.tag)
        if kind and isinstance(el.text, str):
            return Element._raw(el.tag, [], self.get(kind, el.text))
        return Element._raw(el.tag, [self.rewrite(c) for c in el.children], el.text)

    def rewrite_params(self, params: Mapping[str, str]) -> dict[str, str]:
        return {k: self.get(ID_PARAMS[k], v) if k in ID_PARAMS else v for k, v in params.items()}

    def rewrite_policy_key(self, key: int | str | None) -> int | None:
        if key is None:
            return None
        live = self.get("policykey", str(key))
        try:
            return int(live)
        except ValueError:
            return None
