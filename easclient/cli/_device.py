"""The connection options every device command shares (the server URL or e-mail address,
credentials, profile, protocol, state, TLS …), added to a command by :func:`device_options`,
which hands the command one :class:`~easclient.cli._common.Connection` instead of a dozen
parameters; and :func:`opened`, the device for it with our errors as one line and exit 2."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from easclient.cli import fail
from easclient.client import EasClient
from easclient.errors import EasError

from ._auth import SignIn
from ._common import (
    CaFileOpt,
    Connection,
    ConnectToOpt,
    DeviceIdOpt,
    DnsServerOpt,
    InsecureOpt,
    PasswordEnvOpt,
    ProfileOpt,
    ProtocolOpt,
    StateOpt,
    TokenEnvOpt,
    UrlArg,
    UserOpt,
    VerboseOpt,
    open_client,
)

#: The options :func:`device_options` adds, as (annotation, default); ``url`` is the argument.
_OPTIONS: dict[str, tuple[Any, Any]] = {
    "url": (UrlArg, inspect.Parameter.empty),
    "user": (UserOpt, None),
    "password_env": (PasswordEnvOpt, None),
    "token_env": (TokenEnvOpt, None),
    "profile": (ProfileOpt, "iphone"),
    "protocol": (ProtocolOpt, None),
    "state": (StateOpt, None),
    "device_id": (DeviceIdOpt, None),
    "ca_file": (CaFileOpt, None),
    "insecure": (InsecureOpt, False),
    "verbose": (VerboseOpt, False),
    "dns_server": (DnsServerOpt, None),
    "connect_to": (ConnectToOpt, None),
}


def device_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Give the typer command ``fn(conn: Connection, …)`` the shared connection options (the
    URL first, then the command's own parameters, then the rest) and build ``conn`` from them.
    Stack :func:`easclient.cli._auth.sign_in_options` above it for ``--auth`` and the rest."""
    sig = inspect.signature(fn, eval_str=True)
    own = [p for name, p in sig.parameters.items() if name != "conn"]
    url = inspect.Parameter(
        "url", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=_OPTIONS["url"][0]
    )
    shared = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=ann, default=default)
        for name, (ann, default) in _OPTIONS.items()
        if name != "url"
    ]
    positional = [p for p in own if p.default is inspect.Parameter.empty]
    optional = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own if p not in positional]
    # --auth and the rest come from easclient.cli._auth.sign_in_options, stacked above this
    # decorator, as one ``sign_in`` value for the Connection.
    sign_in = inspect.Parameter(
        "sign_in", inspect.Parameter.KEYWORD_ONLY, annotation=SignIn | None, default=None
    )
    params = [url, *positional, *optional, *shared, sign_in]

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        bound = inspect.Signature(params).bind(*args, **kwargs)
        bound.apply_defaults()
        values = dict(bound.arguments)
        common = {name: values.pop(name) for name in _OPTIONS}
        conn = Connection(
            common.pop("url"), common.pop("user"), sign_in=values.pop("sign_in"), **common
        )
        return fn(conn=conn, **values)

    wrapper.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    return wrapper


@contextmanager
def opened(conn: Connection) -> Iterator[EasClient]:
    """The device for ``conn``; any error of ours, opening or using it, is one line and exit 2."""
    try:
        with open_client(conn) as client:
            yield client
    except EasError as exc:
        raise fail(str(exc)) from None
