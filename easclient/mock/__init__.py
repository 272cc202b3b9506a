"""The mock EAS server: a real HTTP server (starlette + uvicorn) with Direct Push, server
personalities and fault injection, built on the same protocol core as the client.

Quick use::

    from easclient.mock import MockConfig, MockServer
    with MockServer(MockConfig(port=0)).start_in_thread() as server:
        server.url, server.users, server.control.deliver("alice", 3)
"""

from .config import (
    PERSONALITIES,
    MockConfig,
    MockConfigError,
    Personality,
    Quirk,
    User,
    generate_users,
    parse_quirks,
    parse_users,
)
from .control_client import ControlClient, ControlError
from .faults import Fault, FaultError
from .server import MockServer, ServerHandle, SubprocessServer, spawn

__all__ = [
    "PERSONALITIES",
    "ControlClient",
    "ControlError",
    "Fault",
    "FaultError",
    "MockConfig",
    "MockConfigError",
    "MockServer",
    "Personality",
    "Quirk",
    "ServerHandle",
    "SubprocessServer",
    "User",
    "generate_users",
    "parse_quirks",
    "parse_users",
    "spawn",
]
