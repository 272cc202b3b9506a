"""The one factory for a ready device: :meth:`EasClient.connect <easclient.EasClient.connect>`.

Every caller that has a URL, credentials and TLS settings (the CLI, ``eas check``, the matrix,
the tests) builds its client here, so the URL is normalised once
(:func:`easclient.url.resolve_target`), TLS is set up once (:mod:`easclient.tls`) and the
DeviceId, state and capture defaults are the same everywhere. :func:`open_transport` is the
lower level (a transport without a device; ``eas replay`` uses it).
"""

from __future__ import annotations

import os
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import httpx

from easclient.errors import excerpt
from easclient.protocol import ALL_VERSIONS, VersionError
from easclient.protocol.autodiscover import AutodiscoverError
from easclient.url import ServerUrl, resolve_target

from .auth import SpnegoAuth
from .capture import CaptureWriter
from .discover import DiscoveryOptions, discover, is_email
from .limits import ResponseLimits
from .memstate import MemoryState
from .profiles import DeviceProfile, get_profile
from .state import DeviceState
from .store import StateStore
from .transport import Auth, BasicAuth, HttpxTransport

if TYPE_CHECKING:
    from .device import EasClient

Client = TypeVar("Client", bound="EasClient")


class Closable(Protocol):
    def close(self) -> None: ...


def default_device_id(profile: DeviceProfile, user: str, host: str) -> str:
    """The DeviceId a device of ``profile`` gets for ``user`` on ``host`` when none is given:
    stable, so a rerun is the same device to the server (no trail of partnerships)."""
    return profile.device_id(f"{user}@{host}")


def open_transport(
    url: str | ServerUrl,
    *,
    auth: Auth | None = None,
    ca_file: str | os.PathLike[str] | None = None,
    verify: bool = True,
    capture: CaptureWriter | None = None,
    tcp_keepalive: int | None = None,
    connect_timeout: float = 30.0,
    read_timeout: float = 120.0,
    http_transport: httpx.BaseTransport | None = None,
    limits: ResponseLimits | None = None,
    proxy: str | None = None,
    trust_env: bool = True,
    client_cert: str | os.PathLike[str] | None = None,
    client_key: str | os.PathLike[str] | None = None,
) -> HttpxTransport:
    """An :class:`HttpxTransport` to ``url`` (normalised; a path names the endpoint).

    ``verify=False`` checks no certificate (testing only); ``ca_file`` trusts a private CA.
    ``http_transport`` replaces httpx's own (pinned addresses, no keep-alive, ASGI);
    ``limits`` bounds every answer's size and time (default :class:`ResponseLimits`).
    ``proxy`` (else ``HTTPS_PROXY`` and friends unless ``trust_env=False``): an outbound proxy;
    ``client_cert``/``client_key``: the certificate of mutual TLS (PEM)."""
    server = url if isinstance(url, ServerUrl) else resolve_target(url)
    return HttpxTransport(
        server.base,
        auth=auth,
        verify=verify,
        ca_file=os.fspath(ca_file) if ca_file else None,
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        tcp_keepalive=tcp_keepalive,
        transport=http_transport,
        capture=capture,
        limits=limits,
        proxy=proxy,
        trust_env=trust_env,
        client_cert=os.fspath(client_cert) if client_cert else None,
        client_key=os.fspath(client_key) if client_key else None,
    )


def _discovered(
    email: str,
    discovery: DiscoveryOptions | None,
    auth: Auth | None,
    verify: bool,
    ca_file: str | os.PathLike[str] | None,
) -> str:
    """The ActiveSync URL Autodiscover finds for ``email`` (AutodiscoverError when none)."""
    options = discovery or DiscoveryOptions(
        auth=auth, verify=verify, ca_file=os.fspath(ca_file) if ca_file else None
    )
    found = discover(email, options)
    if found.url is None:
        raise AutodiscoverError(
            f"Autodiscover found no ActiveSync server for {excerpt(email)}: {found.reason}",
            value=email,
        )
    return found.url


def connect(
    cls: type[Client],
    /,
    url: str,
    *,
    auth: Auth | None = None,
    user: str | None = None,
    profile: str | DeviceProfile = "iphone",
    state: StateStore | str | os.PathLike[str] | None = None,
    ca_file: str | os.PathLike[str] | None = None,
    verify: bool = True,
    device_id: str | None = None,
    protocol: str | None = None,
    capture: CaptureWriter | str | os.PathLike[str] | None = None,
    tcp_keepalive: int | None = None,
    connect_timeout: float = 30.0,
    read_timeout: float = 120.0,
    http_transport: httpx.BaseTransport | None = None,
    limits: ResponseLimits | None = None,
    proxy: str | None = None,
    trust_env: bool = True,
    client_cert: str | os.PathLike[str] | None = None,
    client_key: str | os.PathLike[str] | None = None,
    discovery: DiscoveryOptions | None = None,
    **options: Any,
) -> Client:
    """A ready client for ``url``: ``EasClient.connect(url, auth=BasicAuth(user, pw))``.

    - ``url``: the server (``https://mail.example.com``; a bare host means https; a path names a
      non-standard endpoint), or the user's e-mail address: Autodiscover (MS-ASCMD 2.2.1.1)
      finds the server first, with ``auth`` and the TLS settings, or with ``discovery``
      (:class:`~easclient.client.discover.DiscoveryOptions`: nameserver, connection mapping …).
    - ``auth``: any credential of :mod:`easclient.client.auth` (:class:`BasicAuth`,
      :class:`BearerAuth`, NTLM/Negotiate, refreshing OAuth ...); ``user`` defaults to its user.
    - ``profile``: a :class:`DeviceProfile` or its name (``iphone``, ``android``, ``outlook`` …).
    - ``state``: a :class:`StateStore`, or a path for a :class:`DeviceState` file (resumable);
      default a fresh :class:`MemoryState`.
    - ``ca_file`` trusts a private CA (PEM); ``verify=False`` checks nothing (testing only).
    - ``device_id``: default stable per profile, user and host. ``protocol``: force a version
      (else the highest both sides speak, from OPTIONS).
    - ``capture``: a :class:`CaptureWriter` or a file to append every exchange to (redacted).
    - ``http_transport``: an httpx transport to use instead of a new one.
    - ``limits``: the size and time bounds of every answer (:class:`ResponseLimits`).
    - ``proxy``: an outbound HTTP proxy (default: ``HTTPS_PROXY`` etc. unless
      ``trust_env=False``); ``client_cert``/``client_key``: mutual TLS (PEM).
    - Other keyword arguments go to :class:`EasClient` (``heartbeat``, ``ping_margin``,
      ``base64_query``, ``log``, ``sleep`` …).

    The client owns what this opened (transport, state file, capture file): ``client.close()``
    or ``with EasClient.connect(...) as client:`` closes them. A store or capture passed in as
    an object stays the caller's to close.
    """
    if is_email(url):
        url = _discovered(url.strip(), discovery, auth, verify, ca_file)
    server = resolve_target(url)
    device = get_profile(profile) if isinstance(profile, str) else profile
    if protocol is not None and protocol not in ALL_VERSIONS:
        raise VersionError(
            f"protocol {protocol!r}: choose one of {', '.join(ALL_VERSIONS)}", value=protocol
        )
    name = user or (auth.user if isinstance(auth, BasicAuth | SpnegoAuth) else None) or "anonymous"
    device_id = device_id or default_device_id(device, name, server.host)
    owned: list[Closable] = []
    with ExitStack() as undo:  # everything opened so far is closed again if a later step fails
        writer: CaptureWriter | None = None
        if isinstance(capture, CaptureWriter):
            writer = capture
        elif capture is not None:
            writer = undo.enter_context(
                CaptureWriter(
                    Path(capture),
                    device={
                        "user": name,
                        "device_id": device_id,
                        "device_type": device.device_type,
                        "user_agent": device.user_agent,
                        "profile": device.name,
                    },
                )
            )
            owned.append(writer)
        transport = undo.enter_context(
            open_transport(
                server,
                auth=auth,
                ca_file=ca_file,
                verify=verify,
                capture=writer,
                tcp_keepalive=tcp_keepalive,
                connect_timeout=connect_timeout,
                read_timeout=read_timeout,
                http_transport=http_transport,
                limits=limits,
                proxy=proxy,
                trust_env=trust_env,
                client_cert=client_cert,
                client_key=client_key,
            )
        )
        owned.append(transport)
        store: StateStore
        if state is None:
            store = MemoryState()
        elif isinstance(state, str | os.PathLike):
            store = undo.enter_context(DeviceState(state))
            owned.append(store)
        else:
            store = state
        client = cls(
            transport,
            user=name,
            profile=device,
            device_id=device_id,
            state=store,
            version=protocol,
            **options,
        )
        client.owned = owned[::-1]  # closed last-opened first
        undo.pop_all()
    return client

