"""The two things between the device and the server it does not speak EAS to: the TLS context
(trusted CAs, and the client certificate of mutual TLS) and an outbound HTTP proxy.

Proxies: an explicit ``--proxy URL`` wins; otherwise, as curl and every HTTP library do,
``HTTPS_PROXY`` / ``HTTP_PROXY`` / ``ALL_PROXY`` (either case) for the server URL's scheme, unless
``NO_PROXY`` names the server's host. An ``https://`` server is reached through the proxy with
HTTP CONNECT (RFC 9110 9.3.6), so TLS still runs end to end between device and server.
"""

from __future__ import annotations

import ssl
import urllib.request

import httpx

from easclient.errors import EasError, excerpt


def tls_context(
    verify: bool = True,
    ca_file: str | None = None,
    client_cert: str | None = None,
    client_key: str | None = None,
) -> ssl.SSLContext | bool:
    """What httpx's ``verify=`` gets: ``ca_file`` trusted instead of the system store, and the
    client certificate (PEM, with its key in ``client_key`` or in the same file) presented when
    the server asks for one. ``verify=False`` (testing only) still presents the certificate."""
    if not ca_file and not client_cert:
        return verify
    if verify or ca_file:
        try:
            ctx = ssl.create_default_context(cafile=ca_file or None)
        except (OSError, ssl.SSLError) as exc:
            raise EasError(f"cannot load CA file {ca_file!r}: {exc}") from exc
        if not verify:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
    else:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if client_cert:
        try:
            ctx.load_cert_chain(client_cert, client_key)
        except FileNotFoundError:
            missing = client_key if client_key and client_cert else client_cert
            raise EasError(f"client certificate: no such file {excerpt(missing)}") from None
        except (OSError, ssl.SSLError) as exc:
            raise EasError(
                f"client certificate {excerpt(client_cert)}: not a PEM certificate and key: {exc}"
            ) from None
    return ctx


def choose_proxy(url: str, proxy: str | None = None, trust_env: bool = True) -> str | None:
    """The proxy URL requests to ``url`` go through, or None for a direct connection."""
    if proxy:
        return check_proxy_url(proxy)
    if not trust_env:
        return None
    parsed = httpx.URL(url)
    env = urllib.request.getproxies_environment()
    chosen = env.get(parsed.scheme) or env.get("all")
    if not chosen:
        return None
    if bypassed(parsed.host, env.get("no", "")):
        return None
    return check_proxy_url(chosen)


def bypassed(host: str, no_proxy: str) -> bool:
    """Whether ``NO_PROXY`` (comma-separated: ``*``, host names, ``.domain`` suffixes, with or
    without a port) sends ``host`` direct, as curl reads it."""
    host = host.lower().strip("[]")
    for entry in (e.strip().lower() for e in no_proxy.split(",")):
        if not entry:
            continue
        if entry == "*":
            return True
        if entry.count(":") == 1:  # host:port (an IPv6 address has more colons)
            entry = entry.split(":")[0]
        entry = entry.strip("[]").lstrip(".")
        if host == entry or host.endswith("." + entry):
            return True
    return False


def check_proxy_url(proxy: str) -> str:
    """``proxy`` if httpx can use it (http://, https://, socks5:// with a host), else an error."""
    if "://" not in proxy:
        proxy = "http://" + proxy  # what curl assumes for HTTPS_PROXY=host:port
    try:
        parsed = httpx.URL(proxy)
    except httpx.InvalidURL as exc:
        raise EasError(f"proxy: not a URL: {excerpt(proxy)} ({exc})") from None
    if parsed.scheme not in ("http", "https", "socks5", "socks5h") or not parsed.host:
        raise EasError(f"proxy must be http(s)://host:port, got {excerpt(proxy)}")
    return proxy
