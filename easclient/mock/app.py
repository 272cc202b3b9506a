"""The ASGI application: ``/Microsoft-Server-ActiveSync`` (OPTIONS, POST) and ``/_mock/``.

The EAS endpoint is a plain ASGI callable (mounted in a starlette app) so it controls exactly
what goes on the wire — which fault injection needs (trickled, truncated or missing answers).
Bad input never escapes as an exception: an unreadable query is HTTP 400; a body that is not
WBXML gets Status 102 (InvalidWBXML) and a body that does not follow the schema Status 103
(InvalidXML) from 14.0 on, as Exchange answers, and HTTP 400 before.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import struct
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route

from easclient import wbxml
from easclient.errors import EasError
from easclient.protocol import (
    ACTIVESYNC_PATH,
    WBXML_CONTENT_TYPE,
    Headers,
    ProtocolError,
    QueryError,
    parse_request,
)
from easclient.protocol.options import options_headers
from easclient.protocol.query import is_base64_form
from easclient.protocol.status import CommonStatus
from easclient.protocol.versions import version_at_least

from . import cmd_account, cmd_device, cmd_items, cmd_push, cmd_sync
from .auth import MockAuth, Refusal
from .config import Quirk, User
from .context import ROOTS, Answer, Context, StatusAnswer, status_element
from .faults import Fault, corrupt_wbxml
from .limits import BodyGuard, read_bounded_body
from .state import MockState
from .waiting import ServerStopping

log = logging.getLogger("easclient.mock")

Handler = Callable[[Context], Awaitable[Answer]]


def _handlers() -> dict[str, Handler]:
    return {
        "Provision": cmd_account.handle_provision,
        "FolderSync": cmd_account.handle_folder_sync,
        "Settings": cmd_account.handle_settings,
        "Sync": cmd_sync.handle_sync,
        "GetItemEstimate": cmd_sync.handle_get_item_estimate,
        "Ping": cmd_push.handle_ping,
        "ItemOperations": cmd_items.handle_item_operations,
        "SendMail": cmd_items.handle_send_mail,
        **cmd_device.HANDLERS,
    }


#: Commands a body is optional for (an empty Ping / empty Sync reuse cached values).
_EMPTY_BODY_OK = frozenset(("Ping", "Sync"))
#: Commands whose body is the raw message (message/rfc822) before 14.0 (MS-ASHTTP).
_MIME_BODY = frozenset(("SendMail", "SmartReply", "SmartForward"))


class EasEndpoint:
    """ASGI callable for the ActiveSync path."""

    def __init__(self, state: MockState) -> None:
        self.state = state
        self.handlers = _handlers()
        self.auth = MockAuth(state)

    # -- wire helpers ----------------------------------------------------------------------
    def _base_headers(self) -> list[tuple[bytes, bytes]]:
        return [
            (b"ms-server-activesync", self.state.personality.server_version.encode()),
            (b"cache-control", b"private"),
        ]

    async def _send(
        self,
        send,
        status: int,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        content_type: str | None = None,
    ) -> None:
        raw = self._base_headers()
        for k, v in (headers or {}).items():
            raw.append((k.lower().encode("latin-1"), str(v).encode("latin-1")))
        if body and content_type:
            raw.append((b"content-type", content_type.encode("latin-1")))
        raw.append((b"content-length", str(len(body)).encode()))
        self.state.stats.http_status[status] += 1
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": body})

    async def _unauthorized(self, send, refusal: Refusal | None = None) -> None:
        """401 with one WWW-Authenticate per scheme offered, or the refusal's own challenge."""
        raw = self._base_headers()
        for k, v in refusal.headers if refusal else self.auth.challenges():
            raw.append((k.lower().encode("latin-1"), v.encode("latin-1")))
        raw.append((b"content-length", b"0"))
        self.state.stats.http_status[401] += 1
        await send({"type": "http.response.start", "status": 401, "headers": raw})
        await send({"type": "http.response.body", "body": b""})

    # -- the ASGI entry point ----------------------------------------------------------------
    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return
        headers = Headers({k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]})
        method = scope["method"].upper()
        user = self.auth.authenticate(headers, scope.get("client"))
        if not isinstance(user, User):
            self.state.stats.requests["unauthenticated"] += 1
            if "Authorization" not in headers and self._quirk(Quirk.NO_CREDENTIALS_403):
                await self._send(send, 403)  # SOGo: no challenge, so no client offers a login
                return
            await self._unauthorized(send, user)
            return
        if method == "OPTIONS":
            self.state.stats.requests["OPTIONS"] += 1
            await self._send(send, 200, b"", self._options_headers())
            return
        if method != "POST":
            await self._send(send, 405, b"", {"Allow": "OPTIONS,POST"})
            return
        body = await read_bounded_body(scope, receive, send, self.state)
        if body is None:
            return  # answered 408 or 413
        target = scope["path"]
        qs = scope.get("query_string", b"").decode("latin-1")
        if qs:
            target += "?" + qs
        try:
            request = parse_request("POST", target, headers, body)
        except (QueryError, EasError) as e:
            self.state.stats.bad_requests += 1
            if self._quirk(Quirk.MISSING_DEVICEID_500) and _lacks_device_id(qs):
                log.info("500 for a query without DeviceId (quirk): %s", e)
                await self._send(send, 500)
                return
            log.info("400 for an unreadable query: %s", e)
            await self._send(send, 400)
            return
        query = request.query
        assert query is not None  # parse_request gives every POST one
        cmd = query.cmd
        if query.user and query.user.rpartition("\\")[2].lower() not in (
            user.name.lower(),
            user.address.lower(),
        ):
            log.info("403: query user %r is not the authenticated user", query.user)
            await self._send(send, 403)
            return
        if query.version not in self.state.config.versions:
            self.state.stats.bad_requests += 1
            await self._send(send, 400, b"", {"MS-ASProtocolVersions": self._versions()})
            return
        self.state.stats.requests[cmd] += 1
        faults = self.state.faults.pick(cmd, user.name)
        main: Fault | None = None
        for fault in faults:
            self.state.stats.faults_fired[fault.action] += 1
            if fault.action == "delay":
                await asyncio.sleep(fault.seconds)
            else:
                main = fault
        if main is not None and main.action in ("http_status", "eas_status", "drop", "reset"):
            await self._terminal_fault(scope, send, main, cmd, query.version)
            return
        # A parked Ping lives for its whole heartbeat: keep nothing it does not need.
        del headers, body, target, qs, faults
        answer = await self._answer(request, user, receive)
        await self._deliver(scope, send, answer, main)

    def _quirk(self, quirk: Quirk) -> bool:
        return quirk in self.state.personality.quirks

    def _retry_after(self) -> int:
        """The personality's Retry-After for a 503 (seconds)."""
        return 300 if self._quirk(Quirk.RETRY_AFTER_300) else 30

    def _advertised(self) -> list[str]:
        """The versions named in MS-ASProtocolVersions (all served ones, unless a quirk hides
        16.x)."""
        versions = list(self.state.config.versions)
        if self._quirk(Quirk.UNADVERTISED_16):
            versions = [v for v in versions if not v.startswith("16.")] or versions
        if self._quirk(Quirk.UNADVERTISED_16_1):
            versions = [v for v in versions if v != "16.1"] or versions
        return versions

    def _versions(self) -> str:
        return ",".join(self._advertised())

    def _options_headers(self) -> dict[str, str]:
        commands = list(self.handlers)
        commands += [c for c in self.state.personality.extra_commands if c not in commands]
        if self._quirk(Quirk.NO_POLICY):
            commands.remove("Provision")  # SOGo answers it, but does not list it
        h = options_headers(
            self._advertised(),
            commands,
            self.state.personality.server_version,
        )
        h.pop("MS-Server-ActiveSync", None)  # _base_headers adds it
        return h

    async def _answer(self, request, user, receive) -> Answer:
        """Run the command; every failure becomes an answer, never an exception."""
        state = self.state
        query = request.query
        cmd, version = query.cmd, query.version
        handler = self.handlers.get(cmd)
        if handler is None:
            return Answer(status_code=501)
        if not _command_in_version(cmd, version):
            # Settings and ItemOperations start at 12.0 (MS-ASCMD 2.2.1.18, 2.2.1.10): at 2.5
            # the request is malformed for its version, which MS-ASHTTP 2.2.2.1.1 answers 400.
            state.stats.bad_requests += 1
            log.info("%s does not exist at protocol %s", cmd, version)
            return self._bad_body(cmd, version, CommonStatus.CommandNotSupported)
        device = state.devices.get(user.name, query.device_id)
        device.device_type = query.device_type
        gate = self._provisioning_gate(cmd, version, device, query.policy_key)
        if gate is not None:
            return gate
        if cmd == "Sync" and version == "2.5" and self._quirk(Quirk.SYNC_25_TEXT_HTML):
            html = self._horde_25_sync(request.body)
            if html is not None:
                return html
        element = None
        is_wbxml = (request.headers.get("Content-Type", "") or "").split(";")[0].strip().lower()
        if request.body and (is_wbxml in ("", WBXML_CONTENT_TYPE) or cmd not in _MIME_BODY):
            try:
                if len(request.body) > state.config.decode_in_thread_above:
                    # A huge body would hold the event loop, and every other user, for as
                    # long as it takes to decode.
                    element = await asyncio.to_thread(wbxml.decode, request.body)
                else:
                    element = wbxml.decode(request.body)
            except (wbxml.WBXMLError, ValueError, RecursionError) as e:
                state.stats.bad_requests += 1
                log.info("%s: the body is not WBXML (%s)", cmd, e)
                return self._bad_body(cmd, version, CommonStatus.InvalidWBXML)
        elif not request.body and cmd not in _EMPTY_BODY_OK and cmd not in _MIME_BODY:
            state.stats.bad_requests += 1
            return self._bad_body(cmd, version, CommonStatus.InvalidContent)
        if cmd == "Ping":
            request.body, request.headers = b"", Headers()  # decoded; free them while parked
        ctx = Context(
            state, user, state.store.mailbox(user), device, request, element, version, receive
        )
        try:
            return await handler(ctx)
        except StatusAnswer as s:
            return Answer(element=status_element(cmd, s.code))
        except ServerStopping:
            state.stats.limits["shutdown"] += 1
            return Answer(status_code=503, headers={"Retry-After": str(self._retry_after())})
        except (ProtocolError, EasError) as e:
            state.stats.bad_requests += 1
            log.info("%s: the request does not follow the schema (%s)", cmd, e)
            return self._bad_body(cmd, version, CommonStatus.InvalidXML)
        except Exception:
            log.exception("%s: server error", cmd)
            return Answer(status_code=500)

    @staticmethod
    def _horde_25_sync(body: bytes) -> Answer | None:
        """Horde's 2.5 Sync under PHP 8: the priming Sync (SyncKey 0) is answered; any other
        ends in a PHP error page (HTTP 200, text/html)."""
        try:
            keys = [e.text for e in wbxml.decode(body).iter("AirSync:SyncKey")]
        except (wbxml.WBXMLError, ValueError):
            return None
        if keys and all(k == "0" for k in keys):
            return None
        return Answer(
            body=b"<br />\n<b>Fatal error</b>:  Uncaught TypeError: stream_filter_remove()",
            content_type="text/html; charset=UTF-8",
        )

    def _bad_body(self, cmd: str, version: str, code: int) -> Answer:
        if version_at_least(version, "14.0"):
            return Answer(element=status_element(cmd, code))
        return Answer(status_code=400)

    def _provisioning_gate(self, cmd, version, device, policy_key) -> Answer | None:
        """449 (or Status 140/142/144 when configured) for a device that must provision."""
        config = self.state.config
        if cmd == "Provision" or not config.require_provisioning or self._quirk(Quirk.NO_POLICY):
            return None
        use_status = config.provision_status_codes and version_at_least(version, "14.0")
        if device.remote_wipe or device.account_only_wipe:
            if use_status:
                return Answer(element=status_element(cmd, CommonStatus.RemoteWipeRequested))
            return Answer(status_code=449)
        if device.policy_key is not None and policy_key == device.policy_key:
            return None
        if (
            self._quirk(Quirk.TEMPORARY_POLICYKEY_ACCEPTED)
            and device.pending_policy_key is not None
            and policy_key == device.pending_policy_key
        ):
            return None
        if self._quirk(Quirk.PROVISION_449_WITH_STATUS) and version_at_least(version, "14.0"):
            code = CommonStatus.DeviceNotProvisioned
            return Answer(status_code=449, element=status_element(cmd, code))
        if use_status:
            code = (
                CommonStatus.DeviceNotProvisioned
                if not policy_key
                else CommonStatus.InvalidPolicyKey
            )
            return Answer(element=status_element(cmd, code))
        return Answer(status_code=449)

    # -- sending, with faults ----------------------------------------------------------------
    async def _terminal_fault(self, scope, send, fault: Fault, cmd: str, version: str) -> None:
        if fault.action == "http_status":
            headers: dict[str, str] = {}
            if fault.status == 451:
                headers["X-MS-Location"] = fault.location or (self.state.url + ACTIVESYNC_PATH)
            if fault.status == 503:
                headers["Retry-After"] = str(
                    fault.retry_after if fault.retry_after is not None else self._retry_after()
                )
                headers["X-MS-ASThrottle"] = fault.throttle_reason or "CommandFrequency"
            elif fault.retry_after is not None:
                headers["Retry-After"] = str(fault.retry_after)
            assert fault.status is not None  # Fault checks it for this action
            await self._send(send, int(fault.status), b"", headers)
        elif fault.action == "eas_status":
            assert fault.status is not None  # Fault checks it for this action
            body = wbxml.encode(status_element(cmd, int(fault.status)))
            await self._send(send, 200, body, None, WBXML_CONTENT_TYPE)
        else:
            await self._kill(scope, reset=fault.action == "reset")

    async def _kill(self, scope, *, reset: bool) -> None:
        """Close (FIN) or reset (RST) the client's connection without answering."""
        transport = None
        lookup = self.state.transport_lookup
        client = scope.get("client")
        if lookup is not None and client:
            transport = lookup(tuple(client))
        if transport is None:
            raise ConnectionAbortedError("fault: connection dropped (no transport to close)")
        if reset:
            sock = transport.get_extra_info("socket")
            if sock is not None:
                # SO_LINGER with a zero timeout turns close() into an RST.
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            transport.abort()
        else:
            transport.close()
        # Let connection_lost run so the server knows not to send its own 500.
        for _ in range(20):
            await asyncio.sleep(0)
            if transport.is_closing():
                break
        await asyncio.sleep(0.01)

    async def _deliver(self, scope, send, answer: Answer, fault: Fault | None) -> None:
        body = answer.body
        content_type = answer.content_type
        if answer.element is not None:
            body = wbxml.encode(answer.element)
            content_type = content_type or WBXML_CONTENT_TYPE
        if fault is None or not body:
            await self._send(send, answer.status_code, body, answer.headers, content_type)
            return
        if fault.action == "corrupt":
            body = corrupt_wbxml(body, self.state.faults.rng)
            await self._send(send, answer.status_code, body, answer.headers, content_type)
            return
        raw = self._base_headers()
        for k, v in answer.headers.items():
            raw.append((k.lower().encode("latin-1"), str(v).encode("latin-1")))
        if content_type:
            raw.append((b"content-type", content_type.encode("latin-1")))
        raw.append((b"content-length", str(len(body)).encode()))
        self.state.stats.http_status[answer.status_code] += 1
        await send({"type": "http.response.start", "status": answer.status_code, "headers": raw})
        if fault.action == "truncate":
            await send(
                {"type": "http.response.body", "body": body[: fault.keep], "more_body": True}
            )
            await asyncio.sleep(0)
            await self._kill(scope, reset=False)
            return
        # trickle
        for start in range(0, len(body), fault.chunk):
            piece = body[start : start + fault.chunk]
            last = start + fault.chunk >= len(body)
            await send({"type": "http.response.body", "body": piece, "more_body": not last})
            if not last:
                await asyncio.sleep(fault.seconds)


def _command_in_version(cmd: str, version: str) -> bool:
    """Whether the command exists at ``version``: its root element does (per the code-page
    table). SendMail, SmartReply and SmartForward exist throughout; before 14.0 their body is
    the raw MIME message, not ComposeMail WBXML (MS-ASCMD 2.2.1.17)."""
    root = ROOTS.get(cmd, "")
    tag = wbxml.BY_NAME.get(root)
    return tag is None or root.startswith("ComposeMail:") or tag.in_version(version)


def _lacks_device_id(qs: str) -> bool:
    """Whether a plain query has no DeviceId (a base64 query always carries one)."""
    if not qs or is_base64_form(qs):
        return False
    return "DeviceId" not in {k for k, _ in parse_qsl(qs, keep_blank_values=True)}


def build_app(state: MockState) -> Starlette:
    """The whole mock server as one ASGI app."""
    from .autodiscover import autodiscover_routes
    from .control import control_routes
    from .idp import idp_routes

    endpoint = EasEndpoint(state)
    routes = [
        Route(ACTIVESYNC_PATH, endpoint, methods=["OPTIONS", "POST", "GET", "PUT", "DELETE"]),
        *control_routes(state),
        *autodiscover_routes(state.config),
        *idp_routes(state, endpoint.auth.tokens),
    ]
    # Bodies are read against the size bound and deadline before any other route sees them
    # (the EAS endpoint reads its own the same way).
    app = Starlette(
        routes=routes,
        middleware=[Middleware(BodyGuard, state=state, passthrough=ACTIVESYNC_PATH)],
    )
    app.state.mock = state
    app.state.auth = endpoint.auth
    return app
