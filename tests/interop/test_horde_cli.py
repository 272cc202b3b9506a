"""`eas matrix` and `eas check` against a real Horde ActiveSync: the matrix reports Horde's
versions and deviations, and `eas check` passes Provision for real (a policy and a PolicyKey,
not SOGo's "no policy")."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from easclient.matrix import MatrixConfig, render_table, run_matrix

CORE = ("Provision", "FolderSync", "FolderSync (incremental)", "Sync", "GetItemEstimate")


def test_matrix_against_horde_reports_versions_and_deviations(horde):
    report = run_matrix(
        MatrixConfig(
            url=horde.url,
            user="alice",
            password="alice-pw",
            versions=("2.5", "12.0", "14.1", "16.0", "16.1"),
            heartbeat=int(horde.settings["heartbeat_min"]),
            long_heartbeat=int(horde.settings["heartbeat_max"]) + 60,
            keepalive_probe=5,
        )
    )
    assert report.server_version == "16.0"
    assert report.advertised_versions == ["2.5", "12.0", "12.1", "14.0", "14.1", "16.0"]
    assert [run.advertised for run in report.runs] == [True, True, True, True, False]
    for run in report.runs[1:]:
        for command in (*CORE, "ItemOperations", "Settings", "Ping"):
            step = run.step(command)
            assert step is not None and step.ok and step.http_status == 200, (run.version, step)
        assert "final PolicyKey" in run.step("Provision").detail
        assert "with bodies" in run.step("Sync").detail
        above = run.step("Ping (above maximum)")
        assert above.status == 5 and above.seconds < 3, "Status 5 at once"
        assert f"HeartbeatInterval {horde.settings['heartbeat_max']}" in above.detail

    def observed(probe: str) -> str:
        d = report.deviation(probe)
        assert d is not None, f"Horde no longer deviates on {probe}: {report.conforming}"
        return d.observed

    # What Horde 5.2 (Horde_ActiveSync 2.41, PHP 8.2) does today:
    assert observed("not-wbxml") == "Sync: HTTP 200, Content-Type 'text/html'"
    assert report.deviation("not-wbxml").version == "2.5"
    assert observed("provision-required") == "HTTP 449 with a WBXML Status 142"
    assert observed("temporary-policykey").startswith("served with it")
    assert report.deviation("unadvertised-version").version == "16.1"
    assert {"no-credentials", "wrong-password", "missing-deviceid"} <= set(report.conforming)
    assert {"unknown-synckey", "malformed-synckey"} <= set(report.conforming)
    assert not any("no policy" in n for n in report.notes)
    table = render_table(report)
    assert "temporary-policykey" in table and "16.0" in table


def test_eas_check_against_horde_passes_provision_for_real(horde):
    env = {**os.environ, "EAS_PASSWORD": "alice-pw"}
    cmd = [sys.executable, "-m", "easclient.cli", "check", horde.url, "--user", "alice"]
    res = subprocess.run(
        [*cmd, "--json", "--ping-heartbeat", str(horde.settings["heartbeat_min"])],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    steps = {s["name"]: s for s in data["steps"]}
    assert steps["provision"]["result"] == "pass"
    assert steps["provision"]["detail"].startswith("policy accepted; PolicyKey ")
    assert steps["provision"]["data"]["policy_key"] > 0
    assert steps["options"]["data"]["server"] == "16.0"
    assert "Provision" in steps["options"]["data"]["commands"]
    assert steps["foldersync"]["data"]["folders"] == 10
    assert steps["ping"]["result"] == "pass" and steps["ping"]["data"]["status"] == 1
    # Plain http on 127.0.0.1: a warning, not a failure.
    assert data["verdict"] == "warn" and data["ok"] is True
    assert "alice-pw" not in res.stdout + res.stderr
