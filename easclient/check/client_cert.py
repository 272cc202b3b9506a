"""The mutual-TLS step: does the server ask for a client certificate, and is ours accepted?

Python cannot see a TLS 1.3 CertificateRequest, but the server's answer says it all: a server
that requires a certificate and got none ends the session with the ``certificate_required``
alert (RFC 8446 6.2; TLS 1.2: ``handshake_failure``) or closes it without an HTTP answer, and
one that distrusts the certificate sends ``unknown_ca`` / ``bad_certificate``. So one request
goes out on a fresh TLS session, presenting ``--client-cert`` when given, and the reply — an HTTP
status line or an alert — is read.
"""

from __future__ import annotations

import socket
import ssl

from easclient.protocol import ACTIVESYNC_PATH

from .context import CheckContext
from .report import Result, Step

NAME, TITLE = "tls-client-cert", "TLS client certificate"

_MISSING = ("CERTIFICATE_REQUIRED", "HANDSHAKE_FAILURE", "PEER_DID_NOT_RETURN_A_CERTIFICATE")
_REFUSED = ("UNKNOWN_CA", "BAD_CERTIFICATE", "CERTIFICATE_UNKNOWN", "UNSUPPORTED_CERTIFICATE")


def _exchange(ctx: CheckContext) -> bytes:
    """Send one OPTIONS on a new TLS session; return the first bytes of the answer."""
    options = ctx.options
    context = ssl.create_default_context()
    context.check_hostname = False  # trust and names have their own steps
    context.verify_mode = ssl.CERT_NONE
    if options.client_cert:
        context.load_cert_chain(options.client_cert, options.client_key)
    address = ctx.connect_address or ctx.target.host
    host = ctx.target.host
    path = ctx.target.path or ACTIVESYNC_PATH
    with socket.create_connection((address, ctx.target.port), options.connect_timeout) as sock:
        sni = None if ctx.target.host_is_address else host
        with context.wrap_socket(sock, server_hostname=sni) as tls:
            tls.sendall(
                f"OPTIONS {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()
            )
            return tls.recv(16)


def client_cert_step(ctx: CheckContext) -> Step | None:
    """Whether the server wants a client certificate, in plain words (None, no row in the
    report, when it did not ask and none was given)."""
    if not ctx.target.tls or ctx.connect_address is None or not ctx.tls_ok:
        return None
    if not ctx.options.client_cert and ctx.facts.get("eas_blocked") != "OPTIONS failed":
        return None  # OPTIONS got an HTTP answer: nobody demanded a certificate
    ours = ctx.options.client_cert
    try:
        first = _exchange(ctx)
        reason = "" if first else "CLOSED"
    except ssl.SSLError as exc:
        reason = (exc.reason or str(exc)).upper()
    except (ConnectionResetError, BrokenPipeError):
        reason = "CLOSED"
    except OSError as exc:
        return Step(NAME, TITLE, Result.SKIP, f"could not ask: {exc}", required=False)
    if not reason:
        if not ours:
            return None
        return Step(NAME, TITLE, Result.PASS, f"accepted the certificate {ours}", required=False)
    missing = any(code in reason for code in _MISSING) or (reason == "CLOSED" and not ours)
    if not ours and missing:
        return Step(
            NAME,
            TITLE,
            Result.FAIL,
            "the server requires a client certificate (mutual TLS) and none was presented"
            + ("" if reason != "CLOSED" else ": it closed the session without an answer"),
            why="Devices without a certificate from the organisation's CA cannot connect at "
            "all; the server or its reverse proxy drops them before any HTTP.",
            fix="Install the device's certificate (and key) on the device; for this check give "
            "--client-cert PEM [--client-key PEM].",
        )
    if ours and (missing or any(code in reason for code in _REFUSED)):
        return Step(
            NAME,
            TITLE,
            Result.FAIL,
            f"the server refused the client certificate {ours} ({reason.lower()})",
            why="The certificate is not issued by a CA the server trusts, or has expired.",
            fix="Use a certificate from the CA the server (or reverse proxy) trusts for clients.",
        )
    return Step(NAME, TITLE, Result.WARN, f"TLS ended: {reason.lower()}", required=False)
