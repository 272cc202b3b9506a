"""Checking that a capture holds no secret: credential headers redacted, no known secret present.

The writer already redacts; this is the independent check a test, ``eas capture check`` or a
reviewer runs over a file before it is shared or committed.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from easclient.client.capture import REDACTED

_CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})


@dataclass(frozen=True)
class Leak:
    """A secret found in a capture: which line, and what (never the secret itself)."""

    line: int
    what: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.what}"


def secret_forms(secret: str, user: str | None = None) -> list[str]:
    """The ways ``secret`` can appear in a JSON line: as is, JSON-escaped, and inside a Basic
    credential with ``user`` (base64 of ``user:secret``)."""
    forms = {secret, json.dumps(secret)[1:-1]}
    if user:
        forms.add(base64.b64encode(f"{user}:{secret}".encode()).decode("ascii"))
    return sorted(f for f in forms if f)


def find_leaks(
    source: str | Path | Iterable[str], secrets: Iterable[str] = (), *, user: str | None = None
) -> list[Leak]:
    """Every credential header not redacted, and every occurrence of one of ``secrets`` (in any
    form :func:`secret_forms` lists), in a capture file or its lines."""
    if isinstance(source, str | Path):
        lines: Iterable[str] = Path(source).read_text(encoding="utf-8").splitlines()
    else:
        lines = source
    forms = [(i, f) for i, s in enumerate(s for s in secrets if s) for f in secret_forms(s, user)]
    leaks: list[Leak] = []
    for number, text in enumerate(lines, 1):
        for index, form in forms:
            if form in text:
                leaks.append(Leak(number, f"secret #{index + 1} appears"))
                break
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            continue
        if not isinstance(data, dict):
            continue
        for side in ("request_headers", "response_headers"):
            for name, value in (data.get(side) or {}).items():
                if name.lower() in _CREDENTIAL_HEADERS and REDACTED not in str(value):
                    leaks.append(Leak(number, f"{side} {name} is not redacted"))
    return leaks
