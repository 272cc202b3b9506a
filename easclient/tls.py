"""The one place a client-side TLS context is made (the device, `eas check`, the matrix, the
mock's control client, the load generator, the NAT's TLS bridge).

``ca_file`` adds a private CA (PEM) to trust instead of the system's store; ``verify=False``
turns checking off (testing only). ``client_cert`` (PEM, with its key in ``client_key`` or in the
same file) is presented when the server asks for one (mutual TLS), also with ``verify=False``.
A CA or certificate file that cannot be read is a :class:`TlsConfigError` naming it, not an
``ssl`` traceback.
"""

from __future__ import annotations

import os
import ssl

from easclient.errors import EasError, excerpt

__all__ = ["TlsConfigError", "client_context", "httpx_verify"]


class TlsConfigError(EasError):
    """A CA or client certificate file that cannot be loaded; ``value`` is its name."""


PathArg = str | os.PathLike[str] | None


def client_context(
    ca_file: PathArg = None,
    *,
    verify: bool = True,
    client_cert: PathArg = None,
    client_key: PathArg = None,
) -> ssl.SSLContext:
    """A client context: the system trust store, or ``ca_file``; with ``verify=False`` no
    certificate or name is checked. ``client_cert`` (and ``client_key``) for mutual TLS."""
    try:
        ctx = ssl.create_default_context(cafile=os.fspath(ca_file) if ca_file else None)
    except (OSError, ssl.SSLError) as exc:
        name = excerpt(os.fspath(ca_file or ""), limit=240)
        raise TlsConfigError(f"cannot load CA file {name}: {exc}", value=ca_file) from exc
    if not verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if client_cert:
        load_client_cert(ctx, client_cert, client_key)
    return ctx


def load_client_cert(ctx: ssl.SSLContext, client_cert: PathArg, client_key: PathArg = None) -> None:
    """Present ``client_cert`` (PEM; its key in ``client_key`` or the same file) from ``ctx``."""
    cert = os.fspath(client_cert or "")
    key = os.fspath(client_key) if client_key else None
    try:
        ctx.load_cert_chain(cert, key)
    except FileNotFoundError:
        missing = key if key and os.path.exists(cert) else cert
        raise TlsConfigError(
            f"client certificate: no such file {excerpt(missing, limit=240)}", value=missing
        ) from None
    except (OSError, ssl.SSLError) as exc:
        raise TlsConfigError(
            f"client certificate {excerpt(cert, limit=240)}: not a PEM certificate and key: {exc}",
            value=cert,
        ) from None


def httpx_verify(
    ca_file: PathArg = None,
    *,
    verify: bool = True,
    client_cert: PathArg = None,
    client_key: PathArg = None,
) -> ssl.SSLContext | bool:
    """What httpx's ``verify=`` gets: a context for a CA file or a client certificate, else the
    flag itself (httpx then uses its own default trust store, or none)."""
    if client_cert:
        return client_context(
            ca_file, verify=verify, client_cert=client_cert, client_key=client_key
        )
    if ca_file and verify:
        return client_context(ca_file)
    return verify
