"""Search (MS-ASCMD 2.2.1.16): find mail in the mailbox, people in the global address list
(GAL), or documents in a library.

Request ``Search{Store{Name, Query, Options?}}``: ``Name`` is ``Mailbox``, ``GAL`` or
``DocumentLibrary``. A GAL query is the text to match; a Mailbox query is a tree
(``And{airsync:Class, airsync:CollectionId?, FreeText, GreaterThan{email:DateReceived, Value}?}``).
``Options`` carry ``Range`` ("0-99": results wanted, inclusive), ``DeepTraversal`` (subfolders),
``RebuildResults`` (do not serve a cached result set), a ``BodyPreference`` and, for the GAL,
``Picture`` (14.1+). Response ``Search{Status, Response{Store{Status, Result*, Range?,
Total?}}}``: ``Total`` counts every match, ``Range`` the ones returned (paging: ask for the next
range). Statuses: MS-ASCMD 2.2.3.177.13.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from easclient.wbxml import Element, ns

from ._elements import as_tuples, child, expect_root, opt_int, opt_text, status
from .errors import ProtocolError
from .status import SearchStatus
from .sync import BodyPreference
from .versions import version_at_least

__all__ = [
    "GalPicture",
    "MailboxQuery",
    "SearchRequest",
    "SearchResponse",
    "SearchResult",
    "SearchStore",
    "parse_range",
]

S = ns("Search")
AS = ns("AirSync")
EM = ns("Email")
GAL = ns("GAL")


class SearchStore(Enum):
    """Where to search (MS-ASCMD 2.2.3.110.2)."""

    Mailbox = "Mailbox"
    GAL = "GAL"
    DocumentLibrary = "DocumentLibrary"


def parse_range(value: str) -> tuple[int, int]:
    """``"0-99"`` → (0, 99): the zero-based, inclusive indexes of results (MS-ASCMD 2.2.3.143)."""
    first, sep, last = value.strip().partition("-")
    if not sep or not first.isascii() or not last.isascii():
        raise ProtocolError(f"Search Range must be like 0-99, got {value[:40]!r}", value=value)
    try:
        start, end = int(first), int(last)
    except ValueError:
        raise ProtocolError(f"Search Range must be like 0-99, got {value[:40]!r}") from None
    if start < 0 or end < start:
        raise ProtocolError(f"Search Range must be like 0-99, got {value[:40]!r}", value=value)
    return start, end


def _range_text(r: tuple[int, int]) -> str:
    return f"{r[0]}-{r[1]}"


@dataclass(frozen=True, slots=True)
class MailboxQuery:
    """A mailbox search: ``free_text`` in items of ``class_`` (in ``collection_id``, or every
    folder), received after ``since`` (a date-time, MS-ASDTYPE 2.3)."""

    free_text: str
    collection_id: str | None = None
    class_: str = "Email"
    since: str | None = None

    def to_element(self) -> Element:
        return S.Query(
            S.And(
                AS.Class(self.class_),
                None if self.collection_id is None else AS.CollectionId(self.collection_id),
                S.FreeText(self.free_text),
                None
                if self.since is None
                else S.GreaterThan(EM.DateReceived(), S.Value(self.since)),
            )
        )

    @classmethod
    def from_element(cls, query: Element) -> MailboxQuery:
        and_ = query.find("Search:And")
        if and_ is None:
            raise ProtocolError("a Mailbox Search Query needs an And", element="Search:Query")
        free = and_.findtext("Search:FreeText")
        if free is None:
            raise ProtocolError("a Mailbox Search Query needs FreeText", element="Search:And")
        after = and_.find("Search:GreaterThan")
        return cls(
            free,
            and_.findtext("AirSync:CollectionId"),
            and_.findtext("AirSync:Class") or "Email",
            None if after is None else after.findtext("Search:Value"),
        )


@dataclass(frozen=True, slots=True)
class GalPicture:
    """``Picture`` option of a GAL search (14.1+): photos up to ``max_size`` bytes, at most
    ``max_pictures`` of them."""

    max_size: int | None = None
    max_pictures: int | None = None

    def to_element(self) -> Element:
        return S.Picture(
            None if self.max_size is None else S.MaxSize(self.max_size),
            None if self.max_pictures is None else S.MaxPictures(self.max_pictures),
        )


@dataclass(frozen=True, slots=True)
class SearchRequest:
    """One search. ``query`` is the GAL text, or a :class:`MailboxQuery`."""

    store: SearchStore
    query: str | MailboxQuery
    range: tuple[int, int] | None = (0, 99)
    deep_traversal: bool = False
    rebuild_results: bool = False
    body_preferences: tuple[BodyPreference, ...] = field(default=())
    picture: GalPicture | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "store", SearchStore(self.store))
        as_tuples(self, "body_preferences")
        if self.store is SearchStore.Mailbox and not isinstance(self.query, MailboxQuery):
            object.__setattr__(self, "query", MailboxQuery(str(self.query)))
        if self.store is SearchStore.GAL and not isinstance(self.query, str):
            raise ValueError("a GAL search takes a text query")

    def to_element(self, version: str = "14.1") -> Element:
        if isinstance(self.query, MailboxQuery):
            query = self.query.to_element()
        else:
            query = S.Query(self.query)
        options = [
            None if self.range is None else S.Range(_range_text(self.range)),
            S.DeepTraversal() if self.deep_traversal else None,
            S.RebuildResults() if self.rebuild_results else None,
            *(
                b.to_element(version)
                for b in self.body_preferences
                if version_at_least(version, "12.0")
            ),
            self.picture.to_element()
            if self.picture is not None and version_at_least(version, "14.1")
            else None,
        ]
        kept = [o for o in options if o is not None]
        return S.Search(
            S.Store(S.Name(self.store.value), query, S.Options(*kept) if kept else None)
        )

    @classmethod
    def from_element(cls, el: Element) -> SearchRequest:
        expect_root(el, "Search:Search")
        store_el = child(el, "Search:Store")
        name = opt_text(store_el, "Search:Name") or ""
        try:
            store = SearchStore(name)
        except ValueError:
            raise ProtocolError(f"unknown Search store {name[:40]!r}", value=name) from None
        query_el = child(store_el, "Search:Query")
        query: str | MailboxQuery
        if store is SearchStore.Mailbox:
            query = MailboxQuery.from_element(query_el)
        else:
            query = query_el.text if isinstance(query_el.text, str) else ""
        opts = store_el.find("Search:Options")
        found = None if opts is None else opts.findtext("Search:Range")
        pic = None if opts is None else opts.find("Search:Picture")
        return cls(
            store,
            query,
            parse_range(found) if found is not None else None,
            deep_traversal=opts is not None and opts.find("Search:DeepTraversal") is not None,
            rebuild_results=opts is not None and opts.find("Search:RebuildResults") is not None,
            body_preferences=tuple(
                BodyPreference.from_element(b)
                for b in (opts.findall("AirSyncBase:BodyPreference") if opts is not None else ())
            ),
            picture=None
            if pic is None
            else GalPicture(opt_int(pic, "Search:MaxSize"), opt_int(pic, "Search:MaxPictures")),
        )


@dataclass(frozen=True, slots=True)
class SearchResult:
    """One match. ``properties`` is the raw ``Properties`` element (mail: Email/AirSyncBase
    elements; GAL: GAL elements); :attr:`gal` reads a GAL entry's fields by name."""

    properties: Element | None = None
    long_id: str | None = None
    collection_id: str | None = None
    class_: str | None = None

    @property
    def gal(self) -> dict[str, str]:
        """A GAL entry's text fields by name (``DisplayName``, ``EmailAddress``, …)."""
        if self.properties is None:
            return {}
        return {
            c.name: c.text
            for c in self.properties.children
            if c.namespace == "GAL" and isinstance(c.text, str)
        }

    def to_element(self) -> Element:
        return S.Result(
            None if self.class_ is None else AS.Class(self.class_),
            None if self.long_id is None else S.LongId(self.long_id),
            None if self.collection_id is None else AS.CollectionId(self.collection_id),
            self.properties,
        )

    @classmethod
    def from_element(cls, el: Element) -> SearchResult:
        return cls(
            el.find("Search:Properties"),
            opt_text(el, "Search:LongId"),
            opt_text(el, "AirSync:CollectionId"),
            opt_text(el, "AirSync:Class"),
        )


@dataclass(frozen=True, slots=True)
class SearchResponse:
    """``status`` is the request's; ``store_status`` the store's (both :class:`SearchStatus`)."""

    status: SearchStatus | int
    store_status: SearchStatus | int | None = None
    results: tuple[SearchResult, ...] = ()
    range: tuple[int, int] | None = None
    total: int | None = None

    def __post_init__(self) -> None:
        as_tuples(self, "results")

    @property
    def ok(self) -> bool:
        return self.status == SearchStatus.Success and self.store_status in (
            None,
            SearchStatus.Success,
        )

    @property
    def more(self) -> bool:
        """Whether matches lie past the returned range (ask for the next one)."""
        return self.total is not None and self.range is not None and self.range[1] + 1 < self.total

    def to_element(self, version: str = "14.1") -> Element:
        store = None
        if self.store_status is not None:
            store = S.Store(
                S.Status(int(self.store_status)),
                *(r.to_element() for r in self.results),
                None if self.range is None else S.Range(_range_text(self.range)),
                None if self.total is None else S.Total(self.total),
            )
        return S.Search(S.Status(int(self.status)), None if store is None else S.Response(store))

    @classmethod
    def from_element(cls, el: Element) -> SearchResponse:
        expect_root(el, "Search:Search")
        code = status(el, "Search:Status", SearchStatus)
        store = el.find("Search:Response/Search:Store")
        if store is None:
            return cls(code)
        found = store.findtext("Search:Range")
        return cls(
            code,
            status(store, "Search:Status", SearchStatus),
            tuple(SearchResult.from_element(r) for r in store.findall("Search:Result")),
            parse_range(found) if found is not None else None,
            opt_int(store, "Search:Total"),
        )
