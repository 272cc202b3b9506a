"""Requests and responses as plain values, and HTTP status → typed error (MS-ASHTTP).

No I/O: :func:`build_request` gives the method, path, query, headers and body a transport
sends; :func:`check_http` turns a response's status line and headers into the typed errors of
:mod:`.errors`; :func:`decode_body` turns a WBXML body into an element tree.
"""

from __future__ import annotations

import email.utils
from collections.abc import Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from easclient import wbxml
from easclient.errors import excerpt
from easclient.wbxml import Element

from .commands import Command
from .errors import (
    AccountBlocked,
    AuthenticationFailed,
    BadRequest,
    EasHTTPError,
    Forbidden,
    MailboxFull,
    NotFound,
    PasswordExpired,
    ProtocolError,
    ProvisionRequired,
    Redirect,
    ServerError,
    Throttled,
)
from .query import RequestQuery, is_base64_form, parse_query
from .versions import base64_query_allowed

__all__ = [
    "ACTIVESYNC_PATH",
    "MULTIPART_CONTENT_TYPE",
    "RFC822_CONTENT_TYPE",
    "WBXML_CONTENT_TYPE",
    "EasRequest",
    "EasResponse",
    "Headers",
    "build_request",
    "build_response",
    "check_http",
    "decode_body",
    "endpoint_path",
    "parse_request",
    "parse_retry_after",
]

ACTIVESYNC_PATH = "/Microsoft-Server-ActiveSync"
WBXML_CONTENT_TYPE = "application/vnd.ms-sync.wbxml"
MULTIPART_CONTENT_TYPE = "application/vnd.ms-sync.multipart"
RFC822_CONTENT_TYPE = "message/rfc822"


class Headers(MutableMapping[str, str]):
    """A case-insensitive header mapping that keeps the spelling it was given."""

    def __init__(self, items: Mapping[str, str] | None = None, /, **kw: str) -> None:
        self._store: dict[str, tuple[str, str]] = {}
        for source in (items or {}, kw):
            for k, v in source.items():
                self[k] = v

    def __setitem__(self, key: str, value: str) -> None:
        self._store[key.lower()] = (key, str(value))

    def __getitem__(self, key: str) -> str:
        return self._store[key.lower()][1]

    def __delitem__(self, key: str) -> None:
        del self._store[key.lower()]

    def __iter__(self) -> Iterator[str]:
        return (k for k, _ in self._store.values())

    def __len__(self) -> int:
        return len(self._store)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Mapping):
            return NotImplemented
        return {k.lower(): v for k, v in self.items()} == {
            str(k).lower(): v for k, v in other.items()
        }

    def __repr__(self) -> str:
        return f"Headers({dict(self.items())!r})"


@dataclass
class EasRequest:
    """One request as a transport sends it. ``query`` is None for OPTIONS."""

    method: str
    path: str
    query: RequestQuery | None
    headers: Headers
    body: bytes = b""
    base64_query: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.headers, Headers):
            self.headers = Headers(self.headers)

    @property
    def query_string(self) -> str:
        """The query value as sent (no "?"), "" when there is none."""
        if self.query is None:
            return ""
        return self.query.to_base64() if self.base64_query else self.query.to_plain()

    @property
    def target(self) -> str:
        """Path and query, as in the request line: ``/Microsoft-Server-ActiveSync?Cmd=…``."""
        qs = self.query_string
        return f"{self.path}?{qs}" if qs else self.path

    def url(self, base: str) -> str:
        """The absolute URL on server ``base``: "https://host" puts the request at its own
        ``path``; a base with a path ("https://host/SOGo/Microsoft-Server-ActiveSync") puts it
        there (see :func:`endpoint_path`)."""
        scheme, _, rest = base.partition("://")
        host = rest.split("/", 1)[0]
        qs = self.query_string
        path = endpoint_path(base, self.path)
        return f"{scheme}://{host}{path}?{qs}" if qs else f"{scheme}://{host}{path}"

    def decode_body(self) -> Element | None:
        """The WBXML body as a tree (None when empty; bytes bodies of other types → error)."""
        return _decode(self.body, self.headers.get("Content-Type"))


@dataclass
class EasResponse:
    """One response as a transport received it."""

    status_code: int
    headers: Headers = field(default_factory=Headers)
    body: bytes = b""

    def __post_init__(self) -> None:
        if not isinstance(self.headers, Headers):
            self.headers = Headers(self.headers)

    @property
    def content_type(self) -> str:
        """The media type without parameters, lower case ("" when absent)."""
        return self.headers.get("Content-Type", "").split(";")[0].strip().lower()


def endpoint_path(base: str, default: str = ACTIVESYNC_PATH) -> str:
    """The endpoint path server URL ``base`` names; ``default`` when it has none (or just "/").

    Devices put every command under /Microsoft-Server-ActiveSync on the host (MS-ASHTTP
    2.2.1.1.1). Some servers publish the endpoint elsewhere (SOGo:
    /SOGo/Microsoft-Server-ActiveSync); a URL that names such a path is used as given (a
    trailing "/" dropped; a query or fragment in ``base`` is not part of the path).
    """
    rest = base.partition("://")[2]
    path = rest.partition("/")[2].split("?", 1)[0].split("#", 1)[0].rstrip("/")
    return f"/{path}" if path else default


def build_request(
    cmd: str | Command,
    body: Element | bytes | None = None,
    *,
    user: str,
    device_id: str,
    device_type: str,
    version: str = "14.1",
    policy_key: int | None = None,
    base64_query: bool = False,
    user_agent: str | None = None,
    extra_params: Mapping[str, str] | None = None,
    accept_multipart: bool = False,
    locale: int = 0x0409,
    content_type: str | None = None,
    path: str = ACTIVESYNC_PATH,
) -> EasRequest:
    """A POST for ``cmd`` (MS-ASHTTP 2.2.1.1).

    ``body`` is an element tree (encoded as WBXML), raw bytes (``content_type`` defaults to
    message/rfc822, the SendMail body before 14.0) or None. With ``base64_query`` the version
    and policy key travel in the query; below 12.1 the plain form is used regardless, since
    the spec forbids base64 there (MS-ASHTTP 2.2.1.1.1.1).
    """
    params = dict(extra_params or {})
    if accept_multipart:
        params["AcceptMultiPart"] = "T"
    query = RequestQuery(
        cmd=str(cmd),
        user=user,
        device_id=device_id,
        device_type=device_type,
        params=params,
        version=str(version),
        locale=locale,
        policy_key=policy_key,
    )
    use_base64 = base64_query and base64_query_allowed(query.version)
    headers = Headers()
    if isinstance(body, Element):
        data = wbxml.encode(body)
        headers["Content-Type"] = content_type or WBXML_CONTENT_TYPE
    elif body is not None:
        data = bytes(body)
        headers["Content-Type"] = content_type or RFC822_CONTENT_TYPE
    else:
        data = b""
        if content_type:
            headers["Content-Type"] = content_type
    if not use_base64:
        headers.update(query.plain_headers())
    if user_agent:
        headers["User-Agent"] = user_agent
    request = EasRequest("POST", path, query, headers, data, use_base64)
    request.query_string  # noqa: B018  # fail here, not in the transport, on a bad query
    return request


def parse_request(
    method: str, target: str, headers: Mapping[str, str], body: bytes = b""
) -> EasRequest:
    """The server side: an :class:`EasRequest` from a request line's target, headers and body.

    Raises :class:`~.errors.QueryError` for a query the server should answer with 400.
    """
    path, _, qs = target.partition("?")
    if method.upper() == "OPTIONS" and not qs:
        return EasRequest("OPTIONS", path, None, Headers(headers), body)
    query = parse_query(qs, headers)
    return EasRequest(method.upper(), path, query, Headers(headers), body, is_base64_form(qs))


def build_response(
    body: Element | None = None,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> EasResponse:
    """The server side: a response carrying ``body`` as WBXML (no body when None)."""
    out = Headers(headers)
    data = b""
    if body is not None:
        data = wbxml.encode(body)
        out.setdefault("Content-Type", WBXML_CONTENT_TYPE)
    return EasResponse(status_code, out, data)


def parse_retry_after(value: str | None) -> tuple[float | None, datetime | None]:
    """``Retry-After`` as (seconds, None) or (None, aware datetime); (None, None) if absent
    or unreadable (RFC 9110 10.2.3: delay-seconds or HTTP-date)."""
    if value is None or not value.strip():
        return None, None
    text = value.strip()
    # str.isdigit() also admits "²" and other digits float() refuses; delay-seconds is ASCII.
    if text.isascii() and text.isdigit():
        # A 100,000-digit delay is read as what it means (forever), without the big number.
        return (float(text) if len(text) <= 15 else float("inf")), None
    if len(text) > 64:  # an HTTP-date is 29 characters
        return None, None
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None, None
    if when.tzinfo is None:  # HTTP-dates are GMT
        when = when.replace(tzinfo=UTC)
    return None, when


def check_http(resp: EasResponse) -> None:
    """Raise the typed error for a non-2xx status (MS-ASHTTP 3.1.5.2, EAS-FACTS 3)."""
    code = resp.status_code
    if 200 <= code < 300:
        return
    h = resp.headers
    if code == 400:
        raise BadRequest(code, h, "HTTP 400: the server could not read the request")
    if code == 401:
        raise AuthenticationFailed(code, h, "HTTP 401: authentication failed")
    if code == 403:
        raise Forbidden(code, h, "HTTP 403: EAS is not allowed for this user or device")
    if code == 404:
        raise NotFound(code, h, "HTTP 404: no ActiveSync at this URL")
    if code == 449:
        raise ProvisionRequired(code, h, "HTTP 449: provisioning required")
    if code == 451:
        raise Redirect(code, h, h.get("X-MS-Location"))
    if code == 456:
        raise AccountBlocked(code, h, "HTTP 456: the account is blocked")
    if code == 457:
        raise PasswordExpired(code, h, h.get("X-MS-Credential-Service-Url"))
    if code == 503:
        seconds, when = parse_retry_after(h.get("Retry-After"))
        raise Throttled(
            code, h, retry_after=seconds, retry_after_date=when, reason=h.get("X-MS-ASThrottle")
        )
    if code == 507:
        raise MailboxFull(code, h, "HTTP 507: the mailbox is full")
    if code >= 500:
        raise ServerError(code, h, f"HTTP {code}: server error")
    raise EasHTTPError(code, h, f"HTTP {code}: unexpected status")


def decode_body(resp: EasResponse) -> Element | None:
    """The WBXML body as a tree; None for an empty body (legal, e.g. Sync with no changes).

    Multipart bodies are read by the ItemOperations module, not here.
    """
    return _decode(resp.body, resp.headers.get("Content-Type"))


def _decode(body: bytes, content_type: str | None) -> Element | None:
    if not body:
        return None
    media = (content_type or "").split(";")[0].strip().lower()
    if media == MULTIPART_CONTENT_TYPE:
        raise ProtocolError(
            "a multipart body: read it with the ItemOperations multipart parser", value=media
        )
    # 2.5-era servers also label WBXML plain "application/vnd.ms-sync".
    if media and media not in (WBXML_CONTENT_TYPE, "application/vnd.ms-sync"):
        raise ProtocolError(
            f"expected a WBXML body, got Content-Type {excerpt(media)}", value=media[:64]
        )
    try:
        return wbxml.decode(body)
    except wbxml.WBXMLError as e:
        # The codec's message may quote what it read: bounded, like every value we quote.
        detail = str(e)
        if len(detail) > 200:
            detail = detail[:200] + f"… ({len(detail):,} characters)"
        raise ProtocolError(f"the body is not valid WBXML: {detail}", value=body[:64]) from e
