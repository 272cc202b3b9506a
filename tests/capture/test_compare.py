"""What counts as a difference between two answers, and what does not."""

from __future__ import annotations

from easclient.capture import Shape, compare, summary
from easclient.wbxml import E


def _sync(status: str, sync_key: str, adds: int, subject: str = "s") -> E:
    commands = [
        E(
            "AirSync:Add",
            E("AirSync:ServerId", f"5:{i}"),
            E("AirSync:ApplicationData", E("Email:Subject", subject)),
        )
        for i in range(adds)
    ]
    collection = [
        E("AirSync:SyncKey", sync_key),
        E("AirSync:CollectionId", "5"),
        E("AirSync:Status", status),
    ]
    if commands:
        collection.append(E("AirSync:Commands", *commands))
    return E("AirSync:Sync", E("AirSync:Collections", E("AirSync:Collection", *collection)))


def test_ids_and_item_data_are_not_differences():
    a = Shape.of(200, _sync("1", "1.abc", 2, subject="hello"))
    b = Shape.of(200, _sync("1", "{77}", 2, subject="other, with\nmore text"))
    assert compare(a, b) == []


def test_status_and_counts_are():
    diffs = compare(Shape.of(200, _sync("1", "k", 2)), Shape.of(200, _sync("3", "k", 0)))
    assert [(d.kind, d.path, d.recorded, d.live) for d in diffs] == [
        ("status", "Sync/Collections/Collection/Status", "1", "3"),
        ("structure", "Sync/Collections/Collection/Commands", "1x", None),
    ]


def test_http_status_and_options_headers():
    diffs = compare(
        Shape.of(200, None),
        Shape.of(449, None),
        recorded_headers={"MS-ASProtocolVersions": "14.1,16.1"},
        live_headers={"ms-asprotocolversions": "14.1"},
        options=True,
    )
    assert [(d.kind, d.path, d.recorded, d.live) for d in diffs] == [
        ("http-status", "HTTP", "200", "449"),
        ("header", "MS-ASProtocolVersions", "14.1,16.1", "14.1"),
    ]


def test_summary_lines():
    assert summary(200, _sync("1", "k", 3)) == "200 Sync [5: Status 1] 3 Add"
    ping = E("Ping:Ping", E("Ping:Status", "2"), E("Ping:Folders", E("Ping:Folder", "5")))
    assert summary(200, ping) == "200 Ping Status 2 Folders 5"
    assert summary(None, None, "reset") == "no answer (reset)"
    assert summary(200, None) == "200 (empty)"
