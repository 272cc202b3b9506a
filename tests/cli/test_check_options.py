"""`eas check` refuses an empty probe range before checking anything."""

from __future__ import annotations

import subprocess
import sys


def test_probe_max_below_probe_min_is_refused():
    r = subprocess.run(
        [sys.executable, "-m", "easclient.cli", "check", "http://127.0.0.1:9", "-u", "a",
         "--probe-heartbeat", "--probe-min", "100", "--probe-max", "10"],
        capture_output=True, text=True, timeout=60,
        env={"PATH": "/usr/bin:/bin", "EAS_PASSWORD": "x"},
    )  # fmt: skip
    assert r.returncode == 2
    assert r.stderr == "eas: error: --probe-max 10 is below --probe-min 100\n"
    assert r.stdout == ""
