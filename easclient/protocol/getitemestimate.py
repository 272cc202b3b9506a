"""The GetItemEstimate command (MS-ASCMD 2.2.1.9): how many items a Sync would bring.

The request shape changed with 14.0 (MS-ASCMD 2.2.3.29.1):

- 2.5 to 12.1: each ``Collection`` holds ``Class`` (GetItemEstimate namespace), ``CollectionId``,
  ``airsync:FilterType`` and ``airsync:SyncKey``;
- 14.0 and later: ``airsync:SyncKey`` first, then ``CollectionId``, ``airsync:ConversationMode``
  and up to two ``airsync:Options`` blocks (``Class``, ``FilterType``, ``MaxItems``), the
  second one for SMS.

The SyncKey is the one the last Sync returned; the server does not advance it. Status 3 means
the collection was never synced (Sync with SyncKey 0 first), 4 a SyncKey mismatch.
"""

from __future__ import annotations

from dataclasses import dataclass

from easclient.wbxml import Element, ns

from ._elements import (
    as_tuples,
    code_of,
    expect_root,
    opt_bool,
    opt_int,
    opt_status,
    opt_text,
    prune,
    status,
    text,
)
from .status import GetItemEstimateStatus
from .sync import FilterType, SyncOptions
from .versions import version_at_least

G = ns("GetItemEstimate")
A = ns("AirSync")


def _options_element(options: SyncOptions) -> Element:
    """The GetItemEstimate form of Options: only Class, FilterType and MaxItems are allowed,
    written in the order of the spec's example (MS-ASCMD 4.9.1: FilterType, then Class)."""
    return A.Options(
        None if options.filter_type is None else A.FilterType(int(options.filter_type)),
        None if options.class_ is None else A.Class(options.class_),
        None if options.max_items is None else A.MaxItems(options.max_items),
    )


@dataclass(frozen=True, slots=True)
class EstimateCollection:
    """One collection to estimate (MS-ASCMD 2.2.3.29.1).

    ``options`` apply from 14.0 on; before 14.0 only the first block's ``filter_type`` is sent
    (as ``airsync:FilterType``) and ``class_`` names the collection's class, which 14.0+ does
    not send.
    """

    collection_id: str
    sync_key: str
    options: tuple[SyncOptions, ...] = ()
    class_: str | None = None
    conversation_mode: bool | None = None

    def __post_init__(self) -> None:
        as_tuples(self, "options")

    def to_element(self, version: str = "14.1") -> Element:
        if version_at_least(version, "14.0"):
            return G.Collection(
                A.SyncKey(self.sync_key),
                G.CollectionId(self.collection_id),
                None
                if self.conversation_mode is None
                else A.ConversationMode(self.conversation_mode),
                *(_options_element(o) for o in self.options),
            )
        filter_type = next((o.filter_type for o in self.options if o.filter_type is not None), None)
        # The order of the 12.x examples: Class, CollectionId, FilterType, SyncKey.
        return G.Collection(
            None if self.class_ is None else G.Class(self.class_),
            G.CollectionId(self.collection_id),
            None if filter_type is None else A.FilterType(int(filter_type)),
            A.SyncKey(self.sync_key),
        )

    @classmethod
    def from_element(cls, el: Element) -> EstimateCollection:
        options = tuple(
            SyncOptions(
                filter_type=None if ft is None else code_of(FilterType, ft),
                max_items=opt_int(o, "AirSync:MaxItems"),
                class_=opt_text(o, "AirSync:Class"),
            )
            for o in el.findall("AirSync:Options")
            for ft in [opt_int(o, "AirSync:FilterType")]
        )
        legacy_filter = opt_int(el, "AirSync:FilterType")
        if legacy_filter is not None:
            options = (SyncOptions(filter_type=code_of(FilterType, legacy_filter)), *options)
        return cls(
            collection_id=text(el, "GetItemEstimate:CollectionId"),
            sync_key=text(el, "AirSync:SyncKey"),
            options=options,
            class_=opt_text(el, "GetItemEstimate:Class"),
            conversation_mode=opt_bool(el, "AirSync:ConversationMode"),
        )


@dataclass(frozen=True, slots=True)
class GetItemEstimateRequest:
    """A GetItemEstimate request (MS-ASCMD 2.2.1.9): up to 300 collections."""

    collections: tuple[EstimateCollection, ...]

    def __post_init__(self) -> None:
        as_tuples(self, "collections")

    def to_element(self, version: str = "14.1") -> Element:
        return prune(
            G.GetItemEstimate(G.Collections(*(c.to_element(version) for c in self.collections))),
            version,
        )

    @classmethod
    def from_element(cls, el: Element) -> GetItemEstimateRequest:
        expect_root(el, "GetItemEstimate:GetItemEstimate")
        return cls(
            tuple(
                EstimateCollection.from_element(c)
                for c in el.findall("GetItemEstimate:Collections/GetItemEstimate:Collection")
            )
        )


@dataclass(frozen=True, slots=True)
class EstimateResult:
    """One ``Response`` of a GetItemEstimate response (MS-ASCMD 2.2.3.153.3).

    ``estimate`` is the number of items a Sync would return; ``collection_id`` and
    ``estimate`` are absent when ``status`` is an error.
    """

    status: GetItemEstimateStatus | int
    collection_id: str | None = None
    estimate: int | None = None
    class_: str | None = None

    def to_element(self, version: str = "14.1") -> Element:
        collection = None
        if self.collection_id is not None or self.estimate is not None:
            collection = G.Collection(
                None if self.class_ is None else G.Class(self.class_),
                None if self.collection_id is None else G.CollectionId(self.collection_id),
                None if self.estimate is None else G.Estimate(self.estimate),
            )
        return G.Response(G.Status(int(self.status)), collection)

    @classmethod
    def from_element(cls, el: Element) -> EstimateResult:
        collection = el.find("GetItemEstimate:Collection")
        if collection is None:
            collection = G.Collection()  # an error result carries no collection
        return cls(
            status=status(el, "GetItemEstimate:Status", GetItemEstimateStatus),
            collection_id=opt_text(collection, "GetItemEstimate:CollectionId"),
            estimate=opt_int(collection, "GetItemEstimate:Estimate"),
            class_=opt_text(collection, "GetItemEstimate:Class"),
        )


@dataclass(frozen=True, slots=True)
class GetItemEstimateResponse:
    """A GetItemEstimate response: one result per collection asked about.

    ``status`` is a top-level Status, sent instead of results when the whole request failed
    (a global 1xx code, for instance).
    """

    results: tuple[EstimateResult, ...] = ()
    status: GetItemEstimateStatus | int | None = None

    def __post_init__(self) -> None:
        as_tuples(self, "results")

    def estimate_for(self, collection_id: str) -> int | None:
        """The estimate for ``collection_id`` (None when absent or failed)."""
        return next((r.estimate for r in self.results if r.collection_id == collection_id), None)

    def to_element(self, version: str = "14.1") -> Element:
        return prune(
            G.GetItemEstimate(
                None if self.status is None else G.Status(int(self.status)),
                *(r.to_element(version) for r in self.results),
            ),
            version,
        )

    @classmethod
    def from_element(cls, el: Element) -> GetItemEstimateResponse:
        expect_root(el, "GetItemEstimate:GetItemEstimate")
        return cls(
            results=tuple(
                EstimateResult.from_element(r) for r in el.findall("GetItemEstimate:Response")
            ),
            status=opt_status(el, "GetItemEstimate:Status", GetItemEstimateStatus),
        )


__all__ = [
    "EstimateCollection",
    "EstimateResult",
    "GetItemEstimateRequest",
    "GetItemEstimateResponse",
]
