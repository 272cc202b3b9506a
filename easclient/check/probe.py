"""The heartbeat probe: the longest Ping heartbeat that survives the path to the server.

A NAT or firewall that forgets idle connections kills a Ping whose heartbeat is longer than its
idle timeout. The probe finds that limit in stages of parallel Pings, each lane its own device:

1. a geometric ladder of heartbeats from the minimum to the maximum, all at once;
2. then, inside the bracket between the longest heartbeat that survived and the shortest that
   was lost, evenly spread Pings on the lanes that are free — with a single free lane this is
   plain bisection — until the bracket is narrow (5 % or 1 s) or the time budget is spent.

A stage is decided as soon as every Ping below the shortest lost heartbeat has ended: Pings
above it (which the path will lose too) are not waited for, so a 30-minute ladder rung does not
hold up a path that drops connections after five. They finish in the background (they end by
heartbeat + margin) and their lanes join later stages when free.

How a Ping is sent is not this module's business: it takes a ``ping(heartbeat, lane)`` function
that blocks until the Ping ends and returns a `ProbeSample`. The clock is injectable.
"""

from __future__ import annotations

import math
import queue
import threading
import time
from collections.abc import Callable
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

MAX_PINGS = 200  # a hard bound on Pings per probe, whatever the path does
SLACK = 30.0  # seconds beyond heartbeat + margin before a Ping that never ends is an error


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
    abandoned: list[int] = field(default_factory=list)
    """Heartbeats still running when the answer was known (above a lost one): not waited for."""

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
            "not_waited_for": self.abandoned,
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


def spread(lo: int, hi: int, count: int) -> list[int]:
    """Up to ``count`` integers evenly spread strictly between ``lo`` and ``hi``."""
    if hi - lo <= 1 or count < 1:
        return []
    if hi - lo - 1 <= count:
        return list(range(lo + 1, hi))
    step = (hi - lo) / (count + 1)
    return sorted({round(lo + step * k) for k in range(1, count + 1)} - {lo, hi})


def take(r: ProbeResult, s: ProbeSample) -> None:
    """Fold one sample into the result: bounds, the bracket, errors."""
    r.samples.append(s)
    if s.outcome is PingOutcome.ADJUSTED and s.server_heartbeat is not None:
        if s.server_heartbeat < s.heartbeat:
            r.server_max = min(r.server_max or s.server_heartbeat, s.server_heartbeat)
        else:
            r.server_min = max(r.server_min or s.server_heartbeat, s.server_heartbeat)
    elif s.outcome in SURVIVED:
        # Status 2 ends the Ping early: the path held it idle only that long.
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
    if r.longest_ok is not None and r.shortest_lost is not None and r.longest_ok >= r.shortest_lost:
        # Lost below something that survived: the path is erratic (address changes, lifetime
        # limits, load). Trust the loss: the longest success below it stands.
        r.inconsistent = True
        below = [
            x.heartbeat
            for x in r.samples
            if x.outcome is PingOutcome.NO_CHANGES and x.heartbeat < r.shortest_lost
        ]
        r.longest_ok = max(below) if below else None


def plan(r: ProbeResult, free: int, first: bool, limit: float = math.inf) -> list[int]:
    """The heartbeats of the next stage, for ``free`` lanes; the first ladder stops at
    ``limit`` (what the budget still allows)."""
    if r.error or free < 1:
        return []
    if first:
        top = min(r.cap, math.floor(limit)) if limit < math.inf else r.cap
        return ladder(r.floor, top, free) if top >= r.floor else []
    lo, hi = r.longest_ok, r.shortest_lost
    tried = {s.heartbeat for s in r.samples if s.outcome is not PingOutcome.ADJUSTED}
    if hi is None:
        # Nothing lost yet: try the cap (e.g. the server's maximum after a status 5), once: a
        # cap the server already answered with status 5 is outside its bounds too.
        adjusted = {s.heartbeat for s in r.samples if s.outcome is PingOutcome.ADJUSTED}
        if r.cap in tried or r.cap in adjusted or (lo or 0) >= r.cap or r.cap < r.floor:
            return []
        return [r.cap]
    if lo is None:
        if hi <= r.floor:
            return []
        if r.floor not in tried:
            return spread(r.floor - 1, hi, free)
        return spread(r.floor, hi, free)
    if _narrow_enough(lo, hi):
        return []
    return spread(lo, hi, free)


def _undecided(r: ProbeResult) -> str:
    """Why no Ping said anything about the path (no heartbeat survived or was lost)."""
    if r.server_min is not None and r.server_min > r.maximum:
        return (
            f"the server's shortest heartbeat is {r.server_min} s (Ping status 5), above the "
            f"probe's maximum {r.maximum} s: nothing to probe; raise the maximum"
        )
    if r.server_max is not None and r.server_max < r.minimum:
        return (
            f"the server's longest heartbeat is {r.server_max} s (Ping status 5), below the "
            f"probe's minimum {r.minimum} s: nothing to probe; lower the minimum"
        )
    if r.budget_exhausted:
        return "the time budget allowed no Ping"
    return "no Ping survived or was lost"


def probe_heartbeat(
    ping: PingFn,
    minimum: int,
    maximum: int,
    *,
    lanes: int = 6,
    budget: float = 600.0,
    margin: float = 5.0,
    clock: Callable[[], float] = time.monotonic,
) -> ProbeResult:
    """Find the longest heartbeat in [minimum, maximum] that survives; see the module docstring.

    ``budget`` bounds the seconds spent (no stage starts a Ping that could end after it);
    ``margin`` is what a lost Ping costs beyond its heartbeat (the client's read-timeout margin).
    Pings still running when the answer is known are left to end on their own.
    """
    if minimum < 1 or maximum < minimum:
        raise CheckError(
            f"heartbeat range must be 1 <= minimum <= maximum, got {minimum}..{maximum}"
        )
    if lanes < 1:
        raise CheckError(f"the probe needs at least one lane, got {lanes}")
    result = ProbeResult(minimum=minimum, maximum=maximum)
    started = clock()
    done: queue.Queue[tuple[int, ProbeSample | BaseException]] = queue.Queue()
    busy: dict[int, tuple[int, float]] = {}  # lane -> (heartbeat, started at)

    def run(lane: int, heartbeat: int) -> None:
        try:
            done.put((lane, ping(heartbeat, lane)))
        except BaseException as exc:  # handed to the probe's thread, which reports it
            done.put((lane, exc))

    def relevant(heartbeat: int) -> bool:
        lo, hi = result.longest_ok, result.shortest_lost
        return (lo is None or heartbeat > lo) and (hi is None or heartbeat < hi)

    first, launched = True, 0
    while True:
        if not any(relevant(hb) for hb, _ in busy.values()):
            free = [lane for lane in range(lanes) if lane not in busy]
            left = budget - (clock() - started) - margin
            wanted = plan(result, max(1, len(free)), first, limit=left)
            if launched >= MAX_PINGS:
                wanted = []
            affordable = [hb for hb in wanted if hb <= left]
            if len(affordable) < len(wanted) or (first and result.cap > left):
                result.budget_exhausted = True
            if not affordable:
                break  # the answer is known (or unaffordable); stragglers end on their own
            if free:
                first = False
                for lane, hb in zip(free, affordable, strict=False):
                    busy[lane] = (hb, clock())
                    launched += 1
                    threading.Thread(
                        target=run, args=(lane, hb), name=f"eas-probe-{lane}", daemon=True
                    ).start()
            # else: every lane holds a straggler; wait for one to come free
        deadline = max(at + hb + margin + SLACK for hb, at in busy.values())
        try:
            lane, got = done.get(timeout=max(0.01, deadline - clock()))
        except queue.Empty:
            result.error = "a Ping did not end within heartbeat + margin; giving up"
            break
        busy.pop(lane, None)
        if isinstance(got, BaseException):
            result.error = f"the probe's Ping failed: {type(got).__name__}: {got}"
            break
        take(result, got)
    if result.error is None and result.longest_ok is None and result.shortest_lost is None:
        result.error = _undecided(result)
    result.samples.sort(key=lambda s: s.heartbeat)
    result.abandoned = sorted(hb for hb, _ in busy.values())
    result.seconds = clock() - started
    return result
