"""TLS bridging for the NAT proxy: terminate the client's TLS with the proxy's own certificate
and open a new TLS session to the server, as ISA/TMG-style "SSL bridging" firewalls do.

The client sees the proxy's certificate (so it must trust the proxy's CA); the server sees a
fresh TLS session from the proxy.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass

from easclient.netsim.errors import NetsimError
from easclient.tls import TlsConfigError, client_context


@dataclass(frozen=True)
class TlsBridge:
    """How the proxy bridges TLS.

    With no `cert_file` the proxy makes a throw-away CA with `trustme` and a certificate for
    `hostnames`; the CA's PEM is then on `NatProxy.tls_ca_pem` for clients to trust.
    """

    cert_file: str | None = None
    key_file: str | None = None
    hostnames: tuple[str, ...] = ("localhost", "127.0.0.1", "::1")
    upstream_ca_file: str | None = None
    """CA bundle that verifies the server's certificate; None → the system's trust store."""
    upstream_verify: bool = True
    upstream_server_hostname: str | None = None
    """Name sent in SNI and checked against the server's certificate; None → the target host."""


@dataclass(frozen=True)
class TlsContexts:
    server: ssl.SSLContext
    """Faces the client (the proxy is the TLS server)."""
    client: ssl.SSLContext
    """Faces the real server (the proxy is the TLS client)."""
    ca_pem: bytes | None
    """PEM of the CA that issued the proxy's certificate, when the proxy made it."""


def build_contexts(bridge: TlsBridge) -> TlsContexts:
    """Make both SSL contexts; raise NetsimError naming the file that could not be loaded."""
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca_pem: bytes | None = None
    if bridge.cert_file is None:
        import trustme

        ca = trustme.CA(organization_name="easclient NAT proxy (TLS bridging)")
        ca.issue_cert(*bridge.hostnames).configure_cert(server)
        ca_pem = ca.cert_pem.bytes()
    else:
        try:
            server.load_cert_chain(bridge.cert_file, bridge.key_file)
        except (OSError, ssl.SSLError) as exc:
            raise NetsimError(
                f"cannot load TLS certificate {bridge.cert_file!r} / key {bridge.key_file!r}: {exc}"
            ) from exc
    try:
        client = client_context(bridge.upstream_ca_file, verify=bridge.upstream_verify)
    except TlsConfigError as exc:
        raise NetsimError(
            f"cannot load upstream CA file {bridge.upstream_ca_file!r}: {exc.__cause__}",
            value=bridge.upstream_ca_file,
        ) from exc
    return TlsContexts(server=server, client=client, ca_pem=ca_pem)
