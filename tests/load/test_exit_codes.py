"""`eas load` exits 1 when the run measured nothing worth reading: no device got through its
first sync (a wrong host, refused credentials), or locust itself failed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from easclient.cli.load import run_problem


def test_run_problem_rules():
    log = Path("out/locust.log")
    assert run_problem({"devices_ready": 3}, 0, log) is None
    assert "no device got through" in run_problem({"devices_ready": 0}, 0, log)
    assert "no device got through" in run_problem({}, 0, log)
    assert "locust exited with code 2" in run_problem({"devices_ready": 3}, 2, log)


def test_most_devices_never_ready_fails_the_run():
    log = Path("out/locust.log")
    # Issue 16: 1,072 of 10,000 devices got through their first sync and the run exited 0.
    collapsed = {"devices_started": 10000, "devices_ready": 1072}
    problem = run_problem(collapsed, 0, log)
    assert problem.startswith("only 1072 of 10000 started devices got through their first sync")
    assert "10.7 % < --min-ready 99 %" in problem and "\n" not in problem
    assert run_problem({"devices_started": 100, "devices_ready": 99}, 0, log) is None
    assert run_problem({"devices_started": 100, "devices_ready": 98}, 0, log) is not None
    assert run_problem(collapsed, 0, log, min_ready=10) is None


def test_unreachable_host_exits_1_with_one_error_line(tmp_path):
    users = tmp_path / "fleet.csv"
    users.write_text("user,password\nalice,not-a-real-password-17\n")
    r = subprocess.run(
        [sys.executable, "-m", "easclient.cli", "load", "--host", "http://127.0.0.1:9",
         "--users-csv", str(users), "--delivery-rate", "0", "--devices", "1",
         "--duration", "2s", "--out", str(tmp_path / "out")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert r.returncode == 1, r.stderr
    errors = [line for line in r.stderr.splitlines() if line.startswith("eas: error: ")]
    assert errors == [
        "eas: error: no device got through its first sync; see the errors above and "
        f"{tmp_path / 'out' / 'locust.log'}"
    ]
    assert "connect-error" in r.stdout  # the errors table says why
    assert "not-a-real-password-17" not in r.stdout + r.stderr


def test_embedded_mock_capacity_is_said_up_front():
    from easclient.load.runner import (
        EMBEDDED_MOCK_DEVICES,
        EMBEDDED_MOCK_READY_PER_S,
        embedded_capacity_warning,
    )

    assert embedded_capacity_warning(300, 60) is None
    beyond = embedded_capacity_warning(EMBEDDED_MOCK_DEVICES + 1, 3600)
    assert beyond and "beyond that the run measures the mock" in beyond
    # More devices than the measured ramp makes ready within the run.
    n = int(EMBEDDED_MOCK_READY_PER_S * 100)
    short = embedded_capacity_warning(n, 60)
    assert short and "give a longer --duration" in short and "\n" not in short
    assert embedded_capacity_warning(n, 1000) is None
