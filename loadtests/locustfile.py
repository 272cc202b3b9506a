"""locust entry point for simulated EAS devices: ``locust -f loadtests/locustfile.py``.

``eas load`` runs this headless and sets every option; to run it by hand (or as a master and
workers on several machines) give at least ``--eas-scenario`` and ``--eas-users-csv`` (see
README, "Load testing"). Our own counts (Ping outcomes, push latency, heartbeats, reconnects)
travel from workers to the master on locust's ``report_to_master`` / ``worker_report`` events
and are written by the master (or a lone process) to ``--eas-summary`` when it quits.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path

from locust import events
from locust.env import Environment
from locust.runners import MasterRunner, WorkerRunner

# Import the project's loadtests package (locust puts only this directory on sys.path).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from easclient.load.stats import Aggregate
from loadtests.device import EasDevice
from loadtests.fleet import fleet_of

__all__ = ["EasDevice"]

# The control client logs every delivery at INFO through httpx: too chatty for a fleet.
logging.getLogger("httpx").setLevel(logging.WARNING)

_aggregate = Aggregate()
_times: dict[str, float] = {}
_env: dict[str, Environment] = {}


@events.init_command_line_parser.add_listener
def _options(parser) -> None:
    group = parser
    group.add_argument("--eas-scenario", env_var="EAS_LOAD_SCENARIO", default="direct-push")
    group.add_argument("--eas-users-csv", env_var="EAS_LOAD_USERS_CSV", default="")
    group.add_argument("--eas-heartbeat-scale", type=float, default=1.0)
    group.add_argument("--eas-delivery-rate", type=float, default=None)
    group.add_argument("--eas-control-url", env_var="EAS_LOAD_CONTROL_URL", default="")
    group.add_argument(
        "--eas-control-token",
        env_var="EAS_LOAD_CONTROL_TOKEN",
        default="",
        include_in_web_ui=False,
    )
    group.add_argument("--eas-ca-file", default=None)
    group.add_argument("--eas-insecure", action="store_true", default=False)
    group.add_argument("--eas-tcp-keepalive", type=int, default=None)
    group.add_argument("--eas-connect", default="", help="HOST:PORT to connect to (a NAT proxy)")
    group.add_argument("--eas-workers", type=int, default=1, help="worker processes in the run")
    group.add_argument(
        "--eas-source-addresses",
        default="",
        help="comma-separated local addresses (e.g. 127.0.0.2,127.0.0.3) the devices take in "
        "turn: one source address reaches ~28k connections to one server port",
    )
    group.add_argument(
        "--eas-resume",
        action="store_true",
        default=False,
        help="devices start as already provisioned and synced (a fleet reconnecting): straight "
        "to Ping (server without provisioning, e.g. eas mock-server --no-provisioning)",
    )
    group.add_argument(
        "--eas-mode",
        default="device",
        choices=["device", "sync-loop"],
        help="device: the device's life; sync-loop: Sync the Inbox over and over (benchmark)",
    )
    group.add_argument(
        "--eas-request-timeout",
        env_var="EAS_LOAD_REQUEST_TIMEOUT",
        type=float,
        default=30.0,
        help="seconds a device waits for the answer to a request other than Ping (AOSP: 30)",
    )
    group.add_argument(
        "--eas-late-grace",
        env_var="EAS_LOAD_LATE_GRACE",
        type=float,
        default=None,
        help="seconds a device keeps waiting after a read timeout when the server did get the "
        "request (a late answer is counted 'late', not a black hole); default 30 with no NAT "
        "in the path, else one Ping margin",
    )
    group.add_argument("--eas-summary", env_var="EAS_LOAD_SUMMARY", default="")
    group.add_argument(
        "--eas-push-via",
        default="auto",
        choices=["auto", "control", "sendmail"],
        help="deliveries through the mock's control API, or SendMail from a second device "
        "(auto: the control API when given)",
    )
    group.add_argument("--eas-mail-domain", default="", help="domain for users without one")


@events.test_start.add_listener
def _started(environment, **_kw) -> None:
    _times.setdefault("started", time.time())
    if not isinstance(environment.runner, MasterRunner):
        fleet_of(environment)  # fail early on a bad scenario or users file


@events.init.add_listener
def _init(environment, **_kw) -> None:
    _env["environment"] = environment  # report_to_master and quit carry no environment


@events.report_to_master.add_listener
def _report(client_id, data) -> None:
    fleet = getattr(_env.get("environment"), "eas_fleet", None)
    if fleet is not None:
        data["eas"] = fleet.stats.drain()


@events.worker_report.add_listener
def _worker_report(client_id, data) -> None:
    if "eas" in data:
        _aggregate.merge(data["eas"], source=client_id)


@events.quit.add_listener
def _quit(exit_code, **_kw) -> None:
    env = _env.get("environment")
    if env is None or isinstance(env.runner, WorkerRunner):
        return
    fleet = getattr(env, "eas_fleet", None)
    if fleet is not None and not isinstance(env.runner, MasterRunner):
        _aggregate.merge(fleet.stats.drain())  # a lone process reports to itself
    path = env.parsed_options.eas_summary if env.parsed_options else ""
    if not path:
        return
    started = _times.get("started", time.time())
    summary = _aggregate.summary(started, time.time())
    assert env.parsed_options is not None  # it named the path
    summary["scenario"] = env.parsed_options.eas_scenario
    Path(path).write_text(json.dumps(summary), encoding="utf-8")
