"""Autodiscover, sans I/O: from an e-mail address to the ActiveSync URL (MS-ASCMD 2.2.1.1).

Three parts, none of which opens a socket:

- the MobileSync "plain old XML" request and response (MS-ASCMD 2.2.1.1, examples in 4.2;
  error codes from MS-OXDSCLI 2.2.4.1.1.3), built and parsed here, with a parser that refuses
  DTDs and entities and bounds the size;
- Autodiscover v2, the JSON form Exchange Online answers
  (``GET /autodiscover/autodiscover.json?Email=…&Protocol=ActiveSync``);
- :class:`Discovery`, the order a client tries the candidates in (MS-ASCMD 2.2.1.1 and
  Microsoft's Remote Connectivity Analyzer): ``https://DOMAIN/…``, ``https://autodiscover.DOMAIN/…``,
  an unauthenticated ``GET http://autodiscover.DOMAIN/…`` whose redirect is followed only to https,
  DNS SRV ``_autodiscover._tcp.DOMAIN``, then v2. A ``Redirect`` to another address starts over
  with that address's domain, at most :data:`MAX_HOPS` times and never back to an address
  already asked. The caller moves the bytes and feeds back what happened.
"""

from __future__ import annotations

import enum
import json
import re
import xml.etree.ElementTree as ET
from collections import deque
from dataclasses import dataclass, field, replace
from urllib.parse import urlencode, urlsplit

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml import ElementTree as defused_etree

from easclient.errors import EasError, excerpt

__all__ = [
    "AUTODISCOVER_PATH",
    "AUTODISCOVER_V2_PATH",
    "MAX_AUTODISCOVER_BYTES",
    "MAX_HOPS",
    "REQUEST_SCHEMA",
    "RESPONSE_SCHEMA",
    "AutodiscoverError",
    "AutodiscoverErrorCode",
    "AutodiscoverFault",
    "AutodiscoverResponse",
    "AutodiscoverServer",
    "AutodiscoverStatus",
    "AutodiscoverV2Answer",
    "Candidate",
    "CandidateKind",
    "Discovery",
    "SrvRecord",
    "build_autodiscover_error",
    "build_autodiscover_redirect",
    "build_autodiscover_request",
    "build_autodiscover_settings",
    "build_autodiscover_v2",
    "domain_of",
    "parse_autodiscover_request",
    "parse_autodiscover_response",
    "parse_autodiscover_v2",
    "v2_query",
]

#: The namespace of the request (MS-ASCMD 2.2.1.1.1).
REQUEST_SCHEMA = "http://schemas.microsoft.com/exchange/autodiscover/mobilesync/requestschema/2006"
#: The AcceptableResponseSchema a device asks for, and the namespace of ``Response``.
RESPONSE_SCHEMA = (
    "http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006"
)
#: The namespace of the outer ``Autodiscover`` element of a response (MS-ASCMD 4.2).
OUTER_RESPONSE_SCHEMA = "http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006"

AUTODISCOVER_PATH = "/autodiscover/autodiscover.xml"
AUTODISCOVER_V2_PATH = "/autodiscover/autodiscover.json"
#: Largest Autodiscover answer read (a real one is well under 2 KB).
MAX_AUTODISCOVER_BYTES = 64 * 1024
#: Most address redirects followed before giving up (Outlook's and RCA's limit).
MAX_HOPS = 10
#: Most SRV targets tried for one domain.
MAX_SRV_TARGETS = 4

_EMAIL = re.compile(
    r"^[^@\s<>\"]{1,64}@([A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*)$"
)


class AutodiscoverError(EasError):
    """An Autodiscover value we cannot use (a malformed answer, a bad address); names it."""


class AutodiscoverStatus(enum.IntEnum):
    """``Action/Error/Status`` (MS-ASCMD 2.2.3.177.1)."""

    SUCCESS = 1
    PROTOCOL_ERROR = 2


class AutodiscoverErrorCode(enum.IntEnum):
    """``Response/Error/ErrorCode`` (MS-ASCMD 2.2.3.64; the list in MS-OXDSCLI 2.2.4.1.1.3.2)."""

    EMAIL_NOT_FOUND = 500
    BAD_ADDRESS = 501
    INVALID_REQUEST = 600
    NO_PROVIDER = 601
    BAD_ADDRESS_CONFIGURATION = 602
    INTERNAL_ERROR = 603


def domain_of(email: str) -> str:
    """The domain of ``email`` (lower case), or :class:`AutodiscoverError` naming the value."""
    text = email.strip()
    m = _EMAIL.match(text)
    if m is None or len(text) > 254:
        raise AutodiscoverError(f"not an e-mail address: {excerpt(email)}")
    return m.group(1).lower().rstrip(".")


# -- the POX request and response ----------------------------------------------------------


def build_autodiscover_request(email: str) -> bytes:
    """The MobileSync request body for ``email`` (MS-ASCMD 2.2.1.1.1)."""
    domain_of(email)
    root = ET.Element("Autodiscover", xmlns=REQUEST_SCHEMA)
    req = ET.SubElement(root, "Request")
    ET.SubElement(req, "EMailAddress").text = email.strip()
    ET.SubElement(req, "AcceptableResponseSchema").text = RESPONSE_SCHEMA
    return _dump(root)


def _parse_xml(body: bytes, what: str) -> ET.Element:
    """Parse ``body`` with defusedxml, refusing DTDs (so no entity can expand, no external
    reference is fetched) and anything over :data:`MAX_AUTODISCOVER_BYTES`."""
    if len(body) > MAX_AUTODISCOVER_BYTES:
        raise AutodiscoverError(
            f"{what} is {len(body):,} bytes, more than {MAX_AUTODISCOVER_BYTES:,}"
        )
    try:
        root: ET.Element = defused_etree.fromstring(body, forbid_dtd=True)
    except (DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden):
        raise AutodiscoverError(f"{what} carries a DTD or entity declaration: refused") from None
    except ET.ParseError as exc:
        raise AutodiscoverError(f"{what} is not well-formed XML ({exc}): {excerpt(body)}") from None
    return root


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _child(el: ET.Element | None, name: str) -> ET.Element | None:
    if el is None:
        return None
    return next((c for c in el if _local(c.tag) == name), None)


def _children(el: ET.Element | None, name: str) -> list[ET.Element]:
    return [] if el is None else [c for c in el if _local(c.tag) == name]


def _text(el: ET.Element | None, name: str) -> str | None:
    c = _child(el, name)
    if c is None or c.text is None:
        return None
    return c.text.strip() or None


def _int(el: ET.Element | None, name: str) -> int | None:
    text = _text(el, name)
    if text is None:
        return None
    if not text.isdigit() or len(text) > 9:
        raise AutodiscoverError(f"Autodiscover {name} is not a number: {excerpt(text)}")
    return int(text)


def parse_autodiscover_request(body: bytes) -> str:
    """The EMailAddress of a MobileSync request (the server's side), or AutodiscoverError.

    The AcceptableResponseSchema must be the MobileSync one (else the server answers 601)."""
    root = _parse_xml(body, "the Autodiscover request")
    req = _child(root, "Request")
    email = _text(req, "EMailAddress")
    if _local(root.tag) != "Autodiscover" or email is None:
        raise AutodiscoverError("the Autodiscover request has no Request/EMailAddress")
    schema = _text(req, "AcceptableResponseSchema")
    if schema != RESPONSE_SCHEMA:
        raise AutodiscoverError(f"AcceptableResponseSchema {excerpt(schema)} is not MobileSync")
    return email


@dataclass(frozen=True, slots=True)
class AutodiscoverServer:
    """One ``Action/Settings/Server`` (MS-ASCMD 2.2.3.164): ``type`` is ``MobileSync`` (the
    ActiveSync URL) or ``CertEnroll`` (where to get a client certificate)."""

    type: str | None
    url: str | None
    name: str | None = None
    server_data: str | None = None


@dataclass(frozen=True, slots=True)
class AutodiscoverFault:
    """An error answer: ``Action/Error`` (Status, Message, DebugData; MS-ASCMD 4.2.2) or the
    top-level ``Response/Error`` (ErrorCode, Message, DebugData; MS-ASCMD 2.2.3.63)."""

    status: int | None = None
    error_code: int | None = None
    message: str | None = None
    debug_data: str | None = None

    def describe(self) -> str:
        parts = []
        if self.status is not None:
            name = (
                AutodiscoverStatus(self.status).name
                if self.status in AutodiscoverStatus._value2member_map_
                else "unknown"
            )
            parts.append(f"Status {self.status} ({name})")
        if self.error_code is not None:
            name = (
                AutodiscoverErrorCode(self.error_code).name
                if self.error_code in AutodiscoverErrorCode._value2member_map_
                else "unknown"
            )
            parts.append(f"ErrorCode {self.error_code} ({name})")
        if self.message:
            parts.append(f"Message {excerpt(self.message, 120)}")
        if self.debug_data:
            parts.append(f"DebugData {excerpt(self.debug_data, 60)}")
        return "Autodiscover error: " + (", ".join(parts) or "no detail")


@dataclass(frozen=True, slots=True)
class AutodiscoverResponse:
    """A parsed MobileSync response: exactly one of ``redirect``, ``servers``, ``error``
    decides what the client does next."""

    culture: str | None = None
    display_name: str | None = None
    email: str | None = None
    redirect: str | None = None
    servers: tuple[AutodiscoverServer, ...] = ()
    error: AutodiscoverFault | None = None

    @property
    def mobile_sync_url(self) -> str | None:
        """The first MobileSync server's Url (else its Name, which carries the URL too)."""
        for s in self.servers:
            if (s.type or "").lower() == "mobilesync" and (s.url or s.name):
                return s.url or s.name
        return None


def parse_autodiscover_response(body: bytes) -> AutodiscoverResponse:
    """Parse a MobileSync Autodiscover response (MS-ASCMD 2.2.1.1.2, examples 4.2.1-4.2.4)."""
    root = _parse_xml(body, "the Autodiscover answer")
    if _local(root.tag) != "Autodiscover":
        raise AutodiscoverError(
            f"the answer's root is {excerpt(_local(root.tag))}, not Autodiscover"
        )
    resp = _child(root, "Response")
    if resp is None:
        raise AutodiscoverError("the Autodiscover answer has no Response element")
    top_error = _child(resp, "Error")
    if top_error is not None:
        return AutodiscoverResponse(
            error=AutodiscoverFault(
                error_code=_int(top_error, "ErrorCode"),
                message=_text(top_error, "Message"),
                debug_data=_text(top_error, "DebugData"),
            )
        )
    user = _child(resp, "User")
    action = _child(resp, "Action")
    common = AutodiscoverResponse(
        culture=_text(resp, "Culture"),
        display_name=_text(user, "DisplayName"),
        email=_text(user, "EMailAddress"),
    )
    if action is None:
        raise AutodiscoverError("the Autodiscover answer has neither Action nor Error")
    error = _child(action, "Error")
    if error is not None:
        fault = AutodiscoverFault(
            status=_int(error, "Status"),
            message=_text(error, "Message"),
            debug_data=_text(error, "DebugData"),
        )
        return replace(common, error=fault)
    redirect = _text(action, "Redirect")
    if redirect is not None:
        return replace(common, redirect=redirect)
    servers = tuple(
        AutodiscoverServer(
            type=_text(s, "Type"),
            url=_text(s, "Url"),
            name=_text(s, "Name"),
            server_data=_text(s, "ServerData"),
        )
        for s in _children(_child(action, "Settings"), "Server")
    )
    if not servers:
        raise AutodiscoverError("the Autodiscover Action has no Redirect, Settings or Error")
    return replace(common, servers=servers)


def _response_root(
    email: str | None, display_name: str | None = None
) -> tuple[ET.Element, ET.Element]:
    root = ET.Element("Autodiscover", xmlns=OUTER_RESPONSE_SCHEMA)
    resp = ET.SubElement(root, "Response", xmlns=RESPONSE_SCHEMA)
    ET.SubElement(resp, "Culture").text = "en:us"
    if email is not None:
        user = ET.SubElement(resp, "User")
        if display_name:
            ET.SubElement(user, "DisplayName").text = display_name
        ET.SubElement(user, "EMailAddress").text = email
    return root, resp


def _dump(root: ET.Element) -> bytes:
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))


def build_autodiscover_settings(
    email: str, url: str, *, display_name: str | None = None, cert_enroll: str | None = None
) -> bytes:
    """A server-settings answer (MS-ASCMD 4.2.4): MobileSync ``url`` (and CertEnroll)."""
    root, resp = _response_root(email, display_name)
    settings = ET.SubElement(ET.SubElement(resp, "Action"), "Settings")
    server = ET.SubElement(settings, "Server")
    ET.SubElement(server, "Type").text = "MobileSync"
    ET.SubElement(server, "Url").text = url
    ET.SubElement(server, "Name").text = url
    if cert_enroll:
        server = ET.SubElement(settings, "Server")
        ET.SubElement(server, "Type").text = "CertEnroll"
        ET.SubElement(server, "Url").text = cert_enroll
        ET.SubElement(server, "Name")
        ET.SubElement(server, "ServerData").text = "CertEnrollTemplate"
    return _dump(root)


def build_autodiscover_redirect(email: str, new_email: str) -> bytes:
    """A redirect answer (MS-ASCMD 4.2.3): ask again for ``new_email``."""
    root, resp = _response_root(email)
    ET.SubElement(ET.SubElement(resp, "Action"), "Redirect").text = new_email
    return _dump(root)


def build_autodiscover_error(
    email: str | None,
    message: str,
    *,
    status: AutodiscoverStatus | None = AutodiscoverStatus.PROTOCOL_ERROR,
    error_code: AutodiscoverErrorCode | None = None,
    debug_data: str = "",
) -> bytes:
    """An error answer: ``Action/Error`` with a Status (MS-ASCMD 4.2.2), or, with
    ``error_code``, the top-level ``Response/Error`` (MS-ASCMD 2.2.3.63)."""
    if error_code is not None:
        root = ET.Element("Autodiscover", xmlns=OUTER_RESPONSE_SCHEMA)
        resp = ET.SubElement(root, "Response", xmlns=RESPONSE_SCHEMA)
        err = ET.SubElement(resp, "Error", Time="00:00:00.0000000", Id="0")
        ET.SubElement(err, "ErrorCode").text = str(int(error_code))
    else:
        root, resp = _response_root(email)
        err = ET.SubElement(ET.SubElement(resp, "Action"), "Error")
        if status is not None:
            ET.SubElement(err, "Status").text = str(int(status))
    ET.SubElement(err, "Message").text = message
    ET.SubElement(err, "DebugData").text = debug_data or None
    return _dump(root)


# -- Autodiscover v2 (JSON) ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AutodiscoverV2Answer:
    """``{"Protocol": "ActiveSync", "Url": "…"}``."""

    protocol: str
    url: str


def v2_query(email: str) -> str:
    """The path and query of a v2 request for ActiveSync."""
    domain_of(email)
    return f"{AUTODISCOVER_V2_PATH}?{urlencode({'Email': email.strip(), 'Protocol': 'ActiveSync'})}"


def parse_autodiscover_v2(body: bytes) -> AutodiscoverV2Answer:
    """Parse a v2 answer; anything but an object with string Protocol and Url is refused."""
    if len(body) > MAX_AUTODISCOVER_BYTES:
        raise AutodiscoverError(f"the v2 answer is {len(body):,} bytes: refused")
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise AutodiscoverError(f"the v2 answer is not JSON: {excerpt(body)}") from None
    if not isinstance(data, dict):
        raise AutodiscoverError(f"the v2 answer is not a JSON object: {excerpt(body)}")
    protocol, url = data.get("Protocol"), data.get("Url")
    if not isinstance(protocol, str) or not isinstance(url, str) or not url:
        raise AutodiscoverError(f"the v2 answer lacks Protocol/Url: {excerpt(body)}")
    return AutodiscoverV2Answer(protocol, url)


def build_autodiscover_v2(url: str, protocol: str = "ActiveSync") -> bytes:
    return json.dumps({"Protocol": protocol, "Url": url}).encode()


# -- the candidate order -----------------------------------------------------------------------


class CandidateKind(enum.StrEnum):
    """Where a candidate came from, in the order a client tries them."""

    ROOT_DOMAIN = "root-domain"  #: POST https://DOMAIN/autodiscover/autodiscover.xml
    AUTODISCOVER_HOST = "autodiscover-host"  #: POST https://autodiscover.DOMAIN/…
    HTTP_REDIRECT = "http-redirect"  #: GET http://autodiscover.DOMAIN/…, unauthenticated
    REDIRECT_TARGET = "redirect-target"  #: POST to where that GET's redirect pointed (https)
    SRV_LOOKUP = "srv-lookup"  #: DNS SRV _autodiscover._tcp.DOMAIN
    SRV_TARGET = "srv-target"  #: POST https://TARGET:PORT/autodiscover/autodiscover.xml
    V2_JSON = "v2-json"  #: GET https://autodiscover.DOMAIN/autodiscover/autodiscover.json


@dataclass(frozen=True, slots=True)
class Candidate:
    """One thing to try. ``method`` is POST (the POX request, with credentials), GET (no
    credentials: the http redirect probe and v2) or SRV (a DNS query for ``url``, a name)."""

    kind: CandidateKind
    method: str
    url: str
    email: str
    hop: int

    @property
    def authenticated(self) -> bool:
        return self.method == "POST"


@dataclass(frozen=True, slots=True)
class SrvRecord:
    priority: int
    weight: int
    port: int
    target: str


@dataclass
class Discovery:
    """The client's side of Autodiscover as a state machine (no I/O).

    Loop: ``c = next_candidate()``; do it; feed the result back with one of the ``on_*``
    methods, each of which returns a short outcome text for the report. Done when
    ``next_candidate()`` returns None: then ``url`` is the ActiveSync URL or None, and
    ``reason`` says why none was found.
    """

    email: str
    max_hops: int = MAX_HOPS
    url: str | None = None
    winner: Candidate | None = None
    reason: str = ""
    #: every address asked, in order (the original first)
    addresses: list[str] = field(default_factory=list)
    _queue: deque[Candidate] = field(default_factory=deque)
    _stopped: bool = False

    def __post_init__(self) -> None:
        self._start(self.email.strip(), 0)

    def _start(self, email: str, hop: int) -> None:
        domain = domain_of(email)
        self.addresses.append(email)
        self._queue.clear()
        path = AUTODISCOVER_PATH
        self._queue.extend(
            [
                Candidate(CandidateKind.ROOT_DOMAIN, "POST", f"https://{domain}{path}", email, hop),
                Candidate(
                    CandidateKind.AUTODISCOVER_HOST,
                    "POST",
                    f"https://autodiscover.{domain}{path}",
                    email,
                    hop,
                ),
                Candidate(
                    CandidateKind.HTTP_REDIRECT,
                    "GET",
                    f"http://autodiscover.{domain}{path}",
                    email,
                    hop,
                ),
                Candidate(
                    CandidateKind.SRV_LOOKUP, "SRV", f"_autodiscover._tcp.{domain}", email, hop
                ),
                Candidate(
                    CandidateKind.V2_JSON,
                    "GET",
                    f"https://autodiscover.{domain}{v2_query(email)}",
                    email,
                    hop,
                ),
            ]
        )

    @property
    def done(self) -> bool:
        return self._stopped or (not self._queue and self.url is None)

    def next_candidate(self) -> Candidate | None:
        if self._stopped or not self._queue:
            if not self._stopped and self.url is None and not self.reason:
                self.reason = "no candidate answered with an ActiveSync URL"
            self._stopped = True
            return None
        return self._queue.popleft()

    def _stop(self, reason: str) -> None:
        self._stopped = True
        self.reason = reason
        self._queue.clear()

    def _found(self, candidate: Candidate, url: str) -> str:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return f"the answer's URL is not http(s): {excerpt(url)}; trying the next candidate"
        self.url = url
        self.winner = candidate
        self._stopped = True
        self._queue.clear()
        return f"ActiveSync URL {url}"

    def on_failure(self, candidate: Candidate, reason: str) -> str:
        """The candidate gave nothing usable (no DNS, no connection, TLS, an HTTP error)."""
        return reason

    def on_response(self, candidate: Candidate, response: AutodiscoverResponse) -> str:
        """A POX answer: settings end the search, a Redirect starts over with the new
        address's domain, an Error moves on to the next candidate."""
        if response.error is not None:
            return response.error.describe()
        if response.redirect is not None:
            new = response.redirect.strip()
            try:
                domain_of(new)
            except AutodiscoverError as exc:
                return f"Redirect to {exc}; trying the next candidate"
            seen = [a.lower() for a in self.addresses]
            if new.lower() in seen:
                chain = " → ".join([*self.addresses, new])
                self._stop(f"redirect loop: {chain}")
                return f"Redirect back to {new}: a loop, stopped"
            if candidate.hop + 1 > self.max_hops:
                self._stop(f"more than {self.max_hops} address redirects; last was to {new}")
                return f"Redirect to {new}: hop {candidate.hop + 1} is over the limit, stopped"
            self._start(new, candidate.hop + 1)
            return f"Redirect to {new}: starting over with {domain_of(new)}"
        url = response.mobile_sync_url
        if url is None:
            return "the answer has no MobileSync server; trying the next candidate"
        return self._found(candidate, url)

    def on_http_redirect(self, candidate: Candidate, status: int, location: str | None) -> str:
        """The unauthenticated GET answered a redirect: follow it only to https (credentials
        go only where TLS protects them; MS-OXDSCLI 3.1.5.2), as a POST to that URL."""
        if candidate.kind is not CandidateKind.HTTP_REDIRECT:
            return f"HTTP {status} redirect not followed (only the http GET's redirect is)"
        if not location:
            return f"HTTP {status} without a Location header"
        parts = urlsplit(location)
        if parts.scheme == "http":
            return f"HTTP {status} to {excerpt(location)}: refused, a redirect must lead to https"
        if parts.scheme != "https" or not parts.hostname:
            return f"HTTP {status} to {excerpt(location)}: refused, not an https URL"
        self._queue.appendleft(
            Candidate(
                CandidateKind.REDIRECT_TARGET, "POST", location, candidate.email, candidate.hop
            )
        )
        return f"HTTP {status} to {location}: following (https)"

    def on_srv(self, candidate: Candidate, records: list[SrvRecord]) -> str:
        """SRV answers become POST candidates, lowest priority first, then highest weight."""
        usable = [r for r in records if r.target.strip(".") and 0 < r.port <= 65535]
        if not usable:
            return "no usable SRV record"
        usable.sort(key=lambda r: (r.priority, -r.weight))
        chosen = usable[:MAX_SRV_TARGETS]
        for r in reversed(chosen):
            host = r.target.rstrip(".")
            port = "" if r.port == 443 else f":{r.port}"
            self._queue.appendleft(
                Candidate(
                    CandidateKind.SRV_TARGET,
                    "POST",
                    f"https://{host}{port}{AUTODISCOVER_PATH}",
                    candidate.email,
                    candidate.hop,
                )
            )
        return "SRV " + ", ".join(f"{r.target.rstrip('.')}:{r.port}" for r in chosen)

    def on_v2(self, candidate: Candidate, answer: AutodiscoverV2Answer) -> str:
        if answer.protocol.lower() != "activesync":
            return f"v2 answered Protocol {excerpt(answer.protocol)}, not ActiveSync"
        return self._found(candidate, answer.url)
