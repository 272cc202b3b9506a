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
