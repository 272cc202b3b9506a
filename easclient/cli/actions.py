"""`eas send`, `reply`, `forward`, `move`, `search` and `eas folder create|rename|delete`: what
a phone does besides syncing, from the command line (easclient.client.actions underneath)."""

from __future__ import annotations

import json
from email.message import EmailMessage
from pathlib import Path
from typing import Annotated

import typer

from easclient.cli import fail
from easclient.cli._auth import sign_in_options
from easclient.cli._common import Connection, JsonOpt
from easclient.cli._device import device_options, opened
from easclient.cli.groups import device_app
from easclient.client import EasClient, actions
from easclient.errors import EasError
from easclient.protocol.foldersync import FolderType
from easclient.protocol.moveitems import Move
from easclient.protocol.search import MailboxQuery, SearchRequest, SearchStore, parse_range
from easclient.protocol.smartmail import SmartSource

ToOpt = Annotated[list[str], typer.Option("--to", help="recipient address (repeat for more)")]
BodyOpt = Annotated[str, typer.Option("--body", help="the message text")]
FolderIdOpt = Annotated[
    str | None, typer.Option("--folder", help="ServerId of the folder holding the item")
]
NoSaveOpt = Annotated[bool, typer.Option("--no-save", help="do not keep a copy in Sent Items")]


def _emit(as_json: bool, obj: dict[str, object], line: str) -> None:
    typer.echo(json.dumps(obj, indent=2, ensure_ascii=False) if as_json else line)


def _message(to: list[str], subject: str, body: str, sender: str | None = None) -> bytes:
    msg = EmailMessage()
    if sender:
        msg["From"] = sender
    msg["To"] = ", ".join(to)
    msg["Subject"] = subject
    msg.set_content(body)
    return msg.as_bytes()


def _item(
    client: EasClient, item_id: str, folder: str | None
) -> tuple[str, str | None, str | None]:
    """(folder, subject, sender) of an item the device holds, found in its state."""
    folders = [folder] if folder else [f.server_id for f in client.state.folders()]
    for fid in folders:
        for stored in client.state.items(fid):
            if stored.server_id == item_id:
                return fid, stored.subject, stored.sender
    if folder:
        return folder, None, None
    raise fail(f"{item_id}: no such item on this device; run eas sync first, or give --folder")


@device_app.command("send")
@sign_in_options
@device_options
def send_cmd(
    conn: Connection,
    to: ToOpt,
    subject: Annotated[str, typer.Option("--subject", help="the subject")] = "",
    body: BodyOpt = "",
    mime: Annotated[
        Path | None, typer.Option("--mime", help="send this RFC 5322 file as it is")
    ] = None,
    sender: Annotated[str | None, typer.Option("--from", help="From address")] = None,
    no_save: NoSaveOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """SendMail: send a message (a text, or a whole MIME file) to --to."""
    data = mime.read_bytes() if mime else _message(to, subject, body, sender)
    with opened(conn) as client:
        answer = actions.send_mail(client, data, save_in_sent=not no_save)
    if not answer.ok:
        raise fail(f"SendMail: status {int(answer.status or 0)}", code=1)
    _emit(as_json, {"sent": True, "bytes": len(data)}, f"sent ({len(data)} bytes)")


def _smart(conn: Connection, kind: str, item_id: str, folder: str | None, to: list[str],
           body: str, no_save: bool, as_json: bool) -> None:  # fmt: skip
    with opened(conn) as client:
        fid, subject, sender = _item(client, item_id, folder)
        prefix = "Re: " if kind == "reply" else "Fwd: "
        recipients = to or ([sender] if sender and kind == "reply" else [])
        if not recipients:
            raise fail(f"{kind}: give --to (the device does not know who sent {item_id})")
        mime = _message(recipients, prefix + (subject or ""), body)
        source = SmartSource(fid, item_id)
        send = actions.reply if kind == "reply" else actions.forward
        answer = send(client, source, mime, save_in_sent=not no_save)
    if not answer.ok:
        raise fail(f"{kind}: status {int(answer.status or 0)}", code=1)
    _emit(as_json, {kind: item_id, "to": recipients}, f"{kind} to {', '.join(recipients)} sent")


@device_app.command("reply")
@sign_in_options
@device_options
def reply_cmd(
    conn: Connection,
    item: Annotated[str, typer.Argument(help="ServerId of the message to answer")],
    body: BodyOpt = "",
    to: Annotated[
        list[str] | None, typer.Option("--to", help="recipient (default: the sender)")
    ] = None,
    folder: FolderIdOpt = None,
    no_save: NoSaveOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """SmartReply: answer a message; the server quotes the original."""
    _smart(conn, "reply", item, folder, to or [], body, no_save, as_json)


@device_app.command("forward")
@sign_in_options
@device_options
def forward_cmd(
    conn: Connection,
    item: Annotated[str, typer.Argument(help="ServerId of the message to forward")],
    to: ToOpt,
    body: BodyOpt = "",
    folder: FolderIdOpt = None,
    no_save: NoSaveOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """SmartForward: forward a message; the server attaches the original."""
    _smart(conn, "forward", item, folder, to, body, no_save, as_json)


@device_app.command("move")
@sign_in_options
@device_options
def move_cmd(
    conn: Connection,
    item: Annotated[str, typer.Argument(help="ServerId of the item to move")],
    destination: Annotated[str, typer.Option("--to-folder", help="ServerId of the folder")],
    folder: FolderIdOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """MoveItems: move an item to another folder; prints its new ServerId."""
    with opened(conn) as client:
        source, _subject, _sender = _item(client, item, folder)
        result = actions.move_items(client, [Move(item, source, destination)]).results[0]
    if not result.ok:
        raise fail(f"move {item}: {_name(result.status)}", code=1)
    _emit(as_json, {"moved": item, "new_id": result.dst_msg_id}, f"{item} → {result.dst_msg_id}")


def _name(status: int | None) -> str:
    """A status as the user reads it: its number and, when the spec names it, the name."""
    if status is None:
        return "no status"
    name = getattr(status, "name", None)
    return f"status {int(status)} ({name})" if name else f"status {int(status)}"


@device_app.command("search")
@sign_in_options
@device_options
def search_cmd(
    conn: Connection,
    query: Annotated[str, typer.Argument(help="text to look for")],
    gal: Annotated[bool, typer.Option("--gal", help="search the global address list")] = False,
    folder: Annotated[
        str | None, typer.Option("--folder", help="mailbox search in this folder only")
    ] = None,
    window: Annotated[str, typer.Option("--range", help="results wanted, e.g. 0-9")] = "0-9",
    as_json: JsonOpt = False,
) -> None:
    """Search: the mailbox (subject and text) or, with --gal, the global address list."""
    try:
        wanted = parse_range(window)
    except EasError as exc:
        raise fail(f"--range: {exc}") from None
    request = (
        SearchRequest(SearchStore.GAL, query, range=wanted)
        if gal
        else SearchRequest(SearchStore.Mailbox, MailboxQuery(query, folder), range=wanted)
    )
    with opened(conn) as client:
        answer = actions.search(client, request)
    if not answer.ok:
        raise fail(f"search: {_name(answer.store_status or answer.status)}", code=1)
    rows: list[dict[str, str | None]] = []
    for r in answer.results:
        if gal:
            rows.append({k: v for k, v in r.gal.items()})
        else:
            props = r.properties
            rows.append(
                {
                    "id": r.long_id,
                    "folder": r.collection_id,
                    "subject": props.findtext("Email:Subject") if props is not None else None,
                    "from": props.findtext("Email:From") if props is not None else None,
                }
            )
    if as_json:
        typer.echo(json.dumps({"total": answer.total, "range": answer.range, "results": rows},
                              indent=2, ensure_ascii=False))  # fmt: skip
        return
    typer.echo(f"{answer.total or 0} found; showing {len(rows)}")
    for row in rows:
        typer.echo("  " + "  ".join(str(v) for v in row.values() if v))


folder_group = typer.Typer(
    name="folder", help="FolderCreate, FolderUpdate, FolderDelete: change the folder hierarchy.",
    no_args_is_help=True,
)  # fmt: skip
device_app.add_typer(folder_group)

_TYPES = {
    "mail": FolderType.UserMail,
    "calendar": FolderType.UserCalendar,
    "contacts": FolderType.UserContacts,
    "tasks": FolderType.UserTasks,
    "notes": FolderType.UserNotes,
}


@folder_group.command("create")
@sign_in_options
@device_options
def folder_create_cmd(
    conn: Connection,
    name: Annotated[str, typer.Argument(help="the new folder's name")],
    parent: Annotated[str, typer.Option("--parent", help="parent ServerId (0: the root)")] = "0",
    kind: Annotated[str, typer.Option("--type", help="|".join(_TYPES))] = "mail",
    as_json: JsonOpt = False,
) -> None:
    """Create a folder; prints its ServerId."""
    if kind not in _TYPES:
        raise fail(f"--type {kind!r}: choose one of {', '.join(_TYPES)}")
    with opened(conn) as client:
        answer = actions.create_folder(client, name, parent_id=parent, type=_TYPES[kind])
    if not answer.ok:
        raise fail(f"folder create {name!r}: {_name(answer.status)}", code=1)
    _emit(as_json, {"created": answer.server_id, "name": name}, f"{name}: {answer.server_id}")


@folder_group.command("rename")
@sign_in_options
@device_options
def folder_rename_cmd(
    conn: Connection,
    folder: Annotated[str, typer.Argument(help="ServerId of the folder")],
    name: Annotated[str, typer.Argument(help="its new name")],
    as_json: JsonOpt = False,
) -> None:
    """Rename a folder."""
    with opened(conn) as client:
        answer = actions.rename_folder(client, folder, name)
    if not answer.ok:
        raise fail(f"folder rename {folder}: {_name(answer.status)}", code=1)
    _emit(as_json, {"renamed": folder, "name": name}, f"{folder}: {name}")


@folder_group.command("delete")
@sign_in_options
@device_options
def folder_delete_cmd(
    conn: Connection,
    folder: Annotated[str, typer.Argument(help="ServerId of the folder")],
    as_json: JsonOpt = False,
) -> None:
    """Delete a folder and what it holds."""
    with opened(conn) as client:
        answer = actions.delete_folder(client, folder)
    if not answer.ok:
        raise fail(f"folder delete {folder}: {_name(answer.status)}", code=1)
    _emit(as_json, {"deleted": folder}, f"{folder}: deleted")
