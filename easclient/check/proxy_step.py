"""The outbound-proxy step: which proxy the device's requests go through, and whether it opens a
tunnel (HTTP CONNECT, RFC 9110 9.3.6) to the server, with its status and time.

A proxy that closes idle tunnels is to Direct Push what a NAT with a short idle timeout is: the
Ping held for its heartbeat is cut, so the heartbeat probe (``--probe-heartbeat``) goes through
the same proxy to find the longest heartbeat it keeps.
"""

from __future__ import annotations

import socket
import time

import httpx

from easclient.client.netconfig import choose_proxy
from easclient.errors import EasError

from .context import CheckContext
from .report import Result, Step

NAME, TITLE = "proxy", "proxy CONNECT"
_MAX_HEAD = 8192


def shown(proxy: str) -> str:
    """The proxy URL without any user:password in it."""
    url = httpx.URL(proxy)
    return str(url.copy_with(username=None, password=None))


def _connect(proxy: httpx.URL, target: str, timeout: float) -> tuple[str, float]:
    """CONNECT ``target`` through ``proxy``: the status line, and the seconds it took."""
    port = proxy.port or (443 if proxy.scheme == "https" else 80)
    started = time.perf_counter()
    with socket.create_connection((proxy.host, port), timeout) as sock:
        sock.sendall(f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode())
        head = b""
        while b"\r\n\r\n" not in head and len(head) < _MAX_HEAD:
            chunk = sock.recv(1024)
            if not chunk:
                break
            head += chunk
    elapsed = time.perf_counter() - started
    return head.split(b"\r\n", 1)[0].decode("latin-1", "replace")[:200], elapsed


def direct_steps_optional(ctx: CheckContext, steps: list[Step]) -> None:
    """Through a proxy the device never connects to the server itself: a direct DNS, TCP or
    TLS step that failed is reported, but does not fail the check."""
    if "via_proxy" not in ctx.facts:
        return
    for step in steps:
        if step.name in DIRECT_STEPS and not step.passed and step.required:
            step.required = False
            step.seen += f" (direct; the device goes through {ctx.facts['via_proxy']})"


#: The steps that reach the server directly rather than through the proxy.
DIRECT_STEPS = frozenset({"dns", "tcp", "tls", "tls-trust", "tls-name", "tls-dates"})


def proxy_step(ctx: CheckContext) -> Step | None:
    """None (no row) when the device goes direct."""
    try:
        proxy = choose_proxy(ctx.target.base_url, ctx.options.proxy)
    except EasError as exc:
        return Step(NAME, TITLE, Result.FAIL, str(exc), fix="Give --proxy http://HOST:PORT.")
    if proxy is None:
        return None
    name = shown(proxy)
    target = f"{ctx.target.host}:{ctx.target.port}"
    if not ctx.target.tls:
        ctx.facts["via_proxy"] = name
        return Step(
            NAME,
            TITLE,
            Result.PASS,
            f"through {name}; plain HTTP goes as absolute-URI requests, no tunnel",
            required=False,
            data={"proxy": name},
        )
    url = httpx.URL(proxy)
    if url.scheme not in ("http", "https"):
        return Step(NAME, TITLE, Result.SKIP, f"{name}: not an HTTP proxy", required=False)
    try:
        status_line, seconds = _connect(url, target, ctx.options.connect_timeout)
    except OSError as exc:
        return Step(
            NAME,
            TITLE,
            Result.FAIL,
            f"cannot reach the proxy {name}: {exc.strerror or exc}",
            why="Every request of the device goes through this proxy.",
            fix="Check the proxy address (--proxy, HTTPS_PROXY) and that it is running.",
        )
    parts = status_line.split(" ", 2)
    code = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
    data = {"proxy": name, "status": code, "seconds": round(seconds, 3)}
    if code is not None and 200 <= code < 300:
        ctx.facts["via_proxy"] = name
        return Step(
            NAME,
            TITLE,
            Result.PASS,
            f"{name} opened a tunnel to {target}: {status_line} in {seconds * 1000:.0f} ms",
            why="A proxy that closes idle tunnels cuts Direct Push like a NAT does; "
            "--probe-heartbeat measures how long it keeps one.",
            seconds=seconds,
            data=data,
        )
    what = status_line or "closed without an answer"
    fix = "Allow CONNECT to the server's port on the proxy."
    if code == 407:
        fix = "The proxy wants credentials: give them in the proxy URL (http://user:pw@host:port)."
    return Step(
        NAME,
        TITLE,
        Result.FAIL,
        f"{name} refused a tunnel to {target}: {what}",
        why="Devices behind this proxy cannot reach the server.",
        fix=fix,
        seconds=seconds,
        data=data,
    )
