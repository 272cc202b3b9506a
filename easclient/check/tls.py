"""The TLS steps: the handshake and the chain as the server presents it, trust, dates, and whether
the certificate names what the device used to reach the server.

Two handshakes: one that accepts anything (to see what is presented, as a device sees it before
judging), and one that verifies the chain against the trust store (``--ca-file`` or the system's)
to get OpenSSL's own verdict. Names and dates are judged here from the parsed certificate, so each
problem gets its own step and its own plain-words explanation.
"""

from __future__ import annotations

import _ssl
import datetime as dt
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.x509.oid import NameOID

from easclient.errors import EasError
from easclient.tls import client_context

from .context import CheckContext
from .report import Result, Step

# OpenSSL X509_V_ERR_* codes we explain (include/openssl/x509_vfy.h).
_NOT_YET_VALID = 9
_EXPIRED = 10
_SELF_SIGNED = 18
_SELF_SIGNED_IN_CHAIN = 19
_NO_LOCAL_ISSUER = 20
_CANNOT_VERIFY_LEAF = 21


@dataclass
class CertInfo:
    """The facts of one certificate that the steps talk about."""

    subject: str
    issuer: str
    not_before: dt.datetime
    not_after: dt.datetime
    dns_names: list[str]
    ip_addresses: list[str]
    common_name: str | None
    has_san: bool

    @property
    def self_signed(self) -> bool:
        return self.subject == self.issuer

    @property
    def names(self) -> list[str]:
        """Everything the certificate names, as a person would list it."""
        names = self.dns_names + self.ip_addresses
        if not self.has_san and self.common_name:
            names.append(self.common_name)
        return names

    def to_dict(self) -> dict[str, object]:
        return {
            "subject": self.subject,
            "issuer": self.issuer,
            "not_before": self.not_before.isoformat(),
            "not_after": self.not_after.isoformat(),
            "dns_names": self.dns_names,
            "ip_addresses": self.ip_addresses,
        }


def parse_cert(der: bytes) -> CertInfo:
    cert = x509.load_der_x509_certificate(der)
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        dns_names = san.get_values_for_type(x509.DNSName)
        ips = [str(ip) for ip in san.get_values_for_type(x509.IPAddress)]
        has_san = True
    except x509.ExtensionNotFound:
        dns_names, ips, has_san = [], [], False
    cns = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    cn = cns[0].value if cns else None
    return CertInfo(
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        dns_names=list(dns_names),
        ip_addresses=ips,
        common_name=str(cn) if cn is not None else None,
        has_san=has_san,
    )


def _dns_name_matches(pattern: str, host: str) -> bool:
    """RFC 6125 6.4: case-insensitive; a wildcard only as a whole left-most label."""
    pattern, host = pattern.lower().rstrip("."), host.lower().rstrip(".")
    if pattern == host:
        return True
    if pattern.startswith("*.") and "*" not in pattern[2:]:
        first, _, rest = host.partition(".")
        return bool(first) and rest == pattern[2:] and rest.count(".") >= 1
    return False


def name_in_cert(cert: CertInfo, used: str) -> bool:
    """Would a modern client accept ``cert`` for ``used`` (a host name or an IP address)?

    Addresses must be iPAddress SAN entries; names must match a dNSName SAN entry. The subject's
    Common Name counts only when there is no SAN at all (legacy; see the name step's warning).
    """
    try:
        ip = ipaddress.ip_address(used)
    except ValueError:
        ip = None
    if ip is not None:
        return any(ipaddress.ip_address(a) == ip for a in cert.ip_addresses)
    if cert.has_san:
        return any(_dns_name_matches(p, used) for p in cert.dns_names)
    return cert.common_name is not None and _dns_name_matches(cert.common_name, used)


@dataclass
class TlsFacts:
    """What the handshakes showed."""

    version: str
    cipher: str
    chain: list[CertInfo]
    verify_code: int | None = None
    verify_message: str | None = None
    trust_store: str = "the system trust store"
    seconds: float = 0.0
    data: dict[str, object] = field(default_factory=dict)


class TlsHandshakeError(EasError):
    """The TLS handshake itself failed; the message is for people."""


def _connect(address: str, port: int, timeout: float) -> socket.socket:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect((address, port))
    except OSError:
        sock.close()
        raise
    return sock


def _presented_chain(tls: ssl.SSLSocket) -> list[bytes]:
    # Python 3.13 makes this public; 3.10-3.12 have it on the underlying _ssl object.
    getter = getattr(tls, "get_unverified_chain", None) or getattr(
        getattr(tls, "_sslobj", None), "get_unverified_chain", None
    )
    if getter is not None:
        chain = getter() or []
        return [c if isinstance(c, bytes) else c.public_bytes(_ssl.ENCODING_DER) for c in chain]
    leaf = tls.getpeercert(binary_form=True)
    return [leaf] if leaf else []


def _speaks_plain_http(address: str, port: int, timeout: float) -> bool:
    try:
        with _connect(address, port, timeout) as sock:
            sock.sendall(b"HEAD / HTTP/1.0\r\n\r\n")
            return sock.recv(5) == b"HTTP/"
    except OSError:
        return False


def inspect_tls(
    address: str, port: int, server_name: str | None, ca_file: str | None, timeout: float
) -> TlsFacts:
    """Handshake with ``address`` sending SNI ``server_name``; see the chain, then verify it."""
    look = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    look.check_hostname = False
    look.verify_mode = ssl.CERT_NONE
    start = time.perf_counter()
    try:
        with (
            _connect(address, port, timeout) as raw,
            look.wrap_socket(raw, server_hostname=server_name) as tls,
        ):
            seconds = time.perf_counter() - start
            version = tls.version() or "?"
            cipher = (tls.cipher() or ("?",))[0]
            chain = [parse_cert(der) for der in _presented_chain(tls)]
    except ssl.SSLError as exc:
        if _speaks_plain_http(address, port, timeout):
            raise TlsHandshakeError(
                "the server answered in plain HTTP, not TLS: this port serves http://"
            ) from None
        raise TlsHandshakeError(f"TLS handshake failed: {exc.reason or exc}") from None
    except TimeoutError:
        raise TlsHandshakeError(f"no TLS answer in {timeout:g}s") from None
    except OSError as exc:
        raise TlsHandshakeError(
            f"the connection broke during the TLS handshake: {exc.strerror or exc}"
        ) from None
    facts = TlsFacts(version=version, cipher=cipher, chain=chain, seconds=seconds)
    verify = client_context(ca_file)
    verify.check_hostname = False  # names are judged separately, in plain words
    facts.trust_store = f"the CA file {ca_file}" if ca_file else "the system trust store"
    try:
        with (
            _connect(address, port, timeout) as raw,
            verify.wrap_socket(raw, server_hostname=server_name),
        ):
            pass
    except ssl.SSLCertVerificationError as exc:
        facts.verify_code = exc.verify_code
        facts.verify_message = exc.verify_message
    except (ssl.SSLError, OSError) as exc:
        facts.verify_code = -1
        facts.verify_message = str(exc)
    return facts


def _name_used(ctx: CheckContext) -> str:
    return ctx.target.host


def _chain_text(chain: list[CertInfo]) -> str:
    parts = []
    for i, cert in enumerate(chain, 1):
        who = cert.common_name or cert.subject
        parts.append(f"{i}. {who} (issued by {_issuer_cn(cert)})")
    return "; ".join(parts) if parts else "no certificate"


def _issuer_cn(cert: CertInfo) -> str:
    for part in cert.issuer.split(","):
        if part.startswith("CN="):
            return part[3:]
    return cert.issuer


def tls_step(ctx: CheckContext) -> Step:
    """The handshake: protocol version, cipher, and the chain as presented."""
    title = "TLS handshake"
    if not ctx.target.tls:
        return Step(
            "tls",
            title,
            Result.WARN,
            "the URL is plain http://: no TLS",
            why="Basic authentication sends the password in clear text to anyone on the path; "
            "most devices insist on HTTPS.",
            fix="Serve EAS over https:// with a certificate that names the public host name.",
            required=False,
        )
    if ctx.connect_address is None:
        return Step("tls", title, Result.SKIP, "no TCP connection to try TLS on")
    server_name = None if ctx.target.host_is_address else ctx.target.host
    try:
        facts = inspect_tls(
            ctx.connect_address,
            ctx.target.port,
            server_name,
            ctx.options.ca_file,
            ctx.options.connect_timeout,
        )
    except TlsHandshakeError as exc:
        ctx.tls_ok = False
        plain = "plain HTTP" in str(exc)
        return Step(
            "tls",
            title,
            Result.FAIL,
            str(exc),
            why="Devices cannot set up TLS, so nothing reaches the server.",
            fix="Use http:// in the URL if this port really serves plain HTTP (and fix that), "
            "or point the URL at the HTTPS port."
            if plain
            else "Check that the server (or the firewall in front of it) offers TLS 1.2 or "
            "later on this port with a certificate installed.",
        )
    ctx.tls_ok = True
    ctx.facts["tls"] = facts
    data = {
        "version": facts.version,
        "cipher": facts.cipher,
        "sni": server_name,
        "chain": [c.to_dict() for c in facts.chain],
    }
    seen = f"{facts.version}, {facts.cipher}; chain as presented: {_chain_text(facts.chain)}"
    if facts.version in ("SSLv3", "TLSv1", "TLSv1.1"):
        return Step(
            "tls",
            title,
            Result.WARN,
            seen,
            why=f"{facts.version} is obsolete; current iOS and Android refuse it.",
            fix="Enable TLS 1.2 and 1.3 on the server or the firewall that terminates TLS.",
            data=data,
        )
    return Step("tls", title, Result.PASS, seen, data=data)


def _blocking(ctx: CheckContext, step: Step) -> Step:
    """Remember a required TLS failure: devices stop there, so the EAS steps are skipped."""
    if step.result is Result.FAIL and step.required:
        ctx.facts.setdefault("tls_problem", step.title)
    return step


def tls_trust_step(ctx: CheckContext) -> Step:
    """Does the chain verify against the trust store?"""
    return _blocking(ctx, _tls_trust(ctx))


def tls_name_step(ctx: CheckContext) -> Step:
    """Is the name (or address) the device used in the certificate? Said in plain words if not."""
    return _blocking(ctx, _tls_name(ctx))


def tls_dates_step(ctx: CheckContext, now: dt.datetime | None = None) -> Step:
    """Every presented certificate inside its validity; warn when the leaf is close to expiry."""
    return _blocking(ctx, _tls_dates(ctx, now))


def _tls_trust(ctx: CheckContext) -> Step:
    title = "TLS chain trust"
    facts: TlsFacts | None = ctx.facts.get("tls")
    required = not ctx.options.insecure
    if facts is None:
        return Step("tls-trust", title, Result.SKIP, "no TLS session", required=False)
    data = {"trust_store": facts.trust_store, "verify_code": facts.verify_code}
    insecure = " (--insecure: reported, not required)" if ctx.options.insecure else ""
    if facts.verify_code is None:
        return Step(
            "tls-trust",
            title,
            Result.PASS,
            f"the chain verifies against {facts.trust_store}",
            required=required,
            data=data,
        )
    code, message = facts.verify_code, facts.verify_message
    if code in (_EXPIRED, _NOT_YET_VALID):
        return Step(
            "tls-trust",
            title,
            Result.SKIP,
            f"not judged: verification stopped at the certificate's dates ({message}); see the "
            "dates step",
            required=False,
            data=data,
        )
    leaf = facts.chain[0] if facts.chain else None
    why = "Devices that do not trust the issuer refuse the connection or make users accept a "
    why += "warning, which many mail apps do not offer."
    if code in (_SELF_SIGNED, _SELF_SIGNED_IN_CHAIN):
        seen = f"the certificate is self-signed ({message})"
        fix = "Install a certificate from a CA the devices trust, or give --ca-file with the CA "
        fix += "if this is your private CA (and deploy that CA to every device)."
    elif code in (_NO_LOCAL_ISSUER, _CANNOT_VERIFY_LEAF) and (
        leaf is not None and not leaf.self_signed and len(facts.chain) == 1
    ):
        seen = (
            f"the server sends only its own certificate, issued by {_issuer_cn(leaf)}, which "
            f"{facts.trust_store} does not hold ({message})"
        )
        why = "If the issuer is an intermediate CA, devices that do not fetch missing "
        why += "intermediates (Android, most phones) fail TLS."
        fix = "Configure the server (or the firewall that terminates TLS) to send the "
        fix += "intermediate certificates with its own; or give --ca-file for a private CA."
    elif code in (_NO_LOCAL_ISSUER, _CANNOT_VERIFY_LEAF):
        seen = f"issued by a CA that {facts.trust_store} does not trust ({message})"
        fix = "Use a certificate from a public CA, or give --ca-file with your private CA "
        fix += "(and deploy that CA to every device)."
    else:
        seen = f"the chain does not verify against {facts.trust_store}: {message}"
        fix = "Install a valid certificate chain from a CA the devices trust."
    return Step(
        "tls-trust",
        title,
        Result.FAIL,
        seen + insecure,
        why=why,
        fix=fix,
        required=required,
        data=data,
    )


def _tls_name(ctx: CheckContext) -> Step:
    title = "TLS certificate name"
    facts: TlsFacts | None = ctx.facts.get("tls")
    if facts is None or not facts.chain:
        return Step("tls-name", title, Result.SKIP, "no certificate to check", required=False)
    leaf = facts.chain[0]
    used = _name_used(ctx)
    by_address = ctx.target.host_is_address
    names = leaf.names
    data = {"used": used, "names": names, "san": leaf.has_san}
    required = not ctx.options.insecure
    listed = ", ".join(names) if names else "no name at all"
    if name_in_cert(leaf, used):
        if not leaf.has_san:
            return Step(
                "tls-name",
                title,
                Result.WARN,
                f"{used} is only in the subject's Common Name; the certificate has no Subject "
                "Alternative Name",
                why="Current iOS, Android and browsers ignore the Common Name and fail TLS.",
                fix=f"Reissue the certificate with {used} as a Subject Alternative Name.",
                required=required,
                data=data,
            )
        return Step(
            "tls-name",
            title,
            Result.PASS,
            f"{used} is in the certificate ({listed})",
            required=required,
            data=data,
        )
    if by_address:
        seen = f"the certificate names {listed} but you connected to {used}"
        why = (
            "Devices that reach the server by address fail TLS: a certificate must list an "
            "address to be valid for it, and this one lists only names."
            if not leaf.ip_addresses
            else "Devices that reach the server by this address fail TLS."
        )
        fix = "Set devices up with the host name the certificate names (and publish it in DNS)"
        fix += ", or use a certificate that lists this address (public CAs rarely issue them)."
    else:
        seen = f"the certificate names {listed} but the device asked for {used}"
        if not leaf.has_san and leaf.common_name:
            seen += " (the name is only in the Common Name)"
        why = (
            "Devices fail TLS (or users learn to click through warnings). A classic cause: a "
            "NAT or firewall forwards the public name to a server whose certificate names its "
            "internal name, or a proxy presents its own certificate."
        )
        fix = (
            f"Install a certificate whose Subject Alternative Name lists {used} on the server, "
            "or on the firewall/proxy that terminates TLS."
        )
    if ctx.target.pinned:
        seen += f" (connected to {ctx.target.pinned} with SNI {used})"
    return Step(
        "tls-name",
        title,
        Result.FAIL,
        seen,
        why=why,
        fix=fix,
        required=required,
        data=data,
    )


def _tls_dates(ctx: CheckContext, now: dt.datetime | None) -> Step:
    title = "TLS certificate dates"
    facts: TlsFacts | None = ctx.facts.get("tls")
    if facts is None or not facts.chain:
        return Step("tls-dates", title, Result.SKIP, "no certificate to check", required=False)
    now = now or dt.datetime.now(dt.UTC)
    leaf = facts.chain[0]
    data = {"not_after": leaf.not_after.isoformat(), "days_left": (leaf.not_after - now).days}
    for i, cert in enumerate(facts.chain):
        which = "the server's certificate" if i == 0 else f"chain certificate {i + 1}"
        who = cert.common_name or cert.subject
        if cert.not_after < now:
            return Step(
                "tls-dates",
                title,
                Result.FAIL,
                f"{which} ({who}) expired on {cert.not_after:%Y-%m-%d %H:%M} UTC",
                why="Every device refuses an expired certificate: sync stops for everyone.",
                fix="Renew the certificate and install the new one (with its intermediates) on "
                "the server and on any firewall that terminates TLS.",
                data=data,
            )
        if cert.not_before > now:
            return Step(
                "tls-dates",
                title,
                Result.FAIL,
                f"{which} ({who}) is not valid before {cert.not_before:%Y-%m-%d %H:%M} UTC",
                why="Devices refuse it until then (or the server's clock is wrong).",
                fix="Check the clocks of the server and of the CA; reissue if the dates are wrong.",
                data=data,
            )
    soonest = min(facts.chain, key=lambda c: c.not_after)
    days = (soonest.not_after - now).days
    if days < ctx.options.expiry_warn_days:
        return Step(
            "tls-dates",
            title,
            Result.WARN,
            f"{soonest.common_name or soonest.subject} expires in {days} days "
            f"({soonest.not_after:%Y-%m-%d} UTC)",
            why="When it expires every device stops syncing at once.",
            fix="Renew it now and install the new certificate before that date.",
            data=data,
        )
    return Step(
        "tls-dates",
        title,
        Result.PASS,
        f"valid until {leaf.not_after:%Y-%m-%d} UTC ({(leaf.not_after - now).days} days)",
        data=data,
    )
