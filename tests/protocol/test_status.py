"""Status enums, unknown codes kept as ints, global status → typed errors (MS-ASCMD 2.2.2)."""

import pytest

from easclient.errors import EasError
from easclient.protocol import (
    CommonStatus,
    DeviceInformationRequired,
    EasStatusError,
    FolderSyncStatus,
    MoveItemsStatus,
    PingStatus,
    ProvisioningRequiredStatus,
    RemoteWipeRequested,
    SyncStatus,
    check_global_status,
    is_global_status,
    is_provisioning_required,
    status_name,
    status_of,
)


def test_known_codes_become_members():
    assert status_of(PingStatus, 5) is PingStatus.InvalidHeartbeatInterval
    assert status_of(PingStatus, "7") is PingStatus.FolderHierarchySyncRequired
    assert status_of(SyncStatus, 3) is SyncStatus.InvalidSyncKey
    assert status_of(FolderSyncStatus, 9) is FolderSyncStatus.InvalidSyncKey
    assert status_of(MoveItemsStatus, 3) is MoveItemsStatus.Success  # 1 is not success here


def test_global_codes_in_any_command_become_common_members():
    assert status_of(PingStatus, 142) is CommonStatus.DeviceNotProvisioned
    assert status_of(SyncStatus, 165) is CommonStatus.DeviceInformationRequired


@pytest.mark.parametrize("code", [0, 9, 99, 178, 4242])
def test_unknown_codes_are_kept_as_plain_ints(code):
    result = status_of(PingStatus, code)
    assert result == code and type(result) is int


def test_none_stays_none():
    assert status_of(PingStatus, None) is None


def test_common_status_table_spans_101_to_177():
    assert CommonStatus(101).name == "InvalidContent"
    assert CommonStatus(140).name == "RemoteWipeRequested"
    assert CommonStatus(177).name == "MaximumDevicesReached"
    assert status_name(144) == "InvalidPolicyKey" and status_name(100) is None


def test_predicates():
    assert [c for c in range(100, 180) if is_provisioning_required(c)] == [142, 143, 144]
    assert is_global_status(101) and is_global_status(177)
    assert not is_global_status(100) and not is_global_status(178)
    assert not is_provisioning_required(None)


@pytest.mark.parametrize(
    ("code", "error"),
    [
        (142, ProvisioningRequiredStatus),
        (143, ProvisioningRequiredStatus),
        (144, ProvisioningRequiredStatus),
        (140, RemoteWipeRequested),
        (165, DeviceInformationRequired),
        (101, EasStatusError),
        (177, EasStatusError),
        (158, EasStatusError),  # inside the range though the spec leaves it unnamed
    ],
)
def test_check_global_status_raises_typed(code, error):
    with pytest.raises(error) as info:
        check_global_status(code, "Sync")
    assert type(info.value) is error
    assert isinstance(info.value, EasError)
    assert info.value.code == code and info.value.command == "Sync"
    assert str(code) in str(info.value) and "Sync" in str(info.value)


@pytest.mark.parametrize("code", [None, 1, 2, 8, 100, 178])
def test_check_global_status_lets_command_codes_pass(code):
    check_global_status(code, "Ping")
