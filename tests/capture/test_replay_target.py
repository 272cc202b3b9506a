"""A replay whose target is wrong stops at once with one line: no server at the URL, a TLS
failure, or credentials the server refuses; and --command must name commands the capture has."""

from __future__ import annotations

import subprocess
import sys

import pytest

from easclient.capture import Replayer, TargetUnreachable, read_capture
from easclient.client import BasicAuth, HttpxTransport

from .conftest import FIXTURES, PASSWORD


def _eas_replay(*args: str, password: str = PASSWORD) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "easclient.cli", "replay", str(FIXTURES / "iphone.jsonl"), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "EAS_PASSWORD": password},
        stdin=subprocess.DEVNULL,
    )


def test_no_server_stops_the_replay_at_the_first_request():
    capture = read_capture(FIXTURES / "iphone.jsonl")
    seen = []
    with HttpxTransport("http://127.0.0.1:9", auth=BasicAuth("alice", "x")) as transport:
        transport.connect_timeout = 2
        with pytest.raises(TargetUnreachable, match=r"cannot connect.*nothing replayed"):
            Replayer(transport).run(capture, on_step=seen.append)
    assert seen == []


def test_refused_credentials_stop_the_replay(mock_server):
    server = mock_server()
    capture = read_capture(FIXTURES / "iphone.jsonl")
    with (
        HttpxTransport(server.url, auth=BasicAuth("alice", "wrong")) as transport,
        pytest.raises(TargetUnreachable, match=r"HTTP 401.*refused user 'alice'"),
    ):
        Replayer(transport, user="alice").run(capture)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:9", "cannot connect"),
        ("https://127.0.0.1:9", "cannot connect"),
    ],
)
def test_cli_unreachable_target_is_one_line(url, expected):
    r = _eas_replay(url)
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("eas: error: ") and expected in lines[0]
    assert r.stdout == ""


def test_cli_wrong_password_is_one_line_without_the_password(mock_server):
    server = mock_server()
    r = _eas_replay(server.url, password="not-the-password-42")
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [
        f"eas: error: {server.url}: HTTP 401 to the first request (OPTIONS): the server refused "
        "user 'alice'; nothing replayed"
    ]
    assert "not-the-password-42" not in r.stderr + r.stdout


def test_cli_command_not_in_the_capture_is_refused():
    r = _eas_replay("http://127.0.0.1:9", "--command", "Sync", "--command", "Nope")
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [
        "eas: error: --command Nope: not in the capture, which holds FolderSync, OPTIONS, Ping, "
        "Provision, Sync"
    ]


def _eas_capture(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "easclient.cli", "capture", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_capture_show_refuses_a_command_not_in_the_capture():
    r = _eas_capture("show", str(FIXTURES / "iphone.jsonl"), "--command", "nope")
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [
        "eas: error: --command nope: not in the capture, which holds FolderSync, OPTIONS, Ping, "
        "Provision, Sync"
    ]
    assert r.stdout == ""


def test_capture_show_refuses_a_width_that_would_print_nothing():
    r = _eas_capture("show", str(FIXTURES / "iphone.jsonl"), "--width", "0")
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1 and "'--width'" in r.stderr
