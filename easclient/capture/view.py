"""Showing EAS traffic decoded, for proxies and viewers (no mitmproxy import here).

:func:`render_body` turns a WBXML body (any code page, MS-ASWBXML) into indented XML, headed
by a comment that decodes the request's query when it is given; :func:`parse_rendered` reads
such text back (for editing in mitmproxy). :func:`describe_query` says what a request line's
query means, in either form (MS-ASHTTP 2.2.1.1.1).
"""

from __future__ import annotations

from collections.abc import Mapping

from easclient import wbxml
from easclient.protocol import ACTIVESYNC_PATH, QueryError, RequestQuery, parse_query
from easclient.wbxml import Element

WBXML_TYPES = frozenset({"application/vnd.ms-sync.wbxml", "application/vnd.ms-sync"})


def is_eas_path(path: str) -> bool:
    """Whether a request path is the ActiveSync endpoint (servers match it case-insensitively)."""
    return path.split("?", 1)[0].lower().rstrip("/") == ACTIVESYNC_PATH.lower()


def is_wbxml(content_type: str | None) -> bool:
    return (content_type or "").split(";")[0].strip().lower() in WBXML_TYPES


def decode_query(target: str, headers: Mapping[str, str] | None = None) -> RequestQuery | None:
    """The query of an EAS request target, or None when it has none or is not one."""
    if "?" not in target:
        return None
    try:
        return parse_query(target, headers)
    except QueryError:
        pass
    try:
        # A plain query without its MS-ASProtocolVersion header: show it, version unknown.
        q = parse_query(target, headers, default_version="2.5")
    except QueryError:
        return None
    q.version = "?"
    return q


def describe_query(target: str, headers: Mapping[str, str] | None = None) -> str | None:
    """One line: command, device, version, policy key and parameters of a request's query."""
    q = decode_query(target, headers)
    if q is None:
        return None
    qs = target.split("?", 1)[1]
    form = "plain" if "=" in qs.rstrip("=") or "&" in qs else "base64"
    parts = [
        f"EAS {q.cmd}",
        f"User={q.user or '-'}",
        f"DeviceId={q.device_id}",
        f"DeviceType={q.device_type}",
        f"version {q.version}",
        f"PolicyKey={'-' if q.policy_key is None else q.policy_key}",
    ]
    parts += [f"{k}={v}" for k, v in q.params.items()]
    parts.append(f"({form} query)")
    return " ".join(parts)


def render_body(
    data: bytes, *, target: str | None = None, headers: Mapping[str, str] | None = None
) -> str:
    """A WBXML body as XML; a request's decoded query first, as an XML comment.
    Raises :class:`~easclient.wbxml.WBXMLError` when ``data`` is not WBXML."""
    xml = wbxml.to_xml(wbxml.decode(data))
    head = describe_query(target, headers) if target else None
    if head:
        body = xml.split("\n", 1)[1] if xml.startswith("<?xml") else xml
        return f"<!-- {head.replace('--', '- -')} -->\n{body}"
    return xml


def parse_rendered(text: str) -> Element:
    """The element tree of text :func:`render_body` made (the comment is ignored)."""
    return wbxml.from_xml(text)
