"""The probe when the server's heartbeat bounds leave nothing of the range to try: it stops
after the first ladder and says why, instead of re-sending the same out-of-bounds Ping until
its Ping limit and reporting 'every heartbeat up to None s survived'."""

from __future__ import annotations

from easclient.check.probe import probe_heartbeat
from easclient.client.heartbeat import PingOutcome

from .test_probe_algorithm import FakePath, clock


def test_server_minimum_above_the_range():
    path = FakePath(timeout=4, server_min=60)
    result = probe_heartbeat(path, 1, 8, lanes=6, budget=600, margin=2, clock=clock)
    assert sorted(hb for hb, _ in path.calls) == [1, 2, 3, 5, 8]  # the ladder, once
    assert all(s.outcome is PingOutcome.ADJUSTED for s in result.samples)
    assert result.server_min == 60
    assert result.error is not None and "shortest heartbeat is 60 s" in result.error
    assert "raise the maximum" in result.summary()
    assert "None" not in result.summary()


def test_server_maximum_below_the_range():
    path = FakePath(timeout=None, server_max=30)
    result = probe_heartbeat(path, 60, 120, lanes=3, budget=600, margin=2, clock=clock)
    assert len(path.calls) == 3
    assert result.error is not None and "longest heartbeat is 30 s" in result.error


def test_server_maximum_inside_the_range_is_still_probed():
    path = FakePath(timeout=None, server_max=100)
    result = probe_heartbeat(path, 10, 400, lanes=3, budget=3000, margin=2, clock=clock)
    assert result.error is None
    assert result.longest_ok == 100  # the cap after status 5, tried once
    assert [hb for hb, _ in path.calls].count(100) == 1
