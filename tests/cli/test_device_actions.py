"""`eas send | reply | forward | move | search | folder …`, `eas sync --classes` and
`eas ping --via sync` against the mock server over real HTTP, run as a user runs them."""

from __future__ import annotations

import json

import pytest


@pytest.fixture
def eas(cli, eas_mock_server, tmp_path):
    """``eas("folder create", *args, user=alice)``: the command against the mock, with the
    user's own state file."""

    def run(command: str, *args: str, user=None):
        who = user or eas_mock_server.user
        state = tmp_path / f"{who.name}.sqlite3"
        return cli(
            *command.split(), eas_mock_server.url, *args, "--user", who.name,
            "--state", str(state), env={"EAS_PASSWORD": who.password},
        )  # fmt: skip

    return run


def _json(result):
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_sync_classes_reports_per_class_counts(eas):
    data = _json(eas("sync", "--classes", "email,calendar,contacts,tasks", "--json"))
    assert set(data["classes"]) == {"Email", "Calendar", "Contacts", "Tasks"}
    assert data["classes"]["Calendar"]["added"] == 5 and data["classes"]["Email"]["added"] > 0
    bad = eas("sync", "--classes", "email,sms")
    assert bad.exit_code == 2 and "--classes" in bad.stderr and bad.stderr.count("\n") == 1


def test_send_then_the_recipient_replies_and_forwards(eas, eas_mock_server):
    alice, bob = eas_mock_server.users[:2]
    sent = eas("send", "--to", bob.address, "--subject", "Lunch?", "--body", "At noon?")
    assert sent.exit_code == 0 and "sent" in sent.stdout
    synced = _json(eas("sync", "--json", user=bob))
    assert synced["folders"]["2"]["added"] >= 1
    # bob's device knows the item: find it by subject through a mailbox search
    found = _json(eas("search", "Lunch?", "--json", user=bob))
    assert found["total"] == 1 and found["results"][0]["subject"] == "Lunch?"
    item = found["results"][0]["id"]
    replied = eas("reply", item, "--body", "Yes!", user=bob)
    assert replied.exit_code == 0 and alice.address in replied.stdout  # to the sender
    forwarded = eas("forward", item, "--to", alice.address, "--body", "FYI", user=bob)
    assert forwarded.exit_code == 0
    got = _json(eas("search", "Lunch?", "--folder", "2", "--json"))  # alice's Inbox
    subjects = sorted(r["subject"] for r in got["results"])
    assert subjects == ["Fwd: Lunch?", "Re: Lunch?"]


def test_move_and_folders(eas):
    _json(eas("sync", "--json"))
    made = _json(eas("folder create", "Trips", "--parent", "2", "--json"))
    fid = made["created"]
    listing = _json(eas("search", "a", "--folder", "2", "--range", "0-0", "--json"))
    item = listing["results"][0]["id"]
    moved = _json(eas("move", item, "--to-folder", fid, "--json"))
    assert moved["new_id"].startswith(f"{fid}:")
    assert _json(eas("folder rename", fid, "Journeys", "--json"))["name"] == "Journeys"
    gone = eas("folder delete", "2")
    assert gone.exit_code == 1 and "SystemFolder" in gone.stderr and gone.stderr.count("\n") == 1
    assert _json(eas("folder delete", fid, "--json"))["deleted"] == fid
    missing = eas("move", "2:999999", "--to-folder", "11")
    assert missing.exit_code == 2 and "no such item" in missing.stderr


def test_gal_search(eas, eas_mock_server):
    bob = eas_mock_server.users[1]
    found = _json(eas("search", bob.name, "--gal", "--json"))
    assert found["results"][0]["EmailAddress"] == bob.address
    bad = eas("search", "x", "--range", "9-1")
    assert bad.exit_code == 2 and "--range" in bad.stderr


def test_ping_via_sync(eas):
    _json(eas("sync", "--json"))
    quiet = _json(eas("ping", "--heartbeat", "1", "--via", "sync", "--json"))
    assert quiet["outcome"] == "no-changes"
    bad = eas("ping", "--heartbeat", "1", "--via", "smoke-signals")
    assert bad.exit_code == 2 and "--via" in bad.stderr
