"""PingFlow (MS-ASCMD 2.2.1.13, statuses 2.2.3.177.11): parsed answers in, actions out."""

from __future__ import annotations

import pytest

from easclient.protocol import PingFolder, PingRequest, PingResponse
from easclient.protocol.ping_flow import PingAction, PingFlow, PingResult
from easclient.protocol.status import PingStatus

FOLDERS = [PingFolder("1"), PingFolder("2", "Calendar"), PingFolder("3")]


@pytest.mark.parametrize(
    ("status", "action", "answered"),
    [
        (PingStatus.HeartbeatExpired, PingAction.PING_AGAIN, True),
        (PingStatus.ChangesOccurred, PingAction.SYNC, True),
        (PingStatus.InvalidHeartbeatInterval, PingAction.ADJUST_HEARTBEAT, True),
        (PingStatus.TooManyFolders, PingAction.TRIM_FOLDERS, False),
        (PingStatus.FolderHierarchySyncRequired, PingAction.FOLDER_SYNC, False),
        (PingStatus.MissingParameters, PingAction.FAILED, False),
        (PingStatus.ServerError, PingAction.FAILED, False),
        (111, PingAction.FAILED, False),
        (999, PingAction.FAILED, False),
    ],
)
def test_each_status_has_its_action(status, action, answered):
    result = PingFlow().receive(PingResponse(status))
    assert result.action is action and result.status == status
    assert result.answered is answered


def test_status_2_lists_the_folders_to_sync():
    result = PingFlow().receive(PingResponse(2, folders=("1", "3")))
    assert result == PingResult(PingAction.SYNC, PingStatus.ChangesOccurred, ("1", "3"))


def test_status_5_carries_the_servers_bound_for_the_next_ping():
    flow = PingFlow()
    result = flow.receive(PingResponse(5, heartbeat_interval=540))
    assert result.action is PingAction.ADJUST_HEARTBEAT and result.heartbeat == 540
    assert flow.heartbeat_bound == 540


def test_status_6_trims_the_next_pings_to_max_folders():
    flow = PingFlow()
    assert flow.request(600, FOLDERS) == PingRequest(600, tuple(FOLDERS))
    result = flow.receive(PingResponse(6, max_folders=2))
    assert result.action is PingAction.TRIM_FOLDERS and result.max_folders == 2
    assert flow.request(600, FOLDERS) == PingRequest(600, tuple(FOLDERS[:2]))
    assert flow.folders(FOLDERS) == FOLDERS[:2]
    # A status 6 without MaxFolders keeps the limit known so far.
    flow.receive(PingResponse(6))
    assert flow.max_folders == 2


def test_status_7_asks_for_foldersync():
    result = PingFlow().receive(PingResponse(PingStatus.FolderHierarchySyncRequired))
    assert result.action is PingAction.FOLDER_SYNC
