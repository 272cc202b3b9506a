"""GetItemEstimate (MS-ASCMD 2.2.1.9): the 12.x and 14.0+ request shapes, responses, bytes."""

from __future__ import annotations

import pytest

from easclient.protocol.errors import ProtocolError
from easclient.protocol.getitemestimate import (
    EstimateCollection,
    EstimateResult,
    GetItemEstimateRequest,
    GetItemEstimateResponse,
)
from easclient.protocol.status import CommonStatus, GetItemEstimateStatus
from easclient.protocol.sync import FilterType, SyncOptions
from easclient.wbxml import E, decode, encode, ns

from ._golden import END, SWITCH_PAGE, tag, wbxml
from ._tags import assert_tags_in_version

G, A = ns("GetItemEstimate"), ns("AirSync")
LEGACY = ["2.5", "12.0", "12.1"]
MODERN = ["14.0", "14.1", "16.0", "16.1"]


def test_modern_request_matches_the_spec_example() -> None:
    # MS-ASCMD 4.9.1: SyncKey first, then CollectionId, then Options with FilterType and Class.
    req = GetItemEstimateRequest(
        (
            EstimateCollection(
                "5", "785971245", (SyncOptions(filter_type=FilterType.NoFilter, class_="Email"),)
            ),
        )
    )
    assert req.to_element("14.1") == G.GetItemEstimate(
        G.Collections(
            G.Collection(
                A.SyncKey("785971245"),
                G.CollectionId("5"),
                A.Options(A.FilterType("0"), A.Class("Email")),
            )
        )
    )


def test_legacy_request_shape() -> None:
    coll = EstimateCollection("5", "1", (SyncOptions(filter_type=FilterType.OneWeek),), "Email")
    assert coll.to_element("12.1") == G.Collection(
        G.Class("Email"), G.CollectionId("5"), A.FilterType("3"), A.SyncKey("1")
    )


@pytest.mark.parametrize("version", LEGACY)
def test_legacy_round_trip(version: str) -> None:
    req = GetItemEstimateRequest(
        (
            EstimateCollection("5", "1", (SyncOptions(filter_type=FilterType.OneWeek),), "Email"),
            EstimateCollection("9", "4", class_="Calendar"),
        )
    )
    el = req.to_element(version)
    assert_tags_in_version(el, version)
    assert GetItemEstimateRequest.from_element(el) == req


@pytest.mark.parametrize("version", MODERN)
def test_modern_round_trip(version: str) -> None:
    req = GetItemEstimateRequest(
        (
            EstimateCollection(
                "5",
                "1",
                (
                    SyncOptions(filter_type=FilterType.ThreeDays),
                    SyncOptions(class_="SMS", filter_type=FilterType.OneDay, max_items=10),
                ),
                conversation_mode=True,
            ),
        )
    )
    el = req.to_element(version)
    assert_tags_in_version(el, version)
    assert GetItemEstimateRequest.from_element(el) == req


def test_options_drop_what_getitemestimate_does_not_take() -> None:
    opts = SyncOptions(filter_type=FilterType.OneDay, mime_support=2, conflict=1)
    el = EstimateCollection("5", "1", (opts,)).to_element("14.1")
    assert el.find("AirSync:Options") == A.Options(A.FilterType("1"))


@pytest.mark.parametrize("version", ["12.1", "14.1", "16.1"])
def test_response_round_trip(version: str) -> None:
    resp = GetItemEstimateResponse(
        (
            EstimateResult(GetItemEstimateStatus.Success, "5", 42),
            EstimateResult(GetItemEstimateStatus.SyncStateNotPrimed),
            EstimateResult(GetItemEstimateStatus.InvalidCollection, "99"),
            EstimateResult(9, "7", 0),  # unknown status kept
        )
    )
    el = resp.to_element(version)
    assert_tags_in_version(el, version)
    back = GetItemEstimateResponse.from_element(el)
    assert back == resp
    assert back.estimate_for("5") == 42 and back.estimate_for("7") == 0
    assert back.estimate_for("nope") is None


def test_top_level_global_status() -> None:
    resp = GetItemEstimateResponse.from_element(G.GetItemEstimate(G.Status("142")))
    assert resp.status is CommonStatus.DeviceNotProvisioned and resp.results == ()


@pytest.mark.parametrize(
    "el",
    [
        G.GetItemEstimate(G.Response(G.Collection(G.CollectionId("5")))),  # no Status
        G.GetItemEstimate(
            G.Response(G.Status("1"), G.Collection(G.CollectionId("5"), G.Estimate("lots")))
        ),
        E("AirSync:Sync"),
    ],
)
def test_bad_responses(el) -> None:
    with pytest.raises(ProtocolError):
        GetItemEstimateResponse.from_element(el)


@pytest.mark.parametrize(
    "el",
    [
        G.GetItemEstimate(G.Collections(G.Collection(G.CollectionId("5")))),  # no SyncKey
        G.GetItemEstimate(G.Collections(G.Collection(A.SyncKey("1")))),  # no CollectionId
        G.GetItemEstimate(
            G.Collections(
                G.Collection(A.SyncKey("1"), G.CollectionId("5"), A.Options(A.FilterType("x")))
            )
        ),
    ],
)
def test_bad_requests(el) -> None:
    with pytest.raises(ProtocolError):
        GetItemEstimateRequest.from_element(el)


# -- golden bytes (MS-ASWBXML page 6 GetItemEstimate, page 0 AirSync) ------------------------


def test_modern_request_golden_bytes() -> None:
    data = wbxml(
        SWITCH_PAGE, 6,
        tag(0x05), tag(0x07), tag(0x08),  # GetItemEstimate, Collections, Collection
        SWITCH_PAGE, 0,
        tag(0x0B), "785971245", END,  # AirSync:SyncKey
        SWITCH_PAGE, 6,
        tag(0x0A), "5", END,  # CollectionId
        SWITCH_PAGE, 0,
        tag(0x17), tag(0x18), "0", END, END,  # Options/FilterType
        END, END, END,
    )  # fmt: skip
    req = GetItemEstimateRequest(
        (EstimateCollection("5", "785971245", (SyncOptions(filter_type=FilterType.NoFilter),)),)
    )
    assert encode(req.to_element("14.1")) == data
    assert GetItemEstimateRequest.from_element(decode(data)) == req


def test_response_golden_bytes() -> None:
    data = wbxml(
        SWITCH_PAGE, 6,
        tag(0x05), tag(0x0D),  # GetItemEstimate, Response
        tag(0x0E), "1", END,  # Status
        tag(0x08), tag(0x0A), "5", END, tag(0x0C), "12", END, END,  # Collection
        END, END,
    )  # fmt: skip
    resp = GetItemEstimateResponse((EstimateResult(GetItemEstimateStatus.Success, "5", 12),))
    assert GetItemEstimateResponse.from_element(decode(data)) == resp
    assert encode(resp.to_element("14.1")) == data
