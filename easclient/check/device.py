"""The device a check drives: the project's own client (`easclient.client`), set up for one
target and options — pinned to the ``--resolve`` address when given, with fresh in-memory state.

A check is a new device each run only in its state: the DeviceId is stable per user and host,
so repeated checks do not leave a trail of device partnerships on the server.
"""

from __future__ import annotations

import ssl

import httpx

from easclient.client import BasicAuth, EasClient, ResponseLimits, get_profile
from easclient.client.auth import Credential, is_connection_based
from easclient.client.netconfig import choose_proxy
from easclient.errors import EasError
from easclient.tls import httpx_verify

from .context import CheckOptions
from .pinning import check_transport
from .target import CheckError, Target


def _verify(options: CheckOptions) -> ssl.SSLContext | bool:
    """The TLS settings of the check's device: --ca-file (not with --insecure) and the client
    certificate, presented even with --insecure."""
    try:
        return httpx_verify(
            None if options.insecure else options.ca_file,
            verify=not options.insecure,
            client_cert=options.client_cert,
            client_key=options.client_key,
        )
    except EasError as exc:
        raise CheckError(str(exc).replace("CA file", "--ca-file")) from None


def credential(options: CheckOptions) -> Credential | None:
    """How the check's device signs in: the given credential, else Basic with --user."""
    if options.credential is not None:
        return options.credential
    return BasicAuth(options.user, options.password or "") if options.user else None


class CheckDevice:
    """One client (through :meth:`EasClient.connect`, in-memory SQLite state). Close it when
    done.

    SQLite state belongs to the thread that made it: build and use a device in one thread.
    """

    def __init__(
        self,
        target: Target,
        options: CheckOptions,
        *,
        seed: str = "eas-check",
        version: str | None = None,
    ) -> None:
        self.profile = get_profile(options.profile)
        pins = {target.host: target.pinned} if target.pinned else {}
        auth = credential(options)
        transport: httpx.HTTPTransport = check_transport(
            _verify(options),
            pins,
            proxy=choose_proxy(target.base_url, options.proxy),
            keepalive=is_connection_based(auth),
        )
        self._http = transport
        who = f"{options.user or 'anonymous'}@{target.host}"
        self.client = EasClient.connect(
            # The URL's endpoint path, when it names one, is where the client sends requests.
            target.base_url + (target.path or ""),
            auth=auth,
            limits=ResponseLimits(
                max_size=options.max_response_size, deadline=options.response_deadline
            ),
            user=options.user or "",
            profile=self.profile,
            state=":memory:",
            ca_file=None if options.insecure else options.ca_file,
            verify=not options.insecure,
            device_id=self.profile.device_id(f"{seed}:{who}"),
            protocol=version,
            connect_timeout=options.connect_timeout,
            read_timeout=options.request_timeout,
            http_transport=transport,
            ping_margin=options.ping_margin,
            max_windows=options.sync_windows,
            max_wait=options.max_wait,
        )
        self.transport = self.client.transport
        self.state = self.client.state

    def fresh_connections(self) -> None:
        """Close the idle connections: the next request opens a new one."""
        self._http.close()  # the pool stays usable (httpcore reopens on demand)

    def close(self) -> None:
        self.client.close()
