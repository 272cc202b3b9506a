"""OAuth 2.0 sign-in for Exchange Online through Microsoft's MSAL (``msal``) as a public client:
the device code flow (RFC 8628) and the authorization code flow with PKCE (RFC 7636) on a loopback
redirect (RFC 8252 7.3), with the user's own app registration (``client_id``).

Tokens are kept in MSAL's SerializableTokenCache, written 0600 beside the device state, so the
next run signs in silently; MSAL renews the access token from the refresh token when it is within
five minutes of expiry, and :class:`MsalTokenSource` forces a renewal when the server refuses
the token (the 401 retry of :class:`~easclient.client.auth.RefreshingBearerAuth`). A refused
refresh token ends in one :class:`~easclient.client.auth.AuthError` line ("sign in again").

The protocol of each flow is MSAL's; what is ours: where tokens are kept, the loopback listener
and when to ask the user again.
"""

from __future__ import annotations

import os
import threading
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .auth import AuthError
from .netconfig import choose_proxy

#: Scopes MSAL adds by itself and refuses to be given (openid, profile, offline_access).
RESERVED_SCOPES = frozenset({"openid", "profile", "offline_access"})
DEFAULT_AUTHORITY = "https://login.microsoftonline.com"
#: How long the loopback listener waits for the browser, seconds.
BROWSER_TIMEOUT = 300.0


@dataclass(frozen=True)
class OAuthSettings:
    """What to sign in with: the app registration, the directory and the scopes."""

    client_id: str
    tenant: str | None = None
    authority: str | None = None
    scopes: tuple[str, ...] = (
        "https://outlook.office365.com/EAS.AccessAsUser.All",
        "offline_access",
    )
    device_code: bool = False
    login_hint: str | None = None
    #: a CA bundle for the identity provider (a private one: the mock's)
    ca_file: str | None = None
    proxy: str | None = None

    @property
    def authority_url(self) -> str:
        if self.authority:
            return self.authority.rstrip("/")
        return f"{DEFAULT_AUTHORITY}/{self.tenant or 'organizations'}"

    @property
    def msal_scopes(self) -> list[str]:
        return [s for s in self.scopes if s not in RESERVED_SCOPES]


def _describe(result: dict[str, Any] | None) -> str:
    """One line from an MSAL error answer (RFC 6749 5.2), bounded."""
    if not result:
        return "no answer"
    error = str(result.get("error", "error"))
    description = str(result.get("error_description", "")).splitlines()[0:1]
    text = f"{error}: {description[0]}" if description else error
    return text[:200]


class LoopbackReceiver:
    """A one-shot HTTP listener on 127.0.0.1 for the authorization code redirect (RFC 8252
    7.3): the first GET's query is the answer; the browser gets a short page."""

    def __init__(self, port: int = 0) -> None:
        received: dict[str, str] = {}
        done = threading.Event()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                query = dict(parse_qsl(urlsplit(self.path).query))
                if not done.is_set() and ("code" in query or "error" in query):
                    received.update(query)
                    done.set()
                body = b"Signed in: you can close this window and return to eas.\n"
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # the query holds the code: never logged

        self._server = HTTPServer(("127.0.0.1", port), Handler)
        self._received = received
        self._done = done
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def redirect_uri(self) -> str:
        return f"http://localhost:{self._server.server_address[1]}"

    def wait(self, timeout: float) -> dict[str, str]:
        if not self._done.wait(timeout):
            raise AuthError(f"no sign-in came back to {self.redirect_uri} within {timeout:g} s")
        return dict(self._received)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _session(settings: OAuthSettings) -> Any:
    """The requests session MSAL talks through: the proxy the device uses (--proxy, else
    HTTPS_PROXY/NO_PROXY), and a private CA when given. requests lets REQUESTS_CA_BUNDLE from
    the environment override a session's own CA file, so with one the environment is not
    consulted (the proxy is chosen here instead)."""
    import requests

    session = requests.Session()
    proxy = choose_proxy(settings.authority_url, settings.proxy)
    if settings.ca_file:
        session.trust_env = False
        session.verify = settings.ca_file
    if proxy:
        session.proxies = {"https": proxy, "http": proxy}
    elif settings.ca_file:
        session.proxies = {}
    return session


def _open_browser(url: str) -> None:
    webbrowser.open(url)


class MsalTokenSource:
    """Access tokens for the device, from MSAL (see the module docstring).

    ``say`` shows the user what to do (the device code message, the sign-in URL); ``open_url``
    opens the browser for the authorization code flow (tests put a scripted browser here);
    ``interactive``: may the user be asked to sign in when nothing is cached; ``reauth``: when
    the saved sign-in is refused (an expired refresh token) — False gives one error line, which
    is what a run without a terminal, or one already underway, wants.
    """

    def __init__(
        self,
        settings: OAuthSettings,
        cache_file: Path,
        *,
        say: Callable[[str], None] | None = None,
        open_url: Callable[[str], None] = _open_browser,
        interactive: bool = True,
        reauth: bool = False,
        browser_timeout: float = BROWSER_TIMEOUT,
    ) -> None:
        import msal

        self.settings = settings
        self.cache_file = cache_file
        self.say = say or (lambda line: None)
        self.open_url = open_url
        self.interactive = interactive
        self.reauth = reauth
        self.browser_timeout = browser_timeout
        self._lock = threading.Lock()
        self.cache = msal.SerializableTokenCache()
        if cache_file.exists():
            try:
                self.cache.deserialize(cache_file.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise AuthError(f"cannot read the token cache {cache_file}: {exc}") from None
        kwargs: dict[str, Any] = {"token_cache": self.cache}
        if settings.authority:
            kwargs["instance_discovery"] = False  # not a Microsoft host: no lookup there
        kwargs["http_client"] = _session(settings)
        try:
            self.app = msal.PublicClientApplication(
                settings.client_id, authority=settings.authority_url, **kwargs
            )
        except ValueError as exc:  # authority discovery failed
            raise AuthError(f"--authority {settings.authority_url}: {str(exc)[:200]}") from None
        except Exception as exc:  # requests' connection errors, TLS
            raise AuthError(
                f"cannot reach the identity provider {settings.authority_url}: "
                f"{type(exc).__name__}: {str(exc)[:160]}"
            ) from None

    # -- TokenSource ---------------------------------------------------------------------------
    def access_token(self, *, refresh: bool = False) -> str:
        with self._lock:
            result = self._silent(refresh)
            if result is None:
                if not self.interactive:
                    raise AuthError("not signed in: run once with --auth oauth to sign in")
                result = self._sign_in()
            elif "access_token" not in result:
                if not self.reauth:
                    raise AuthError(
                        f"the saved sign-in was refused ({_describe(result)}); sign in again: "
                        "run with --auth oauth on a terminal"
                    )
                self.say(f"the saved sign-in was refused ({_describe(result)}); signing in again")
                result = self._sign_in()
            self._save()
            token = result.get("access_token")
            if not isinstance(token, str) or not token:
                raise AuthError(f"sign-in failed: {_describe(result)}")
            return token

    def _silent(self, refresh: bool) -> dict[str, Any] | None:
        # The cache file is per user and server; the account MSAL files a sign-in under is the
        # directory's name for the user (alice@contoso.com), which -u may spell otherwise.
        hint = self.settings.login_hint
        accounts = (self.app.get_accounts(username=hint) if hint else []) or (
            self.app.get_accounts()
        )
        if not accounts:
            return None
        result = self.app.acquire_token_silent_with_error(
            self.settings.msal_scopes, accounts[0], force_refresh=refresh
        )
        return dict(result) if result else None

    def _sign_in(self) -> dict[str, Any]:
        if self.settings.device_code:
            return self._device_flow()
        return self._browser_flow()

    def _device_flow(self) -> dict[str, Any]:
        flow = self.app.initiate_device_flow(scopes=self.settings.msal_scopes)
        if "user_code" not in flow:
            raise AuthError(f"device code sign-in could not start: {_describe(flow)}")
        self.say(str(flow.get("message", "")))
        result = self.app.acquire_token_by_device_flow(flow)
        if "access_token" not in result:
            raise AuthError(f"device code sign-in failed: {_describe(result)}")
        return dict(result)

    def _browser_flow(self) -> dict[str, Any]:
        receiver = LoopbackReceiver()
        try:
            flow = self.app.initiate_auth_code_flow(
                self.settings.msal_scopes,
                redirect_uri=receiver.redirect_uri,
                login_hint=self.settings.login_hint,
            )
            if "auth_uri" not in flow:
                raise AuthError(f"browser sign-in could not start: {_describe(flow)}")
            self.say(f"sign in in your browser: {flow['auth_uri']}")
            self.open_url(flow["auth_uri"])
            answer = receiver.wait(self.browser_timeout)
        finally:
            receiver.close()
        result = self.app.acquire_token_by_auth_code_flow(flow, answer)
        if "access_token" not in result:
            raise AuthError(f"browser sign-in failed: {_describe(result)}")
        return dict(result)

    def _save(self) -> None:
        """Write the cache (0600, atomically) when MSAL changed it."""
        if not self.cache.has_state_changed:
            return
        self.cache_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.cache_file.with_name(self.cache_file.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(self.cache.serialize())
        os.replace(tmp, self.cache_file)
        self.cache.has_state_changed = False


def msal_token_source(
    settings: OAuthSettings,
    cache_file: Path,
    *,
    log: Callable[[str], None] | None = None,
    reauth: bool = False,
) -> MsalTokenSource:
    """The token source the CLI uses (see :class:`MsalTokenSource`)."""
    return MsalTokenSource(settings, cache_file, say=log, reauth=reauth)
