"""`eas nat` as a user runs it: a subprocess that prints a ready line, forwards, and stops
cleanly on SIGINT/SIGTERM."""

from __future__ import annotations

import json
import selectors
import signal
import socket
import subprocess
import sys

import pytest
import trustme

from easclient.netsim.peers import LongPollServer, long_poll
from easclient.tls import client_context


def _start(*args: str) -> tuple[subprocess.Popen, dict]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "easclient.cli", "nat", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        if not sel.select(timeout=15):
            proc.kill()
            pytest.fail(f"eas nat printed no ready line; stderr: {proc.communicate()[1]}")
    line = proc.stdout.readline()
    if not line:
        pytest.fail(f"eas nat exited: {proc.wait(5)}; stderr: {proc.stderr.read()}")
    return proc, json.loads(line)


def _port(address: str) -> int:
    return int(address.rpartition(":")[2])


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_runs_forwards_and_stops_cleanly(tmp_path, sig):
    log = tmp_path / "nat.jsonl"
    with LongPollServer() as server:
        proc, ready = _start(
            "--target",
            f"127.0.0.1:{server.port}",
            "--idle-timeout",
            "0.3",
            "--on-idle",
            "reset",
            "--json-log",
            str(log),
        )
        try:
            assert ready["target"] == f"127.0.0.1:{server.port}"
            assert ready["listen"].startswith("127.0.0.1:")
            port = _port(ready["listen"])
            result = long_poll("127.0.0.1", port, ["ECHO hi", "HOLD"], read_timeout=2)
            assert result.steps == ["data:hi", "reset"]
            open_sock = socket.create_connection(("127.0.0.1", port), timeout=2)
            open_sock.sendall(b"ECHO still here\n")
            assert open_sock.recv(100) == b"still here\n"
        finally:
            proc.send_signal(sig)
            _out, err = proc.communicate(timeout=10)
        open_sock.close()
    assert proc.returncode == 0, err
    assert err == ""
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert len(records) == 2
    kinds = [e["kind"] for e in records[0]["events"]]
    assert "idle-expired" in kinds and kinds[-1] == "finished"
    # The connection still open at shutdown is logged as closed by the proxy.
    assert {"kind": "closed", "side": "proxy", "detail": "proxy stopped"} in [
        {k: v for k, v in e.items() if k != "at"} for e in records[1]["events"]
    ]


def test_tls_bridge_writes_its_ca(tmp_path):
    server_ca = trustme.CA()
    server_ca_file = tmp_path / "server-ca.pem"
    server_ca.cert_pem.write_to_path(str(server_ca_file))
    ca_out = tmp_path / "proxy-ca.pem"
    proc, ready = _start(
        "--target",
        "127.0.0.1:9",
        "--tls-bridge",
        "--upstream-ca",
        str(server_ca_file),
        "--tls-ca-out",
        str(ca_out),
    )
    try:
        assert ready["tls_ca"] == str(ca_out)
        ctx = client_context(ca_out)
        with (
            socket.create_connection(("127.0.0.1", _port(ready["listen"])), timeout=3) as raw,
            ctx.wrap_socket(raw, server_hostname="localhost") as tls,
        ):
            assert tls.version() in ("TLSv1.2", "TLSv1.3")
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=10)
    assert proc.returncode == 0


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--target", "nohostport"], "--target must be HOST:PORT, got 'nohostport'"),
        (["--target", "127.0.0.1:99999"], "port out of range"),
        (["--target", "127.0.0.1:80", "--on-idle", "forget"], "got 'forget'"),
        (["--target", "127.0.0.1:80", "--idle-timeout", "-1"], "must be positive"),
        (["--target", "127.0.0.1:80", "--max-lifetime", "soon"], "got 'soon'"),
        (["--target", "127.0.0.1:80", "--tls-cert", "x.pem"], "need --tls-bridge"),
        (
            [
                "--target",
                "127.0.0.1:80",
                "--tls-bridge",
                "--tls-cert",
                "/nonexistent.pem",
                "--tls-key",
                "/nonexistent.key",
            ],
            "/nonexistent.pem",
        ),
    ],
)
def test_bad_arguments_give_one_line(args, needle):
    proc = subprocess.run(
        [sys.executable, "-m", "easclient.cli", "nat", *args],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("eas: error: ")
    assert needle in lines[0]
    assert proc.stdout == ""


def test_listen_port_in_use():
    with LongPollServer() as server:
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "easclient.cli",
                "nat",
                "--target",
                "127.0.0.1:80",
                "--listen",
                f"127.0.0.1:{server.port}",
            ],
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert proc.returncode != 0
    assert proc.stderr.count("\n") == 1 and str(server.port) in proc.stderr
