"""`eas matrix` option errors name the option; --protocol picks versions as elsewhere."""

from __future__ import annotations

import subprocess
import sys


def _matrix(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "easclient.cli", "matrix", "http://127.0.0.1:9", "-u", "a", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "EAS_PASSWORD": "x"},
    )


def test_bad_heartbeat_names_its_option():
    r = _matrix("--long-heartbeat", "0")
    assert r.returncode == 2
    assert r.stderr == "eas: error: --long-heartbeat must be at least 1 s, got 0\n"
    r = _matrix("--heartbeat", "-5")
    assert r.stderr == "eas: error: --heartbeat must be at least 1 s, got -5\n"


def test_protocol_is_the_version_option():
    r = _matrix("--protocol", "99")
    assert r.returncode == 2
    assert "unknown protocol version(s) ['99']" in r.stderr
