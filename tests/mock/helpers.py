"""A raw EAS device for tests: httpx plus the protocol classes, no client logic in between."""

from __future__ import annotations

import socket

import httpx

from easclient import wbxml
from easclient.protocol import build_request
from easclient.protocol.foldersync import FolderSyncRequest, FolderSyncResponse
from easclient.protocol.provision import ProvisionRequest, ProvisionResponse
from easclient.protocol.settings import DeviceInformation
from easclient.protocol.sync import (
    BodyPreference,
    SyncCollectionRequest,
    SyncOptions,
    SyncRequest,
    SyncResponse,
)

PATH = "/Microsoft-Server-ActiveSync"


class RawDevice:
    """One device of one user, speaking EAS over real HTTP."""

    def __init__(
        self,
        url: str,
        user: str,
        password: str,
        device_id: str = "dev1",
        *,
        version: str = "14.1",
        base64_query: bool = False,
        verify: object = True,
        timeout: float = 30.0,
    ) -> None:
        self.user = user
        self.device_id = device_id
        self.version = version
        self.base64_query = base64_query
        self.policy_key: int | None = None
        # Without TCP_NODELAY a request whose body goes out in a second write waits ~40 ms for
        # the server's delayed ACK (Nagle); the mock answers in well under that.
        transport = httpx.HTTPTransport(
            verify=verify, socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]
        )
        self.http = httpx.Client(
            base_url=url, auth=(user, password), timeout=timeout, transport=transport
        )

    def close(self) -> None:
        self.http.close()

    def post(self, cmd: str, body=None, **kw) -> httpx.Response:
        req = build_request(
            cmd,
            body,
            user=self.user,
            device_id=self.device_id,
            device_type="TestDevice",
            version=self.version,
            policy_key=self.policy_key,
            base64_query=self.base64_query,
            **kw,
        )
        return self.http.post(req.target, content=req.body, headers=dict(req.headers))

    def call(self, cmd: str, request, response_cls):
        """Send ``request`` (a protocol dataclass, or None) and parse the answer."""
        body = None if request is None else request.to_element(self.version)
        resp = self.post(cmd, body)
        assert resp.status_code == 200, (cmd, resp.status_code)
        if not resp.content:
            return None
        return response_cls.from_element(wbxml.decode(resp.content))

    def provision(self) -> int:
        first = self.call(
            "Provision",
            ProvisionRequest.initial(self.version, DeviceInformation(model="pytest")),
            ProvisionResponse,
        )
        final = self.call(
            "Provision",
            ProvisionRequest.acknowledge(first.policy_key, version=self.version),
            ProvisionResponse,
        )
        self.policy_key = final.policy_key
        return final.policy_key

    def folder_sync(self, key: str = "0") -> FolderSyncResponse:
        return self.call("FolderSync", FolderSyncRequest(key), FolderSyncResponse)

    def sync(self, collection_id: str, key: str, **kw) -> SyncResponse:
        window = kw.pop("window_size", None)
        prefs = kw.pop("body_preferences", ())
        options = (SyncOptions(body_preferences=tuple(prefs)),) if prefs else ()
        coll = SyncCollectionRequest(key, collection_id, window_size=window, options=options, **kw)
        return self.call("Sync", SyncRequest((coll,)), SyncResponse)

    def sync_all(self, collection_id: str = "2", window_size: int = 5) -> tuple[str, list]:
        """Prime and drain a collection; returns the final key and every server command."""
        key = self.sync(collection_id, "0").collections[0].sync_key
        commands: list = []
        for _ in range(100):
            coll = self.sync(
                collection_id,
                key,
                window_size=window_size,
                body_preferences=(BodyPreference(1, 100),),
            ).collections[0]
            key = coll.sync_key
            commands.extend(coll.commands)
            if not coll.more_available:
                return key, commands
        raise AssertionError("MoreAvailable never ended")


def ready_device(server, user_index: int = 0, device_id: str = "dev1", **kw) -> RawDevice:
    """A provisioned device with its folder hierarchy synced."""
    user = server.users[user_index]
    dev = RawDevice(server.url, user.name, user.password, device_id, **kw)
    dev.provision()
    dev.folder_sync()
    return dev
