"""``--capture FILE``: every exchange as one JSON line, secrets always redacted.

Each line holds the time, the device identity, the command, the query as sent and in both forms
(plain text, and the decoded fields of the base64 form — MS-ASHTTP 2.2.1.1.1), the HTTP status,
both header sets, and the bodies as XML (WBXML decoded with :func:`easclient.wbxml.to_xml`; any
other body, or one that does not decode, as base64).

Redaction is not optional: ``Authorization``, ``Proxy-Authorization``, ``Cookie`` and
``Set-Cookie`` values are replaced, and every secret the writer was given (the password, a
bearer token, and the Basic credential built from them) is scrubbed from the finished line, in
case a server echoed one somewhere unexpected.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import stat
import threading
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from easclient import wbxml
from easclient.protocol import WBXML_CONTENT_TYPE, EasRequest, EasResponse

REDACTED = "[redacted]"
#: The ``schema`` field of every line; readers (easclient.capture) refuse lines they do not know.
SCHEMA_VERSION = 1
_SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})
#: Bodies larger than this are cut in the capture (the size is still recorded).
MAX_BODY_BYTES = 1 << 20


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """A copy of ``headers`` with credential-bearing values replaced."""
    out = {}
    for k, v in headers.items():
        if k.lower() in _SECRET_HEADERS:
            scheme = v.split(" ", 1)[0] if k.lower().endswith("authorization") and " " in v else ""
            out[k] = f"{scheme} {REDACTED}".strip()
        else:
            out[k] = v
    return out


def body_as_text(body: bytes, content_type: str | None) -> dict[str, Any] | None:
    """A body for the capture: ``{"xml": ...}`` for WBXML, else ``{"base64": ...}``."""
    if not body:
        return None
    media = (content_type or "").split(";")[0].strip().lower()
    out: dict[str, Any] = {"content_type": media or None, "size": len(body)}
    if media in ("", WBXML_CONTENT_TYPE):
        try:
            out["xml"] = wbxml.to_xml(wbxml.decode(body))
            return out
        except (wbxml.WBXMLError, ValueError) as exc:
            out["decode_error"] = str(exc)
    data = body[:MAX_BODY_BYTES]
    out["base64"] = base64.b64encode(data).decode("ascii")
    if len(data) < len(body):
        out["truncated"] = True
    return out


def _query_fields(request: EasRequest) -> dict[str, Any] | None:
    q = request.query
    if q is None:
        return None
    return {
        "cmd": q.cmd,
        "user": q.user,
        "device_id": q.device_id,
        "device_type": q.device_type,
        "version": q.version,
        "locale": q.locale,
        "policy_key": q.policy_key,
        "params": dict(q.params),
    }


class CaptureWriter:
    """Appends one JSON line per exchange to a file (thread-safe; flushed per line)."""

    def __init__(
        self,
        path: str | Path,
        *,
        secrets: Iterable[str | None] = (),
        device: Mapping[str, str] | None = None,
    ) -> None:
        self.path = Path(path)
        self.device = dict(device or {})
        self._secrets = sorted({s for s in secrets if s and len(s) >= 3}, key=len, reverse=True)
        self._lock = threading.Lock()
        # The user's mail, decoded: readable by the user only.
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        # O_CREAT's mode only applies to a new file: an existing capture (made 0644 by an
        # older version, or by hand) is made private too. Not a device or pipe (/dev/stdout).
        if stat.S_ISREG(os.fstat(fd).st_mode):
            with contextlib.suppress(OSError):  # another user's file: we can still append
                os.fchmod(fd, 0o600)
        self._file: TextIO = open(fd, "a", encoding="utf-8")  # noqa: SIM115 (closed in close())

    def add_secret(self, secret: str | None) -> None:
        """Scrub ``secret`` too (e.g. a token obtained mid-run)."""
        if secret and len(secret) >= 3 and secret not in self._secrets:
            self._secrets = sorted({*self._secrets, secret}, key=len, reverse=True)

    def close(self) -> None:
        with self._lock:
            self._file.close()

    def __enter__(self) -> CaptureWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _scrub(self, line: str) -> str:
        for secret in self._secrets:
            for form in {secret, json.dumps(secret)[1:-1]}:
                line = line.replace(form, REDACTED)
        return line

    def record(
        self,
        request: EasRequest,
        response: EasResponse | None,
        *,
        url: str,
        elapsed: float | None = None,
        error: BaseException | None = None,
        when: datetime | None = None,
    ) -> None:
        """Write one exchange (``response`` None when it failed with ``error``)."""
        entry: dict[str, Any] = {
            "schema": SCHEMA_VERSION,
            "time": (when or datetime.now(UTC)).isoformat(),
            "device": self.device,
            "command": request.query.cmd if request.query else request.method,
            "method": request.method,
            "url": url,
            "query": request.query_string,
            "query_form": "base64" if request.base64_query else "plain",
            "query_plain": request.query.to_plain() if request.query else None,
            "query_decoded": _query_fields(request),
            "request_headers": redact_headers(request.headers),
            "request": body_as_text(request.body, request.headers.get("Content-Type")),
            "status": None if response is None else response.status_code,
            "response_headers": None if response is None else redact_headers(response.headers),
            "response": None
            if response is None
            else body_as_text(response.body, response.headers.get("Content-Type")),
            "elapsed_s": None if elapsed is None else round(elapsed, 6),
            "error": None if error is None else f"{type(error).__name__}: {error}",
        }
        line = self._scrub(json.dumps(entry, ensure_ascii=False))
        with self._lock:
            self._file.write(line + "\n")
            self._file.flush()


def basic_credential(user: str, password: str) -> str:
    """The base64 part of an ``Authorization: Basic`` header (to scrub it from captures)."""
    return base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
