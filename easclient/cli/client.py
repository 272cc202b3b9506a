"""`eas options`, `eas sync`, `eas ping`: the device, driven from the command line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from easclient.cli import fail
from easclient.cli._auth import SignIn, sign_in_options
from easclient.cli._common import (
    Base64Opt,
    CaFileOpt,
    CaptureOpt,
    Connection,
    ConnectToOpt,
    DeadlineOpt,
    DeviceIdOpt,
    DnsServerOpt,
    InsecureOpt,
    JsonOpt,
    KeepaliveOpt,
    MaxResponseSizeOpt,
    MaxWaitOpt,
    PasswordEnvOpt,
    ProfileOpt,
    ProtocolOpt,
    StateOpt,
    TokenEnvOpt,
    UrlArg,
    UserOpt,
    VerboseOpt,
    open_client,
)
from easclient.cli.groups import device_app
from easclient.client import EasClient, PingOutcome, SyncReport
from easclient.errors import EasError
from easclient.protocol import AuthenticationFailed, PingStatus, folder_class

#: Ping outcomes after which `eas ping` exits 0 (the server answered as EAS says it should).
_ANSWERED = {PingOutcome.CHANGES, PingOutcome.NO_CHANGES, PingOutcome.ADJUSTED}


def _emit_json(obj: object) -> None:
    typer.echo(json.dumps(obj, indent=2, ensure_ascii=False))


@contextmanager
def _opened(conn: Connection) -> Iterator[EasClient]:
    """The device for ``conn``; any error of ours, opening or using it, is one line and exit 2."""
    try:
        with open_client(conn) as client:
            yield client
    except EasError as exc:
        raise fail(str(exc)) from None


def _check_folders(client: EasClient, wanted: list[str]) -> None:
    """Refuse --folder ServerIds the account does not have (the server would answer Ping
    status 7 or 3, which says nothing about the path)."""
    known = {f.server_id: f.display_name for f in client.state.folders()}
    unknown = [f for f in wanted if f not in known]
    if unknown:
        mail = ", ".join(f"{f.server_id} ({f.display_name})" for f in client.mail_folders())
        raise fail(f"--folder {', '.join(unknown)}: no such folder; mail folders: {mail}")


@device_app.command("options")
@sign_in_options
def options_cmd(
    url: UrlArg,
    user: UserOpt = None,
    password_env: PasswordEnvOpt = None,
    token_env: TokenEnvOpt = None,
    profile: ProfileOpt = "iphone",
    ca_file: CaFileOpt = None,
    insecure: InsecureOpt = False,
    as_json: JsonOpt = False,
    capture: CaptureOpt = None,
    state: StateOpt = None,
    verbose: VerboseOpt = False,
    dns_server: DnsServerOpt = None,
    connect_to: ConnectToOpt = None,
    sign_in: SignIn | None = None,
) -> None:
    """OPTIONS: the server's protocol versions and commands, and the version we would use."""
    conn = Connection(
        url,
        user,
        password_env=password_env,
        token_env=token_env,
        sign_in=sign_in,
        profile=profile,
        ca_file=ca_file,
        insecure=insecure,
        capture=capture,
        state=state or Path(":memory:"),  # OPTIONS alone leaves no state file behind
        verbose=verbose,
        dns_server=dns_server,
        connect_to=connect_to,
        need_credentials=bool(user or token_env)
        or (sign_in is not None and sign_in.method.value != "basic"),
    )
    with _opened(conn) as client:
        try:
            result = client.options()
        except AuthenticationFailed as exc:
            if user or token_env:
                raise
            raise fail(
                f"{exc}: the server wants credentials for OPTIONS too; give --user"
            ) from None
        try:
            chosen: str | None = result.choose_version(client.profile.versions)
        except EasError:
            chosen = None
    if as_json:
        _emit_json(
            {
                "server": result.server_version,
                "versions": list(result.versions),
                "commands": list(result.commands),
                "chosen_version": chosen,
                "profile": client.profile.name,
            }
        )
        return
    typer.echo(f"MS-Server-ActiveSync: {result.server_version}")
    typer.echo(f"versions: {', '.join(result.versions)}")
    typer.echo(f"commands: {', '.join(result.commands)}")
    typer.echo(f"chosen for {client.profile.name}: {chosen or 'none in common'}")


@device_app.command("sync")
@sign_in_options
def sync_cmd(
    url: UrlArg,
    classes: Annotated[
        str | None,
        typer.Option(
            "--classes",
            help="what to sync: email,calendar,contacts,tasks,notes (default: the profile's "
            "mail folders)",
        ),
    ] = None,
    user: UserOpt = None,
    password_env: PasswordEnvOpt = None,
    token_env: TokenEnvOpt = None,
    profile: ProfileOpt = "iphone",
    protocol: ProtocolOpt = None,
    base64_query: Base64Opt = None,
    state: StateOpt = None,
    device_id: DeviceIdOpt = None,
    ca_file: CaFileOpt = None,
    insecure: InsecureOpt = False,
    as_json: JsonOpt = False,
    capture: CaptureOpt = None,
    tcp_keepalive: KeepaliveOpt = None,
    verbose: VerboseOpt = False,
    dns_server: DnsServerOpt = None,
    connect_to: ConnectToOpt = None,
    max_response_size: MaxResponseSizeOpt = None,
    deadline: DeadlineOpt = None,
    max_wait: MaxWaitOpt = None,
    sign_in: SignIn | None = None,
) -> None:
    """Sync the folder hierarchy and every mail folder (or --classes); print what changed.

    Provisions first when the server asks, and reads every window of each folder."""
    conn = Connection(
        url,
        user,
        password_env=password_env,
        token_env=token_env,
        sign_in=sign_in,
        profile=profile,
        protocol=protocol,
        base64_query=base64_query,
        state=state,
        device_id=device_id,
        ca_file=ca_file,
        insecure=insecure,
        capture=capture,
        verbose=verbose,
        dns_server=dns_server,
        connect_to=connect_to,
        tcp_keepalive=tcp_keepalive,
        max_response_size=max_response_size,
        deadline=deadline,
        max_wait=max_wait,
    )
    with _opened(conn) as client:
        report = client.sync_all(_classes(classes))
        kinds = {f.server_id: folder_class(f.type) or "?" for f in client.state.folders()}
        version = client.version
        state_path = str(client.state.path)
        did = client.device_id
    folders = {
        fid: {
            "name": f.name,
            "added": f.added,
            "changed": f.changed,
            "deleted": f.deleted,
            "total": f.total,
            "restarted": f.restarted,
        }
        for fid, f in report.folders.items()
    }
    if as_json:
        _emit_json(
            {
                "protocol_version": version,
                "device_id": did,
                "state": state_path,
                "folders_added": report.folders_added,
                "folders_deleted": report.folders_deleted,
                "folders": folders,
                "classes": _per_class(report, kinds),
                "notes": report.notes,
            }
        )
        return
    for note in report.notes:
        typer.echo(f"note: {note}")
    changed = False
    for f in report.folders.values():
        if f.added or f.changed or f.deleted:
            changed = True
        typer.echo(
            f"{f.name}: +{f.added} added, ~{f.changed} changed, -{f.deleted} deleted; "
            f"{f.total} held"
        )
    if not changed:
        typer.echo("nothing changed since the last run")


_CLASS_NAMES = {
    "email": "Email",
    "calendar": "Calendar",
    "contacts": "Contacts",
    "tasks": "Tasks",
    "notes": "Notes",
}


def _classes(text: str | None) -> list[str] | None:
    """``--classes email,calendar`` → ["Email", "Calendar"]; None: the profile's folders."""
    if text is None:
        return None
    names = [c.strip().lower() for c in text.split(",") if c.strip()]
    unknown = [c for c in names if c not in _CLASS_NAMES]
    if unknown or not names:
        raise fail(f"--classes {text!r}: choose from {','.join(_CLASS_NAMES)}")
    return [_CLASS_NAMES[c] for c in names]


def _per_class(report: SyncReport, kinds: dict[str, str]) -> dict[str, dict[str, int]]:
    """Added, changed, deleted and held items summed per content class."""
    out: dict[str, dict[str, int]] = {}
    for fid, f in report.folders.items():
        row = out.setdefault(
            kinds.get(fid, "?"), {"added": 0, "changed": 0, "deleted": 0, "total": 0}
        )
        for key in row:
            row[key] += getattr(f, key)
    return out


@device_app.command("ping")
@sign_in_options
def ping_cmd(
    url: UrlArg,
    heartbeat: Annotated[
        int, typer.Option("--heartbeat", help="HeartbeatInterval to send, seconds")
    ],
    folder: Annotated[
        list[str] | None,
        typer.Option("--folder", help="folder ServerId to watch (repeat; default: all mail)"),
    ] = None,
    margin: Annotated[
        float, typer.Option("--margin", min=0, help="seconds to wait beyond the heartbeat")
    ] = 10.0,
    via: Annotated[
        str,
        typer.Option(
            "--via", help="ping: the Ping command; sync: a long Sync (HeartbeatInterval / Wait)"
        ),
    ] = "ping",
    user: UserOpt = None,
    password_env: PasswordEnvOpt = None,
    token_env: TokenEnvOpt = None,
    profile: ProfileOpt = "iphone",
    protocol: ProtocolOpt = None,
    base64_query: Base64Opt = None,
    state: StateOpt = None,
    device_id: DeviceIdOpt = None,
    ca_file: CaFileOpt = None,
    insecure: InsecureOpt = False,
    as_json: JsonOpt = False,
    capture: CaptureOpt = None,
    tcp_keepalive: KeepaliveOpt = None,
    verbose: VerboseOpt = False,
    dns_server: DnsServerOpt = None,
    connect_to: ConnectToOpt = None,
    max_response_size: MaxResponseSizeOpt = None,
    deadline: DeadlineOpt = None,
    max_wait: MaxWaitOpt = None,
    sign_in: SignIn | None = None,
) -> None:
    """One Ping: how it ended (outcome, status), how long it was held, folders reported.

    Exits 0 when the server answered (changes, no-changes, adjusted), 1 otherwise (reset,
    closed, black hole, TLS or HTTP error, other status).
    """
    if heartbeat <= 0:
        raise fail(f"--heartbeat must be positive, got {heartbeat}")
    if via not in ("ping", "sync"):
        raise fail(f"--via must be ping or sync, got {via!r}")
    conn = Connection(
        url,
        user,
        password_env=password_env,
        token_env=token_env,
        sign_in=sign_in,
        profile=profile,
        protocol=protocol,
        base64_query=base64_query,
        state=state,
        device_id=device_id,
        ca_file=ca_file,
        insecure=insecure,
        capture=capture,
        verbose=verbose,
        dns_server=dns_server,
        connect_to=connect_to,
        tcp_keepalive=tcp_keepalive,
        max_response_size=max_response_size,
        deadline=deadline,
        max_wait=max_wait,
    )
    with _opened(conn) as client:
        client.ping_margin = margin
        if client.state.folder_sync_key == "0":
            client.folder_sync()  # provisions on the way if the server asks
        if folder:
            _check_folders(client, folder)
        push = client.sync_push if via == "sync" else client.ping
        report = push(heartbeat, folder or None)
    data = {
        "outcome": report.outcome.value,
        "status": report.status,
        "seconds": round(report.seconds, 3),
        "heartbeat": report.heartbeat,
        "folders": list(report.folders),
        "server_heartbeat": report.server_heartbeat,
        "max_folders": report.max_folders,
        "error": report.error,
    }
    if as_json:
        _emit_json(data)
    else:
        status: int | str | None = report.status
        if report.status is not None and report.status in PingStatus._value2member_map_:
            status = f"{report.status} ({PingStatus(report.status).name})"
        line = f"{report.outcome.value}: status {status}, held {report.seconds:.1f} s"
        if report.folders:
            line += f", folders {', '.join(report.folders)}"
        if report.server_heartbeat:
            line += f", server heartbeat {report.server_heartbeat} s"
        if report.error:
            line += f" ({report.error})"
        typer.echo(line)
    if report.outcome not in _ANSWERED:
        raise typer.Exit(1)
