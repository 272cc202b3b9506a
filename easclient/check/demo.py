"""`eas check` with no URL: the project's demonstration.

A mock EAS server (in this process) behind the userspace NAT proxy, whose idle timeout is
shorter than the Ping heartbeat the check uses: everything works up to the Ping, which the NAT
loses, and the heartbeat probe then measures the idle timeout. Under a minute, loopback only.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from easclient.mock import MockConfig, MockServer, parse_users
from easclient.netsim import (
    ConnectionRecord,
    EventKind,
    NatProxyConfig,
    OnIdle,
    Side,
    start_in_thread,
)

from .context import CheckOptions
from .report import Report
from .session import check_url
from .target import parse_target


@dataclass(frozen=True)
class DemoSettings:
    """The demonstration's numbers: a NAT idle timeout below the Ping heartbeat."""

    idle_timeout: float = 4.0
    on_idle: OnIdle = OnIdle.DROP
    ping_heartbeat: int = 8
    ping_margin: float = 2.0
    probe_min: int = 2
    probe_max: int = 10
    probe_lanes: int = 5
    probe_budget: float = 30.0
    user: str = "demo"
    password: str = "demo-password"  # the mock's own throwaway account, never a real one


def run_demo(options: CheckOptions | None = None, settings: DemoSettings | None = None) -> Report:
    """Start the mock server and the NAT proxy, check through them, stop both."""
    s = settings or DemoSettings()
    config = MockConfig(
        users=tuple(parse_users(f"{s.user}:{s.password}")),
        heartbeat_min=1,
        messages_per_folder=10,
        tls=True,
    )
    with MockServer(config).start_in_thread() as server:
        server_port = int(server.url.rsplit(":", 1)[1])
        nat_config = NatProxyConfig(
            target_host="127.0.0.1",
            target_port=server_port,
            idle_timeout=s.idle_timeout,
            on_idle=s.on_idle,
        )
        with start_in_thread(nat_config) as nat:
            target = parse_target(f"https://localhost:{nat.port}")
            opts = replace(
                options or CheckOptions(),
                user=s.user,
                password=s.password,
                ca_file=server.ca_file,
                insecure=False,
                ping_heartbeat=s.ping_heartbeat,
                ping_margin=s.ping_margin,
                probe_heartbeat=True,
                probe_min=s.probe_min,
                probe_max=s.probe_max,
                probe_lanes=s.probe_lanes,
                probe_budget=s.probe_budget,
            )
            report = Report(target=f"{target.url} (demonstration)")
            report.notes.extend(
                [
                    f"Demonstration: a mock EAS server at {server.url} behind a simulated NAT at "
                    f"localhost:{nat.port} that forgets connections idle for "
                    f"{s.idle_timeout:g} s ({s.on_idle.value}).",
                    f"The check Pings with a heartbeat of {s.ping_heartbeat} s, longer than that "
                    "idle timeout, then probes for the longest heartbeat that survives.",
                    "Point it at your own server: eas check https://mail.example.com --user NAME",
                ]
            )
            check_url(target, opts, report=report)
            report.notes.append(_nat_log(nat.connections, s))
            return report


def _nat_log(records: list[ConnectionRecord], s: DemoSettings) -> str:
    """What the NAT itself says it did: the other side of the Ping step's story."""
    expired = [r for r in records if EventKind.IDLE_EXPIRED in r.kinds()]
    swallowed = [
        r
        for r in expired
        if any(e.kind is EventKind.SWALLOWED and e.side is Side.SERVER for e in r.events)
    ]
    return (
        f"The NAT's own log: {len(records)} connections; {len(expired)} expired after "
        f"{s.idle_timeout:g} s idle ({s.on_idle.value}), and on {len(swallowed)} of them it "
        "swallowed the server's late answer, which the device never saw."
    )
