"""The one place a client-side TLS context is made (the device, `eas check`, the matrix, the
mock's control client, the load generator, the NAT's TLS bridge).

``ca_file`` adds a private CA (PEM) to trust instead of the system's store; ``verify=False``
turns checking off (testing only). A CA file that cannot be read is a :class:`TlsConfigError`
naming it, not an ``ssl`` traceback.
"""

from __future__ import annotations

import os
import ssl

from easclient.errors import EasError, excerpt

__all__ = ["TlsConfigError", "client_context", "httpx_verify"]


class TlsConfigError(EasError):
    """A CA file that cannot be loaded; ``value`` is its name."""


def client_context(
    ca_file: str | os.PathLike[str] | None = None, *, verify: bool = True
) -> ssl.SSLContext:
    """A client context: the system trust store, or ``ca_file``; with ``verify=False`` no
    certificate or name is checked."""
    try:
        ctx = ssl.create_default_context(cafile=os.fspath(ca_file) if ca_file else None)
    except (OSError, ssl.SSLError) as exc:
        name = excerpt(os.fspath(ca_file or ""), limit=240)
        raise TlsConfigError(f"cannot load CA file {name}: {exc}", value=ca_file) from exc
    if not verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


def httpx_verify(
    ca_file: str | os.PathLike[str] | None = None, *, verify: bool = True
) -> ssl.SSLContext | bool:
    """What httpx's ``verify=`` gets: a context for a CA file, else the flag itself (httpx then
    uses its own default trust store, or none)."""
    if ca_file and verify:
        return client_context(ca_file)
    return verify
