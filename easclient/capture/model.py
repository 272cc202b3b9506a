"""Reading the project's one capture format: JSON lines, one exchange per line.

The writer is :class:`easclient.client.capture.CaptureWriter` (the client's ``--capture``, the
mitmproxy addon and ``eas replay --capture`` all use it). A line holds ``schema`` (1), ``time``,
``device`` (user, device_id, device_type, user_agent, profile — as far as known), ``command``,
``method``, ``url``, ``query`` (as sent), ``query_form`` (plain/base64), ``query_plain``,
``query_decoded`` (the fields of either form, MS-ASHTTP 2.2.1.1.1), ``request_headers``,
``request``, ``status``, ``response_headers``, ``response``, ``elapsed_s`` and ``error``.
A body is ``null`` or ``{"content_type", "size", "xml" | "base64", "truncated"?,
"decode_error"?}``: WBXML as XML (opaque data as base64 inside it), anything else as base64.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from easclient import wbxml
from easclient.client.capture import SCHEMA_VERSION
from easclient.errors import EasError
from easclient.protocol import ACTIVESYNC_PATH, Headers, RequestQuery
from easclient.wbxml import Element

__all__ = [
    "SCHEMA_VERSION",
    "Body",
    "Capture",
    "CaptureError",
    "Exchange",
    "iter_capture",
    "parse_line",
    "read_capture",
]


class CaptureError(EasError):
    """A capture file that cannot be read; says which file, which line and why."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None) -> None:
        where = ":".join(str(p) for p in (path, line) if p is not None)
        super().__init__(f"{where}: {message}" if where else message)
        self.path = path
        self.line = line
        self.reason = message


@dataclass(frozen=True)
class Body:
    """One captured body."""

    content_type: str | None
    size: int
    xml: str | None = None
    base64: str | None = None
    truncated: bool = False
    decode_error: str | None = None

    def element(self) -> Element | None:
        """The WBXML body as a tree (None when it was not WBXML)."""
        return None if self.xml is None else wbxml.from_xml(self.xml)

    def raw(self) -> bytes:
        """The bytes on the wire again (WBXML re-encoded from the XML)."""
        if self.xml is not None:
            return wbxml.encode(wbxml.from_xml(self.xml))
        return base64.b64decode(self.base64 or "")


@dataclass(frozen=True)
class Exchange:
    """One request and its answer (``status`` None: no answer, see ``error``)."""

    line: int
    time: str
    device: dict[str, str]
    command: str
    method: str
    url: str
    query: str
    query_form: str
    query_plain: str | None
    query_decoded: dict[str, Any] | None
    request_headers: dict[str, str]
    request: Body | None
    status: int | None
    response_headers: dict[str, str] | None
    response: Body | None
    elapsed_s: float | None = None
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def path(self) -> str:
        """The request path (``/Microsoft-Server-ActiveSync`` for EAS)."""
        rest = self.url.split("://", 1)[-1]
        path = "/" + rest.split("/", 1)[1] if "/" in rest else "/"
        return path.split("?", 1)[0] or ACTIVESYNC_PATH

    @property
    def base64_query(self) -> bool:
        return self.query_form == "base64"

    def request_query(self) -> RequestQuery | None:
        """The decoded query as a :class:`RequestQuery` (None for OPTIONS)."""
        q = self.query_decoded
        if q is None:
            return None
        return RequestQuery(
            cmd=q["cmd"],
            user=q.get("user") or "",
            device_id=q["device_id"],
            device_type=q["device_type"],
            params=dict(q.get("params") or {}),
            version=q.get("version") or "14.1",
            locale=int(q.get("locale", 0x0409)),
            policy_key=q.get("policy_key"),
        )

    def request_element(self) -> Element | None:
        return None if self.request is None else self.request.element()

    def response_element(self) -> Element | None:
        return None if self.response is None else self.response.element()

    def response_header(self, name: str) -> str | None:
        return Headers(self.response_headers or {}).get(name)


@dataclass
class Capture:
    """A whole capture file."""

    exchanges: list[Exchange]
    path: str | None = None

    def __iter__(self) -> Iterator[Exchange]:
        return iter(self.exchanges)

    def __len__(self) -> int:
        return len(self.exchanges)

    @property
    def device(self) -> dict[str, str]:
        """The device identity: from the lines' ``device`` fields, else from the first query."""
        out: dict[str, str] = {}
        for ex in self.exchanges:
            for k, v in (ex.device or {}).items():
                out.setdefault(k, v)
            q = ex.query_decoded
            if q:
                out.setdefault("user", q.get("user") or "")
                out.setdefault("device_id", q["device_id"])
                out.setdefault("device_type", q["device_type"])
                out.setdefault("version", q.get("version") or "")
            ua = Headers(ex.request_headers).get("User-Agent")
            if ua:
                out.setdefault("user_agent", ua)
        return {k: v for k, v in out.items() if v}


# -- parsing ------------------------------------------------------------------------------------
_REQUIRED = ("time", "command", "method", "url", "request_headers", "status")


def _body(value: object, name: str, fail) -> Body | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise fail(f"{name} must be an object or null, got {type(value).__name__}")
    xml, b64 = value.get("xml"), value.get("base64")
    if xml is None and b64 is None:
        raise fail(f"{name} has neither xml nor base64")
    if xml is not None:
        if not isinstance(xml, str):
            raise fail(f"{name}.xml must be a string")
        try:
            wbxml.from_xml(xml)
        except (wbxml.WBXMLError, ValueError) as exc:
            raise fail(f"{name}.xml does not parse: {exc}") from None
    if b64 is not None:
        try:
            base64.b64decode(b64, validate=True)
        except (binascii.Error, TypeError, ValueError):
            raise fail(f"{name}.base64 is not base64: {str(b64)[:40]!r}") from None
    size = value.get("size", 0)
    if not isinstance(size, int) or size < 0:
        raise fail(f"{name}.size must be a non-negative integer, got {size!r}")
    return Body(
        content_type=value.get("content_type"),
        size=size,
        xml=xml,
        base64=b64,
        truncated=bool(value.get("truncated", False)),
        decode_error=value.get("decode_error"),
    )


def _headers(value: object, name: str, fail) -> dict[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise fail(f"{name} must be an object of strings")
    return dict(value)


def parse_line(text: str, line: int = 1, *, path: str | None = None) -> Exchange:
    """One capture line as an :class:`Exchange` (:class:`CaptureError` naming what is wrong)."""

    def fail(message: str) -> CaptureError:
        return CaptureError(message, path=path, line=line)

    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise fail(f"not JSON: {exc.msg} at column {exc.colno}") from None
    if not isinstance(data, dict):
        raise fail(f"a line must be a JSON object, got {type(data).__name__}")
    schema = data.get("schema")
    if schema is None:
        raise fail("no schema field: not an easclient capture line")
    if schema != SCHEMA_VERSION:
        raise fail(f"schema {schema!r} is not one this version reads ({SCHEMA_VERSION})")
    missing = [k for k in _REQUIRED if k not in data]
    if missing:
        raise fail(f"missing field(s): {', '.join(missing)}")
    status = data["status"]
    if status is not None and (not isinstance(status, int) or not 100 <= status <= 599):
        raise fail(f"status must be an HTTP status code or null, got {status!r}")
    decoded = data.get("query_decoded")
    if decoded is not None and (
        not isinstance(decoded, Mapping)
        or not all(k in decoded for k in ("cmd", "device_id", "device_type"))
    ):
        raise fail("query_decoded must hold cmd, device_id and device_type")
    request_headers = _headers(data["request_headers"], "request_headers", fail) or {}
    known = {
        "schema",
        *_REQUIRED,
        "device",
        "query",
        "query_form",
        "query_plain",
        "query_decoded",
        "request",
        "response_headers",
        "response",
        "elapsed_s",
        "error",
    }
    return Exchange(
        line=line,
        time=str(data["time"]),
        device={str(k): str(v) for k, v in (data.get("device") or {}).items() if v is not None},
        command=str(data["command"]),
        method=str(data["method"]).upper(),
        url=str(data["url"]),
        query=str(data.get("query") or ""),
        query_form=str(data.get("query_form") or "plain"),
        query_plain=data.get("query_plain"),
        query_decoded=dict(decoded) if decoded is not None else None,
        request_headers=request_headers,
        request=_body(data.get("request"), "request", fail),
        status=status,
        response_headers=_headers(data.get("response_headers"), "response_headers", fail),
        response=_body(data.get("response"), "response", fail),
        elapsed_s=data.get("elapsed_s"),
        error=data.get("error"),
        extra={k: v for k, v in data.items() if k not in known},
    )


def iter_capture(lines: Iterable[str], *, path: str | None = None) -> Iterator[Exchange]:
    """Exchanges from capture lines (blank lines skipped)."""
    for number, text in enumerate(lines, 1):
        if text.strip():
            yield parse_line(text, number, path=path)


def read_capture(path: str | Path) -> Capture:
    """A capture file, read and checked whole (:class:`CaptureError` on the first bad line)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CaptureError("no such capture file", path=str(p)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CaptureError(f"cannot read: {exc}", path=str(p)) from None
    exchanges = list(iter_capture(text.splitlines(), path=str(p)))
    if not exchanges:
        raise CaptureError("the capture holds no exchanges", path=str(p))
    return Capture(exchanges, str(p))
