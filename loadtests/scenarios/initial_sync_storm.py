"""Every device arrives at once and downloads its mailbox: Provision, FolderSync, Sync windows."""

from easclient.load.scenario import Scenario

SCENARIO = Scenario(
    name="initial-sync-storm",
    description="all devices provision and sync a full Inbox at once, then park in Ping",
    profiles={"iphone": 0.5, "android": 0.5},
    messages_per_folder=100,
)
