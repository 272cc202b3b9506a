"""Issue 16: a slow server is no NAT. With no NAT in the path a late answer is counted ``late``
and a request the server never answered ``server-slow`` (never ``blackhole``); the device keeps
one keep-alive connection (also beyond 1,024 open descriptors) and backs off after failures."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import textwrap

from easclient.load.ramp import RampLimit
from easclient.load.scenario import LOADTESTS_DIR
from easclient.load.stats import ramp
from easclient.mock import spawn

from .harness import start_load

SCRIPT = textwrap.dedent(
    """
    from gevent import monkey; monkey.patch_all()
    import json, os, socket, sys
    sys.path.insert(0, sys.argv[1])
    from easclient.client import BasicAuth, EasClient, NetworkError, get_profile
    from easclient.client.memstate import MemoryState
    from loadtests.transport import GeventTransport

    url, user, password, user2, password2 = sys.argv[2:7]
    # Push this process's descriptors past FD_SETSIZE (1024): select() refuses them.
    spare = [socket.socket() for _ in range(1100)]
    out = {}
    connects = []
    tr = GeventTransport(url, auth_header=BasicAuth(user, password).header(),
                         on_connect=connects.append, late_grace=3.0, direct=True)
    out["fd"] = None
    client = EasClient(tr, user=user, profile=get_profile("android"), device_id="S1",
                       state=MemoryState(), ping_margin=0.3)
    client.sync_all_mail()
    out["fd"] = tr._sock.fileno()
    out["after_sync_connects"] = list(connects)
    # The Ping is answered 1 s after heartbeat + margin: late, on the same connection.
    report = client.ping(heartbeat=1)
    out["late_ping"] = [report.outcome.value, tr.slow, tr.ping_slow]
    out["after_late_connects"] = list(connects)
    # Answered 2 s after a 0.5 s timeout, with a 0.5 s grace: server-slow (direct) ...
    for direct in (True, False):
        slow = GeventTransport(url, auth_header=BasicAuth(user2, password2).header(),
                               read_timeout=0.5, late_grace=0.5, direct=direct)
        try:
            EasClient(slow, user=user2, profile=get_profile("android"), device_id=f"S{direct}",
                      state=MemoryState()).sync_all_mail()
            out[f"direct={direct}"] = "answered"
        except NetworkError as exc:
            out[f"direct={direct}"] = [exc.outcome.value, slow.slow]
    out["connects"] = connects
    print(json.dumps(out))
    """
)


def test_late_answers_are_no_black_holes_and_the_connection_is_kept():
    server = spawn(["--heartbeat-min", "1", "--messages-per-folder", "2", "--user-count", "2"])
    try:
        handle = server.handle
        user, other = handle.users[:2]
        handle.control.add_faults(
            {"action": "delay", "command": "Ping", "seconds": 1.3, "count": 1},
            {"action": "delay", "command": "Provision", "user": other.name, "seconds": 2.5},
        )
        r = subprocess.run(
            [
                sys.executable,
                "-c",
                SCRIPT,
                str(LOADTESTS_DIR.parent),
                handle.url,
                user.name,
                user.password,
                other.name,
                other.password,
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        server.stop()
    assert r.returncode == 0, r.stderr[-2000:]
    out = json.loads(r.stdout)
    assert out["fd"] > 1024
    # One keep-alive connection for the whole initial sync, with descriptors beyond 1,024.
    assert out["after_sync_connects"] == [False]
    assert out["late_ping"] == ["no-changes", "late", "late"]
    assert out["after_late_connects"] == [False]
    assert out["direct=True"] == ["blackhole", "server-slow"]
    assert out["direct=False"] == ["blackhole", None]  # behind a NAT: cannot be told apart


def test_ramp_limit_widens_on_fast_syncs_and_narrows_once_per_round():
    limit = RampLimit(limit=8)
    for _ in range(4):
        limit.done(limit.start(), 0.1)
    assert limit.slots == 12
    tokens = [limit.start() for _ in range(5)]
    for token in tokens:  # five slow syncs of one round: one decrease
        limit.done(token, 10.0)
    assert limit.slots == 8 and limit.decreases == 1
    limit.done(limit.start(), None)  # a failure in the next round narrows again
    assert limit.slots == 5
    for _ in range(50):
        limit.done(limit.start(), None)
    assert limit.slots == 2  # never below the minimum


def test_backoff_is_exponential_jittered_and_bounded():
    from loadtests.backoff import CAP, backoff_delay

    rng = random.Random(1)
    assert backoff_delay(0, rng) == 0
    waits = [[backoff_delay(n, rng) for _ in range(200)] for n in (1, 2, 3, 10)]
    assert min(waits[0]) >= 0.5 and max(waits[0]) <= 1.0
    assert min(waits[1]) >= 1.0 and max(waits[1]) <= 2.0
    assert min(waits[2]) >= 2.0 and max(waits[2]) <= 4.0
    assert min(waits[3]) >= CAP / 2 and max(waits[3]) <= CAP
    assert len({round(w, 6) for w in waits[3]}) > 100  # jittered, not one instant


def test_ramp_summary_counts_devices_ready_per_second():
    started = 1000.0
    r = ramp({"1000": 10, "1001": 10, "1002": 10, "1009": 5}, started)
    assert r["ready_per_s"] == 3.5 and r["last_ready_s"] == 10.0
    assert r["peak_ready_per_s"] == 6.0  # 30 in the best 5 s


def test_slow_server_fleet_no_black_holes_bounded_reconnects_back_off(tmp_path, monkeypatch):
    # Pings answered 0.8 s late (within the 1.5 s grace), three in ten 3.3 s late (beyond it).
    monkeypatch.setenv("EAS_LOAD_LATE_GRACE", "1.5")
    _proc, finish = start_load("slow-server", tmp_path / "out", 10, 25)
    run = finish(timeout=120)
    run.assert_clean()
    s = run.summary
    assert "blackhole" not in s["ping_outcomes"], s["ping_outcomes"]
    assert s["ping_outcomes"].get("late", 0) > 0
    slow = s["errors"].get("server-slow", 0)
    assert slow > 0, s["errors"]
    # Reconnects only after a request the server left unanswered (no churn, no storm).
    assert s["reconnects"] <= slow, (s["reconnects"], s["reconnect_causes"])
    assert set(s["reconnect_causes"]) <= {"server-slow"}
    assert s["backoff"]["count"] >= slow and s["backoff"]["max"] <= 30
    assert s["devices_ready"] == 10
