"""`eas` is five typer apps joined (device, diagnose, load, reproduce, tools): each can be taken
and invoked alone, and joined they are the one `eas` users know."""

from __future__ import annotations

import typer.main
from typer.testing import CliRunner

from easclient.cli import HELP_ORDER, _load, app
from easclient.cli.groups import GROUPS, group


def test_each_group_holds_its_commands_and_runs_alone():
    expected = {
        "device": {"options", "sync", "ping", "send", "reply", "forward", "move", "search"}
        | {"folder"},
        "diagnose": {"check", "discover", "heartbeat-probe", "matrix"},
        "load": {"load", "mock-server", "nat"},
        "reproduce": {"capture", "replay"},
        "tools": {"wbxml", "query"},
    }
    for name in GROUPS:
        assert set(typer.main.get_command(group(name)).commands) == expected[name]
    query = "Cmd=Sync&User=a&DeviceId=b&DeviceType=c"
    result = CliRunner().invoke(group("tools"), ["query", "decode", "--version", "14.1", query])
    assert result.exit_code == 0 and "Sync" in result.output


def test_joined_the_groups_list_every_command_once_in_help_order():
    _load()
    _load()  # idempotent: the groups are joined once
    root = typer.main.get_command(app)
    assert list(root.list_commands(None)) == list(HELP_ORDER)


def test_the_cli_fixture_runs_eas_in_process(cli):
    assert cli("--version").exit_code == 0
    bad = cli("options", "ftp://mail.example.test", "--insecure")
    assert bad.exit_code == 2 and bad.stdout == ""
    assert bad.stderr.startswith("eas: error: ") and bad.stderr.count("\n") == 1
    assert "'ftp://mail.example.test'" in bad.stderr and "Traceback" not in bad.stderr
