"""The mock server's Autodiscover: the MobileSync POX endpoint and Autodiscover v2, answering
with the server's own ActiveSync URL (MS-ASCMD 2.2.1.1; the v2 JSON form).

What it answers is set by a *scenario* (``MockConfig.autodiscover_scenario``, a JSON object, or
``eas mock --autodiscover-scenario``), so tests can reproduce what devices meet in the field:

``mode``          ``both`` (default), ``pox-only``, ``v2-only`` or ``off`` (every endpoint 404)
``redirects``     ``{"old@dom": "new@dom2", …}``: answer ``Action/Redirect`` for those addresses
``errors``        ``{"addr": "message", …}``: answer ``Action/Error`` (Status 2) for those
``error_code``    a number (600, 601, …): answer every POX request with ``Response/Error``
``get_redirect``  where the unauthenticated ``GET`` of the POX path redirects (302 Location);
                  without it the GET is 404 (a host that does not do the redirect method)
``eas_url``       the ActiveSync URL to hand out (default: this server's, from the connection)

Only addresses in the Autodiscover domain (``MockConfig.autodiscover_domain``, default the
mailbox domain) that name a known user get settings; any other gets ``Action/Error``.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from easclient.protocol.autodiscover import (
    AUTODISCOVER_PATH,
    AUTODISCOVER_V2_PATH,
    MAX_AUTODISCOVER_BYTES,
    AutodiscoverError,
    AutodiscoverErrorCode,
    build_autodiscover_error,
    build_autodiscover_redirect,
    build_autodiscover_settings,
    build_autodiscover_v2,
    domain_of,
    parse_autodiscover_request,
)
from easclient.protocol.http import ACTIVESYNC_PATH

from .config import MockConfig, MockConfigError

_MODES = ("both", "pox-only", "v2-only", "off")
_KEYS = {"mode", "redirects", "errors", "error_code", "get_redirect", "eas_url"}
_XML = "text/xml; charset=utf-8"


@dataclass(frozen=True)
class AutodiscoverScenario:
    """What the mock's Autodiscover answers (see the module docstring)."""

    mode: str = "both"
    redirects: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    error_code: int | None = None
    get_redirect: str | None = None
    eas_url: str | None = None

    @property
    def pox(self) -> bool:
        return self.mode in ("both", "pox-only")

    @property
    def v2(self) -> bool:
        return self.mode in ("both", "v2-only")


def parse_scenario(text: str) -> AutodiscoverScenario:
    """A scenario from its JSON text ("" is the default); bad input is MockConfigError."""
    if not text.strip():
        return AutodiscoverScenario()
    try:
        data: Any = json.loads(text)
    except ValueError as exc:
        raise MockConfigError(f"autodiscover scenario is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise MockConfigError("autodiscover scenario must be a JSON object")
    unknown = set(data) - _KEYS
    if unknown:
        raise MockConfigError(
            f"autodiscover scenario: unknown key(s) {sorted(unknown)}; known: {sorted(_KEYS)}"
        )
    mode = data.get("mode", "both")
    if mode not in _MODES:
        raise MockConfigError(f"autodiscover scenario mode {mode!r}: choose {', '.join(_MODES)}")
    maps: dict[str, dict[str, str]] = {}
    for key in ("redirects", "errors"):
        value = data.get(key, {})
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            raise MockConfigError(f"autodiscover scenario {key} must map strings to strings")
        maps[key] = {k.lower(): v for k, v in value.items()}
    code = data.get("error_code")
    if code is not None and code not in AutodiscoverErrorCode._value2member_map_:
        raise MockConfigError(
            f"autodiscover scenario error_code {code!r}: choose "
            + ", ".join(str(int(c)) for c in AutodiscoverErrorCode)
        )
    for key in ("get_redirect", "eas_url"):
        if data.get(key) is not None and not isinstance(data[key], str):
            raise MockConfigError(f"autodiscover scenario {key} must be a string")
    return AutodiscoverScenario(
        mode=mode,
        redirects=maps["redirects"],
        errors=maps["errors"],
        error_code=code,
        get_redirect=data.get("get_redirect"),
        eas_url=data.get("eas_url"),
    )


def _own_url(request: Request) -> str:
    """This server's ActiveSync URL as the client reached it (the socket's own address)."""
    server = request.scope.get("server") or ("127.0.0.1", 0)
    host, port = server[0], server[1]
    host = f"[{host}]" if ":" in host else host
    return f"{request.url.scheme}://{host}:{port}{ACTIVESYNC_PATH}"


class AutodiscoverEndpoints:
    """The handlers; one per server, over its configuration."""

    def __init__(self, config: MockConfig) -> None:
        self.config = config
        self.scenario = parse_scenario(config.autodiscover_scenario)
        self.domain = (config.autodiscover_domain or config.domain).lower()

    def _authorized(self, request: Request) -> bool:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return False
        name, _, password = decoded.partition(":")
        user = self.config.user(name.rpartition("\\")[2])
        return user is not None and secrets.compare_digest(
            user.password.encode(), password.encode()
        )

    async def pox(self, request: Request) -> Response:
        if request.method == "GET":
            # The redirect method: an unauthenticated GET answered with a 302 (RCA's step 3).
            if self.scenario.get_redirect and self.scenario.mode != "off":
                return Response(status_code=302, headers={"Location": self.scenario.get_redirect})
            return Response(status_code=404)
        if not self.scenario.pox:
            return Response(status_code=404)
        if not self._authorized(request):
            return Response(status_code=401, headers={"WWW-Authenticate": 'Basic realm="eas-mock"'})
        body = await request.body()
        if len(body) > MAX_AUTODISCOVER_BYTES:
            return Response(status_code=413)
        sc = self.scenario
        if sc.error_code is not None:
            code = AutodiscoverErrorCode(sc.error_code)
            return Response(
                build_autodiscover_error(
                    None, code.name.replace("_", " ").title(), error_code=code
                ),
                media_type=_XML,
            )
        try:
            email = parse_autodiscover_request(body)
        except AutodiscoverError:
            return Response(
                build_autodiscover_error(
                    None, "Invalid Request", error_code=AutodiscoverErrorCode.INVALID_REQUEST
                ),
                media_type=_XML,
            )
        key = email.strip().lower()
        if key in sc.redirects:
            return Response(build_autodiscover_redirect(email, sc.redirects[key]), media_type=_XML)
        if key in sc.errors:
            return Response(
                build_autodiscover_error(email, sc.errors[key], debug_data="MailUser"),
                media_type=_XML,
            )
        try:
            in_domain = domain_of(email) == self.domain
        except AutodiscoverError:
            in_domain = False
        # A user by address, or by name in the Autodiscover domain (it may differ from theirs).
        user = self.config.user(key) or self.config.user(key.partition("@")[0])
        if user is None or not in_domain:
            return Response(
                build_autodiscover_error(email, "The e-mail address cannot be found."),
                media_type=_XML,
            )
        url = sc.eas_url or _own_url(request)
        return Response(
            build_autodiscover_settings(email, url, display_name=user.name), media_type=_XML
        )

    async def v2(self, request: Request) -> Response:
        if not self.scenario.v2:
            return Response(status_code=404)
        email = request.query_params.get("Email", "")
        protocol = request.query_params.get("Protocol", "")
        try:
            in_domain = domain_of(email) == self.domain
        except AutodiscoverError:
            in_domain = False
        if protocol.lower() != "activesync" or not in_domain:
            body = json.dumps({"ErrorCode": "InvalidProtocol" if in_domain else "InvalidUser"})
            return Response(body, status_code=400, media_type="application/json")
        url = self.scenario.eas_url or _own_url(request)
        return Response(build_autodiscover_v2(url), media_type="application/json")


def autodiscover_routes(config: MockConfig) -> list[BaseRoute]:
    """The routes to add to the app (both path spellings real servers answer)."""
    ep = AutodiscoverEndpoints(config)
    routes: list[BaseRoute] = []
    for path in (AUTODISCOVER_PATH, "/Autodiscover/Autodiscover.xml"):
        routes.append(Route(path, ep.pox, methods=["GET", "POST"]))
    for path in (AUTODISCOVER_V2_PATH, "/Autodiscover/Autodiscover.json"):
        routes.append(Route(path, ep.v2, methods=["GET"]))
    return routes
