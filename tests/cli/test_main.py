"""The `eas` entry point: usage errors are one line on stderr and a non-zero exit, like ours."""

from __future__ import annotations

import subprocess
import sys

import pytest


def _eas(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "easclient.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["sync", "--usr", "x", "http://127.0.0.1:9"], "No such option: --usr"),
        (["sync", "http://127.0.0.1:9", "--tcp-keepalive", "abc"], "'--tcp-keepalive'"),
        (["sync"], "Missing argument"),
        (["nosuch"], "No such command 'nosuch'"),
        (["wbxml", "decode"], "Missing argument"),
    ],
)
def test_usage_error_is_one_line(args: list[str], expected: str) -> None:
    proc = _eas(*args)
    assert proc.returncode == 2
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("eas: error: ")
    assert expected in lines[0]
    assert "--help" in lines[0]  # where to look next
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""


def test_no_arguments_print_the_help() -> None:
    proc = _eas()
    assert proc.returncode == 2
    assert "Usage: eas" in proc.stdout
    assert "mock-server" in proc.stdout


def test_exit_codes_of_commands_pass_through() -> None:
    ok = _eas("query", "encode", "--cmd", "Sync", "--device-id", "d", "--device-type", "t")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("?")
    bad = _eas("wbxml", "decode", "/nonexistent/body.wbxml")
    assert bad.returncode == 2
    assert bad.stderr.startswith("eas: error: ")


def test_version_prints_the_installed_package_version() -> None:
    from importlib.metadata import version

    proc = _eas("--version")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"eas (easclient) {version('easclient')}\n"
