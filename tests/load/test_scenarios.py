"""Each scenario for a few seconds with a handful of devices against the mock server.

The runs start together (one module fixture) and each test then asserts on its own summary:
they are independent processes with their own mock server, and running them side by side keeps
the whole module to the length of the longest run (nat-churn, ~25 s).
"""

from __future__ import annotations

import pytest

from .harness import Run, start_load

#: (scenario, devices, seconds, extra eas load options). The runs go side by side, so each may
#: last as long as the longest (nat-churn) at no cost: slack for a busy machine.
RUNS = {
    "direct-push": (5, 15, ["--heartbeat-scale", "0.008", "--delivery-rate", "60"]),
    "initial-sync-storm": (8, 20, ["--heartbeat-scale", "0.008"]),
    # 1/240: heartbeats of 2-7 s against a NAT idle timeout of 3.75 s.
    "nat-churn": (6, 26, ["--heartbeat-scale", str(1 / 240)]),
    # 1/30: heartbeats of 16 s and more, so every device is parked when the address changes.
    "address-change-storm": (
        6,
        15,
        [
            "--heartbeat-scale",
            str(1 / 30),
            "--nat-change-address-at",
            "7",
            "--source-addresses",
            "127.0.0.2,127.0.0.3",
        ],
    ),
    "mixed-fleet": (
        10,
        15,
        ["--heartbeat-scale", "0.008", "--delivery-rate", "40", "--processes", "2"],
    ),
    # Throttling is the point here: some devices may give up their first sync after repeated
    # 503s, so the run's readiness criterion is the test's own (6 of 8), not the 99 % default.
    "throttled": (
        8, 15, ["--heartbeat-scale", "0.008", "--delivery-rate", "30", "--min-ready", "75"]
    ),
    # Deliveries by SendMail from a second device, as against a real server.
    "direct-push+sendmail": (
        3,
        15,
        ["--heartbeat-scale", "0.008", "--delivery-rate", "60", "--delivery-via", "sendmail"],
    ),
    # The same steady state over HTTPS (the mock's test CA; one SSLContext for all devices).
    "direct-push+tls": (
        3,
        15,
        ["--heartbeat-scale", "0.008", "--delivery-rate", "60", "--mock-tls"],
    ),
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Run]:
    started = {
        name: start_load(
            name.split("+")[0], tmp_path_factory.mktemp(name), devices, seconds, *extra
        )
        for name, (devices, seconds, extra) in RUNS.items()
    }
    return {name: finish(timeout=120) for name, (_proc, finish) in started.items()}


def test_direct_push(runs):
    run = runs["direct-push"]
    run.assert_clean()
    s = run.summary
    assert s["devices_ready"] == 5 and s["errors"] == {}
    assert s["deliveries"] >= 5 and s["deliveries_failed"] == 0
    push = s["push_latency_ms"]
    # Every delivery but those in flight when the run ended was pushed and synced.
    assert push["count"] >= s["deliveries"] - 2
    assert 0 < push["p50"] <= push["p95"] <= push["p99"] < 5000
    assert s["ping_outcomes"].get("changes", 0) >= push["count"] - 2
    assert s["mock"]["max_parked_pings"] == 5
    assert s["requests"]["count"] > 0 and s["requests"]["failures"] == 0
    assert "push latency" in run.stdout and "Ping outcomes" in run.stdout


def test_initial_sync_storm(runs):
    run = runs["initial-sync-storm"]
    run.assert_clean()
    s = run.summary
    assert s["devices_ready"] == 8 and s["initial_sync_ms"]["count"] == 8 and s["errors"] == {}
    # 100 mails in windows of 25 (iPhone) or 5 (Android), after the priming Sync: at least 5
    # Syncs per device, and every device provisioned in two phases.
    assert s["mock"]["requests"]["Sync"] >= 8 * 5
    assert s["mock"]["requests"]["Provision"] >= 8 * 2
    assert s["mock"]["max_parked_pings"] == 8


def test_nat_churn_adaptive_heartbeats_settle_below_the_idle_timeout(runs):
    run = runs["nat-churn"]
    run.assert_clean()
    s = run.summary
    idle = s["nat"]["idle_timeout"]
    assert s["errors"] == {}
    # The NAT ate Pings whose heartbeat outgrew its idle timeout …
    assert s["ping_outcomes"]["blackhole"] >= 1 and s["ping_outcomes"]["no-changes"] >= 6
    assert s["reconnects"] >= 1
    # … and both strategies came back under it and proved their final value with a full Ping.
    conv = s["convergence"]
    assert set(conv) == {"technet", "aosp-ics"}
    for name, c in conv.items():
        assert c["settled"] == c["devices"], (name, c)
        assert all(int(hb) < idle for hb in c["final_heartbeats"]), (name, c, idle)
        assert c["changes"] >= c["devices"]  # each device moved at least once
    assert "Heartbeat strategies" in run.stdout


def test_address_change_storm_every_device_reconnects(runs):
    run = runs["address-change-storm"]
    run.assert_clean()
    s = run.summary
    assert [c["killed"] for c in s["nat"]["address_changes"]] == [6]
    # The devices connected from the two source addresses they were given, in turn.
    assert s["nat"]["client_addresses"] == ["127.0.0.2", "127.0.0.3"]
    assert s["ping_outcomes"]["reset"] == 6 and s["errors"] == {}
    assert s["reconnects"] == 6
    rec = s["recovery"]
    assert rec["devices"] == 6 and rec["fleet_recovery_s"] < 3.0
    # The server saw them all parked again after the change.
    after = [p["parked"] for p in s["mock"]["parked_timeline"] if p["t"] > rec["first_loss_s"]]
    assert 6 in after
    assert "fleet recovery" in run.stdout


def test_mixed_fleet_in_two_processes(runs):
    run = runs["mixed-fleet"]
    run.assert_clean()
    s = run.summary
    # Counted on the master from both workers' reports.
    assert s["processes"] == 2, s["process_names"]
    assert s["devices_started"] == 10 and s["devices_ready"] == 10 and s["errors"] == {}
    assert set(s["convergence"]) >= {"server", "aosp"}
    assert sum(c["devices"] for c in s["convergence"].values()) == 10
    assert s["push_latency_ms"]["count"] >= 1


def test_throttled_devices_honour_retry_after(runs):
    run = runs["throttled"]
    run.assert_clean()
    s = run.summary
    thr = s["throttle"]
    assert s["mock"]["faults_fired"], "the 503 rule never fired"
    assert thr["retries"] >= 3 and thr["early"] == 0 and thr["min_wait_ratio"] >= 1.0
    assert s["devices_ready"] >= 6
    # Only give-ups after repeated 503s are acceptable errors here.
    assert set(s["errors"]) <= {"throttled: gave up after retries", "Ping HTTP error"}


def test_direct_push_over_tls(runs):
    run = runs["direct-push+tls"]
    run.assert_clean()
    s = run.summary
    assert s["devices_ready"] == 3 and s["errors"] == {}
    assert s["deliveries_failed"] == 0  # the control API over TLS trusts the same CA
    assert s["push_latency_ms"]["count"] >= 2
    assert s["mock"]["max_parked_pings"] == 3


def test_direct_push_with_sendmail_deliveries(runs):
    run = runs["direct-push+sendmail"]
    run.assert_clean()
    s = run.summary
    assert s["devices_ready"] == 3 and s["errors"] == {}
    assert s["deliveries"] >= 3 and s["deliveries_failed"] == 0
    assert s["push_latency_ms"]["count"] >= s["deliveries"] - 2
    # The sender's own requests are in locust's table; the control API delivered nothing.
    assert s["mock"]["requests"]["SendMail"] >= s["deliveries"]
    assert "SendMail" in (run.out / "locust_stats.csv").read_text()
