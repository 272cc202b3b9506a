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
    whole_device: bool = False,
) -> None:
    """One device's first conversation with ``url``, captured to ``path`` (``http_transport``:
    e.g. ``httpx.HTTPTransport(proxy=...)`` to go through mitmproxy). ``whole_device``: every
    class and the commands beyond sync too (:func:`_whole_device`)."""
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
        if whole_device:
            _whole_device(client, user)
        else:
            client.sync_all_mail()
        client.ping(heartbeat)


#: What a whole device syncs (Notes only from 14.0; the client leaves them out below).
ALL_CLASSES = ("Email", "Calendar", "Contacts", "Tasks", "Notes")


def _whole_device(client: EasClient, user: str) -> None:
    """Beyond mail: every class synced, a contact added, a folder made, a message moved into
    it, a search, a message sent and a reply to one, the folder deleted again (MS-ASCMD
    2.2.1.x). Everything is fixed so the capture regenerates byte for byte."""
    from email.message import EmailMessage

    from easclient.client import actions
    from easclient.protocol.contacts import Contact
    from easclient.protocol.moveitems import Move
    from easclient.protocol.search import MailboxQuery, SearchRequest, SearchStore
    from easclient.protocol.smartmail import SmartSource

    inbox = "2"
    address = f"{user}@example.test"
    client.sync_all(ALL_CLASSES)
    ada = Contact(first_name="Ada", last_name="Lovelace", file_as="Lovelace, Ada")
    actions.add_item(client, "9", ada)
    made = actions.create_folder(client, "Trips", parent_id=inbox)
    first = sorted(i.server_id for i in client.state.items(inbox))[0]
    if made.server_id:
        actions.move_items(client, [Move(first, inbox, made.server_id)])
    actions.search(
        client, SearchRequest(SearchStore.Mailbox, MailboxQuery("a", inbox), range=(0, 4))
    )
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = address, address, "Fixture"
    msg.set_content("A message to myself.")
    actions.send_mail(client, msg.as_bytes())
    second = sorted(i.server_id for i in client.state.items(inbox))[1]
    msg.replace_header("Subject", "Re: fixture")
    actions.reply(client, SmartSource(inbox, second), msg.as_bytes())
    client.sync_all(ALL_CLASSES)
    if made.server_id:
        actions.delete_folder(client, made.server_id)


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


#: A ClientId as the client makes them (a uuid4 hex, AirSync or ComposeMail).
_CLIENT_ID = re.compile(r"<ClientId>([0-9a-f]{32})</ClientId>")


#: The date the mock stamps on mail delivered during a run (now), and where it is fixed.
_DELIVERED = re.compile(r"<email:DateReceived>(\d{4}-\d\d-\d\dT[\d:.]+Z)</email:DateReceived>")
_EPOCH_TEXT = FIXTURE_EPOCH.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def stable_delivery_dates(text: str) -> str:
    """Mail delivered during the run (SendMail, SmartReply) is dated now; in fixtures it is
    dated at the fixture epoch. Generated mail is dated before it and stays as it is."""

    def sub(m: re.Match[str]) -> str:
        when = m.group(1)
        return (
            m.group(0)
            if when < _EPOCH_TEXT
            else f"<email:DateReceived>{_EPOCH_TEXT}</email:DateReceived>"
        )

    return _DELIVERED.sub(sub, text)


def stable_client_ids(text: str) -> str:
    """ClientIds are random (each new item and message must have a fresh one); in fixtures
    they become ``c1``, ``c2`` … in order of first appearance."""
    names: dict[str, str] = {}

    def sub(m: re.Match[str]) -> str:
        return f"<ClientId>{names.setdefault(m.group(1), f'c{len(names) + 1}')}</ClientId>"

    return _CLIENT_ID.sub(sub, text)


def make_fixture(
    profile: str, out: str | Path, *, whole_device: bool = False, **mock: object
) -> Path:
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
                whole_device=whole_device,
            )
            base = server.url
        lines = [ln for ln in raw.read_text(encoding="utf-8").splitlines() if ln.strip()]
    text = "".join(normalise_line(ln, i, base) + "\n" for i, ln in enumerate(lines))
    text = stable_delivery_dates(stable_client_ids(stable_sync_keys(text)))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return out
