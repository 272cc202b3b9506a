"""locust's master/worker mode on 127.0.0.1: a master and two workers started by hand (as on
several machines), our counts aggregated on the master. Every process is a subprocess."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

from easclient.load import Account, write_accounts
from easclient.load.scenario import LOADTESTS_DIR
from easclient.mock import spawn


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_master_and_two_workers_aggregate(tmp_path):
    server = spawn(["--user-count", "6", "--heartbeat-min", "1", "--messages-per-folder", "3"])
    procs: list[subprocess.Popen] = []
    try:
        handle = server.handle
        users = tmp_path / "users.csv"
        write_accounts(users, [Account(u.name, u.password) for u in handle.users])
        port = _free_port()
        locust = [sys.executable, "-m", "locust", "-f", str(LOADTESTS_DIR / "locustfile.py")]
        env = dict(os.environ, EAS_LOAD_CONTROL_TOKEN=handle.control_token)
        master = [
            *locust,
            "--master",
            "--master-bind-host",
            "127.0.0.1",
            "--master-bind-port",
            str(port),
            "--headless",
            "--expect-workers",
            "2",
            "--expect-workers-max-wait",
            "30",
            "--users",
            "6",
            "--spawn-rate",
            "6",
            "--run-time",
            "8s",
            # 0: workers kill their parked devices at once and report within the 0.5 s the
            # master waits for final reports.
            "--stop-timeout",
            "0s",
            "--host",
            handle.url,
            "--csv",
            str(tmp_path / "locust"),
            "--html",
            str(tmp_path / "locust.html"),
            "--exit-code-on-error",
            "0",
            # Options given to the master reach the workers with each spawn message.
            "--eas-scenario",
            "direct-push",
            "--eas-users-csv",
            str(users),
            "--eas-heartbeat-scale",
            "0.008",
            "--eas-delivery-rate",
            "60",
            "--eas-workers",
            "2",
            "--eas-control-url",
            handle.url,
            "--eas-summary",
            str(tmp_path / "summary.json"),
        ]
        worker = [*locust, "--worker", "--master-host", "127.0.0.1", "--master-port", str(port)]
        out = subprocess.PIPE
        procs.append(subprocess.Popen(master, env=env, stdout=out, stderr=out, text=True))
        procs += [
            subprocess.Popen(worker, env=env, stdout=out, stderr=out, text=True) for _ in range(2)
        ]
        _out, master_err = procs[0].communicate(timeout=90)
        assert procs[0].returncode == 0, master_err[-3000:]
        for p in procs[1:]:
            p.communicate(timeout=30)
        summary = json.loads((tmp_path / "summary.json").read_text())
        stats = handle.control.stats()
        devices = handle.control.devices()
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        server.stop()
    assert summary["processes"] == 2  # reports from both workers reached the master
    assert summary["devices_started"] == 6 and summary["devices_ready"] == 6
    assert summary["errors"] == {}
    assert summary["push_latency_ms"]["count"] >= 3
    # The master's count of Ping outcomes is the workers' together: every Ping the server
    # answered "changes" to was seen by one of them.
    assert summary["ping_outcomes"]["changes"] >= summary["push_latency_ms"]["count"] - 2
    assert stats["ping_results"].get("2", 0) >= summary["ping_outcomes"]["changes"]
    # Devices got distinct accounts across the two workers (worker index + k x workers).
    assert sorted(len(v) for v in devices.values()) == [1] * 6
    assert (tmp_path / "locust_stats.csv").read_text().count("EAS,Sync") == 1


def test_against_a_server_by_url_with_a_users_csv(tmp_path):
    """The way to load a real server: --host, a users CSV, deliveries by SendMail."""
    from .harness import Run

    server = spawn(["--user-count", "3", "--heartbeat-min", "1", "--messages-per-folder", "3"])
    try:
        users = tmp_path / "fleet.csv"
        accounts = [Account(u.name, u.password) for u in server.handle.users]
        write_accounts(users, accounts)
        out = tmp_path / "out"
        # The endpoint named in the URL, as for servers that publish it elsewhere (SOGo).
        host = server.handle.url + "/Microsoft-Server-ActiveSync"
        args = [sys.executable, "-m", "easclient.cli", "load", "--host", host]
        args += ["--users-csv", str(users), "--scenario", "direct-push", "--devices", "3"]
        args += ["--spawn-rate", "3", "--duration", "10", "--out", str(out)]
        args += ["--heartbeat-scale", "0.008", "--delivery-rate", "60"]
        # Users named without a domain: SendMail needs their addresses.
        refused = subprocess.run(args, capture_output=True, text=True, timeout=60)
        assert refused.returncode == 2 and "--mail-domain" in refused.stderr
        r = subprocess.run(
            [*args, "--mail-domain", "example.test"], capture_output=True, text=True, timeout=120
        )
    finally:
        server.stop()
    run = Run("by-url", r.returncode, r.stdout, r.stderr, out, 3)
    run.assert_clean()
    s = run.summary
    assert s["devices_ready"] == 3 and s["errors"] == {}
    assert s["deliveries"] >= 3 and s["push_latency_ms"]["count"] >= s["deliveries"] - 2
    assert "mock" not in s  # a server by URL: nothing read from a control API
