"""`eas check [URL]`: the through-the-firewall report (DNS, TCP, TLS, then EAS itself).

With no URL it is the project's demonstration: a mock server behind a userspace NAT whose idle
timeout is shorter than the Ping heartbeat, checked end to end, NAT finding included.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from easclient.check import (
    CheckOptions,
    Report,
    parse_target,
    render_table,
    to_json,
    to_junit,
)
from easclient.cli import fail
from easclient.cli._auth import SignIn, make_credential, sign_in_options
from easclient.cli._common import (
    CliError,
    DeadlineOpt,
    MaxResponseSizeOpt,
    MaxWaitOpt,
    read_password,
    response_limits,
)
from easclient.cli.discover import ConnectToOpt, DnsServerOpt, discovery_options
from easclient.cli.groups import diagnose_app
from easclient.client import PROFILES, BasicAuth, get_profile
from easclient.client.discover import is_email
from easclient.errors import EasError
from easclient.protocol.autodiscover import domain_of

# Options `eas check` shares with `eas heartbeat-probe` (typer Annotated aliases).
PasswordEnvOption = Annotated[
    str | None,
    typer.Option(
        "--password-env",
        help="Name of an environment variable holding the password (default: "
        "EAS_PASSWORD, else a prompt).",
    ),
]
CaFileOption = Annotated[
    Path | None,
    typer.Option("--ca-file", help="Trust this CA (PEM) instead of the system store."),
]
ProfileOption = Annotated[
    str, typer.Option("--profile", help="Device to act as: " + ", ".join(PROFILES) + ".")
]


def ca_file_option(ca_file: Path | None) -> str | None:
    """``--ca-file``: a readable PEM bundle, or one clear line and exit 2."""
    if ca_file is None:
        return None
    try:
        ssl.create_default_context(cafile=str(ca_file))
    except FileNotFoundError:
        raise fail(f"--ca-file {ca_file}: no such file") from None
    except (OSError, ssl.SSLError) as exc:
        raise fail(f"--ca-file {ca_file}: not a PEM CA bundle ({exc})") from None
    return str(ca_file)


def password_from(user: str | None, password_env: str | None) -> str | None:
    """From ``--password-env VAR``, else EAS_PASSWORD, else a prompt (never the command line):
    the same rules as the client commands."""
    if user is None:
        return None
    try:
        return read_password(user, password_env)
    except CliError as exc:
        raise fail(str(exc)) from None


def apply_sign_in(
    options: CheckOptions,
    sign_in: SignIn | None,
    user: str | None,
    password_env: str | None,
    host: str,
) -> None:
    """Put --auth and its company (client certificate, proxy, token, OAuth) into ``options``;
    Basic keeps the password in ``options.password`` as before."""
    if sign_in is None:
        options.password = password_from(user, password_env)
        return
    try:
        options.client_cert, options.client_key = sign_in.cert_paths()
        options.proxy = sign_in.proxy
        if sign_in.needs_password:
            options.password = password_from(user, password_env)
        if sign_in.method.value != "basic" or sign_in.token_env or sign_in.token_command:
            options.credential, _ = make_credential(
                sign_in,
                user,
                password_env,
                host=host,
                need_credentials=user is not None or sign_in.method.value != "basic",
                log=lambda line: typer.echo(f"eas: {line}", err=True),
                ca_file=options.ca_file,
            )
    except EasError as exc:
        raise fail(str(exc)) from None


def _emit(report: Report, as_json: bool, junit: Path | None) -> None:
    if junit is not None:
        try:
            junit.write_text(to_junit(report), encoding="utf-8")
        except OSError as exc:
            raise fail(f"cannot write --junit {junit}: {exc.strerror or exc}") from None
    if as_json:
        typer.echo(to_json(report))
    else:
        render_table(report, Console(highlight=False, soft_wrap=False))


@sign_in_options
def check(
    url: Annotated[
        str | None,
        typer.Argument(
            help="The server, e.g. https://mail.example.com (the EAS path is implied), or an "
            "e-mail address (found by Autodiscover first). Without it: the demonstration "
            "against a mock server behind a simulated NAT."
        ),
    ] = None,
    user: Annotated[str | None, typer.Option("--user", "-u", help="Account to sign in as.")] = None,
    password_env: PasswordEnvOption = None,
    ca_file: CaFileOption = None,
    insecure: Annotated[
        bool,
        typer.Option(
            help="INSECURE: do not require a trusted, matching certificate "
            "(the findings are still reported)."
        ),
    ] = False,
    resolve: Annotated[
        list[str] | None,
        typer.Option(
            help="HOST:ADDR: connect to ADDR for HOST (a device's cached DNS); "
            "SNI and Host still name HOST."
        ),
    ] = None,
    profile: ProfileOption = "iphone",
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    junit: Annotated[Path | None, typer.Option(help="Also write JUnit XML to this file.")] = None,
    ping_heartbeat: Annotated[
        int,
        typer.Option(
            min=1,
            help="Heartbeat of the short Ping, seconds. A server that answers Status 5 (out of "
            "its bounds) is followed to its bound, up to --ping-follow-max.",
        ),
    ] = 5,
    ping_follow_max: Annotated[
        int, typer.Option(min=1, help="Longest server bound the Ping follows, seconds.")
    ] = 120,
    probe_heartbeat: Annotated[
        bool, typer.Option(help="Also probe the longest heartbeat the path keeps alive.")
    ] = False,
    probe_min: Annotated[int, typer.Option(min=1, help="Shortest heartbeat to probe.")] = 60,
    probe_max: Annotated[int, typer.Option(min=1, help="Longest heartbeat to probe.")] = 1800,
    probe_budget: Annotated[
        float, typer.Option(min=1, help="Time limit for the probe, seconds.")
    ] = 3600,
    timeout: Annotated[
        float, typer.Option(min=0.1, help="Connect timeout per attempt, seconds.")
    ] = 5.0,
    dns_server: DnsServerOpt = None,
    connect_to: ConnectToOpt = None,
    max_response_size: MaxResponseSizeOpt = None,
    deadline: DeadlineOpt = None,
    max_wait: MaxWaitOpt = None,
    sign_in: SignIn | None = None,
) -> None:
    """Check a server the way a device reaches it, and say what is wrong and how to fix it."""
    from easclient.check.demo import demonstration_held, run_demo
    from easclient.check.session import check_url

    if probe_max < probe_min:
        raise fail(f"--probe-max {probe_max} is below --probe-min {probe_min}")
    try:
        limits = response_limits(max_response_size, deadline)
    except CliError as exc:
        raise fail(str(exc)) from None
    options = CheckOptions(
        user=user,
        ca_file=ca_file_option(ca_file),
        insecure=insecure,
        profile=get_profile(profile).name,
        connect_timeout=timeout,
        ping_heartbeat=ping_heartbeat,
        ping_follow_max=ping_follow_max,
        probe_heartbeat=probe_heartbeat,
        probe_min=probe_min,
        probe_max=probe_max,
        probe_budget=probe_budget,
        max_response_size=limits.max_size,
        response_deadline=limits.deadline,
        max_wait=max_wait,
    )
    if url is None:
        if user or resolve or ca_file or dns_server or connect_to:
            raise fail(
                "--user, --resolve, --ca-file, --dns-server and --connect-to need a URL or an "
                "address (the demonstration makes its own)"
            )
        report = run_demo(options)
        _emit(report, as_json, junit)
        held, line = demonstration_held(report)
        typer.echo(line, err=as_json)
        raise typer.Exit(0 if held else 1)
    found: Report | None = None
    if is_email(url):
        # Autodiscover first (its steps lead the report), then the check of the URL it found.
        apply_sign_in(options, sign_in, user, password_env, domain_of(url.strip()))
        found_url, found = _discover_for_check(url, options, insecure, dns_server, connect_to)
        if found_url is None:
            _emit(found, as_json, junit)
            raise typer.Exit(found.exit_code)
        target = parse_target(found_url, resolve)
    elif dns_server or connect_to:
        raise fail("--dns-server and --connect-to are for an e-mail address (Autodiscover)")
    else:
        target = parse_target(url, resolve)
        apply_sign_in(options, sign_in, user, password_env, target.host)
    report = check_url(target, options, report=found)
    _emit(report, as_json, junit)
    raise typer.Exit(report.exit_code)


def _discover_for_check(
    email: str,
    options: CheckOptions,
    insecure: bool,
    dns_server: str | None,
    connect_to: list[str] | None,
) -> tuple[str | None, Report]:
    from easclient.check.discovery import autodiscover_steps
    from easclient.client.discover import discover

    auth = options.credential
    if auth is None and options.user:
        auth = BasicAuth(options.user, options.password or "")
    try:
        dopts = discovery_options(
            auth=auth,
            ca_file=options.ca_file,
            insecure=insecure,
            dns_server=dns_server,
            connect_to=connect_to,
            timeout=options.connect_timeout,
        )
        result = discover(email, dopts)
    except EasError as exc:
        raise fail(str(exc)) from None
    report = Report(target=email if result.url is None else f"{email} → {result.url}")
    for step in autodiscover_steps(result):
        report.add(step)
    report.seconds = result.seconds
    return result.url, report


diagnose_app.command("check", rich_help_panel="Diagnose")(check)
