"""Ping outcomes on a real path, and how the heartbeat strategies react (issue 5).

The device talks to the mock server through the userspace NAT proxy; an idle timeout shorter
than the heartbeat makes the proxy drop (black hole), reset or close the parked Ping. The mock's
own faults give the HTTP-error case.
"""

import pytest

from easclient.client import PingOutcome
from easclient.client.heartbeat import AospHeartbeat, AospIcsHeartbeat, TechnetHeartbeat
from easclient.netsim import NatProxy, NatProxyConfig, OnIdle, ProxyThread
from easclient.url import parse_server_url

HEARTBEAT = 2
MARGIN = 1.0
IDLE = 0.8


@pytest.fixture
def through_nat(eas_mock_server, eas_client):
    proxies = []

    def _make(on_idle, strategy, idle=IDLE):
        server = parse_server_url(eas_mock_server.url)
        proxy = ProxyThread(
            NatProxy(
                NatProxyConfig(
                    target_host=server.host,
                    target_port=server.effective_port,
                    idle_timeout=idle,
                    on_idle=on_idle,
                )
            )
        ).start()
        proxies.append(proxy)
        client = eas_client(profile="android", heartbeat=strategy, ping_margin=MARGIN)
        client.sync_all_mail()  # directly: a slow moment here must not meet the idle timeout
        client.transport.base_url = f"http://{proxy.host}:{proxy.port}"  # Pings go through the NAT
        return client

    yield _make
    for proxy in proxies:
        proxy.stop()


@pytest.mark.parametrize(
    ("on_idle", "outcome"),
    [
        (OnIdle.DROP, PingOutcome.BLACKHOLE),
        (OnIdle.RESET, PingOutcome.RESET),
        (OnIdle.CLOSE, PingOutcome.CLOSED),
    ],
)
def test_idle_expiry_gives_the_right_outcome_and_aosp_steps_down(through_nat, on_idle, outcome):
    strategy = AospHeartbeat(start=HEARTBEAT, minimum=1, maximum=10, step=1)
    client = through_nat(on_idle, strategy)
    report = client.ping()
    assert report.outcome is outcome, report
    assert report.status is None and report.heartbeat == HEARTBEAT
    if outcome is PingOutcome.BLACKHOLE:
        # The client gives up at heartbeat + margin, never later.
        assert HEARTBEAT + MARGIN - 0.2 <= report.seconds <= HEARTBEAT + MARGIN + 1.5
    else:
        assert IDLE - 0.2 <= report.seconds <= HEARTBEAT
    assert strategy.next_heartbeat() == HEARTBEAT - 1  # AOSP: down one step on network error


def test_ics_treats_reset_as_nat_but_not_close(through_nat):
    ics = AospIcsHeartbeat(start=HEARTBEAT, minimum=1, maximum=10, step=1)
    client = through_nat(OnIdle.CLOSE, ics)
    assert client.ping().outcome is PingOutcome.CLOSED
    assert ics.next_heartbeat() == HEARTBEAT  # a FIN is not "reset by peer": no change
    ics_reset = AospIcsHeartbeat(start=HEARTBEAT, minimum=1, maximum=10, step=1)
    client = through_nat(OnIdle.RESET, ics_reset)
    assert client.ping().outcome is PingOutcome.RESET
    assert ics_reset.next_heartbeat() == HEARTBEAT - 1 and ics_reset.dropped


def test_technet_finds_the_ceiling_below_the_idle_timeout(through_nat):
    """Idle timeout 2 s: a 1 s heartbeat survives, the raise to 3 s does not, so the
    strategy goes back to 1 s and holds there (TechNet cc182270)."""
    tech = TechnetHeartbeat(default=1, minimum=1, maximum=5, increment=2, successes_before_raise=1)
    client = through_nat(OnIdle.DROP, tech, idle=2.0)
    client.ping_margin = 0.5
    assert [client.ping().outcome for _ in range(3)] == [
        PingOutcome.NO_CHANGES,  # 1 s: proven, raise to 3 s
        PingOutcome.BLACKHOLE,  # 3 s: the NAT forgot us at 2 s; given up at 3.5 s
        PingOutcome.NO_CHANGES,  # back to 1 s
    ]
    assert tech.next_heartbeat() == 1 and tech.holding


def test_proxy_502_is_http_error(eas_mock_server, eas_client):
    strategy = AospHeartbeat(start=5, minimum=1, maximum=10, step=1)
    client = eas_client(profile="android", heartbeat=strategy)
    client.sync_all_mail()
    eas_mock_server.control.add_fault(action="http_status", command="Ping", status=502, count=1)
    report = client.ping()
    assert report.outcome is PingOutcome.HTTP_ERROR and "502" in report.error
    assert strategy.next_heartbeat() == 5  # not a network failure: AOSP leaves it
