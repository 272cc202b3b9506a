"""The locust-free parts of easclient.load: scenarios, in-memory state, accounts, statistics,
report. (Nothing here imports locust: it would monkey-patch this pytest process with gevent.)"""

from __future__ import annotations

import json
import sys

import pytest
from rich.console import Console

from easclient import MemoryState
from easclient.client.heartbeat import PingOutcome, TechnetHeartbeat
from easclient.client.state import Folder, StateError, StoredItem
from easclient.load import (
    Account,
    Aggregate,
    FleetError,
    LoadStats,
    ScenarioError,
    load_scenario,
    read_accounts,
    scenario_names,
    write_accounts,
)
from easclient.load.fleet import pick_profile
from easclient.load.report import render, write_chart
from easclient.load.runner import LoadError, LoadOptions, parse_duration
from easclient.load.scenario import scaled_strategy
from easclient.load.stats import convergence, heartbeat_devices, percentile

SCENARIOS = {
    "address-change-storm",
    "direct-push",
    "initial-sync-storm",
    "mixed-fleet",
    "nat-churn",
    "slow-server",
    "throttled",
}


def test_every_scenario_loads_without_locust():
    assert set(scenario_names()) == SCENARIOS
    for name in SCENARIOS:
        assert load_scenario(name).name == name
    assert "locust" not in sys.modules and "gevent.monkey" not in sys.modules


def test_unknown_scenario_names_the_choices():
    with pytest.raises(ScenarioError, match=r"unknown scenario 'nope'.*direct-push"):
        load_scenario("nope")
    with pytest.raises(ScenarioError):
        load_scenario("../etc/passwd")


def test_scaled_strategy_keeps_the_algorithm_and_shrinks_the_numbers():
    s = scaled_strategy("technet", 1 / 60)
    assert isinstance(s, TechnetHeartbeat)
    assert (s.default, s.minimum, s.maximum, s.increment) == (8, 8, 28, 5)
    # Windows Mobile's rule at the small scale: two proven Pings, raise, fail, revert and hold.
    for outcome in (PingOutcome.NO_CHANGES, PingOutcome.NO_CHANGES):
        s.observe(outcome)
    assert s.next_heartbeat() == 13
    s.observe(PingOutcome.NO_CHANGES)
    s.observe(PingOutcome.NO_CHANGES)
    assert s.next_heartbeat() == 18
    s.observe(PingOutcome.BLACKHOLE)
    assert s.next_heartbeat() == 13 and s.holding
    assert scaled_strategy("aosp", 1.0).next_heartbeat() == 480  # unscaled = the defaults
    with pytest.raises(ScenarioError):
        scaled_strategy("nope", 0.5)


def test_memory_state_follows_synckeys_and_reports_adds():
    seen: list[tuple[str, str | None]] = []
    st = MemoryState(on_add=lambda cid, item: seen.append((cid, item.subject)))
    st.apply_folder_sync("1", adds=[Folder("5", "0", "Inbox", 2)], expected_sync_key="0")
    assert [f.server_id for f in st.folders()] == ["5"] and st.folder_sync_key == "1"
    r = st.apply_sync(
        "5",
        "k1",
        expected_sync_key="0",
        adds=[StoredItem("5:1", subject="a"), StoredItem("5:2", subject="b")],
    )
    assert (r.added, st.item_count("5"), st.sync_key("5")) == (2, 2, "k1")
    # A replayed Add is not new; a delete of something held counts.
    r = st.apply_sync(
        "5", "k2", expected_sync_key="k1", adds=[StoredItem("5:1")], deletes=["5:2", "5:9"]
    )
    assert (r.added, r.deleted) == (0, 1)
    assert seen == [("5", "a"), ("5", "b")]
    with pytest.raises(StateError):
        st.apply_sync("5", "k3", expected_sync_key="k1")
    assert st.reset_collection("5") == 1 and st.sync_key("5") == "0"
    st.policy_key = 7
    assert st.policy_key == 7 and st.get_meta("policy_key") == "7"


def test_accounts_csv(tmp_path):
    path = tmp_path / "users.csv"
    write_accounts(path, [Account("alice", "s3cret", "DEV1"), Account("bob", "pw")])
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    accounts = read_accounts(path)
    assert [(a.user, a.device_id) for a in accounts] == [("alice", "DEV1"), ("bob", None)]
    assert "s3cret" not in repr(accounts)
    bad = tmp_path / "bad.csv"
    bad.write_text("alice,s3cret\ncarol\n")
    with pytest.raises(FleetError, match=r"bad.csv:2: .* for user 'carol'") as info:
        read_accounts(bad)
    assert "s3cret" not in str(info.value)
    with pytest.raises(FleetError, match="cannot read"):
        read_accounts(tmp_path / "missing.csv")


def test_profiles_follow_their_proportions():
    weights = {"iphone": 0.5, "android": 0.3, "outlook": 0.2}
    picks = [pick_profile(i, weights) for i in range(1000)]
    for name, w in weights.items():
        assert abs(picks.count(name) / 1000 - w) < 0.01


def test_reports_of_two_workers_aggregate():
    a, b = LoadStats(), LoadStats()
    a.ping("no-changes", 480, 100.2)
    a.ping("changes", 480, 101.5)
    b.ping("changes", 780, 101.7)
    for v in (10.0, 20.0, 30.0):
        a.push(v)
    b.push(40.0)
    a.connected(100.0, reconnect=False)
    b.connected(102.0, reconnect=True)
    b.error("reset")
    agg = Aggregate()
    # msgpack-like round trip: only plain values travel.
    ra, rb = a.drain(), b.drain()
    rb["process"] = "elsewhere:1"  # as if from another machine
    agg.merge(json.loads(json.dumps(ra)), "w1")
    agg.merge(json.loads(json.dumps(rb)), "w2")
    assert a.drain()["outcomes"] == {}  # drained
    s = agg.summary(100.0, 110.0)
    assert s["processes"] == 2
    assert s["ping_outcomes"] == {"changes": 2, "no-changes": 1}
    assert s["push_latency_ms"]["count"] == 4 and s["push_latency_ms"]["p50"] == 25.0
    assert (s["connects"], s["reconnects"], s["errors"]) == (2, 1, {"reset": 1})
    assert s["reconnect_timeline"] == [{"t": 2.0, "count": 1}]
    assert s["heartbeat_timeline"][1] == {"t": 1.0, "counts": {"480": 1, "780": 1}}


def test_percentile_and_recovery_and_throttle():
    assert percentile([], 50) is None
    assert percentile([1, 2, 3, 4], 50) == 2.5
    st = LoadStats()
    st.recovered(10.0, 10.5)
    st.recovered(10.1, 11.0)
    st.throttled(2.0, 2.1, 20.2)
    st.throttled(2.0, 1.5, 21.2)  # came back early: counted
    agg = Aggregate()
    agg.merge(st.drain())
    s = agg.summary(0.0, 30.0)
    assert s["recovery"]["devices"] == 2 and s["recovery"]["fleet_recovery_s"] == 1.0
    assert s["throttle"]["retries"] == 2 and s["throttle"]["early"] == 1


def test_convergence_needs_a_full_ping_at_the_final_value():
    events = [
        ["d1", "technet", 0.0, 8, "set"],
        ["d1", "technet", 8.0, 8, "proven"],
        ["d1", "technet", 16.0, 13, "set"],
        ["d1", "technet", 29.0, 13, "proven"],
        ["d2", "technet", 0.0, 8, "set"],
        ["d2", "technet", 20.0, 13, "set"],  # not yet proven
    ]
    c = convergence(events, 0.0, 30.0)["technet"]
    assert (c["devices"], c["settled"], c["changes"], c["late_changes"]) == (2, 1, 2, 1)
    assert c["settle_p50_s"] == 29.0 and c["final_heartbeats"] == {"13": 2}
    timeline = heartbeat_devices(events, 0.0, 30.0)
    assert timeline[0]["counts"] == {"8": 2}
    assert timeline[-1]["counts"] == {"13": 2}


def test_report_table_and_chart(tmp_path):
    st = LoadStats()
    st.ping("no-changes", 8, 1.0)
    st.push(12.0)
    st.heartbeat_changed("d", "aosp", 0.5, 8)
    agg = Aggregate()
    agg.merge(st.drain())
    summary = agg.summary(0.0, 5.0) | {"scenario": "direct-push"}
    summary["mock"] = {"parked_timeline": [{"t": 1.0, "parked": 3}], "max_parked_pings": 3}
    summary["nat"] = {"address_changes": [{"t": 2.0, "killed": 3}]}
    console = Console(record=True, width=120)
    render(summary, console)
    text = console.export_text()
    assert "direct-push" in text and "no-changes" in text and "12.0" in text
    png = write_chart(summary, tmp_path / "c.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_load_options_refuse_bad_values(tmp_path):
    assert parse_duration("90") == 90 and parse_duration("2m") == 120
    with pytest.raises(LoadError):
        parse_duration("soon")
    opts = LoadOptions("direct-push", 1, 1, 1, tmp_path, host="https://x.example")
    with pytest.raises(LoadError, match="--users-csv"):
        opts.check()
    with pytest.raises(LoadError, match="--devices"):
        LoadOptions("direct-push", 0, 1, 1, tmp_path).check()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--scenario", "nope"], "unknown scenario 'nope'"),
        (["--host", "https://mail.example.test"], "--host needs --users-csv"),
        (["--duration", "soon"], "duration must be like"),
        (["--min-ready", "150"], "--min-ready must be within 0..100"),
    ],
)
def test_cli_refuses_bad_input_in_one_line(args, message, tmp_path):
    import subprocess

    r = subprocess.run(
        [sys.executable, "-m", "easclient.cli", "load", "--out", str(tmp_path / "o"), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 2
    assert message in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
