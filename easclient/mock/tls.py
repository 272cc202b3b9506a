"""Test certificates for the mock server (``trustme``): a throw-away CA and a server certificate.

``names`` are the identities the certificate is valid for. By default that is the host clients
connect to; giving other names reproduces the certificate-behind-NAT mismatch seen in the field
(the device reaches 127.0.0.1 but the certificate names ``mail.example.com``).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import trustme


@dataclass(frozen=True)
class TLSFiles:
    """Paths of the PEM files: the CA for clients, the server's certificate chain and key."""

    ca_file: str
    cert_file: str
    key_file: str
    names: tuple[str, ...]
    #: a client certificate (and its key, in the same PEM file) the CA issued, for mutual TLS
    client_cert_file: str | None = None


def make_tls_files(names: list[str] | tuple[str, ...], directory: str | None = None) -> TLSFiles:
    """Make a CA and a server certificate for ``names``; write the PEM files to ``directory``
    (a new temporary directory when None) and return their paths."""
    if not names:
        raise ValueError("a TLS certificate needs at least one name")
    out = Path(directory) if directory else Path(tempfile.mkdtemp(prefix="eas-mock-tls-"))
    out.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA(organization_name="easclient mock CA")
    leaf = ca.issue_cert(*names, common_name=names[0])
    ca_file = out / "ca.pem"
    cert_file = out / "server-cert.pem"
    key_file = out / "server-key.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    leaf.private_key_pem.write_to_path(str(key_file))
    cert_file.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
    key_file.chmod(0o600)
    client_file = out / "client.pem"
    client = ca.issue_cert("device@example.test", common_name="easclient test device")
    client_file.write_bytes(
        client.private_key_pem.bytes() + b"".join(blob.bytes() for blob in client.cert_chain_pems)
    )
    client_file.chmod(0o600)
    return TLSFiles(str(ca_file), str(cert_file), str(key_file), tuple(names), str(client_file))
