"""Load scenarios: small data files in ``loadtests/scenarios/``, chosen by name.

A scenario says which devices make up the fleet (profiles in proportions), what the server and
the path to it do (mock-server options, fault rules, a NAT proxy in front), and how mail arrives
(deliveries per device per minute). Each file defines ``SCENARIO = Scenario(...)`` and imports
nothing but this module, so the CLI reads scenarios without importing locust (whose gevent
monkey-patching must stay inside the load processes).

Heartbeats of real devices are minutes long. ``heartbeat_scale`` shrinks every heartbeat number of
every strategy (start, bounds, step), the Ping read margin and the NAT timeouts by one factor, so
a run of minutes on the mock shows what a day of real devices would.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from pathlib import Path

from easclient.client.heartbeat import (
    AospHeartbeat,
    AospIcsHeartbeat,
    FixedHeartbeat,
    HeartbeatStrategy,
    ServerHeartbeat,
    TechnetHeartbeat,
)
from easclient.client.profiles import PROFILES
from easclient.errors import EasError


def _loadtests_dir() -> Path:
    """Where the ``loadtests`` package is, found through the import system without importing it
    (importing it would not hurt, but locust's monkey-patching must stay in locust processes):
    site-packages after ``pip install 'easclient[load]'``, the checkout in a development tree."""
    spec = importlib.util.find_spec("loadtests")
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    return Path(__file__).resolve().parents[2] / "loadtests"


#: Where the locust side and the scenario files live.
LOADTESTS_DIR = _loadtests_dir()
SCENARIOS_DIR = LOADTESTS_DIR / "scenarios"


class ScenarioError(EasError):
    """An unknown scenario or a scenario file that cannot be used (names the value)."""


@dataclass(frozen=True)
class NatSpec:
    """The NAT proxy in front of the server (times in unscaled seconds)."""

    idle_timeout: float | None = None
    on_idle: str = "drop"
    #: Seconds, counted from the first device connection (not scaled: the address change is
    #: an event, not a device's timer).
    change_address_every: float | None = None
    change_address_at: tuple[float, ...] = ()
    on_address_change: str = "reset"


@dataclass(frozen=True)
class Scenario:
    """One load scenario (see the module docstring)."""

    name: str
    description: str
    profiles: dict[str, float] = field(default_factory=lambda: {"android": 1.0})
    #: Factor applied to heartbeats, margins and NAT idle timeouts when running on the mock.
    mock_heartbeat_scale: float = 1 / 60
    deliveries_per_device_per_minute: float = 0.0
    messages_per_folder: int = 5
    #: The mock server's personality; its heartbeat bounds are scaled like the devices'.
    mock_personality: str = "exchange"
    #: Fault rules installed through the control API when the run starts.
    faults: tuple[dict, ...] = ()
    nat: NatSpec | None = None
    #: Seconds a device waits for a Ping answer beyond its heartbeat (scaled like heartbeats).
    ping_margin: float = 10.0

    def __post_init__(self) -> None:
        unknown = [p for p in self.profiles if p not in PROFILES]
        if unknown or not self.profiles:
            raise ScenarioError(
                f"scenario {self.name}: unknown profile(s) {unknown or '(none)'}; "
                f"choose from {', '.join(PROFILES)}"
            )
        if any(w <= 0 for w in self.profiles.values()):
            raise ScenarioError(f"scenario {self.name}: profile weights must be positive")
        if not 0 < self.mock_heartbeat_scale <= 1:
            raise ScenarioError(f"scenario {self.name}: heartbeat scale must be within (0, 1]")


def scenario_names() -> list[str]:
    """Every scenario name found in ``loadtests/scenarios/`` (file ``a_b.py`` is ``a-b``)."""
    if not SCENARIOS_DIR.is_dir():
        return []
    return sorted(
        p.stem.replace("_", "-") for p in SCENARIOS_DIR.glob("*.py") if not p.stem.startswith("_")
    )


def load_scenario(name: str, directory: Path | None = None) -> Scenario:
    """The scenario called ``name`` (``ScenarioError`` naming the choices otherwise)."""
    directory = directory or SCENARIOS_DIR
    path = directory / f"{name.replace('-', '_')}.py"
    if not name or "/" in name or not path.is_file():
        raise ScenarioError(
            f"unknown scenario {name!r}; choose one of {', '.join(scenario_names()) or '(none)'}"
        )
    spec = importlib.util.spec_from_file_location(f"_eas_scenario_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    scenario = getattr(module, "SCENARIO", None)
    if not isinstance(scenario, Scenario):
        raise ScenarioError(f"{path} defines no SCENARIO = Scenario(...)")
    return scenario


def _s(value: float, scale: float) -> int:
    """A heartbeat number scaled, as a whole number of seconds (HeartbeatInterval is an int)."""
    return max(1, round(value * scale))


def scaled_strategy(name: str, scale: float = 1.0) -> HeartbeatStrategy:
    """The heartbeat strategy ``name`` with all its numbers multiplied by ``scale``.

    At ``scale`` 1 this is exactly :func:`easclient.client.make_strategy` (the defaults).
    """
    if scale == 1.0:
        from easclient.client.heartbeat import make_strategy

        return make_strategy(name)
    if name == "fixed":
        return FixedHeartbeat(seconds=_s(480, scale))
    if name in ("aosp-ics", "aosp"):
        aosp = AospIcsHeartbeat if name == "aosp-ics" else AospHeartbeat
        d = aosp()
        return aosp(
            start=_s(d.start, scale),
            minimum=_s(d.minimum, scale),
            maximum=_s(d.maximum, scale),
            step=_s(d.step, scale),
        )
    if name == "technet":
        t = TechnetHeartbeat()
        return TechnetHeartbeat(
            default=_s(t.default, scale),
            minimum=_s(t.minimum, scale),
            maximum=_s(t.maximum, scale),
            increment=_s(t.increment, scale),
            successes_before_raise=t.successes_before_raise,
        )
    if name == "server":
        return ServerHeartbeat(start=_s(ServerHeartbeat().start, scale))
    raise ScenarioError(f"unknown heartbeat strategy {name!r}")


def scaled_seconds(value: float, scale: float) -> float:
    """A timer (margin, idle timeout) scaled, kept at least 0.5 s."""
    return max(0.5, value * scale)
