"""`eas load`: a fleet of simulated devices (locust, headless, bounded in time) against a server
or, with no --host, against a mock server started for the run (and a NAT proxy when asked)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from easclient.cli.groups import load_app
from easclient.load.scenario import scenario_names

#: Default --min-ready: the share (%) of started devices that must get through their first sync.
MIN_READY = 99.0


def run_problem(
    summary: dict, locust_exit: int, log: Path | None, min_ready: float = MIN_READY
) -> str | None:
    """Why a finished run failed its criteria (exit 1), or None: locust failed, no device got
    ready, or fewer than ``min_ready`` % of the started devices did (a fleet the server could
    not take measures the server's collapse, not the steady state asked for). Request errors
    alone are not a problem: scenarios provoke them (NAT losses, throttling)."""
    if locust_exit != 0:
        return f"locust exited with code {locust_exit} (devices crashed); see {log}"
    ready = int(summary.get("devices_ready") or 0)
    if not ready:
        return f"no device got through its first sync; see the errors above and {log}"
    started = int(summary.get("devices_started") or 0)
    if started and ready * 100.0 < min_ready * started:
        return (
            f"only {ready} of {started} started devices got through their first sync "
            f"({100.0 * ready / started:.1f} % < --min-ready {min_ready:g} %); see the ramp "
            f"and errors above and {log}"
        )
    return None


@load_app.command("load")
def load(
    scenario: Annotated[
        str, typer.Option("--scenario", help="|".join(scenario_names()))
    ] = "direct-push",
    devices: Annotated[int, typer.Option("--devices", help="simulated devices")] = 10,
    spawn_rate: Annotated[
        float, typer.Option("--spawn-rate", help="devices started per second")
    ] = 10.0,
    duration: Annotated[str, typer.Option("--duration", help="90, 90s, 5m, 1h")] = "60s",
    host: Annotated[
        str | None, typer.Option("--host", help="server URL (default: start a mock server)")
    ] = None,
    users_csv: Annotated[
        Path | None,
        typer.Option("--users-csv", help="user,password[,device_id] lines (with --host)"),
    ] = None,
    nat: Annotated[
        bool, typer.Option("--nat", help="put the NAT proxy in front of the server")
    ] = False,
    nat_idle_timeout: Annotated[
        float | None, typer.Option("--nat-idle-timeout", help="NAT idle timeout, s (scaled)")
    ] = None,
    nat_on_idle: Annotated[
        str | None, typer.Option("--nat-on-idle", help="drop|reset|close|kernel")
    ] = None,
    nat_change_address_every: Annotated[
        float | None,
        typer.Option("--nat-change-address-every", help="change the public address every S s"),
    ] = None,
    nat_change_address_at: Annotated[
        list[float] | None,
        typer.Option(
            "--nat-change-address-at", help="…and/or S s after the first connection (repeat)"
        ),
    ] = None,
    heartbeat_scale: Annotated[
        float | None,
        typer.Option(
            "--heartbeat-scale",
            help="multiply heartbeats and NAT timeouts (default: the scenario's on the mock, "
            "1 against --host)",
        ),
    ] = None,
    delivery_rate: Annotated[
        float | None,
        typer.Option("--delivery-rate", help="deliveries per device per minute (mock)"),
    ] = None,
    delivery_via: Annotated[
        str,
        typer.Option(
            "--delivery-via",
            help="auto|control|sendmail: the mock's control API, or SendMail from a second "
            "device (auto: control API on the mock, SendMail against --host)",
        ),
    ] = "auto",
    mail_domain: Annotated[
        str | None,
        typer.Option("--mail-domain", help="mail domain of users named without one"),
    ] = None,
    processes: Annotated[
        int, typer.Option("--processes", help="locust worker processes on this machine")
    ] = 1,
    out: Annotated[
        Path | None, typer.Option("--out", help="report directory (default: ./eas-load-…)")
    ] = None,
    ca_file: Annotated[
        Path | None, typer.Option("--ca-file", help="trust this CA bundle (PEM) for TLS")
    ] = None,
    insecure: Annotated[
        bool, typer.Option("--insecure", help="do NOT verify TLS certificates (testing only)")
    ] = False,
    tcp_keepalive: Annotated[
        int | None, typer.Option("--tcp-keepalive", help="TCP keepalive idle seconds")
    ] = None,
    source_addresses: Annotated[
        str | None,
        typer.Option(
            "--source-addresses",
            help="local addresses the devices take in turn, e.g. 127.0.0.2,127.0.0.3 "
            "(~28k connections each to one server port)",
        ),
    ] = None,
    mock_tls: Annotated[
        bool, typer.Option("--mock-tls", help="the mock serves HTTPS (test CA)")
    ] = False,
    master: Annotated[
        bool,
        typer.Option(
            "--master",
            help="run no devices here: wait for --expect-workers eas load --worker processes",
        ),
    ] = False,
    expect_workers: Annotated[
        int, typer.Option("--expect-workers", help="workers the master waits for")
    ] = 1,
    master_bind_port: Annotated[
        int, typer.Option("--master-bind-port", help="port the master listens on")
    ] = 5557,
    worker: Annotated[
        bool,
        typer.Option("--worker", help="be a worker of the eas load --master at --master-host"),
    ] = False,
    master_host: Annotated[
        str, typer.Option("--master-host", help="the master's host (with --worker)")
    ] = "",
    master_port: Annotated[
        int, typer.Option("--master-port", help="the master's port (with --worker)")
    ] = 5557,
    min_ready: Annotated[
        float,
        typer.Option(
            "--min-ready",
            help="exit 1 unless this % of the started devices got through their first "
            "sync (0-100)",
        ),
    ] = MIN_READY,
    locustfile: Annotated[
        bool,
        typer.Option(
            "--locustfile",
            help="print the installed locustfile's path (for locust -f) and exit",
        ),
    ] = False,
) -> None:
    """Run a load scenario headless; write locust's CSV/HTML, summary.json and summary.png."""
    from easclient.load.report import render
    from easclient.load.runner import (
        LoadOptions,
        locustfile_path,
        parse_duration,
        run_load,
        run_worker,
    )

    if locustfile:
        typer.echo(str(locustfile_path()))
        return
    if worker:
        raise typer.Exit(run_worker(master_host, master_port))
    if not 0 <= min_ready <= 100:
        typer.echo(f"eas: error: --min-ready must be within 0..100, got {min_ready:g}", err=True)
        raise typer.Exit(2)

    if insecure:
        typer.echo("eas: WARNING: --insecure: TLS certificates are NOT verified", err=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    opts = LoadOptions(
        scenario=scenario,
        devices=devices,
        spawn_rate=spawn_rate,
        duration=parse_duration(duration),
        out_dir=out or Path(f"eas-load-{scenario}-{stamp}"),
        host=host,
        users_csv=users_csv,
        nat=nat,
        nat_idle_timeout=nat_idle_timeout,
        nat_on_idle=nat_on_idle,
        nat_change_address_every=nat_change_address_every,
        nat_change_address_at=tuple(nat_change_address_at or ()),
        heartbeat_scale=heartbeat_scale,
        delivery_rate=delivery_rate,
        delivery_via=delivery_via,
        mail_domain=mail_domain,
        ca_file=ca_file,
        insecure=insecure,
        tcp_keepalive=tcp_keepalive,
        processes=processes,
        mock_tls=mock_tls,
        source_addresses=source_addresses,
        expect_workers=expect_workers if master else 0,
        master_bind_port=master_bind_port,
    )
    result = run_load(opts, log=lambda m: typer.echo(f"eas: {m}", err=True))
    render(result.summary)
    for name, path in result.files.items():
        if path.exists():
            typer.echo(f"{name}: {path}")
    problem = run_problem(result.summary, result.locust_exit, result.files.get("log"), min_ready)
    if problem:
        typer.echo(f"eas: error: {problem}", err=True)
        raise typer.Exit(1)
