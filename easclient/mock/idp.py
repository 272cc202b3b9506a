"""An OAuth 2.0 / OpenID Connect identity provider under ``/_idp/{tenant}/``, shaped like Entra
ID's v2.0 endpoints so that MSAL itself can sign in against the mock (over the mock's TLS).

- ``GET  v2.0/.well-known/openid-configuration``  discovery (OpenID Connect Discovery 1.0 §4)
- ``POST oauth2/v2.0/devicecode``                 device authorization (RFC 8628 3.1-3.2)
- ``GET  oauth2/v2.0/authorize``                  the "browser" step of the authorization code
  flow: HTTP Basic with a mock user's password stands in for the sign-in page, and the answer
  is a 302 to the loopback ``redirect_uri`` with ``code`` and ``state`` (RFC 6749 4.1.2)
- ``POST oauth2/v2.0/token``                      device_code (RFC 8628 3.4-3.5),
  authorization_code with PKCE S256 (RFC 7636 4.6), refresh_token (RFC 6749 6; rotated)

The control API (control token, as ``/_mock/``): ``POST /_mock/idp/approve`` ``{"user_code",
"user"}`` approves a device code as the user would on the verification page;
``POST /_mock/idp/expire-refresh-tokens`` and ``POST /_mock/idp/revoke-access-tokens`` make the
refresh and access tokens issued so far fail, to test those paths.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import secrets
import string
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from .config import User
from .state import MockState
from .tokens import TokenIssuer

#: Device codes live this long (RFC 8628 3.2 expires_in); clients poll every INTERVAL s.
DEVICE_CODE_LIFETIME = 300
INTERVAL = 1
CODE_LIFETIME = 120
_MAX_PENDING = 1000
_USER_CODE_ALPHABET = string.ascii_uppercase + string.digits


@dataclass
class _DeviceCode:
    client_id: str
    scope: str
    user_code: str
    expires: float
    user: User | None = None


@dataclass
class _AuthCode:
    client_id: str
    scope: str
    redirect_uri: str
    challenge: str
    method: str
    nonce: str | None
    user: User
    expires: float


@dataclass
class IdentityProvider:
    """The provider's state: device codes, authorization codes, and the token issuer."""

    state: MockState
    tokens: TokenIssuer
    _devices: dict[str, _DeviceCode] = field(default_factory=dict)
    _codes: dict[str, _AuthCode] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def base(self, tenant: str) -> str:
        return f"{self.state.url}/_idp/{tenant}"

    # -- the endpoints -------------------------------------------------------------------------
    async def discovery(self, request: Request) -> Response:
        tenant = request.path_params["tenant"]
        base = self.base(tenant)
        self.tokens.issuer = f"{base}/v2.0"
        return JSONResponse(
            {
                "issuer": f"{base}/v2.0",
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "token_endpoint": f"{base}/oauth2/v2.0/token",
                "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
                "response_types_supported": ["code"],
                "grant_types_supported": [
                    "authorization_code",
                    "refresh_token",
                    "urn:ietf:params:oauth:grant-type:device_code",
                ],
                "code_challenge_methods_supported": ["S256"],
                "scopes_supported": ["openid", "profile", "offline_access"],
            }
        )

    async def device_code(self, request: Request) -> Response:
        form = await _form(request)
        client_id = str(form.get("client_id") or "")
        if not client_id:
            return _oauth_error("invalid_request", "client_id is required")
        device_code = secrets.token_urlsafe(24)
        user_code = "".join(secrets.choice(_USER_CODE_ALPHABET) for _ in range(8))
        uri = f"{self.base(request.path_params['tenant'])}/devicelogin"
        with self._lock:
            self._prune()
            self._devices[device_code] = _DeviceCode(
                client_id,
                str(form.get("scope") or ""),
                user_code,
                self.tokens.clock() + DEVICE_CODE_LIFETIME,
            )
        return JSONResponse(
            {
                "device_code": device_code,
                "user_code": user_code,
                "verification_uri": uri,
                "expires_in": DEVICE_CODE_LIFETIME,
                "interval": INTERVAL,
                "message": f"To sign in, open {uri} and enter the code {user_code}.",
            }
        )

    async def authorize(self, request: Request) -> Response:
        q = request.query_params
        redirect_uri = q.get("redirect_uri", "")
        host = urlsplit(redirect_uri).hostname or ""
        if urlsplit(redirect_uri).scheme != "http" or host not in ("localhost", "127.0.0.1"):
            return PlainTextResponse("redirect_uri must be a loopback http URL", status_code=400)
        if q.get("response_type") != "code" or not q.get("client_id"):
            return PlainTextResponse("response_type=code and client_id needed", status_code=400)
        if q.get("code_challenge_method") != "S256" or not q.get("code_challenge"):
            return PlainTextResponse("PKCE with S256 is required", status_code=400)
        user = self._basic_user(request.headers.get("authorization", ""))
        if user is None:  # the sign-in page, for a browser: HTTP Basic stands in for it
            return PlainTextResponse(
                "sign in (HTTP Basic with a mock user)",
                status_code=401,
                headers={"WWW-Authenticate": 'Basic realm="eas-mock sign-in"'},
            )
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._prune()
            self._codes[code] = _AuthCode(
                q["client_id"],
                q.get("scope", ""),
                redirect_uri,
                q["code_challenge"],
                "S256",
                q.get("nonce"),
                user,
                self.tokens.clock() + CODE_LIFETIME,
            )
        params = {"code": code}
        if q.get("state"):
            params["state"] = q["state"]
        return RedirectResponse(f"{redirect_uri}?{urlencode(params)}", status_code=302)

    async def token(self, request: Request) -> Response:
        form = await _form(request)
        grant = str(form.get("grant_type") or "")
        client_id = str(form.get("client_id") or "")
        if grant == "urn:ietf:params:oauth:grant-type:device_code":
            return self._device_grant(str(form.get("device_code") or ""), client_id)
        if grant == "authorization_code":
            return self._code_grant(form, client_id)
        if grant == "refresh_token":
            granted = self.tokens.redeem_refresh(str(form.get("refresh_token") or ""), client_id)
            if granted is None:
                return _oauth_error(
                    "invalid_grant",
                    "AADSTS700082: The refresh token has expired or is not valid. "
                    "The user must sign in again.",
                )
            user = self.state.store.user(granted.user)
            if user is None:
                return _oauth_error("invalid_grant", "the user no longer exists")
            return self._tokens(user, client_id, str(form.get("scope") or granted.scope), None)
        return _oauth_error("unsupported_grant_type", f"grant_type {grant[:60]!r}")

    # -- grants --------------------------------------------------------------------------------
    def _device_grant(self, device_code: str, client_id: str) -> Response:
        with self._lock:
            entry = self._devices.get(device_code)
            if entry is None or entry.client_id != client_id:
                return _oauth_error("invalid_grant", "unknown device code")
            if entry.expires <= self.tokens.clock():
                self._devices.pop(device_code, None)
                return _oauth_error("expired_token", "the device code has expired")
            if entry.user is None:
                return _oauth_error("authorization_pending", "the user has not signed in yet")
            self._devices.pop(device_code, None)
        return self._tokens(entry.user, client_id, entry.scope, None)

    def _code_grant(self, form: dict[str, str], client_id: str) -> Response:
        with self._lock:
            entry = self._codes.pop(str(form.get("code") or ""), None)
        if entry is None or entry.client_id != client_id or entry.expires <= self.tokens.clock():
            return _oauth_error("invalid_grant", "unknown, used or expired authorization code")
        if str(form.get("redirect_uri") or "") != entry.redirect_uri:
            return _oauth_error("invalid_grant", "redirect_uri differs from the authorize one")
        verifier = str(form.get("code_verifier") or "")
        digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
        expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
        if not verifier or not secrets.compare_digest(expected, entry.challenge):
            return _oauth_error("invalid_grant", "PKCE code_verifier does not match")
        return self._tokens(entry.user, client_id, entry.scope, entry.nonce)

    def _tokens(self, user: User, client_id: str, scope: str, nonce: str | None) -> Response:
        access, lifetime = self.tokens.access_token(user.address, client_id, scope)
        body: dict[str, Any] = {
            "token_type": "Bearer",
            "scope": " ".join(s for s in scope.split() if s not in ("openid", "profile")),
            "expires_in": lifetime,
            "ext_expires_in": lifetime,
            "access_token": access,
            "id_token": self.tokens.id_token(user.address, client_id, nonce),
            "client_info": _client_info(user.address),
        }
        if "offline_access" in scope.split():
            body["refresh_token"] = self.tokens.refresh_token(user.address, client_id, scope)
        return JSONResponse(body, headers={"Cache-Control": "no-store"})

    # -- helpers -------------------------------------------------------------------------------
    def _basic_user(self, header: str) -> User | None:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            name, _, password = (
                base64.b64decode(value.strip(), validate=True).decode().partition(":")
            )
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return None
        user = self.state.store.user(name)
        if user is None or not secrets.compare_digest(user.password.encode(), password.encode()):
            return None
        return user

    def _prune(self) -> None:
        now = self.tokens.clock()
        for table in (self._devices, self._codes):
            for key in [k for k, v in table.items() if v.expires <= now]:
                del table[key]
            while len(table) > _MAX_PENDING:
                del table[next(iter(table))]

    def approve(self, user_code: str, user_name: str) -> bool:
        user = self.state.store.user(user_name)
        if user is None:
            raise KeyError(f"no such user {user_name[:60]!r}")
        with self._lock:
            for entry in self._devices.values():
                if secrets.compare_digest(entry.user_code, user_code.strip().upper()):
                    entry.user = user
                    return True
        return False


#: A token request is a few hundred bytes; anything much larger is refused unread.
MAX_FORM = 64 * 1024


async def _form(request: Request) -> dict[str, str]:
    """An application/x-www-form-urlencoded body (RFC 6749 4.1.3), bounded."""
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_FORM:
            return {}
    return dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))


def _client_info(user: str) -> str:
    """Entra ID's client_info: base64url JSON of the user's and tenant's ids (MSAL keys its
    cache by them)."""
    uid = hashlib.sha256(b"oid:" + user.encode()).hexdigest()[:32]
    raw = json.dumps({"uid": uid, "utid": "mock-tenant"}).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _oauth_error(error: str, description: str) -> JSONResponse:
    """An RFC 6749 5.2 error answer."""
    return JSONResponse(
        {"error": error, "error_description": description},
        status_code=400,
        headers={"Cache-Control": "no-store"},
    )


def idp_routes(state: MockState, tokens: TokenIssuer) -> list[Route]:
    """The provider's routes and its control endpoints."""
    idp = IdentityProvider(state, tokens)
    control_token = state.config.control_token.encode()

    def guarded(fn: Any) -> Any:
        async def endpoint(request: Request) -> Response:
            scheme, _, value = request.headers.get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not secrets.compare_digest(
                value.strip().encode(), control_token
            ):
                return JSONResponse({"error": "control token required"}, status_code=401)
            try:
                payload = json.loads(await request.body() or b"{}")
                return JSONResponse(fn(payload if isinstance(payload, dict) else {}))
            except (ValueError, KeyError, TypeError) as exc:
                return JSONResponse({"error": f"bad request: {exc}"}, status_code=400)

        return endpoint

    def approve(payload: dict[str, Any]) -> dict[str, Any]:
        return {"approved": idp.approve(str(payload["user_code"]), str(payload["user"]))}

    def expire(_: dict[str, Any]) -> dict[str, Any]:
        return {"expired": tokens.expire_refresh_tokens()}

    def revoke(_: dict[str, Any]) -> dict[str, Any]:
        tokens.revoke_access_tokens()
        return {"revoked": True}

    prefix = "/_idp/{tenant}"
    return [
        Route(f"{prefix}/v2.0/.well-known/openid-configuration", idp.discovery),
        Route(f"{prefix}/oauth2/v2.0/devicecode", idp.device_code, methods=["POST"]),
        Route(f"{prefix}/oauth2/v2.0/authorize", idp.authorize, methods=["GET"]),
        Route(f"{prefix}/oauth2/v2.0/token", idp.token, methods=["POST"]),
        Route("/_mock/idp/approve", guarded(approve), methods=["POST"]),
        Route("/_mock/idp/expire-refresh-tokens", guarded(expire), methods=["POST"]),
        Route("/_mock/idp/revoke-access-tokens", guarded(revoke), methods=["POST"]),
    ]
