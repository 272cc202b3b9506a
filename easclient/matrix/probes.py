"""Deviation probes: requests a spec-following server answers in one way, sent on purpose.

Each probe records a :class:`Deviation` when the answer differs from what MS-ASHTTP / MS-ASCMD
say, and the probe's name in ``report.conforming`` when it does not. SOGo 5.8, for instance,
answers a missing Authorization with 403 and no ``WWW-Authenticate``, a missing DeviceId with 500,
a never-issued SyncKey with Status 1 and no changes, and a malformed one with HTTP 501.
"""

from __future__ import annotations

import time

import httpx

from easclient import wbxml
from easclient.client import BasicAuth, get_profile
from easclient.protocol import FolderType, build_request
from easclient.protocol.foldersync import FolderSyncRequest, FolderSyncResponse
from easclient.protocol.options import build_options_request
from easclient.protocol.provision import ProvisionRequest, ProvisionResponse
from easclient.protocol.provision_flow import ProvisionFlow, ProvisionOutcome, ProvisionResult
from easclient.protocol.status import PingStatus
from easclient.protocol.sync import (
    SyncCollectionRequest,
    SyncRequest,
    parse_sync_body,
)
from easclient.protocol.versions import version_at_least

from .config import MatrixConfig, http_transport
from .model import Deviation, MatrixReport

#: A SyncKey no server issues: the probe for "malformed".
MALFORMED_SYNC_KEY = "garbage!key"


class _Raw:
    """Requests built by the protocol module and sent as they are, so that they can be wrong."""

    def __init__(self, config: MatrixConfig, base: str, version: str) -> None:
        self.config = config
        self.base = base
        self.version = version
        profile = get_profile(config.profile)
        self.device_type = profile.device_type
        self.profile = profile
        self.device_id = profile.device_id(f"{config.device_seed}:{config.user}:probes")
        self.http = httpx.Client(transport=http_transport(config), timeout=config.timeout)
        self.policy_key: int | None = None

    def provision(self) -> None:
        """Get a PolicyKey where the server hands one out (MS-ASPROV 3.1.5.1), so that the
        probes are not answered 449."""
        info = self.profile.device_information() if version_at_least(self.version, "14.1") else None
        flow = ProvisionFlow(self.version, info)
        step: ProvisionRequest | ProvisionOutcome = flow.request()
        while isinstance(step, ProvisionRequest):
            r, el = self.post("Provision", step.to_element(self.version), auth=self.auth)
            if r.status_code != 200 or el is None:
                return  # the probes then show what the server does without a key
            step = flow.receive_element(el)
        if step.result is ProvisionResult.PROVISIONED:
            self.policy_key = step.policy_key

    def close(self) -> None:
        self.http.close()

    def post(
        self,
        cmd: str,
        body: wbxml.Element | None,
        *,
        auth: tuple[str, str] | None = None,
        drop_param: str | None = None,
    ) -> tuple[httpx.Response, wbxml.Element | None]:
        req = build_request(
            cmd,
            body,
            user=self.config.user,
            device_id=self.device_id,
            device_type=self.device_type,
            version=self.version,
            policy_key=None if cmd == "Provision" else self.policy_key,
        )
        url = req.url(self.base)
        if drop_param:
            prefix, _, query = url.partition("?")
            kept = [p for p in query.split("&") if not p.startswith(f"{drop_param}=")]
            url = f"{prefix}?{'&'.join(kept)}"
        headers = dict(req.headers)
        if auth is not None:
            headers["Authorization"] = BasicAuth(*auth).header()
        r = self.http.post(url, headers=headers, content=req.body)
        el = None
        if r.content and r.headers.get("content-type", "").startswith("application/vnd.ms-sync"):
            try:
                el = wbxml.decode(r.content)
            except wbxml.WBXMLError:
                el = None
        return r, el

    @property
    def auth(self) -> tuple[str, str]:
        return (self.config.user, self.config.password)


def _describe(r: httpx.Response, el: wbxml.Element | None, sync_cid: str | None = None) -> str:
    if r.status_code != 200:
        extra = ""
        if r.status_code == 401 or r.status_code == 403:
            wa = r.headers.get("www-authenticate")
            extra = f" with WWW-Authenticate {wa!r}" if wa else " without WWW-Authenticate"
        return f"HTTP {r.status_code}{extra}"
    if el is None:
        return "HTTP 200, empty body"
    if sync_cid is not None:
        resp = parse_sync_body(el, {sync_cid: "Email"})
        col = resp.collection(sync_cid)
        if resp.status is not None:
            return f"HTTP 200, Sync Status {int(resp.status)}"
        if col is None:
            return "HTTP 200, no collection"
        return f"HTTP 200, Status {int(col.status)}, {len(col.commands)} commands"
    status = el.findtext("Status")
    return f"HTTP 200, Status {status}"


def _record(
    report: MatrixReport, probe: str, conforming: bool, expected: str, observed: str, version: str
) -> None:
    if conforming:
        report.conforming.append(probe)
    else:
        report.deviations.append(Deviation(probe, expected, observed, version))


def probe_deviations(config: MatrixConfig, report: MatrixReport, base: str, version: str) -> None:
    """Send each probe once at ``version`` and record what came back."""
    raw = _Raw(config, base, version)
    try:
        _probe_provisioning(raw, report)
        raw.provision()
        _probe_credentials(raw, report)
        _probe_device_id(raw, report)
        raw.provision()  # again: a server may drop the key after the malformed requests above
        _probe_sync_keys(raw, report)
    finally:
        raw.close()
    if config.keepalive_probe:
        _probe_keepalive(config, report, base, version)


def _probe_provisioning(raw: _Raw, report: MatrixReport) -> None:
    """On a server that asks devices to provision: how it says so, and whether the temporary
    PolicyKey of the first Provision phase is taken as a final one. Silent where the server
    never asks (SOGo: no policy)."""
    v = raw.version
    body = FolderSyncRequest("0").to_element(v)
    r, el = raw.post("FolderSync", body, auth=raw.auth)
    if r.status_code == 449 and el is not None:
        # MS-ASHTTP 2.2.2.1.1: 449 alone; MS-ASPROV 3.2.5.1.2: from 14.0 HTTP 200 + Status 142.
        _record(
            report,
            "provision-required",
            False,
            "HTTP 449 without a body, or (14.0+) HTTP 200 with Status 142 (MS-ASPROV 3.2.5.1.2)",
            f"HTTP 449 with a WBXML Status {el.findtext('Status')}",
            v,
        )
    elif r.status_code == 449 or (r.status_code == 200 and el is not None and _asks_policy(el)):
        report.conforming.append("provision-required")
    else:
        return
    info = raw.profile.device_information() if version_at_least(v, "14.1") else None
    pr, pel = raw.post("Provision", ProvisionRequest.initial(v, info).to_element(v), auth=raw.auth)
    if pr.status_code != 200 or pel is None:
        return
    first = ProvisionResponse.from_element(pel)
    if first.policy_key is None:
        return
    raw.policy_key = first.policy_key
    r, el = raw.post("FolderSync", body, auth=raw.auth)
    raw.policy_key = None
    served = r.status_code == 200 and el is not None and el.findtext("Status") == "1"
    _record(
        report,
        "temporary-policykey",
        not served,
        "the temporary PolicyKey is good only for acknowledging the policy: 449 or Status 144 "
        "(MS-ASPROV 3.1.5.1)",
        f"served with it ({_describe(r, el)})",
        v,
    )


def _asks_policy(el: wbxml.Element) -> bool:
    return el.findtext("Status") in ("142", "143", "144")


def _probe_credentials(raw: _Raw, report: MatrixReport) -> None:
    v = raw.version
    body = FolderSyncRequest("0").to_element(v)
    r, el = raw.post("FolderSync", body, auth=None)
    ok = r.status_code == 401 and "www-authenticate" in r.headers
    _record(
        report,
        "no-credentials",
        ok,
        "HTTP 401 with WWW-Authenticate naming the scheme (MS-ASHTTP 3.2.5.1; RFC 9110 11.6.1)",
        _describe(r, el),
        v,
    )
    r, el = raw.post("FolderSync", body, auth=(raw.config.user, raw.config.password + "-wrong"))
    _record(report, "wrong-password", r.status_code == 401, "HTTP 401", _describe(r, el), v)


def _probe_device_id(raw: _Raw, report: MatrixReport) -> None:
    v = raw.version
    r, el = raw.post(
        "FolderSync", FolderSyncRequest("0").to_element(v), auth=raw.auth, drop_param="DeviceId"
    )
    status = el.findtext("Status") if el is not None else None
    ok = r.status_code == 400 or (r.status_code == 200 and status == "108")
    _record(
        report,
        "missing-deviceid",
        ok,
        "HTTP 400, or Status 108 DeviceIdMissingOrInvalid (MS-ASHTTP 2.2.1.1.1.1; MS-ASCMD 2.2.2)",
        _describe(r, el),
        v,
    )


def _probe_sync_keys(raw: _Raw, report: MatrixReport) -> None:
    """Prime the Inbox, take one window, then send a never-issued and a malformed SyncKey."""
    v = raw.version
    r, el = raw.post("FolderSync", FolderSyncRequest("0").to_element(v), auth=raw.auth)
    if r.status_code != 200 or el is None:
        report.notes.append(f"SyncKey probes skipped: FolderSync answered {_describe(r, el)}")
        return
    fs = FolderSyncResponse.from_element(el)
    inbox = next((f.server_id for f in fs.added if int(f.type) == FolderType.Inbox), None)
    if inbox is None:
        report.notes.append("SyncKey probes skipped: no Inbox in FolderSync")
        return

    def sync(key: str) -> tuple[httpx.Response, wbxml.Element | None]:
        col = SyncCollectionRequest(
            sync_key=key,
            collection_id=inbox,
            get_changes=None if key == "0" else True,
            window_size=None if key == "0" else 5,
        )
        return raw.post("Sync", SyncRequest(collections=(col,)).to_element(v), auth=raw.auth)

    key = "0"
    for _ in range(2):  # prime, then one window: the server now has state for this device
        r, el = sync(key)
        col = parse_sync_body(el, {inbox: "Email"}).collection(inbox) if el is not None else None
        if r.status_code != 200 or col is None or col.sync_key is None or int(col.status) != 1:
            report.notes.append(f"SyncKey probes skipped: Sync answered {_describe(r, el, inbox)}")
            return
        key = col.sync_key

    def is_status(el: wbxml.Element | None, codes: tuple[int, ...]) -> bool:
        if el is None:
            return False
        col = parse_sync_body(el, {inbox: "Email"}).collection(inbox)
        return col is not None and int(col.status) in codes

    unknown = key + "9999"
    r, el = sync(unknown)
    _record(
        report,
        "unknown-synckey",
        r.status_code == 200 and is_status(el, (3,)),
        "Status 3 (invalid synchronization key: the client restarts from 0) "
        "(MS-ASCMD 2.2.3.177.17)",
        f"SyncKey {unknown!r}: {_describe(r, el, inbox)}",
        v,
    )
    r, el = sync(MALFORMED_SYNC_KEY)
    _record(
        report,
        "malformed-synckey",
        r.status_code == 200 and is_status(el, (3, 4)),
        "Status 3 (invalid SyncKey) or 4 (protocol error) (MS-ASCMD 2.2.3.177.17)",
        f"SyncKey {MALFORMED_SYNC_KEY!r}: {_describe(r, el, inbox)}",
        v,
    )


def _probe_keepalive(config: MatrixConfig, report: MatrixReport, base: str, version: str) -> None:
    """OPTIONS again and again on one persistent connection: does the server reset it?"""
    tries, resets = config.keepalive_probe, 0
    req = build_options_request()
    url = req.url(base)
    headers = {**req.headers, "Authorization": BasicAuth(config.user, config.password).header()}
    with httpx.Client(
        transport=http_transport(config, keepalive=True), timeout=config.timeout
    ) as c:
        for _ in range(tries):
            try:
                c.request(
                    "OPTIONS",
                    url,
                    headers=headers,
                )
            except httpx.TransportError:
                resets += 1
                time.sleep(0.01)
    _record(
        report,
        "keepalive",
        resets == 0,
        "a persistent HTTP/1.1 connection is kept or closed cleanly (RFC 9112 9.3, 9.6)",
        f"{resets} of {tries} requests on a reused connection failed (connection reset)",
        version,
    )


def version_deviations(report: MatrixReport) -> list[Deviation]:
    """Deviations read from the per-version runs: unadvertised versions served, and a Ping
    Status 5 held until the server's maximum instead of answered at once."""
    found: list[Deviation] = []
    for run in report.runs:
        fs = run.step("FolderSync")
        if not run.advertised and fs is not None and fs.http_status == 200 and fs.ok:
            found.append(
                Deviation(
                    "unadvertised-version",
                    "a version missing from MS-ASProtocolVersions is refused (HTTP 400)",
                    f"served like an advertised version (FolderSync Status {fs.status})",
                    run.version,
                )
            )
        not_wbxml = next(
            (st for st in run.steps if "expected a WBXML body, got Content-Type" in st.detail),
            None,
        )
        if not_wbxml is not None:
            found.append(
                Deviation(
                    "not-wbxml",
                    "an EAS answer is WBXML (application/vnd.ms-sync.wbxml) or empty "
                    "(MS-ASHTTP 2.2.2.2)",
                    f"{not_wbxml.command}: HTTP {not_wbxml.http_status}, "
                    + not_wbxml.detail.split("got ", 1)[1],
                    run.version,
                )
            )
        long_ping = run.step("Ping (above maximum)")
        if (
            long_ping is not None
            and long_ping.status == PingStatus.InvalidHeartbeatInterval
            and long_ping.seconds > 3.0
        ):
            found.append(
                Deviation(
                    "ping-status5-delayed",
                    "Status 5 with the allowed HeartbeatInterval at once (MS-ASCMD 2.2.3.177.11)",
                    f"Status 5 after holding the request {long_ping.seconds:.0f} s",
                    run.version,
                )
            )
    return found
