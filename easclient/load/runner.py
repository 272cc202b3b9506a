"""Running a load scenario: the mock server and NAT proxy when asked, locust headless in a
subprocess, and the summary afterwards. ``eas load`` is a thin layer over :func:`run_load`.

locust runs in its own process(es) because importing it monkey-patches the standard library with
gevent. This process only starts the helpers, polls the mock's statistics (parked Pings over
time) and collects the reports.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from easclient.errors import EasError
from easclient.url import parse_server_url

from .fleet import Account, read_accounts, write_accounts
from .scenario import LOADTESTS_DIR, NatSpec, Scenario, load_scenario, scaled_seconds


class LoadError(EasError):
    """A load run that cannot start or did not finish (the message says which value or step)."""


def parse_duration(value: str | float) -> float:
    """``90``, ``90s``, ``2m``, ``1h`` → seconds (LoadError on anything else)."""
    text = str(value).strip().lower()
    factor = {"s": 1, "m": 60, "h": 3600}.get(text[-1:])
    number = text[:-1] if factor else text
    try:
        seconds = float(number) * (factor or 1)
    except ValueError:
        raise LoadError(f"duration must be like 90, 90s, 2m or 1h, got {value!r}") from None
    if seconds <= 0:
        raise LoadError(f"duration must be positive, got {value!r}")
    return seconds


@dataclass
class LoadOptions:
    """What ``eas load`` was asked to do."""

    scenario: str
    devices: int
    spawn_rate: float
    duration: float
    out_dir: Path
    host: str | None = None
    users_csv: Path | None = None
    nat: bool = False
    nat_idle_timeout: float | None = None
    nat_on_idle: str | None = None
    nat_change_address_every: float | None = None
    nat_change_address_at: tuple[float, ...] = ()
    heartbeat_scale: float | None = None
    delivery_rate: float | None = None
    delivery_via: str = "auto"
    mail_domain: str | None = None
    ca_file: Path | None = None
    insecure: bool = False
    tcp_keepalive: int | None = None
    processes: int = 1
    #: Master of a distributed run: wait for this many ``eas load --worker`` processes (on this
    #: or other machines) instead of running devices here. 0: no master.
    expect_workers: int = 0
    master_bind_port: int = 5557
    mock_tls: bool = False
    source_addresses: str | None = None
    locustfile: Path = field(default_factory=lambda: locustfile_path())
    #: Seconds locust lets devices finish before killing them. 0: a parked Ping never
    #: finishes anyway, and a worker sends its final report only once its devices are gone,
    #: while the master waits just 0.5 s for it.
    stop_timeout: float = 0.0

    def _check_numbers(self) -> None:
        positive = {
            "--heartbeat-scale": self.heartbeat_scale,
            "--nat-idle-timeout": self.nat_idle_timeout,
            "--nat-change-address-every": self.nat_change_address_every,
        }
        for flag, value in positive.items():
            if value is not None and value <= 0:
                raise LoadError(f"{flag} must be positive, got {value:g}")
        if self.delivery_rate is not None and self.delivery_rate < 0:
            raise LoadError(f"--delivery-rate must be 0 or more, got {self.delivery_rate:g}")
        if self.tcp_keepalive is not None and self.tcp_keepalive < 1:
            raise LoadError(f"--tcp-keepalive must be at least 1 s, got {self.tcp_keepalive}")
        if any(at < 0 for at in self.nat_change_address_at):
            raise LoadError("--nat-change-address-at must be 0 or more seconds")

    def check(self) -> None:
        if self.devices < 1:
            raise LoadError(f"--devices must be at least 1, got {self.devices}")
        if self.spawn_rate <= 0:
            raise LoadError(f"--spawn-rate must be positive, got {self.spawn_rate}")
        if self.processes < 1:
            raise LoadError(f"--processes must be at least 1, got {self.processes}")
        if self.expect_workers < 0:
            raise LoadError(f"--expect-workers must be 1 or more, got {self.expect_workers}")
        if self.expect_workers and self.processes > 1:
            raise LoadError(
                "--master runs no devices itself: give --expect-workers, not --processes"
            )
        _check_port("--master-bind-port", self.master_bind_port)
        if self.host and not self.users_csv:
            raise LoadError("--host needs --users-csv (user,password[,device_id] per line)")
        if self.host and not self.host.startswith(("http://", "https://")):
            raise LoadError(f"--host must be an http:// or https:// URL, got {self.host!r}")
        if self.delivery_via not in ("auto", "control", "sendmail"):
            raise LoadError(
                f"--delivery-via must be auto, control or sendmail: {self.delivery_via!r}"
            )
        if self.delivery_via == "control" and self.host:
            raise LoadError("--delivery-via control needs the mock server (no --host)")
        self._check_numbers()
        if self.nat_on_idle is not None and self.nat_on_idle not in _NAT_ACTIONS:
            raise LoadError(
                f"--nat-on-idle must be {'|'.join(_NAT_ACTIONS)}, got {self.nat_on_idle!r}"
            )
        for flag, path in (("--ca-file", self.ca_file), ("--users-csv", self.users_csv)):
            if path is not None and not Path(path).is_file():
                raise LoadError(f"{flag} {path}: no such file")
        if self.out_dir.exists() and not self.out_dir.is_dir():
            raise LoadError(f"--out {self.out_dir}: not a directory")
        if self.source_addresses:
            _check_source_addresses(self.source_addresses)
        if not self.locustfile.is_file():
            raise LoadError(f"locustfile not found: {self.locustfile}")


_NAT_ACTIONS = ("drop", "reset", "close", "kernel")


def _check_port(flag: str, port: int) -> None:
    if not 1 <= port <= 65535:
        raise LoadError(f"{flag} must be a TCP port (1-65535), got {port}")


def locustfile_path() -> Path:
    """The locustfile of the installed ``loadtests`` package (for ``locust -f`` by hand)."""
    return LOADTESTS_DIR / "locustfile.py"


def worker_command(master_host: str, master_port: int = 5557) -> list[str]:
    """The locust worker that ``eas load --worker`` runs: it takes every option (scenario, users
    file, scale) from the master with each spawn message, so it needs only where the master is."""
    if not master_host:
        raise LoadError("--worker needs --master-host (the machine running eas load --master)")
    _check_port("--master-port", master_port)
    path = locustfile_path()
    if not path.is_file():
        raise LoadError(f"locustfile not found: {path}")
    return [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(path),
        "--worker",
        "--master-host",
        master_host,
        "--master-port",
        str(master_port),
    ]


def run_worker(master_host: str, master_port: int = 5557) -> int:
    """Run one locust worker in the foreground until its master ends the run; its exit code."""
    cmd = worker_command(master_host, master_port)
    try:
        return subprocess.call(cmd)
    except KeyboardInterrupt:
        return 130


def _check_source_addresses(text: str) -> None:
    """Each of ``--source-addresses`` must be an IP address this machine can bind to (else every
    device fails to connect, which the run would only report as errors)."""
    for item in (a.strip() for a in text.split(",")):
        if not item:
            continue
        try:
            addr = ipaddress.ip_address(item)
        except ValueError:
            raise LoadError(f"--source-addresses: {item!r} is not an IP address") from None
        family = socket.AF_INET6 if addr.version == 6 else socket.AF_INET
        try:
            with socket.socket(family, socket.SOCK_STREAM) as probe:
                probe.bind((item, 0))
        except OSError as exc:
            raise LoadError(
                f"--source-addresses: cannot connect from {item} ({exc.strerror}); "
                "use addresses of this machine, e.g. 127.0.0.2"
            ) from None


#: What the embedded mock (one server process) carried on the project's shared 2-core machine,
#: measured with ``benchmarks/fleet.py`` (direct-push, full life: Provision, FolderSync, initial
#: sync, Ping with deliveries): devices it held in Direct Push with every one of them ready, and
#: devices that got ready per second while a fleet joined (the ramp follows the server).
#: Measured 2026-12 (load average 1-7): 2,000 devices all ready at 44/s (best 5 s: 100/s);
#: 5,000 at 57/s; 10,000 all ready and parked in a 240 s run at 51/s, at 42-57/s in others (the
#: mock used ~75 % of a core over such a run, the load generator ~45 %). No reconnect in any.
EMBEDDED_MOCK_DEVICES = 10_000
EMBEDDED_MOCK_READY_PER_S = 40.0


def embedded_capacity_warning(devices: int, duration: float) -> str | None:
    """One line when a run on the embedded mock asks more than it measurably carries here:
    more devices than it held, or more than its ramp makes ready within ``duration``."""
    ramp_s = devices / EMBEDDED_MOCK_READY_PER_S
    measured = (
        f"the embedded mock server (one process) measured here held {EMBEDDED_MOCK_DEVICES:,} "
        f"devices and made ~{EMBEDDED_MOCK_READY_PER_S:g} devices/s ready (benchmarks/fleet.py)"
    )
    if devices > EMBEDDED_MOCK_DEVICES:
        return (
            f"{devices:,} devices: {measured}; beyond that the run measures the mock, not the "
            "devices (use --host with a real server)"
        )
    if ramp_s > 0.8 * duration:
        return (
            f"{devices:,} devices need ~{ramp_s:.0f} s to get ready at that rate, against "
            f"--duration {duration:g} s: {measured}; give a longer --duration"
        )
    return None


@dataclass
class LoadResult:
    summary: dict
    out_dir: Path
    locust_exit: int
    files: dict[str, Path]


def _nat_spec(opts: LoadOptions, scenario: Scenario) -> NatSpec | None:
    spec = scenario.nat
    wanted = opts.nat or spec is not None
    if not wanted:
        return None
    spec = spec or NatSpec()
    return NatSpec(
        idle_timeout=opts.nat_idle_timeout if opts.nat_idle_timeout else spec.idle_timeout,
        on_idle=opts.nat_on_idle or spec.on_idle,
        change_address_every=opts.nat_change_address_every or spec.change_address_every,
        change_address_at=opts.nat_change_address_at or spec.change_address_at,
        on_address_change=spec.on_address_change,
    )


class _StatsPoller:
    """Reads the mock's statistics once a second while the run lasts (parked Pings)."""

    def __init__(self, control) -> None:
        self.control = control
        self.samples: list[tuple[float, int]] = []
        self.last: dict = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="eas-load-poll", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(1.0):
            try:
                stats = self.control.stats()
            except Exception:  # the mock is busy or gone: skip a sample
                continue
            self.last = stats
            self.samples.append((time.time(), int(stats.get("parked_pings", 0))))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        with contextlib.suppress(Exception):
            self.last = self.control.stats()


def _locust_totals(path: Path) -> dict:
    """Requests and failures of locust's Aggregated row (every EAS command, Pings included)."""
    import csv

    if not path.is_file():
        return {}
    for row in csv.DictReader(path.read_text(encoding="utf-8").splitlines()):
        if row.get("Name") == "Aggregated":
            return {"count": int(row["Request Count"]), "failures": int(row["Failure Count"])}
    return {}


class _AddressChanger:
    """Changes the NAT's public address at times counted from the first device connection
    (not from the proxy's start: locust takes a few seconds to start its devices)."""

    def __init__(self, nat, at: tuple[float, ...], every: float | None, duration: float) -> None:
        self.nat = nat
        self.schedule = sorted(at)
        if every:
            self.schedule = sorted(
                {*self.schedule, *(every * k for k in range(1, int(duration // every) + 1))}
            )
        self.changes: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="eas-load-nat", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            try:
                if self.nat.connections:
                    break
            except EasError:
                return
        t0 = time.monotonic()
        for at in self.schedule:
            if self._stop.wait(max(0.0, t0 + at - time.monotonic())):
                return
            try:
                killed = self.nat.change_address()
            except EasError:
                return
            self.changes.append((time.time(), killed))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)


def run_load(opts: LoadOptions, log=None) -> LoadResult:
    """Run the scenario and return its summary (also written to ``out_dir``)."""
    import json

    from easclient.netsim import NatProxyConfig, OnIdle, start_in_thread

    opts.check()
    say = log or (lambda message: None)
    scenario = load_scenario(opts.scenario)
    out = opts.out_dir
    out.mkdir(parents=True, exist_ok=True)
    secret_dir = Path(tempfile.mkdtemp(prefix="eas-load-"))
    os.chmod(secret_dir, 0o700)
    server = None
    nat = None
    poller = None
    changer = None
    try:
        env = dict(os.environ)
        extra: list[str] = []
        if opts.host:
            url = opts.host.rstrip("/")
            users_csv = opts.users_csv
            assert users_csv is not None  # check(): --host needs --users-csv
            accounts = read_accounts(users_csv)  # a bad file fails here, before locust
            scale = opts.heartbeat_scale or 1.0
            rate = (
                opts.delivery_rate
                if opts.delivery_rate is not None
                else scenario.deliveries_per_device_per_minute
            )
            nameless = next((a.user for a in accounts if "@" not in a.user), None)
            if rate > 0 and nameless and not opts.mail_domain:
                raise LoadError(
                    f"deliveries go by SendMail to each user's address, and {nameless!r} is "
                    "no address: give --mail-domain (or --delivery-rate 0)"
                )
        else:
            from easclient.mock import PERSONALITIES, spawn

            scale = opts.heartbeat_scale or scenario.mock_heartbeat_scale
            personality = PERSONALITIES[scenario.mock_personality]
            args = [
                "--user-count",
                str(opts.devices),
                "--personality",
                scenario.mock_personality,
                "--messages-per-folder",
                str(scenario.messages_per_folder),
                # Every device connects from this machine (or through the NAT proxy's one
                # address): the mock's per-address connection cap would refuse most of them.
                "--max-connections-per-address",
                "0",
            ]
            for flag, bound in (
                ("--heartbeat-min", personality.heartbeat_min),
                ("--heartbeat-max", personality.heartbeat_max),
            ):
                if bound is not None and scale != 1.0:
                    args += [flag, str(max(1, round(bound * scale)))]
            if opts.mock_tls:
                args.append("--tls")
            warning = embedded_capacity_warning(opts.devices, opts.duration)
            if warning:
                say(f"warning: {warning}")
            say(f"starting the mock server ({opts.devices} users)")
            server = spawn(args, timeout=120)
            handle = server.handle
            url = handle.url
            users_csv = secret_dir / "users.csv"
            write_accounts(users_csv, [Account(u.name, u.password) for u in handle.users])
            if handle.ca_file:
                extra += ["--eas-ca-file", handle.ca_file]
            if opts.delivery_via == "sendmail":
                domain = opts.mail_domain or handle.users[0].address.split("@", 1)[1]
                extra += ["--eas-push-via", "sendmail", "--eas-mail-domain", domain]
            else:
                extra += ["--eas-control-url", url]
                env["EAS_LOAD_CONTROL_TOKEN"] = handle.control_token
            if scenario.faults:
                handle.control.add_faults(*scenario.faults)
            poller = _StatsPoller(handle.control)
        spec = _nat_spec(opts, scenario)
        if spec is not None:
            target = parse_server_url(url)
            nat = start_in_thread(
                NatProxyConfig(
                    target_host=target.host,
                    target_port=target.effective_port,
                    idle_timeout=(
                        scaled_seconds(spec.idle_timeout, scale) if spec.idle_timeout else None
                    ),
                    # names: NatProxyConfig turns them into OnIdle (NetsimError for a bad one)
                    on_idle=cast(OnIdle, spec.on_idle),
                    on_address_change=cast(OnIdle, spec.on_address_change),
                    max_records=1000,
                )
            )
            if spec.change_address_at or spec.change_address_every:
                changer = _AddressChanger(
                    nat, spec.change_address_at, spec.change_address_every, opts.duration
                )
                changer.start()
            extra += ["--eas-connect", f"{nat.host}:{nat.port}"]
            idle = nat.proxy.config.idle_timeout
            idle_text = "none" if idle is None else f"{idle:.2f} s"
            say(f"NAT proxy on {nat.host}:{nat.port} (idle timeout {idle_text})")
        if opts.host and opts.mail_domain:
            extra += ["--eas-mail-domain", opts.mail_domain]
        if opts.ca_file:
            extra += ["--eas-ca-file", str(opts.ca_file)]
        if opts.insecure:
            extra.append("--eas-insecure")
        if opts.tcp_keepalive:
            extra += ["--eas-tcp-keepalive", str(opts.tcp_keepalive)]
        if opts.delivery_rate is not None:
            extra += ["--eas-delivery-rate", str(opts.delivery_rate)]
        if opts.source_addresses:
            extra += ["--eas-source-addresses", opts.source_addresses]
        if opts.processes > 1:
            extra += ["--processes", str(opts.processes)]
        if opts.expect_workers:
            extra += [
                "--master",
                "--expect-workers",
                str(opts.expect_workers),
                "--expect-workers-max-wait",
                "120",
                "--master-bind-port",
                str(opts.master_bind_port),
            ]
            say(
                f"master on port {opts.master_bind_port}: waiting for {opts.expect_workers} "
                "worker(s) (eas load --worker --master-host THIS-HOST)"
            )
        summary_path = out / "summary.json"
        summary_path.unlink(missing_ok=True)
        cmd = [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(opts.locustfile),
            "--headless",
            "--users",
            str(opts.devices),
            "--spawn-rate",
            str(opts.spawn_rate),
            "--run-time",
            f"{max(1, round(opts.duration))}s",
            "--stop-timeout",
            f"{round(opts.stop_timeout)}s",
            "--host",
            url,
            "--csv",
            str(out / "locust"),
            "--html",
            str(out / "locust.html"),
            "--exit-code-on-error",
            "0",
            "--eas-scenario",
            scenario.name,
            "--eas-users-csv",
            str(users_csv),
            "--eas-heartbeat-scale",
            repr(scale),
            "--eas-workers",
            str(opts.expect_workers or opts.processes),
            "--eas-summary",
            str(summary_path),
            *extra,
        ]
        if poller is not None:
            poller.start()
        say(f"running locust: {opts.devices} devices, {opts.duration:g} s → {out}")
        with (out / "locust.log").open("w") as log_file:
            proc = subprocess.Popen(cmd, stdout=log_file, stderr=subprocess.STDOUT, env=env)
            try:
                wait_workers = 120 if opts.expect_workers else 0
                code = proc.wait(timeout=opts.duration + opts.stop_timeout + 120 + wait_workers)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                raise LoadError(
                    f"locust did not finish in time; see {out / 'locust.log'}"
                ) from None
        if poller is not None:
            poller.stop()
        if not summary_path.is_file():
            raise LoadError(
                f"locust ended (exit {code}) without a summary; see {out / 'locust.log'}"
            )
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
        started = summary["started"]
        if poller is not None:
            summary["mock"] = {
                "parked_timeline": [
                    {"t": round(t - started, 3), "parked": n} for t, n in poller.samples
                ],
                "max_parked_pings": poller.last.get("max_parked_pings"),
                "requests": poller.last.get("requests"),
                "http_status": poller.last.get("http_status"),
                "ping_results": poller.last.get("ping_results"),
                "faults_fired": poller.last.get("faults_fired"),
            }
        if nat is not None:
            if changer is not None:
                changer.stop()
            records = nat.connections
            summary["nat"] = {
                "idle_timeout": nat.proxy.config.idle_timeout,
                "connections": len(records),
                "client_addresses": sorted({r.client.rsplit(":", 1)[0] for r in records}),
                "address_changes": [
                    {"t": round(at - started, 3), "killed": killed}
                    for at, killed in (changer.changes if changer is not None else [])
                ],
            }
        summary["requests"] = _locust_totals(out / "locust_stats.csv")
        summary_path.write_text(json.dumps(summary), encoding="utf-8")
        from .report import write_chart

        chart = write_chart(summary, out / "summary.png")
        files = {
            "summary": summary_path,
            "chart": chart,
            "html": out / "locust.html",
            "csv": out / "locust_stats.csv",
            "log": out / "locust.log",
        }
        return LoadResult(summary, out, code, files)
    finally:
        if poller is not None:
            poller.stop()
        if changer is not None:
            changer.stop()
        if nat is not None:
            nat.stop()
        if server is not None:
            server.stop()
        shutil.rmtree(secret_dir, ignore_errors=True)
