"""The NAT's public address changes: every parked connection dies at once and every device
reconnects. The report shows the time to recover, the reconnect rate and the errors."""

from easclient.load.scenario import NatSpec, Scenario

SCENARIO = Scenario(
    name="address-change-storm",
    description="the public address changes; every device reconnects",
    profiles={"iphone": 0.5, "android": 0.5},
    nat=NatSpec(change_address_every=30, on_address_change="reset"),
)
