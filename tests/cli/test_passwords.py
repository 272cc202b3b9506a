"""An empty password variable is an error, the same for every command that signs in (an empty
variable, e.g. from a failed $(cat file), used to be sent as the password and cost a 401)."""

from __future__ import annotations

import subprocess
import sys

import pytest

COMMANDS = [
    ["sync", "http://127.0.0.1:9", "-u", "a"],
    ["check", "http://127.0.0.1:9", "-u", "a"],
    ["heartbeat-probe", "http://127.0.0.1:9", "-u", "a"],
    ["matrix", "http://127.0.0.1:9", "-u", "a"],
]


def _eas(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "easclient.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", **env},
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: a[0])
def test_empty_password_variable_is_refused(args):
    r = _eas([*args, "--password-env", "PW"], {"PW": ""})
    assert r.returncode == 2
    assert r.stderr == "eas: error: --password-env PW: that variable is empty\n"
    r = _eas(args, {"EAS_PASSWORD": ""})
    assert r.returncode == 2
    assert r.stderr == "eas: error: EAS_PASSWORD is set but empty\n"


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: a[0])
def test_no_password_without_a_terminal(args):
    r = _eas(args, {})
    assert r.returncode == 2
    assert r.stderr == (
        "eas: error: no password: set EAS_PASSWORD, use --password-env VAR, or run on a terminal\n"
    )


@pytest.mark.parametrize(
    "args",
    [
        ["sync", "http://127.0.0.1:9"],
        ["replay", "fixtures/captures/iphone.jsonl", "http://127.0.0.1:9"],
    ],
    ids=lambda a: a[0],
)
def test_empty_token_variable_is_refused(args):
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    args = [str(root / a) if a.startswith("fixtures/") else a for a in args]
    r = _eas([*args, "--token-env", "TK"], {"TK": ""})
    assert r.returncode == 2
    assert r.stderr == "eas: error: --token-env TK: that variable is not set or empty\n"
