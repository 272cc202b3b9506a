"""The heartbeat probe as a step of `eas check` (``--probe-heartbeat``) and on its own."""

from __future__ import annotations

from easclient.errors import EasError

from .context import CheckContext, CheckOptions
from .lanes import ProbeLanes
from .probe import ProbeResult, probe_heartbeat
from .report import Result, Step
from .target import Target

#: KB905013: Exchange raises an alarm when devices' heartbeats average 540 s or less; a path
#: that cannot hold that long is a problem worth failing on.
HEALTHY_HEARTBEAT = 540


def run_probe(target: Target, options: CheckOptions, version: str | None = None) -> ProbeResult:
    """Set up the lanes and probe [probe_min, probe_max] within the budget."""
    with ProbeLanes(target, options, options.probe_lanes, version) as lanes:
        lanes.setup()
        return probe_heartbeat(
            lanes.ping,
            options.probe_min,
            options.probe_max,
            lanes=options.probe_lanes,
            budget=options.probe_budget,
            margin=options.ping_margin,
        )


def probe_step(ctx: CheckContext) -> Step:
    name, title = "heartbeat-probe", "Heartbeat probe"
    device = ctx.facts.get("device")
    if device is None or "inbox" not in ctx.facts:
        return Step(
            name, title, Result.SKIP, "no working EAS session to probe with", required=False
        )
    try:
        result = run_probe(ctx.target, ctx.options, device.client.version)
    except EasError as exc:
        return Step(name, title, Result.FAIL, f"probe could not start: {exc}", required=False)
    data = result.to_dict()
    seen = result.summary()
    if result.budget_exhausted:
        seen += " (time budget reached: the bracket may be wider)"
    advice = " ".join(result.advice())
    if result.error:
        return Step(name, title, Result.FAIL, seen, required=False, data=data)
    if result.shortest_lost is None:
        return Step(name, title, Result.PASS, seen, why=advice, required=False, data=data)
    ok = result.longest_ok or 0
    outcome = Result.WARN if ok >= HEALTHY_HEARTBEAT else Result.FAIL
    return Step(
        name,
        title,
        outcome,
        seen,
        why=(
            "Every Ping held longer than the path allows is lost; Exchange raises an alarm when "
            f"devices' heartbeats average {HEALTHY_HEARTBEAT} s or less (KB905013)."
        ),
        fix=advice,
        required=False,
        data=data,
    )
