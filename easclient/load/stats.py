"""Load statistics of our own, beside locust's request statistics.

A Ping's duration is how long the server held it, so Pings are judged by their outcomes, not by
response-time percentiles. Each load process keeps a :class:`LoadStats`; locust's
``report_to_master`` event carries :meth:`LoadStats.drain` to the master, whose ``worker_report``
event feeds :meth:`Aggregate.merge` (a process running alone merges its own reports). The
:meth:`Aggregate.summary` is what ``eas load`` prints and charts.

Values are plain dicts, lists and numbers (locust ships reports as msgpack); times are epoch
seconds (``time.time()``) so that reports of several processes line up.
"""

from __future__ import annotations

import math
import os
import socket
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

#: Width of the time buckets for the heartbeat and reconnect timelines (seconds).
BUCKET = 1.0
#: Raw push latencies kept at most (for percentiles and the chart).
MAX_SAMPLES = 200_000


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0-100) by linear interpolation; None for no values."""
    if not values:
        return None
    data = sorted(values)
    pos = (len(data) - 1) * q / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return data[lo] + (data[hi] - data[lo]) * (pos - lo)


def distribution(values: Sequence[float]) -> dict:
    """count, p50, p95, p99, max (None where there is nothing)."""
    return {
        "count": len(values),
        "p50": percentile(values, 50),
        "p95": percentile(values, 95),
        "p99": percentile(values, 99),
        "max": max(values) if values else None,
    }


def _bucket(t: float) -> str:
    return str(int(t // BUCKET * BUCKET))


class LoadStats:
    """What one load process saw since its last report."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.outcomes: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()
        self.push_ms: list[float] = []
        self.initial_sync_ms: list[float] = []
        self.heartbeats: dict[str, Counter[str]] = defaultdict(Counter)
        self.reconnect_times: Counter[str] = Counter()
        self.reconnect_causes: Counter[str] = Counter()
        self.retry_times: Counter[str] = Counter()
        self.connects = 0
        self.reconnects = 0
        self.devices_started = 0
        self.devices_ready = 0
        self.recoveries: list[list[float]] = []
        self.throttle_waits: list[list[float]] = []
        self.heartbeat_changes: list[list] = []
        self.deliveries = 0
        self.deliveries_failed = 0
        self.ready_ms: list[float] = []
        self.ready_times: Counter[str] = Counter()
        self.backoff_s: list[float] = []

    # -- recording (called by the simulated devices) --------------------------------------
    def ping(self, outcome: str, heartbeat: int, at: float) -> None:
        self.outcomes[outcome] += 1
        self.heartbeats[_bucket(at)][str(heartbeat)] += 1

    def heartbeat_changed(
        self, device: str, strategy: str, at: float, heartbeat: int, kind: str = "set"
    ) -> None:
        """``kind`` "set": the device now sends ``heartbeat``; "proven": a Ping at it ran its
        full course (see :func:`convergence`)."""
        self.heartbeat_changes.append([device, strategy, at, heartbeat, kind])

    def connected(self, at: float, reconnect: bool, cause: str | None = None) -> None:
        """A new connection; on a reconnect, ``cause`` says how the one before it ended."""
        self.connects += 1
        if reconnect:
            self.reconnects += 1
            self.reconnect_times[_bucket(at)] += 1
            self.reconnect_causes[cause or "unknown"] += 1

    def ready(self, at: float, waited_s: float) -> None:
        """A device got through its initial sync, ``waited_s`` after it started (queueing for
        the ramp, back-offs and retries included)."""
        self.devices_ready += 1
        self.ready_ms.append(waited_s * 1000.0)
        self.ready_times[_bucket(at)] += 1

    def backed_off(self, seconds: float) -> None:
        """A device waited ``seconds`` after a failure before trying again."""
        self.backoff_s.append(seconds)

    def error(self, kind: str) -> None:
        self.errors[kind] += 1

    def push(self, latency_ms: float) -> None:
        self.push_ms.append(latency_ms)

    def recovered(self, lost_at: float, back_at: float) -> None:
        self.recoveries.append([lost_at, back_at])

    def throttled(self, retry_after: float, waited: float, retry_at: float) -> None:
        self.throttle_waits.append([retry_after, waited])
        self.retry_times[_bucket(retry_at)] += 1

    # -- shipping -------------------------------------------------------------------------
    def drain(self) -> dict:
        """A report of everything since the last one (and start afresh)."""
        report = {
            "process": f"{socket.gethostname()}:{os.getpid()}",
            "outcomes": dict(self.outcomes),
            "errors": dict(self.errors),
            "push_ms": self.push_ms,
            "initial_sync_ms": self.initial_sync_ms,
            "heartbeats": {b: dict(c) for b, c in self.heartbeats.items()},
            "reconnect_times": dict(self.reconnect_times),
            "reconnect_causes": dict(self.reconnect_causes),
            "retry_times": dict(self.retry_times),
            "connects": self.connects,
            "reconnects": self.reconnects,
            "devices_started": self.devices_started,
            "devices_ready": self.devices_ready,
            "recoveries": self.recoveries,
            "throttle_waits": self.throttle_waits,
            "heartbeat_changes": self.heartbeat_changes,
            "deliveries": self.deliveries,
            "deliveries_failed": self.deliveries_failed,
            "ready_ms": self.ready_ms,
            "ready_times": dict(self.ready_times),
            "backoff_s": self.backoff_s,
        }
        self.reset()
        return report


def _add_counts(into: dict, more: dict) -> None:
    for k, v in more.items():
        into[k] = into.get(k, 0) + v


class Aggregate:
    """The sum of every report (on the master, or in a process running alone)."""

    def __init__(self) -> None:
        self.outcomes: dict[str, int] = {}
        self.errors: dict[str, int] = {}
        self.push_ms: list[float] = []
        self.initial_sync_ms: list[float] = []
        self.heartbeats: dict[str, dict[str, int]] = {}
        self.reconnect_times: dict[str, int] = {}
        self.reconnect_causes: dict[str, int] = {}
        self.retry_times: dict[str, int] = {}
        self.counts: dict[str, int] = {}
        self.recoveries: list[list[float]] = []
        self.throttle_waits: list[list[float]] = []
        self.heartbeat_changes: list[list] = []
        self.ready_ms: list[float] = []
        self.ready_times: dict[str, int] = {}
        self.backoff_s: list[float] = []
        self.reports = 0
        self.sources: set[str] = set()

    def merge(self, report: dict, source: str = "local") -> None:
        self.reports += 1
        # The process that made the report (locust's client ids change when a worker
        # reconnects to its master).
        self.sources.add(str(report.get("process", source)))
        _add_counts(self.outcomes, report.get("outcomes", {}))
        _add_counts(self.errors, report.get("errors", {}))
        room = MAX_SAMPLES - len(self.push_ms)
        self.push_ms.extend(report.get("push_ms", [])[: max(0, room)])
        self.initial_sync_ms.extend(report.get("initial_sync_ms", []))
        for bucket, counts in report.get("heartbeats", {}).items():
            _add_counts(self.heartbeats.setdefault(str(bucket), {}), counts)
        _add_counts(self.reconnect_times, report.get("reconnect_times", {}))
        _add_counts(self.reconnect_causes, report.get("reconnect_causes", {}))
        _add_counts(self.retry_times, report.get("retry_times", {}))
        for key in _COUNT_KEYS:
            self.counts[key] = self.counts.get(key, 0) + int(report.get(key, 0))
        self.recoveries.extend(report.get("recoveries", []))
        self.throttle_waits.extend(report.get("throttle_waits", []))
        self.heartbeat_changes.extend(report.get("heartbeat_changes", []))
        self.ready_ms.extend(report.get("ready_ms", []))
        _add_counts(self.ready_times, report.get("ready_times", {}))
        room = MAX_SAMPLES - len(self.backoff_s)
        self.backoff_s.extend(report.get("backoff_s", [])[: max(0, room)])

    # -- the summary ----------------------------------------------------------------------
    def summary(self, started: float, ended: float) -> dict:
        """Everything ``eas load`` shows, with times relative to ``started`` (seconds)."""
        out: dict = {
            "started": started,
            "duration": round(ended - started, 3),
            "processes": len(self.sources),
            "process_names": sorted(self.sources),
            "reports": self.reports,
            "ping_outcomes": dict(sorted(self.outcomes.items())),
            "errors": dict(sorted(self.errors.items())),
            "push_latency_ms": distribution(self.push_ms),
            "push_ms": [round(v, 1) for v in self.push_ms],
            "initial_sync_ms": distribution(self.initial_sync_ms),
            **{k: self.counts.get(k, 0) for k in _COUNT_KEYS},
        }
        out["heartbeat_timeline"] = [
            {"t": round(float(b) - started, 3), "counts": dict(sorted(c.items(), key=_num))}
            for b, c in sorted(self.heartbeats.items(), key=lambda kv: float(kv[0]))
        ]
        out["reconnect_timeline"] = _timeline(self.reconnect_times, started)
        out["reconnect_causes"] = dict(sorted(self.reconnect_causes.items()))
        out["retry_timeline"] = _timeline(self.retry_times, started)
        out["time_to_ready_ms"] = distribution(self.ready_ms)
        out["ramp"] = ramp(self.ready_times, started)
        out["backoff"] = {
            **{k: v for k, v in distribution(self.backoff_s).items() if k != "p95"},
            "total_s": round(sum(self.backoff_s), 3),
        }
        out["recovery"] = _recovery(self.recoveries, started)
        out["throttle"] = _throttle(self.throttle_waits, self.retry_times)
        out["convergence"] = convergence(self.heartbeat_changes, started, ended)
        out["heartbeat_devices"] = heartbeat_devices(self.heartbeat_changes, started, ended)
        return out


_COUNT_KEYS = (
    "connects",
    "reconnects",
    "devices_started",
    "devices_ready",
    "deliveries",
    "deliveries_failed",
)


def _num(kv: tuple[str, int]) -> float:
    try:
        return float(kv[0])
    except ValueError:
        return math.inf


def _timeline(counts: dict[str, int], started: float) -> list[dict]:
    return [
        {"t": round(float(b) - started, 3), "count": n}
        for b, n in sorted(counts.items(), key=lambda kv: float(kv[0]))
    ]


#: Window (s) over which the peak ramp is measured.
RAMP_WINDOW = 5


def ramp(ready_times: dict[str, int], started: float) -> dict:
    """The ramp the server sustained: devices ready per second, on average from the start of
    the run to the last device ready, and at best over any RAMP_WINDOW seconds."""
    if not ready_times:
        return {"ready_per_s": 0.0, "peak_ready_per_s": 0.0, "last_ready_s": None}
    per = {int(float(b)): n for b, n in ready_times.items()}
    first, last = min(per), max(per)
    total = sum(per.values())
    span = max(BUCKET, last + BUCKET - started)
    peak = max(sum(per.get(t + k, 0) for k in range(RAMP_WINDOW)) for t in range(first, last + 1))
    return {
        "ready_per_s": round(total / span, 2),
        "peak_ready_per_s": round(peak / RAMP_WINDOW, 2),
        "last_ready_s": round(last + BUCKET - started, 3),
    }


def _recovery(pairs: Iterable[Sequence[float]], started: float) -> dict:
    """How devices came back after losing their connection: per device (lost → parked again)
    and for the fleet (first loss → last device back)."""
    pairs = list(pairs)
    if not pairs:
        return {"devices": 0}
    per_device = [(back - lost) * 1000 for lost, back in pairs]
    first_loss = min(p[0] for p in pairs)
    last_back = max(p[1] for p in pairs)
    return {
        "devices": len(pairs),
        "per_device_ms": distribution(per_device),
        "first_loss_s": round(first_loss - started, 3),
        "fleet_recovery_s": round(last_back - first_loss, 3),
    }


def _throttle(waits: list[list[float]], retry_times: dict[str, int]) -> dict:
    """Whether throttled devices honoured Retry-After, and how bunched their retries were."""
    if not waits:
        return {"retries": 0}
    early = sum(1 for retry_after, waited in waits if waited + 0.05 < retry_after)
    ratios = [waited / retry_after for retry_after, waited in waits if retry_after > 0]
    per_second = list(retry_times.values())
    span = (
        max(float(b) for b in retry_times) - min(float(b) for b in retry_times) + BUCKET
        if retry_times
        else BUCKET
    )
    return {
        "retries": len(waits),
        "early": early,
        "min_wait_ratio": round(min(ratios), 3) if ratios else None,
        "peak_retries_per_s": max(per_second) if per_second else 0,
        "mean_retries_per_s": round(sum(per_second) / span, 3) if per_second else 0,
    }


def convergence(changes: Iterable[Sequence], started: float, ended: float) -> dict:
    """Per heartbeat strategy: how fast each device's heartbeat settled.

    ``changes`` holds (device, strategy, time, heartbeat, kind) events: kind "set" for a device's
    first Ping and for every Ping whose heartbeat differs from the one before, "proven" when a
    Ping at the current heartbeat first ran its full course (no changes, the path held it). A
    device is settled when its last event is "proven": the value it ended at survived a full
    heartbeat. Its time to settle runs from its first Ping to that proof. ``late_changes``
    counts changes in the last third of the run (a strategy still moving).
    """
    per_device: dict[str, dict] = {}
    for device, strategy, at, heartbeat, *rest in sorted(changes, key=lambda c: c[2]):
        kind = rest[0] if rest else "set"
        d = per_device.setdefault(
            str(device),
            {"strategy": strategy, "first": at, "last": None, "hb": heartbeat, "n": 0, "late": 0},
        )
        d["last"] = (kind, at)
        d["hb"] = heartbeat
        if kind == "set":
            d["n"] += 1
            if at >= ended - (ended - started) / 3:
                d["late"] += 1
    out: dict[str, dict] = {}
    for d in per_device.values():
        s = out.setdefault(
            d["strategy"],
            {
                "devices": 0,
                "settled": 0,
                "changes": 0,
                "late_changes": 0,
                "settle_s": [],
                "final_heartbeats": {},
            },
        )
        s["devices"] += 1
        s["changes"] += d["n"] - 1
        s["late_changes"] += d["late"] if d["n"] > 1 else 0
        key = str(d["hb"])
        s["final_heartbeats"][key] = s["final_heartbeats"].get(key, 0) + 1
        kind, at = d["last"]
        if kind == "proven":
            s["settled"] += 1
            s["settle_s"].append(at - d["first"])
    for s in out.values():
        settle = s.pop("settle_s")
        s["settle_p50_s"] = _round(percentile(settle, 50))
        s["settle_max_s"] = _round(max(settle) if settle else None)
    return out


def heartbeat_devices(changes: Iterable[Sequence], started: float, ended: float) -> list[dict]:
    """The heartbeat distribution over time: at each second, how many devices send which
    heartbeat (from the "set" events of :func:`convergence`)."""
    current: dict[str, int] = {}
    events = sorted(
        (c for c in changes if (c[4] if len(c) > 4 else "set") == "set"), key=lambda c: c[2]
    )
    out: list[dict] = []
    i = 0
    steps = max(1, math.ceil((ended - started) / BUCKET))
    for step in range(steps + 1):
        t = started + step * BUCKET
        while i < len(events) and events[i][2] <= t:
            current[str(events[i][0])] = int(events[i][3])
            i += 1
        counts = Counter(str(hb) for hb in current.values())
        out.append({"t": round(step * BUCKET, 3), "counts": dict(sorted(counts.items(), key=_num))})
    return out


def _round(v: float | None) -> float | None:
    return None if v is None else round(v, 3)
