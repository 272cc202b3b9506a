"""The baseline for benchmarks/load_capacity.py: locust's own ``FastHttpUser`` sending fixed EAS
bytes, with no client logic — what the simulated devices are measured against.

``BareLongPoll`` parks one Ping per user (the same WBXML a device sends); ``BarePost`` POSTs the
same Sync body over and over. Each user is its own (user, DeviceId), as devices are.

    locust -f loadtests/bare.py BareLongPoll --eas-users-csv users.csv --host URL ...
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

from locust import FastHttpUser, constant, events, task

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from easclient import wbxml
from easclient.client import BasicAuth
from easclient.load.fleet import read_accounts
from easclient.mock.mailbox import INBOX_ID
from easclient.protocol import (
    PingFolder,
    PingRequest,
    SyncRequest,
    build_request,
    parse_sync_body,
)
from easclient.protocol.sync import BodyPreference, SyncOptions
from easclient.protocol.sync_flow import SyncCollectionFlow

VERSION = "14.1"
_counter = itertools.count()
_accounts: list = []


@events.init_command_line_parser.add_listener
def _options(parser) -> None:
    parser.add_argument("--eas-users-csv", default="", help="user,password[,device_id] lines")
    parser.add_argument("--eas-heartbeat", type=int, default=480)


def _request(user, cmd: str, element):
    account = _accounts[user.index % len(_accounts)]
    req = build_request(
        cmd,
        element,
        user=account.user,
        device_id=f"BARE{user.index:08d}",
        device_type="Bare",
        version=VERSION,
    )
    headers = dict(req.headers)
    headers["Authorization"] = BasicAuth(account.user, account.password).header()
    return req.target, req.body, headers


class _Bare(FastHttpUser):
    abstract = True
    wait_time = constant(0)
    network_timeout = 4000.0
    connection_timeout = 60.0
    # One connection per user, as a device has.
    concurrency = 1
    insecure = True

    def on_start(self) -> None:
        if not _accounts:
            _accounts.extend(read_accounts(self.environment.parsed_options.eas_users_csv))
        self.index = next(_counter)


class BareLongPoll(_Bare):
    """One parked Ping per user (the heartbeat outlives the measurement)."""

    def on_start(self) -> None:
        super().on_start()
        hb = self.environment.parsed_options.eas_heartbeat
        body = PingRequest(hb, (PingFolder(INBOX_ID),)).to_body(VERSION)
        self.target, self.body, self.headers = _request(self, "Ping", body)

    @task
    def ping(self) -> None:
        self.client.post(self.target, data=self.body, headers=self.headers, name="Ping")


class BarePost(_Bare):
    """The Sync a device sends for an unchanged Inbox, POSTed over and over.

    ``on_start`` primes the Inbox (SyncKey 0) and asks once for changes, so that the loop
    sends the very request a device sends (same options, a real SyncKey, same size); the server
    answers a repeated key from its cache (MS-ASCMD: a lost answer is sent again).
    """

    def on_start(self) -> None:
        super().on_start()
        key = "0"
        for _ in range(2):
            body = _sync_body(key)
            target, data, headers = _request(self, "Sync", body)
            r = self.client.post(target, data=data, headers=headers, name="Sync setup")
            col = parse_sync_body(wbxml.decode(r.content), {INBOX_ID: "Email"}).collection(INBOX_ID)
            assert col is not None and col.sync_key is not None, "no Inbox SyncKey in the answer"
            last_key, key = key, col.sync_key
        self.target, self.body, self.headers = _request(self, "Sync", _sync_body(last_key))

    @task
    def sync(self) -> None:
        self.client.post(self.target, data=self.body, headers=self.headers, name="Sync")


def _sync_body(key: str) -> wbxml.Element:
    """The Sync of an Inbox as EasClient writes it (the protocol's SyncCollectionFlow)."""
    flow = SyncCollectionFlow(
        INBOX_ID,
        key,
        class_="Email",
        window_size=5,
        options=(SyncOptions(body_preferences=(BodyPreference(type=1, truncation_size=32768),)),),
    )
    return SyncRequest(collections=(flow.collection_request(),)).to_element(VERSION)


__all__ = ["BareLongPoll", "BarePost"]
