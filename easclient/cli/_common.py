"""What the client commands share: connection options, credentials, and opening a device.

Passwords never come from the command line: ``--password-env VAR`` names a variable, else
``EAS_PASSWORD`` is used, else the password is prompted for (only on a terminal). Bearer tokens
likewise come from ``--token-env VAR``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from easclient.client import (
    DeviceState,
    EasClient,
    ResponseLimits,
    default_state_path,
    get_profile,
    make_strategy,
    parse_size,
)
from easclient.client.connect import default_device_id
from easclient.client.discover import RediscoveringTransport, is_email
from easclient.errors import EasError
from easclient.protocol import ALL_VERSIONS
from easclient.protocol.autodiscover import domain_of
from easclient.url import resolve_target

if TYPE_CHECKING:
    from ._auth import SignIn


class CliError(EasError):
    """A bad command-line value; printed as one line."""


# -- options shared by `eas options`, `eas sync`, `eas ping` (typer Annotated aliases) ---------
UrlArg = Annotated[
    str,
    typer.Argument(
        help="server, e.g. https://mail.example.com; a path names a non-standard endpoint "
        "(http://host/SOGo/Microsoft-Server-ActiveSync); or an e-mail address, found by "
        "Autodiscover"
    ),
]
UserOpt = Annotated[
    str | None, typer.Option("--user", "-u", help="user name (DOMAIN\\user or UPN)")
]
PasswordEnvOpt = Annotated[
    str | None,
    typer.Option("--password-env", help="read the password from this environment variable"),
]
TokenEnvOpt = Annotated[
    str | None,
    typer.Option("--token-env", help="use a bearer token from this environment variable"),
]
ProfileOpt = Annotated[
    str, typer.Option("--profile", help="iphone|android|android-ics|outlook|windows-mobile")
]
ProtocolOpt = Annotated[
    str | None, typer.Option("--protocol", help="force a protocol version (else from OPTIONS)")
]
Base64Opt = Annotated[
    bool | None,
    typer.Option("--base64-query/--plain-query", help="query form (default: the profile's)"),
]
StateOpt = Annotated[
    Path | None,
    typer.Option(
        "--state",
        help="state file (default: ~/.local/state/easclient/USER@HOST-DEVICEID.sqlite3, or "
        "under $XDG_STATE_HOME)",
    ),
]
DeviceIdOpt = Annotated[
    str | None, typer.Option("--device-id", help="DeviceId (default: stable per user and host)")
]
CaFileOpt = Annotated[
    Path | None, typer.Option("--ca-file", help="trust this CA bundle (PEM) for TLS")
]
InsecureOpt = Annotated[
    bool, typer.Option("--insecure", help="do NOT verify TLS certificates (testing only)")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="one JSON object on stdout")]
CaptureOpt = Annotated[
    Path | None,
    typer.Option("--capture", help="append every exchange to FILE as JSON lines (redacted)"),
]
DnsServerOpt = Annotated[
    str | None,
    typer.Option(
        "--dns-server", help="HOST[:PORT]: nameserver for Autodiscover (with an e-mail address)"
    ),
]
ConnectToOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--connect-to",
        help="HOST1:PORT1:HOST2:PORT2 as curl, for Autodiscover (with an e-mail address)",
    ),
]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="say what happens on stderr")]
KeepaliveOpt = Annotated[
    int | None, typer.Option("--tcp-keepalive", help="TCP keepalive idle seconds (default off)")
]

# The client's bounds on an answer (README "Limits").
MaxResponseSizeOpt = Annotated[
    str | None,
    typer.Option(
        "--max-response-size",
        help="largest answer accepted from the server, e.g. 512K, 64M, 1G (default: per "
        "command, 64M for Sync and FolderSync, 256M for ItemOperations, 64K for Ping)",
    ),
]
DeadlineOpt = Annotated[
    float | None,
    typer.Option(
        "--deadline",
        min=0.001,
        help="seconds a whole answer may take to arrive (default 300; a Ping's is its "
        "heartbeat + margin)",
    ),
]
MaxWaitOpt = Annotated[
    float | None,
    typer.Option(
        "--max-wait",
        min=0,
        help="most seconds to spend waiting on HTTP 503 back-offs in all (default: up to 3 "
        "waits of at most 60 s)",
    ),
]


def response_limits(max_response_size: str | None, deadline: float | None) -> ResponseLimits:
    """``--max-response-size`` and ``--deadline`` as the transport's limits."""
    try:
        size = None if max_response_size is None else parse_size(max_response_size)
    except EasError as exc:
        raise CliError(f"--max-response-size: {exc}") from None
    if deadline is None:
        return ResponseLimits(max_size=size)
    return ResponseLimits(max_size=size, deadline=deadline)


@dataclass
class Connection:
    url: str
    user: str | None
    password_env: str | None = None
    token_env: str | None = None
    profile: str = "iphone"
    protocol: str | None = None
    base64_query: bool | None = None
    state: Path | None = None
    device_id: str | None = None
    ca_file: Path | None = None
    insecure: bool = False
    capture: Path | None = None
    verbose: bool = False
    tcp_keepalive: int | None = None
    need_credentials: bool = True
    #: with an e-mail address for ``url``: Autodiscover's nameserver and connection mapping
    dns_server: str | None = None
    connect_to: list[str] | None = None
    max_response_size: str | None = None
    deadline: float | None = None
    max_wait: float | None = None
    #: --auth and its settings, --client-cert, --proxy (see :mod:`easclient.cli._auth`)
    sign_in: SignIn | None = None


def read_password(user: str, password_env: str | None) -> str:
    """--password-env VAR, else EAS_PASSWORD, else a prompt on a terminal."""
    if password_env:
        value = os.environ.get(password_env)
        if value is None:
            raise CliError(f"--password-env {password_env}: that variable is not set")
        if not value:  # e.g. VAR=$(cat missing-file): say so instead of sending no password
            raise CliError(f"--password-env {password_env}: that variable is empty")
        return value
    value = os.environ.get("EAS_PASSWORD")
    if value == "":
        raise CliError("EAS_PASSWORD is set but empty")
    if value is not None:
        return value
    if sys.stdin.isatty():
        return typer.prompt(f"password for {user}", hide_input=True)
    raise CliError("no password: set EAS_PASSWORD, use --password-env VAR, or run on a terminal")


def _log(verbose: bool):
    if not verbose:
        return None
    return lambda message: typer.echo(f"eas: {message}", err=True)


@contextmanager
def open_client(conn: Connection, *, heartbeat_initial: int | None = None) -> Iterator[EasClient]:
    """A ready :class:`EasClient` for ``conn`` (through :meth:`EasClient.connect`), and
    everything closed afterwards.

    An e-mail address for ``conn.url`` is found by Autodiscover (the URL cached in the state,
    and found again when it stops working)."""
    email = conn.url.strip() if is_email(conn.url) else None
    host = domain_of(email) if email is not None else resolve_target(conn.url).host
    profile = get_profile(conn.profile)
    limits = response_limits(conn.max_response_size, conn.deadline)
    if conn.protocol is not None and conn.protocol not in ALL_VERSIONS:
        raise CliError(f"--protocol {conn.protocol!r}: choose one of {', '.join(ALL_VERSIONS)}")
    from ._auth import SignIn, make_credential, token_cache_beside

    sign_in = conn.sign_in or SignIn()
    if conn.token_env and not sign_in.token_env:
        sign_in.token_env = conn.token_env
    if conn.need_credentials and not conn.user and sign_in.needs_password:
        raise CliError("--user is required")
    user = conn.user or "anonymous"
    device_id = conn.device_id or default_device_id(profile, user, host)
    state_path = conn.state or default_state_path(user, host, device_id)
    client_cert, client_key = sign_in.cert_paths()
    # Every secret of the credential reaches the capture through auth.secrets() (the transport
    # adds them), also the tokens a refreshing credential fetches later.
    auth, _known = make_credential(
        sign_in,
        conn.user,
        conn.password_env,
        host=host,
        token_cache=None if str(state_path) == ":memory:" else token_cache_beside(state_path),
        need_credentials=conn.need_credentials,
        log=_log(True),
        ca_file=str(conn.ca_file) if conn.ca_file else None,
    )
    if conn.insecure:
        typer.echo(
            "eas: WARNING: --insecure: TLS certificates are NOT verified; anyone on the path can "
            "read and change this traffic, including the password.",
            err=True,
        )
    if conn.ca_file is not None and not conn.ca_file.is_file():
        raise CliError(f"--ca-file {conn.ca_file}: no such file")
    with ExitStack() as stack:
        state = stack.enter_context(DeviceState(state_path))
        url, rediscover = conn.url, None
        if email is not None:
            from easclient.cli.discover import email_target

            url, rediscover = email_target(email, conn, auth, state, _log(conn.verbose))
        client = stack.enter_context(
            EasClient.connect(
                url,
                auth=auth,
                user=user,
                profile=profile,
                state=state,
                ca_file=conn.ca_file,
                verify=not conn.insecure,
                device_id=device_id,
                protocol=conn.protocol,
                capture=conn.capture,
                tcp_keepalive=conn.tcp_keepalive,
                base64_query=conn.base64_query,
                heartbeat=make_strategy(profile.heartbeat, heartbeat_initial),
                log=_log(conn.verbose),
                limits=limits,
                max_wait=conn.max_wait,
                warn=lambda message: typer.echo(f"eas: {message}", err=True),
                proxy=sign_in.proxy,
                client_cert=client_cert,
                client_key=client_key,
            )
        )
        if rediscover is not None:
            client.transport = RediscoveringTransport(client.transport, rediscover)
        yield client
