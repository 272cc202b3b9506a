"""The device: httpx transport, profiles, state stores, heartbeat strategies and the flows.

Typical use (the factory does the wiring; see also :mod:`easclient`)::

    from easclient.client import BasicAuth, EasClient

    with EasClient.connect("https://mail.example.com", auth=BasicAuth("alice", pw),
                           profile="iphone", state=path) as client:
        report = client.sync_all_mail()

From parts, for a transport of your own: ``EasClient(transport, user=…, profile=…,
device_id=…, state=…)`` with any :class:`Transport` and :class:`StateStore`.
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
    WaitLimitExceeded,
)
from .discover import DiscoveryOptions, DiscoveryResult, discover
from .heartbeat import STRATEGIES, HeartbeatStrategy, PingOutcome, make_strategy
from .limits import (
    ResponseDeadlineExceeded,
    ResponseDecodingError,
    ResponseLimitError,
    ResponseLimits,
    ResponseTooLarge,
    parse_size,
)
from .memstate import MemoryState
from .outcome import classify_ping_exception, classify_ping_status
from .profiles import PROFILES, DeviceProfile, ProfileError, get_profile
from .state import DeviceState, StateError, default_state_path
from .store import StateStore
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
    "DiscoveryOptions",
    "DiscoveryResult",
    "EasClient",
    "FolderReport",
    "HeartbeatStrategy",
    "HttpxTransport",
    "MemoryState",
    "NetworkError",
    "PingOutcome",
    "PingReport",
    "ProfileError",
    "ProvisionFailed",
    "RedirectLoop",
    "RefreshingBearerAuth",
    "RemoteWipeAcknowledged",
    "ResponseDeadlineExceeded",
    "ResponseDecodingError",
    "ResponseLimitError",
    "ResponseLimits",
    "ResponseTooLarge",
    "SpnegoAuth",
    "StateError",
    "StateStore",
    "SyncFailed",
    "SyncReport",
    "Transport",
    "WaitLimitExceeded",
    "basic_credential",
    "classify_ping_exception",
    "classify_ping_status",
    "default_state_path",
    "discover",
    "get_profile",
    "make_strategy",
    "parse_size",
]
