"""The server is slow, with no NAT in the path: every Ping is answered 0.8 s after its heartbeat,
three in ten 2.5 s later still. Devices must count late answers as ``late`` (not black holes) and
keep their connection, and back off after a Ping left unanswered beyond their grace
(``server-slow``) instead of reconnecting in a storm."""

from easclient.load.scenario import Scenario

SCENARIO = Scenario(
    name="slow-server",
    description="Pings answered late, some very late; no NAT: late/server-slow, no black holes",
    profiles={"android": 1.0},
    deliveries_per_device_per_minute=2.0,
    faults=(
        {"action": "delay", "command": "Ping", "seconds": 0.8},
        {"action": "delay", "command": "Ping", "seconds": 2.5, "probability": 0.3},
    ),
)
