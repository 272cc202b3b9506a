"""`eas replay CAPTURE URL`: replay a captured conversation as the captured device, and show
where this server answers differently."""

from __future__ import annotations

import json
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from easclient.capture import Capture, CaptureError, Replayer, ReplayStep, read_capture
from easclient.cli import fail
from easclient.cli._auth import SignIn, make_credential, sign_in_options
from easclient.cli._common import (
    CaFileOpt,
    CliError,
    InsecureOpt,
    JsonOpt,
    PasswordEnvOpt,
    TokenEnvOpt,
    UrlArg,
)
from easclient.cli.groups import reproduce_app
from easclient.client import CaptureWriter
from easclient.client.connect import open_transport
from easclient.errors import EasError
from easclient.url import UrlError, resolve_target


def _table(steps: list[ReplayStep]) -> Table:
    table = Table(show_lines=False, expand=False)
    table.add_column("#", justify="right")
    table.add_column("command")
    table.add_column("recorded server")
    table.add_column("this server")
    table.add_column("differences")
    for s in steps:
        diff = "\n".join(str(d) for d in s.differences) if s.differences else "same"
        if s.notes:
            diff += "\n" + "\n".join(f"note: {n}" for n in s.notes)
        style = None if s.same else "yellow"
        table.add_row(
            str(s.index), s.command, s.recorded.summary, s.live.summary, diff, style=style
        )
    return table


def _check_commands(cap: Capture, wanted: list[str]) -> None:
    """CliError unless every --command names a command the capture holds (case as recorded)."""
    held = sorted({ex.command for ex in cap})
    missing = [c for c in wanted if c not in held]
    if missing:
        raise CliError(
            f"--command {', '.join(missing)}: not in the capture, which holds {', '.join(held)}"
        )


@reproduce_app.command("replay")
@sign_in_options
def replay_command(
    capture: Annotated[Path, typer.Argument(help="capture file to replay")],
    url: UrlArg,
    user: Annotated[
        str | None,
        typer.Option("--user", "-u", help="user on the target (default: the captured user)"),
    ] = None,
    password_env: PasswordEnvOpt = None,
    token_env: TokenEnvOpt = None,
    ca_file: CaFileOpt = None,
    insecure: InsecureOpt = False,
    as_json: JsonOpt = False,
    record: Annotated[
        Path | None,
        typer.Option("--capture", help="also capture this replay to FILE (redacted)"),
    ] = None,
    margin: Annotated[
        float,
        typer.Option("--margin", min=0, help="seconds to wait beyond a Ping's heartbeat"),
    ] = 10.0,
    command: Annotated[
        list[str] | None, typer.Option("--command", help="replay only these commands")
    ] = None,
    bootstrap: Annotated[
        bool,
        typer.Option(
            "--bootstrap",
            help="for a capture that starts mid-conversation: provision as the device and "
            "get fresh SyncKeys for keys this server never handed out",
        ),
    ] = False,
    sign_in: SignIn | None = None,
) -> None:
    """Replay a capture against URL as the captured device; show where the answers differ.

    The captured requests go to URL in order, as the captured device (identity, query
    form, bodies with their heartbeats and window sizes), with SyncKeys, PolicyKeys and
    ServerIds mapped from this server's answers; each step is reported beside the recorded
    answer. Credentials come from --user and --password-env/EAS_PASSWORD (or --token-env),
    never from the capture. Exit 0: same answers; 1: differences; 2: error."""
    try:
        cap = read_capture(capture)
        server = resolve_target(url)
        name = user or cap.device.get("user")
        sign_in = sign_in or SignIn()
        sign_in.token_env = sign_in.token_env or token_env
        if not name and sign_in.needs_password:
            raise CliError("--user is required (the capture names no user)")
        client_cert, client_key = sign_in.cert_paths()
        auth, known = make_credential(sign_in, name, password_env, host=server.host)
        secrets: list[str | None] = list(known)
        if ca_file is not None and not ca_file.is_file():
            raise CliError(f"--ca-file {ca_file}: no such file")
        if command:
            _check_commands(cap, command)
    except (CaptureError, CliError, UrlError) as exc:
        raise fail(str(exc)) from None
    console = Console(highlight=False)
    device = cap.device

    def progress(step: ReplayStep) -> None:
        if not as_json:
            mark = "same" if step.same else f"{len(step.differences)} difference(s)"
            typer.echo(f"eas: step {step.index} {step.command}: {mark}", err=True)

    try:
        with ExitStack() as stack:
            writer = None
            if record is not None:
                writer = stack.enter_context(CaptureWriter(record, secrets=secrets, device=device))
            transport = stack.enter_context(
                open_transport(
                    server,
                    auth=auth,
                    verify=not insecure,
                    ca_file=ca_file,
                    capture=writer,
                    proxy=sign_in.proxy,
                    client_cert=client_cert,
                    client_key=client_key,
                )
            )
            replayer = Replayer(transport, user=name, ping_margin=margin, bootstrap=bootstrap)
            report = replayer.run(
                cap,
                on_step=progress,
                commands=frozenset(command) if command else None,
            )
    except EasError as exc:
        raise fail(str(exc)) from None
    if as_json:
        typer.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        ident = ", ".join(
            f"{k}={device[k]}"
            for k in ("device_type", "device_id", "user_agent", "version")
            if k in device
        )
        console.print(f"replay of {capture} against {server.base} as {ident}", markup=False)
        for line in report.bootstrap:
            console.print(line, markup=False)
        console.print(_table(report.steps))
        n = len(report.differing)
        console.print(
            f"{len(report.steps)} steps, {n} with differences"
            if n
            else f"{len(report.steps)} steps, all answered alike",
            markup=False,
        )
    if report.differing:
        raise typer.Exit(1)
