"""Access and refresh tokens the mock's identity provider issues and its EAS endpoint accepts.

Access tokens are JWTs (RFC 7519) shaped like Entra ID's for Exchange Online — ``aud``
``https://outlook.office365.com``, ``scp`` ``EAS.AccessAsUser.All``, ``upn``, ``exp`` — signed
with HS256 under a per-server secret, so a client cannot forge or stretch one. Refresh tokens
are opaque, kept here with their expiry, and rotate on use (RFC 9700 4.14.2).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

AUDIENCE = "https://outlook.office365.com"
EAS_SCOPE = "EAS.AccessAsUser.All"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Grant:
    """Who a refresh token was issued to, and until when it works."""

    user: str
    client_id: str
    scope: str
    expires: float


class TokenIssuer:
    """Makes and checks tokens; ``clock`` is injected so tests control expiry."""

    def __init__(
        self,
        *,
        issuer: str = "",
        access_lifetime: float = 3600.0,
        refresh_lifetime: float = 86400.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.issuer = issuer
        self.access_lifetime = access_lifetime
        self.refresh_lifetime = refresh_lifetime
        self.clock = clock
        self._key = secrets.token_bytes(32)
        self._refresh: dict[str, Grant] = {}
        self._lock = threading.Lock()
        self.issued = 0
        self.refreshed = 0

    def _sign(self, claims: dict[str, object]) -> str:
        head = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        body = _b64(json.dumps(claims, separators=(",", ":")).encode())
        mac = hmac.new(self._key, f"{head}.{body}".encode(), hashlib.sha256).digest()
        return f"{head}.{body}.{_b64(mac)}"

    def access_token(self, user: str, client_id: str, scope: str) -> tuple[str, int]:
        """A signed access token for ``user`` and its lifetime in seconds."""
        now = int(self.clock())
        lifetime = int(self.access_lifetime)
        scp = " ".join(s.rsplit("/", 1)[-1] for s in scope.split() if s != "offline_access")
        claims: dict[str, object] = {
            "aud": AUDIENCE,
            "iss": self.issuer,
            "iat": now,
            "nbf": now,
            "exp": now + lifetime,
            "appid": client_id,
            "scp": scp or EAS_SCOPE,
            "upn": user,
            "jti": secrets.token_hex(8),
        }
        self.issued += 1
        return self._sign(claims), lifetime

    def id_token(self, user: str, client_id: str, nonce: str | None) -> str:
        """An OpenID Connect ID token (MSAL files the account under its claims)."""
        now = int(self.clock())
        claims: dict[str, object] = {
            "aud": client_id,
            "iss": self.issuer,
            "iat": now,
            "exp": now + int(self.access_lifetime),
            "sub": hashlib.sha256(user.encode()).hexdigest()[:32],
            "oid": hashlib.sha256(b"oid:" + user.encode()).hexdigest()[:32],
            "tid": "mock-tenant",
            "preferred_username": user,
            "name": user,
        }
        if nonce:
            claims["nonce"] = nonce
        return self._sign(claims)

    def refresh_token(self, user: str, client_id: str, scope: str) -> str:
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._refresh[token] = Grant(
                user, client_id, scope, self.clock() + self.refresh_lifetime
            )
        return token

    def redeem_refresh(self, token: str, client_id: str) -> Grant | None:
        """The grant of a live refresh token, which is used up (rotation); None otherwise."""
        with self._lock:
            grant = self._refresh.pop(token, None)
        if grant is None or grant.client_id != client_id or grant.expires <= self.clock():
            return None
        self.refreshed += 1
        return grant

    def expire_refresh_tokens(self) -> int:
        """Make every refresh token expired (the control API's way to test that path)."""
        with self._lock:
            count = len(self._refresh)
            self._refresh = {
                t: Grant(g.user, g.client_id, g.scope, 0.0) for t, g in self._refresh.items()
            }
        return count

    def revoke_access_tokens(self) -> None:
        """Sign with a new key: every access token issued so far fails validation."""
        self._key = secrets.token_bytes(32)

    def validate(self, token: str) -> tuple[str | None, str]:
        """(user, "") for a valid access token, else (None, why) in RFC 6750's words."""
        parts = token.split(".")
        if len(parts) != 3:
            return None, "malformed"
        mac = hmac.new(self._key, f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest()
        try:
            good = hmac.compare_digest(_unb64(parts[2]), mac)
            claims = json.loads(_unb64(parts[1])) if good else {}
        except (ValueError, UnicodeDecodeError):
            return None, "malformed"
        if not good or not isinstance(claims, dict):
            return None, "bad signature"
        if claims.get("aud") != AUDIENCE:
            return None, "wrong audience"
        exp = claims.get("exp")
        if not isinstance(exp, int | float) or exp <= self.clock():
            return None, "expired"
        if EAS_SCOPE not in str(claims.get("scp", "")).split():
            return None, "insufficient scope"
        user = claims.get("upn")
        return (user if isinstance(user, str) else None), ""
