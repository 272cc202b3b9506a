"""`eas --help` lists every command in one sentence: typer's command list keeps the line breaks
of a docstring's first paragraph, so that paragraph must be a single line."""

from __future__ import annotations

import inspect

import typer.main

from easclient.cli import _load, app


def _commands(group, path=("eas",)):
    for name, command in sorted(group.commands.items()):
        yield (*path, name), command
        if hasattr(command, "commands"):
            yield from _commands(command, (*path, name))


def test_every_command_opens_with_a_one_line_summary():
    _load()
    root = typer.main.get_command(app)
    found = list(_commands(root))
    assert len(found) >= 13  # the commands README lists
    broken = [
        " ".join(path)
        for path, command in found
        if "\n" in inspect.cleandoc(command.help or "").split("\n\n")[0]
    ]
    assert broken == []


def test_help_groups_the_commands_by_job_the_main_job_first():
    _load()
    root = typer.main.get_command(app)
    panels = {name: getattr(cmd, "rich_help_panel", None) for name, cmd in root.commands.items()}
    assert panels["check"] == panels["discover"] == panels["heartbeat-probe"] == "Diagnose"
    assert panels["sync"] == "Device" and panels["load"] == "Load" and panels["wbxml"] == "Tools"
    assert panels["replay"] == "Reproduce"
    # Panels in the order the commands are listed: Diagnose (eas check) first.
    order = list(dict.fromkeys(panels[name] for name in root.list_commands(None)))
    assert order == ["Diagnose", "Device", "Load", "Reproduce", "Tools"]
    names = list(root.list_commands(None))
    assert names[0] == "check" and names.index("discover") == 1
