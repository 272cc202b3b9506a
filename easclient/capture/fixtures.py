"""Making captures of each device profile against the mock server (``fixtures/captures/``).

:func:`record_session` runs one device's first conversation — OPTIONS, Provision (both phases),
FolderSync, Sync of every mail folder to the end, one Ping that runs out — through the client
with ``--capture``'s writer. :func:`make_fixture` does that against a fresh mock server and
:func:`normalise_line` removes what changes from run to run (times, durations, the port, the
``Date`` header) and :func:`stable_sync_keys` names the mock's random SyncKey generations in
order, so the files regenerate byte for byte. ``scripts/make-fixtures`` calls it.
"""

from __future__ import annotations

import contextlib
import json
import re
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from easclient.client import (
    BasicAuth,
    CaptureWriter,
    EasClient,
    basic_credential,
    get_profile,
)
from easclient.client.heartbeat import FixedHeartbeat

#: The user fixtures are made as (the password is scrubbed from every line).
FIXTURE_USER = ("alice", "alice-pw")
#: The mock settings fixtures are made with; a replay test starts the same server.
FIXTURE_MOCK = {"heartbeat_min": 1, "messages_per_folder": 8, "seed": 0}
#: Ping heartbeat in fixtures: short, and inside the fixture server's bounds.
FIXTURE_HEARTBEAT = 1
#: Where the timestamps of normalised captures start.
FIXTURE_EPOCH = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
PLACEHOLDER_URL = "http://eas.mock.test"


def record_session(
    url: str,
    path: str | Path,
    *,
    profile: str,
    user: str,
    password: str,
    device_seed: str,
    heartbeat: int = FIXTURE_HEARTBEAT,
    state_dir: str | Path | None = None,
    http_transport: httpx.BaseTransport | None = None,
) -> None:
    """One device's first conversation with ``url``, captured to ``path`` (``http_transport``:
    e.g. ``httpx.HTTPTransport(proxy=...)`` to go through mitmproxy)."""
    p = get_profile(profile)
    device_id = p.device_id(device_seed)
    device = {
        "user": user,
        "device_id": device_id,
        "device_type": p.device_type,
        "user_agent": p.user_agent,
        "profile": p.name,
    }
    secrets = [password, basic_credential(user, password)]
    with contextlib.ExitStack() as stack:
        folder = state_dir or stack.enter_context(tempfile.TemporaryDirectory())
        writer = stack.enter_context(CaptureWriter(path, secrets=secrets, device=device))
        client = stack.enter_context(
            EasClient.connect(
                url,
                auth=BasicAuth(user, password),
                profile=p,
                state=Path(folder) / f"{profile}.sqlite3",
                device_id=device_id,
                capture=writer,
                http_transport=http_transport,
                heartbeat=FixedHeartbeat(heartbeat),
                ping_margin=5,
                sleep=lambda s: None,
            )
        )
        client.sync_all_mail()
        client.ping(heartbeat)


def normalise_line(line: str, index: int, base_url: str) -> str:
    """``line`` with run-dependent values fixed: time, elapsed, server URL, Date header."""
    entry = json.loads(line)
    entry["time"] = (FIXTURE_EPOCH + timedelta(seconds=index)).isoformat()
    if entry.get("elapsed_s") is not None:
        entry["elapsed_s"] = 0.0
    if isinstance(entry.get("url"), str):
        entry["url"] = entry["url"].replace(base_url, PLACEHOLDER_URL)
    for side in ("request_headers", "response_headers"):
        headers = entry.get(side) or {}
        for name in list(headers):
            if name.lower() in ("date", "host"):
                del headers[name]
    return json.dumps(entry, ensure_ascii=False)


#: A SyncKey as the mock writes it: "<counter>.<random generation>" (mock/syncstate.py).
_SYNC_KEY = re.compile(r"<SyncKey>(\d+)\.([0-9a-f]+)</SyncKey>")


def stable_sync_keys(text: str) -> str:
    """The mock's SyncKey generations are random (a device must not guess them); fixture files
    must not change between runs, so each generation becomes ``g1``, ``g2`` … in order of first
    appearance. Counters, and so the sequence of keys a device saw, stay as they were."""
    names: dict[str, str] = {}

    def sub(m: re.Match[str]) -> str:
        name = names.setdefault(m.group(2), f"g{len(names) + 1}")
        return f"<SyncKey>{m.group(1)}.{name}</SyncKey>"

    return _SYNC_KEY.sub(sub, text)


def make_fixture(profile: str, out: str | Path, **mock: object) -> Path:
    """A normalised capture of ``profile`` against a fresh mock server, written to ``out``."""
    from easclient.mock import MockConfig, MockServer, parse_users

    user, password = FIXTURE_USER
    settings: dict[str, Any] = {**FIXTURE_MOCK, **mock}  # MockConfig's keyword arguments
    config = MockConfig(users=tuple(parse_users(f"{user}:{password}")), **settings)
    out = Path(out)
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.jsonl"
        with MockServer(config).start_in_thread() as server:
            record_session(
                server.url,
                raw,
                profile=profile,
                user=user,
                password=password,
                device_seed=f"{user}@eas.mock.test",
                state_dir=tmp,
            )
            base = server.url
        lines = [ln for ln in raw.read_text(encoding="utf-8").splitlines() if ln.strip()]
    text = "".join(normalise_line(ln, i, base) + "\n" for i, ln in enumerate(lines))
    text = stable_sync_keys(text)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return out
