"""A real forward proxy for the tests: proxy.py (PyPI ``proxy.py``) in a subprocess on
127.0.0.1, with its idle timeout (``--timeout``: a tunnel with no bytes either way for that long
is closed, as corporate proxies do) and its access log in a file."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


@dataclass
class ForwardProxy:
    url: str
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""


@contextmanager
def forward_proxy(tmp: Path, *, idle_timeout: int = 600) -> Iterator[ForwardProxy]:
    """proxy.py listening on 127.0.0.1 (a free port), closing tunnels idle ``idle_timeout`` s."""
    port_file, log = tmp / "proxy.port", tmp / "proxy.log"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "proxy",
            "--hostname",
            "127.0.0.1",
            "--port",
            "0",
            "--port-file",
            str(port_file),
            "--num-workers",
            "1",
            "--num-acceptors",
            "1",
            "--timeout",
            str(int(idle_timeout)),
            "--log-level",
            "INFO",
            "--log-file",
            str(log),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            text = port_file.read_text().strip() if port_file.exists() else ""
            if text:
                break
            if proc.poll() is not None:
                raise RuntimeError(f"proxy.py exited with status {proc.returncode}")
            time.sleep(0.05)
        else:
            raise RuntimeError("proxy.py did not start within 30 s")
        yield ForwardProxy(f"http://127.0.0.1:{int(text.split()[0])}", log)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
