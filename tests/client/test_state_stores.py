"""Both state stores (SQLite DeviceState, in-memory MemoryState) carry a device through the
flows the same way: what EasClient calls on its state is the StateStore protocol."""

from __future__ import annotations

import pytest

from easclient import DeviceState, EasClient, MemoryState, StateStore


@pytest.mark.parametrize("store", ["memory", "sqlite"])
def test_a_device_meeting_sync_status_3_resyncs_the_collection(eas_client, tmp_path, store):
    """Sync Status 3 (invalid SyncKey, MS-ASCMD 2.2.3.177.17) from the mock: the collection
    starts again from SyncKey 0 and ends holding the same mail. A load device (MemoryState)
    used to die here with AttributeError (no items())."""
    state = MemoryState() if store == "memory" else DeviceState(tmp_path / "s.sqlite3")
    client: EasClient = eas_client(state=state, profile="android")
    client.sync_all_mail()
    inbox = next(f for f in client.state.folders() if f.server_id == "2")
    # A key the server never issued (as after a server restore): the mock answers Status 3.
    state.apply_sync("2", "forgotten", expected_sync_key=state.sync_key("2"))
    report = client.sync_collection(inbox)
    assert report.restarted
    assert (report.added, report.deleted, report.changed) == (0, 0, 0)  # net: nothing new
    assert report.total == state.item_count("2") == 10
    assert state.sync_key("2") not in ("0", "forgotten")
    state.close()


def test_both_stores_are_state_stores(tmp_path):
    with DeviceState(tmp_path / "s.sqlite3") as disk, MemoryState() as memory:
        assert isinstance(disk, StateStore) and isinstance(memory, StateStore)
