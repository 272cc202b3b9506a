"""mitmproxy addon: EAS decoded in mitmproxy's UI and ``mitmdump``, and written as a capture.

Load it as a script (needs the optional extra ``mitm``: ``pip install 'easclient[mitm]'``,
mitmproxy 12, Python 3.12+)::

    mitmdump -s "$(python -c 'import easclient.capture.mitm as m; print(m.__file__)')" \\
        --set eas_capture=phone.jsonl

- Content view "EAS": WBXML bodies of every code page as XML, a request's query (plain or
  base64) decoded in a comment above it; editable (re-encoded to WBXML on save). Chosen
  automatically for ``application/vnd.ms-sync.wbxml`` bodies, ahead of mitmproxy's own WBXML view.
- Option ``eas_capture``: append every ActiveSync exchange to this file in the project's capture
  format (``eas capture show``, ``eas replay``). Credentials are redacted: Authorization and
  cookie headers always, and the password / token seen in each request's Authorization is
  scrubbed from the whole line.
- Option ``eas_log`` (default on): log each ActiveSync request's decoded query, so empty-bodied
  requests (an empty Ping, OPTIONS) are readable too.
"""

from __future__ import annotations

import base64
import binascii
import logging
from datetime import UTC, datetime

from mitmproxy import contentviews, ctx, http
from mitmproxy.contentviews import InteractiveContentview, Metadata

from easclient import wbxml
from easclient.capture.view import describe_query, is_eas_path, is_wbxml, render_body
from easclient.client.capture import CaptureWriter
from easclient.protocol import EasRequest, EasResponse, Headers, QueryError, parse_request

log = logging.getLogger("easclient.mitm")


def _request_of(metadata: Metadata) -> http.Request | None:
    flow = metadata.flow
    if isinstance(flow, http.HTTPFlow) and metadata.http_message is flow.request:
        return flow.request
    return None


class EasContentview(InteractiveContentview):
    """EAS WBXML as XML, with the request's query decoded (MS-ASWBXML, MS-ASHTTP 2.2.1.1.1)."""

    @property
    def name(self) -> str:
        return "EAS"

    @property
    # mitmproxy declares it a Literal attribute; it is only installed in the mitm venv, so
    # the ignore is unused where mypy usually runs
    def syntax_highlight(self) -> str:  # type: ignore[override, unused-ignore]
        return "xml"

    def prettify(self, data: bytes, metadata: Metadata) -> str:
        request = _request_of(metadata)
        if request is not None:
            return render_body(data, target=request.path, headers=dict(request.headers))
        return render_body(data)

    def reencode(self, prettified: str, metadata: Metadata) -> bytes:
        return wbxml.encode(wbxml.from_xml(prettified))

    def render_priority(self, data: bytes, metadata: Metadata) -> float:
        if not data:
            return -1
        if is_wbxml(metadata.content_type):
            return 2.0  # above mitmproxy's generic WBXML view (1.0)
        flow = metadata.flow
        if isinstance(flow, http.HTTPFlow) and is_eas_path(flow.request.path):
            return 0.5 if data[:1] == b"\x03" else -1  # WBXML 1.3 without a content type
        return -1


def _device(request: EasRequest) -> dict[str, str]:
    out = {"user_agent": request.headers.get("User-Agent", "")}
    if request.query is not None:
        out.update(
            user=request.query.user,
            device_id=request.query.device_id,
            device_type=request.query.device_type,
        )
    return {k: v for k, v in out.items() if v}


def _credentials(authorization: str | None) -> list[str]:
    """The secrets an Authorization header carries (Basic: password and the credential)."""
    if not authorization or " " not in authorization:
        return []
    scheme, _, value = authorization.partition(" ")
    value = value.strip()
    if scheme.lower() == "basic":
        try:
            _user, _, password = base64.b64decode(value).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return [value]
        return [value, password]
    return [value]


class EasCapture:
    """Writes the ActiveSync flows passing through mitmproxy to ``eas_capture``."""

    def __init__(self) -> None:
        self.writer: CaptureWriter | None = None

    def load(self, loader) -> None:
        loader.add_option(
            "eas_capture",
            str,
            "",
            "Append EAS exchanges to this file (easclient capture format, secrets redacted).",
        )
        loader.add_option("eas_log", bool, True, "Log each EAS request's decoded query.")

    def configure(self, updated: set[str]) -> None:
        if "eas_capture" in updated:
            self._close()
            if ctx.options.eas_capture:
                self.writer = CaptureWriter(ctx.options.eas_capture)

    def done(self) -> None:
        self._close()

    def _close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None

    def request(self, flow: http.HTTPFlow) -> None:
        if ctx.options.eas_log and is_eas_path(flow.request.path):
            text = describe_query(flow.request.path, dict(flow.request.headers))
            if text:
                log.info(text)

    def response(self, flow: http.HTTPFlow) -> None:
        self._record(flow)

    def error(self, flow: http.HTTPFlow) -> None:
        self._record(flow)

    def _record(self, flow: http.HTTPFlow) -> None:
        if self.writer is None or not is_eas_path(flow.request.path):
            return
        req = flow.request
        headers = Headers(dict(req.headers))
        for secret in _credentials(headers.get("Authorization")):
            self.writer.add_secret(secret)
        body = req.get_content(strict=False) or b""
        try:
            request = parse_request(req.method, req.path, headers, body)
        except QueryError:
            # Not a query we read: keep the exchange anyway, without decoded query fields.
            request = EasRequest(req.method, req.path.split("?", 1)[0], None, headers, body)
        response = None
        if flow.response is not None:
            response = EasResponse(
                flow.response.status_code,
                Headers(dict(flow.response.headers)),
                flow.response.get_content(strict=False) or b"",
            )
        elapsed = None
        if flow.response is not None and flow.response.timestamp_end and req.timestamp_start:
            elapsed = flow.response.timestamp_end - req.timestamp_start
        error = RuntimeError(flow.error.msg) if flow.error is not None else None
        self.writer.device = _device(request)
        self.writer.record(
            request,
            response,
            url=req.pretty_url,
            elapsed=elapsed,
            error=error if response is None else None,
            when=datetime.fromtimestamp(req.timestamp_start, UTC),
        )


contentviews.add(EasContentview)
addons = [EasCapture()]
