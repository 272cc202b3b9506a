"""An outbound HTTP proxy between the device and the server (the TLS context, trusted CAs and
the client certificate of mutual TLS, is :mod:`easclient.tls`'s job).

Proxies: an explicit ``--proxy URL`` wins; otherwise, as curl and every HTTP library do,
``HTTPS_PROXY`` / ``HTTP_PROXY`` / ``ALL_PROXY`` (either case) for the server URL's scheme, unless
``NO_PROXY`` names the server's host. An ``https://`` server is reached through the proxy with
HTTP CONNECT (RFC 9110 9.3.6), so TLS still runs end to end between device and server.
"""

from __future__ import annotations

import urllib.request

import httpx

from easclient.errors import EasError, excerpt


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
