"""Steady state: every device parked in Ping, mail delivered at a rate, push timed."""

from easclient.load.scenario import Scenario

SCENARIO = Scenario(
    name="direct-push",
    description="parked Pings plus deliveries at a rate; push latency from delivery to Sync",
    profiles={"android": 1.0},
    deliveries_per_device_per_minute=2.0,
    messages_per_folder=5,
)
