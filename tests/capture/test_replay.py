"""Replaying captures against the mock server: the fixtures answer alike on the server they
were made on, and a server that behaves otherwise shows up step by step."""

from __future__ import annotations

import pytest

from easclient.capture import Capture, IdMap, Replayer, read_capture
from easclient.capture.fixtures import make_fixture
from easclient.client import BasicAuth, HttpxTransport
from easclient.wbxml import E

from .conftest import FIXTURES, PASSWORD, fixture_files


def _replay(server, path_or_capture, **kw):
    capture = (
        path_or_capture if isinstance(path_or_capture, Capture) else read_capture(path_or_capture)
    )
    with HttpxTransport(server.url, auth=BasicAuth("alice", PASSWORD)) as transport:
        return Replayer(transport, ping_margin=5, **kw).run(capture)


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: p.stem)
def test_each_fixture_replays_without_differences(mock_server, path):
    """The guard: a change in the client's requests or the mock's answers fails here."""
    report = _replay(mock_server(), path)
    assert len(report.steps) == len(read_capture(path))
    assert [(s.index, [str(d) for d in s.differences]) for s in report.differing] == []
    # the SyncKeys were the mock's new random ones, so every one had to be mapped
    assert report.ids["synckey"]


def test_other_personality_reports_ping_status_5_with_its_bound(mock_server):
    """Made where 1 s heartbeats are allowed; Exchange's bounds (60..3540 s) answer Status 5."""
    server = mock_server(personality="exchange", heartbeat_min=None)
    report = _replay(server, FIXTURES / "iphone.jsonl")
    [ping] = report.differing
    assert ping.command == "Ping" and ping is report.steps[-1]
    found = {(d.kind, d.path): (d.recorded, d.live) for d in ping.differences}
    assert found == {
        ("status", "Ping/Status"): ("1", "5"),
        ("value", "Ping/HeartbeatInterval"): (None, "60"),
    }
    assert "Status 5 HeartbeatInterval 60" in ping.live.summary
    assert ping.recorded.summary == "200 Ping Status 1"


def test_sogo_bounds_accept_the_same_heartbeat(mock_server):
    # SOGo allows 1..10 s: the 1 s Ping is in range, so the conversation is the same (with its
    # bounds only: SOGo's quirks, such as Provision without a policy, would differ).
    report = _replay(mock_server(personality="sogo", quirks=()), FIXTURES / "android.jsonl")
    assert report.differing == []


def test_different_server_ids_and_policy_keys_are_mapped(mock_server):
    """Another seed: other policy keys and other mail, the same folder tree and counts. Every
    request still works, because the ids sent were the ones this server handed out."""
    report = _replay(mock_server(seed=7), FIXTURES / "outlook.jsonl")
    assert report.ids["policykey"]  # both the temporary and the final key differed
    assert all(s.live.status == 200 for s in report.steps)
    statuses = [d for s in report.steps for d in s.differences if d.kind != "structure"]
    assert statuses == []


def test_a_smaller_mailbox_shows_as_structure_differences(mock_server):
    report = _replay(mock_server(messages_per_folder=3), FIXTURES / "windows-mobile.jsonl")
    adds = [
        d
        for s in report.differing
        for d in s.differences
        if d.path == "Sync/Collections/Collection/Commands/Add"
    ]
    assert adds and all(d.kind == "structure" for d in adds)
    # and nothing inside an Add is reported again
    assert not any(
        d.path.startswith(adds[0].path + "/") for s in report.steps for d in s.differences
    )


def test_unreachable_server_is_a_difference_per_step(tmp_path):
    capture = read_capture(FIXTURES / "iphone.jsonl")
    with HttpxTransport("http://127.0.0.1:9", auth=BasicAuth("alice", "x")) as transport:
        transport.connect_timeout = 2
        step = Replayer(transport).step(1, capture.exchanges[0])
    assert step.live.status is None and "cannot connect" in step.live.summary
    assert [(d.kind, d.recorded, d.live) for d in step.differences] == [
        ("http-status", "200", None)
    ]


# -- the id map on its own ----------------------------------------------------------------------
def test_idmap_pairs_folders_by_name_and_collections_by_mapped_id():
    ids = IdMap()
    recorded = E(
        "FolderHierarchy:FolderSync",
        E("FolderHierarchy:SyncKey", "1.aaa"),
        E(
            "FolderHierarchy:Changes",
            E(
                "FolderHierarchy:Add",
                E("FolderHierarchy:ServerId", "5"),
                E("FolderHierarchy:ParentId", "0"),
                E("FolderHierarchy:DisplayName", "Inbox"),
                E("FolderHierarchy:Type", "2"),
            ),
            E(
                "FolderHierarchy:Add",
                E("FolderHierarchy:ServerId", "6"),
                E("FolderHierarchy:ParentId", "0"),
                E("FolderHierarchy:DisplayName", "Sent"),
                E("FolderHierarchy:Type", "5"),
            ),
        ),
    )
    live = E(
        "FolderHierarchy:FolderSync",
        E("FolderHierarchy:SyncKey", "{x-1}"),
        E(
            "FolderHierarchy:Changes",  # another server lists them in another order
            E(
                "FolderHierarchy:Add",
                E("FolderHierarchy:ServerId", "sent-id"),
                E("FolderHierarchy:ParentId", "0"),
                E("FolderHierarchy:DisplayName", "Sent"),
                E("FolderHierarchy:Type", "5"),
            ),
            E(
                "FolderHierarchy:Add",
                E("FolderHierarchy:ServerId", "inbox-id"),
                E("FolderHierarchy:ParentId", "0"),
                E("FolderHierarchy:DisplayName", "Inbox"),
                E("FolderHierarchy:Type", "2"),
            ),
        ),
    )
    ids.learn_answers(recorded, live)
    assert ids.snapshot() == {
        "synckey": {"1.aaa": "{x-1}"},
        "folder": {"5": "inbox-id", "6": "sent-id"},
    }
    request = E(
        "AirSync:Sync",
        E(
            "AirSync:Collections",
            E(
                "AirSync:Collection",
                E("AirSync:SyncKey", "0"),
                E("AirSync:CollectionId", "6"),
                E("AirSync:WindowSize", "6"),  # a number, but not an id: untouched
            ),
        ),
    )
    assert ids.rewrite(request) == E(
        "AirSync:Sync",
        E(
            "AirSync:Collections",
            E(
                "AirSync:Collection",
                E("AirSync:SyncKey", "0"),
                E("AirSync:CollectionId", "sent-id"),
                E("AirSync:WindowSize", "6"),
            ),
        ),
    )
    assert ids.rewrite_params({"CollectionId": "5", "SaveInSent": "T"}) == {
        "CollectionId": "inbox-id",
        "SaveInSent": "T",
    }


def test_idmap_policy_keys_and_unlearned_values():
    ids = IdMap()
    ids.learn_answers(
        E(
            "Provision:Provision",
            E("Provision:Policies", E("Provision:Policy", E("Provision:PolicyKey", "11"))),
        ),
        E(
            "Provision:Provision",
            E("Provision:Policies", E("Provision:Policy", E("Provision:PolicyKey", "99"))),
        ),
    )
    assert ids.rewrite_policy_key(11) == 99 and ids.rewrite_policy_key("11") == 99
    assert ids.rewrite_policy_key(12) == 12 and ids.rewrite_policy_key(None) is None
    assert ids.get("item", "5:1") == "5:1"


def test_capture_from_zpush_replayed_on_horde_and_sogo(tmp_path, mock_server):
    """Made on a Z-Push-like server (no heartbeat bounds); Horde (60..2700 s) answers the 1 s
    Ping with Status 5 and its lower bound, SOGo (up to 10 s) like Z-Push did."""
    path = make_fixture(
        "android", tmp_path / "zpush.jsonl", personality="zpush", heartbeat_min=None
    )
    # Horde's bounds only: its other quirks (a 449 carrying Status 142, …) change more answers.
    horde = _replay(mock_server(personality="horde", heartbeat_min=None, quirks=()), path)
    [ping] = horde.differing
    assert ping.command == "Ping"
    assert {(d.path, d.recorded, d.live) for d in ping.differences} == {
        ("Ping/Status", "1", "5"),
        ("Ping/HeartbeatInterval", None, "60"),
    }
    sogo = _replay(mock_server(personality="sogo", heartbeat_min=None, quirks=()), path)
    assert sogo.differing == []


def test_mid_conversation_capture_needs_and_gets_a_bootstrap(mock_server):
    """A phone set up before the proxy was in place: the capture starts with a Sync that sends
    a PolicyKey and a SyncKey this server never handed out."""
    whole = read_capture(FIXTURES / "android.jsonl")
    first_window = next(
        ex for ex in whole if ex.command == "Sync" and "MoreAvailable" in (ex.response.xml or "")
    )
    mid = Capture([ex for ex in whole if ex.line >= first_window.line], "mid")
    plain = _replay(mock_server(), mid)
    assert {s.live.status for s in plain.steps} == {449}  # not provisioned here
    report = _replay(mock_server(), mid, bootstrap=True)
    assert report.differing == []
    assert report.bootstrap == ["bootstrap Provision: final policy key for 1 key(s)"]
    assert report.steps[0].notes == ("primed collection 2 with SyncKey 0",)


DEVICE_FIXTURES = sorted((FIXTURES / "device").glob("*.jsonl"))


@pytest.mark.parametrize("path", DEVICE_FIXTURES, ids=lambda p: p.stem)
def test_each_whole_device_fixture_replays_without_differences(mock_server, path):
    """Every class, a contact Add, FolderCreate/Delete, MoveItems, Search, SendMail and
    SmartReply, answered alike by a fresh server."""
    report = _replay(mock_server(), path)
    commands = {s.command for s in report.steps}
    assert {"FolderCreate", "MoveItems", "Search", "SendMail", "SmartReply"} <= commands
    assert len(report.steps) == len(read_capture(path))
    assert [(s.index, [str(d) for d in s.differences]) for s in report.differing] == []
