"""How the device signs in: Basic, a bearer token (fixed, refreshed, or minted by a command),
NTLM / Negotiate, and the client certificate of mutual TLS (which is TLS, not a header).

Every credential here has ``header()`` (the ``Authorization`` value for the next request) and
``secrets()`` (what a capture or a log must never hold). The ones that need a conversation with
the server — a refresh after a 401, NTLM's challenge — are also ``httpx.Auth`` flows, which
:class:`~easclient.client.transport.HttpxTransport` hands to its httpx client.

NTLM authenticates the TCP *connection*, not the request (MS-NLMP 3.1; IIS keeps the
connection signed in): every new connection costs a challenge round trip before the request is
served. A NAT or proxy that forgets an idle connection therefore costs a device on NTLM a second
round trip for each Ping after a drop, and a keep-alive connection reused after the server closed
it is challenged again. ``eas check`` reports it when a Ping on a fresh connection is challenged.
"""

from __future__ import annotations

import base64
import json
import shlex
import subprocess
import threading
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from easclient.errors import EasError, excerpt


class AuthError(EasError):
    """Signing in failed before any request could carry credentials (one line, no secret)."""


class Credential(Protocol):
    """What the transport needs from any way of signing in."""

    def header(self) -> str:
        """The ``Authorization`` value for the next request ('' for none)."""
        ...

    def secrets(self) -> tuple[str, ...]:
        """Values a capture, log or report must never hold."""
        ...


@dataclass(frozen=True)
class BasicAuth:
    """HTTP Basic (RFC 7617): what most EAS servers accept."""

    user: str
    password: str = ""

    def header(self) -> str:
        raw = f"{self.user}:{self.password}".encode()
        return "Basic " + base64.b64encode(raw).decode("ascii")

    def secrets(self) -> tuple[str, ...]:
        """What a capture must never hold: the password and the header's credential."""
        return (self.password, self.header().split(" ", 1)[1])

    def __repr__(self) -> str:  # never show the password, not even in a traceback
        return f"BasicAuth(user={self.user!r}, password=***)"


@dataclass(frozen=True)
class BearerAuth:
    """An OAuth 2.0 bearer token (RFC 6750), as Exchange Online uses."""

    token: str

    def header(self) -> str:
        return f"Bearer {self.token}"

    def secrets(self) -> tuple[str, ...]:
        return (self.token,)

    def __repr__(self) -> str:
        return "BearerAuth(token=***)"


# -- tokens that change ------------------------------------------------------------------------


class TokenSource(Protocol):
    """Where a refreshing bearer credential gets its access token."""

    def access_token(self, *, refresh: bool = False) -> str:
        """A token valid for a while yet; ``refresh``: a new one even if the old looks valid
        (the server refused it). Raises :class:`AuthError`."""
        ...


def jwt_claims(token: str) -> dict[str, Any]:
    """The payload of a JWT access token, decoded WITHOUT checking its signature (to show its
    audience, scope and expiry; the server is the one that validates). {} when not a JWT."""
    parts = token.split(".")
    if len(parts) != 3:
        return {}
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except (ValueError, UnicodeDecodeError):
        return {}
    return claims if isinstance(claims, dict) else {}


class RefreshingBearerAuth(httpx.Auth):
    """A bearer token from a :class:`TokenSource`: the source renews it before it expires
    (MSAL's silent refresh), and a 401 to a bearer request gets one retry with a new token
    (RFC 6750 3.1: ``invalid_token`` means the token expired or was revoked)."""

    def __init__(self, source: TokenSource) -> None:
        self.source = source
        self._seen: list[str] = []
        self._lock = threading.Lock()
        self.refreshed_on_401 = 0

    def _token(self, refresh: bool = False) -> str:
        token = self.source.access_token(refresh=refresh)
        with self._lock:
            if token not in self._seen:
                self._seen.append(token)
        return token

    def header(self) -> str:
        return f"Bearer {self._token()}"

    def secrets(self) -> tuple[str, ...]:
        with self._lock:
            return tuple(self._seen)

    def current_token(self) -> str:
        return self._token()

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if not request.headers.get("Authorization", "").startswith("Bearer "):
            request.headers["Authorization"] = self.header()
        response = yield request
        if response.status_code == 401:
            self.refreshed_on_401 += 1
            request.headers["Authorization"] = f"Bearer {self._token(refresh=True)}"
            yield request

    def __repr__(self) -> str:
        return f"RefreshingBearerAuth(source={type(self.source).__name__})"


@dataclass
class CommandTokenSource:
    """``--token-command CMD``: an organisation's own token minting. CMD is run (split like a
    shell would, no shell), and its standard output is the token: either the token alone, or a
    JSON object with ``access_token`` (and optionally ``expires_in`` seconds). The token is
    reused until a minute before its expiry (``expires_in`` or the JWT's ``exp``), and the
    command run again on a refusal."""

    command: str
    timeout: float = 60.0
    clock: Callable[[], float] = time.time
    _token: str | None = field(default=None, repr=False)
    _expires: float | None = None

    def access_token(self, *, refresh: bool = False) -> str:
        now = self.clock()
        if self._token and not refresh and (self._expires is None or now < self._expires - 60):
            return self._token
        token, expires = self._run()
        self._token, self._expires = token, expires
        return token

    def _run(self) -> tuple[str, float | None]:
        try:
            argv = shlex.split(self.command)
        except ValueError as exc:
            raise AuthError(f"--token-command: cannot split it into words ({exc})") from None
        if not argv:
            raise AuthError("--token-command is empty")
        try:
            done = subprocess.run(
                argv, capture_output=True, text=True, timeout=self.timeout, check=False
            )
        except FileNotFoundError:
            raise AuthError(f"--token-command: no such program {excerpt(argv[0])}") from None
        except subprocess.TimeoutExpired:
            raise AuthError(f"--token-command gave no token within {self.timeout:g} s") from None
        except OSError as exc:
            raise AuthError(f"--token-command: cannot run it ({exc.strerror or exc})") from None
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or [""])[-1]
            raise AuthError(
                f"--token-command exited with status {done.returncode}: {excerpt(last, 120)}"
            )
        out = done.stdout.strip()
        expires: float | None = None
        if out.startswith("{"):
            try:
                doc = json.loads(out)
            except ValueError:
                raise AuthError("--token-command printed JSON that does not parse") from None
            token = doc.get("access_token") if isinstance(doc, dict) else None
            if not isinstance(token, str) or not token:
                raise AuthError("--token-command printed JSON without an access_token")
            if isinstance(doc.get("expires_in"), int | float):
                expires = self.clock() + float(doc["expires_in"])
            out = token
        if not out or len(out.split()) != 1:
            raise AuthError("--token-command printed no token (one word or JSON on stdout)")
        if expires is None and isinstance(jwt_claims(out).get("exp"), int | float):
            expires = float(jwt_claims(out)["exp"])
        return out, expires


# -- NTLM / Negotiate --------------------------------------------------------------------------


class SpnegoAuth(httpx.Auth):
    """NTLM or Negotiate (RFC 4559) through pyspnego.

    The first request carries the initiator's first token, the server's challenge (401 +
    ``WWW-Authenticate: NTLM …``) is answered on the same connection, and the request is served.
    Once signed in, a request goes out without credentials first: on a connection the server
    already signed in it is served as is, and on a new one (after a NAT, a proxy or the server
    dropped the old) the server challenges it and the handshake runs again. ``rechallenged``
    counts those per command — what ``eas check`` reports for a Ping.

    httpx returns the connection to its pool after each 401 and takes it again for the next
    leg, so the pool must keep connections alive (see the module docstring).
    """

    requires_response_body = True  # the 401's body is read so the connection can be reused

    def __init__(
        self, user: str, password: str, *, protocol: str = "ntlm", service: str = "HTTP"
    ) -> None:
        if protocol not in ("ntlm", "negotiate"):
            raise AuthError(f"SPNEGO protocol must be ntlm or negotiate, got {protocol!r}")
        self.user = user
        self.password = password
        self.protocol = protocol
        self.service = service
        self.scheme = "NTLM" if protocol == "ntlm" else "Negotiate"
        self.signed_in = False
        self.handshakes = 0
        self.rechallenged: dict[str, int] = {}

    def header(self) -> str:
        return ""  # the flow sets it: a handshake, not a header

    def secrets(self) -> tuple[str, ...]:
        return (self.password,)

    def __repr__(self) -> str:
        return f"SpnegoAuth(user={self.user!r}, protocol={self.protocol!r}, password=***)"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        import spnego
        import spnego.exceptions

        if self.signed_in:
            request.headers.pop("Authorization", None)
            response = yield request
            if response.status_code != 401 or not self._offered(response):
                return
            command = _command(request)
            self.rechallenged[command] = self.rechallenged.get(command, 0) + 1
        try:
            ctx = spnego.client(
                self.user,
                self.password,
                hostname=request.url.host,
                service=self.service,
                protocol=self.protocol,
            )
            out = ctx.step()
        except spnego.exceptions.SpnegoError as exc:
            raise AuthError(f"{self.scheme}: cannot start the handshake: {exc.message}") from None
        self.handshakes += 1
        request.headers["Authorization"] = f"{self.scheme} {base64.b64encode(out or b'').decode()}"
        response = yield request
        challenge = self._challenge(response)
        if response.status_code != 401 or challenge is None:
            return
        try:
            out = ctx.step(challenge)
        except spnego.exceptions.SpnegoError as exc:
            raise AuthError(f"{self.scheme}: the server's challenge: {exc.message}") from None
        request.headers["Authorization"] = f"{self.scheme} {base64.b64encode(out or b'').decode()}"
        response = yield request
        if response.status_code != 401:
            self.signed_in = True

    def _offered(self, response: httpx.Response) -> bool:
        return any(
            v.strip().split(" ")[0].lower() == self.scheme.lower()
            for v in response.headers.get_list("WWW-Authenticate")
        )

    def _challenge(self, response: httpx.Response) -> bytes | None:
        for value in response.headers.get_list("WWW-Authenticate"):
            scheme, _, token = value.strip().partition(" ")
            if scheme.lower() == self.scheme.lower() and token.strip():
                try:
                    return base64.b64decode(token.strip(), validate=True)
                except ValueError:
                    return None
        return None


def _command(request: httpx.Request) -> str:
    """The EAS command of ``request`` (plain or base64 query, MS-ASHTTP 2.2.1.1.1), else its
    method."""
    from easclient.protocol.query import parse_query

    query = request.url.query.decode("ascii", "replace")
    if not query:
        return request.method
    try:
        return parse_query(query, request.headers, default_version="14.1").cmd
    except EasError:
        return request.method


def httpx_auth(credential: Credential | None) -> httpx.Auth | None:
    """The httpx flow of ``credential`` when it has one (refresh on 401, NTLM's handshake)."""
    return credential if isinstance(credential, httpx.Auth) else None


def is_connection_based(credential: Credential | None) -> bool:
    """Whether ``credential`` signs in the connection rather than each request (NTLM)."""
    return isinstance(credential, SpnegoAuth)


def offered_schemes(www_authenticate: str) -> list[str]:
    """The schemes a ``WWW-Authenticate`` value offers (RFC 9110 11.6.1), lower case, in order;
    several headers may arrive joined by commas."""
    schemes: list[str] = []
    for piece in www_authenticate.split(","):
        first = piece.strip().split(" ", 1)[0]
        if first and "=" not in first and first.lower() not in schemes:
            schemes.append(first.lower())
    return schemes
