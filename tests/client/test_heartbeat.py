"""Heartbeat strategies: drive outcome sequences, assert the heartbeats they choose."""

import pytest

from easclient.client.heartbeat import (
    AospHeartbeat,
    AospIcsHeartbeat,
    FixedHeartbeat,
    PingOutcome,
    ServerHeartbeat,
    TechnetHeartbeat,
    make_strategy,
    ping_read_timeout,
)

Out = PingOutcome


def drive(strategy, outcomes):
    """Feed outcomes (or (outcome, server_heartbeat) pairs); return the heartbeat before each
    Ping and the one after the last."""
    seen = []
    for item in outcomes:
        outcome, server = item if isinstance(item, tuple) else (item, None)
        seen.append(strategy.next_heartbeat())
        strategy.observe(outcome, server)
    seen.append(strategy.next_heartbeat())
    return seen


def test_fixed_stays_put_but_adopts_server_bound():
    s = FixedHeartbeat(300)
    assert drive(s, [Out.NO_CHANGES, Out.BLACKHOLE, Out.RESET, Out.CHANGES]) == [300] * 5
    s.observe(Out.ADJUSTED, 120)
    assert s.next_heartbeat() == 120
    with pytest.raises(ValueError, match="-5"):
        FixedHeartbeat(-5)


def test_aosp_ics_raises_to_max_in_180_steps():
    s = AospIcsHeartbeat()
    assert drive(s, [Out.NO_CHANGES] * 5) == [470, 650, 830, 1010, 1010, 1010]


def test_aosp_ics_drops_once_on_nat_and_never_raises_again():
    s = AospIcsHeartbeat()
    # 470 ok, 650 ok, 830 reset by peer -> 650, then ok pings do not raise again
    assert drive(
        s, [Out.NO_CHANGES, Out.NO_CHANGES, Out.RESET, Out.NO_CHANGES, Out.NO_CHANGES]
    ) == [
        470,
        650,
        830,
        650,
        650,
        650,
    ]
    assert s.dropped and s.high_water_mark == 650


def test_aosp_ics_no_drop_below_high_water_mark_or_min():
    s = AospIcsHeartbeat()
    s.observe(Out.NO_CHANGES)  # 470 proven, now 650
    s.observe(Out.BLACKHOLE)  # 650 > mark 470: drop to 470
    assert s.next_heartbeat() == 470
    s.observe(Out.BLACKHOLE)  # 470 == mark: stays
    assert s.next_heartbeat() == 470
    low = AospIcsHeartbeat(start=290)
    low.observe(Out.RESET)
    assert low.next_heartbeat() == 290  # at the minimum already


def test_aosp_ics_close_and_changes_leave_heartbeat_alone():
    s = AospIcsHeartbeat()
    assert drive(s, [Out.CLOSED, Out.CHANGES, Out.HTTP_ERROR, Out.TLS_ERROR]) == [470] * 5


def test_aosp_ics_adopts_server_bound_and_stays_under_it():
    s = AospIcsHeartbeat()
    assert drive(s, [(Out.ADJUSTED, 400), Out.NO_CHANGES, Out.NO_CHANGES]) == [470, 400, 400, 400]


def test_aosp_cm14_up_on_status1_down_on_network_error():
    s = AospHeartbeat()
    assert drive(
        s,
        [Out.NO_CHANGES] * 5
        + [Out.BLACKHOLE, Out.RESET, Out.CLOSED, Out.CONNECT_ERROR, Out.TLS_ERROR],
    ) == [480, 780, 1080, 1380, 1680, 1680, 1380, 1080, 780, 480, 480]


def test_aosp_cm14_adopts_status5_unclamped_and_ignores_http_errors():
    s = AospHeartbeat()
    assert drive(s, [(Out.ADJUSTED, 200), Out.HTTP_ERROR, Out.CHANGES, Out.OTHER_STATUS]) == [
        480,
        200,
        200,
        200,
        200,
    ]


def test_technet_raises_after_successive_round_trips():
    s = TechnetHeartbeat()
    assert drive(s, [Out.NO_CHANGES] * 10) == [
        480,
        480,
        780,
        780,
        1080,
        1080,
        1380,
        1380,
        1680,
        1680,
        1680,
    ]


def test_technet_reverts_after_failed_raise_then_holds():
    s = TechnetHeartbeat(successes_before_raise=1)
    assert drive(
        s, [Out.NO_CHANGES, Out.NO_CHANGES, Out.BLACKHOLE, Out.NO_CHANGES, Out.NO_CHANGES]
    ) == [
        480,
        780,
        1080,  # raised for this Ping ...
        780,  # ... which timed out: back to the previous heartbeat
        780,  # and hold: the ceiling is found
        780,
    ]
    assert s.holding


def test_technet_failure_without_raise_goes_to_minimum_and_probes_again():
    s = TechnetHeartbeat(default=1080, successes_before_raise=1)
    s.observe(Out.RESET)  # 1080 was not a raise -> HeartbeatMin
    assert s.next_heartbeat() == 480 and not s.holding
    s.observe(Out.NO_CHANGES)
    assert s.next_heartbeat() == 780
    # holding value later fails: minimum, and probing restarts
    s.observe(Out.CLOSED)  # 780 was a raise -> back to 480, hold
    assert s.next_heartbeat() == 480 and s.holding
    s.observe(Out.NO_CHANGES)
    assert s.next_heartbeat() == 480
    s.observe(Out.BLACKHOLE)  # failure at the held value: to the minimum, stop holding
    assert not s.holding
    s.observe(Out.NO_CHANGES)
    assert s.next_heartbeat() == 780


def test_technet_changes_do_not_count_as_proof():
    s = TechnetHeartbeat(successes_before_raise=1)
    assert drive(s, [Out.CHANGES, Out.CHANGES, Out.HTTP_ERROR]) == [480] * 4


def test_technet_status5_narrows_the_range():
    s = TechnetHeartbeat(successes_before_raise=1)
    assert drive(s, [Out.NO_CHANGES, (Out.ADJUSTED, 600), Out.NO_CHANGES, Out.NO_CHANGES]) == [
        480,
        780,
        600,
        600,
        600,
    ]
    assert s.maximum == 600


def test_server_strategy_asks_max_then_adopts():
    s = ServerHeartbeat()
    assert drive(s, [(Out.ADJUSTED, 900), Out.NO_CHANGES, Out.BLACKHOLE, Out.CHANGES]) == [
        3540,
        900,
        900,
        900,
        900,
    ]


@pytest.mark.parametrize("name", ["fixed", "aosp-ics", "aosp", "technet", "server"])
def test_make_strategy_by_name(name):
    s = make_strategy(name)
    assert s.name == name
    assert s.next_heartbeat() > 0
    s2 = make_strategy(name, initial=30)
    assert s2.next_heartbeat() == 30


def test_make_strategy_unknown_name_is_clear():
    with pytest.raises(ValueError, match="'nope'"):
        make_strategy("nope")


def test_bad_bounds_rejected():
    with pytest.raises(ValueError, match="minimum <= start"):
        AospHeartbeat(start=100, minimum=480)
    with pytest.raises(ValueError, match="step"):
        TechnetHeartbeat(increment=0)


def test_read_timeout_is_heartbeat_plus_margin():
    assert ping_read_timeout(480, 5) == 485.0
