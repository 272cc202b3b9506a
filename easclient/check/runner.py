"""Run steps in order, time each, and never let one step's surprise end the whole check."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from .context import CheckContext
from .network import dns_step, tcp_step
from .report import Report, Result, Step
from .tls import tls_dates_step, tls_name_step, tls_step, tls_trust_step

#: A step returns None when it has nothing to report (e.g. no client certificate asked for).
StepFn = Callable[[CheckContext], Step | None]

NETWORK_STEPS: list[StepFn] = [
    dns_step,
    tcp_step,
    tls_step,
    tls_trust_step,
    tls_name_step,
    tls_dates_step,
]


def run_steps(
    ctx: CheckContext,
    steps: Sequence[StepFn],
    report: Report | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> Report:
    """Run ``steps`` against ``ctx`` and collect their results in ``report``.

    A step that raises becomes a failed step naming the exception: a diagnosis tool must finish
    its report even when the thing it diagnoses misbehaves in a way nobody foresaw.
    """
    report = report or Report(target=ctx.target.url)
    began = clock()
    for fn in steps:
        start = clock()
        try:
            step: Step | None = fn(ctx)
        except Exception as exc:
            name = fn.__name__.removesuffix("_step").replace("_", "-")
            step = Step(
                name,
                name,
                Result.FAIL,
                f"the check itself failed: {type(exc).__name__}: {exc}",
                fix="This is a bug in eas check; please report it with this line.",
            )
        if step is None:
            continue
        if step.seconds is None:
            step.seconds = clock() - start
        report.add(step)
    report.seconds = (report.seconds or 0.0) + clock() - began
    return report
