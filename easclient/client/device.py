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

The decisions of Provision, FolderSync, the Sync window loop and Ping are the protocol's flows
(``easclient.protocol.provision_flow``, ``foldersync_flow``, ``sync_flow``, ``ping_flow``); this
module moves their bytes, keeps the state and says what happened.
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
    EasRequest,
    EasResponse,
    Email,
    EmptyResponse,
    FolderSyncRequest,
    FolderSyncResponse,
    PingFolder,
    PingResponse,
    ProvisioningRequiredStatus,
    ProvisionRequest,
    ProvisionRequired,
    Redirect,
    RemoteWipeRequested,
    SyncAdd,
    SyncChange,
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
from easclient.protocol.calendar import CalendarEvent
from easclient.protocol.contacts import Contact
from easclient.protocol.foldersync_flow import FolderSyncFailed, FolderSyncFlow, HierarchyUpdate
from easclient.protocol.notes import Note
from easclient.protocol.options import OptionsResult
from easclient.protocol.ping_flow import PingAction, PingFlow
from easclient.protocol.provision_flow import (
    ProvisionFlow,
    ProvisionOutcome,
    ProvisionPhase,
    ProvisionResult,
    Reprovision,
)
from easclient.protocol.status import ProvisionStatus, SyncStatus
from easclient.protocol.sync import BodyPreference, SyncCollectionRequest, SyncOptions
from easclient.protocol.sync_flow import (
    SyncCollectionFlow,
    SyncFailure,
    SyncOutcome,
    SyncRestart,
    SyncResult,
    SyncWindow,
)
from easclient.protocol.tasks import Task
from easclient.wbxml import Element

from .connect import Closable
from .connect import connect as _connect
from .heartbeat import HeartbeatStrategy, PingOutcome, make_strategy
from .outcome import classify_ping_exception, classify_ping_status
from .profiles import DeviceProfile
from .state import ApplyResult, Folder, ItemUpdate, StoredItem
from .store import StateStore
from .transport import NetworkError, Transport

# -- errors ---------------------------------------------------------------------------------


class DeviceError(EasError):
    """A flow could not go on; the message says where and why."""


class RedirectLoop(DeviceError):
    """451 redirects that go round in circles, or too many of them."""


class ProvisionFailed(DeviceError):
    """The server refused to provision this device; ``outcome`` says in which phase, how."""

    def __init__(self, message: str, *, outcome: ProvisionOutcome | None = None) -> None:
        super().__init__(message)
        self.outcome = outcome


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

    @property
    def answered(self) -> bool:
        """The server answered it as a Ping (status 1, 2 or 5), not with an error."""
        return self.outcome in (PingOutcome.NO_CHANGES, PingOutcome.CHANGES, PingOutcome.ADJUSTED)


# -- the device -----------------------------------------------------------------------------


def _root_status(el: Element | None) -> int | None:
    """The top-level Status of a response, where global codes (101-177) appear."""
    if el is None:
        return None
    value = el.findtext("Status")
    if value is None:
        return None
    return to_int(value, f"{el.tag}/Status")


def _provision_failure(outcome: ProvisionOutcome) -> str:
    """Why provisioning failed, as :class:`ProvisionFailed` says it."""
    status = None if outcome.status is None else int(outcome.status)
    if outcome.phase is ProvisionPhase.ACKNOWLEDGE:
        return (
            f"Provision acknowledgement failed: status {status}, "
            f"policy status {outcome.policy_status}"
        )
    if outcome.status != ProvisionStatus.Success:
        return f"Provision failed: status {status}"
    return f"Provision: policy status {outcome.policy_status}, key {outcome.policy_key}"


def _sync_failure(outcome: SyncOutcome, folder: Folder, max_windows: int) -> SyncFailed:
    """The :class:`SyncFailed` for a collection's failed window loop."""
    cid, name = folder.server_id, folder.display_name
    status = None if outcome.status is None else int(outcome.status)
    if outcome.failure is SyncFailure.TOO_MANY_WINDOWS:
        message = f"Sync of {name}: still MoreAvailable after {max_windows} windows"
    elif outcome.failure is SyncFailure.SYNC_KEY_REJECTED:
        message = f"Sync of {name}: SyncKey rejected again after restart"
    else:
        message = f"Sync of {name} ({cid}) failed: status {status}"
    return SyncFailed(message, status=status, collection=cid)


def item_digest(data: object, version: str) -> str:
    """A stable digest of an item's ApplicationData (to tell whether it changed)."""
    if isinstance(data, Element):
        el: Element | None = data
    elif isinstance(data, Email | CalendarEvent | Contact | Task | Note):
        el = data.to_element(version)
    else:
        el = None
    text = "" if el is None else wbxml.to_xml(el, pretty=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


_CLASS_NAMES: dict[type, str] = {
    Email: "Email",
    CalendarEvent: "Calendar",
    Contact: "Contacts",
    Task: "Tasks",
    Note: "Notes",
}


def _class_of(data: object) -> str | None:
    """The content class of a typed item (None for an element the parser left raw)."""
    return _CLASS_NAMES.get(type(data))


def _title(data: object) -> str | None:
    """What a device lists an item by: the subject, or a contact's FileAs or name."""
    if isinstance(data, Contact):
        return data.file_as or " ".join(p for p in (data.first_name, data.last_name) if p) or None
    subject = getattr(data, "subject", None)
    return subject if isinstance(subject, str) else None


class EasClient:
    """One device talking to one server as one user.

    Made by :meth:`connect` (URL, credentials, TLS: a ready client that owns its transport), or
    from parts: ``EasClient(transport, user=…, profile=…, device_id=…, state=…)``.
    """

    connect: classmethod[EasClient, ..., EasClient] = classmethod(_connect)

    def __init__(
        self,
        transport: Transport,
        *,
        user: str,
        profile: DeviceProfile,
        device_id: str,
        state: StateStore,
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
        self._ping_flow = PingFlow()
        # Said even when not verbose: a back-off is a wait the user should not sit through blind.
        self._warn = warn or self._log
        self.max_wait = max_wait
        self.waited = 0.0  # seconds slept on HTTP 503 back-offs, over this client's life
        self.throttle_reasons: list[str | None] = []
        self.notes: list[str] = []
        self.options_result: OptionsResult | None = None
        #: What :meth:`connect` opened for this client; :meth:`close` closes it.
        self.owned: list[Closable] = []

    def close(self) -> None:
        """Close what this client owns (transport, state file, capture file from
        :meth:`connect`); a client built from parts owns nothing."""
        owned, self.owned = self.owned, []
        failures: list[Exception] = []
        for resource in owned:
            try:
                resource.close()
            except Exception as exc:  # close the rest, then say what failed
                failures.append(exc)
        if failures:
            raise failures[0]

    def __enter__(self) -> EasClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def max_ping_folders(self) -> int | None:
        """The most folders a Ping watches: the server's MaxFolders after Status 6."""
        return self._ping_flow.max_folders

    @max_ping_folders.setter
    def max_ping_folders(self, value: int | None) -> None:
        self._ping_flow.max_folders = value

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
    def _http(self, make: Callable[[], EasRequest], *, read_timeout: float | None = None):
        """Send what ``make()`` builds, handling 451 and 503; other HTTP errors raise."""
        redirects: list[str] = []
        throttled = 0
        while True:
            request = make()
            resent = len(self.transport.retry_log)
            response: EasResponse = self.transport.send(request, read_timeout=read_timeout)
            if len(self.transport.retry_log) != resent:
                # The transport resent it after a reused connection failed: say so in the report.
                detail = self.transport.retry_log[-1]
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
        body: Element | bytes | None,
        *,
        read_timeout: float | None = None,
        params: Mapping[str, str] | None = None,
    ) -> Element | None:
        """One command: build, send, check HTTP and global status; re-provision once on 449 or
        142-144; acknowledge a remote wipe on 140. Returns the decoded body (None if empty)."""
        reprovision = Reprovision(cmd)
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
                if not reprovision.provision_required():
                    raise
                self._log(f"HTTP 449 on {cmd}: provisioning, then retrying once")
                self.provision()
                continue
            el = decode_body(response)
            try:
                check_global_status(_root_status(el), cmd)
            except ProvisioningRequiredStatus as exc:
                if not reprovision.provision_required():
                    raise
                self._log(f"status {exc.code} on {cmd}: provisioning, then retrying once")
                self.provision()
                continue
            except RemoteWipeRequested:
                if not reprovision.remote_wipe_requested():
                    raise
                self._log(f"status 140 on {cmd}: the server requests a remote wipe")
                # The Provision answer carries the RemoteWipe, acknowledged (and the error
                # raised) in provision(). Getting past it means there was none to ack.
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
        flow = ProvisionFlow(version, info)
        step: ProvisionRequest | ProvisionOutcome = flow.request()
        while isinstance(step, ProvisionRequest):
            if flow.phase is ProvisionPhase.WIPE_ACKNOWLEDGE:
                # MS-ASPROV 3.1.5.1.2.1: acknowledged and recorded; nothing is deleted.
                self.state.record_event(
                    "remote-wipe", f"{flow.wipe} wipe requested; acknowledged, not done"
                )
            try:
                el = self.execute("Provision", step.to_element(version))
            except DeviceInformationRequired:
                # 165 (MS-ASCMD 2.2.2): the server wants DeviceInformation; resend with it.
                again = flow.device_information_required(self.profile.device_information())
                if again is None:
                    raise
                self._log("status 165: resending Provision with DeviceInformation")
                step = again
                continue
            if el is None and flow.phase is not ProvisionPhase.WIPE_ACKNOWLEDGE:
                raise EmptyResponse(
                    "Provision: an empty answer (Status is required, MS-ASPROV 2.2.2)"
                )
            step = flow.receive_element(el)
        outcome = step
        if outcome.result is ProvisionResult.WIPED:
            raise RemoteWipeAcknowledged(
                f"the server requested a {outcome.wipe} remote wipe; acknowledged and recorded "
                f"in {self.state.path} (nothing was deleted)"
            )
        if outcome.result is ProvisionResult.NO_POLICY:
            note = "the server has no policy for this device (Policy Status 2); going on without"
            self.notes.append(note)
            self._log(note)
            self.state.record_event("policy", "none: Policy Status 2")
            self.state.policy_key = None
            return None
        if outcome.result is ProvisionResult.FAILED or outcome.policy_key is None:
            raise ProvisionFailed(_provision_failure(outcome), outcome=outcome)
        self.state.policy_key = outcome.policy_key
        self.state.record_event("provisioned", f"policy key {outcome.policy_key}")
        return outcome.policy_key

    # -- FolderSync (MS-ASCMD 2.2.1.5) ---------------------------------------------------------
    def folder_sync(self) -> tuple[int, int]:
        """Bring the folder hierarchy up to date; returns (folders added, folders deleted)."""
        update = self.fetch_hierarchy(self.state.folder_sync_key)
        self.apply_hierarchy(update)
        return len(update.added), len(update.deleted)

    def fetch_hierarchy(self, sync_key: str) -> HierarchyUpdate:
        """FolderSync from ``sync_key`` (again from 0 after status 9) to the changes to store;
        :class:`SyncFailed` for a status that cannot be recovered from."""
        flow = FolderSyncFlow(sync_key)
        step: FolderSyncRequest | HierarchyUpdate | FolderSyncFailed = flow.request()
        while isinstance(step, FolderSyncRequest):
            if flow.restarted:  # status 9: this is the request from SyncKey 0
                self._log("FolderSync status 9: starting the hierarchy again from SyncKey 0")
            el = self.execute("FolderSync", step.to_element(self.version))
            if el is None:
                raise EmptyResponse(
                    "FolderSync: an empty answer (Status and SyncKey are required, MS-ASCMD "
                    "2.2.1.5)"
                )
            step = flow.receive(FolderSyncResponse.from_element(el))
        if isinstance(step, FolderSyncFailed):
            raise SyncFailed(
                f"FolderSync failed: status {int(step.status)}", status=int(step.status)
            )
        return step

    def apply_hierarchy(self, update: HierarchyUpdate) -> None:
        """Store a FolderSync's changes and new SyncKey (after dropping the old hierarchy when
        the flow started again from SyncKey 0)."""
        if update.restarted:
            self.state.reset_hierarchy()
        self.state.apply_folder_sync(
            update.sync_key,
            adds=[
                Folder(f.server_id, f.parent_id, f.display_name, int(f.type)) for f in update.added
            ],
            updates=[
                Folder(f.server_id, f.parent_id, f.display_name, int(f.type))
                for f in update.updated
            ],
            deletes=list(update.deleted),
            expected_sync_key=update.expected_sync_key,
        )

    def mail_folders(self) -> list[Folder]:
        """Folders of the types this profile syncs (mail by default)."""
        return [f for f in self.state.folders() if f.type in self.profile.folder_types]

    def sync_folders(self, classes: frozenset[str] | None = None) -> list[Folder]:
        """The folders holding ``classes`` of items, or the profile's (:meth:`mail_folders`)."""
        if classes is None:
            return self.mail_folders()
        if not version_at_least(self.version, "14.0"):
            classes = classes - {"Notes"}  # MS-ASNOTE: Notes sync from 14.0 on
        return [f for f in self.state.folders() if folder_class(f.type) in classes]

    # -- Sync (MS-ASCMD 2.2.1.21) ------------------------------------------------------------------
    def _sync_options(self) -> tuple[SyncOptions, ...]:
        """The Options of a collection after priming: plain-text bodies up to 32 KiB (12.0+)."""
        if version_at_least(self.version, "12.0"):
            return (SyncOptions(body_preferences=(BodyPreference(type=1, truncation_size=32768),)),)
        return ()

    def sync_collection(self, folder: Folder) -> FolderReport:
        """Sync one folder to the end: prime with SyncKey 0 if needed, then every window until
        MoreAvailable is gone. Each window is applied in one transaction."""
        cid = folder.server_id
        class_ = folder_class(folder.type) or "Email"
        report = FolderReport(cid, folder.display_name)
        snapshot: dict[str, str] | None = None
        counted = (0, 0, 0)
        # class_ is written for 2.5-12.1 only, where the request names it (AirSync:Class).
        flow = SyncCollectionFlow(
            cid,
            self.state.sync_key(cid),
            class_=class_,
            window_size=self.profile.window_size,
            options=self._sync_options(),
            max_windows=self.max_windows,
        )
        while isinstance(request := flow.next_request(), SyncRequest):
            el = self.execute("Sync", request.to_element(self.version))
            response = parse_sync_body(el, {cid: class_})
            primed = request.collections[0].sync_key == "0" if request.collections else False
            if primed and response.status in (None, 1) and response.collection(cid) is None:
                # The priming answer must carry the collection's first SyncKey (MS-ASCMD
                # 2.2.3.181.4, 3.1.5.4): taking nothing for "no changes" would store none.
                raise EmptyResponse(
                    f"Sync of {folder.display_name} ({cid}) with SyncKey 0: the answer has no "
                    "Collection with a new SyncKey (MS-ASCMD 2.2.3.181.4)",
                    element="Collection",
                )
            step = flow.receive(response)
            if isinstance(step, SyncWindow):
                result = self._apply(cid, step.expected_sync_key, step.sync_key, step.commands)
                report.added += result.added
                report.changed += result.changed
                report.deleted += result.deleted
            elif isinstance(step, SyncRestart):
                if snapshot is None:
                    # Report the net change once the resync is done, not "all gone, all new".
                    snapshot = {i.server_id: i.digest for i in self.state.items(cid)}
                    counted = (report.added, report.changed, report.deleted)
                self.state.reset_collection(cid)
                report.restarted = True
                report.added = report.changed = report.deleted = 0
                self._log(f"Sync status 3 on {cid}: starting again from SyncKey 0")
            # SyncResend (13/16): the same full request goes again.
        outcome = request
        if outcome.result is SyncResult.HIERARCHY_CHANGED:
            raise _HierarchyChanged()
        if outcome.result is SyncResult.FAILED:
            raise _sync_failure(outcome, folder, self.max_windows)
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
                        class_=cmd.class_ or _class_of(data),
                        subject=_title(data),
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
                        subject=_title(data),
                        digest=None if email else item_digest(data, version),
                    )
                )
            elif isinstance(cmd, SyncDelete | SyncSoftDelete):
                deletes.append(cmd.server_id)
        return self.state.apply_sync(
            cid, new_key, expected_sync_key=old_key, adds=adds, changes=changes, deletes=deletes
        )

    def sync_all_mail(self) -> SyncReport:
        """Provision if needed, FolderSync, then sync every mail folder to the end."""
        return self.sync_all()

    def sync_all(self, classes: Iterable[str] | None = None) -> SyncReport:
        """Provision if needed, FolderSync, then sync to the end every folder of ``classes``
        ("Email", "Calendar", "Contacts", "Tasks", "Notes"; default: the profile's folders)."""
        wanted = None if classes is None else frozenset(classes)
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
        pending = self.sync_folders(wanted)
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
                pending = [f for f in self.sync_folders(wanted) if f.server_id not in done]
        report.notes.extend(self.notes)
        return report

    # -- Ping (MS-ASCMD 2.2.1.13) --------------------------------------------------------------
    def ping_folders(self, folder_ids: Iterable[str] | None = None) -> list[PingFolder]:
        """The folders to watch: the given ids, or every mail folder; trimmed to MaxFolders."""
        known = {f.server_id: f for f in self.state.folders()}
        ids = list(folder_ids) if folder_ids else [f.server_id for f in self.mail_folders()]
        return self._ping_flow.folders(
            PingFolder(i, (folder_class(known[i].type) if i in known else None) or "Email")
            for i in ids
        )

    def ping(
        self, heartbeat: int | None = None, folder_ids: Iterable[str] | None = None
    ) -> PingReport:
        """One Ping: sent with ``heartbeat`` (else the strategy's), read timeout heartbeat +
        margin, outcome classified, the strategy told. Status 5 adopts the server's value,
        6 trims the folder list for the next Ping, 7 runs FolderSync."""
        hb = heartbeat if heartbeat is not None else self.heartbeat.next_heartbeat()
        body = self._ping_flow.request(hb, self.ping_folders(folder_ids)).to_body(self.version)
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
        r = self._ping_flow.receive(PingResponse.from_element(el))
        outcome = classify_ping_status(int(r.status))
        self.heartbeat.observe(outcome, r.heartbeat)
        if r.action is PingAction.FOLDER_SYNC:
            self._log("Ping status 7: running FolderSync")
            self.folder_sync()
        return PingReport(
            outcome,
            int(r.status),
            held,
            hb,
            folders=r.folders,
            server_heartbeat=r.heartbeat,
            max_folders=r.max_folders,
        )

    def sync_push(
        self, heartbeat: int | None = None, folder_ids: Iterable[str] | None = None
    ) -> PingReport:
        """Push through a long Sync instead of Ping (MS-ASCMD 2.2.3.83 HeartbeatInterval,
        14.0+, seconds; 2.2.3.195 Wait, 12.1, minutes): the server holds the request until a
        folder changes or the interval ends (an empty answer: no changes). Changes come in
        the answer itself and are applied at once; Status 14 gives the server's bound in
        ``Limit``, which the strategy adopts as after Ping Status 5. Reported like a Ping."""
        hb = heartbeat if heartbeat is not None else self.heartbeat.next_heartbeat()
        known = {f.server_id: f for f in self.state.folders()}
        folders = [
            known[f.id] for f in self.ping_folders(folder_ids) if f.id in known
        ]
        for folder in folders:  # a collection must be primed before it can be held
            if self.state.sync_key(folder.server_id) == "0":
                self.sync_collection(folder)
        keys = {f.server_id: self.state.sync_key(f.server_id) for f in folders}
        classes = {f.server_id: folder_class(f.type) or "Email" for f in folders}
        modern = version_at_least(self.version, "14.0")
        request = SyncRequest(
            collections=tuple(
                SyncCollectionRequest(
                    keys[cid],
                    cid,
                    window_size=self.profile.window_size,
                    options=self._sync_options(),
                )
                for cid in keys
            ),
            heartbeat_interval=hb if modern else None,
            wait=None if modern else max(1, round(hb / 60)),
        )
        started = self._clock()
        try:
            el = self.execute(
                "Sync", request.to_element(self.version), read_timeout=hb + self.ping_margin
            )
        except (NetworkError, EasError) as exc:
            if isinstance(exc, DeviceError):
                raise
            try:
                outcome = classify_ping_exception(exc)
            except EasError:
                raise exc from None
            self.heartbeat.observe(outcome, None)
            return PingReport(outcome, None, self._clock() - started, hb, error=str(exc))
        held = self._clock() - started
        response = parse_sync_body(el, classes)
        if response.status == SyncStatus.InvalidWaitOrHeartbeatInterval:
            bound = (
                response.limit * 60 if response.limit is not None and not modern else response.limit
            )
            self.heartbeat.observe(PingOutcome.ADJUSTED, bound)
            return PingReport(
                PingOutcome.ADJUSTED, int(response.status), held, hb, server_heartbeat=bound
            )
        if not response.collections:  # the empty answer: the interval ended, nothing changed
            self.heartbeat.observe(PingOutcome.NO_CHANGES, None)
            return PingReport(PingOutcome.NO_CHANGES, None, held, hb)
        changed: list[str] = []
        for col in response.collections:
            cid = col.collection_id
            if col.status != SyncStatus.Success or col.sync_key is None or cid not in keys:
                continue
            self._apply(cid, keys[cid], col.sync_key, col.commands)
            changed.append(cid)
            if col.more_available:
                self.sync_collection(known[cid])
        self.heartbeat.observe(PingOutcome.CHANGES, None)
        return PingReport(PingOutcome.CHANGES, 1, held, hb, folders=tuple(changed))

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
