"""The summary of a load run: tables on the terminal (rich) and a PNG chart (matplotlib).

Input is the dict :meth:`easclient.load.stats.Aggregate.summary` made, which ``eas load``
completes with what it saw from outside the fleet (the mock's parked-Ping count over time, the
NAT proxy's address changes).
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table


def _ms(v: float | None) -> str:
    return "-" if v is None else f"{v:,.1f}"


def _dist_row(table: Table, label: str, d: dict) -> None:
    table.add_row(label, str(d.get("count", 0)), *(_ms(d.get(k)) for k in ("p50", "p95", "p99")))


def render(summary: dict, console: Console | None = None) -> None:
    """Print the summary as a few small tables."""
    console = console or Console()
    head = Table(title=f"eas load: {summary.get('scenario', '?')}", show_header=False)
    head.add_column("what")
    head.add_column("value", justify="right")
    rows = [
        ("duration (s)", f"{summary.get('duration', 0):.1f}"),
        ("load processes", str(summary.get("processes", 0))),
        ("devices started / ready", f"{summary['devices_started']} / {summary['devices_ready']}"),
        ("connections / reconnects", f"{summary['connects']} / {summary['reconnects']}"),
    ]
    ramp = summary.get("ramp") or {}
    if ramp.get("last_ready_s") is not None:
        rows.append(
            (
                "ramp: devices ready per s (best 5 s)",
                f"{ramp['ready_per_s']:g} ({ramp['peak_ready_per_s']:g})",
            )
        )
    rows += [
        ("deliveries (failed)", f"{summary['deliveries']} ({summary['deliveries_failed']})"),
    ]
    totals = summary.get("requests") or {}
    if totals:
        rows.append(("EAS requests (failed)", f"{totals['count']} ({totals['failures']})"))
    now = (summary.get("heartbeat_devices") or [{}])[-1].get("counts", {})
    if now:
        rows.append(
            ("heartbeats at the end (s: devices)", ", ".join(f"{k}: {v}" for k, v in now.items()))
        )
    mock = summary.get("mock") or {}
    if mock:
        rows.append(("server: most parked Pings", str(mock.get("max_parked_pings", "-"))))
    for nat_key, label in (("address_changes", "NAT address changes"),):
        if summary.get("nat", {}).get(nat_key):
            rows.append((label, str(len(summary["nat"][nat_key]))))
    for r in rows:
        head.add_row(*r)
    console.print(head)
    causes = summary.get("reconnect_causes") or {}
    if causes:
        console.print(
            "reconnects after: " + ", ".join(f"{k} {v}" for k, v in causes.items()), soft_wrap=True
        )
    backoff = summary.get("backoff") or {}
    if backoff.get("count"):
        console.print(
            f"back-off after failures: {backoff['count']} waits, p50 {backoff['p50']:.1f} s, "
            f"longest {backoff['max']:.1f} s"
        )

    outcomes = Table(title="Ping outcomes")
    outcomes.add_column("outcome")
    outcomes.add_column("count", justify="right")
    for name, n in summary.get("ping_outcomes", {}).items():
        outcomes.add_row(name, str(n))
    if not summary.get("ping_outcomes"):
        outcomes.add_row("(no Ping ended)", "0")
    console.print(outcomes)
    if {"late", "server-slow"} & set(summary.get("ping_outcomes", {})):
        console.print(
            "late: answered after heartbeat + margin (a busy server, not a NAT); server-slow: "
            "never answered, with no NAT in the path. Behind a NAT the two look alike "
            "and count as blackhole.",
            soft_wrap=True,
        )

    lat = Table(title="Times (ms)")
    for col in ("", "count", "p50", "p95", "p99"):
        lat.add_column(col, justify="right" if col else "left")
    _dist_row(lat, "push latency (delivery → Sync)", summary.get("push_latency_ms", {}))
    _dist_row(lat, "initial sync", summary.get("initial_sync_ms", {}))
    if summary.get("time_to_ready_ms"):
        _dist_row(lat, "time to ready (queue included)", summary["time_to_ready_ms"])
    rec = summary.get("recovery", {})
    if rec.get("devices"):
        _dist_row(lat, "reconnect after loss (per device)", rec["per_device_ms"])
    console.print(lat)
    if rec.get("devices"):
        console.print(
            f"fleet recovery: {rec['devices']} reconnections, first loss at "
            f"{rec['first_loss_s']:.1f} s, last device back "
            f"{rec['fleet_recovery_s'] * 1000:.0f} ms later"
        )

    conv = summary.get("convergence", {})
    if conv:
        t = Table(title="Heartbeat strategies (settled: the final value held a full Ping)")
        # The strategy names must stay whole; the number columns may wrap their headers.
        t.add_column("strategy", no_wrap=True, min_width=max(len(n) for n in [*conv, "strategy"]))
        for col in (
            "devices",
            "settled",
            "changes",
            "late changes",
            "settle p50 s",
            "settle max s",
            "final (s: n)",
        ):
            t.add_column(col)
        for name, c in sorted(conv.items()):
            finals = ", ".join(f"{k}: {v}" for k, v in sorted(c["final_heartbeats"].items()))
            t.add_row(
                name,
                str(c["devices"]),
                str(c["settled"]),
                str(c["changes"]),
                str(c["late_changes"]),
                "-" if c["settle_p50_s"] is None else f"{c['settle_p50_s']:.1f}",
                "-" if c["settle_max_s"] is None else f"{c['settle_max_s']:.1f}",
                finals,
            )
        console.print(t)

    thr = summary.get("throttle", {})
    if thr.get("retries"):
        console.print(
            f"throttling: {thr['retries']} retries after 503, {thr['early']} earlier than "
            f"Retry-After (shortest wait {thr['min_wait_ratio']} x Retry-After); retries per "
            f"second peak {thr['peak_retries_per_s']} vs mean {thr['mean_retries_per_s']}"
        )
    errors = summary.get("errors", {})
    if errors:
        e = Table(title="Errors")
        e.add_column("kind")
        e.add_column("count", justify="right")
        for kind, n in errors.items():
            e.add_row(kind, str(n))
        console.print(e)
    else:
        console.print("errors: none")


def write_chart(summary: dict, path: str | Path) -> Path:
    """A PNG with the heartbeat distribution over time, parked Pings and reconnects over time,
    the push-latency distribution and the Ping outcomes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    fig, axes = plt.subplots(2, 2, figsize=(12, 8))
    fig.suptitle(f"eas load: {summary.get('scenario', '?')}")

    ax = axes[0][0]
    timeline = summary.get("heartbeat_devices", [])
    values = sorted({int(h) for b in timeline for h in b["counts"]})
    if values:
        ax.stackplot(
            [b["t"] for b in timeline],
            *[[b["counts"].get(str(hb), 0) for b in timeline] for hb in values],
            labels=[f"{hb} s" for hb in values],
            step="post",
        )
        ax.legend(fontsize="small", ncol=2, loc="upper left")
    ax.set_title("Devices by heartbeat over time")
    ax.set_xlabel("seconds since start")

    ax = axes[0][1]
    parked = (summary.get("mock") or {}).get("parked_timeline", [])
    if parked:
        ax.plot([p["t"] for p in parked], [p["parked"] for p in parked], label="parked Pings")
    rec = summary.get("reconnect_timeline", [])
    if rec:
        ax.bar(
            [r["t"] for r in rec],
            [r["count"] for r in rec],
            width=1.0,
            align="edge",
            alpha=0.6,
            color="tab:red",
            label="reconnects/s",
        )
    for change in (summary.get("nat") or {}).get("address_changes", []):
        ax.axvline(change["t"], color="black", linestyle=":", linewidth=1)
    ax.set_title("Parked Pings (server), reconnects, address changes (dotted)")
    ax.set_xlabel("seconds since start")
    if parked or rec:
        ax.legend(fontsize="small")

    ax = axes[1][0]
    push = summary.get("push_ms", [])
    if push:
        ax.hist(push, bins=min(50, max(5, len(push) // 5)))
        for q, style in (("p50", "-"), ("p95", "--"), ("p99", ":")):
            v = summary["push_latency_ms"].get(q)
            if v is not None:
                ax.axvline(v, color="black", linestyle=style, linewidth=1, label=f"{q} {v:.0f} ms")
        ax.legend(fontsize="small")
    else:
        ax.text(0.5, 0.5, "no deliveries timed", ha="center", va="center", transform=ax.transAxes)
    ax.set_title("Push latency (delivery → Sync), ms")

    ax = axes[1][1]
    outcomes = summary.get("ping_outcomes", {})
    ax.bar(list(outcomes), list(outcomes.values()))
    ax.set_title("Ping outcomes")
    ax.tick_params(axis="x", labelrotation=30)

    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path
