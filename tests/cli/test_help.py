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


def test_discover_sits_with_check_in_the_diagnose_group():
    _load()
    root = typer.main.get_command(app)
    panels = {name: getattr(cmd, "rich_help_panel", None) for name, cmd in root.commands.items()}
    assert panels["discover"] == panels["check"] == "Diagnose"
    names = list(root.commands)
    assert names.index("discover") == names.index("check") + 1
