"""Run the device flow once per protocol version and collect what the server answered.

For each version: Provision, FolderSync (SyncKey 0, then incremental, then in the base64 query
form from 12.1), Sync of the Inbox to the end with bodies, GetItemEstimate, ItemOperations Fetch,
Settings, and a Ping; optionally a Ping above the server's maximum heartbeat. Each step records
the HTTP code, the command's Status and the time it took. The flow is the client's own
(:class:`easclient.client.EasClient`), each version on a DeviceId of its own so that the server's
per-device state does not mix.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from easclient.client import (
    BasicAuth,
    EasClient,
    NetworkError,
    get_profile,
)
from easclient.client.device import ProvisionFailed, SyncFailed
from easclient.errors import EasError
from easclient.protocol import ALL_VERSIONS, EasHTTPError, EasStatusError, FolderType, ProtocolError
from easclient.protocol.email import Email
from easclient.protocol.foldersync import FolderSyncRequest, FolderSyncResponse
from easclient.protocol.getitemestimate import (
    EstimateCollection,
    GetItemEstimateRequest,
    GetItemEstimateResponse,
)
from easclient.protocol.itemoperations import (
    FetchRequest,
    ItemOperationsRequest,
    ItemOperationsResponse,
)
from easclient.protocol.provision_flow import ProvisionPhase
from easclient.protocol.settings import SettingsRequest, SettingsResponse
from easclient.protocol.status import (
    FolderSyncStatus,
    PingStatus,
    PolicyStatus,
    ProvisionStatus,
    SyncStatus,
)
from easclient.protocol.sync import (
    INITIAL_SYNC_KEY,
    BodyPreference,
    SyncAdd,
    SyncOptions,
    SyncRequest,
    parse_sync_body,
)
from easclient.protocol.sync_flow import (
    SyncCollectionFlow,
    SyncFailure,
    SyncOutcome,
    SyncResend,
    SyncRestart,
    SyncResult,
    SyncWindow,
)
from easclient.protocol.versions import version_at_least
from easclient.url import resolve_target

from .config import MatrixConfig, MatrixError, http_transport
from .model import Deviation, MatrixReport, StepResult, VersionRun
from .probes import probe_deviations, version_deviations


def _timed_step(
    run: VersionRun, command: str, fn: Callable[[], tuple[int | None, bool, str]]
) -> StepResult:
    """Run one step; HTTP errors, connection failures and global statuses become results."""
    started = time.monotonic()
    http: int | None = 200
    try:
        status, ok, detail = fn()
    except EasHTTPError as exc:
        http, status, ok, detail = exc.status_code, None, False, str(exc)
    except NetworkError as exc:
        http, status, ok, detail = None, None, False, str(exc)
    except EasStatusError as exc:
        status, ok, detail = exc.code, False, str(exc)
    except EasError as exc:
        status, ok, detail = None, False, str(exc)
    result = StepResult(command, http, status, round(time.monotonic() - started, 3), ok, detail)
    run.steps.append(result)
    return result


class _VersionFlow:
    """The flow at one version, on one EasClient."""

    def __init__(self, config: MatrixConfig, version: str, advertised: bool, workdir: Path) -> None:
        self.config = config
        self.version = version
        self.run = VersionRun(version, advertised)
        profile = get_profile(config.profile)
        self.client = EasClient.connect(
            config.url,
            auth=config.credential or BasicAuth(config.user, config.password),
            user=config.user,
            profile=profile,
            state=workdir / f"state-{version}.db",
            device_id=profile.device_id(f"{config.device_seed}:{config.user}:{version}"),
            protocol=version,
            read_timeout=config.timeout,
            http_transport=http_transport(config),
            base64_query=False,
            ping_margin=config.ping_margin,
            max_throttle_retries=1,
            max_backoff=5.0,
        )
        self.inbox: str | None = None
        self.sync_key: str | None = None
        self.first_item: str | None = None
        self.resync_changes: int | None = None
        self.deviations: list[Deviation] = []

    def close(self) -> None:
        self.client.close()

    def at_least(self, version: str) -> bool:
        return version_at_least(self.version, version)

    # -- steps ---------------------------------------------------------------------------------
    def provision(self) -> tuple[int | None, bool, str]:
        """MS-ASPROV 3.1.5.1: the client's own provisioning flow (policy request; acknowledge
        when a temporary key comes back; DeviceInformation rides along from 14.1)."""
        try:
            key = self.client.provision()
        except ProvisionFailed as exc:
            outcome = exc.outcome
            if outcome is None:
                raise
            status = None if outcome.status is None else int(outcome.status)
            if outcome.phase is ProvisionPhase.ACKNOWLEDGE:
                return status, False, "acknowledgement failed"
            if outcome.status != ProvisionStatus.Success:
                return status, False, f"Provision status {status}"
            return status, False, str(exc)
        if key is None:
            return (
                1,
                True,
                f"no policy (Policy Status {int(PolicyStatus.NoPolicy)}, no PolicyKey): "
                "going on without",
            )
        return 1, True, "policy acknowledged, final PolicyKey received"

    def folder_sync(self, key: str | None = None) -> tuple[int | None, bool, str]:
        c = self.client
        key = key if key is not None else c.state.folder_sync_key
        try:
            update = c.fetch_hierarchy(key)
        except SyncFailed as exc:
            return exc.status, False, f"FolderSync status {exc.status}"
        if key == INITIAL_SYNC_KEY:
            c.state.reset_hierarchy()
        c.apply_hierarchy(update)
        inbox = [f for f in update.added if int(f.type) == FolderType.Inbox]
        if inbox:
            self.inbox = inbox[0].server_id
        changes = len(update.added) + len(update.updated) + len(update.deleted)
        if update.restarted or key == INITIAL_SYNC_KEY:
            return (
                1,
                self.inbox is not None,
                f"{len(update.added)} folders" + ("" if self.inbox else ", no Inbox"),
            )
        return 1, True, f"{changes} changes"

    def folder_sync_base64(self) -> tuple[int | None, bool, str]:
        """FolderSync from SyncKey 0 with the query in base64 (MS-ASHTTP 2.2.1.1.1.1). From 0,
        since servers may read the DeviceId bytes of the base64 form differently (as hex) and
        so keep separate state for it; nothing is stored."""
        self.client.base64_query = True
        try:
            el = self.client.execute("FolderSync", FolderSyncRequest("0").to_element(self.version))
        finally:
            self.client.base64_query = False
        if el is None:
            return None, False, "empty answer"
        r = FolderSyncResponse.from_element(el)
        return int(r.status), r.status == FolderSyncStatus.Success, f"{len(r.added)} folders"

    def _inbox_flow(self, key: str, max_windows: int) -> SyncCollectionFlow:
        """The client's Sync window loop for the Inbox, with bodies up to 64 KiB (12.0+)."""
        assert self.inbox is not None
        options: tuple[SyncOptions, ...] = ()
        if self.at_least("12.0"):
            options = (
                SyncOptions(body_preferences=(BodyPreference(type=1, truncation_size=65536),)),
            )
        return SyncCollectionFlow(
            self.inbox, key, window_size=25, options=options, max_windows=max_windows
        )

    def _sync_window(
        self, flow: SyncCollectionFlow, request: SyncRequest
    ) -> SyncWindow | SyncRestart | SyncResend | SyncOutcome:
        """Send one Sync of the Inbox and let the flow read the answer."""
        assert self.inbox is not None
        el = self.client.execute("Sync", request.to_element(self.version))
        return flow.receive(parse_sync_body(el, {self.inbox: "Email"}))

    @staticmethod
    def _sync_failed(outcome: SyncOutcome) -> tuple[int | None, bool, str]:
        status = None if outcome.status is None else int(outcome.status)
        where = "Sync status" if outcome.top_level else "collection status"
        return status, False, f"{where} {status}"

    def resync(self) -> tuple[int | None, bool, str]:
        """The Sync a device sends after Ping Status 2 (MS-ASCMD 3.1.5.4)."""
        if self.inbox is None or self.sync_key is None:
            return None, False, "Inbox not synced"
        flow = self._inbox_flow(self.sync_key, max_windows=1)
        request = flow.next_request()
        assert isinstance(request, SyncRequest)
        step = self._sync_window(flow, request)
        if isinstance(step, SyncWindow):
            self.sync_key = step.sync_key
            self.resync_changes = len(step.commands)
            return int(SyncStatus.Success), True, f"{len(step.commands)} changes"
        if isinstance(step, SyncOutcome) and step.result is SyncResult.COMPLETE:
            self.resync_changes = 0
            return int(SyncStatus.Success), True, "empty answer: no changes"
        if isinstance(step, SyncOutcome):
            return self._sync_failed(step)
        if isinstance(step, SyncResend):
            return int(step.status), False, f"Sync status {int(step.status)}"
        rejected = int(SyncStatus.InvalidSyncKey)  # SyncRestart: the key was refused
        return rejected, False, f"collection status {rejected}"

    def sync_inbox(self) -> tuple[int | None, bool, str]:
        """Prime with SyncKey 0, then windows until MoreAvailable is gone (bounded)."""
        if self.inbox is None:
            return None, False, "no Inbox from FolderSync"
        items, bodies = 0, 0
        flow = self._inbox_flow(INITIAL_SYNC_KEY, max_windows=40)
        while isinstance(request := flow.next_request(), SyncRequest):
            step = self._sync_window(flow, request)
            if not isinstance(step, SyncWindow):
                continue
            for cmd in step.commands:
                if isinstance(cmd, SyncAdd):
                    items += 1
                    self.first_item = self.first_item or cmd.server_id
                    data = cmd.application_data
                    if isinstance(data, Email) and data.body is not None and data.body.data:
                        bodies += 1
        # Still MoreAvailable after 40 requests: what came is reported, the rest left.
        if request.result is not SyncResult.COMPLETE and (
            request.failure is not SyncFailure.TOO_MANY_WINDOWS
        ):
            return self._sync_failed(request)
        self.sync_key = flow.sync_key
        return (
            int(SyncStatus.Success),
            True,
            f"{items} items, {bodies} with bodies, {flow.requests} requests",
        )

    def get_item_estimate(self) -> tuple[int | None, bool, str]:
        if self.inbox is None or self.sync_key is None:
            return None, False, "Inbox not synced"
        col = EstimateCollection(
            collection_id=self.inbox,
            sync_key=self.sync_key,
            options=(SyncOptions(class_="Email"),) if self.at_least("14.0") else (SyncOptions(),),
            class_=None if self.at_least("14.0") else "Email",
        )
        el = self.client.execute(
            "GetItemEstimate", GetItemEstimateRequest((col,)).to_element(self.version)
        )
        if el is None:
            return None, False, "empty answer"
        r = GetItemEstimateResponse.from_element(el)
        if r.status is not None and int(r.status) != 1:
            return int(r.status), False, f"GetItemEstimate status {int(r.status)}"
        if not r.results:
            return None, False, "no Response"
        res = r.results[0]
        return int(res.status), int(res.status) == 1, f"estimate {res.estimate}"

    def fetch(self) -> tuple[int | None, bool, str]:
        if self.first_item is None or self.inbox is None:
            return None, False, "no item to fetch"
        req = FetchRequest(
            collection_id=self.inbox,
            server_id=self.first_item,
            body_preferences=(BodyPreference(type=1, truncation_size=65536),),
        )
        el = self.client.execute(
            "ItemOperations", ItemOperationsRequest((req,)).to_element(self.version)
        )
        if el is None:
            return None, False, "empty answer"
        r = ItemOperationsResponse.from_element(el)
        if int(r.status) != 1 or not r.fetches:
            return int(r.status), False, f"ItemOperations status {int(r.status)}"
        f = r.fetches[0]
        item = f.item
        size = len(item.body.data or "") if isinstance(item, Email) and item.body else 0
        return int(f.status), int(f.status) == 1 and size > 0, f"body {size} characters"

    def settings(self) -> tuple[int | None, bool, str]:
        info = self.client.profile.device_information() if self.at_least("12.1") else None
        req = SettingsRequest(device_information=info, get_user_information=True)
        el = self.client.execute("Settings", req.to_element(self.version))
        if el is None:
            return None, False, "empty answer"
        try:
            r = SettingsResponse.from_element(el)
        except ProtocolError as exc:
            # Read the command's own Status by hand and say what the strict parse refused.
            status = el.findtext("Status")
            self.deviations.append(
                Deviation(
                    "settings-response-shape",
                    "a Settings response as MS-ASCMD 2.2.1.18 lays it out (e.g. a Status in "
                    "UserInformation, 2.2.3.177.15)",
                    str(exc),
                    self.version,
                )
            )
            code = int(status) if status and status.isdigit() else None
            return code, code == 1, f"answered, but: {exc}"
        detail = ""
        if r.user_information is not None and r.user_information.status is None:
            self.deviations.append(
                Deviation(
                    "settings-response-shape",
                    "a Status in UserInformation (MS-ASCMD 2.2.3.177.15)",
                    "UserInformation without a Status",
                    self.version,
                )
            )
        if r.user_information is not None:
            addresses = list(r.user_information.email_addresses)
            for account in getattr(r.user_information, "accounts", ()) or ():
                addresses += list(getattr(account, "email_addresses", ()) or ())
            detail = f"user addresses: {', '.join(addresses) or 'none'}"
        return int(r.status), int(r.status) == 1, detail

    def ping(self, heartbeat: int) -> tuple[int | None, bool, str]:
        if self.inbox is None:
            return None, False, "no Inbox to watch"
        report = self.client.ping(heartbeat=heartbeat, folder_ids=[self.inbox])
        if report.status is None:
            return None, False, f"{report.outcome.value}: {report.error}"
        detail = f"heartbeat {heartbeat} s, answered after {report.seconds:.1f} s"
        if report.server_heartbeat is not None:
            detail += f", server's HeartbeatInterval {report.server_heartbeat}"
        if report.folders:
            detail += f", {len(report.folders)} folder(s) changed"
        return report.status, report.answered, detail

    # -- the whole flow ------------------------------------------------------------------------
    def execute(self) -> VersionRun:
        run = self.run
        cfg = self.config
        _timed_step(run, "Provision", self.provision)
        _timed_step(run, "FolderSync", lambda: self.folder_sync("0"))
        _timed_step(run, "FolderSync (incremental)", self.folder_sync)
        _timed_step(run, "Sync", self.sync_inbox)
        _timed_step(run, "GetItemEstimate", self.get_item_estimate)
        if self.at_least("12.0"):
            _timed_step(run, "ItemOperations", self.fetch)
            _timed_step(run, "Settings", self.settings)
        if self.at_least("12.1"):
            _timed_step(run, "FolderSync (base64 query)", self.folder_sync_base64)
        ping = _timed_step(run, "Ping", lambda: self.ping(cfg.heartbeat))
        if ping.status == PingStatus.ChangesOccurred:
            _timed_step(run, "Sync (after Ping 2)", self.resync)
            if self.resync_changes == 0:
                self.deviations.append(
                    Deviation(
                        "ping-spurious-change",
                        "Ping Status 2 only for folders with changes the client has not synced "
                        "(MS-ASCMD 2.2.3.177.11)",
                        "Status 2 right after the Sync that brought everything; the Sync it "
                        "asked for had no changes",
                        self.version,
                    )
                )
            _timed_step(run, "Ping (again)", lambda: self.ping(cfg.heartbeat))
        if cfg.long_heartbeat:
            _timed_step(
                run, "Ping (above maximum)", lambda: self.ping(int(cfg.long_heartbeat or 0))
            )
        return run


def _merge_deviations(report: MatrixReport, found: list[Deviation]) -> None:
    """One entry per probe; later versions that show it are added to ``version``."""
    for d in found:
        seen = report.deviation(d.probe)
        if seen is None:
            report.deviations.append(d)
        elif d.version and d.version not in (seen.version or "").split(", "):
            seen.version = f"{seen.version}, {d.version}" if seen.version else d.version


def _versions_to_run(config: MatrixConfig, advertised: list[str]) -> list[str]:
    if config.versions:
        unknown = [v for v in config.versions if v not in ALL_VERSIONS]
        if unknown:
            raise MatrixError(
                f"unknown protocol version(s) {unknown}; choose from {', '.join(ALL_VERSIONS)}",
                value=unknown,
            )
        return list(config.versions)
    if config.all_versions:
        return list(ALL_VERSIONS)
    return [v for v in ALL_VERSIONS if v in advertised]


def run_matrix(config: MatrixConfig) -> MatrixReport:
    """OPTIONS, then the flow at each version, then the deviation probes."""
    log = config.log or (lambda message: None)
    started = time.monotonic()
    base = resolve_target(config.url).base
    _versions_to_run(config, [])  # bad --version values fail before any traffic
    with tempfile.TemporaryDirectory(prefix="eas-matrix-") as tmp:
        workdir = Path(tmp)
        # OPTIONS through the client (MS-ASHTTP 2.2.3).
        opts_flow = _VersionFlow(config, ALL_VERSIONS[-1], True, workdir)
        try:
            try:
                options = opts_flow.client.options()
            except EasError as exc:
                raise MatrixError(f"OPTIONS {config.url} failed: {exc}", value=config.url) from exc
        finally:
            opts_flow.close()
        advertised = list(options.versions)
        report = MatrixReport(
            url=config.url,
            server_version=options.server_version,
            advertised_versions=advertised,
            commands=list(options.commands),
        )
        versions = _versions_to_run(config, advertised)

        def one(version: str) -> tuple[VersionRun, list[Deviation]]:
            log(f"protocol {version}{'' if version in advertised else ' (not advertised)'}")
            flow = _VersionFlow(config, version, version in advertised, workdir)
            try:
                return flow.execute(), flow.deviations
            finally:
                flow.close()

        # Versions run side by side (own DeviceId, state file and connections each): a Ping
        # holds its request for the heartbeat, and the server's answer does not depend on it.
        with ThreadPoolExecutor(max_workers=max(1, config.parallel)) as pool:
            results = list(pool.map(one, versions))
        for run, found in results:
            report.runs.append(run)
            _merge_deviations(report, found)
            if (step := run.step("Provision")) and step.ok and "no policy" in step.detail:
                note = "the server has no policy for devices (Policy Status 2, no PolicyKey)"
                if note not in report.notes:
                    report.notes.append(note)
        _merge_deviations(report, version_deviations(report))
        if config.deviations:
            probe_version = next(
                (v for v in reversed(ALL_VERSIONS) if v in advertised),
                advertised[-1] if advertised else "14.1",
            )
            log(f"deviation probes at {probe_version}")
            probe_deviations(config, report, base, probe_version)
    report.seconds = round(time.monotonic() - started, 3)
    return report
