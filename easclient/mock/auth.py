"""How the mock's EAS endpoint signs a request in: Basic (RFC 7617), Bearer tokens from its own
identity provider (RFC 6750; :mod:`.tokens`), and NTLM through pyspnego's acceptor.

Which schemes a server offers comes from its personality (``exchange-online``: Bearer only) or
``MockConfig.auth_schemes``; a 401 names each in its own ``WWW-Authenticate`` header, as IIS does.

NTLM signs in the TCP connection (MS-NLMP 3.1; IIS keeps it signed in): a request without
credentials on a connection whose handshake finished is served, and the same request on a new
connection is challenged. pyspnego's acceptor reads its users from the file named by the
``NTLM_USER_FILE`` environment variable: the mock writes one for its users and points the
variable at it (process-wide, so one NTLM mock per process at a time).
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
import tempfile
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from easclient.protocol import Headers

from .config import MockConfig, User
from .state import MockState
from .tokens import TokenIssuer

#: Connections remembered as NTLM-signed-in (oldest forgotten first).
MAX_NTLM_CONNECTIONS = 10_000


@dataclass
class Refusal:
    """A 401 that carries a specific challenge (NTLM's second leg, a Bearer error)."""

    headers: list[tuple[str, str]] = field(default_factory=list)


def _ntlm_user_file(users: tuple[User, ...]) -> str:
    """Write the users as pyspnego's Heimdal-format credential file (0600) and return it."""
    fd, path = tempfile.mkstemp(prefix="eas-mock-ntlm-", suffix=".txt")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        for u in users:
            f.write(f":{u.name}:{u.password}\n")
            if u.address != u.name:
                f.write(f":{u.address}:{u.password}\n")
    return path


class MockAuth:
    """Authenticates requests for one mock server."""

    def __init__(self, state: MockState) -> None:
        self.state = state
        config: MockConfig = state.config
        self.schemes: tuple[str, ...] = config.auth_schemes or state.personality.auth_schemes
        self.tokens = TokenIssuer(
            access_lifetime=config.token_lifetime, refresh_lifetime=config.refresh_lifetime
        )
        self._ntlm: OrderedDict[tuple[str, int], Any] = OrderedDict()
        self.ntlm_handshakes = 0
        if "ntlm" in self.schemes:
            os.environ["NTLM_USER_FILE"] = _ntlm_user_file(config.users)

    def challenges(self) -> list[tuple[str, str]]:
        """One ``WWW-Authenticate`` per scheme offered."""
        out = []
        for scheme in self.schemes:
            if scheme == "basic":
                out.append(("WWW-Authenticate", 'Basic realm="eas-mock"'))
            elif scheme == "bearer":
                uri = f"{self.state.url}/_idp/common/oauth2/v2.0/authorize"
                out.append(("WWW-Authenticate", f'Bearer authorization_uri="{uri}"'))
            elif scheme == "ntlm":
                out.append(("WWW-Authenticate", "NTLM"))
        return out

    def authenticate(
        self, headers: Headers, client: tuple[str, int] | None
    ) -> User | Refusal | None:
        """The user, a :class:`Refusal` with its own challenge, or None (the plain 401)."""
        value = headers.get("Authorization", "")
        scheme, _, credential = value.partition(" ")
        scheme, credential = scheme.lower(), credential.strip()
        if not value and client is not None and "ntlm" in self.schemes:
            signed_in = self._ntlm.get(client)
            if isinstance(signed_in, User):
                return signed_in
        if scheme not in self.schemes or not credential:
            return None
        if scheme == "basic":
            return self._basic(credential)
        if scheme == "bearer":
            user, why = self.tokens.validate(credential)
            found = self.state.store.user(user) if user else None
            if found is None:
                detail = why or "unknown user"
                return Refusal(
                    [
                        (
                            "WWW-Authenticate",
                            f'Bearer error="invalid_token", error_description="{detail}"',
                        )
                    ]
                )
            return found
        if scheme == "ntlm" and client is not None:
            return self._ntlm_step(credential, client)
        return None

    def _basic(self, token: str) -> User | None:
        try:
            decoded = base64.b64decode(token, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return None
        name, sep, password = decoded.partition(":")
        if not sep:
            return None
        user = self.state.store.user(name.rpartition("\\")[2])  # DOMAIN\user
        if user is None or not secrets.compare_digest(user.password.encode(), password.encode()):
            return None
        return user

    def _ntlm_step(self, token: str, client: tuple[str, int]) -> User | Refusal | None:
        import spnego
        import spnego.exceptions

        try:
            blob = base64.b64decode(token, validate=True)
        except (binascii.Error, ValueError):
            return None
        ctx = self._ntlm.get(client)
        if ctx is None or isinstance(ctx, User) or blob[8:12] == b"\x01\x00\x00\x00":
            ctx = spnego.server(protocol="ntlm")  # NEGOTIATE_MESSAGE (type 1) starts over
        try:
            out = ctx.step(blob)
        except spnego.exceptions.SpnegoError:
            self._ntlm.pop(client, None)
            return None
        if not ctx.complete:
            self._remember(client, ctx)
            challenge = base64.b64encode(out or b"").decode("ascii")
            return Refusal([("WWW-Authenticate", f"NTLM {challenge}")])
        principal = (ctx.client_principal or "").rpartition("\\")[2]
        user = self.state.store.user(principal)
        if user is None:
            self._ntlm.pop(client, None)
            return None
        self.ntlm_handshakes += 1
        self._remember(client, user)
        return user

    def _remember(self, client: tuple[str, int], value: Any) -> None:
        self._ntlm[client] = value
        self._ntlm.move_to_end(client)
        while len(self._ntlm) > MAX_NTLM_CONNECTIONS:
            self._ntlm.popitem(last=False)
