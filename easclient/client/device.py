"""The device: the flows a well-behaved EAS client runs, over any :class:`Transport`.

OPTIONS (choose the version) → Provision (two phases) → FolderSync → Sync every mail folder to
the end → Ping. Around every request, the wire behaviour of MS-ASHTTP and MS-ASCMD:

- HTTP 449 or global status 142-144: provision again and retry the request once.
- HTTP 451: follow ``X-MS-Location`` (at most ``max_redirects`` times; a loop is an error).
- HTTP 503: wait ``Retry-After`` (or back off exponentially), note ``X-MS-ASThrottle``, and
  retry a bounded number of times; waits are capped and go through the injected ``sleep``.
- HTTP 401/403/456/457: the protocol layer's typed errors, which name the code and its meaning.
- Status 165 in Provision: send it again with ``DeviceInformation``.
- Status 140, or a RemoteWipe in a Provision answer: acknowledge it, record it in the state
  file, and stop with :class:`RemoteWipeAcknowledged` (140 with no RemoteWipe in the Provision
  answer: recorded, and a :class:`DeviceError`). Nothing is ever deleted on this machine.
- Sync status 3: that collection starts again from SyncKey 0. Sync 12 / Ping 7: FolderSync,
  then carry on. Ping 5: adopt the server's heartbeat. Ping 6: trim the folder list to
  ``MaxFolders``.

State lives in :class:`DeviceState`; a Sync response is applied in one transaction after it was
read completely, so a run killed anywhere resends the last request with the same SyncKey.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from easclient import wbxml
from easclient.errors import EasError, excerpt
from easclient.protocol import (
    DeviceInformationRequired,
    EasResponse,
    Email,
    EmptyResponse,
    FolderSyncRequest,
    FolderSyncResponse,
    PingFolder,
    PingRequest,
    PingResponse,
    ProvisioningRequiredStatus,
    ProvisionRequest,
    ProvisionRequired,
    ProvisionResponse,
    Redirect,
    RemoteWipeRequested,
    SyncAdd,
    SyncChange,
    SyncCollectionRequest,
    SyncDelete,
    SyncRequest,
    SyncSoftDelete,
    Throttled,
    build_options_request,
    build_request,
    check_global_status,
    check_http,
    decode_body,
    folder_class,
    parse_options,
    parse_sync_body,
    version_at_least,
)
from easclient.protocol._elements import to_int
from easclient.protocol.options import OptionsResult
from easclient.protocol.sync import BodyPreference, SyncOptions
from easclient.wbxml import Element

from .heartbeat import HeartbeatStrategy, PingOutcome, make_strategy
from .outcome import classify_ping_exception, classify_ping_status
from .profiles import DeviceProfile
from .state import ApplyResult, DeviceState, Folder, ItemUpdate, StoredItem
from .transport import NetworkError, Transport

# -- errors ---------------------------------------------------------------------------------


class DeviceError(EasError):
    """A flow could not go on; the message says where and why."""


class RedirectLoop(DeviceError):
    """451 redirects that go round in circles, or too many of them."""


class ProvisionFailed(DeviceError):
    """The server refused to provision this device."""


class RemoteWipeAcknowledged(DeviceError):
    """The server asked for a remote wipe; we acknowledged it (and deleted nothing)."""


class SyncFailed(DeviceError):
    """A Sync or FolderSync ended with a status we cannot recover from."""

    def __init__(self, message: str, *, status: int | None = None, collection: str | None = None):
        super().__init__(message)
        self.status = status
        self.collection = collection


class WaitLimitExceeded(DeviceError):
    """HTTP 503 asked for a wait beyond what is left of ``max_wait``; we stop instead."""


class _HierarchyChanged(Exception):
    """Internal: Sync status 12 — run FolderSync, then go on."""


# -- results --------------------------------------------------------------------------------


@dataclass
class FolderReport:
    """What one run did to one folder."""

    server_id: str
    name: str
    added: int = 0
    changed: int = 0
    deleted: int = 0
    total: int = 0
    restarted: bool = False


@dataclass
class SyncReport:
    """What ``sync_all_mail`` did."""

    folders: dict[str, FolderReport] = field(default_factory=dict)
    folders_added: int = 0
    folders_deleted: int = 0
    notes: list[str] = field(default_factory=list)


@dataclass
class PingReport:
    """How one Ping ended (issue 5): outcome, status, seconds held, folders reported."""

    outcome: PingOutcome
    status: int | None
    seconds: float
    heartbeat: int | None
    folders: tuple[str, ...] = ()
    server_heartbeat: int | None = None
    max_folders: int | None = None
    error: str | None = None


# -- the device -----------------------------------------------------------------------------


def _root_status(el: Element | None) -> int | None:
    """The top-level Status of a response, where global codes (101-177) appear."""
    if el is None:
        return None
    value = el.findtext("Status")
    if value is None:
        return None
    return to_int(value, f"{el.tag}/Status")


def item_digest(data: object, version: str) -> str:
    """A stable digest of an item's ApplicationData (to tell whether it changed)."""
    if isinstance(data, Email):
        el: Element | None = data.to_element(version)
    elif isinstance(data, Element):
        el = data
    else:
        el = None
    text = "" if el is None else wbxml.to_xml(el, pretty=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


class EasClient:
    """One device talking to one server as one user."""

    def __init__(
        self,
        transport: Transport,
        *,
        user: str,
        profile: DeviceProfile,
        device_id: str,
        state: DeviceState,
        version: str | None = None,
        base64_query: bool | None = None,
        send_device_information: bool = True,
        heartbeat: HeartbeatStrategy | None = None,
        ping_margin: float = 10.0,
        max_redirects: int = 3,
        max_throttle_retries: int = 3,
        max_backoff: float = 60.0,
        max_windows: int = 10_000,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        log: Callable[[str], None] | None = None,
        max_wait: float | None = None,
        warn: Callable[[str], None] | None = None,
    ) -> None:
        self.transport = transport
        self.user = user
        self.profile = profile
        self.device_id = device_id
        self.state = state
        self.forced_version = version
        self.base64_query = profile.base64_query if base64_query is None else base64_query
        self.send_device_information = send_device_information
        self.heartbeat = heartbeat or make_strategy(profile.heartbeat)
        self.ping_margin = ping_margin
        self.max_redirects = max_redirects
        self.max_throttle_retries = max_throttle_retries
        self.max_backoff = max_backoff
        self.max_windows = max_windows
        self._sleep = sleep
        self._clock = clock
        self._now = now
        self._log = log or (lambda message: None)
        # Said even when not verbose: a back-off is a wait the user should not sit through blind.
        self._warn = warn or self._log
        self.max_wait = max_wait
        self.waited = 0.0  # seconds slept on HTTP 503 back-offs, over this client's life
        self.max_ping_folders: int | None = None
        self.throttle_reasons: list[str | None] = []
        self.notes: list[str] = []
        self.options_result: OptionsResult | None = None

    # -- version ------------------------------------------------------------------------------
    @property
    def version(self) -> str:
        """The protocol version in use (forced, remembered, or chosen by OPTIONS)."""
        if self.forced_version:
            return self.forced_version
        remembered = self.state.protocol_version
        if remembered:
            return remembered
        return self.choose_version()

    def options(self) -> OptionsResult:
        """OPTIONS (MS-ASHTTP 2.2.3): the server's versions and commands."""
        resp = self._http(lambda: build_options_request(self.profile.user_agent))
        self.options_result = parse_options(resp)
        return self.options_result

    def choose_version(self) -> str:
        """OPTIONS, then the highest version both this profile and the server speak."""
        result = self.options()
        chosen = result.choose_version(self.profile.versions)
        self.state.protocol_version = chosen
        self._log(f"protocol version {chosen} (server offers {', '.join(result.versions)})")
        return chosen

    # -- one exchange -------------------------------------------------------------------------
    def _http(self, make: Callable[[], object], *, read_timeout: float | None = None):
        """Send what ``make()`` builds, handling 451 and 503; other HTTP errors raise."""
        redirects: list[str] = []
        throttled = 0
        while True:
            request = make()
            resent = getattr(self.transport, "retries", 0)
            response: EasResponse = self.transport.send(request, read_timeout=read_timeout)  # type: ignore[arg-type]
            if getattr(self.transport, "retries", 0) != resent:
                # The transport resent it after a reused connection failed: say so in the report.
                detail = self.transport.retry_log[-1]  # type: ignore[attr-defined]
                self.state.record_event("connection-retry", detail)
                self.notes.append(detail)
                self._log(detail)
            try:
                check_http(response)
            except Redirect as exc:
                location = exc.location
                followed = ", ".join(excerpt(r) for r in redirects) or "none"
                if not location or location in redirects or location == self.transport.base_url:
                    raise RedirectLoop(
                        "HTTP 451 redirect loop or missing X-MS-Location: "
                        f"{excerpt(location) if location else location!r} (followed {followed})"
                    ) from exc
                if len(redirects) >= self.max_redirects:
                    raise RedirectLoop(
                        f"more than {self.max_redirects} HTTP 451 redirects: {followed}"
                    ) from exc
                # The credentials go wherever we are sent: only to https, unless already plain.
                secure = self.transport.base_url.startswith("https://")
                if not location.lower().startswith(
                    "https://" if secure else ("https://", "http://")
                ):
                    raise DeviceError(
                        f"HTTP 451: refusing X-MS-Location {excerpt(location)} from "
                        f"{self.transport.base_url} (credentials would leave TLS, or not a URL)"
                    ) from exc
                redirects.append(location)
                self._log(f"HTTP 451: following X-MS-Location to {location}")
                self.transport.base_url = location
                continue
            except Throttled as exc:
                self.throttle_reasons.append(exc.reason)
                self.state.record_event(
                    "throttled",
                    f"HTTP 503 X-MS-ASThrottle={exc.reason} Retry-After={exc.retry_after}",
                )
                if throttled >= self.max_throttle_retries:
                    raise
                delay = exc.retry_after_seconds(self._now())
                if delay is None:
                    delay = 2.0**throttled  # 1, 2, 4 … seconds
                delay = min(delay, self.max_backoff)
                if self.max_wait is not None and self.waited + delay > self.max_wait:
                    left = max(0.0, self.max_wait - self.waited)
                    raise WaitLimitExceeded(
                        f"{exc}; waiting {delay:g} s is beyond the {left:g} s left of the "
                        f"{self.max_wait:g} s wait limit (raise it with --max-wait)"
                    ) from None
                throttled += 1
                reason = excerpt(exc.reason) if exc.reason else "no reason given"
                self._warn(
                    f"HTTP 503 ({reason}): waiting {delay:g} s before retry "
                    f"{throttled} of {self.max_throttle_retries}"
                )
                self.waited += delay
                self._sleep(delay)
                continue
            return response

    def execute(
        self,
        cmd: str,
        body: Element | None,
        *,
        read_timeout: float | None = None,
        params: Mapping[str, str] | None = None,
    ) -> Element | None:
        """One command: build, send, check HTTP and global status; re-provision once on 449 or
        142-144; acknowledge a remote wipe on 140. Returns the decoded body (None if empty)."""
        provisioned = False
        while True:
            version = self.version

            def make(cmd=cmd, version=version):
                return build_request(
                    cmd,
                    body,
                    user=self.user,
                    device_id=self.device_id,
                    device_type=self.profile.device_type,
                    version=version,
                    policy_key=None if cmd == "Provision" else self.state.policy_key,
                    base64_query=self.base64_query,
                    user_agent=self.profile.user_agent,
                    extra_params=params,
                )

            try:
                response = self._http(make, read_timeout=read_timeout)
            except ProvisionRequired:
                if provisioned or cmd == "Provision":
                    raise
                self._log(f"HTTP 449 on {cmd}: provisioning, then retrying once")
                self.provision()
                provisioned = True
                continue
            el = decode_body(response)
            try:
                check_global_status(_root_status(el), cmd)
            except ProvisioningRequiredStatus as exc:
                if provisioned or cmd == "Provision":
                    raise
                self._log(f"status {exc.code} on {cmd}: provisioning, then retrying once")
                self.provision()
                provisioned = True
                continue
            except RemoteWipeRequested:
                if cmd == "Provision":
                    raise
                self._log(f"status 140 on {cmd}: the server requests a remote wipe")
                # The Provision answer carries the RemoteWipe, acknowledged (and the error
                # raised) in _acknowledge_wipe. Getting past it means there was none to ack.
                self.provision()
                detail = f"status 140 on {cmd}, but the Provision answer had no RemoteWipe"
                self.state.record_event("remote-wipe", f"{detail}; nothing acknowledged")
                raise DeviceError(f"{detail}: nothing was acknowledged or deleted") from None
            return el

    # -- Provision (MS-ASPROV 3.1.5.1) -----------------------------------------------------------
    def provision(self) -> int | None:
        """Two-phase provisioning; returns the final PolicyKey (None: the server has no policy).

        Phase 1 asks for the policy and gets a temporary key; phase 2 acknowledges that key and
        gets the final one, sent as X-MS-PolicyKey from then on. A server with no policy for the
        device (Policy Status 2; SOGo answers so) leaves us without a key: we carry on and say so.
        """
        version = self.version
        info = self.profile.device_information() if self.send_device_information else None
        try:
            first = self._provision_call(ProvisionRequest.initial(version, info), version)
        except DeviceInformationRequired:
            # 165 (MS-ASCMD 2.2.2): the server wants DeviceInformation; resend with it.
            if info is not None:
                raise
            self._log("status 165: resending Provision with DeviceInformation")
            info = self.profile.device_information()
            first = self._provision_call(ProvisionRequest.initial(version, info), version)
        if first.status != 1:
            raise ProvisionFailed(f"Provision failed: status {int(first.status)}")
        if first.policy_status == 2:
            note = "the server has no policy for this device (Policy Status 2); going on without"
            self.notes.append(note)
            self._log(note)
            self.state.record_event("policy", "none: Policy Status 2")
            self.state.policy_key = None
            return None
        if first.policy_status not in (None, 1) or first.policy_key is None:
            raise ProvisionFailed(
                f"Provision: policy status {first.policy_status}, key {first.policy_key}"
            )
        ack = ProvisionRequest.acknowledge(first.policy_key, version=version)
        second = self._provision_call(ack, version)
        if second.status != 1 or second.policy_key is None:
            raise ProvisionFailed(
                f"Provision acknowledgement failed: status {int(second.status)}, "
                f"policy status {second.policy_status}"
            )
        self.state.policy_key = second.policy_key
        self.state.record_event("provisioned", f"policy key {second.policy_key}")
        return second.policy_key

    def _provision_call(self, request: ProvisionRequest, version: str) -> ProvisionResponse:
        el = self.execute("Provision", request.to_element(version))
        if el is None:
            raise EmptyResponse("Provision: an empty answer (Status is required, MS-ASPROV 2.2.2)")
        response = ProvisionResponse.from_element(el)
        if response.remote_wipe or response.account_only_remote_wipe:
            self._acknowledge_wipe(response, version)
        return response

    def _acknowledge_wipe(self, response: ProvisionResponse, version: str) -> None:
        """Acknowledge a RemoteWipe (MS-ASPROV 3.1.5.1.2.1) and record it. Deletes nothing."""
        kind = "account-only" if response.account_only_remote_wipe else "device"
        self.state.record_event("remote-wipe", f"{kind} wipe requested; acknowledged, not done")
        if response.account_only_remote_wipe:
            ack = ProvisionRequest(policy_type=None, account_only_remote_wipe_status=1)
        else:
            ack = ProvisionRequest(policy_type=None, remote_wipe_status=1)
        self.execute("Provision", ack.to_element(version))
        raise RemoteWipeAcknowledged(
            f"the server requested a {kind} remote wipe; acknowledged and recorded in "
            f"{self.state.path} (nothing was deleted)"
        )

    # -- FolderSync (MS-ASCMD 2.2.1.5) ---------------------------------------------------------
    def folder_sync(self) -> tuple[int, int]:
        """Bring the folder hierarchy up to date; returns (folders added, folders deleted)."""
        for _attempt in range(2):
            key = self.state.folder_sync_key
            el = self.execute("FolderSync", FolderSyncRequest(key).to_element(self.version))
            if el is None:
                raise EmptyResponse(
                    "FolderSync: an empty answer (Status and SyncKey are required, MS-ASCMD "
                    "2.2.1.5)"
                )
            r = FolderSyncResponse.from_element(el)
            if r.status == 9 and key != "0":
                self._log("FolderSync status 9: starting the hierarchy again from SyncKey 0")
                self.state.reset_hierarchy()
                continue
            if r.status != 1 or r.sync_key is None:
                raise SyncFailed(f"FolderSync failed: status {int(r.status)}", status=int(r.status))
            self.state.apply_folder_sync(
                r.sync_key,
                adds=[
                    Folder(f.server_id, f.parent_id, f.display_name, int(f.type)) for f in r.added
                ],
                updates=[
                    Folder(f.server_id, f.parent_id, f.display_name, int(f.type)) for f in r.updated
                ],
                deletes=[f.server_id for f in r.deleted],
                expected_sync_key=key,
            )
            return len(r.added), len(r.deleted)
        raise SyncFailed("FolderSync kept answering status 9", status=9)

    def mail_folders(self) -> list[Folder]:
        """Folders of the types this profile syncs (mail by default)."""
        return [f for f in self.state.folders() if f.type in self.profile.folder_types]

    # -- Sync (MS-ASCMD 2.2.1.21) ------------------------------------------------------------------
    def _collection_request(
        self, collection_id: str, sync_key: str, class_: str
    ) -> SyncCollectionRequest:
        # class_ is written for 2.5-12.1 only, where the request names it (AirSync:Class, MS-ASCMD).
        if sync_key == "0":
            # The priming request: no GetChanges, no options (MS-ASCMD 3.1.5.3).
            return SyncCollectionRequest(sync_key="0", collection_id=collection_id, class_=class_)
        options: tuple[SyncOptions, ...] = ()
        if version_at_least(self.version, "12.0"):
            options = (
                SyncOptions(body_preferences=(BodyPreference(type=1, truncation_size=32768),)),
            )
        return SyncCollectionRequest(
            sync_key=sync_key,
            collection_id=collection_id,
            get_changes=True,
            window_size=self.profile.window_size,
            options=options,
            class_=class_,
        )

    def sync_collection(self, folder: Folder) -> FolderReport:
        """Sync one folder to the end: prime with SyncKey 0 if needed, then every window until
        MoreAvailable is gone. Each window is applied in one transaction."""
        cid = folder.server_id
        class_ = folder_class(folder.type) or "Email"
        report = FolderReport(cid, folder.display_name)
        restarts = 0
        snapshot: dict[str, str] | None = None
        counted = (0, 0, 0)
        for _window in range(self.max_windows):
            key = self.state.sync_key(cid)
            request = SyncRequest(collections=(self._collection_request(cid, key, class_),))
            el = self.execute("Sync", request.to_element(self.version))
            resp = parse_sync_body(el, {cid: class_})
            if resp.status is not None and resp.status != 1:
                if resp.status == 12:
                    raise _HierarchyChanged()
                if resp.status in (13, 16) and restarts < 3:
                    restarts += 1  # incomplete request / retry: we always send the full request
                    continue
                raise SyncFailed(
                    f"Sync of {folder.display_name} ({cid}) failed: status {int(resp.status)}",
                    status=int(resp.status),
                    collection=cid,
                )
            col = resp.collection(cid)
            if col is None and key == "0":
                # The priming answer must carry the collection's first SyncKey (MS-ASCMD
                # 2.2.3.181.4, 3.1.5.4): taking nothing for "no changes" would store none.
                raise EmptyResponse(
                    f"Sync of {folder.display_name} ({cid}) with SyncKey 0: the answer has no "
                    "Collection with a new SyncKey (MS-ASCMD 2.2.3.181.4)",
                    element="Collection",
                )
            if col is None:
                break  # empty answer: nothing changed (MS-ASCMD 2.2.1.21.2)
            if col.status == 3:
                if restarts >= 3:
                    raise SyncFailed(
                        f"Sync of {folder.display_name}: SyncKey rejected again after restart",
                        status=3,
                        collection=cid,
                    )
                restarts += 1
                if snapshot is None:
                    # Report the net change once the resync is done, not "all gone, all new".
                    snapshot = {i.server_id: i.digest for i in self.state.items(cid)}
                    counted = (report.added, report.changed, report.deleted)
                self.state.reset_collection(cid)
                report.restarted = True
                report.added = report.changed = report.deleted = 0
                self._log(f"Sync status 3 on {cid}: starting again from SyncKey 0")
                continue
            if col.status == 12:
                raise _HierarchyChanged()
            if col.status != 1 or col.sync_key is None:
                raise SyncFailed(
                    f"Sync of {folder.display_name} ({cid}) failed: status {int(col.status)}",
                    status=int(col.status),
                    collection=cid,
                )
            result = self._apply(cid, key, col.sync_key, col.commands)
            report.added += result.added
            report.changed += result.changed
            report.deleted += result.deleted
            if key == "0":
                continue  # primed: now fetch
            if not col.more_available:
                break
        else:
            raise SyncFailed(
                f"Sync of {folder.display_name}: still MoreAvailable after {self.max_windows} "
                "windows",
                collection=cid,
            )
        if snapshot is not None:
            after = {i.server_id: i.digest for i in self.state.items(cid)}
            report.added = counted[0] + len(after.keys() - snapshot.keys())
            report.deleted = counted[2] + len(snapshot.keys() - after.keys())
            report.changed = counted[1] + sum(
                1 for k in after.keys() & snapshot.keys() if after[k] != snapshot[k]
            )
        report.total = self.state.item_count(cid)
        return report

    def _apply(self, cid: str, old_key: str, new_key: str, commands: Iterable) -> ApplyResult:
        adds: list[StoredItem] = []
        changes: list[ItemUpdate] = []
        deletes: list[str] = []
        version = self.version
        for cmd in commands:
            if isinstance(cmd, SyncAdd):
                data = cmd.application_data
                email = data if isinstance(data, Email) else None
                adds.append(
                    StoredItem(
                        server_id=cmd.server_id,
                        class_=cmd.class_ or ("Email" if email else None),
                        subject=email.subject if email else None,
                        sender=email.from_ if email else None,
                        date_received=email.date_received if email else None,
                        read=email.read if email else None,
                        digest=item_digest(data, version),
                    )
                )
            elif isinstance(cmd, SyncChange):
                data = cmd.application_data
                email = data if isinstance(data, Email) else None
                changes.append(
                    ItemUpdate(
                        cmd.server_id,
                        read=email.read if email else None,
                        subject=email.subject if email else None,
                    )
                )
            elif isinstance(cmd, SyncDelete | SyncSoftDelete):
                deletes.append(cmd.server_id)
        return self.state.apply_sync(
            cid, new_key, expected_sync_key=old_key, adds=adds, changes=changes, deletes=deletes
        )

    def sync_all_mail(self) -> SyncReport:
        """Provision if needed, FolderSync, then sync every mail folder to the end."""
        report = SyncReport()
        if self.state.policy_key is None and self.state.get_meta("provisioned") is None:
            # First run: provision up front, as devices do (servers that need no policy answer
            # Policy Status 2, and we remember not to ask again) - unless OPTIONS said the
            # server has no Provision command at all.
            self.version  # noqa: B018  # runs OPTIONS when the version is not known yet
            offered = self.options_result
            if offered is None or not offered.commands or offered.supports("Provision"):
                self.provision()
            self.state.set_meta("provisioned", "1")
        added, deleted = self.folder_sync()
        report.folders_added += added
        report.folders_deleted += deleted
        pending = self.mail_folders()
        hierarchy_refreshes = 0
        while pending:
            folder = pending.pop(0)
            try:
                report.folders[folder.server_id] = self.sync_collection(folder)
            except _HierarchyChanged:
                if hierarchy_refreshes >= 2:
                    raise SyncFailed("Sync keeps answering status 12 after FolderSync") from None
                hierarchy_refreshes += 1
                self._log("Sync status 12: running FolderSync, then going on")
                added, deleted = self.folder_sync()
                report.folders_added += added
                report.folders_deleted += deleted
                done = set(report.folders)
                pending = [f for f in self.mail_folders() if f.server_id not in done]
        report.notes.extend(self.notes)
        return report

    # -- Ping (MS-ASCMD 2.2.1.13) --------------------------------------------------------------
    def ping_folders(self, folder_ids: Iterable[str] | None = None) -> list[PingFolder]:
        """The folders to watch: the given ids, or every mail folder; trimmed to MaxFolders."""
        known = {f.server_id: f for f in self.state.folders()}
        ids = list(folder_ids) if folder_ids else [f.server_id for f in self.mail_folders()]
        folders = [
            PingFolder(i, (folder_class(known[i].type) if i in known else None) or "Email")
            for i in ids
        ]
        if self.max_ping_folders is not None:
            folders = folders[: self.max_ping_folders]
        return folders

    def ping(
        self, heartbeat: int | None = None, folder_ids: Iterable[str] | None = None
    ) -> PingReport:
        """One Ping: sent with ``heartbeat`` (else the strategy's), read timeout heartbeat +
        margin, outcome classified, the strategy told. Status 5 adopts the server's value,
        6 trims the folder list for the next Ping, 7 runs FolderSync."""
        hb = heartbeat if heartbeat is not None else self.heartbeat.next_heartbeat()
        folders = self.ping_folders(folder_ids)
        body = PingRequest(hb, tuple(folders)).to_body(self.version)
        started = self._clock()
        try:
            el = self.execute("Ping", body, read_timeout=hb + self.ping_margin)
        except (NetworkError, EasError) as exc:
            if isinstance(exc, DeviceError):
                raise
            try:
                outcome = classify_ping_exception(exc)
            except EasError:
                raise exc from None
            held = self._clock() - started
            self.heartbeat.observe(outcome, None)
            return PingReport(outcome, None, held, hb, error=str(exc))
        held = self._clock() - started
        if el is None:
            self.heartbeat.observe(PingOutcome.OTHER_STATUS, None)
            return PingReport(PingOutcome.OTHER_STATUS, None, held, hb, error="empty Ping answer")
        r = PingResponse.from_element(el)
        outcome = classify_ping_status(int(r.status))
        self.heartbeat.observe(outcome, r.heartbeat_interval)
        if r.status == 6 and r.max_folders:
            self.max_ping_folders = r.max_folders
        elif r.status == 7:
            self._log("Ping status 7: running FolderSync")
            self.folder_sync()
        return PingReport(
            outcome,
            int(r.status),
            held,
            hb,
            folders=tuple(r.folders),
            server_heartbeat=r.heartbeat_interval,
            max_folders=r.max_folders,
        )

    def ping_step(self) -> PingReport:
        """One step of the push loop: Ping, then sync the folders it reported."""
        report = self.ping()
        if report.outcome is PingOutcome.CHANGES:
            known = {f.server_id: f for f in self.state.folders()}
            for fid in report.folders:
                if fid in known:
                    try:
                        self.sync_collection(known[fid])
                    except _HierarchyChanged:
                        self.folder_sync()
        return report
