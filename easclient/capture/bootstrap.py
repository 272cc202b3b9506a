"""Replaying a capture that starts mid-conversation (a phone that was set up before the proxy
was in place): get the ids its requests assume from the new server first.

- No Provision in the capture, but requests carry a PolicyKey: provision as the device (both
  phases, MS-ASPROV 3.1.5.1) and map every recorded key to the final one.
- A FolderSync or Sync sending a SyncKey the replay never saw handed out: ask this server for
  a fresh one with SyncKey 0 (MS-ASCMD 2.2.3.166.2/4) and map the recorded key to it.

Folder ids are kept as recorded (a capture without FolderSync does not say which folder is
which); for a server of another kind that differs, and the replay says so step by step.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from easclient import wbxml
from easclient.client.transport import Transport
from easclient.protocol import (
    EasRequest,
    FolderSyncRequest,
    Headers,
    ProvisionRequest,
    RequestQuery,
    SyncCollectionRequest,
    SyncRequest,
)
from easclient.protocol.provision_flow import (
    ProvisionFlow,
    ProvisionOutcome,
    ProvisionPhase,
    ProvisionResult,
)
from easclient.wbxml import Element

from .idmap import IdMap
from .model import Capture, Exchange


@dataclass
class Identity:
    """The captured device, as a request needs it."""

    user: str
    device_id: str
    device_type: str
    version: str
    base64_query: bool
    user_agent: str | None
    path: str

    @classmethod
    def of(cls, capture: Capture, user: str | None) -> Identity | None:
        for ex in capture:
            q = ex.request_query()
            if q is not None:
                return cls(
                    user if user is not None else q.user,
                    q.device_id,
                    q.device_type,
                    q.version,
                    ex.base64_query,
                    Headers(ex.request_headers).get("User-Agent"),
                    ex.path,
                )
        return None


def recorded_policy_keys(capture: Capture) -> set[str]:
    """Policy keys the captured requests sent (query or X-MS-PolicyKey)."""
    keys: set[str] = set()
    for ex in capture:
        q = ex.query_decoded or {}
        if q.get("policy_key") is not None:
            keys.add(str(q["policy_key"]))
        header = Headers(ex.request_headers).get("X-MS-PolicyKey")
        if header:
            keys.add(header)
    return keys - {"0"}


@dataclass
class Bootstrap:
    """Sends the setup requests a mid-conversation capture lacks, and maps what they return."""

    transport: Transport
    ids: IdMap
    identity: Identity
    policy_key: int | None = None
    log: list[str] = field(default_factory=list)

    def _send(self, cmd: str, body: Element) -> Element | None:
        q = RequestQuery(
            cmd=cmd,
            user=self.identity.user,
            device_id=self.identity.device_id,
            device_type=self.identity.device_type,
            version=self.identity.version,
            policy_key=None if cmd == "Provision" else self.policy_key,
        )
        headers = Headers({"Content-Type": "application/vnd.ms-sync.wbxml"})
        if self.identity.user_agent:
            headers["User-Agent"] = self.identity.user_agent
        if not self.identity.base64_query:
            headers.update(q.plain_headers())
        request = EasRequest(
            "POST", self.identity.path, q, headers, wbxml.encode(body), self.identity.base64_query
        )
        response = self.transport.send(request)
        if response.status_code != 200 or not response.body:
            self.log.append(f"bootstrap {cmd}: HTTP {response.status_code}")
            return None
        try:
            return wbxml.decode(response.body)
        except wbxml.WBXMLError as exc:
            self.log.append(f"bootstrap {cmd}: answer does not decode: {exc}")
            return None

    def provision(self, recorded_keys: set[str]) -> None:
        """Both phases of Provision; every recorded key maps to the final one."""
        version = self.identity.version
        flow = ProvisionFlow(version)
        step: ProvisionRequest | ProvisionOutcome = flow.request()
        while isinstance(step, ProvisionRequest):
            answer = self._send("Provision", step.to_element(version))
            if answer is None and flow.phase is not ProvisionPhase.WIPE_ACKNOWLEDGE:
                break  # not answered: _send logged why
            step = flow.receive_element(answer)
        outcome = flow.outcome  # None: a request went unanswered
        if outcome is not None and outcome.result is ProvisionResult.PROVISIONED:
            self.policy_key = outcome.policy_key
            for key in recorded_keys:
                self.ids.learn("policykey", key, str(self.policy_key))
            self.log.append(
                f"bootstrap Provision: final policy key for {len(recorded_keys)} key(s)"
            )
        elif outcome is not None and outcome.result is ProvisionResult.WIPED:
            self.log.append(
                f"bootstrap Provision: the server asked for a {outcome.wipe} remote wipe; "
                "acknowledged (nothing deleted), keys sent as recorded"
            )
        elif (flow.phase if outcome is None else outcome.phase) is ProvisionPhase.POLICY:
            self.log.append("bootstrap Provision: no policy key offered; keys sent as recorded")
        else:
            self.log.append("bootstrap Provision: the acknowledgement got no final key")

    def prime(self, ex: Exchange) -> list[str]:
        """Fresh SyncKeys for the keys ``ex`` sends that were never handed out in this replay."""
        el = ex.request_element()
        notes: list[str] = []
        if el is None:
            return notes
        version = self.identity.version
        if el.tag == "FolderHierarchy:FolderSync":
            key = el.findtext("SyncKey")
            if key and key != "0" and not self.ids.knows("synckey", key):
                live = self._send("FolderSync", FolderSyncRequest("0").to_element(version))
                new = live.findtext("SyncKey") if live is not None else None
                if new:
                    self.ids.learn("synckey", key, new)
                    notes.append("primed the folder hierarchy with SyncKey 0")
        elif el.tag == "AirSync:Sync":
            for col in el.iter("Collection"):
                key, cid = col.findtext("SyncKey"), col.findtext("CollectionId")
                if not key or key == "0" or not cid or self.ids.knows("synckey", key):
                    continue
                live_cid = self.ids.get("folder", cid)
                request = SyncRequest(
                    collections=(
                        SyncCollectionRequest(
                            sync_key="0", collection_id=live_cid, class_=col.findtext("Class")
                        ),
                    )
                )
                live = self._send("Sync", request.to_element(version))
                new = None
                for answer in live.iter("Collection") if live is not None else ():
                    if answer.findtext("CollectionId") == live_cid:
                        new = answer.findtext("SyncKey")
                if new:
                    self.ids.learn("synckey", key, new)
                    notes.append(f"primed collection {cid} with SyncKey 0")
        return notes
