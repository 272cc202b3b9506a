"""Shared helpers for the sign-in and proxy tests: the ``eas`` CLI in a subprocess, with
secrets only in its environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def eas(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``eas ARGS`` as a user runs it (stdin closed, no terminal), this checkout first on the
    path; proxy variables only when the test gives them."""
    base = {
        k: v
        for k, v in os.environ.items()
        if k.lower() not in ("https_proxy", "http_proxy", "all_proxy", "no_proxy")
    }
    base["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "easclient.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**base, **(env or {})},
        stdin=subprocess.DEVNULL,
    )
