"""The network steps: DNS (every address, private or public) and TCP connect to each address."""

from __future__ import annotations

import ipaddress
import socket
import time
from typing import Any

from .context import CheckContext
from .report import Result, Step

#: Documentation ranges (RFC 5737, RFC 3849): Python counts them as "private"; say what they are.
_DOCUMENTATION = [
    ipaddress.ip_network(n)
    for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
]
_SHARED = ipaddress.ip_network("100.64.0.0/10")  # RFC 6598 carrier-grade NAT space

MAX_ADDRESSES = 8  # connect to at most this many addresses: a round-robin record can be long


def classify(address: str) -> str:
    """One word for where an address lives: public, private, loopback, cgnat, link-local, ..."""
    ip = ipaddress.ip_address(address)
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if any(ip in net for net in _DOCUMENTATION):
        return "documentation"
    if ip.version == 4 and ip in _SHARED:
        return "cgnat"
    if ip.is_private:
        return "private"
    if ip.is_global:
        return "public"
    return "reserved"


def _family(address: str) -> str:
    return "AAAA" if ipaddress.ip_address(address).version == 6 else "A"


def resolve(host: str, port: int) -> list[str]:
    """Every address getaddrinfo gives for ``host``, A and AAAA, in its order, without repeats."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: list[str] = []
    for *_, sockaddr in infos:
        addr = str(ipaddress.ip_address(sockaddr[0]))
        if addr not in seen:
            seen.append(addr)
    return seen


def _describe(addresses: list[str]) -> str:
    return ", ".join(f"{_family(a)} {a} ({classify(a)})" for a in addresses)


def dns_step(ctx: CheckContext) -> Step:
    """Resolve the URL's host; with ``--resolve`` use the pinned address and compare."""
    target = ctx.target
    title = "DNS"
    if target.host_is_address:
        addr = str(ipaddress.ip_address(target.host))
        ctx.addresses = [addr]
        return Step(
            "dns",
            title,
            Result.PASS,
            f"the URL names an address, no DNS: {_describe([addr])}",
            why="Devices set up with an address instead of a name break when the address "
            "changes, and the certificate must name that address (see the TLS steps).",
            data={"addresses": [{"address": addr, "kind": classify(addr)}]},
        )
    error = None
    try:
        found = (ctx.resolver or resolve)(target.host, target.port)
    except (socket.gaierror, UnicodeError) as exc:
        found, error = [], exc
    data = {
        "host": target.host,
        "addresses": [{"address": a, "family": _family(a), "kind": classify(a)} for a in found],
    }
    if target.pinned:
        data["pinned"] = target.pinned
        ctx.addresses = [target.pinned]
        if error is not None:
            return Step(
                "dns",
                title,
                Result.WARN,
                f"using --resolve {target.host}:{target.pinned}; DNS itself does not resolve "
                f"{target.host} ({error})",
                why="The device reaches the server only through its cached address; once the "
                "cache expires it cannot find the server at all.",
                fix=f"Publish an A/AAAA record for {target.host} in the DNS the devices use.",
                data=data,
            )
        if target.pinned not in found:
            return Step(
                "dns",
                title,
                Result.WARN,
                f"using the cached address {target.pinned} ({classify(target.pinned)}); DNS now "
                f"says {_describe(found)}",
                why="A device that cached DNS across a change of the server's public address "
                "keeps connecting to the old one until its cache (or the device) is reset.",
                fix="Keep DNS TTLs short for the EAS host, keep the public address static, or "
                "have the old address forward for a while after a change.",
                data=data,
            )
        return Step(
            "dns",
            title,
            Result.PASS,
            f"the cached address {target.pinned} is among DNS's answers: {_describe(found)}",
            data=data,
        )
    if error is not None:
        return Step(
            "dns",
            title,
            Result.FAIL,
            f"{target.host} does not resolve: {error}",
            why="Devices cannot find the server.",
            fix=f"Publish an A (and, if reachable over IPv6, AAAA) record for {target.host} in "
            "the DNS the devices use, inside and outside the network.",
            data=data,
        )
    ctx.addresses = found
    kinds = {classify(a) for a in found}
    if "public" in kinds and kinds & {"private", "cgnat", "link-local"}:
        return Step(
            "dns",
            title,
            Result.WARN,
            f"{target.host} has public and private addresses: {_describe(found)}",
            why="A device gets one of them at random; on mobile data the private ones are "
            "unreachable, and inside the network the public one may not hairpin through the NAT.",
            fix="Serve private addresses only from internal DNS (split DNS) and public ones "
            "only from external DNS.",
            data=data,
        )
    note = ""
    if kinds == {"loopback"}:
        note = "; this machine only"
    elif kinds <= {"private", "loopback", "link-local", "cgnat"}:
        note = (
            "; reachable only from this network or over VPN (devices on mobile data need a "
            "public address in external DNS)"
        )
    return Step("dns", title, Result.PASS, f"{_describe(found)}{note}", data=data)


def connect_once(address: str, port: int, timeout: float) -> float:
    """Open and close one TCP connection; return the seconds the handshake took."""
    family = socket.AF_INET6 if ipaddress.ip_address(address).version == 6 else socket.AF_INET
    start = time.perf_counter()
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect((address, port))
        return time.perf_counter() - start


def _connect_error(exc: OSError, timeout: float) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "refused (nothing listens on that port, or a firewall rejects)"
    if isinstance(exc, TimeoutError):
        return f"no answer in {timeout:g}s (a firewall drops it, or the address is wrong)"
    return exc.strerror or str(exc)


def tcp_step(ctx: CheckContext) -> Step:
    """Connect to every address (bounded); later steps use the first that accepted."""
    port = ctx.target.port
    timeout = ctx.options.connect_timeout
    results: list[dict[str, Any]] = []
    for address in ctx.addresses[:MAX_ADDRESSES]:
        try:
            took = connect_once(address, port, timeout)
            results.append({"address": address, "ok": True, "seconds": round(took, 4)})
        except OSError as exc:
            results.append({"address": address, "ok": False, "error": _connect_error(exc, timeout)})
    good = [r for r in results if r["ok"]]
    bad = [r for r in results if not r["ok"]]
    data = {"port": port, "connections": results}

    def where(addr: str) -> str:
        return f"[{addr}]:{port}" if ":" in addr else f"{addr}:{port}"

    if good:
        ctx.connect_address = good[0]["address"]
    seen_good = "; ".join(f"{where(r['address'])} in {r['seconds'] * 1000:.1f} ms" for r in good)
    seen_bad = "; ".join(f"{where(r['address'])} {r['error']}" for r in bad)
    if not good:
        return Step(
            "tcp",
            "TCP connect",
            Result.FAIL,
            seen_bad or "no address to connect to",
            why="Devices cannot open a connection to the server at all.",
            fix=f"Check that the server (or the NAT's port forward) listens on port {port} and "
            "that firewalls between here and there allow it.",
            data=data,
        )
    if bad:
        return Step(
            "tcp",
            "TCP connect",
            Result.WARN,
            f"connected: {seen_good}; failed: {seen_bad}",
            why="Devices that pick a failing address (many try only one, and IPv6 first) "
            "cannot connect, or connect only after a long timeout.",
            fix="Remove the dead addresses from DNS, or make them reach the server.",
            data=data,
        )
    return Step("tcp", "TCP connect", Result.PASS, f"connected: {seen_good}", data=data)
