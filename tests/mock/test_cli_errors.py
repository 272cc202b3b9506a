"""`eas mock-server` refuses bad settings with one line naming the value, before serving."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--user-count", "0"], "user count must be at least 1, got 0"),
        (["--heartbeat-min", "-1"], "'--heartbeat-min'"),
        (["--versions", ","], "--versions: give at least one of 2.5,"),
        (["--log-level", "nope"], "--log-level must be one of debug,"),
        (["--tls", "--tls-dir", "{file}"], "--tls-dir {file}: not a directory"),
        (["--faults", "{binary}"], "fault file '{binary}' is not UTF-8 text"),
        (["--faults", "{rules}"], "fault file '{rules}': unknown fault field(s) ['rules']"),
        (["--header-timeout", "0"], "header timeout must be above 0 and below 1e6 s, got 0.0"),
        (["--body-timeout", "nan"], "body timeout must be above 0 and below 1e6 s, got nan"),
        (["--max-body-size", "0"], "max body size must be at least 1, got 0"),
        (["--max-connections-per-address", "-1"], "must be >= 0 (0: no cap), got -1"),
    ],
)
def test_bad_setting_is_one_line(tmp_path, args, expected):
    names = {
        "file": tmp_path / "plain-file",
        "binary": tmp_path / "faults.bin",
        "rules": tmp_path / "faults.json",
    }
    names["file"].write_text("x")
    names["binary"].write_bytes(b"\xff\xfe\x00garbage")
    names["rules"].write_text('{"rules": []}')
    args = [a.format(**names) for a in args]
    proc = subprocess.run(
        [sys.executable, "-m", "easclient.cli", "mock-server", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("eas: error: ") and expected.format(**names) in lines[0]
    assert proc.stdout == ""  # never got as far as the ready line
