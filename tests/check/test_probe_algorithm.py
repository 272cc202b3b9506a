"""The probe's search, against simulated paths (no network): time runs 250 times faster, so a
60 s heartbeat takes 0.24 s of real time and the probe's clock reads simulated seconds."""

from __future__ import annotations

import threading
import time

import pytest

from easclient.check.probe import ProbeSample, ladder, probe_heartbeat, spread
from easclient.check.target import CheckError
from easclient.client.heartbeat import PingOutcome

SCALE = 0.004  # real seconds per simulated second


def clock() -> float:
    return time.monotonic() / SCALE


def probe(path, *args, **kw):
    return probe_heartbeat(path, *args, clock=clock, **kw)


class FakePath:
    """A path whose NAT forgets connections idle for ``timeout`` s; a server with bounds."""

    def __init__(
        self,
        timeout: float | None,
        mode: PingOutcome = PingOutcome.BLACKHOLE,
        server_min: int = 1,
        server_max: int = 3540,
        margin: float = 2.0,
    ) -> None:
        self.timeout, self.mode = timeout, mode
        self.server_min, self.server_max, self.margin = server_min, server_max, margin
        self.calls: list[tuple[int, int]] = []
        self.lock = threading.Lock()

    def __call__(self, heartbeat: int, lane: int) -> ProbeSample:
        with self.lock:
            self.calls.append((heartbeat, lane))
        sample = self._outcome(heartbeat)
        time.sleep(sample.seconds * SCALE)
        return sample

    def _outcome(self, heartbeat: int) -> ProbeSample:
        if heartbeat > self.server_max:
            return ProbeSample(heartbeat, PingOutcome.ADJUSTED, 0.01, self.server_max)
        if heartbeat < self.server_min:
            return ProbeSample(heartbeat, PingOutcome.ADJUSTED, 0.01, self.server_min)
        if self.timeout is None or heartbeat < self.timeout:
            return ProbeSample(heartbeat, PingOutcome.NO_CHANGES, heartbeat)
        if self.mode is PingOutcome.BLACKHOLE:
            return ProbeSample(heartbeat, self.mode, heartbeat + self.margin)
        return ProbeSample(heartbeat, self.mode, self.timeout)


def test_ladder_is_geometric_and_keeps_both_ends() -> None:
    assert ladder(1, 60, 6) == [1, 2, 5, 12, 26, 60]
    assert ladder(5, 5, 4) == [5]
    assert ladder(2, 8, 1) == [8]
    with pytest.raises(CheckError):
        ladder(0, 8, 3)


@pytest.mark.parametrize("timeout", [4, 7.5, 13, 20, 21, 37, 55])
@pytest.mark.parametrize("mode", [PingOutcome.BLACKHOLE, PingOutcome.RESET])
def test_finds_the_idle_timeout_within_promise(timeout: float, mode: PingOutcome) -> None:
    path = FakePath(timeout, mode)
    result = probe(path, 2, 60, lanes=6, margin=2.0)
    assert result.failure_mode is mode
    assert result.longest_ok is not None and result.longest_ok < timeout
    assert abs(result.longest_ok - timeout) <= max(2.0, 0.1 * timeout)
    assert result.shortest_lost >= timeout
    # the first stage ran on every lane at once
    assert {lane for _, lane in path.calls[:6]} == set(range(6))
    # stages end when their answer is known: far quicker than waiting out the 60 s rung
    assert result.seconds <= 5 * (timeout + 2) + 5
    assert "at most" in result.advice()[0]


def test_spread_inside_a_bracket() -> None:
    assert spread(10, 20, 4) == [12, 14, 16, 18]
    assert spread(10, 14, 6) == [11, 12, 13]
    assert spread(10, 11, 3) == []
    assert spread(10, 40, 1) == [25]  # one free lane: bisection


def test_long_rungs_are_not_waited_for() -> None:
    path = FakePath(4)
    result = probe(path, 2, 600, lanes=6, margin=2.0, budget=2000)
    assert result.longest_ok == 3 and result.shortest_lost == 4
    assert result.seconds < 40  # the 600 s rung (and its 602 s wait) was left behind
    assert 600 in {hb for hb, _ in path.calls}
    assert 600 not in {s.heartbeat for s in result.samples}
    assert 600 in result.abandoned and result.to_dict()["not_waited_for"] == result.abandoned


def test_nothing_lost_reports_the_maximum_and_stops_after_one_round() -> None:
    path = FakePath(None)
    result = probe(path, 2, 30, lanes=4)
    assert result.longest_ok == 30 and result.shortest_lost is None
    assert len(path.calls) == 4
    assert "every heartbeat up to 30 s survived" in result.summary()


def test_server_maximum_caps_the_search() -> None:
    path = FakePath(None, server_max=20)
    result = probe(path, 2, 60, lanes=6)
    assert result.server_max == 20 and result.longest_ok == 20
    assert (20, 0) in path.calls
    assert "server's maximum" in result.summary()


def test_even_the_minimum_lost() -> None:
    result = probe(FakePath(1, PingOutcome.RESET), 2, 60, lanes=3)
    assert result.longest_ok is None and result.shortest_lost == 2
    assert "even the shortest" in result.summary()


def test_budget_bounds_the_bisection() -> None:
    path = FakePath(37)
    result = probe(path, 2, 60, lanes=6, budget=70, margin=2.0)
    assert result.budget_exhausted
    assert result.seconds <= 70 * 1.25  # slack for a loaded machine; no Ping started past 70
    assert result.longest_ok is not None and result.longest_ok < 37


def test_other_outcomes_stop_the_probe_with_an_error() -> None:
    def broken(heartbeat: int, lane: int) -> ProbeSample:
        return ProbeSample(heartbeat, PingOutcome.CONNECT_ERROR, 0.0, detail="refused")

    result = probe(broken, 2, 10, lanes=2)
    assert result.error and "refused" in result.error
    assert result.to_dict()["error"] == result.error


def test_bad_range_is_rejected() -> None:
    with pytest.raises(CheckError, match=r"10\.\.5"):
        probe(FakePath(None), 10, 5)
