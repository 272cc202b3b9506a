"""Run by tests/capture/test_mitm.py with the mitmproxy interpreter (mitmproxy 12 needs Python
3.12+, the project's venv is 3.11): drives the addon with mitmproxy's own test helpers
(``mitmproxy.test.tflow`` / ``taddons``) and prints what happened as one JSON object, which the
test then checks. Usage: python mitm_helpers_run.py CAPTURE_FILE
"""

from __future__ import annotations

import base64
import json
import logging
import sys

from mitmproxy import contentviews, http
from mitmproxy.test import taddons, tflow, tutils

from easclient import wbxml
from easclient.capture import mitm
from easclient.wbxml import PAGES, Element

PASSWORD = "s3cret-Pw!"
RESP_BODY = wbxml.encode(Element("Ping:Ping", Element("Ping:Status", "1")))
QUERY = "/Microsoft-Server-ActiveSync?jAAJBAp2MTQwRGV2aWNlAApTbWFydFBob25l"


def page_document(page) -> bytes:
    """A document using every tag of one code page (opaque text on one of them)."""
    children = []
    for i, tag in enumerate(page.tags):
        value: str | bytes = f"v{i}" if i % 2 else b"\x00\x01\xff"
        children.append(Element(f"{page.namespace}:{tag.name}", value))
    root = Element("AirSync:Sync", *children)
    return wbxml.encode(root)


def wbxml_request(body: bytes, *, auth: str) -> http.Request:
    headers = http.Headers(
        content_type="application/vnd.ms-sync.wbxml",
        authorization=auth,
        user_agent="Apple-iPhone15C2/2105.219",
    )
    return tutils.treq(method=b"POST", path=QUERY.encode(), headers=headers, content=body)


def views(out: dict, auth: str) -> None:
    """The content view on a body of every code page, on a response, and on non-EAS data."""
    view = contentviews.registry["eas"]
    for page in PAGES.values():
        data = page_document(page)
        flow = tflow.tflow(req=wbxml_request(data, auth=auth))
        result = contentviews.prettify_message(flow.request, flow)
        metadata = contentviews.make_metadata(flow.request, flow)
        out["pages"][page.namespace] = {
            "view": result.view_name,
            "round_trip": wbxml.decode(view.reencode(result.text, metadata)) == wbxml.decode(data),
            "has_query": "EAS Sync" in result.text and "v140Device" in result.text,
        }
    flow = tflow.tflow(
        req=wbxml_request(b"", auth=auth),
        resp=tutils.tresp(
            headers=http.Headers(content_type="application/vnd.ms-sync.wbxml"), content=RESP_BODY
        ),
    )
    result = contentviews.prettify_message(flow.response, flow)
    out["response_view"] = result.view_name
    out["response_text"] = result.text
    plain = tflow.tflow(resp=True)
    out["other_view"] = contentviews.prettify_message(plain.request, plain).view_name


def capture(addon: mitm.EasCapture, tctx, path: str, auth: str) -> None:
    """The capture option: one EAS flow with Basic credentials and a cookie, one non-EAS flow,
    one EAS flow that failed."""
    tctx.configure(addon, eas_capture=path)
    body = wbxml.encode(
        Element(
            "Ping:Ping",
            Element("Ping:HeartbeatInterval", "480"),
            Element(
                "Ping:Folders",
                Element("Ping:Folder", Element("Ping:Id", "5"), Element("Ping:Class", "Email")),
            ),
        )
    )
    eas_flow = tflow.tflow(
        req=wbxml_request(body, auth=auth),
        resp=tutils.tresp(
            headers=http.Headers(
                content_type="application/vnd.ms-sync.wbxml", set_cookie=f"session={PASSWORD}"
            ),
            content=RESP_BODY,
        ),
    )
    addon.request(eas_flow)
    addon.response(eas_flow)
    addon.response(tflow.tflow(resp=True))  # not ActiveSync: not captured
    addon.error(tflow.tflow(req=wbxml_request(body, auth=auth), err=True))
    tctx.configure(addon, eas_capture="")  # closes the file


def main(path: str) -> None:
    out: dict = {"pages": {}}
    auth = "Basic " + base64.b64encode(f"rmjones:{PASSWORD}".encode()).decode()
    logged: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: logged.append(record.getMessage())  # type: ignore[method-assign]
    logging.getLogger("easclient.mitm").addHandler(handler)
    logging.getLogger("easclient.mitm").setLevel(logging.INFO)
    addon = mitm.EasCapture()
    with taddons.context(addon) as tctx:
        views(out, auth)
        capture(addon, tctx, path, auth)
    out["logged"] = logged
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1])
