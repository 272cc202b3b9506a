"""The device: httpx transport, profiles, persistent state, heartbeat strategies and the flows.

Typical use::

    from easclient.client import BasicAuth, DeviceState, EasClient, HttpxTransport, get_profile

    profile = get_profile("iphone")
    with HttpxTransport("https://mail.example.com", auth=BasicAuth("alice", pw)) as tr, \\
            DeviceState(path) as state:
        client = EasClient(tr, user="alice", profile=profile,
                           device_id=profile.device_id("alice@mail.example.com"), state=state)
        report = client.sync_all_mail()
"""

from .aio import AsyncEasClient
from .auth import (
    AuthError,
    CommandTokenSource,
    RefreshingBearerAuth,
    SpnegoAuth,
)
from .capture import CaptureWriter, basic_credential
from .device import (
    DeviceError,
    EasClient,
    FolderReport,
    PingReport,
    ProvisionFailed,
    RedirectLoop,
    RemoteWipeAcknowledged,
    SyncFailed,
    SyncReport,
)
from .heartbeat import STRATEGIES, HeartbeatStrategy, PingOutcome, make_strategy
from .outcome import classify_ping_exception, classify_ping_status
from .profiles import PROFILES, DeviceProfile, ProfileError, get_profile
from .state import DeviceState, StateError, default_state_path
from .transport import BasicAuth, BearerAuth, HttpxTransport, NetworkError, Transport

__all__ = [
    "PROFILES",
    "STRATEGIES",
    "AsyncEasClient",
    "AuthError",
    "BasicAuth",
    "BearerAuth",
    "CaptureWriter",
    "CommandTokenSource",
    "DeviceError",
    "DeviceProfile",
    "DeviceState",
    "EasClient",
    "FolderReport",
    "HeartbeatStrategy",
    "HttpxTransport",
    "NetworkError",
    "PingOutcome",
    "PingReport",
    "ProfileError",
    "ProvisionFailed",
    "RedirectLoop",
    "RefreshingBearerAuth",
    "RemoteWipeAcknowledged",
    "SpnegoAuth",
    "StateError",
    "SyncFailed",
    "SyncReport",
    "Transport",
    "basic_credential",
    "classify_ping_exception",
    "classify_ping_status",
    "default_state_path",
    "get_profile",
    "make_strategy",
]
