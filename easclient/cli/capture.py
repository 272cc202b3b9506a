"""`eas capture show|check`: read a capture file (the format of ``--capture``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console, Group
from rich.panel import Panel
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from easclient.capture import Body, CaptureError, Exchange, find_leaks, read_capture, summary
from easclient.cli import fail
from easclient.cli.groups import reproduce_app

FileArg = Annotated[Path, typer.Argument(help="capture file (JSON lines)")]


def _body(title: str, body: Body | None) -> list:
    if body is None:
        return []
    head = Text(f"{title} ({body.content_type or 'no type'}, {body.size} bytes)", style="bold")
    if body.xml is not None:
        xml = body.xml.split("\n", 1)[1] if body.xml.startswith("<?xml") else body.xml
        return [head, Syntax(xml.rstrip(), "xml", word_wrap=True, background_color="default")]
    note = " (cut)" if body.truncated else ""
    data = body.base64 or ""
    shown = data if len(data) <= 400 else data[:400] + "…"
    extra = [Text(f"not WBXML: {body.decode_error}", style="yellow")] if body.decode_error else []
    return [head, *extra, Text(f"base64{note}: {shown}")]


def render_exchange(index: int, ex: Exchange, *, bodies: bool = True) -> Panel:
    """One exchange as a rich panel: query fields, headers worth seeing, bodies."""
    parts: list = []
    q = ex.query_decoded
    table = Table.grid(padding=(0, 2))
    table.add_column(style="cyan", no_wrap=True)
    table.add_column()
    table.add_row("time", ex.time)
    table.add_row("request", f"{ex.method} {ex.path}  ({ex.query_form} query)")
    if q is not None:
        table.add_row("device", f"{q['device_type']} {q['device_id']}  user {q.get('user') or '-'}")
        table.add_row("version", f"{q.get('version')}  policy key {q.get('policy_key') or '-'}")
        if q.get("params"):
            table.add_row("params", " ".join(f"{k}={v}" for k, v in q["params"].items()))
    if ex.query_form == "base64" and ex.query:
        table.add_row("query", f"?{ex.query}")
    if ex.query_plain:
        table.add_row("plain", f"?{ex.query_plain}")
    ua = {k.lower(): v for k, v in ex.request_headers.items()}.get("user-agent")
    if ua:
        table.add_row("user-agent", ua)
    table.add_row("answer", summary(ex.status, ex.response_element(), ex.error))
    if ex.method == "OPTIONS":
        for name in ("MS-ASProtocolVersions", "MS-ASProtocolCommands", "MS-Server-ActiveSync"):
            value = ex.response_header(name)
            if value:
                table.add_row(name, value)
    if ex.elapsed_s is not None:
        table.add_row("elapsed", f"{ex.elapsed_s:.3f} s")
    parts.append(table)
    if bodies:
        parts += _body("request body", ex.request)
        parts += _body("response body", ex.response)
    status = "no answer" if ex.status is None else str(ex.status)
    style = "green" if ex.status is not None and ex.status < 400 else "red"
    title = f"#{index}  {ex.command}  [{style}]{status}[/]  (line {ex.line})"
    return Panel(Group(*parts), title=title, title_align="left")


capture_group = typer.Typer(
    name="capture",
    help="Read capture files (JSON lines written by --capture or the mitmproxy addon).",
    no_args_is_help=True,
)


@capture_group.command("show")
def show_command(
    file: FileArg,
    command: Annotated[
        list[str] | None, typer.Option("--command", help="only these commands (repeat)")
    ] = None,
    no_bodies: Annotated[bool, typer.Option("--no-bodies", help="leave bodies out")] = False,
    width: Annotated[
        int | None, typer.Option("--width", min=40, help="output width (columns)")
    ] = None,
) -> None:
    """Print a capture readably: each exchange with its query decoded and bodies as XML."""
    try:
        capture = read_capture(file)
    except CaptureError as exc:
        raise fail(str(exc)) from None
    wanted = {c.lower() for c in command or []}
    held = {ex.command.lower() for ex in capture}
    if wanted - held:
        raise fail(
            f"--command {', '.join(sorted(wanted - held))}: not in the capture, which holds "
            + ", ".join(sorted({ex.command for ex in capture}))
        )
    console = Console(width=width, highlight=False, soft_wrap=False)
    device = capture.device
    if device:
        console.print("device: " + ", ".join(f"{k}={v}" for k, v in device.items()), markup=False)
    for index, ex in enumerate(capture, 1):
        if wanted and ex.command.lower() not in wanted:
            continue
        console.print(render_exchange(index, ex, bodies=not no_bodies))


@capture_group.command("check")
def check_command(
    file: FileArg,
    secret_env: Annotated[
        list[str] | None,
        typer.Option("--secret-env", help="also look for the value of this variable"),
    ] = None,
    user: Annotated[
        str | None, typer.Option("--user", "-u", help="user, to look for Basic credentials too")
    ] = None,
) -> None:
    """Check a capture: every line readable, no credential or given secret anywhere.

    Credential headers must be redacted, and no given secret (password, token, or its Basic
    credential) may appear anywhere. Exit 1 on a leak."""
    try:
        capture = read_capture(file)
    except CaptureError as exc:
        raise fail(str(exc)) from None
    secrets = []
    for name in secret_env or []:
        value = os.environ.get(name)
        if not value:
            raise fail(f"--secret-env {name}: that variable is not set")
        secrets.append(value)
    leaks = find_leaks(file, secrets, user=user or capture.device.get("user"))
    for leak in leaks:
        typer.echo(f"{file}: {leak}")
    if leaks:
        raise typer.Exit(1)
    typer.echo(f"{file}: {len(capture)} exchanges, schema 1, no secrets found")


reproduce_app.add_typer(capture_group)
