"""The SQLite device state: atomic applies, resend-safety, resets, defaults."""

import sqlite3

import pytest

from easclient.client.state import (
    DeviceState,
    Folder,
    ItemUpdate,
    StateError,
    StoredItem,
    default_state_path,
)


@pytest.fixture
def state(tmp_path):
    with DeviceState(tmp_path / "s.sqlite3") as st:
        yield st


def item(sid, digest="d", **kw):
    return StoredItem(server_id=sid, class_="Email", digest=digest, **kw)


def test_fresh_state_defaults(state):
    assert state.protocol_version is None
    assert state.policy_key is None
    assert state.folder_sync_key == "0"
    assert state.sync_key("5") == "0"
    assert state.folders() == []


def test_values_persist_across_reopen(tmp_path):
    path = tmp_path / "x" / "s.sqlite3"
    with DeviceState(path) as st:
        st.protocol_version = "14.1"
        st.policy_key = 3942919513
        st.apply_folder_sync("1", adds=[Folder("5", "0", "Inbox", 2)])
        st.apply_sync("5", "k1", expected_sync_key="0", adds=[item("5:1", subject="hi")])
    with DeviceState(path) as st:
        assert st.protocol_version == "14.1"
        assert st.policy_key == 3942919513
        assert st.folder_sync_key == "1"
        assert st.folders() == [Folder("5", "0", "Inbox", 2)]
        assert st.sync_key("5") == "k1"
        assert [i.subject for i in st.items("5")] == ["hi"]
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_apply_sync_counts_and_advances(state):
    r = state.apply_sync(
        "5", "k1", expected_sync_key="0", adds=[item("a"), item("b"), item("c")], class_="Email"
    )
    assert (r.added, r.changed, r.deleted) == (3, 0, 0)
    r = state.apply_sync(
        "5",
        "k2",
        expected_sync_key="k1",
        adds=[item("d")],
        changes=[ItemUpdate("a", read=True), ItemUpdate("zz", read=True)],
        deletes=["b", "nope"],
    )
    assert (r.added, r.changed, r.deleted) == (1, 1, 1)
    assert [i.server_id for i in state.items("5")] == ["a", "c", "d"]
    assert state.items("5")[0].read is True
    assert state.sync_key("5") == "k2"
    assert state.item_count("5") == 3


def test_replayed_add_is_not_a_duplicate(state):
    state.apply_sync("5", "k1", expected_sync_key="0", adds=[item("a", "d1")])
    r = state.apply_sync("5", "k2", expected_sync_key="k1", adds=[item("a", "d1")])
    assert (r.added, r.changed) == (0, 0)
    r = state.apply_sync("5", "k3", expected_sync_key="k2", adds=[item("a", "d2")])
    assert (r.added, r.changed) == (0, 1)
    assert state.item_count("5") == 1


def test_failure_mid_apply_leaves_nothing(state):
    state.apply_sync("5", "k1", expected_sync_key="0", adds=[item("a")])

    def adds():
        yield item("b")
        raise RuntimeError("killed while reading the response")

    with pytest.raises(RuntimeError):
        state.apply_sync("5", "k2", expected_sync_key="k1", adds=adds(), deletes=["a"])
    # Neither the new key nor any of that response's changes: the request can be resent.
    assert state.sync_key("5") == "k1"
    assert [i.server_id for i in state.items("5")] == ["a"]


def test_stale_expected_key_is_refused(state):
    state.apply_sync("5", "k1", expected_sync_key="0", adds=[item("a")])
    with pytest.raises(StateError, match=r"'0'.*'k1'"):
        state.apply_sync("5", "k9", expected_sync_key="0", adds=[item("b")])
    assert state.item_count("5") == 1


def test_reset_collection_drops_items_and_key(state):
    state.apply_sync("5", "k1", expected_sync_key="0", adds=[item("a"), item("b")])
    assert state.reset_collection("5") == 2
    assert state.sync_key("5") == "0"
    assert state.items("5") == []


def test_folder_delete_forgets_collection(state):
    state.apply_folder_sync("1", adds=[Folder("5", "0", "Inbox", 2), Folder("6", "0", "X", 12)])
    state.apply_sync("6", "k1", expected_sync_key="0", adds=[item("a")])
    state.apply_folder_sync(
        "2", updates=[Folder("5", "0", "Posteingang", 2)], deletes=["6"], expected_sync_key="1"
    )
    assert state.folders() == [Folder("5", "0", "Posteingang", 2)]
    assert state.sync_key("6") == "0" and state.items("6") == []
    with pytest.raises(StateError, match="folder SyncKey"):
        state.apply_folder_sync("3", expected_sync_key="1")
    state.reset_hierarchy()
    assert state.folder_sync_key == "0" and state.folders() == []


def test_events_are_recorded(state):
    state.record_event("remote-wipe", "status 140 on Sync")
    state.record_event("policy", "none")
    assert [e[1:] for e in state.events("remote-wipe")] == [("remote-wipe", "status 140 on Sync")]
    assert len(state.events()) == 2


def test_default_path_uses_xdg_and_sanitises(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    p = default_state_path("dom\\user", "mail.example.com:8443", "ApplF17X/1")
    assert p.parent == tmp_path / "easclient"
    assert p.name == "dom_user@mail.example.com_8443-ApplF17X_1.sqlite3"
    monkeypatch.delenv("XDG_STATE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_state_path("u", "h", "d").parent == tmp_path / "home/.local/state/easclient"


def test_corrupt_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.sqlite3"
    bad.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StateError, match=r"bad\.sqlite3"):
        DeviceState(bad)


def test_two_handles_see_each_others_commits(tmp_path):
    p = tmp_path / "s.sqlite3"
    with DeviceState(p) as a, DeviceState(p) as b:
        a.apply_sync("5", "k1", expected_sync_key="0", adds=[item("a")])
        assert b.sync_key("5") == "k1"
        with pytest.raises(StateError):
            b.apply_sync("5", "k2", expected_sync_key="0")
