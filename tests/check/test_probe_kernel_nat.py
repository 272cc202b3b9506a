"""The heartbeat probe through the kernel's own NAT (conntrack in network namespaces; root only):
the mock server runs in the server namespace, `eas heartbeat-probe` in the device namespace, and
the NAT forgets idle mappings after ``nf_conntrack_tcp_timeout_established`` seconds.

It must find that timeout within ±10 % or ±2 s. Skips, with the reason, without root or the
tools (CI runs as root).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import pytest

from easclient.netsim.errors import KernelNatUnavailable
from easclient.netsim.kernel import KernelNatConfig, build, check_available

TIMEOUT = 4  # conntrack's idle timeout for established TCP, seconds
PASSWORD = "probe-pw"


@pytest.fixture
def carrier_nat():
    try:
        check_available()
        net = build(KernelNatConfig(tcp_timeout_established=TIMEOUT))
    except KernelNatUnavailable as exc:
        pytest.skip(exc.reason)
    try:
        yield net
    finally:
        net.close()


def _read_line(proc: subprocess.Popen, timeout: float) -> str:
    got: list[str] = []
    reader = threading.Thread(target=lambda: got.append(proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return got[0] if got else ""


@pytest.mark.root
@pytest.mark.slow
def test_probe_finds_the_conntrack_timeout(carrier_nat) -> None:
    server = carrier_nat.popen(
        "server",
        [
            sys.executable,
            "-m",
            "easclient.cli",
            "mock-server",
            "--host",
            "0.0.0.0",
            "--port",
            "8080",
            "--users",
            f"alice:{PASSWORD}",
            "--heartbeat-min",
            "1",
            "--messages-per-folder",
            "2",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert _read_line(server, 30).startswith("{"), "the mock server did not start"
    url = f"http://{carrier_nat.server_target}:8080"
    probe = carrier_nat.popen(
        "device",
        [
            sys.executable,
            "-m",
            "easclient.cli",
            "heartbeat-probe",
            url,
            "--user",
            "alice",
            "--min",
            "1",
            "--max",
            "12",
            "--margin",
            "1",
            "--budget",
            "60",
            "--json",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "EAS_PASSWORD": PASSWORD},
    )
    out, err = probe.communicate(timeout=120)
    assert probe.returncode == 0, err
    doc = json.loads(out)
    assert doc["failure_mode"] == "blackhole", doc  # conntrack forgets silently
    found = doc["longest_surviving_heartbeat"]
    assert abs(found - TIMEOUT) <= max(2, 0.1 * TIMEOUT), doc
    assert doc["shortest_lost_heartbeat"] > found
