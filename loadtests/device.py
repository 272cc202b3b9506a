"""The simulated device: a locust ``User`` driving the project's client (``EasClient``) over a
:class:`~loadtests.transport.GeventTransport`, metered (:mod:`loadtests.metering`), in the fleet
of its process (:mod:`loadtests.fleet`).

Life of a device: OPTIONS, Provision, FolderSync, Sync of every mail folder (the initial sync),
then one Ping round per locust task — Ping, Sync the folders it reports, let the heartbeat
strategy learn from the outcome. The client handles 449/451/503 and Ping/Sync status codes;
this module adds what a fleet needs: request events, outcome counts, push timing, back-off.
"""

from __future__ import annotations

import os
import time
from typing import Any

import gevent
from locust import User, constant, task
from locust.exception import StopUser

from easclient.client import (
    BasicAuth,
    EasClient,
    MemoryState,
    NetworkError,
    PingOutcome,
    get_profile,
)
from easclient.client.heartbeat import NETWORK_FAILURE
from easclient.client.state import Folder, StateError
from easclient.errors import EasError
from easclient.load.fleet import pick_profile
from easclient.load.scenario import scaled_strategy
from easclient.mock.mailbox import INBOX_ID
from easclient.protocol import EasHTTPError, Throttled

from .backoff import backoff_delay
from .fleet import fleet_of
from .metering import MeteredTransport
from .transport import GeventTransport

#: A resumed device speaks this version without asking OPTIONS again.
RESUME_VERSION = "14.1"


def _seed_resumed(state: MemoryState) -> None:
    """What a device that was provisioned and synced in an earlier life remembers: the
    hierarchy's SyncKey (FolderSync) and its Inbox. The Inbox starts again from SyncKey 0 when
    a Ping first reports it."""
    state.protocol_version = RESUME_VERSION
    state.set_meta("provisioned", "1")
    state.apply_folder_sync("1", adds=[Folder(INBOX_ID, "0", "Inbox", 2)], expected_sync_key="0")


class EasDevice(User):
    """One simulated device (see the module docstring)."""

    wait_time = constant(0)

    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        fleet = self.fleet = fleet_of(environment)
        self.index = fleet.next_index()
        self.account = fleet.accounts[self.index % len(fleet.accounts)]
        profile = get_profile(pick_profile(self.index, fleet.scenario.profiles))
        self.device_id = self.account.device_id or profile.device_id(
            f"{self.account.user}#{self.index}"
        )
        self.lost_at: float | None = None
        self.ready = False
        self.failures = 0
        self.last_heartbeat: int | None = None
        self.proven = False
        sources = fleet.source_addresses
        inner = GeventTransport(
            self.host or "",
            auth_header=BasicAuth(self.account.user, self.account.password).header(),
            ssl_context=fleet.ssl_context,
            connect_address=fleet.connect_address,
            source_address=sources[self.index % len(sources)] if sources else None,
            tcp_keepalive=fleet.tcp_keepalive,
            on_connect=self._connected,
            late_grace=fleet.late_grace,
            read_timeout=fleet.request_timeout,
            direct=fleet.direct,
        )
        self.transport = inner
        state = MemoryState(on_add=fleet.item_added)
        if fleet.resume:
            _seed_resumed(state)
        self.client = EasClient(
            MeteredTransport(inner, environment, fleet.stats),
            user=self.account.user,
            profile=profile,
            device_id=self.device_id,
            state=state,
            version=RESUME_VERSION if fleet.resume else None,
            heartbeat=scaled_strategy(profile.heartbeat, fleet.scale),
            ping_margin=fleet.ping_margin,
            sleep=self._backoff_sleep,
        )
        if fleet.resume:
            self._now_ready()

    # -- hooks --------------------------------------------------------------------------------
    def _connected(self, reconnect: bool) -> None:
        now = time.time()
        self.fleet.stats.connected(now, reconnect, self.transport.reconnect_cause)
        if self.lost_at is not None:
            self.fleet.stats.recovered(self.lost_at, now)
            self.lost_at = None

    def _backoff_sleep(self, seconds: float) -> None:
        # Never earlier than asked (Retry-After), plus up to 20% jitter so that devices told
        # the same Retry-After do not come back in the same instant.
        gevent.sleep(seconds * (1.0 + 0.2 * self.fleet.rng.random()))

    def _fail(self, kind: str) -> None:
        """Count the error and back off (exponential, jittered, bounded: loadtests/backoff.py)."""
        self.fleet.stats.error(kind)
        self.failures += 1
        delay = backoff_delay(self.failures, self.fleet.rng)
        if delay > 0:
            self.fleet.stats.backed_off(delay)
            gevent.sleep(delay)

    # -- life ---------------------------------------------------------------------------------
    def on_start(self) -> None:
        self.fleet.stats.devices_started += 1
        self.started_at = time.time()

    def on_stop(self) -> None:
        self.fleet.parked.pop(self.index, None)
        self.client.transport.close()

    @task
    def life(self) -> None:
        try:
            if not self.ready:
                self._initial_sync()
            elif self.fleet.mode == "sync-loop":
                self._sync_round()
            else:
                self._ping_round()
        except (StopUser, gevent.GreenletExit):
            raise
        except NetworkError as exc:
            self.lost_at = self.lost_at or time.time()
            self._fail(self.transport.slow or exc.outcome.value)
        except Throttled:
            self._fail("throttled: gave up after retries")
        except EasHTTPError as exc:
            self._fail(f"HTTP {exc.status_code}")
        except StateError as exc:
            # (MemoryState: the StateStore in memory, easclient/client/memstate.py)
            self.client.state = MemoryState(on_add=self.fleet.item_added)
            self.ready = False
            self._fail(f"state: {type(exc).__name__}")
        except EasError as exc:  # DeviceError (SyncFailed, ProvisionFailed, …), ProtocolError
            self._fail(type(exc).__name__)

    def _initial_sync(self) -> None:
        with self.fleet.ramp.turn():  # queue behind the devices already syncing
            started = time.perf_counter()
            self.client.sync_all_mail()
            self.fleet.stats.initial_sync_ms.append((time.perf_counter() - started) * 1000.0)
        self._now_ready()

    def _now_ready(self) -> None:
        now = time.time()
        self.fleet.stats.ready(now, now - getattr(self, "started_at", now))
        self.ready = True
        self.failures = 0
        self.fleet.parked[self.index] = self
        self.fleet.start_deliveries()

    def _sync_round(self) -> None:
        inbox = self.client.state.folders()[0]
        self.client.sync_collection(inbox)

    def _ping_round(self) -> None:
        client = self.client
        heartbeat = client.heartbeat.next_heartbeat()
        now = time.time()
        key = f"{os.getpid()}:{self.index}"
        if heartbeat != self.last_heartbeat:
            self.fleet.stats.heartbeat_changed(key, client.heartbeat.name, now, heartbeat)
            self.last_heartbeat = heartbeat
            self.proven = False
        report = client.ping_step()
        end = time.time()
        # "late"/"server-slow": the server answered after the read timeout, or a timeout with
        # no NAT in the path; neither is a black hole (loadtests/transport.py).
        slow = self.transport.ping_slow
        self.fleet.stats.ping(slow or report.outcome.value, heartbeat, end)
        if report.outcome is PingOutcome.NO_CHANGES and not self.proven:
            # The path held a Ping for the full heartbeat: this value works here.
            self.fleet.stats.heartbeat_changed(key, client.heartbeat.name, end, heartbeat, "proven")
            self.proven = True
        if report.outcome in NETWORK_FAILURE:
            self.lost_at = self.lost_at or end
            # A NAT loss is the path's doing: the device Pings again at once (its strategy
            # adapts the heartbeat); failures of the server or the connection back off.
            if slow or report.outcome in (PingOutcome.CONNECT_ERROR, PingOutcome.TLS_ERROR):
                self._fail(slow or report.outcome.value)
            return
        if report.outcome is PingOutcome.HTTP_ERROR:
            # One error kind, not one per message (they carry Retry-After values and such).
            self._fail("Ping HTTP error")
            return
        self.failures = 0
