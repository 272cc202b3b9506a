"""`eas matrix URL`: the flow once per protocol version, as a capability matrix."""

from __future__ import annotations

from typing import Annotated

import typer

from easclient.cli import fail
from easclient.cli._auth import SignIn, make_credential, sign_in_options
from easclient.cli._common import (
    CaFileOpt,
    InsecureOpt,
    JsonOpt,
    PasswordEnvOpt,
    ProfileOpt,
    UserOpt,
    VerboseOpt,
    read_password,
)
from easclient.cli.groups import diagnose_app
from easclient.errors import EasError


@diagnose_app.command("matrix")
@sign_in_options
def matrix_cmd(
    url: Annotated[
        str,
        typer.Argument(
            help="the ActiveSync endpoint, e.g. https://mail.example.com or "
            "http://127.0.0.1:20000/SOGo/Microsoft-Server-ActiveSync"
        ),
    ],
    user: UserOpt = None,
    password_env: PasswordEnvOpt = None,
    profile: ProfileOpt = "iphone",
    all_versions: Annotated[
        bool,
        typer.Option("--all-versions", help="also the versions the server does not advertise"),
    ] = False,
    version: Annotated[
        list[str] | None,
        typer.Option("--version", "--protocol", help="run only this protocol version (repeatable)"),
    ] = None,
    heartbeat: Annotated[
        int, typer.Option("--heartbeat", help="Ping heartbeat expected to expire (seconds)")
    ] = 5,
    long_heartbeat: Annotated[
        int | None,
        typer.Option(
            "--long-heartbeat",
            help="also Ping with this heartbeat, to find the server's maximum (a server that "
            "accepts it holds the request that long)",
        ),
    ] = None,
    no_probes: Annotated[
        bool, typer.Option("--no-probes", help="skip the deviation probes")
    ] = False,
    ca_file: CaFileOpt = None,
    insecure: InsecureOpt = False,
    as_json: JsonOpt = False,
    verbose: VerboseOpt = False,
    sign_in: SignIn | None = None,
) -> None:
    """Run the flow at each protocol version: status and time per command, and deviations.

    Deviations are where the server departs from MS-ASCMD / MS-ASHTTP."""
    from easclient.matrix import MatrixConfig, render_json, render_table, run_matrix

    if not user:
        raise fail("--user is required")
    for name, value in (("--heartbeat", heartbeat), ("--long-heartbeat", long_heartbeat)):
        if value is not None and value < 1:
            raise fail(f"{name} must be at least 1 s, got {value}")
    if ca_file is not None and not ca_file.is_file():
        raise fail(f"--ca-file {ca_file}: no such file")
    if insecure:
        typer.echo(
            "eas: WARNING: --insecure: TLS certificates are NOT verified; anyone on the path "
            "can read and change this traffic, including the password.",
            err=True,
        )
    sign_in = sign_in or SignIn()
    try:
        client_cert, client_key = sign_in.cert_paths()
        credential = None
        password = ""
        if (sign_in.needs_password and sign_in.method.value == "basic") or (
            sign_in.method.value == "certificate"  # the matrix signs in: Basic as well
        ):
            password = read_password(user, password_env)
        else:
            credential, _ = make_credential(sign_in, user, password_env, host=url)
        if credential is not None and not no_probes:
            typer.echo(
                "eas: the deviation probes test Basic sign-in; left out for --auth "
                f"{sign_in.method.value}",
                err=True,
            )
        config = MatrixConfig(
            url=url,
            user=user,
            password=password,
            profile=profile,
            versions=tuple(version) if version else None,
            all_versions=all_versions,
            heartbeat=heartbeat,
            long_heartbeat=long_heartbeat,
            verify=not insecure,
            ca_file=str(ca_file) if ca_file else None,
            deviations=not no_probes and credential is None,
            credential=credential,
            client_cert=client_cert,
            client_key=client_key,
            proxy=sign_in.proxy,
            log=(lambda m: typer.echo(f"eas: {m}", err=True)) if verbose else None,
        )
        report = run_matrix(config)
    except EasError as exc:
        raise fail(str(exc)) from None
    if as_json:
        typer.echo(render_json(report))
    else:
        typer.echo(render_table(report), nl=False)
