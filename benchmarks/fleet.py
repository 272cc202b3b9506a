"""Full-life fleets against the embedded mock: how many devices get ready, how fast, and how they
hold in Direct Push.

Not a test: it prints figures. Each fleet is ``eas load --scenario direct-push`` with no host (the
mock server started for the run): Provision, FolderSync, initial sync, then Ping with deliveries.
In the same run it measures the mock's own requests/s alone (Settings requests on keep-alive
connections, benchmarks/mock_capacity.py's client) as the baseline the fleet's requests/s is
compared with, and ``uptime``'s load average, since the machine may be shared.

    python benchmarks/fleet.py                           # 2,000 devices, 60 s
    python benchmarks/fleet.py --devices 2000 5000 10000 --duration 150
    python benchmarks/fleet.py --tree /path/to/old/checkout   # the same fleet with other code

With ``--tree`` every fleet also runs with that source tree (PYTHONPATH), e.g. the commit before a
fix, for a before/after in one run; keys the old code did not report print as "-".
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _proc import cpu_seconds, raise_nofile

ROOT = Path(__file__).resolve().parents[1]


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def mock_alone_rps(seconds: float, concurrency: int) -> dict:
    """The mock's requests/s with nothing else to do (Settings, keep-alive connections)."""
    sys.path.insert(0, str(ROOT))
    from mock_capacity import http_request, measure_rps

    from easclient.mock import spawn
    from easclient.protocol import build_request
    from easclient.protocol.settings import SettingsRequest

    mock = spawn(["--user-count", "1", "--no-provisioning"], timeout=60)
    try:
        handle = mock.handle
        host, port = handle.url.split("//")[1].split(":")
        user = handle.users[0]
        req = build_request(
            "Settings",
            SettingsRequest(get_user_information=True).to_element(),
            user=user.name,
            device_id="fleet-bench",
            device_type="Bench",
            version="14.1",
        )
        request = http_request(
            "POST",
            req.target,
            host,
            dict(req.headers.items()),
            req.body,
            (user.name, user.password),
        )
        measure_rps(mock.process.pid, host, int(port), request, 1.0, 4)  # warm-up
        return measure_rps(mock.process.pid, host, int(port), request, seconds, concurrency)
    finally:
        mock.stop()


def fleet(tree: Path, devices: int, spawn_rate: float, duration: float, out: Path) -> dict:
    """One ``eas load`` run with the code of ``tree``; its summary.json plus the exit code."""
    env = dict(os.environ, PYTHONPATH=str(tree))
    cmd = [
        sys.executable, "-m", "easclient.cli", "load", "--scenario", "direct-push",
        "--devices", str(devices), "--spawn-rate", str(spawn_rate),
        "--duration", str(duration), "--out", str(out),
    ]  # fmt: skip
    load_before = load_average()
    started = time.monotonic()
    with tempfile.TemporaryFile("w+") as stderr:
        proc = subprocess.Popen(
            cmd, env=env, cwd=tree, stdout=subprocess.DEVNULL, stderr=stderr, text=True
        )
        cpu: dict[int, tuple[str, float]] = {}
        while proc.poll() is None and time.monotonic() - started < duration + 600:
            _sample_cpu(proc.pid, cpu)
            time.sleep(1.0)
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        stderr.seek(0)
        errors = stderr.read()
    wall = time.monotonic() - started
    path = out / "summary.json"
    summary = json.loads(path.read_text()) if path.is_file() else {}
    summary["_exit"] = proc.returncode
    summary["_error"] = next(
        (line for line in errors.splitlines() if line.startswith("eas: error")), ""
    )
    by_role: dict[str, float] = {}
    for role, seconds in cpu.values():
        by_role[role] = by_role.get(role, 0.0) + seconds
    summary["_cpu"] = by_role
    summary["_wall_s"] = wall
    summary["_load"] = f"{load_before} → {load_average()}"
    return summary


def _sample_cpu(root: int, into: dict[int, tuple[str, float]]) -> None:
    """CPU seconds so far of ``root``'s descendants, by role (mock server, locust)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    todo = list(children.get(root, []))
    while todo:
        pid = todo.pop()
        todo += children.get(pid, [])
        try:
            args = (Path(f"/proc/{pid}/cmdline").read_bytes()).split(b"\0")
            seconds = cpu_seconds(pid)
        except OSError:
            continue
        role = "mock" if b"mock-server" in args else "locust" if b"locust" in args else None
        if role:
            into[pid] = (role, seconds)


def _f(v, spec: str = ",.0f") -> str:
    return "-" if v is None else format(v, spec)


def figures(s: dict, alone_rps: float) -> list[tuple[str, str]]:
    """The rows printed for one fleet."""
    started = s.get("devices_started") or 0
    ready = s.get("devices_ready") or 0
    duration = s.get("duration") or 0
    connects = s.get("connects") or 0
    requests = (s.get("requests") or {}).get("count")
    rps = requests / duration if requests and duration else None
    mock = s.get("mock") or {}
    server_requests = sum((mock.get("requests") or {}).values())
    server_rps = server_requests / duration if server_requests and duration else None
    outcomes = s.get("ping_outcomes") or {}
    lost = {k: v for k, v in outcomes.items() if k not in ("changes", "no-changes", "adjusted")}
    push = s.get("push_latency_ms") or {}
    ready_ms = s.get("time_to_ready_ms") or {}
    ramp = s.get("ramp") or {}
    sync = s.get("initial_sync_ms") or {}
    return [
        ("exit code", f"{s.get('_exit')} {s.get('_error', '')[:90]}"),
        ("load average before → after", s.get("_load", "?")),
        ("devices ready / started", f"{ready:,} / {started:,}"),
        (
            "time to ready p50 / p95 (s)",
            f"{_f(ready_ms.get('p50') and ready_ms['p50'] / 1000, '.1f')} / "
            f"{_f(ready_ms.get('p95') and ready_ms['p95'] / 1000, '.1f')}",
        ),
        (
            "initial sync p50 / p95 (s)",
            f"{_f(sync.get('p50') and sync['p50'] / 1000, '.1f')} / "
            f"{_f(sync.get('p95') and sync['p95'] / 1000, '.1f')}",
        ),
        (
            "ramp: ready per s, mean (best 5 s)",
            f"{_f(ramp.get('ready_per_s'), '.1f')} ({_f(ramp.get('peak_ready_per_s'), '.1f')})",
        ),
        (
            "connections (per device) / reconnects",
            f"{connects:,} ({connects / max(1, started):.2f}) / {s.get('reconnects', 0):,}",
        ),
        ("reconnects by cause", json.dumps(s.get("reconnect_causes", "-"))),
        ("Pings lost or late, by cause", json.dumps(lost) if lost else "none"),
        ("Pings answered in time", f"{sum(outcomes.values()) - sum(lost.values()):,}"),
        ("server: most parked Pings", _f(mock.get("max_parked_pings"))),
        (
            "push latency p50 / p95 / p99 (ms)",
            f"{_f(push.get('p50'))} / {_f(push.get('p95'))} / {_f(push.get('p99'))}"
            f"  ({push.get('count', 0)} pushes)",
        ),
        ("EAS requests/s (fleet)", _f(rps)),
        ("requests/s the mock served", _f(server_rps)),
        (
            "fleet requests/s ÷ mock alone",
            _f(rps / alone_rps if rps and alone_rps else None, ".2f"),
        ),
        ("deliveries (failed)", f"{s.get('deliveries', 0):,} ({s.get('deliveries_failed', 0)})"),
        ("errors", json.dumps(s.get("errors", {}))[:100]),
        (
            "CPU s: mock / load generator (wall s)",
            f"{_f(s.get('_cpu', {}).get('mock'), '.0f')} / "
            f"{_f(s.get('_cpu', {}).get('locust'), '.0f')} ({s.get('_wall_s', 0):.0f})",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devices", type=int, nargs="+", default=[2000])
    parser.add_argument("--spawn-rate", type=float, default=None, help="default: devices / 10")
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--rps-seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--tree", type=Path, default=None, help="also run with this source tree")
    parser.add_argument("--json", type=Path, default=None, help="write the figures here too")
    args = parser.parse_args()
    raise_nofile()
    print(f"load average at start: {load_average()} ({os.cpu_count()} CPUs)", flush=True)
    alone = mock_alone_rps(args.rps_seconds, args.concurrency)
    print(
        f"mock alone: {alone['rps']:,.0f} requests/s ({alone['rps_per_core']:,.0f} per core of "
        f"its CPU time, {alone['errors']} errors)",
        flush=True,
    )
    trees = [("this tree", ROOT)] + ([("--tree", args.tree.resolve())] if args.tree else [])
    results: dict = {"mock_alone": alone, "fleets": []}
    with tempfile.TemporaryDirectory(prefix="eas-fleet-") as tmp:
        for n in args.devices:
            rate = args.spawn_rate or max(1.0, n / 10)
            for label, tree in trees:
                out = Path(tmp) / f"{n}-{label.strip('-').replace(' ', '_')}"
                print(f"\n{n:,} devices, spawn rate {rate:g}/s, {args.duration:g} s — {label}")
                s = fleet(tree, n, rate, args.duration, out)
                rows = figures(s, alone["rps"])
                for name, value in rows:
                    print(f"  {name:<40} {value}", flush=True)
                results["fleets"].append({"devices": n, "tree": str(tree), "figures": rows})
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
