"""Devices behind a NAT that forgets idle connections sooner than their heartbeat: the adaptive
heartbeat strategies must find a value below the idle timeout and stay there."""

from easclient.load.scenario import NatSpec, Scenario

SCENARIO = Scenario(
    name="nat-churn",
    description="NAT idle timeout below the heartbeat; adaptive strategies converge",
    # technet: Windows Mobile's published algorithm (revert and hold); aosp-ics: Android 4.0's
    # (drop once above the high-water mark).
    profiles={"windows-mobile": 0.5, "android-ics": 0.5},
    # 15 min idle timeout against heartbeats that start at 8 min and climb to 28 min.
    nat=NatSpec(idle_timeout=900, on_idle="drop"),
    ping_margin=60,
)
