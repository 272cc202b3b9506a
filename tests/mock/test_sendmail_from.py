"""SendMail with someone else's From, per personality: Exchange refuses it (no Send As
permission), SOGo replaces it with the user's own address, Z-Push relays it as sent. And Z-Push's
answer to a Ping heartbeat of 0 or -1."""

from __future__ import annotations

import time
from dataclasses import replace
from email.message import EmailMessage

import pytest

from easclient import wbxml
from easclient.mock import MockServer
from easclient.protocol.ping import PingFolder, PingRequest, PingResponse
from easclient.protocol.sendmail import SendMailRequest
from easclient.protocol.status import PingStatus

from .helpers import ready_device


def _mime(sender: str, subject: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "bob@example.test"
    msg["Subject"] = subject
    msg.set_content("hello")
    return msg.as_bytes()


def _bob_inbox_from(server, subject: str) -> str | None:
    bob = ready_device(server, 1, device_id="reader")
    _, adds = bob.sync_all()
    for add in adds:
        if add.application_data.subject == subject:
            return add.application_data.from_
    return None


def test_exchange_refuses_a_from_the_user_does_not_own(eas_mock_server):
    alice = ready_device(eas_mock_server)
    forged = SendMailRequest(_mime("Boss <ceo@example.test>", "forged"), "c1")
    resp = alice.post("SendMail", forged.to_element())
    assert resp.status_code == 200
    assert wbxml.decode(resp.content).findtext("Status") == "120"  # MailSubmissionFailed
    old = ready_device(eas_mock_server, device_id="old", version="12.1")
    body, params = SendMailRequest(_mime("ceo@example.test", "forged 12.1")).body_and_params("12.1")
    assert old.post("SendMail", body, extra_params=params).status_code == 403
    # Their own address, with or without a display name, is sent.
    own = SendMailRequest(_mime("Alice <ALICE@example.test>", "own"), "c2")
    assert alice.post("SendMail", own.to_element()).content == b""
    assert _bob_inbox_from(eas_mock_server, "forged") is None
    assert _bob_inbox_from(eas_mock_server, "forged 12.1") is None
    assert "alice@example.test" in _bob_inbox_from(eas_mock_server, "own").lower()


@pytest.mark.parametrize(
    "personality, delivered_from",
    [("sogo", "alice@example.test"), ("zpush", "ceo@example.test")],
)
def test_sogo_replaces_and_zpush_keeps_a_foreign_from(eas_mock_config, personality, delivered_from):
    config = replace(eas_mock_config, personality=personality, heartbeat_min=0)
    with MockServer(config).start_in_thread() as server:
        alice = ready_device(server)
        if personality == "sogo":
            alice.folder_sync()
        forged = SendMailRequest(_mime("Boss <ceo@example.test>", "forged"), "c1")
        resp = alice.post("SendMail", forged.to_element())
        assert resp.status_code == 200 and resp.content == b""
        got = _bob_inbox_from(server, "forged")
        assert got is not None and delivered_from in got


@pytest.mark.parametrize("heartbeat", [0, -1])
def test_zpush_answers_heartbeat_0_and_minus_1_at_once_with_status_1(eas_mock_config, heartbeat):
    # Z-Push's default config has no PING_LOWER/HIGHER_BOUND_LIFETIME: lifetimeBetweenBound()
    # is true, CheckForChanges() waits until time() + lifetime, which is already past, and the
    # answer is SYNC_PINGSTATUS_HBEXPIRED (1) at once (request/ping.php, synccollections.php).
    config = replace(eas_mock_config, personality="zpush", heartbeat_min=0)
    with MockServer(config).start_in_thread() as server:
        dev = ready_device(server)
        dev.sync_all()
        body = PingRequest(heartbeat, (PingFolder("2", "Email"),)).to_element("14.1")
        start = time.monotonic()
        resp = dev.post("Ping", body)
        answer = PingResponse.from_element(wbxml.decode(resp.content))
        assert answer.status == PingStatus.HeartbeatExpired
        assert time.monotonic() - start < 2
