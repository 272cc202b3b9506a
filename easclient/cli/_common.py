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

import httpx
import typer

from easclient.client import (
    CaptureWriter,
    DeviceState,
    EasClient,
    HttpxTransport,
    default_state_path,
    get_profile,
    make_strategy,
)
from easclient.errors import EasError
from easclient.protocol import ALL_VERSIONS

if TYPE_CHECKING:
    from ._auth import SignIn


class CliError(EasError):
    """A bad command-line value; printed as one line."""


# -- options shared by `eas options`, `eas sync`, `eas ping` (typer Annotated aliases) ---------
UrlArg = Annotated[
    str,
    typer.Argument(
        help="server, e.g. https://mail.example.com; a path names a non-standard endpoint "
        "(http://host/SOGo/Microsoft-Server-ActiveSync)"
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
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="say what happens on stderr")]
KeepaliveOpt = Annotated[
    int | None, typer.Option("--tcp-keepalive", help="TCP keepalive idle seconds (default off)")
]


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
    sign_in: SignIn | None = None


def server_base(url: str) -> tuple[str, str]:
    """(scheme://host[:port][/path], host) from what the user typed; a bare host means https.

    A path names the ActiveSync endpoint when it is not the standard one (SOGo:
    /SOGo/Microsoft-Server-ActiveSync); with none, the client uses the standard path."""
    if "://" not in url:
        url = "https://" + url
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise CliError(f"not a URL: {url!r} ({exc})") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise CliError(f"the server URL must be http(s)://host[:port][/path], got {url!r}")
    if parsed.query or parsed.fragment or "?" in url or "#" in url:
        raise CliError(f"the server URL must not carry a query or fragment, got {url!r}")
    if parsed.port is not None and not 1 <= parsed.port <= 65535:
        # httpx accepts any number here; the socket layer would then try another port.
        raise CliError(f"port out of range in {url!r}")
    port = f":{parsed.port}" if parsed.port else ""
    host = parsed.host if ":" not in parsed.host else f"[{parsed.host}]"
    path = parsed.path.rstrip("/")
    return f"{parsed.scheme}://{host}{port}{path}", parsed.host


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
    """A ready :class:`EasClient` for ``conn``, and everything closed afterwards."""
    base, host = server_base(conn.url)
    profile = get_profile(conn.profile)
    if conn.protocol is not None and conn.protocol not in ALL_VERSIONS:
        raise CliError(f"--protocol {conn.protocol!r}: choose one of {', '.join(ALL_VERSIONS)}")
    from ._auth import SignIn, make_credential, token_cache_beside

    sign_in = conn.sign_in or SignIn()
    if conn.token_env and not sign_in.token_env:
        sign_in.token_env = conn.token_env
    if conn.need_credentials and not conn.user and sign_in.needs_password:
        raise CliError("--user is required")
    user = conn.user or "anonymous"
    device_id = conn.device_id or profile.device_id(f"{user}@{host}")
    state_path = conn.state or default_state_path(user, host, device_id)
    client_cert, client_key = sign_in.cert_paths()
    auth, known = make_credential(
        sign_in,
        conn.user,
        conn.password_env,
        host=host,
        token_cache=None if str(state_path) == ":memory:" else token_cache_beside(state_path),
        need_credentials=conn.need_credentials,
        log=_log(True),
        ca_file=str(conn.ca_file) if conn.ca_file else None,
    )
    secrets: list[str | None] = list(known)
    if conn.insecure:
        typer.echo(
            "eas: WARNING: --insecure: TLS certificates are NOT verified; anyone on the path can "
            "read and change this traffic, including the password.",
            err=True,
        )
    if conn.ca_file is not None and not conn.ca_file.is_file():
        raise CliError(f"--ca-file {conn.ca_file}: no such file")
    with ExitStack() as stack:
        capture = None
        if conn.capture is not None:
            capture = stack.enter_context(
                CaptureWriter(
                    conn.capture,
                    secrets=secrets,
                    device={
                        "user": user,
                        "device_id": device_id,
                        "device_type": profile.device_type,
                        "user_agent": profile.user_agent,
                        "profile": profile.name,
                    },
                )
            )
        transport = stack.enter_context(
            HttpxTransport(
                base,
                auth=auth,
                verify=not conn.insecure,
                ca_file=str(conn.ca_file) if conn.ca_file else None,
                tcp_keepalive=conn.tcp_keepalive,
                capture=capture,
                proxy=sign_in.proxy,
                client_cert=client_cert,
                client_key=client_key,
            )
        )
        state = stack.enter_context(DeviceState(state_path))
        heartbeat = make_strategy(profile.heartbeat, heartbeat_initial)
        yield EasClient(
            transport,
            user=user,
            profile=profile,
            device_id=device_id,
            state=state,
            version=conn.protocol,
            base64_query=conn.base64_query,
            heartbeat=heartbeat,
            log=_log(conn.verbose),
        )
