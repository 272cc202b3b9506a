"""What stands between device and server: a userspace NAT/firewall proxy (`NatProxy`) and the
kernel's own NAT in network namespaces (`easclient.netsim.kernel`, root only)."""

from easclient.netsim.errors import KernelNatUnavailable, NetsimError
from easclient.netsim.events import ConnectionEvent, ConnectionRecord, EventKind, OnIdle, Side
from easclient.netsim.proxy import (
    AddressChange,
    NatProxy,
    NatProxyConfig,
    ProxyThread,
    start_in_thread,
)
from easclient.netsim.tlsbridge import TlsBridge

__all__ = [
    "AddressChange",
    "ConnectionEvent",
    "ConnectionRecord",
    "EventKind",
    "KernelNatUnavailable",
    "NatProxy",
    "NatProxyConfig",
    "NetsimError",
    "OnIdle",
    "ProxyThread",
    "Side",
    "TlsBridge",
    "start_in_thread",
]
