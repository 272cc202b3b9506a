"""`eas matrix` against real SOGo (its deviations pinned, so a change in SOGo is noticed) and
against the mock server's personalities (which follow the spec where SOGo does not)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from easclient.matrix import MatrixConfig, render_json, render_table, run_matrix
from easclient.mock import PERSONALITIES

from .conftest import VERSIONS

CORE = ("Provision", "FolderSync", "FolderSync (incremental)", "Sync", "GetItemEstimate")


def test_matrix_against_sogo_pins_its_deviations(sogo):
    report = run_matrix(
        MatrixConfig(url=sogo.url, user="alice", password="alice-pw", versions=VERSIONS)
    )
    assert report.server_version == "14.1"
    assert [r.version for r in report.runs] == list(VERSIONS)
    assert [r.advertised for r in report.runs] == [True, True, True, False]
    for run in report.runs:
        for command in (*CORE, "ItemOperations", "Settings", "FolderSync (base64 query)"):
            step = run.step(command)
            assert step is not None and step.ok and step.http_status == 200, (run.version, step)
        assert "no policy" in run.step("Provision").detail
        assert "with bodies" in run.step("Sync").detail

    def observed(probe: str) -> str:
        d = report.deviation(probe)
        assert d is not None, f"SOGo no longer deviates on {probe}: {report.conforming}"
        return d.observed

    # What SOGo 5.8 does today, against MS-ASHTTP / MS-ASCMD:
    assert observed("no-credentials") == "HTTP 403 without WWW-Authenticate"
    assert observed("missing-deviceid") == "HTTP 500"
    assert observed("unknown-synckey").endswith("HTTP 200, Status 1, 0 commands")
    assert observed("malformed-synckey").endswith("HTTP 501")
    assert report.deviation("unadvertised-version").version == "16.1"
    assert report.deviation("ping-spurious-change") is not None
    assert report.deviation("settings-response-shape") is not None
    assert "wrong-password" in report.conforming
    # Reused connections: reported one way or the other, never silently dropped.
    assert ("keepalive" in report.conforming) != (report.deviation("keepalive") is not None)
    assert any("Policy Status 2" in n for n in report.notes)

    table = render_table(report)
    assert "16.1 (not adv.)" in table and "no-credentials" in table
    assert json.loads(render_json(report))["runs"][3]["version"] == "16.1"


def test_eas_matrix_cli_json_against_sogo(sogo):
    env = {**os.environ, "EAS_PASSWORD": "alice-pw"}
    cmd = [sys.executable, "-m", "easclient.cli", "matrix", sogo.url, "--user", "alice"]
    res = subprocess.run(
        [*cmd, "--version", "14.1", "--no-probes", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert [r["version"] for r in data["runs"]] == ["14.1"]
    assert data["deviations"] == [] or all(
        d["probe"] in ("ping-spurious-change", "settings-response-shape")
        for d in data["deviations"]
    )
    assert "alice-pw" not in res.stdout + res.stderr

    bad = subprocess.run(
        [*cmd, "--version", "9.9"], capture_output=True, text=True, env=env, timeout=60
    )
    assert bad.returncode == 2
    assert bad.stderr.startswith("eas: error:") and "9.9" in bad.stderr
    assert "Traceback" not in bad.stderr


@pytest.mark.parametrize(
    "personality",
    # Bounds only (quirks=()): the sogo personality's quirks are checked in
    # tests/mock/test_personality_quirks.py. The personalities that take Basic sign-in:
    # exchange-online takes bearer tokens only (tests/auth/test_exchange_online.py).
    [
        pytest.param(n, marks=pytest.mark.eas_mock(personality=n, quirks=()))
        for n in sorted(PERSONALITIES)
        if "basic" in PERSONALITIES[n].auth_schemes
    ],
)
def test_matrix_against_mock_personalities(personality, eas_mock_server):
    p = PERSONALITIES[personality]
    report = run_matrix(
        MatrixConfig(
            url=eas_mock_server.url,
            user="alice",
            password="alice-pw",
            versions=("12.1", "14.1", "16.1"),
            heartbeat=2,
            # Only where the personality has a maximum: elsewhere the Ping would be held.
            long_heartbeat=(p.heartbeat_max + 60) if p.heartbeat_max else None,
            keepalive_probe=5,
        )
    )
    assert report.server_version == p.server_version
    for run in report.runs:
        for command in (*CORE, "ItemOperations", "Settings", "Ping"):
            step = run.step(command)
            assert step is not None and step.ok, (personality, run.version, step)
        long_ping = run.step("Ping (above maximum)")
        if p.heartbeat_max:
            # Status 5 at once, carrying the maximum: no "delayed" deviation as with SOGo.
            assert long_ping.status == 5 and long_ping.seconds < 3
            assert f"HeartbeatInterval {p.heartbeat_max}" in long_ping.detail
    assert report.deviations == [], report.deviations
    assert {"no-credentials", "missing-deviceid", "unknown-synckey", "malformed-synckey"} <= set(
        report.conforming
    )
