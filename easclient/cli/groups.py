"""The command groups of `eas`: one typer app per group, joined into ``eas`` by
:mod:`easclient.cli` (``add_typer`` without a name: the commands stay at the top level, as
``eas --help`` lists them). A test can take one group and invoke it on its own::

    from typer.testing import CliRunner
    from easclient.cli.groups import group

    CliRunner().invoke(group("device"), ["options", "http://127.0.0.1:8080"])
"""

from __future__ import annotations

import importlib

import typer
from typer.models import CommandInfo, DefaultPlaceholder, TyperInfo


def _app() -> typer.Typer:
    return typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)


#: options, sync, ping, send, reply, forward, move, search, folder: the device, driven from
#: the command line.
device_app = _app()
#: check, discover, heartbeat-probe, matrix: what is wrong between a device and a server.
diagnose_app = _app()
#: load, mock-server, nat: a fleet, the server it can run against, and the NAT between them.
load_app = _app()
#: capture, replay: a device's conversation, read and played again.
reproduce_app = _app()
#: wbxml, query: the wire formats, decoded and encoded.
tools_app = _app()

#: Each group's app, and the modules of this package whose commands it holds, in the order
#: `eas --help` shows them: the main job (diagnose: `eas check`) first.
GROUPS: dict[str, tuple[typer.Typer, tuple[str, ...]]] = {
    "diagnose": (diagnose_app, ("check", "discover", "probe", "matrix")),
    "device": (device_app, ("client", "actions")),
    "load": (load_app, ("load", "mock", "nat")),
    "reproduce": (reproduce_app, ("capture", "replay")),
    "tools": (tools_app, ("wbxml", "query")),
}


def group(name: str) -> typer.Typer:
    """The typer app of group ``name`` with its commands registered; in `eas --help` they sit
    under a panel named for the group ("Diagnose", "Device", …)."""
    app, modules = GROUPS[name]
    for module in modules:
        importlib.import_module(f"easclient.cli.{module}")  # its commands register on import
    panel = name.capitalize()
    infos: list[CommandInfo | TyperInfo] = [*app.registered_commands, *app.registered_groups]
    for info in infos:
        if info.rich_help_panel is None or isinstance(info.rich_help_panel, DefaultPlaceholder):
            info.rich_help_panel = panel
    return app
