"""The EAS steps, through the project's client: OPTIONS, Provision, FolderSync, Sync of the
Inbox, a short Ping, and (with ``--probe-heartbeat``) the heartbeat probe.

Each step explains its failure in the words an administrator needs: what a proxy, a firewall or
the server did, and what to change.
"""

from __future__ import annotations

from dataclasses import replace

from easclient.client import (
    DeviceError,
    NetworkError,
    PingOutcome,
    ResponseDeadlineExceeded,
    ResponseDecodingError,
    ResponseTooLarge,
    SyncFailed,
    WaitLimitExceeded,
)
from easclient.client.auth import offered_schemes
from easclient.client.device import PingReport
from easclient.errors import EasError
from easclient.protocol import (
    ACTIVESYNC_PATH,
    AuthenticationFailed,
    EasHTTPError,
    EmptyResponse,
    FolderType,
    Forbidden,
    NotFound,
    OptionsBlocked,
    ProtocolError,
    VersionError,
)

from .context import CheckContext
from .device import CheckDevice
from .report import Result, Step

#: The version a device falls back to when OPTIONS gives no answer (what most clients try).
FALLBACK_VERSION = "14.1"

NO_USER = "no --user: the EAS steps need an account"
_PROXY_CODES = {502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}


def _device(ctx: CheckContext) -> CheckDevice | None:
    return ctx.facts.get("device")


def _opened(ctx: CheckContext) -> CheckDevice:
    """The device, in a step that :func:`_blocked` let run (so OPTIONS made one)."""
    device = _device(ctx)
    assert device is not None, "_blocked() skips the steps that have no device"
    return device


def _blocked(ctx: CheckContext, name: str, title: str, *, inbox: bool = False) -> Step | None:
    """A skip when an earlier step left nothing to build on (with ``inbox``: no Inbox found)."""
    via_proxy = "via_proxy" in ctx.facts  # the device's path: the proxy's tunnel, not direct
    if ctx.connect_address is None and not via_proxy:
        return Step(name, title, Result.SKIP, "no TCP connection")
    if ctx.target.tls and not ctx.tls_ok and not via_proxy:
        return Step(name, title, Result.SKIP, "no TLS session")
    if ctx.facts.get("tls_problem"):
        return Step(
            name,
            title,
            Result.SKIP,
            f"devices stop at TLS ({ctx.facts['tls_problem']} failed); --insecure checks on",
        )
    if name != "options" and (_device(ctx) is None or "eas_blocked" in ctx.facts):
        reason = ctx.facts.get("eas_blocked", "OPTIONS failed")
        # Without --user the EAS steps were not asked for: not run, but not failed either.
        return Step(name, title, Result.SKIP, reason, required=reason != NO_USER)
    if inbox and "inbox" not in ctx.facts:
        return Step(name, title, Result.SKIP, "no Inbox")
    return None


#: A hostile or broken server's answer (issue 11): why it matters and what to look at.
_ANSWER_FAULTS: tuple[tuple[type[EasError], str, str], ...] = (
    (
        ResponseTooLarge,
        "An answer larger than devices accept for this command: a device runs out of memory "
        "or gives up, and tries again.",
        "Check what the server, or a proxy in front of it, sends for this command (an endless "
        "chunked body, a wrong Content-Length); if the mailbox really needs it, raise "
        "--max-response-size.",
    ),
    (
        ResponseDeadlineExceeded,
        "The answer arrived too slowly: devices give up on it and send the request again.",
        "Check the server's load and any proxy that trickles or re-buffers answers; raise "
        "--deadline if the path is that slow.",
    ),
    (
        ResponseDecodingError,
        "The body does not decode as its Content-Encoding says: devices cannot read it.",
        "Check the compression settings of the reverse proxy or the server.",
    ),
    (
        EmptyResponse,
        "The server answered without the content the protocol requires (MS-ASCMD): devices "
        "have no SyncKey or status to go on with and stall.",
        "See the server's logs; check that no proxy strips response bodies.",
    ),
    (
        ProtocolError,
        "The server's answer breaks the protocol (MS-ASCMD): devices cannot read it and stop.",
        "See the server's logs; check that no proxy rewrites ActiveSync answers.",
    ),
    (
        WaitLimitExceeded,
        "The server is throttling (HTTP 503) for longer than devices wait.",
        "Check the server's load and throttling policy; raise --max-wait to wait it out.",
    ),
)


def _http_failure(name: str, title: str, exc: EasError, what: str) -> Step:
    """A failed step for an HTTP error or a network error, explained."""
    for kind, why, fix in _ANSWER_FAULTS:
        if isinstance(exc, kind):
            return Step(name, title, Result.FAIL, f"{what}: {exc}", why=why, fix=fix)
    if isinstance(exc, AuthenticationFailed):
        refused = _refused_scheme(name, title, exc, what)
        if refused is not None:
            return refused
        return Step(
            name,
            title,
            Result.FAIL,
            f"{what}: HTTP 401, the user name or password was refused",
            why="Devices cannot sign in.",
            fix="Check the credentials; check that Basic authentication is enabled for "
            "ActiveSync on the server and on any reverse proxy that pre-authenticates.",
        )
    if isinstance(exc, Forbidden):
        return Step(
            name,
            title,
            Result.FAIL,
            f"{what}: HTTP 403, signed in but not allowed",
            why="The account or this device type is not allowed to use ActiveSync (or is "
            "quarantined).",
            fix="Enable ActiveSync for the mailbox and allow the device (access rules, "
            "quarantine list).",
        )
    if isinstance(exc, NotFound):
        return Step(
            name,
            title,
            Result.FAIL,
            f"{what}: HTTP 404, no ActiveSync at this URL",
            why="Devices are pointed at a host or path that has no EAS endpoint.",
            fix="Check the host name, and that /Microsoft-Server-ActiveSync is published through "
            "the reverse proxy to the mail server.",
        )
    if isinstance(exc, EasHTTPError) and exc.status_code in _PROXY_CODES:
        return Step(
            name,
            title,
            Result.FAIL,
            f"{what}: HTTP {exc.status_code} {_PROXY_CODES[exc.status_code]}",
            why="Usually a reverse proxy or load balancer that cannot reach the mail server, or "
            "gives up waiting for it.",
            fix="Check the proxy's health checks and its timeouts toward the server.",
        )
    if isinstance(exc, NetworkError):
        return Step(
            name,
            title,
            Result.FAIL,
            f"{what}: {exc} ({exc.outcome})",
            why="The request got no HTTP answer.",
            fix="See the TCP and TLS steps; check what the firewall does with this connection.",
        )
    return Step(name, title, Result.FAIL, f"{what}: {exc}", fix="See the server's logs.")


def _only_16(versions: tuple[str, ...] | list[str]) -> bool:
    """Whether a server offers nothing before 16.0 (Exchange Online offers 16.1 alone)."""
    return bool(versions) and all(v.startswith("16.") for v in versions)


def _refused_scheme(name: str, title: str, exc: EasHTTPError, what: str) -> Step | None:
    """A 401 explained by what its WWW-Authenticate offers (RFC 9110 11.6.1): a server that
    refuses Basic (Exchange Online since 2022), wants NTLM, or refused a bearer token."""
    header = next((v for k, v in exc.headers.items() if k.lower() == "www-authenticate"), "")
    offered = offered_schemes(header)
    if offered == ["bearer"] and "invalid_token" in header:
        described = ""
        if 'error_description="' in header:
            described = header.split('error_description="', 1)[1].split('"', 1)[0][:80]
        return Step(
            name,
            title,
            Result.FAIL,
            f"{what}: HTTP 401, the bearer token was refused"
            + (f" ({described})" if described else ""),
            why="Devices signed in with OAuth get no mail until they get a good token.",
            fix="Check the token's audience, scope (EAS.AccessAsUser.All) and expiry (see the "
            "sign-in step); sign in again with --auth oauth.",
        )
    if offered == ["bearer"]:
        return Step(
            name,
            title,
            Result.FAIL,
            f"{what}: HTTP 401, this server refuses Basic; it offers only Bearer (OAuth) sign-in",
            why="Exchange Online (and servers set up like it) retired Basic authentication: "
            "devices must sign in with OAuth 2.0.",
            fix="Use --auth oauth --client-id YOUR-APP-ID (or --auth bearer with a token); "
            "the device needs an OAuth-capable mail app.",
        )
    if offered and "basic" not in offered and {"ntlm", "negotiate"} & set(offered):
        return Step(
            name,
            title,
            Result.FAIL,
            f"{what}: HTTP 401, this server does not take Basic; it offers "
            f"{', '.join(s.upper() if s == 'ntlm' else s.title() for s in offered)}",
            why="Devices configured for Basic cannot sign in.",
            fix="Use --auth ntlm (or --auth negotiate), or enable Basic on the server.",
        )
    return None


# -- OPTIONS -----------------------------------------------------------------------------------


def _make_device(ctx: CheckContext, version: str | None = None) -> CheckDevice:
    device = CheckDevice(ctx.target, ctx.options, version=version)
    ctx.facts["device"] = device
    return device


def options_step(ctx: CheckContext) -> Step:
    """OPTIONS: the MS-Server-ActiveSync header, versions and commands (MS-ASHTTP 2.2.3)."""
    name, title = "options", "OPTIONS"
    skip = _blocked(ctx, name, title)
    if skip:
        ctx.facts["eas_blocked"] = "no connection"
        return skip
    device = _make_device(ctx)
    blocked_why = (
        "Devices send OPTIONS first to learn the server's versions and commands; iOS and "
        "Outlook fail account setup without the answer, and others fall back to an old version."
    )
    blocked_fix = (
        "Let OPTIONS /Microsoft-Server-ActiveSync through the reverse proxy or firewall "
        "(ISA/TMG/WAF publishing rules, nginx limit_except, method filters) to the server "
        "unchanged, with its MS-Server-ActiveSync, MS-ASProtocolVersions and "
        "MS-ASProtocolCommands headers."
    )
    try:
        result = device.client.options()
    except OptionsBlocked:
        _fallback(ctx, device)
        return Step(
            name,
            title,
            Result.FAIL,
            "OPTIONS answered without the MS-Server-ActiveSync header: OPTIONS blocked by a "
            f"proxy (the next steps go on with version {FALLBACK_VERSION}, as devices do)",
            why=blocked_why,
            fix=blocked_fix,
        )
    except AuthenticationFailed as exc:
        if not ctx.options.user:
            ctx.facts["eas_blocked"] = NO_USER
            device.close()
            ctx.facts.pop("device", None)
            return Step(
                name,
                title,
                Result.WARN,
                "HTTP 401: the server wants credentials; give --user to check the EAS steps",
                required=False,
            )
        ctx.facts["eas_blocked"] = "authentication failed"
        return _http_failure(name, title, exc, "OPTIONS")
    except EasHTTPError as exc:
        if exc.status_code in (403, 405, 501):
            _fallback(ctx, device)
            return Step(
                name,
                title,
                Result.FAIL,
                f"OPTIONS refused with HTTP {exc.status_code}: OPTIONS blocked by a proxy (the "
                f"next steps go on with version {FALLBACK_VERSION}, as devices do)",
                why=blocked_why,
                fix=blocked_fix,
            )
        ctx.facts["eas_blocked"] = f"OPTIONS failed (HTTP {exc.status_code})"
        return _http_failure(name, title, exc, "OPTIONS")
    except VersionError as exc:
        _fallback(ctx, device)
        return Step(name, title, Result.FAIL, f"{exc}", why=blocked_why, fix=blocked_fix)
    except EasError as exc:
        ctx.facts["eas_blocked"] = "OPTIONS failed"
        return _http_failure(name, title, exc, "OPTIONS")
    ctx.facts["options"] = result
    data = {
        "server": result.server_version,
        "versions": list(result.versions),
        "commands": list(result.commands),
    }
    seen = (
        f"MS-Server-ActiveSync {result.server_version}; versions {', '.join(result.versions)}; "
        f"{len(result.commands)} commands"
    )
    try:
        version = device.client.version
    except VersionError:
        ctx.facts["eas_blocked"] = "no common protocol version"
        return Step(
            name,
            title,
            Result.FAIL,
            f"{seen}; none of them is one the {device.profile.name} profile speaks "
            f"({', '.join(device.profile.versions)})",
            why="Devices of this kind cannot talk to the server."
            + (
                " The server offers only 16.x, as Exchange Online does."
                if _only_16(result.versions)
                else ""
            ),
            fix="Use a device (profile) that speaks 16.1 — iphone, android or outlook."
            if _only_16(result.versions)
            else "Enable a current protocol version on the server.",
            data=data,
        )
    data["version"] = version
    if _only_16(result.versions):
        seen += f"; only {', '.join(result.versions)} offered (as Exchange Online): using {version}"
    if not ctx.options.user:
        ctx.facts["eas_blocked"] = NO_USER
        seen += "; the server answered without credentials (give --user for the EAS steps)"
    if ctx.target.path:
        other = _standard_path_problem(ctx)
        if other is not None:
            return Step(
                name,
                title,
                Result.WARN,
                f"{seen} at {ctx.target.path}; but the standard path {ACTIVESYNC_PATH} {other}",
                why="Devices cannot be given a path: they always request "
                f"{ACTIVESYNC_PATH} on the host, so they fail where this check passed.",
                fix=f"Publish {ACTIVESYNC_PATH} on the host, mapped to {ctx.target.path} "
                "(for SOGo, the web server's alias or rewrite rule for it).",
                data=data,
            )
        seen += f" (at {ctx.target.path}; the standard path answers as well)"
    if result.commands and not result.supports("Ping"):
        return Step(
            name,
            title,
            Result.WARN,
            f"{seen}; Ping is not among the commands",
            why="Without Ping there is no Direct Push: devices fall back to polling.",
            fix="Enable Direct Push (Ping) on the server.",
            data=data,
        )
    return Step(name, title, Result.PASS, f"{seen}; using {version}", data=data)


def _standard_path_problem(ctx: CheckContext) -> str | None:
    """OPTIONS at the standard path, as devices send it: None when it answers like the URL's."""
    device = CheckDevice(replace(ctx.target, path=None), ctx.options)
    try:
        device.client.options()
    except EasHTTPError as exc:
        return f"answers HTTP {exc.status_code}"
    except EasError as exc:
        return f"does not answer as ActiveSync ({exc})"
    finally:
        device.close()
    return None


def _fallback(ctx: CheckContext, device: CheckDevice) -> None:
    device.close()
    _make_device(ctx, version=FALLBACK_VERSION)


# -- Provision, FolderSync, Sync -------------------------------------------------------------


def provision_step(ctx: CheckContext) -> Step:
    """Provision, both phases (MS-ASPROV 3.1.5.1)."""
    name, title = "provision", "Provision"
    skip = _blocked(ctx, name, title)
    if skip:
        return skip
    client = _opened(ctx).client
    try:
        key = client.provision()
    except WaitLimitExceeded as exc:
        ctx.facts["eas_blocked"] = "Provision failed"
        return _http_failure(name, title, exc, "Provision")
    except DeviceError as exc:
        ctx.facts["eas_blocked"] = "Provision failed"
        return Step(
            name,
            title,
            Result.FAIL,
            str(exc),
            why="Servers that require a policy refuse every other command (HTTP 449 or status "
            "142-144) until the device has provisioned.",
            fix="Check the device's mobile-device mailbox policy and the server's logs.",
        )
    except EasError as exc:
        ctx.facts["eas_blocked"] = "Provision failed"
        return _http_failure(name, title, exc, "Provision")
    if key is None:
        return Step(
            name,
            title,
            Result.PASS,
            "the server has no policy for this device (Policy Status 2)",
            data={"policy_key": None},
        )
    return Step(
        name, title, Result.PASS, f"policy accepted; PolicyKey {key}", data={"policy_key": key}
    )


def foldersync_step(ctx: CheckContext) -> Step:
    """FolderSync from SyncKey 0 (MS-ASCMD 2.2.1.5): the hierarchy, and where the Inbox is."""
    name, title = "foldersync", "FolderSync"
    skip = _blocked(ctx, name, title)
    if skip:
        return skip
    device = _opened(ctx)
    try:
        device.client.folder_sync()
    except EasError as exc:
        ctx.facts["eas_blocked"] = "FolderSync failed"
        return _http_failure(name, title, exc, "FolderSync")
    folders = device.state.folders()
    inbox = next((f for f in folders if f.type == FolderType.Inbox), None)
    data = {"folders": len(folders), "inbox": inbox.server_id if inbox else None}
    if inbox is None:
        ctx.facts["eas_blocked"] = "no Inbox"
        return Step(
            name,
            title,
            Result.FAIL,
            f"{len(folders)} folders, none of them the Inbox (type 2)",
            why="Devices need the Inbox to sync and to watch for new mail.",
            fix="Check the mailbox on the server.",
            data=data,
        )
    ctx.facts["inbox"] = inbox
    return Step(
        name,
        title,
        Result.PASS,
        f"{len(folders)} folders; Inbox is {inbox.display_name!r} (id {inbox.server_id})",
        data=data,
    )


def sync_step(ctx: CheckContext) -> Step:
    """Sync of the Inbox (MS-ASCMD 2.2.1.21): prime, then the first few windows."""
    name, title = "sync", "Sync Inbox"
    skip = _blocked(ctx, name, title, inbox=True)
    if skip:
        return skip
    device = _opened(ctx)
    inbox = ctx.facts["inbox"]
    windows = ctx.options.sync_windows
    try:
        report = device.client.sync_collection(inbox)
    except SyncFailed as exc:
        if exc.status is None:  # still MoreAvailable after our window limit: fine for a check
            held = device.state.item_count(inbox.server_id)
            return Step(
                name,
                title,
                Result.PASS,
                f"{held} items in the first {windows} windows; more available (a check "
                "does not fetch them all)",
                data={"items": held, "complete": False},
            )
        return Step(
            name,
            title,
            Result.FAIL,
            str(exc),
            why="Devices cannot sync mail.",
            fix="See the server's logs for this status.",
        )
    except EasError as exc:
        return _http_failure(name, title, exc, "Sync")
    return Step(
        name,
        title,
        Result.PASS,
        f"{report.total} items in the Inbox",
        data={"items": report.total, "complete": True},
    )


# -- Ping ------------------------------------------------------------------------------------

_NAT_WHY = (
    "Direct Push holds a Ping open, idle, for the whole heartbeat. A NAT or firewall that "
    "forgets idle connections sooner kills it: with a black hole the device hears nothing "
    "until its own timeout, so new mail waits and the battery drains on reconnects; devices "
    "that see a reset lower their heartbeat and Ping more often."
)
_NAT_FIX = (
    "Raise the idle timeout of the NAT/firewall (and of any reverse proxy or load balancer) "
    "to at least the server's maximum heartbeat plus a margin: Microsoft advises at least 15 "
    "minutes (KB905013)."
)
_PROBE_HINT = " Run with --probe-heartbeat to measure the longest heartbeat the path keeps."


def _ping_lost(step_name: str, title: str, r: PingReport, margin: float, probing: bool) -> Step:
    hb = r.heartbeat
    if r.outcome is PingOutcome.BLACKHOLE:
        seen = (
            f"Ping with heartbeat {hb} s: no answer within {hb} + {margin:g} s — the connection "
            "was silently lost (black hole)"
        )
    elif r.outcome is PingOutcome.RESET:
        seen = f"Ping with heartbeat {hb} s: the connection was reset after {r.seconds:.1f} s"
    elif r.outcome is PingOutcome.CLOSED:
        seen = f"Ping with heartbeat {hb} s: the connection was closed after {r.seconds:.1f} s"
    else:
        seen = f"Ping with heartbeat {hb} s: {r.outcome} after {r.seconds:.1f} s"
    if r.error and r.outcome is not PingOutcome.BLACKHOLE:
        seen += f" ({r.error})"
    why = _NAT_WHY
    fix = _NAT_FIX + (
        " The heartbeat probe below measures what it keeps." if probing else _PROBE_HINT
    )
    if r.outcome is PingOutcome.HTTP_ERROR:
        why = (
            "A reverse proxy or load balancer answered with an error while the Ping was held: "
            "its request timeout is shorter than the heartbeat."
        )
        fix = (
            "Raise the proxy's request/idle timeout for /Microsoft-Server-ActiveSync above the "
            "server's maximum heartbeat plus a margin (Exchange: 3540 s + margin)."
        )
    elif r.outcome is PingOutcome.TLS_ERROR:
        why, fix = "TLS failed during the Ping.", "See the TLS steps."
    return Step(step_name, title, Result.FAIL, seen, why=why, fix=fix, data=_ping_data(r))


def _ping_data(r: PingReport) -> dict[str, object]:
    return {
        "outcome": r.outcome.value,
        "status": r.status,
        "heartbeat": r.heartbeat,
        "seconds": round(r.seconds, 3),
        "server_heartbeat": r.server_heartbeat,
    }


def ping_step(ctx: CheckContext) -> Step:
    """A short Ping on the Inbox (MS-ASCMD 2.2.1.13), held through the path for its heartbeat."""
    name, title = "ping", "Ping (Direct Push)"
    skip = _blocked(ctx, name, title, inbox=True)
    if skip:
        return skip
    device = _opened(ctx)
    inbox = ctx.facts["inbox"].server_id
    hb = ctx.options.ping_heartbeat
    margin = ctx.options.ping_margin
    try:
        r = device.client.ping(hb, [inbox])
        note = ""
        if r.outcome is PingOutcome.ADJUSTED and r.server_heartbeat:
            bound = r.server_heartbeat
            if bound > ctx.options.ping_follow_max:
                return Step(
                    name,
                    title,
                    Result.PASS,
                    f"the server answered status 5: heartbeat {hb} s is out of its bounds, it "
                    f"allows {bound} s; not held (raise --ping-follow-max to follow it)",
                    data=_ping_data(r),
                )
            note = f" (the server moved the heartbeat from {hb} s to its bound, {bound} s)"
            r = device.client.ping(bound, [inbox])
    except EasError as exc:
        return _http_failure(name, title, exc, "Ping")
    if r.outcome is PingOutcome.NO_CHANGES:
        return Step(
            name,
            title,
            Result.PASS,
            f"held for {r.seconds:.1f} s, then status 1 (no changes) at heartbeat "
            f"{r.heartbeat} s{note}",
            data=_ping_data(r),
        )
    if r.outcome is PingOutcome.CHANGES:
        return Step(
            name,
            title,
            Result.PASS,
            f"status 2 after {r.seconds:.1f} s: changes in {', '.join(r.folders)}{note}",
            data=_ping_data(r),
        )
    if r.outcome is PingOutcome.OTHER_STATUS:
        return Step(
            name,
            title,
            Result.FAIL,
            f"Ping answered status {r.status}{note}",
            why="Devices cannot hold Direct Push.",
            fix="See MS-ASCMD 2.2.3.177.11 for the status; check the server's logs.",
            data=_ping_data(r),
        )
    return _ping_lost(name, title, r, margin, ctx.options.probe_heartbeat)


def close_device(ctx: CheckContext) -> None:
    device = ctx.facts.pop("device", None)
    if device is not None:
        device.close()


EAS_STEPS = [options_step, provision_step, foldersync_step, sync_step, ping_step]
