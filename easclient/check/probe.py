"""The heartbeat probe: the longest Ping heartbeat that survives the path to the server.

A NAT or firewall that forgets idle connections kills a Ping whose heartbeat is longer than its
idle timeout. The probe finds that limit in two phases:

1. a *staged parallel* round: Pings with a ladder of heartbeats from the minimum to the maximum,
   all at once (each lane its own device), so one round costs about the longest heartbeat;
2. *bisection* between the longest heartbeat that survived and the shortest that was lost,
   one Ping at a time, until the bracket is narrow (5 % or 1 s) or the time budget is spent.

How a Ping is sent is not this module's business: it takes a ``ping(heartbeat, lane)`` function
that returns a `ProbeSample`. Time is accounted from the samples' own durations, so the
algorithm is deterministic under test.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from easclient.client.heartbeat import PingOutcome

from .target import CheckError

#: The Ping held the connection open and answered: the path kept the idle connection.
SURVIVED = frozenset({PingOutcome.NO_CHANGES, PingOutcome.CHANGES})
#: The path lost the idle connection (or a proxy on it gave up).
LOST = frozenset(
    {
        PingOutcome.BLACKHOLE,
        PingOutcome.RESET,
        PingOutcome.CLOSED,
        PingOutcome.HTTP_ERROR,
        PingOutcome.TLS_ERROR,
    }
)

MAX_ROUNDS = 20  # bisection rounds; 20 halvings narrow any sane range to nothing


@dataclass(frozen=True)
class ProbeSample:
    """One Ping of the probe."""

    heartbeat: int
    outcome: PingOutcome
    seconds: float
    """How long the Ping was held before it ended."""
    server_heartbeat: int | None = None
    """With `PingOutcome.ADJUSTED`: the bound the server gave (MS-ASCMD 2.2.3.88.1, status 5)."""
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "heartbeat": self.heartbeat,
            "outcome": self.outcome.value,
            "seconds": round(self.seconds, 3),
            "server_heartbeat": self.server_heartbeat,
            "detail": self.detail,
        }


PingFn = Callable[[int, int], ProbeSample]


@dataclass
class ProbeResult:
    """What the probe found."""

    minimum: int
    maximum: int
    longest_ok: int | None = None
    shortest_lost: int | None = None
    failure_mode: PingOutcome | None = None
    server_min: int | None = None
    server_max: int | None = None
    error: str | None = None
    budget_exhausted: bool = False
    inconsistent: bool = False
    seconds: float = 0.0
    samples: list[ProbeSample] = field(default_factory=list)

    @property
    def cap(self) -> int:
        """The longest heartbeat worth trying: ours, or the server's maximum if lower."""
        return min(self.maximum, self.server_max or self.maximum)

    @property
    def floor(self) -> int:
        return max(self.minimum, self.server_min or self.minimum)

    def summary(self) -> str:
        if self.error:
            return f"probe failed: {self.error}"
        if self.longest_ok is None and self.shortest_lost is not None:
            return (
                f"even the shortest heartbeat, {self.shortest_lost} s, was lost "
                f"({self.failure_mode})"
            )
        if self.shortest_lost is None:
            limit = " (the server's maximum)" if self.cap < self.maximum else ""
            return f"every heartbeat up to {self.longest_ok} s{limit} survived"
        return (
            f"longest surviving heartbeat {self.longest_ok} s; {self.shortest_lost} s was lost "
            f"({self.failure_mode})"
        )

    def advice(self) -> list[str]:
        """Plain-words advice for the people who run the devices and the firewall."""
        if self.error or self.shortest_lost is None:
            if self.longest_ok is not None and not self.error:
                return [
                    f"The path held an idle connection for {self.longest_ok} s. Microsoft's "
                    "guidance is a firewall idle timeout of at least 15 minutes (KB905013) so "
                    "devices can use long heartbeats."
                ]
            return []
        safe = self.longest_ok
        mode = self.failure_mode
        out = []
        if safe is not None:
            out.append(
                f"Something on the path drops idle connections after {safe}-"
                f"{self.shortest_lost} s. Devices must use a heartbeat of at most {safe} s (less, "
                "to be safe), or Direct Push fails."
            )
        out.append(
            "Better: raise the idle timeout of the NAT/firewall (and of any reverse proxy) to at "
            "least the heartbeat plus a margin; Microsoft advises at least 15 minutes (KB905013) "
            "and operators holding idle HTTP for 30 minutes."
        )
        if mode is PingOutcome.BLACKHOLE:
            out.append(
                "The connection was lost silently (a NAT that forgot the mapping): a device "
                "learns nothing until its own read timeout, so new mail waits up to a whole "
                "heartbeat, and the device wastes battery re-connecting."
            )
        elif mode is PingOutcome.RESET:
            out.append(
                "The connection was reset: devices notice at once; AOSP counts 'reset by peer' "
                "as a NAT timeout and lowers its heartbeat."
            )
        elif mode is PingOutcome.CLOSED:
            out.append("The connection was closed by something on the path before the answer.")
        elif mode is PingOutcome.HTTP_ERROR:
            out.append(
                "An HTTP error came back (often 502/504 from a reverse proxy whose timeout is "
                "shorter than the heartbeat): raise the proxy's timeout above the server's "
                "maximum heartbeat."
            )
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "longest_surviving_heartbeat": self.longest_ok,
            "shortest_lost_heartbeat": self.shortest_lost,
            "failure_mode": None if self.failure_mode is None else self.failure_mode.value,
            "minimum": self.minimum,
            "maximum": self.maximum,
            "server_min": self.server_min,
            "server_max": self.server_max,
            "error": self.error,
            "budget_exhausted": self.budget_exhausted,
            "inconsistent": self.inconsistent,
            "seconds": round(self.seconds, 3),
            "summary": self.summary(),
            "advice": self.advice(),
            "samples": [s.to_dict() for s in self.samples],
        }


def ladder(minimum: int, maximum: int, lanes: int) -> list[int]:
    """``lanes`` heartbeats spread geometrically over [minimum, maximum], both ends included."""
    if lanes < 1 or minimum < 1 or maximum < minimum:
        raise CheckError(f"bad ladder: {minimum}..{maximum} over {lanes} lanes")
    if lanes == 1 or minimum == maximum:
        return [maximum]
    ratio = (maximum / minimum) ** (1 / (lanes - 1))
    steps = {round(minimum * ratio**k) for k in range(lanes)}
    return sorted(s for s in steps | {minimum, maximum} if minimum <= s <= maximum)


def _narrow_enough(lo: int, hi: int) -> bool:
    # Within 5 % (or 1 s): comfortably inside the ±10 % / ±2 s the probe promises.
    return hi - lo <= max(1, math.floor(0.05 * hi))


class _Probe:
    def __init__(self, result: ProbeResult, ping: PingFn, budget: float, margin: float) -> None:
        self.r = result
        self.ping = ping
        self.budget = budget
        self.margin = margin

    def take(self, samples: list[ProbeSample]) -> None:
        r = self.r
        r.samples.extend(samples)
        if samples:
            r.seconds += max(s.seconds for s in samples)  # a round lasts as long as its longest
        for s in samples:
            if s.outcome is PingOutcome.ADJUSTED and s.server_heartbeat is not None:
                if s.server_heartbeat < s.heartbeat:
                    r.server_max = min(r.server_max or s.server_heartbeat, s.server_heartbeat)
                else:
                    r.server_min = max(r.server_min or s.server_heartbeat, s.server_heartbeat)
            elif s.outcome in SURVIVED:
                held = (
                    s.heartbeat
                    if s.outcome is PingOutcome.NO_CHANGES
                    else min(s.heartbeat, math.floor(s.seconds))
                )
                if held >= 1:
                    r.longest_ok = max(r.longest_ok or 0, held)
            elif s.outcome in LOST:
                if r.shortest_lost is None or s.heartbeat < r.shortest_lost:
                    r.shortest_lost = s.heartbeat
                    r.failure_mode = s.outcome
            elif r.error is None:
                r.error = f"a Ping with heartbeat {s.heartbeat} s ended {s.outcome}: {s.detail}"
        if (
            r.longest_ok is not None
            and r.shortest_lost is not None
            and r.longest_ok >= r.shortest_lost
        ):
            # Lost below something that survived: the path is erratic (address changes,
            # lifetime limits, load). Trust the loss: the longest success below it stands.
            r.inconsistent = True
            below = [
                s.heartbeat
                for s in r.samples
                if s.outcome is PingOutcome.NO_CHANGES and s.heartbeat < r.shortest_lost
            ]
            r.longest_ok = max(below) if below else None

    def affordable(self, heartbeat: int) -> bool:
        if self.r.seconds + heartbeat + self.margin > self.budget:
            self.r.budget_exhausted = True
            return False
        return True

    def next_heartbeat(self) -> int | None:
        r = self.r
        lo, hi = r.longest_ok, r.shortest_lost
        if r.error:
            return None
        if hi is None:
            # Nothing lost yet: try the cap once (e.g. the server's maximum after a status 5).
            tried = {s.heartbeat for s in r.samples if s.outcome is not PingOutcome.ADJUSTED}
            return r.cap if r.cap not in tried and (lo or 0) < r.cap else None
        if lo is None:
            return r.floor if hi > r.floor else None
        if _narrow_enough(lo, hi):
            return None
        mid = (lo + hi) // 2
        return mid if lo < mid < hi else None


def probe_heartbeat(
    ping: PingFn,
    minimum: int,
    maximum: int,
    *,
    lanes: int = 6,
    budget: float = 600.0,
    margin: float = 5.0,
) -> ProbeResult:
    """Find the longest heartbeat in [minimum, maximum] that survives; see the module docstring.

    ``budget`` bounds the total seconds; ``margin`` is what a lost Ping costs beyond its
    heartbeat (the client's read-timeout margin).
    """
    if minimum < 1 or maximum < minimum:
        raise CheckError(
            f"heartbeat range must be 1 <= minimum <= maximum, got {minimum}..{maximum}"
        )
    result = ProbeResult(minimum=minimum, maximum=maximum)
    probe = _Probe(result, ping, budget, margin)
    top = min(maximum, max(minimum, int(budget - margin)))
    first = ladder(minimum, top, lanes)
    with ThreadPoolExecutor(max_workers=len(first), thread_name_prefix="eas-probe") as pool:
        probe.take(list(pool.map(ping, first, range(len(first)))))
    for _ in range(MAX_ROUNDS):
        heartbeat = probe.next_heartbeat()
        if heartbeat is None or not probe.affordable(heartbeat):
            break
        probe.take([ping(heartbeat, 0)])
    return result
