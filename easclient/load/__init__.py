"""Load generation support that needs no locust: scenarios, the fleet's accounts, our own
statistics and the report (table and chart). (The devices' in-memory state is the client's:
:class:`easclient.MemoryState`.)

The locust side (User classes, the gevent transport) lives in ``loadtests/`` and is only ever
imported inside locust processes, because locust monkey-patches the standard library with gevent
when it is imported.
"""

from .fleet import Account, FleetError, read_accounts, write_accounts
from .scenario import NatSpec, Scenario, ScenarioError, load_scenario, scenario_names
from .stats import Aggregate, LoadStats

__all__ = [
    "Account",
    "Aggregate",
    "FleetError",
    "LoadStats",
    "NatSpec",
    "Scenario",
    "ScenarioError",
    "load_scenario",
    "read_accounts",
    "scenario_names",
    "write_accounts",
]
