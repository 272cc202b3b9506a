"""Sign-in and path options every command that talks to a server shares: ``--auth``, the OAuth
settings, ``--token-command``, ``--client-cert``/``--client-key`` and ``--proxy``.

:func:`sign_in_options` adds them to a typer command (so each command's own signature stays
short) and hands the command one :class:`SignIn` value; :func:`make_credential` turns that, the
user and the password or token variable into a credential of :mod:`easclient.client.auth`.
Secrets never come from the command line: passwords and tokens from variables, prompts, a token
command's output or MSAL's cache.
"""

from __future__ import annotations

import enum
import functools
import inspect
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer

from easclient.client.auth import (
    BasicAuth,
    BearerAuth,
    CommandTokenSource,
    Credential,
    RefreshingBearerAuth,
    SpnegoAuth,
)

from ._common import CliError, read_password

#: Exchange Online's ActiveSync scope, and a refresh token with it.
DEFAULT_SCOPES = ("https://outlook.office365.com/EAS.AccessAsUser.All", "offline_access")


class AuthMethod(enum.StrEnum):
    """``--auth``: how the device signs in."""

    BASIC = "basic"
    BEARER = "bearer"
    OAUTH = "oauth"
    NTLM = "ntlm"
    NEGOTIATE = "negotiate"
    CERTIFICATE = "certificate"


@dataclass
class SignIn:
    """The sign-in options of one command, as values."""

    method: AuthMethod = AuthMethod.BASIC
    token_env: str | None = None
    token_command: str | None = None
    device_code: bool = False
    tenant: str | None = None
    client_id: str | None = None
    scopes: list[str] = field(default_factory=lambda: list(DEFAULT_SCOPES))
    authority: str | None = None
    client_cert: Path | None = None
    client_key: Path | None = None
    proxy: str | None = None

    @property
    def needs_password(self) -> bool:
        """Whether this method signs in with the user's password."""
        return self.method in (AuthMethod.BASIC, AuthMethod.NTLM, AuthMethod.NEGOTIATE) and not (
            self.method is AuthMethod.BASIC and (self.token_env or self.token_command)
        )

    def cert_paths(self) -> tuple[str | None, str | None]:
        """(--client-cert, --client-key) as strings, each checked to exist."""
        for flag, path in (("--client-cert", self.client_cert), ("--client-key", self.client_key)):
            if path is not None and not path.is_file():
                raise CliError(f"{flag} {path}: no such file")
        if self.client_key is not None and self.client_cert is None:
            raise CliError("--client-key needs --client-cert")
        if self.method is AuthMethod.CERTIFICATE and self.client_cert is None:
            raise CliError("--auth certificate needs --client-cert PEM")
        return (
            str(self.client_cert) if self.client_cert else None,
            str(self.client_key) if self.client_key else None,
        )


_OPTIONS: dict[str, tuple[Any, Any]] = {
    "auth": (
        Annotated[
            AuthMethod,
            typer.Option(
                "--auth",
                case_sensitive=False,
                help="sign in with basic (password), bearer (--token-env/--token-command), "
                "oauth (MSAL), ntlm, negotiate, or certificate (--client-cert only)",
            ),
        ],
        AuthMethod.BASIC,
    ),
    "token_command": (
        Annotated[
            str | None,
            typer.Option(
                "--token-command",
                help="run CMD and use the token it prints (the token or JSON with "
                "access_token); run again when the server refuses it",
            ),
        ],
        None,
    ),
    "device_code": (
        Annotated[
            bool,
            typer.Option(
                "--device-code", help="oauth: sign in on another device (a code to enter)"
            ),
        ],
        False,
    ),
    "tenant": (
        Annotated[
            str | None,
            typer.Option("--tenant", help="oauth: directory (tenant) id or domain"),
        ],
        None,
    ),
    "client_id": (
        Annotated[
            str | None,
            typer.Option("--client-id", help="oauth: your app registration's client id"),
        ],
        None,
    ),
    "scope": (
        Annotated[
            list[str] | None,
            typer.Option(
                "--scope",
                help="oauth: scope to ask for (repeatable; default: Exchange Online's "
                "EAS.AccessAsUser.All and offline_access)",
            ),
        ],
        None,
    ),
    "authority": (
        Annotated[
            str | None,
            typer.Option(
                "--authority",
                help="oauth: identity provider URL (other clouds; default: "
                "https://login.microsoftonline.com/TENANT)",
            ),
        ],
        None,
    ),
    "client_cert": (
        Annotated[
            Path | None,
            typer.Option("--client-cert", help="present this certificate (PEM) for mutual TLS"),
        ],
        None,
    ),
    "client_key": (
        Annotated[
            Path | None,
            typer.Option("--client-key", help="the client certificate's key (PEM), if apart"),
        ],
        None,
    ),
    "proxy": (
        Annotated[
            str | None,
            typer.Option(
                "--proxy",
                help="reach the server through this HTTP proxy (default: HTTPS_PROXY / "
                "HTTP_PROXY unless NO_PROXY names the host)",
            ),
        ],
        None,
    ),
}
_TOKEN_ENV = (
    Annotated[
        str | None,
        typer.Option("--token-env", help="use a bearer token from this environment variable"),
    ],
    None,
)


def sign_in_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Add the shared sign-in options to typer command ``fn``, which gets them as one
    ``sign_in: SignIn`` argument (and keeps its own ``token_env`` when it has one)."""
    sig = inspect.signature(fn, eval_str=True)
    own = [p for name, p in sig.parameters.items() if name != "sign_in"]
    added = dict(_OPTIONS)
    if "token_env" not in sig.parameters:
        added["token_env"] = _TOKEN_ENV
    extra = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=ann)
        for name, (ann, default) in added.items()
    ]

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        values = {name: kwargs.pop(name) for name in added}
        sign_in = SignIn(
            method=AuthMethod(values["auth"]),
            token_env=values.get("token_env", kwargs.get("token_env")),
            token_command=values["token_command"],
            device_code=values["device_code"],
            tenant=values["tenant"],
            client_id=values["client_id"],
            scopes=list(values["scope"] or DEFAULT_SCOPES),
            authority=values["authority"],
            client_cert=values["client_cert"],
            client_key=values["client_key"],
            proxy=values["proxy"],
        )
        return fn(*args, sign_in=sign_in, **kwargs)

    params = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own] + extra
    wrapper.__signature__ = sig.replace(parameters=params)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in params}
    del wrapper.__wrapped__  # typer must read the new signature, not fn's
    return wrapper


def _token_from_env(var: str) -> str:
    token = os.environ.get(var)
    if not token:
        raise CliError(f"--token-env {var}: that variable is not set or empty")
    return token


def make_credential(
    sign_in: SignIn,
    user: str | None,
    password_env: str | None,
    *,
    host: str,
    token_cache: Path | None = None,
    need_credentials: bool = True,
    log: Callable[[str], None] | None = None,
    ca_file: str | None = None,
) -> tuple[Credential | None, list[str]]:
    """The credential ``sign_in`` asks for, and the secrets known now (for captures)."""
    method = sign_in.method
    if sign_in.token_env and sign_in.token_command:
        raise CliError("--token-env and --token-command: give one")
    if method is AuthMethod.BASIC and sign_in.token_env:
        method = AuthMethod.BEARER  # --token-env alone has always meant a bearer token
    if method is AuthMethod.BASIC and sign_in.token_command:
        method = AuthMethod.BEARER
    if method is AuthMethod.BEARER:
        if sign_in.token_env:
            token = _token_from_env(sign_in.token_env)
            return BearerAuth(token), [token]
        if sign_in.token_command:
            return RefreshingBearerAuth(CommandTokenSource(sign_in.token_command)), []
        raise CliError("--auth bearer needs --token-env VAR or --token-command CMD")
    if method is AuthMethod.OAUTH:
        if sign_in.token_command:
            return RefreshingBearerAuth(CommandTokenSource(sign_in.token_command)), []
        from easclient.client.oauth import OAuthSettings, msal_token_source

        if not sign_in.client_id:
            raise CliError(
                "--auth oauth needs --client-id (your own app registration in the directory)"
            )
        settings = OAuthSettings(
            client_id=sign_in.client_id,
            tenant=sign_in.tenant,
            authority=sign_in.authority,
            scopes=tuple(sign_in.scopes),
            device_code=sign_in.device_code,
            login_hint=user,
            # a private CA is trusted for a private identity provider only
            ca_file=ca_file if sign_in.authority else None,
            proxy=sign_in.proxy,
        )
        cache = token_cache or _state_dir() / f"oauth-{_safe(user or 'user')}@{_safe(host)}.json"
        source = msal_token_source(settings, cache, log=log, reauth=sys.stdin.isatty())
        return RefreshingBearerAuth(source), []
    if method is AuthMethod.CERTIFICATE:
        return None, []
    if not user:
        if need_credentials:
            raise CliError("--user is required")
        return None, []
    if not need_credentials and method is AuthMethod.BASIC:
        return None, []
    password = read_password(user, password_env)
    if method in (AuthMethod.NTLM, AuthMethod.NEGOTIATE):
        return SpnegoAuth(user, password, protocol=method.value), [password]
    basic = BasicAuth(user, password)
    return basic, list(basic.secrets())


def _safe(text: str) -> str:
    return "".join(c if c.isalnum() or c in "._-@" else "_" for c in text)[:100]


def token_cache_beside(state: Path) -> Path:
    """Where OAuth tokens are cached for a device whose state is ``state``."""
    return state.with_name(state.stem + ".oauth.json")


def _state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or os.path.expanduser("~/.local/state")
    return Path(base) / "easclient"
