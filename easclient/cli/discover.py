"""`eas discover EMAIL`: Autodiscover, candidate by candidate, and the glue that lets `eas check`,
`eas sync`, `eas ping` and `eas options` start from an e-mail address."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from easclient.cli import fail
from easclient.cli._common import CliError, Connection, read_password
from easclient.cli.groups import diagnose_app
from easclient.client import BasicAuth
from easclient.client.discover import (
    Attempt,
    DiscoveryOptions,
    DiscoveryResult,
    discover,
    parse_connect_to,
    parse_dns_server,
    recall,
    remember,
)
from easclient.client.state import MetaValues
from easclient.client.transport import Auth
from easclient.errors import EasError

DnsServerOpt = Annotated[
    str | None,
    typer.Option(
        "--dns-server",
        help="HOST[:PORT]: ask this nameserver for every Autodiscover lookup (SRV, A, AAAA) "
        "instead of the system's",
    ),
]
ConnectToOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--connect-to",
        help="HOST1:PORT1:HOST2:PORT2 (as curl): connect to HOST2:PORT2 for HOST1:PORT1 while "
        "URL, Host and SNI keep HOST1; an empty HOST1 or PORT1 matches any (repeat)",
    ),
]


def discovery_options(
    *,
    auth: Auth | None,
    ca_file: str | None,
    insecure: bool,
    dns_server: str | None,
    connect_to: list[str] | None,
    timeout: float = 10.0,
) -> DiscoveryOptions:
    """The CLI's flags as :class:`DiscoveryOptions` (bad values: CliError, one line)."""
    try:
        return DiscoveryOptions(
            auth=auth,
            verify=not insecure,
            ca_file=None if insecure else ca_file,
            timeout=timeout,
            dns_server=parse_dns_server(dns_server) if dns_server else None,
            connect_to=parse_connect_to(connect_to or []),
        )
    except EasError as exc:
        raise CliError(str(exc)) from None


def attempt_line(a: Attempt) -> str:
    """One candidate on one line: what, DNS, TLS, HTTP status, time, outcome."""
    parts = [f"{a.method} {a.url}" if a.method != "SRV" else f"SRV {a.url}"]
    if a.dns and a.method != "SRV":
        parts.append(f"DNS {a.dns}")
    elif a.dns:
        parts.append(f"DNS {a.dns.partition(': ')[2] or a.dns}")
    if a.tls:
        parts.append(f"TLS {a.tls}")
    if a.http_status is not None:
        parts.append(f"HTTP {a.http_status}")
    parts.append(f"{a.seconds:.2f}s")
    return " · ".join(parts) + f" → {a.outcome}"


def not_found_line(result: DiscoveryResult) -> str:
    last = next((a.outcome for a in reversed(result.attempts) if a.outcome), "")
    tried = len(result.attempts)
    text = f"Autodiscover found no ActiveSync URL for {result.email} ({result.reason}"
    text += f"; {tried} candidate{'s' if tried != 1 else ''} tried"
    return text + (f"; last: {last})" if last else ")")


def discover_url(
    email: str, options: DiscoveryOptions, log: Callable[[str], None] | None = None
) -> str:
    """The URL for ``email``, or CliError with why; each attempt is logged when ``log``."""
    result = discover(email, options, on_attempt=(lambda a: log(attempt_line(a))) if log else None)
    if result.url is None:
        raise CliError(not_found_line(result))
    return result.url


@diagnose_app.command("discover", rich_help_panel="Diagnose")
def discover_cmd(
    email: Annotated[str, typer.Argument(help="the e-mail address, e.g. alice@example.com")],
    user: Annotated[
        str | None,
        typer.Option("--user", "-u", help="account to sign in as (POX requests need it)"),
    ] = None,
    password_env: Annotated[
        str | None,
        typer.Option("--password-env", help="read the password from this environment variable"),
    ] = None,
    ca_file: Annotated[
        Path | None, typer.Option("--ca-file", help="trust this CA bundle (PEM) for TLS")
    ] = None,
    insecure: Annotated[
        bool, typer.Option("--insecure", help="do NOT verify TLS certificates (testing only)")
    ] = False,
    dns_server: DnsServerOpt = None,
    connect_to: ConnectToOpt = None,
    timeout: Annotated[
        float, typer.Option("--timeout", min=0.1, help="seconds per candidate")
    ] = 10.0,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object on stdout")] = False,
) -> None:
    """Find the ActiveSync URL for an e-mail address (Autodiscover), showing every try.

    Tries, in order: POST https://DOMAIN/autodiscover/autodiscover.xml, POST
    https://autodiscover.DOMAIN/…, GET http://autodiscover.DOMAIN/… (its redirect followed
    only to https), DNS SRV _autodiscover._tcp.DOMAIN, then Autodiscover v2 (JSON). A
    Redirect to another address starts over, at most 10 times. Exits 0 when found, 1 when
    not.
    """
    if ca_file is not None and not ca_file.is_file():
        raise fail(f"--ca-file {ca_file}: no such file")
    try:
        auth = BasicAuth(user, read_password(user, password_env)) if user else None
        options = discovery_options(
            auth=auth,
            ca_file=str(ca_file) if ca_file else None,
            insecure=insecure,
            dns_server=dns_server,
            connect_to=connect_to,
            timeout=timeout,
        )
        if insecure:
            typer.echo("eas: WARNING: --insecure: TLS certificates are NOT verified.", err=True)
        result = discover(email, options)
    except EasError as exc:
        raise fail(str(exc)) from None
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    else:
        typer.echo(f"Autodiscover for {result.email}")
        for i, a in enumerate(result.attempts, 1):
            mark = "*" if a.ok else " "
            typer.echo(f"{mark}{i:>2}. [{a.kind}] {attempt_line(a)}")
        if result.url:
            via = result.winner.kind if result.winner else "?"
            typer.echo(f"found: {result.url} (via {via}, {result.seconds:.2f}s)")
        else:
            typer.echo(f"not found: {result.reason}")
    raise typer.Exit(0 if result.found else 1)


def email_target(
    email: str,
    conn: Connection,
    auth: Auth | None,
    state: MetaValues,
    log: Callable[[str], None] | None = None,
) -> tuple[str, Callable[[], str | None] | None]:
    """The URL for ``email`` for the client commands: the one saved in ``state`` by an earlier
    discovery, else a fresh discovery (saved). With a saved URL, also the re-discovery to run
    when it fails (network error, 451): a URL found just now is not looked for again."""
    options = discovery_options(
        auth=auth,
        ca_file=str(conn.ca_file) if conn.ca_file else None,
        insecure=conn.insecure,
        dns_server=conn.dns_server,
        connect_to=conn.connect_to,
    )

    def run() -> str | None:
        result = discover(
            email, options, on_attempt=(lambda a: log(attempt_line(a))) if log else None
        )
        if result.url is not None:
            remember(state, email, result.url)
            if log:
                log(f"autodiscover: {email} → {result.url}")
        elif log:
            log(not_found_line(result))
        return result.url

    saved = recall(state, email)
    if saved:
        if log:
            log(f"autodiscover: using the saved URL {saved} for {email}")
        return saved, run
    result = discover(email, options, on_attempt=(lambda a: log(attempt_line(a))) if log else None)
    if result.url is None:
        raise CliError(not_found_line(result))
    remember(state, email, result.url)
    if log:
        log(f"autodiscover: {email} → {result.url}")
    return result.url, None
