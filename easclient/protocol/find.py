"""Find (MS-ASCMD 2.2.1.2, 16.1 only): Search's successor, which Exchange Online offers.

Request ``Find{SearchId, ExecuteSearch{MailBoxSearchCriterion{Query{airsync:Class?,
airsync:CollectionId?, FreeText}, Options{Range, DeepTraversal?}} | GALSearchCriterion{Query,
Options{Range, Picture?}}}}``; response ``Find{Status, Response{itemoperations:Store, Status,
Result*{airsync:Class, airsync:ServerId, airsync:CollectionId, Properties}, Range, Total}}``.
``SearchId`` is a client-chosen id for the search. Statuses: :class:`FindStatus`.
"""

from __future__ import annotations

from dataclasses import dataclass

from easclient.wbxml import Element, ns

from ._elements import as_tuples, child, expect_root, opt_int, opt_text, status
from .errors import ProtocolError
from .search import GalPicture, parse_range
from .status import FindStatus

__all__ = ["FindRequest", "FindResponse", "FindResult"]

F = ns("Find")
AS = ns("AirSync")
IO = ns("ItemOperations")


def _range_text(r: tuple[int, int]) -> str:
    return f"{r[0]}-{r[1]}"


@dataclass(frozen=True, slots=True)
class FindRequest:
    """A mailbox search (``free_text`` in ``collection_id`` or everywhere) or, with ``gal``, a
    global address list search for ``free_text``."""

    search_id: str
    free_text: str
    gal: bool = False
    collection_id: str | None = None
    class_: str | None = "Email"
    range: tuple[int, int] = (0, 99)
    deep_traversal: bool = False
    picture: GalPicture | None = None

    def to_element(self, version: str = "16.1") -> Element:
        options = F.Options(
            F.Range(_range_text(self.range)),
            F.DeepTraversal() if self.deep_traversal and not self.gal else None,
            None if self.picture is None or not self.gal else _picture(self.picture),
        )
        if self.gal:
            criterion = F.GalSearchCriterion(F.Query(self.free_text), options)
        else:
            criterion = F.MailBoxSearchCriterion(
                F.Query(
                    None if self.class_ is None else AS.Class(self.class_),
                    None if self.collection_id is None else AS.CollectionId(self.collection_id),
                    F.FreeText(self.free_text),
                ),
                options,
            )
        return F.Find(F.SearchId(self.search_id), F.ExecuteSearch(criterion))

    @classmethod
    def from_element(cls, el: Element) -> FindRequest:
        expect_root(el, "Find:Find")
        search_id = opt_text(el, "Find:SearchId") or ""
        execute = child(el, "Find:ExecuteSearch")
        mailbox = execute.find("Find:MailBoxSearchCriterion")
        gal = execute.find("Find:GalSearchCriterion")
        criterion = mailbox if mailbox is not None else gal
        if criterion is None:
            raise ProtocolError("Find names no search criterion", element="Find:ExecuteSearch")
        query = child(criterion, "Find:Query")
        options = criterion.find("Find:Options")
        found = None if options is None else options.findtext("Find:Range")
        wanted = parse_range(found) if found is not None else (0, 99)
        if mailbox is not None:
            return cls(
                search_id,
                query.findtext("Find:FreeText") or "",
                collection_id=query.findtext("AirSync:CollectionId"),
                class_=query.findtext("AirSync:Class"),
                range=wanted,
                deep_traversal=options is not None
                and options.find("Find:DeepTraversal") is not None,
            )
        text = query.text if isinstance(query.text, str) else ""
        pic = None if options is None else options.find("Find:Picture")
        return cls(
            search_id,
            text,
            gal=True,
            class_=None,
            range=wanted,
            picture=None
            if pic is None
            else GalPicture(opt_int(pic, "Find:MaxSize"), opt_int(pic, "Find:MaxPictures")),
        )


def _picture(p: GalPicture) -> Element:
    return F.Picture(
        None if p.max_size is None else F.MaxSize(p.max_size),
        None if p.max_pictures is None else F.MaxPictures(p.max_pictures),
    )


@dataclass(frozen=True, slots=True)
class FindResult:
    """One match: its class, ServerId and folder, and ``properties`` (the raw Properties)."""

    server_id: str | None = None
    collection_id: str | None = None
    class_: str | None = None
    properties: Element | None = None

    def to_element(self) -> Element:
        return F.Result(
            None if self.class_ is None else AS.Class(self.class_),
            None if self.server_id is None else AS.ServerId(self.server_id),
            None if self.collection_id is None else AS.CollectionId(self.collection_id),
            self.properties,
        )

    @classmethod
    def from_element(cls, el: Element) -> FindResult:
        return cls(
            opt_text(el, "AirSync:ServerId"),
            opt_text(el, "AirSync:CollectionId"),
            opt_text(el, "AirSync:Class"),
            el.find("Find:Properties"),
        )


@dataclass(frozen=True, slots=True)
class FindResponse:
    status: FindStatus | int
    response_status: FindStatus | int | None = None
    results: tuple[FindResult, ...] = ()
    range: tuple[int, int] | None = None
    total: int | None = None
    store: str = "Mailbox"

    def __post_init__(self) -> None:
        as_tuples(self, "results")

    @property
    def ok(self) -> bool:
        return self.status == FindStatus.Success and self.response_status in (
            None,
            FindStatus.Success,
        )

    def to_element(self, version: str = "16.1") -> Element:
        response = None
        if self.response_status is not None:
            response = F.Response(
                IO.Store(self.store),
                F.Status(int(self.response_status)),
                *(r.to_element() for r in self.results),
                None if self.range is None else F.Range(_range_text(self.range)),
                None if self.total is None else F.Total(self.total),
            )
        return F.Find(F.Status(int(self.status)), response)

    @classmethod
    def from_element(cls, el: Element) -> FindResponse:
        expect_root(el, "Find:Find")
        code = status(el, "Find:Status", FindStatus)
        response = el.find("Find:Response")
        if response is None:
            return cls(code)
        found = response.findtext("Find:Range")
        return cls(
            code,
            status(response, "Find:Status", FindStatus),
            tuple(FindResult.from_element(r) for r in response.findall("Find:Result")),
            parse_range(found) if found is not None else None,
            opt_int(response, "Find:Total"),
            response.findtext("ItemOperations:Store") or "Mailbox",
        )
