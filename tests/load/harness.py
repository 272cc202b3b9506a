"""Helpers for the load tests: every locust run happens in a subprocess (locust monkey-patches
the standard library with gevent when imported, which must not happen in this pytest process)."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from easclient.mock import generate_users


@dataclass
class Run:
    name: str
    returncode: int
    stdout: str
    stderr: str
    out: Path
    devices: int

    @property
    def summary(self) -> dict:
        return json.loads((self.out / "summary.json").read_text())

    def assert_clean(self) -> None:
        """Finished, wrote every report, and no password of the mock's users in any output."""
        log = self.out / "locust.log"
        tail = log.read_text(errors="replace")[-3000:] if log.is_file() else ""
        assert self.returncode == 0, f"{self.name}: exit {self.returncode}\n{self.stderr}\n{tail}"
        for name in ("summary.json", "summary.png", "locust.html", "locust_stats.csv"):
            assert (self.out / name).stat().st_size > 0, name
        texts = [self.stdout, self.stderr] + [
            p.read_text(errors="replace") for p in self.out.iterdir() if p.suffix != ".png"
        ]
        for user in generate_users(self.devices):
            assert not any(user.password in t for t in texts), f"{self.name}: password leaked"


def start_load(name: str, out: Path, devices: int, duration: float, *args: str):
    """Start ``eas load`` (mock server started by it) and return (Popen, finisher)."""
    cmd = [
        sys.executable,
        "-m",
        "easclient.cli",
        "load",
        "--scenario",
        name,
        "--devices",
        str(devices),
        "--spawn-rate",
        str(devices),
        "--duration",
        str(duration),
        "--out",
        str(out),
        *args,
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def finish(timeout: float) -> Run:
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            stdout, stderr = proc.communicate()
        return Run(name, proc.returncode, stdout, stderr, out, devices)

    return proc, finish
