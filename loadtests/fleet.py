"""What every simulated device of one load process shares (the fleet): the parsed options, the
accounts, the statistics, one TLS context, and the push deliveries timed to the Sync that brings
them (through the mock's control API, or SendMail from a second device)."""

from __future__ import annotations

import itertools
import random
import time
import uuid
from typing import TYPE_CHECKING, Any

import gevent

from easclient.client.state import StoredItem
from easclient.load.fleet import Account, FleetError, read_accounts
from easclient.load.scenario import Scenario, load_scenario, scaled_seconds
from easclient.load.stats import LoadStats

from .ramp import RampGate
from .sender import SendMailSender
from .transport import path_settings, shared_ssl_context

if TYPE_CHECKING:
    from .device import EasDevice

PUSH_PREFIX = "eas-push "


class Fleet:
    """What every device of one load process shares (built once from the parsed options)."""

    def __init__(self, environment: Any) -> None:
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
                if self.control is not None and self.push_via == "control":
                    self.control.deliver(device.account.user, 1, subject=PUSH_PREFIX + token)
                elif self.sender is not None:
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


def fleet_of(environment: Any) -> Fleet:
    """The fleet of this load process (made on first use from the parsed options)."""
    fleet = getattr(environment, "eas_fleet", None)
    if fleet is None:
        fleet = Fleet(environment)
        environment.eas_fleet = fleet
    return fleet

