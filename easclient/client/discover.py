"""Autodiscover over the network: an e-mail address in, the ActiveSync URL out, and a record of
every candidate tried (URL, DNS answer, TLS result, HTTP status, time, outcome).

The order and the redirect rules live in :class:`easclient.protocol.autodiscover.Discovery`;
this module only moves its bytes: DNS through dnspython (SRV always; A/AAAA too when a
nameserver is given, so a test can point the whole run at a DNS server of its own), HTTP through
httpx. ``connect_to`` reproduces curl's ``--connect-to HOST:PORT:ADDR:PORT``: the URL, Host
header and TLS SNI keep the name while the connection goes elsewhere.

:func:`remember` / :func:`recall` keep the answer in the device state, and
:class:`RediscoveringTransport` re-runs Autodiscover when the saved URL stops working (a network
error, or a 451 without a usable X-MS-Location), as devices do (EAS-FACTS §11).
"""

from __future__ import annotations

import ipaddress
import re
import socket
import ssl
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import httpcore
import httpx

from easclient.errors import EasError, excerpt
from easclient.protocol import EasRequest, EasResponse
from easclient.protocol.autodiscover import (
    MAX_AUTODISCOVER_BYTES,
    MAX_HOPS,
    AutodiscoverError,
    Candidate,
    CandidateKind,
    Discovery,
    SrvRecord,
    build_autodiscover_request,
    parse_autodiscover_response,
    parse_autodiscover_v2,
)

from .heartbeat import PingOutcome
from .state import MetaValues
from .transport import Auth, NetworkError, Transport

__all__ = [
    "Attempt",
    "DiscoveryError",
    "DiscoveryOptions",
    "DiscoveryResult",
    "RediscoveringTransport",
    "discover",
    "is_email",
    "parse_connect_to",
    "parse_dns_server",
    "recall",
    "remember",
]

_REDIRECTS = (301, 302, 303, 307, 308)
#: What a device sends; servers log it.
DEFAULT_USER_AGENT = "easclient-autodiscover"


class DiscoveryError(EasError):
    """A discovery setting we cannot use (``--connect-to``, ``--dns-server``, the address)."""


def is_email(text: str) -> bool:
    """True when what the user typed is an e-mail address rather than a URL or host."""
    return "@" in text and "://" not in text and "/" not in text


_CONNECT_TO = re.compile(r"^(\[[^\]]*\]|[^:\[\]]*):(\d*):(\[[^\]]+\]|[^:\[\]]+):(\d+)$")


def parse_connect_to(entries: Iterable[str]) -> dict[tuple[str, int], tuple[str, int]]:
    """curl's ``HOST1:PORT1:HOST2:PORT2`` entries; an empty HOST1 (or PORT1) matches any.

    Keys are ``(host or "", port or 0)``; the value is where to connect instead."""
    out: dict[tuple[str, int], tuple[str, int]] = {}
    for entry in entries:
        m = _CONNECT_TO.match(entry.strip())
        if m is None:
            raise DiscoveryError(
                f"--connect-to wants HOST1:PORT1:HOST2:PORT2, got {excerpt(entry)}"
            )
        host1, port1, host2, port2 = (g.strip("[]") for g in m.groups())
        p1, p2 = int(port1 or 0), int(port2)
        if not (0 <= p1 <= 65535 and 0 < p2 <= 65535):
            raise DiscoveryError(f"--connect-to {excerpt(entry)}: port out of range")
        out[(host1.lower(), p1)] = (host2, p2)
    return out


def parse_dns_server(text: str) -> tuple[str, int]:
    """``HOST[:PORT]`` or ``[V6]:PORT`` of a nameserver (HOST must be an address)."""
    host, port = text, "53"
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = rest.removeprefix(":") or "53"
    elif text.count(":") == 1:
        host, port = text.split(":")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise DiscoveryError(f"--dns-server {excerpt(text)}: HOST must be an IP address") from None
    if not port.isdigit() or not 0 < int(port) <= 65535:
        raise DiscoveryError(f"--dns-server {excerpt(text)}: bad port")
    return host, int(port)


@dataclass
class DiscoveryOptions:
    """How to run Autodiscover (the CLI's flags, as values)."""

    auth: Auth | None = None
    verify: bool = True
    ca_file: str | None = None
    #: seconds for each connection and answer
    timeout: float = 10.0
    #: the whole run's deadline, seconds
    deadline: float = 90.0
    #: a nameserver (address, port) for every lookup; None: the system's
    dns_server: tuple[str, int] | None = None
    connect_to: Mapping[tuple[str, int], tuple[str, int]] = field(default_factory=dict)
    max_hops: int = MAX_HOPS
    user_agent: str = DEFAULT_USER_AGENT


@dataclass
class Attempt:
    """One candidate tried."""

    kind: str
    method: str
    url: str
    email: str
    dns: str = ""
    tls: str | None = None
    http_status: int | None = None
    seconds: float = 0.0
    outcome: str = ""
    ok: bool = False

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["seconds"] = round(self.seconds, 3)
        return d


@dataclass
class DiscoveryResult:
    """What one discovery found: ``url`` (None when nothing answered) and every attempt."""

    email: str
    url: str | None
    attempts: list[Attempt]
    winner: Attempt | None
    reason: str
    addresses: list[str]
    seconds: float

    @property
    def found(self) -> bool:
        return self.url is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "email": self.email,
            "found": self.found,
            "url": self.url,
            "reason": self.reason,
            "addresses": self.addresses,
            "seconds": round(self.seconds, 3),
            "winner": None if self.winner is None else self.winner.to_dict(),
            "attempts": [a.to_dict() for a in self.attempts],
        }


# -- DNS -----------------------------------------------------------------------------------


class _Dns:
    """A/AAAA and SRV lookups, through one nameserver when given, else the system's."""

    def __init__(self, server: tuple[str, int] | None, timeout: float) -> None:
        import dns.resolver

        self.server = server
        if server is not None:
            self.resolver = dns.resolver.Resolver(configure=False)
            self.resolver.nameservers = [server[0]]
            self.resolver.port = server[1]
        else:
            try:
                self.resolver = dns.resolver.Resolver()
            except dns.resolver.NoResolverConfiguration:
                self.resolver = dns.resolver.Resolver(configure=False)
        self.resolver.lifetime = timeout
        self.resolver.timeout = timeout

    def addresses(self, host: str) -> list[str]:
        """Every address for ``host`` (A then AAAA); raises OSError with a reason when none."""
        if self.server is None:
            try:
                infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
            except (socket.gaierror, UnicodeError) as exc:
                raise OSError(f"no address: {exc}") from None
            return list(dict.fromkeys(str(i[4][0]) for i in infos))
        import dns.exception
        import dns.resolver

        found: list[str] = []
        reasons: list[str] = []
        for rdtype in ("A", "AAAA"):
            try:
                answer = self.resolver.resolve(host, rdtype, search=False)
            except dns.resolver.NXDOMAIN:
                raise OSError("NXDOMAIN (no such name)") from None
            except dns.resolver.NoAnswer:
                continue
            except dns.exception.DNSException as exc:
                reasons.append(f"{rdtype}: {type(exc).__name__}")
                continue
            found += [r.to_text() for r in answer]
        if not found:
            raise OSError("no A/AAAA record" + (f" ({', '.join(reasons)})" if reasons else ""))
        return found

    def srv(self, name: str) -> list[SrvRecord]:
        import dns.exception
        import dns.resolver

        try:
            answer = self.resolver.resolve(name, "SRV", search=False)
        except dns.resolver.NXDOMAIN:
            raise OSError("NXDOMAIN (no such name)") from None
        except dns.resolver.NoAnswer:
            raise OSError("no SRV record") from None
        except dns.exception.DNSException as exc:
            raise OSError(f"SRV lookup failed: {type(exc).__name__}: {exc}") from None
        return [SrvRecord(r.priority, r.weight, r.port, r.target.to_text()) for r in answer][:32]


# -- HTTP ----------------------------------------------------------------------------------


class _Backend(httpcore.NetworkBackend):
    """Connects each (host, port) where discovery decided (DNS answer or --connect-to)."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, int], list[tuple[str, int]]] = {}
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        targets = self.routes.get((host.lower(), port)) or [(host, port)]
        error: Exception | None = None
        for addr, p in targets[:8]:
            try:
                return self._inner.connect_tcp(addr, p, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        assert error is not None
        raise error

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are not used by discovery")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def _ssl_context(options: DiscoveryOptions) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=options.ca_file if options.verify else None)
    if not options.verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


def _describe_exc(exc: BaseException) -> tuple[str, str | None]:
    """(outcome text, TLS text or None) for an httpx failure."""
    seen: BaseException | None = exc
    for _ in range(6):
        if seen is None:
            break
        if isinstance(seen, ssl.SSLCertVerificationError):
            why = seen.verify_message or str(seen)
            return f"TLS failed: certificate not trusted ({why})", f"failed: {why}"
        if isinstance(seen, ssl.SSLError):
            return f"TLS failed: {seen.reason or seen}", f"failed: {seen.reason or seen}"
        seen = seen.__cause__ or seen.__context__
    text = str(exc) or type(exc).__name__
    if "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text:
        return f"TLS failed: {text}", f"failed: {text}"
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out ({type(exc).__name__})", None
    if isinstance(exc, httpx.ConnectError):
        return f"cannot connect: {text}", None
    return f"{type(exc).__name__}: {text}", None


def _tls_of(response: httpx.Response, verify: bool) -> str | None:
    stream = response.extensions.get("network_stream")
    if stream is None:
        return None
    obj = stream.get_extra_info("ssl_object")
    if obj is None:
        return None
    version = obj.version() or "TLS"
    cipher = (obj.cipher() or ("?",))[0]
    trust = "certificate verified" if verify else "certificate NOT verified (--insecure)"
    return f"{version} {cipher}, {trust}"


class _Runner:
    """One discovery run's I/O."""

    def __init__(self, options: DiscoveryOptions, clock: Callable[[], float]) -> None:
        self.options = options
        self.clock = clock
        self.dns = _Dns(options.dns_server, options.timeout)
        self.backend = _Backend()
        transport = httpx.HTTPTransport()
        # httpx has no public hook for the network backend: rebuild its pool with ours
        # (httpcore's public API), no keep-alive so every candidate's TLS result is its own.
        transport._pool = httpcore.ConnectionPool(
            ssl_context=_ssl_context(options),
            max_connections=4,
            max_keepalive_connections=0,
            network_backend=self.backend,
        )
        self.client = httpx.Client(transport=transport, follow_redirects=False)

    def close(self) -> None:
        self.client.close()

    def _route(self, url: httpx.URL, attempt: Attempt) -> bool:
        """Decide where ``url`` connects; record the DNS answer. False when it cannot."""
        host = url.host
        port = url.port or (443 if url.scheme == "https" else 80)
        ct = self.options.connect_to
        target = ct.get((host.lower(), port)) or ct.get((host.lower(), 0)) or ct.get(("", port))
        target = target or ct.get(("", 0))
        if target is not None:
            attempt.dns = f"--connect-to {host}:{port} → {target[0]}:{target[1]}"
            self.backend.routes[(host.lower(), port)] = [target]
            return True
        try:
            ipaddress.ip_address(host)
            attempt.dns = f"{host} (an address, no DNS)"
            return True
        except ValueError:
            pass
        try:
            found = self.dns.addresses(host)
        except OSError as exc:
            attempt.dns = f"{host}: {exc}"
            attempt.outcome = "no address for the host: nothing to connect to"
            return False
        kinds = ", ".join(f"{'AAAA' if ':' in a else 'A'} {a}" for a in found[:8])
        attempt.dns = f"{host}: {kinds}"
        self.backend.routes[(host.lower(), port)] = [(a, port) for a in found[:8]]
        return True

    def _read(self, response: httpx.Response, until: float) -> bytes:
        """The body, bounded in size and in time as a whole (a peer dripping a byte at a
        time under the read timeout must not hold the run)."""
        coding = response.headers.get("content-encoding", "identity").strip().lower()
        if coding not in ("", "identity"):
            raise AutodiscoverError(f"the answer is {excerpt(coding)}-encoded; identity was asked")
        body = bytearray()
        for chunk in response.iter_raw(4096):
            body += chunk
            if len(body) > MAX_AUTODISCOVER_BYTES:
                raise AutodiscoverError(
                    f"the answer is larger than {MAX_AUTODISCOVER_BYTES:,} bytes: refused"
                )
            if self.clock() > until:
                raise AutodiscoverError("the answer took longer than the timeout: refused")
        return bytes(body)

    def http(self, machine: Discovery, cand: Candidate, attempt: Attempt, timeout: float) -> None:
        url = httpx.URL(cand.url)
        if not self._route(url, attempt):
            machine.on_failure(cand, attempt.outcome)
            return
        # identity: the body is read raw, so its size bound is the size on the wire.
        headers = {"User-Agent": self.options.user_agent, "Accept-Encoding": "identity"}
        content: bytes | None = None
        if cand.method == "POST":
            content = build_autodiscover_request(cand.email)
            headers["Content-Type"] = "text/xml"
            # Credentials only where TLS protects them (every POST candidate is https).
            if self.options.auth is not None and url.scheme == "https":
                headers["Authorization"] = self.options.auth.header()
        started = self.clock()
        request = self.client.build_request(
            cand.method, url, headers=headers, content=content, timeout=httpx.Timeout(timeout)
        )
        try:
            response = self.client.send(request, stream=True)
        except httpx.HTTPError as exc:
            attempt.outcome, attempt.tls = _describe_exc(exc)
            machine.on_failure(cand, attempt.outcome)
            return
        try:
            attempt.http_status = response.status_code
            attempt.tls = _tls_of(response, self.options.verify)
            status = response.status_code
            if status in _REDIRECTS:
                attempt.outcome = machine.on_http_redirect(
                    cand, status, response.headers.get("location")
                )
                return
            if status == 401:
                who = "the credentials were refused" if self.options.auth else "no credentials"
                attempt.outcome = f"HTTP 401: {who}"
                return
            if status != 200:
                attempt.outcome = f"HTTP {status} {response.reason_phrase}".rstrip()
                return
            body = self._read(response, started + timeout)
            if cand.kind is CandidateKind.V2_JSON:
                attempt.outcome = machine.on_v2(cand, parse_autodiscover_v2(body))
            elif cand.method == "GET":
                attempt.outcome = "HTTP 200 without a redirect: not the redirect method"
            else:
                attempt.outcome = machine.on_response(cand, parse_autodiscover_response(body))
            attempt.ok = machine.winner is cand
        except AutodiscoverError as exc:
            attempt.outcome = f"unusable answer: {exc}"
        except httpx.HTTPError as exc:
            attempt.outcome, tls = _describe_exc(exc)
            attempt.tls = attempt.tls or tls
        finally:
            response.close()

    def srv(self, machine: Discovery, cand: Candidate, attempt: Attempt) -> None:
        try:
            records = self.dns.srv(cand.url)
        except OSError as exc:
            attempt.dns = f"{cand.url}: {exc}"
            attempt.outcome = "no SRV answer"
            return
        attempt.dns = f"{cand.url}: " + ", ".join(
            f"SRV {r.priority} {r.weight} {r.port} {r.target}" for r in records[:8]
        )
        attempt.outcome = machine.on_srv(cand, records)


def discover(
    email: str,
    options: DiscoveryOptions | None = None,
    *,
    clock: Callable[[], float] = time.perf_counter,
    on_attempt: Callable[[Attempt], None] | None = None,
) -> DiscoveryResult:
    """Find the ActiveSync URL for ``email`` (MS-ASCMD 2.2.1.1; the order in
    :class:`~easclient.protocol.autodiscover.Discovery`). Never raises for what the network
    does: every failure is an :class:`Attempt`; a bad address is :class:`AutodiscoverError`."""
    options = options or DiscoveryOptions()
    machine = Discovery(email, max_hops=options.max_hops)
    runner = _Runner(options, clock)
    began = clock()
    attempts: list[Attempt] = []
    winner: Attempt | None = None
    try:
        # Bounded: at most (MAX_HOPS + 1) * (5 candidates + 4 SRV targets + 1 redirect target).
        for _ in range((options.max_hops + 1) * 12):
            cand = machine.next_candidate()
            if cand is None:
                break
            remaining = options.deadline - (clock() - began)
            attempt = Attempt(cand.kind.value, cand.method, cand.url, cand.email)
            if remaining <= 0:
                attempt.outcome = f"not tried: the {options.deadline:g} s deadline passed"
                attempts.append(attempt)
                machine.reason = f"gave up after {options.deadline:g} s"
                break
            start = clock()
            if cand.method == "SRV":
                runner.srv(machine, cand, attempt)
            else:
                runner.http(machine, cand, attempt, min(options.timeout, remaining))
            attempt.seconds = clock() - start
            attempts.append(attempt)
            if on_attempt is not None:
                on_attempt(attempt)
            if attempt.ok:
                winner = attempt
    finally:
        runner.close()
    return DiscoveryResult(
        email=email.strip(),
        url=machine.url,
        attempts=attempts,
        winner=winner,
        reason="" if machine.url else machine.reason or "no candidate answered",
        addresses=list(machine.addresses),
        seconds=clock() - began,
    )


# -- caching and re-discovery -----------------------------------------------------------------


def _key(email: str) -> str:
    return f"autodiscover.url:{email.strip().lower()}"


def remember(state: MetaValues, email: str, url: str | None) -> None:
    """Keep (or with None forget) the URL discovery found for ``email`` in the device state."""
    state.set_meta(_key(email), url)


def recall(state: MetaValues, email: str) -> str | None:
    """The URL a previous discovery found for ``email``, if any."""
    return state.get_meta(_key(email))


#: Network outcomes after which the saved URL is suspect (not a Ping the path dropped: that is
#: the heartbeat's business, and the URL is fine).
_URL_FAILURES = frozenset({PingOutcome.CONNECT_ERROR, PingOutcome.TLS_ERROR})


class RediscoveringTransport:
    """Wraps a transport whose ``base_url`` came from Autodiscover: when a request cannot
    connect (DNS, refused, TLS) or is answered 451 without a usable X-MS-Location, run
    ``rediscover()`` once, and if it finds a URL, move there and resend.

    ``rediscover`` returns the new URL or None (and is where the caller caches it)."""

    def __init__(self, inner: Transport, rediscover: Callable[[], str | None]) -> None:
        self.inner = inner
        self.rediscover = rediscover
        self.rediscovered = 0

    @property
    def base_url(self) -> str:
        return self.inner.base_url

    @base_url.setter
    def base_url(self, value: str) -> None:
        self.inner.base_url = value

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def _again(self) -> bool:
        if self.rediscovered:
            return False  # once per transport: a second failure is the answer
        self.rediscovered += 1
        url = self.rediscover()
        if not url:
            return False
        self.inner.base_url = url
        return True

    def send(self, request: EasRequest, *, read_timeout: float | None = None) -> EasResponse:
        try:
            response = self.inner.send(request, read_timeout=read_timeout)
        except NetworkError as exc:
            if exc.outcome not in _URL_FAILURES or not self._again():
                raise
            return self.inner.send(request, read_timeout=read_timeout)
        if (
            response.status_code == 451
            and not response.headers.get("X-MS-Location")
            and self._again()
        ):
            return self.inner.send(request, read_timeout=read_timeout)
        return response

    def close(self) -> None:
        self.inner.close()
