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


def demonstration_held(report: Report, s: DemoSettings | None = None) -> tuple[bool, str]:
    """Whether the demonstration showed what it was built to show, and one line that says so.

    The demonstration's report fails on purpose (the Ping is lost to the simulated NAT), so its
    exit code cannot be the report's: it is 0 when every step before the Ping passed, the Ping was
    lost the way the NAT was set to lose it, and the probe measured an idle timeout near the one
    configured. Anything else means the tool itself misbehaved here, and exits 1.
    """
    s = s or DemoSettings()
    expected_outcome = {OnIdle.DROP: "blackhole", OnIdle.RESET: "reset", OnIdle.CLOSE: "closed"}
    before = [st for st in report.steps if st.required and st.name != "ping"]
    broken = [st.title for st in before if not st.passed]
    if broken:
        return False, f"demonstration went wrong before the Ping: {', '.join(broken)} failed"
    ping = report.step("ping")
    want = expected_outcome.get(s.on_idle)
    if ping is None or ping.passed or ping.data.get("outcome") != want:
        got = "no Ping step" if ping is None else f"{ping.result.value}: {ping.seen}"
        return False, f"demonstration expected the Ping to be lost ({want}), got {got}"
    probe = report.step("heartbeat-probe")
    found = None if probe is None else probe.data.get("longest_surviving_heartbeat")
    if found is None or abs(found - s.idle_timeout) > max(2.0, 0.1 * s.idle_timeout):
        return False, f"demonstration expected the probe to find ~{s.idle_timeout:g} s, got {found}"
    return True, (
        f"demonstration held: the simulated NAT forgets idle connections after "
        f"{s.idle_timeout:g} s, the {s.ping_heartbeat} s Ping was lost ({want}), and the probe "
        f"measured {found} s. The FAIL above is that finding; against your own server the exit "
        "code is 0 only when every required step passes."
    )
