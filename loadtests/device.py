"""The simulated device: a locust ``User`` driving the project's client (``EasClient``) over a
:class:`~loadtests.transport.GeventTransport`, and the per-process fleet context it shares.

Life of a device: OPTIONS, Provision, FolderSync, Sync of every mail folder (the initial sync),
then one Ping round per locust task — Ping, Sync the folders it reports, let the heartbeat
strategy learn from the outcome. The client handles 449/451/503 and Ping/Sync status codes;
this module adds what a fleet needs: request events, outcome counts, push timing, back-off.
"""

from __future__ import annotations

import itertools
import os
import random
import time
import uuid

import gevent
from locust import User, constant, task
from locust.exception import StopUser

from easclient.client import (
    BasicAuth,
    EasClient,
    NetworkError,
    PingOutcome,
    get_profile,
)
from easclient.client.heartbeat import NETWORK_FAILURE
from easclient.client.state import Folder, StateError, StoredItem
from easclient.errors import EasError
from easclient.load.fleet import Account, FleetError, pick_profile, read_accounts
from easclient.load.memstate import MemoryState
from easclient.load.scenario import Scenario, load_scenario, scaled_seconds, scaled_strategy
from easclient.load.stats import LoadStats
from easclient.mock.mailbox import INBOX_ID
from easclient.protocol import EasHTTPError, EasRequest, EasResponse, Throttled, parse_retry_after

from .backoff import backoff_delay
from .ramp import RampGate
from .transport import GeventTransport, path_settings, shared_ssl_context

PUSH_PREFIX = "eas-push "


class HTTPStatusFailure(Exception):
    """An HTTP error answer, as locust's failure tables show it (one row per status)."""


class Fleet:
    """What every device of one load process shares (built once from the parsed options)."""

    def __init__(self, environment) -> None:
        opts = environment.parsed_options
        self.environment = environment
        self.scenario: Scenario = load_scenario(opts.eas_scenario)
        self.scale: float = opts.eas_heartbeat_scale or 1.0
        self.stats = LoadStats()
        self.accounts: list[Account] = read_accounts(opts.eas_users_csv)
        self.ssl_context = shared_ssl_context(opts.eas_ca_file, opts.eas_insecure)
        self.connect_address = _hostport(opts.eas_connect) if opts.eas_connect else None
        self.tcp_keepalive: int | None = opts.eas_tcp_keepalive
        self.delivery_rate = (
            opts.eas_delivery_rate
            if opts.eas_delivery_rate is not None
            else self.scenario.deliveries_per_device_per_minute
        )
        self.workers = max(1, opts.eas_workers or 1)
        self.source_addresses = [a.strip() for a in opts.eas_source_addresses.split(",") if a]
        self.resume = bool(opts.eas_resume)
        self.mode = opts.eas_mode
        self.ping_margin = scaled_seconds(self.scenario.ping_margin, self.scale)
        # -- issue 16: slow server vs NAT loss, and the ramp that follows the server --------
        self.direct, self.late_grace = path_settings(
            environment.host or opts.host or "", self.connect_address, self.ping_margin
        )
        if getattr(opts, "eas_late_grace", None) is not None:
            self.late_grace = max(0.0, opts.eas_late_grace)
        self.request_timeout = getattr(opts, "eas_request_timeout", None) or 30.0
        self.ramp = RampGate()
        # ------------------------------------------------------------------------------------
        self.control = None
        if opts.eas_control_url and opts.eas_control_token:
            from easclient.mock import ControlClient

            verify: object = True
            if opts.eas_insecure:
                verify = False
            elif opts.eas_ca_file:
                verify = self.ssl_context
            self.control = ControlClient(
                opts.eas_control_url, opts.eas_control_token, verify=verify
            )
        self.push_via = opts.eas_push_via
        if self.push_via == "auto":
            self.push_via = "control" if self.control is not None else "sendmail"
        if self.push_via == "control" and self.control is None:
            raise FleetError("--eas-push-via control needs --eas-control-url and the token")
        self.sender = None
        if self.push_via == "sendmail" and self.delivery_rate > 0:
            from .sender import SendMailSender

            host = environment.host or opts.host or ""
            self.sender = SendMailSender(self, host, self.accounts[0], opts.eas_mail_domain)
        self.counter = itertools.count()
        self.pending: dict[str, float] = {}
        self.parked: dict[int, EasDevice] = {}
        self.rng = random.Random()
        self._deliverer = None

    def next_index(self) -> int:
        worker = max(0, getattr(self.environment.runner, "worker_index", 0) or 0)
        return worker + next(self.counter) * self.workers

    # -- push: deliveries (the mock's control API or SendMail), timed to the Sync bringing them --
    def start_deliveries(self) -> None:
        can = self.control is not None or self.sender is not None
        if self._deliverer is None and can and self.delivery_rate > 0:
            self._deliverer = gevent.spawn(self._deliver_loop)

    def _deliver_loop(self) -> None:
        while True:
            rate = self.delivery_rate / 60.0 * max(1, len(self.parked))
            wait = self.rng.expovariate(rate)
            if wait > 1.0:
                # Drawn at the rate of the devices parked now (one, when the first is ready:
                # a 30 s mean wait). Exponential waits are memoryless: after 1 s draw again at
                # the rate of the fleet parked by then.
                gevent.sleep(1.0)
                continue
            gevent.sleep(wait)
            if not self.parked:
                continue
            device = self.rng.choice(list(self.parked.values()))
            token = uuid.uuid4().hex[:16]
            self.pending[token] = time.time()
            try:
                if self.push_via == "control":
                    self.control.deliver(device.account.user, 1, subject=PUSH_PREFIX + token)
                else:
                    self.sender.send(device.account.user, PUSH_PREFIX + token)
                self.stats.deliveries += 1
            except Exception:  # a failed delivery is counted, the run goes on
                self.pending.pop(token, None)
                self.stats.deliveries_failed += 1

    def item_added(self, collection: str, item: StoredItem) -> None:
        subject = item.subject or ""
        if subject.startswith(PUSH_PREFIX):
            sent = self.pending.pop(subject[len(PUSH_PREFIX) :], None)
            if sent is not None:
                self.stats.push((time.time() - sent) * 1000.0)


def _hostport(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    return host.strip("[]"), int(port)


def fleet_of(environment) -> Fleet:
    fleet = getattr(environment, "eas_fleet", None)
    if fleet is None:
        fleet = Fleet(environment)
        environment.eas_fleet = fleet
    return fleet


class MeteredTransport:
    """Fires locust's ``request`` event for every EAS exchange and watches Retry-After.

    Ping is fired without a response time (``None``): how long a Ping was held is no response
    time, so it counts as a request but stays out of the percentiles; its outcome is counted
    separately.
    """

    __slots__ = ("_device", "_inner", "_throttled_at")

    def __init__(self, inner: GeventTransport, device: EasDevice) -> None:
        self._inner = inner
        self._device = device
        self._throttled_at: tuple[float, float] | None = None

    @property
    def base_url(self) -> str:
        return self._inner.base_url

    @base_url.setter
    def base_url(self, value: str) -> None:
        self._inner.base_url = value

    def close(self) -> None:
        self._inner.close()

    def send(self, request: EasRequest, *, read_timeout: float | None = None) -> EasResponse:
        device = self._device
        fire = device.environment.events.request.fire
        cmd = str(request.query.cmd) if request.method == "POST" else request.method
        now = time.time()
        if self._throttled_at is not None:
            retry_after, at = self._throttled_at
            device.fleet.stats.throttled(retry_after, now - at, now)
            self._throttled_at = None
        started = time.perf_counter()
        try:
            response = self._inner.send(request, read_timeout=read_timeout)
        except NetworkError as exc:
            elapsed = (time.perf_counter() - started) * 1000.0
            fire(
                request_type="EAS",
                name=cmd,
                response_time=None if cmd == "Ping" else elapsed,
                response_length=0,
                exception=exc if cmd != "Ping" else _PingLost(exc.outcome.value),
                context={},
            )
            raise
        elapsed = (time.perf_counter() - started) * 1000.0
        exception = None
        if response.status_code >= 300:
            exception = HTTPStatusFailure(f"HTTP {response.status_code}")
            if response.status_code == 503:
                seconds, _date = parse_retry_after(response.headers.get("Retry-After"))
                if seconds is not None:
                    self._throttled_at = (seconds, time.time())
        fire(
            request_type="EAS",
            name=cmd,
            response_time=None if cmd == "Ping" else elapsed,
            response_length=len(response.body),
            exception=exception,
            context={},
        )
        return response


class _PingLost(Exception):
    """A Ping that lost its connection (the outcome is the message)."""


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

    def __init__(self, environment) -> None:
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
            MeteredTransport(inner, self),
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
