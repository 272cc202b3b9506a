"""The heartbeat probe against the real userspace NAT proxy and the mock server (server bounds
lowered): it must find the proxy's idle timeout within ±10 % or ±2 s, whichever is larger.

Small numbers (a 4 s idle timeout) keep these fast; the algorithm's accuracy over a wide range
of timeouts is covered by test_probe_algorithm.py.
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from easclient.check import CheckOptions, parse_target
from easclient.check.probe_step import run_probe
from easclient.cli.groups import group
from easclient.netsim import NatProxyConfig, OnIdle, start_in_thread

IDLE = 4.0

app = group("diagnose")  # the diagnose commands only


def _nat(server, on_idle: OnIdle):
    port = int(server.url.rsplit(":", 1)[1])
    cfg = NatProxyConfig(
        target_host="127.0.0.1", target_port=port, idle_timeout=IDLE, on_idle=on_idle
    )
    return start_in_thread(cfg)


def _most_at_once(records) -> int:
    """The most connections the proxy held open at one moment."""
    edges = []
    for rec in records:
        edges += [(rec.opened_at, 1), (rec.closed_at if rec.closed_at is not None else 1e9, -1)]
    live = peak = 0
    for _, delta in sorted(edges, key=lambda e: (e[0], e[1])):
        live += delta
        peak = max(peak, live)
    return peak


def _within_promise(found: int) -> bool:
    return abs(found - IDLE) <= max(2.0, 0.1 * IDLE)


@pytest.mark.slow
def test_cli_probe_finds_a_blackholing_idle_timeout(eas_mock_server) -> None:
    with _nat(eas_mock_server, OnIdle.DROP) as nat:
        r = CliRunner().invoke(
            app,
            [
                "heartbeat-probe",
                f"http://127.0.0.1:{nat.port}",
                "--user",
                eas_mock_server.user.name,
                "--min",
                "1",
                "--max",
                "12",
                "--lanes",
                "6",
                "--margin",
                "1",
                "--budget",
                "60",
                "--json",
            ],
            env={"EAS_PASSWORD": eas_mock_server.user.password},
            catch_exceptions=False,
        )
        records = nat.connections
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["failure_mode"] == "blackhole"
    assert _within_promise(doc["longest_surviving_heartbeat"]), doc
    assert doc["shortest_lost_heartbeat"] > doc["longest_surviving_heartbeat"]
    assert doc["seconds"] < 60
    assert _most_at_once(records) >= 6  # the first round really ran in parallel
    assert any("15 minutes" in line for line in doc["advice"])


@pytest.mark.slow
def test_probe_finds_a_resetting_idle_timeout(eas_mock_server) -> None:
    with _nat(eas_mock_server, OnIdle.RESET) as nat:
        options = CheckOptions(
            user=eas_mock_server.user.name,
            password=eas_mock_server.user.password,
            ping_margin=1.0,
            probe_min=1,
            probe_max=12,
            probe_lanes=6,
            probe_budget=60,
        )
        result = run_probe(parse_target(f"http://127.0.0.1:{nat.port}"), options)
    assert result.failure_mode is not None and result.failure_mode.value == "reset"
    assert result.longest_ok is not None and _within_promise(result.longest_ok)
    # a reset is seen at the idle timeout, not at heartbeat + margin
    lost = [s for s in result.samples if s.outcome.value == "reset"]
    assert lost and all(s.seconds < IDLE + 1.0 for s in lost)
