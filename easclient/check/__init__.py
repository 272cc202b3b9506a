"""`eas check`: the through-the-firewall diagnosis (DNS, TCP, TLS, then EAS itself), as a report
of steps that each say what was seen, why it matters and how to fix it."""

from .context import CheckContext, CheckOptions
from .probe import ProbeResult, ProbeSample, probe_heartbeat
from .render import render_table, to_json, to_junit
from .report import Report, Result, Step, Verdict
from .runner import NETWORK_STEPS, run_steps
from .session import check_url
from .target import CheckError, Target, parse_target

__all__ = [
    "NETWORK_STEPS",
    "CheckContext",
    "CheckError",
    "CheckOptions",
    "ProbeResult",
    "ProbeSample",
    "Report",
    "Result",
    "Step",
    "Target",
    "Verdict",
    "check_url",
    "parse_target",
    "probe_heartbeat",
    "render_table",
    "run_steps",
    "to_json",
    "to_junit",
]
