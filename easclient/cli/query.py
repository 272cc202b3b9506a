"""`eas query decode|encode`: the EAS request query in its plain and base64 forms (MS-ASHTTP
2.2.1.1.1)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from easclient.cli import fail
from easclient.cli.groups import tools_app
from easclient.protocol import QueryError, RequestQuery, parse_query


def query_fields(q: RequestQuery, *, form: str) -> dict:
    """What a query says, as JSON-ready fields."""
    return {
        "form": form,
        "cmd": q.cmd,
        "user": q.user or None,
        "device_id": q.device_id,
        "device_type": q.device_type,
        "version": q.version,
        "locale": f"0x{q.locale:04x}",
        "policy_key": q.policy_key,
        "params": dict(q.params),
        "plain": q.to_plain(),
        "plain_headers": q.plain_headers(),
    }


def _form(text: str) -> str:
    qs = text.split("?", 1)[1] if "?" in text else text
    return "plain" if "=" in qs.rstrip("=") or "&" in qs else "base64"


query_group = typer.Typer(
    name="query",
    help="Decode or encode the EAS request query (plain or base64 form, MS-ASHTTP 2.2.1.1.1).",
    no_args_is_help=True,
)


@query_group.command("decode")
def decode_command(
    query: Annotated[str, typer.Argument(help="'?jAAJ…', 'Cmd=Sync&…' or a whole URL")],
    version: Annotated[
        str | None,
        typer.Option("--version", "--protocol", help="MS-ASProtocolVersion for a plain query"),
    ] = None,
    policy_key: Annotated[
        str | None, typer.Option("--policy-key", help="X-MS-PolicyKey for a plain query")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object")] = False,
) -> None:
    """Print the fields of a request query (plain or base64 form).

    The base64 form carries the version, policy key and locale itself; the plain form takes
    them from --version / --policy-key."""
    headers = {"X-MS-PolicyKey": policy_key} if policy_key else None
    try:
        q = parse_query(query, headers, default_version=version)
    except QueryError as exc:
        hint = "; give --version" if version is None and "ProtocolVersion" in str(exc) else ""
        raise fail(f"not an EAS query: {exc}{hint}") from None
    fields = query_fields(q, form=_form(query))
    if as_json:
        typer.echo(json.dumps(fields, indent=2, ensure_ascii=False))
        return
    width = 12
    for key in ("form", "cmd", "user", "device_id", "device_type", "version", "locale"):
        value = fields[key]
        typer.echo(f"{key:<{width}} {'-' if value is None else value}")
    typer.echo(f"{'policy_key':<{width}} {'-' if q.policy_key is None else q.policy_key}")
    for k, v in q.params.items():
        typer.echo(f"{'param':<{width}} {k}={v}")
    typer.echo(f"{'plain':<{width}} ?{fields['plain']}")
    for k, v in fields["plain_headers"].items():
        typer.echo(f"{'header':<{width}} {k}: {v}")


@query_group.command("encode")
def encode_command(
    cmd: Annotated[str, typer.Option("--cmd", help="command, e.g. Sync")],
    device_id: Annotated[str, typer.Option("--device-id")],
    device_type: Annotated[str, typer.Option("--device-type")],
    version: Annotated[
        str, typer.Option("--version", "--protocol", help="protocol version")
    ] = "14.1",
    user: Annotated[
        str | None, typer.Option("--user", "-u", help="user (optional in the base64 form)")
    ] = None,
    policy_key: Annotated[int | None, typer.Option("--policy-key")] = None,
    locale: Annotated[str, typer.Option("--locale", help="locale id, e.g. 0x0409")] = "0x0409",
    param: Annotated[
        list[str] | None,
        typer.Option("--param", help="command parameter K=V (repeat), e.g. ItemId=5:1"),
    ] = None,
    plain: Annotated[
        bool, typer.Option("--plain", help="print the plain form and its headers instead")
    ] = False,
) -> None:
    """Build a request query; prints the base64 form (12.1+) unless --plain."""
    for name, value in (("--device-id", device_id), ("--device-type", device_type)):
        if not value.strip():
            raise fail(
                f"{name} must not be empty (every EAS request carries one, MS-ASHTTP 2.2.1.1.1)"
            )
    params: dict[str, str] = {}
    for item in param or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise fail(f"--param must be K=V, got {item!r}")
        params[key] = value
    try:
        loc = int(locale, 0)
    except ValueError:
        raise fail(f"--locale must be a number such as 0x0409, got {locale!r}") from None
    q = RequestQuery(
        cmd=cmd,
        user=user or "",
        device_id=device_id,
        device_type=device_type,
        params=params,
        version=version,
        locale=loc,
        policy_key=policy_key,
    )
    try:
        q.command  # noqa: B018  # unknown command → QueryError here
        if plain:
            if not user:
                raise fail("the plain form needs --user")
            typer.echo(f"?{q.to_plain()}")
            for k, v in q.plain_headers().items():
                typer.echo(f"{k}: {v}")
            return
        typer.echo(f"?{q.to_base64(include_user=bool(user))}")
    except QueryError as exc:
        raise fail(str(exc)) from None


tools_app.add_typer(query_group)
