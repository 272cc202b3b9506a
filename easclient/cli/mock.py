"""`eas mock-server`: run the mock EAS server until SIGINT/SIGTERM.

When it is ready it prints one line of JSON on stdout — url, control_token, users (with their
passwords: it is a mock) and ca_file with --tls — so scripts can read it.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

from easclient.cli import fail
from easclient.cli.groups import load_app
from easclient.mock import (
    PERSONALITIES,
    MockConfig,
    MockConfigError,
    MockServer,
    generate_users,
    parse_quirks,
    parse_users,
)
from easclient.mock.config import DEFAULT_VERSIONS
from easclient.mock.faults import FaultError

_LOG_LEVELS = ("debug", "info", "warning", "error", "critical")


@load_app.command("mock-server")
def mock_server(
    host: Annotated[str, typer.Option("--host", help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="port (0: any free one)")] = 0,
    users: Annotated[
        str | None, typer.Option("--users", help="user:password[,user:password…]")
    ] = None,
    user_count: Annotated[
        int | None, typer.Option("--user-count", help="generate N users instead")
    ] = None,
    personality: Annotated[
        str, typer.Option("--personality", help="|".join(sorted(PERSONALITIES)))
    ] = "exchange",
    quirks: Annotated[
        str | None,
        typer.Option(
            "--quirks",
            help="server quirks to show instead of the personality's (comma-separated, or 'none')",
        ),
    ] = None,
    heartbeat_min: Annotated[
        int | None, typer.Option("--heartbeat-min", min=0, help="Ping minimum, s (0: none)")
    ] = None,
    heartbeat_max: Annotated[
        int | None, typer.Option("--heartbeat-max", min=0, help="Ping maximum, s (0: none)")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="seed for users and mail")] = 0,
    messages_per_folder: Annotated[
        int, typer.Option("--messages-per-folder", help="generated mails in the Inbox")
    ] = 20,
    versions: Annotated[
        str, typer.Option("--versions", help="protocol versions offered")
    ] = ",".join(DEFAULT_VERSIONS),
    no_provisioning: Annotated[
        bool, typer.Option("--no-provisioning", help="do not require Provision")
    ] = False,
    provision_status_codes: Annotated[
        bool,
        typer.Option("--provision-status-codes", help="142/144 in the body (14.0+) instead of 449"),
    ] = False,
    faults: Annotated[
        Path | None, typer.Option("--faults", help="JSON file of fault rules")
    ] = None,
    tls: Annotated[bool, typer.Option("--tls", help="serve HTTPS with a test CA")] = False,
    auth_schemes: Annotated[
        str | None,
        typer.Option(
            "--auth-schemes",
            help="sign-in schemes to offer, comma-separated: basic, bearer, ntlm "
            "(default: the personality's; exchange-online: bearer)",
        ),
    ] = None,
    require_client_cert: Annotated[
        bool,
        typer.Option(
            "--require-client-cert",
            help="mutual TLS: refuse clients without a certificate from the test CA "
            "(one is written, client_cert in the JSON line)",
        ),
    ] = False,
    tls_names: Annotated[
        str | None,
        typer.Option("--tls-names", help="names the certificate is for (comma-separated)"),
    ] = None,
    tls_dir: Annotated[
        Path | None, typer.Option("--tls-dir", help="where to write the CA and certificate")
    ] = None,
    control_token: Annotated[
        str | None, typer.Option("--control-token", help="fixed control token")
    ] = None,
    no_disconnect_watch: Annotated[
        bool,
        typer.Option("--no-disconnect-watch", help="parked Pings do not listen for client close"),
    ] = False,
    header_timeout: Annotated[
        float,
        typer.Option("--header-timeout", help="seconds a request may take to send its headers"),
    ] = 20.0,
    body_timeout: Annotated[
        float,
        typer.Option(
            "--body-timeout", help="seconds a request may take to send its body (after headers)"
        ),
    ] = 60.0,
    max_body_size: Annotated[
        int, typer.Option("--max-body-size", help="largest request body, bytes (413 beyond)")
    ] = 32 * 1024 * 1024,
    max_connections_per_address: Annotated[
        int,
        typer.Option(
            "--max-connections-per-address",
            help="open connections one client address may hold (0: no cap; 503 beyond)",
        ),
    ] = 1000,
    log_level: Annotated[str, typer.Option("--log-level", help="|".join(_LOG_LEVELS))] = "warning",
    autodiscover_domain: Annotated[
        str | None,
        typer.Option(
            "--autodiscover-domain",
            help="domain Autodiscover answers for (default: the users' domain)",
        ),
    ] = None,
    autodiscover_scenario: Annotated[
        str | None,
        typer.Option(
            "--autodiscover-scenario",
            help='Autodiscover answers as JSON, e.g. {"mode": "v2-only"} or '
            '{"redirects": {"a@x": "b@y"}} (see easclient.mock.autodiscover)',
        ),
    ] = None,
) -> None:
    """Run the mock EAS server (Ctrl-C or SIGTERM stops it)."""
    if log_level.lower() not in _LOG_LEVELS:
        raise fail(f"--log-level must be one of {', '.join(_LOG_LEVELS)}, got {log_level!r}")
    logging.basicConfig(level=log_level.upper(), stream=sys.stderr)
    try:
        if users and user_count is not None:
            raise MockConfigError("give --users or --user-count, not both")
        offered = tuple(v.strip() for v in versions.split(",") if v.strip())
        if not offered:
            raise MockConfigError(f"--versions: give at least one of {', '.join(DEFAULT_VERSIONS)}")
        if tls_dir is not None and tls_dir.exists() and not tls_dir.is_dir():
            raise MockConfigError(f"--tls-dir {tls_dir}: not a directory")
        user_list = (
            generate_users(user_count, seed)
            if user_count is not None
            else parse_users(users or "alice:alice-pw,bob:bob-pw")
        )
        config = MockConfig(
            host=host,
            port=port,
            users=tuple(user_list),
            personality=personality,
            heartbeat_min=heartbeat_min,
            heartbeat_max=heartbeat_max,
            versions=offered,
            seed=seed,
            messages_per_folder=messages_per_folder,
            require_provisioning=not no_provisioning,
            provision_status_codes=provision_status_codes,
            control_token=control_token or "",
            faults_file=str(faults) if faults else None,
            tls=tls,
            require_client_cert=require_client_cert,
            auth_schemes=tuple(a.strip() for a in auth_schemes.split(",") if a.strip())
            if auth_schemes
            else None,
            tls_names=tuple(n.strip() for n in (tls_names or "").split(",") if n.strip()),
            tls_dir=str(tls_dir) if tls_dir else None,
            watch_disconnects=not no_disconnect_watch,
            quirks=None if quirks is None else tuple(parse_quirks(quirks)),
            autodiscover_domain=autodiscover_domain or "",
            autodiscover_scenario=autodiscover_scenario or "",
            header_timeout=header_timeout,
            body_timeout=body_timeout,
            max_body_size=max_body_size,
            max_connections_per_address=max_connections_per_address,
        )
        server = MockServer(config)
        server.prepare()
    except (MockConfigError, FaultError, ValueError) as e:
        raise fail(str(e)) from None

    def ready(handle) -> None:
        info = handle.info()
        info["personality"] = personality
        info["quirks"] = sorted(q.value for q in config.effective_personality().quirks)
        sys.stdout.write(json.dumps(info) + "\n")
        sys.stdout.flush()

    server.run(on_ready=ready)
