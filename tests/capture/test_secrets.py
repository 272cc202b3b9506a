"""Nothing secret survives in any capture: the committed fixtures, captures the client, the
replay and the CLI write here, and the checker itself finds what it should."""

from __future__ import annotations

import base64
import json

import pytest

from easclient.capture import find_leaks, secret_forms
from easclient.capture.fixtures import record_session

from .conftest import FIXTURES, PASSWORD, fixture_files

BASIC = base64.b64encode(f"alice:{PASSWORD}".encode()).decode()


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: p.stem)
def test_fixture_files_hold_no_password_or_basic_credential(path):
    text = path.read_text(encoding="utf-8")
    assert PASSWORD not in text and BASIC not in text
    assert find_leaks(path, [PASSWORD], user="alice") == []
    auth = [json.loads(line)["request_headers"].get("Authorization") for line in text.splitlines()]
    assert set(auth) == {"Basic [redacted]"}  # every request carried one, every one redacted


def test_a_server_echoing_the_password_is_scrubbed_too(tmp_path, mock_server):
    """The writer scrubs known secrets from the whole line, wherever a server put them: here
    the mailbox password is the subject of a delivered mail."""
    server = mock_server()
    server.control.deliver("alice", 1, subject=f"your password is {PASSWORD}")
    path = tmp_path / "echo.jsonl"
    record_session(
        server.url, path, profile="android", user="alice", password=PASSWORD, device_seed="e"
    )
    text = path.read_text(encoding="utf-8")
    assert "your password is [redacted]" in text
    assert PASSWORD not in text and BASIC not in text


def test_checker_finds_planted_leaks(tmp_path):
    line = json.loads((FIXTURES / "iphone.jsonl").read_text().splitlines()[1])
    line["request_headers"]["Authorization"] = f"Basic {BASIC}"
    line["response_headers"]["Set-Cookie"] = "s=1"
    line["error"] = f"echo {json.dumps(PASSWORD)}"
    path = tmp_path / "leaky.jsonl"
    path.write_text("\n".join(["{}", json.dumps(line)]) + "\n", encoding="utf-8")
    leaks = [str(leak) for leak in find_leaks(path, [PASSWORD], user="alice")]
    assert leaks == [
        "line 2: secret #1 appears",
        "line 2: request_headers Authorization is not redacted",
        "line 2: response_headers Set-Cookie is not redacted",
    ]
    assert PASSWORD not in " ".join(leaks)  # the report never repeats the secret


def test_secret_forms_cover_json_escaping_and_basic():
    forms = secret_forms('pa"ss', user="bob")
    assert 'pa"ss' in forms and 'pa\\"ss' in forms
    assert base64.b64encode(b'bob:pa"ss').decode() in forms


# -- the other ways of signing in (--auth): no token, NTLM message or password in a capture ----


def _eas_capture(args: list[str], env: dict[str, str]):
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    return subprocess.run(
        [sys.executable, "-m", "easclient.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(root), **env},
        stdin=subprocess.DEVNULL,
    )


def test_bearer_token_from_a_command_stays_out_of_the_capture(tmp_path):
    import sys

    from easclient.mock import MockConfig, MockServer, parse_users

    server = MockServer(
        MockConfig(users=tuple(parse_users("alice:alice-pw")), personality="exchange-online")
    )
    handle = server.start_in_thread()
    try:
        token, _ = server.app.state.auth.tokens.access_token(
            "alice@example.test", "app", "EAS.AccessAsUser.All"
        )
        script = tmp_path / "mint.py"
        script.write_text(f"print({token!r})\n")
        path = tmp_path / "bearer.jsonl"
        r = _eas_capture(
            [
                "sync",
                handle.url,
                "-u",
                "alice",
                "--auth",
                "bearer",
                "--token-command",
                f"{sys.executable} {script}",
                "--state",
                str(tmp_path / "s.db"),
                "--capture",
                str(path),
            ],
            {},
        )
    finally:
        handle.stop()
    assert r.returncode == 0, r.stderr
    text = path.read_text(encoding="utf-8")
    assert "FolderSync" in text  # the exchanges are there, the token is not
    assert find_leaks(path, [token, token.split(".")[1]]) == []
    assert token not in r.stdout + r.stderr


def test_ntlm_messages_and_password_stay_out_of_the_capture(tmp_path):
    from easclient.mock import MockConfig, MockServer, parse_users

    handle = MockServer(
        MockConfig(users=tuple(parse_users(f"alice:{PASSWORD}")), auth_schemes=("ntlm",))
    ).start_in_thread()
    path = tmp_path / "ntlm.jsonl"
    try:
        r = _eas_capture(
            [
                "sync",
                handle.url,
                "-u",
                "alice",
                "--auth",
                "ntlm",
                "--state",
                str(tmp_path / "s.db"),
                "--capture",
                str(path),
            ],
            {"EAS_PASSWORD": PASSWORD},
        )
    finally:
        handle.stop()
    assert r.returncode == 0, r.stderr
    text = path.read_text(encoding="utf-8")
    assert find_leaks(path, [PASSWORD], user="alice") == []
    assert "NTLM " not in text and "TlRMTVNT" not in text  # base64 of "NTLMSSP"
