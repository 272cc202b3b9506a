"""FolderSyncFlow (MS-ASCMD 2.2.1.5): parsed answers in, next request or outcome out."""

from __future__ import annotations

from easclient.protocol import (
    FolderAdd,
    FolderDelete,
    FolderSyncRequest,
    FolderSyncResponse,
    FolderType,
    FolderUpdate,
)
from easclient.protocol.foldersync_flow import FolderSyncFailed, FolderSyncFlow, HierarchyUpdate
from easclient.protocol.status import FolderSyncStatus

INBOX = FolderAdd("5", "0", "Inbox", FolderType.Inbox)


def test_first_sync_from_0_applies_the_whole_hierarchy():
    flow = FolderSyncFlow()
    assert flow.request() == FolderSyncRequest("0")
    update = flow.receive(FolderSyncResponse(1, "k1", (INBOX,)))
    assert update == HierarchyUpdate("k1", "0", (INBOX,), (), (), restarted=False)


def test_incremental_answer_carries_adds_updates_and_deletes():
    renamed = FolderUpdate("7", "0", "Renamed", FolderType.UserMail)
    flow = FolderSyncFlow("k1")
    assert flow.request() == FolderSyncRequest("k1")
    update = flow.receive(FolderSyncResponse(1, "k2", (INBOX, renamed, FolderDelete("9"))))
    assert isinstance(update, HierarchyUpdate)
    assert (update.sync_key, update.expected_sync_key) == ("k2", "k1")
    assert update.added == (INBOX,) and update.updated == (renamed,)
    assert update.deleted == ("9",) and not update.restarted


def test_status_9_restarts_from_0_and_the_update_says_so():
    flow = FolderSyncFlow("stale")
    again = flow.receive(FolderSyncResponse(FolderSyncStatus.InvalidSyncKey))
    assert again == FolderSyncRequest("0") and flow.request() == again
    update = flow.receive(FolderSyncResponse(1, "fresh", (INBOX,)))
    assert isinstance(update, HierarchyUpdate)
    assert update.restarted and update.expected_sync_key == "0" and update.sync_key == "fresh"


def test_status_9_to_synckey_0_is_a_failure_not_a_loop():
    flow = FolderSyncFlow("stale")
    flow.receive(FolderSyncResponse(9))
    failed = flow.receive(FolderSyncResponse(9))
    assert failed == FolderSyncFailed(FolderSyncStatus.InvalidSyncKey, "0")


def test_other_statuses_are_failures_with_the_status():
    for code in (FolderSyncStatus.ServerError, FolderSyncStatus.MalformedRequest, 110, 999):
        failed = FolderSyncFlow("k").receive(FolderSyncResponse(code))
        assert isinstance(failed, FolderSyncFailed) and failed.status == code
