"""easclient: an Exchange ActiveSync test client, mock server, NAT simulator and load generator.

The library, in one import::

    import easclient

    with easclient.EasClient.connect(
        "https://mail.example.com", auth=easclient.BasicAuth("alice", password)
    ) as client:
        report = client.sync_all_mail()      # Provision, FolderSync, Sync every mail folder
        ping = client.ping()                 # one Direct Push Ping

- :class:`EasClient` (``EasClient.connect`` is the one factory), :class:`BasicAuth`,
  :class:`BearerAuth`, :func:`get_profile`;
- the state stores behind :class:`StateStore`: :class:`DeviceState` (SQLite file, resumable) and
  :class:`MemoryState`;
- the error tree under :class:`EasError` (drawn in :mod:`easclient.errors`);
- for tests: :class:`MockServer` (the mock EAS server) and :class:`NatProxy` (a NAT/firewall
  that forgets idle connections).

Names load on first use, so ``import easclient.wbxml`` does not start the mock's web stack.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from easclient.client import (
        PROFILES,
        AsyncEasClient,
        BasicAuth,
        BearerAuth,
        CaptureWriter,
        DeviceError,
        DeviceProfile,
        DeviceState,
        EasClient,
        FolderReport,
        HttpxTransport,
        MemoryState,
        NetworkError,
        PingOutcome,
        PingReport,
        ProfileError,
        ProvisionFailed,
        RedirectLoop,
        RemoteWipeAcknowledged,
        StateError,
        StateStore,
        SyncFailed,
        SyncReport,
        Transport,
        get_profile,
    )
    from easclient.errors import EasError
    from easclient.mock import (
        ControlClient,
        ControlError,
        FaultError,
        MockConfig,
        MockConfigError,
        MockServer,
        ServerHandle,
    )
    from easclient.netsim import NatProxy, NatProxyConfig, NetsimError
    from easclient.protocol import (
        AccountBlocked,
        AuthenticationFailed,
        BadRequest,
        DeviceInformationRequired,
        EasHTTPError,
        EasStatusError,
        Forbidden,
        MailboxFull,
        NotFound,
        OptionsBlocked,
        PasswordExpired,
        ProtocolError,
        ProvisioningRequiredStatus,
        ProvisionRequired,
        QueryError,
        Redirect,
        RemoteWipeRequested,
        ServerError,
        Throttled,
        VersionError,
    )
    from easclient.tls import TlsConfigError
    from easclient.url import ServerUrl, UrlError, resolve_target

_EXPORTS: dict[str, tuple[str, ...]] = {
    "easclient.client": (
        "PROFILES",
        "AsyncEasClient",
        "BasicAuth",
        "BearerAuth",
        "CaptureWriter",
        "DeviceError",
        "DeviceProfile",
        "DeviceState",
        "EasClient",
        "FolderReport",
        "HttpxTransport",
        "MemoryState",
        "NetworkError",
        "PingOutcome",
        "PingReport",
        "ProfileError",
        "ProvisionFailed",
        "RedirectLoop",
        "RemoteWipeAcknowledged",
        "StateError",
        "StateStore",
        "SyncFailed",
        "SyncReport",
        "Transport",
        "get_profile",
    ),
    "easclient.errors": ("EasError",),
    "easclient.mock": (
        "ControlClient",
        "ControlError",
        "FaultError",
        "MockConfig",
        "MockConfigError",
        "MockServer",
        "ServerHandle",
    ),
    "easclient.netsim": ("NatProxy", "NatProxyConfig", "NetsimError"),
    "easclient.protocol": (
        "AccountBlocked",
        "AuthenticationFailed",
        "BadRequest",
        "DeviceInformationRequired",
        "EasHTTPError",
        "EasStatusError",
        "Forbidden",
        "MailboxFull",
        "NotFound",
        "OptionsBlocked",
        "PasswordExpired",
        "ProtocolError",
        "ProvisionRequired",
        "ProvisioningRequiredStatus",
        "QueryError",
        "Redirect",
        "RemoteWipeRequested",
        "ServerError",
        "Throttled",
        "VersionError",
    ),
    "easclient.tls": ("TlsConfigError",),
    "easclient.url": ("ServerUrl", "UrlError", "resolve_target"),
}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'easclient' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # once loaded, a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_WHERE})
