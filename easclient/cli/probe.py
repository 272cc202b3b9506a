"""`eas heartbeat-probe URL`: the longest Ping heartbeat the path to the server keeps alive."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from easclient.check import CheckOptions, parse_target
from easclient.cli import fail
from easclient.cli._auth import SignIn, sign_in_options
from easclient.cli.check import (
    CaFileOption,
    PasswordEnvOption,
    ProfileOption,
    apply_sign_in,
    ca_file_option,
)
from easclient.cli.groups import diagnose_app
from easclient.client import get_profile


@sign_in_options
def heartbeat_probe(
    url: Annotated[str, typer.Argument(help="The server, e.g. https://mail.example.com.")],
    user: Annotated[str, typer.Option("--user", "-u", help="Account to sign in as.")],
    password_env: PasswordEnvOption = None,
    ca_file: CaFileOption = None,
    insecure: Annotated[
        bool, typer.Option(help="INSECURE: do not verify the server's certificate.")
    ] = False,
    resolve: Annotated[
        list[str] | None,
        typer.Option(help="HOST:ADDR: connect to ADDR for HOST (a device's cached DNS)."),
    ] = None,
    min_heartbeat: Annotated[
        int, typer.Option("--min", min=1, help="Shortest heartbeat to try, seconds.")
    ] = 60,
    max_heartbeat: Annotated[
        int, typer.Option("--max", min=1, help="Longest heartbeat to try, seconds.")
    ] = 1800,
    lanes: Annotated[
        int, typer.Option(min=1, max=32, help="Parallel Pings in the first round.")
    ] = 6,
    budget: Annotated[float, typer.Option(min=1, help="Time limit, seconds.")] = 3600,
    margin: Annotated[
        float, typer.Option(min=0.5, help="Wait beyond the heartbeat before calling it lost.")
    ] = 5.0,
    profile: ProfileOption = "iphone",
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    sign_in: SignIn | None = None,
) -> None:
    """Find the longest Ping heartbeat that survives the path: parallel Pings, then bisection."""
    from easclient.check.probe_step import run_probe
    from easclient.check.session import protocol_version

    if max_heartbeat < min_heartbeat:
        raise fail(f"--max {max_heartbeat} is below --min {min_heartbeat}")
    target = parse_target(url, resolve)
    options = CheckOptions(
        user=user,
        ca_file=ca_file_option(ca_file),
        insecure=insecure,
        profile=get_profile(profile).name,
        ping_margin=margin,
        probe_min=min_heartbeat,
        probe_max=max_heartbeat,
        probe_lanes=lanes,
        probe_budget=budget,
    )
    apply_sign_in(options, sign_in, user, password_env, target.host)
    result = run_probe(target, options, protocol_version(target, options))
    if as_json:
        doc = {"target": target.url, **result.to_dict()}
        typer.echo(json.dumps(doc, indent=2))
    else:
        typer.echo(result.summary())
        for sample in result.samples:
            typer.echo(
                f"  heartbeat {sample.heartbeat:>5} s: {sample.outcome.value} after "
                f"{sample.seconds:.1f} s"
            )
        for heartbeat in result.abandoned:
            typer.echo(f"  heartbeat {heartbeat:>5} s: not waited for (above a lost heartbeat)")
        for line in result.advice():
            typer.echo(f"- {line}")
        typer.echo(f"probe took {result.seconds:.0f} s")
    raise typer.Exit(1 if result.error else 0)


diagnose_app.command("heartbeat-probe")(heartbeat_probe)
