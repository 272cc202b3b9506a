"""Heartbeat strategies: how a device picks the ``HeartbeatInterval`` of its next Ping.

Every strategy is a small, pure state machine: ``next_heartbeat()`` says what to send, and
``observe(outcome, server_heartbeat)`` feeds it how the last Ping ended. Nothing here reads a
clock, sleeps or draws random numbers, so a test drives a sequence of outcomes and asserts the
heartbeats it gets back.

Outcomes (:class:`PingOutcome`) are classified by :mod:`easclient.client.outcome`.

Strategies, with the sources of their numbers (see also EAS-FACTS.md §9):

``fixed``
    Always the same heartbeat. Adopts the server's value on Ping status 5 (MS-ASCMD 2.2.3.177.11:
    the response then carries the allowed bound), since asking again for a rejected value loops.
``aosp-ics``
    Android 4.0 Exchange (CyanogenMod/android_packages_apps_Exchange, branch ``ics``,
    ``EasSyncService.java``, ``runPingLoop``): start 470 s (8 min - 10 s), step 180 s, between
    290 s and 1010 s. Raises after a Ping that expired with status 1, unless it has ever dropped;
    drops one step on a "NAT-type" failure — the watchdog aborting the POST (our ``blackhole``) or
    an ``IOException`` whose message contains "reset by peer" (our ``reset``) — but only above the
    longest heartbeat that ever succeeded (the "high-water mark"). Any other I/O failure leaves the
    heartbeat alone (ICS rethrew it and restarted the sync service).
``aosp``
    Android 7.1 Exchange (same repository, ``cm-14.1``, ``eas/EasPing.java``): start and minimum
    480 s, maximum 1680 s, step 300 s. Up one step on status 1, down one step on any request
    failure (``RESULT_REQUEST_FAILURE``: every ``IOException``, so time-outs, resets, closes, TLS
    and connect failures), and on status 5 the server's value is adopted as is.
``technet``
    Windows Mobile's Direct Push adjustment as Microsoft published it ("Heartbeat Interval
    Adjustment", https://learn.microsoft.com/en-us/previous-versions/windows/it-pro/windows-phone/
    cc182270(v=technet.10)): the heartbeat begins at the default; a Ping that gets its response
    raises it by ``HeartbeatIncrement`` (up to ``HeartbeatMax``); a Ping that gets no response by
    the end of the interval means the network timed out, and then *if the heartbeat was raised for
    that Ping it goes back to the previous value, otherwise it goes to* ``HeartbeatMin``. "Direct
    Push Activity" (cc182240) adds that the device waits for successive round trips before raising.
    Numbers: ``HeartbeatMin`` defaults to 480 s ("Requirements and Best Practices for Using MSFP",
    cc182255: "The default value is 480 seconds (8 minutes)"), and devices start there (a WM
    ``ctrllog`` reading: "the device starting at 480", msexchange.blogspot.com 2006/06). The
    published pages give no default for ``HeartbeatIncrement`` or ``HeartbeatMax``; we use 300 s
    and 1680 s (28 min): the largest 300 s step from 480 s that stays under the 30 minutes
    Microsoft asks networks to hold an idle connection (cc182244, cc182255), and the very values
    Android's later client chose (``aosp`` above). A revert to the previous value means the
    ceiling is found, so the strategy then holds there; a later failure at the held value sends
    it to the minimum and probing starts again.
``server``
    Ask for the protocol's maximum (3540 s, MS-ASCMD 2.2.3.88.1 HeartbeatInterval) and adopt
    whatever bound the server answers with status 5; otherwise never change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

#: MS-ASCMD 2.2.3.88.1: HeartbeatInterval is 60..3540 seconds.
PROTOCOL_MIN_HEARTBEAT = 60
PROTOCOL_MAX_HEARTBEAT = 3540


class PingOutcome(StrEnum):
    """How one Ping ended (issue 5, "Device behaviour")."""

    CHANGES = "changes"  #: Ping status 2: folders have changes
    NO_CHANGES = "no-changes"  #: Ping status 1: the heartbeat expired with no changes
    ADJUSTED = "adjusted"  #: Ping status 5: heartbeat out of bounds; the server gave its bound
    OTHER_STATUS = "other-status"  #: any other Ping status (3, 4, 6, 7, 8, unknown)
    RESET = "reset"  #: the connection was reset (RST) before an answer
    CLOSED = "closed"  #: the peer closed the connection (FIN) before a complete answer
    BLACKHOLE = "blackhole"  #: no answer by heartbeat + margin (a NAT that forgot the mapping)
    CONNECT_ERROR = "connect-error"  #: no connection at all (refused, unreachable, DNS)
    HTTP_ERROR = "http-error"  #: an HTTP error status (e.g. 502/504 from a proxy, 5xx)
    TLS_ERROR = "tls-error"  #: the TLS handshake or session failed


#: Outcomes that mean the path lost the idle connection (what a heartbeat should adapt to).
NAT_LOSS = frozenset({PingOutcome.BLACKHOLE, PingOutcome.RESET, PingOutcome.CLOSED})
#: Outcomes that are failures of the request itself (an ``IOException`` in AOSP's terms).
NETWORK_FAILURE = NAT_LOSS | {PingOutcome.CONNECT_ERROR, PingOutcome.TLS_ERROR}


class HeartbeatStrategy(Protocol):
    """What the client needs from a strategy."""

    name: str

    def next_heartbeat(self) -> int:
        """The HeartbeatInterval (seconds) to send in the next Ping."""
        ...

    def observe(self, outcome: PingOutcome, server_heartbeat: int | None = None) -> None:
        """Learn from how the last Ping (sent with ``next_heartbeat()``) ended.

        ``server_heartbeat`` is the response's HeartbeatInterval (present with status 5).
        """
        ...


def _check_bounds(name: str, minimum: int, start: int, maximum: int, step: int) -> None:
    if not (0 < minimum <= start <= maximum):
        raise ValueError(
            f"{name}: need 0 < minimum <= start <= maximum, got {minimum}, {start}, {maximum}"
        )
    if step <= 0:
        raise ValueError(f"{name}: step must be positive, got {step}")


def _narrow(minimum: int, maximum: int, asked: int, bound: int) -> tuple[int, int]:
    """New (minimum, maximum) after the server answered ``bound`` to a Ping that asked ``asked``.

    Status 5 carries the server's maximum when the ask was too long and its minimum when it was
    too short (MS-ASCMD 2.2.3.88.2); an adaptive strategy must not step past it again.
    """
    if bound < asked:
        return min(minimum, bound), bound
    return bound, max(maximum, bound)


@dataclass
class FixedHeartbeat:
    """Always ``seconds``; adopts the server's bound on status 5."""

    seconds: int = 480
    adopt_server_bound: bool = True
    name: str = field(default="fixed", init=False)

    def __post_init__(self) -> None:
        if self.seconds <= 0:
            raise ValueError(f"fixed heartbeat must be positive, got {self.seconds}")

    def next_heartbeat(self) -> int:
        return self.seconds

    def observe(self, outcome: PingOutcome, server_heartbeat: int | None = None) -> None:
        if outcome is PingOutcome.ADJUSTED and server_heartbeat and self.adopt_server_bound:
            self.seconds = server_heartbeat


@dataclass
class AospIcsHeartbeat:
    """Android 4.0's adaptive heartbeat (``EasSyncService.runPingLoop``, branch ``ics``)."""

    start: int = 470
    minimum: int = 290
    maximum: int = 1010
    step: int = 180
    #: ICS ignored status 5 (its range sits inside every server's default bounds); adopting the
    #: server's bound keeps it from looping against a server with narrower ones.
    adopt_server_bound: bool = True
    name: str = field(default="aosp-ics", init=False)
    heartbeat: int = field(init=False)
    high_water_mark: int = field(default=0, init=False)
    dropped: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        _check_bounds(self.name, self.minimum, self.start, self.maximum, self.step)
        self.heartbeat = self.start

    def next_heartbeat(self) -> int:
        return self.heartbeat

    def observe(self, outcome: PingOutcome, server_heartbeat: int | None = None) -> None:
        if outcome is PingOutcome.NO_CHANGES:
            self.high_water_mark = max(self.high_water_mark, self.heartbeat)
            if self.heartbeat < self.maximum and not self.dropped:
                self.heartbeat = min(self.maximum, self.heartbeat + self.step)
        elif outcome in (PingOutcome.BLACKHOLE, PingOutcome.RESET):
            # ICS: "reset by peer" or an aborted POST is NAT-type; drop once above the mark.
            if self.heartbeat > self.minimum and self.heartbeat > self.high_water_mark:
                self.heartbeat = max(self.minimum, self.heartbeat - self.step)
                self.dropped = True
        elif outcome is PingOutcome.ADJUSTED and server_heartbeat and self.adopt_server_bound:
            self.minimum, self.maximum = _narrow(
                self.minimum, self.maximum, self.heartbeat, server_heartbeat
            )
            self.heartbeat = server_heartbeat


@dataclass
class AospHeartbeat:
    """Android 7.1's heartbeat (``eas/EasPing.java``, branch ``cm-14.1``)."""

    start: int = 480
    minimum: int = 480
    maximum: int = 1680
    step: int = 300
    name: str = field(default="aosp", init=False)
    heartbeat: int = field(init=False)

    def __post_init__(self) -> None:
        _check_bounds(self.name, self.minimum, self.start, self.maximum, self.step)
        self.heartbeat = self.start

    def next_heartbeat(self) -> int:
        return self.heartbeat

    def observe(self, outcome: PingOutcome, server_heartbeat: int | None = None) -> None:
        if outcome is PingOutcome.NO_CHANGES:
            self.heartbeat = min(self.maximum, self.heartbeat + self.step)
        elif outcome in NETWORK_FAILURE:
            self.heartbeat = max(self.minimum, self.heartbeat - self.step)
        elif outcome is PingOutcome.ADJUSTED and server_heartbeat:
            # EasPing adopts the value unclamped: the server's bound wins over the device's.
            self.heartbeat = server_heartbeat


@dataclass
class TechnetHeartbeat:
    """Windows Mobile's Direct Push heartbeat adjustment (TechNet cc182270; see module doc)."""

    default: int = 480
    minimum: int = 480
    maximum: int = 1680
    increment: int = 300
    #: Round trips at one value before raising (cc182240: "waits for successive round trips").
    successes_before_raise: int = 2
    name: str = field(default="technet", init=False)
    heartbeat: int = field(init=False)
    previous: int | None = field(default=None, init=False)
    raised_for_last_ping: bool = field(default=False, init=False)
    holding: bool = field(default=False, init=False)
    successes: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        _check_bounds(self.name, self.minimum, self.default, self.maximum, self.increment)
        if self.successes_before_raise < 1:
            raise ValueError(
                f"technet: successes_before_raise must be >= 1, got {self.successes_before_raise}"
            )
        self.heartbeat = self.default

    def next_heartbeat(self) -> int:
        return self.heartbeat

    def _set(self, value: int, *, raised: bool) -> None:
        self.previous = self.heartbeat if raised else None
        self.heartbeat = value
        self.raised_for_last_ping = raised
        self.successes = 0

    def observe(self, outcome: PingOutcome, server_heartbeat: int | None = None) -> None:
        if outcome is PingOutcome.NO_CHANGES:
            # A full interval passed without the network dropping us: the value is proven.
            self.raised_for_last_ping = False
            self.successes += 1
            if (
                not self.holding
                and self.successes >= self.successes_before_raise
                and self.heartbeat < self.maximum
            ):
                self._set(min(self.maximum, self.heartbeat + self.increment), raised=True)
        elif outcome in NAT_LOSS:
            if self.raised_for_last_ping and self.previous is not None:
                # The raise went past the network's idle timeout: back to the last good value.
                self._set(self.previous, raised=False)
                self.holding = True
            else:
                self._set(self.minimum, raised=False)
                self.holding = False
        elif outcome is PingOutcome.ADJUSTED and server_heartbeat:
            self.minimum, self.maximum = _narrow(
                self.minimum, self.maximum, self.heartbeat, server_heartbeat
            )
            self._set(server_heartbeat, raised=False)


@dataclass
class ServerHeartbeat:
    """Ask for the protocol maximum and take whatever bound the server answers with."""

    start: int = PROTOCOL_MAX_HEARTBEAT
    name: str = field(default="server", init=False)
    heartbeat: int = field(init=False)

    def __post_init__(self) -> None:
        if self.start <= 0:
            raise ValueError(f"server heartbeat start must be positive, got {self.start}")
        self.heartbeat = self.start

    def next_heartbeat(self) -> int:
        return self.heartbeat

    def observe(self, outcome: PingOutcome, server_heartbeat: int | None = None) -> None:
        if outcome is PingOutcome.ADJUSTED and server_heartbeat:
            self.heartbeat = server_heartbeat


STRATEGIES: dict[str, type] = {
    "fixed": FixedHeartbeat,
    "aosp-ics": AospIcsHeartbeat,
    "aosp": AospHeartbeat,
    "technet": TechnetHeartbeat,
    "server": ServerHeartbeat,
}


def make_strategy(name: str, initial: int | None = None) -> HeartbeatStrategy:
    """A fresh strategy by name; ``initial`` overrides its starting heartbeat.

    For ``fixed`` the ``initial`` is the heartbeat (default 480 s).
    """
    try:
        cls = STRATEGIES[name]
    except KeyError:
        raise ValueError(
            f"unknown heartbeat strategy {name!r}; choose one of {', '.join(STRATEGIES)}"
        ) from None
    if initial is None:
        return cls()
    if cls is FixedHeartbeat:
        return FixedHeartbeat(seconds=initial)
    if cls is TechnetHeartbeat:
        return TechnetHeartbeat(
            default=initial, minimum=min(initial, 480), maximum=max(initial, 1680)
        )
    if cls is AospIcsHeartbeat:
        return AospIcsHeartbeat(
            start=initial, minimum=min(initial, 290), maximum=max(initial, 1010)
        )
    if cls is AospHeartbeat:
        return AospHeartbeat(start=initial, minimum=min(initial, 480), maximum=max(initial, 1680))
    return cls(start=initial)


def ping_read_timeout(heartbeat: int, margin: float) -> float:
    """The longest a client waits for a Ping's answer: heartbeat plus margin (issue 5)."""
    return float(heartbeat) + float(margin)
