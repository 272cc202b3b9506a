"""`eas load` options checked before anything starts: each bad value is one LoadError naming
the option (they used to be accepted and show up, if at all, as errors in the report)."""

from __future__ import annotations

import pytest

from easclient.load import FleetError, read_accounts
from easclient.load.runner import LoadError, LoadOptions


def _opts(tmp_path, **changes) -> LoadOptions:
    return LoadOptions("direct-push", 1, 1.0, 5.0, tmp_path / "out", **changes)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"heartbeat_scale": 0.0}, "--heartbeat-scale must be positive, got 0"),
        ({"heartbeat_scale": -1.0}, "--heartbeat-scale must be positive, got -1"),
        ({"nat_idle_timeout": -1.0}, "--nat-idle-timeout must be positive"),
        ({"nat_change_address_every": 0.0}, "--nat-change-address-every must be positive"),
        ({"nat_change_address_at": (5.0, -1.0)}, "--nat-change-address-at must be 0 or more"),
        ({"delivery_rate": -1.0}, "--delivery-rate must be 0 or more, got -1"),
        ({"tcp_keepalive": 0}, "--tcp-keepalive must be at least 1 s, got 0"),
        ({"nat_on_idle": "nope"}, "--nat-on-idle must be drop|reset|close|kernel, got 'nope'"),
        ({"source_addresses": "127.0.0.2,garbage"}, "'garbage' is not an IP address"),
        ({"source_addresses": "192.0.2.1"}, "cannot connect from 192.0.2.1"),
    ],
)
def test_bad_value_is_refused(tmp_path, changes, message):
    with pytest.raises(LoadError) as caught:
        _opts(tmp_path, **changes).check()
    assert message in str(caught.value)


def test_missing_files_and_an_out_that_is_a_file(tmp_path):
    with pytest.raises(LoadError, match=r"--ca-file .*: no such file"):
        _opts(tmp_path, ca_file=tmp_path / "nope.pem").check()
    with pytest.raises(LoadError, match=r"--users-csv .*: no such file"):
        _opts(tmp_path, host="https://x.example", users_csv=tmp_path / "nope.csv").check()
    (tmp_path / "out").write_text("a file")
    with pytest.raises(LoadError, match=r"--out .*: not a directory"):
        _opts(tmp_path).check()


def test_good_values_pass(tmp_path):
    _opts(
        tmp_path,
        heartbeat_scale=0.5,
        delivery_rate=0.0,
        tcp_keepalive=30,
        nat_on_idle="kernel",
        source_addresses="127.0.0.2, 127.0.0.3",
    ).check()


def test_users_file_that_is_not_text_or_has_extra_fields(tmp_path):
    binary = tmp_path / "fleet.bin"
    binary.write_bytes(b"\xff\xfe\x00\x01")
    with pytest.raises(FleetError, match="is not UTF-8 text"):
        read_accounts(binary)
    wide = tmp_path / "fleet.csv"
    wide.write_text("alice,pw,dev1,extra\n")
    with pytest.raises(FleetError, match=r"fleet.csv:1: .* got 4 field\(s\) for user 'alice'"):
        read_accounts(wide)
