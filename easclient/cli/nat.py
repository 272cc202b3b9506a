"""`eas nat`: run the userspace NAT/firewall proxy in front of a server until SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
import tempfile
from pathlib import Path
from typing import Annotated, TextIO

import typer

from easclient.cli import fail
from easclient.cli.groups import load_app
from easclient.netsim import (
    ConnectionRecord,
    NatProxy,
    NatProxyConfig,
    NetsimError,
    OnIdle,
    TlsBridge,
)


def parse_hostport(option: str, value: str, *, allow_zero: bool = False) -> tuple[str, int]:
    """``HOST:PORT`` or ``[V6]:PORT`` → (host, port); NetsimError naming the bad value."""
    host, sep, port_text = value.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not sep or not host or not port_text.isdigit():
        raise NetsimError(f"{option} must be HOST:PORT, got {value!r}")
    port = int(port_text)
    if not (0 if allow_zero else 1) <= port <= 65535:
        raise NetsimError(f"{option}: port out of range in {value!r}")
    return host, port


def parse_seconds(option: str, value: str | None) -> float | None:
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        raise NetsimError(f"{option} must be a number of seconds, got {value!r}") from None
    if not seconds > 0:
        raise NetsimError(f"{option} must be positive, got {value!r}")
    return seconds


def parse_on_idle(option: str, value: str) -> OnIdle:
    try:
        return OnIdle(value)
    except ValueError:
        choices = "|".join(m.value for m in OnIdle)
        raise NetsimError(f"{option} must be {choices}, got {value!r}") from None


def _format(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


async def _serve(config: NatProxyConfig, json_log: TextIO | None, ca_out: Path | None) -> None:
    def write_record(record: ConnectionRecord) -> None:
        if json_log is not None:
            json_log.write(record.to_json() + "\n")
            json_log.flush()

    proxy = NatProxy(config, on_record=write_record)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with proxy:
        ready = {
            "listen": _format(config.listen_host, proxy.port),
            "target": _format(config.target_host, config.target_port),
        }
        if proxy.tls_ca_pem is not None and ca_out is not None:
            ca_out.write_bytes(proxy.tls_ca_pem)
            ready["tls_ca"] = str(ca_out)
        print(json.dumps(ready), flush=True)
        await stop.wait()


@load_app.command("nat")
def nat(
    target: Annotated[str, typer.Option("--target", help="HOST:PORT of the server")],
    listen: Annotated[
        str, typer.Option("--listen", help="HOST:PORT to listen on (port 0: any free one)")
    ] = "127.0.0.1:0",
    idle_timeout: Annotated[
        str | None, typer.Option("--idle-timeout", help="seconds without traffic")
    ] = None,
    on_idle: Annotated[str, typer.Option("--on-idle", help="drop|reset|close|kernel")] = "drop",
    max_lifetime: Annotated[
        str | None, typer.Option("--max-lifetime", help="seconds a connection may live")
    ] = None,
    change_address_every: Annotated[
        str | None,
        typer.Option("--change-address-every", help="change the public address every S s"),
    ] = None,
    on_address_change: Annotated[
        str, typer.Option("--on-address-change", help="drop|reset|close|kernel")
    ] = "reset",
    tls_bridge: Annotated[
        bool, typer.Option("--tls-bridge", help="terminate TLS and open a new session")
    ] = False,
    tls_cert: Annotated[
        Path | None, typer.Option("--tls-cert", help="PEM chain shown to clients")
    ] = None,
    tls_key: Annotated[Path | None, typer.Option("--tls-key", help="its key")] = None,
    tls_ca_out: Annotated[
        Path | None,
        typer.Option("--tls-ca-out", help="write the generated CA here (no --tls-cert)"),
    ] = None,
    upstream_ca: Annotated[
        Path | None, typer.Option("--upstream-ca", help="CA file verifying the server")
    ] = None,
    upstream_insecure: Annotated[
        bool, typer.Option("--upstream-insecure", help="do not verify the server")
    ] = False,
    json_log: Annotated[
        Path | None,
        typer.Option("--json-log", help="append one JSON line per finished connection"),
    ] = None,
) -> None:
    """Forward LISTEN → TARGET like a NAT/firewall that forgets idle connections.

    Prints one JSON line when ready; runs until SIGINT/SIGTERM. A userspace proxy ends TCP
    itself, so it cannot show whether TCP keepalive keeps a mapping alive.
    """
    try:
        listen_host, listen_port = parse_hostport("--listen", listen, allow_zero=True)
        target_host, target_port = parse_hostport("--target", target)
        tls = None
        if tls_bridge:
            if (tls_cert is None) != (tls_key is None):
                raise NetsimError("--tls-cert and --tls-key go together")
            tls = TlsBridge(
                cert_file=str(tls_cert) if tls_cert else None,
                key_file=str(tls_key) if tls_key else None,
                upstream_ca_file=str(upstream_ca) if upstream_ca else None,
                upstream_verify=not upstream_insecure,
            )
        elif tls_cert or tls_key or upstream_ca or upstream_insecure or tls_ca_out:
            raise NetsimError("TLS options need --tls-bridge")
        config = NatProxyConfig(
            target_host=target_host,
            target_port=target_port,
            listen_host=listen_host,
            listen_port=listen_port,
            idle_timeout=parse_seconds("--idle-timeout", idle_timeout),
            on_idle=parse_on_idle("--on-idle", on_idle),
            max_lifetime=parse_seconds("--max-lifetime", max_lifetime),
            change_address_every=parse_seconds("--change-address-every", change_address_every),
            on_address_change=parse_on_idle("--on-address-change", on_address_change),
            tls=tls,
        )
    except NetsimError as exc:
        raise fail(str(exc)) from None
    with contextlib.ExitStack() as stack:
        log_file = None
        if json_log is not None:
            try:
                log_file = stack.enter_context(json_log.open("a", encoding="utf-8"))
            except OSError as exc:
                raise fail(f"cannot open --json-log {str(json_log)!r}: {exc}") from None
        ca_out = tls_ca_out
        if tls is not None and tls.cert_file is None and ca_out is None:
            tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="eas-nat-"))
            ca_out = Path(tmp) / "proxy-ca.pem"
        try:
            asyncio.run(_serve(config, log_file, ca_out))
        except NetsimError as exc:
            raise fail(str(exc)) from None
    sys.stdout.flush()
