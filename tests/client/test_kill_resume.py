"""A client killed with SIGKILL at random points mid-sync, then resumed, ends with exactly the
server's items: nothing lost, nothing duplicated (the state applies each Sync response and its
SyncKey in one transaction; a resend of the old SyncKey is answered again)."""

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from .fake_server import FakeServer, serve

ROUNDS = 8


def _answered(server):
    with server.lock:
        return server.responses_sent


def _held(state_path):
    db = sqlite3.connect(state_path)
    try:
        rows = db.execute("SELECT collection_id, server_id FROM items").fetchall()
    finally:
        db.close()
    return rows


@pytest.mark.timeout(120)
def test_killed_mid_sync_then_resumed_ends_with_servers_items(tmp_path):
    rng = random.Random(20261129)
    server = FakeServer(
        folders={"5": ("Inbox", 2), "6": ("Sent Items", 5), "8": ("Archive", 12)},
        items_per_folder=40,
        sync_delay=0.01,
    )
    server.add_mail("8")
    state = tmp_path / "state.sqlite3"
    env = {**os.environ, "EAS_PASSWORD": "pw"}
    kills = 0
    with serve(server) as url:
        cmd = [
            sys.executable, "-m", "easclient.cli", "sync", url, "--user", "alice",
            "--profile", "android", "--state", str(state), "--json",
        ]  # fmt: skip
        for _round in range(ROUNDS):
            before = _answered(server)
            target = before + rng.randint(2, 20)
            child = subprocess.Popen(
                cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
            )
            deadline = time.monotonic() + 30
            while child.poll() is None and _answered(server) < target:
                if time.monotonic() > deadline:
                    child.kill()
                    pytest.fail("the child made no progress")
                time.sleep(0.002)
            # An answer just went out: land anywhere in reading, parsing, applying, committing
            # it, or in sending the next request.
            time.sleep(rng.random() * 0.012)
            if child.poll() is None:
                child.send_signal(signal.SIGKILL)
                kills += 1
            child.wait(10)
            # The server keeps changing between runs, as a mailbox does.
            server.add_mail(rng.choice(["5", "6", "8"]))
            victim = rng.choice(["5", "6"])
            if server.mail[victim]:
                del server.mail[victim][rng.choice(sorted(server.mail[victim]))]
        final = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
    assert final.returncode == 0, final.stderr
    assert kills >= ROUNDS // 2, f"only {kills} of {ROUNDS} runs were killed mid-sync"
    rows = _held(state)
    assert len(rows) == len(set(rows)), "duplicated items"
    for fid in ("5", "6", "8"):
        assert {sid for c, sid in rows if c == fid} == server.server_ids(fid), fid


@pytest.mark.timeout(180)
def test_killed_mid_sync_of_calendar_and_contacts_then_resumed(tmp_path, eas_mock_server):
    """The same with calendar and contacts beside mail, against the mock: between runs a
    second device of the user adds contacts and meetings, and mail arrives."""
    from easclient.client import BasicAuth, EasClient, actions
    from easclient.client.memstate import MemoryState
    from easclient.protocol.calendar import CalendarEvent
    from easclient.protocol.contacts import Contact

    rng = random.Random(20261206)
    user = eas_mock_server.user
    state = tmp_path / "state.sqlite3"
    env = {**os.environ, "EAS_PASSWORD": user.password}
    cmd = [
        sys.executable, "-m", "easclient.cli", "sync", eas_mock_server.url, "--user", user.name,
        "--profile", "android", "--state", str(state), "--classes", "email,calendar,contacts",
        "--json",
    ]  # fmt: skip

    def other_device() -> EasClient:
        return EasClient.connect(
            eas_mock_server.url, auth=BasicAuth(user.name, user.password), profile="outlook",
            state=MemoryState(), device_id="kill-resume-other",
        )  # fmt: skip

    kills = 0
    with other_device() as other:
        for n in range(6):
            child = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)  # fmt: skip
            time.sleep(0.15 + rng.random() * 0.5)  # somewhere in the run
            if child.poll() is None:
                child.send_signal(signal.SIGKILL)
                kills += 1
            child.wait(10)
            actions.add_item(other, "9", Contact(first_name=f"C{n}", file_as=f"C{n}"))
            actions.add_item(other, "8", CalendarEvent(subject=f"M{n}",
                                                       start_time="20261201T100000Z"))  # fmt: skip
            eas_mock_server.control.deliver(user.name, count=rng.randint(1, 3))
        final = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
        assert final.returncode == 0, final.stderr
        truth = other.sync_all(["Email", "Calendar", "Contacts"])  # a full view of the server
        server_items = {fid: {i.server_id for i in other.state.items(fid)} for fid in truth.folders}
    assert kills >= 2, f"only {kills} of 6 runs were killed mid-sync"
    rows = _held(state)
    assert len(rows) == len(set(rows)), "duplicated items"
    for fid, ids in server_items.items():
        assert {sid for c, sid in rows if c == fid} == ids, fid
