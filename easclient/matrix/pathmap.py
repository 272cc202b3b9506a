"""Serve the ActiveSync endpoint from the path in the user's URL.

The client's requests target ``/Microsoft-Server-ActiveSync`` (MS-ASHTTP 2.2.1.1); servers such
as SOGo answer at another path (``/SOGo/Microsoft-Server-ActiveSync``) unless a reverse proxy
rewrites it. This httpx transport does that rewrite in-process, so a URL with a path just works.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx

from easclient.protocol.http import ACTIVESYNC_PATH


def endpoint_path(url: str) -> str | None:
    """The endpoint path of ``url`` when it is not the standard one (None: standard or none)."""
    path = urlsplit(url).path.rstrip("/")
    if not path or path == ACTIVESYNC_PATH:
        return None
    return path


class EndpointPathTransport(httpx.BaseTransport):
    """Wraps a transport; requests for the standard path go to ``path`` instead."""

    def __init__(self, path: str, inner: httpx.BaseTransport) -> None:
        self.path = path
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == ACTIVESYNC_PATH:
            request.url = request.url.copy_with(path=self.path)
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()
