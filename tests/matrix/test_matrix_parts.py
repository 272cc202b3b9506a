"""The matrix's own parts, without a server: rendering and the CLI's argument errors."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from easclient.cli import _load, app
from easclient.matrix import (
    Deviation,
    MatrixReport,
    StepResult,
    VersionRun,
    render_json,
    render_table,
)
from easclient.matrix.runner import _merge_deviations


def _report() -> MatrixReport:
    report = MatrixReport("http://h", "14.1", ["14.1"], ["Sync"])
    report.runs = [
        VersionRun("14.1", True, [StepResult("Sync", 200, 1, 0.25, True, "6 items")]),
        VersionRun(
            "16.1",
            False,
            [
                StepResult("Sync", 200, 1, 0.5, True),
                StepResult("Ping", None, None, 1.0, False, "reset"),
                StepResult("Settings", 500, None, 0.01, False),
            ],
        ),
    ]
    report.conforming = ["wrong-password"]
    report.notes = ["a note"]
    return report


def test_the_table_marks_failures_and_steps_a_version_did_not_run():
    report = _report()
    _merge_deviations(report, [Deviation("keepalive", "kept", "reset", "14.1")])
    _merge_deviations(report, [Deviation("keepalive", "kept", "reset", "16.1")])
    assert len(report.deviations) == 1 and report.deviations[0].version == "14.1, 16.1"
    text = render_table(report)
    assert "16.1 (not adv.)" in text
    assert "no answer !" in text and "HTTP 500 !" in text and "1 0.25s" in text
    ping_row = next(line for line in text.splitlines() if "Ping" in line)
    assert "-" in ping_row  # 14.1 did not run a Ping
    assert "keepalive [14.1, 16.1]: observed reset; expected kept" in text
    assert "As the spec says: wrong-password" in text and "Note: a note" in text
    data = json.loads(render_json(report))
    assert data["runs"][1]["steps"][1]["http_status"] is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["matrix", "http://127.0.0.1:1"], "--user is required"),
        (["matrix", "http://127.0.0.1:1", "--user", "a", "--heartbeat", "0"], "at least 1 s"),
        (["matrix", "ftp://x", "--user", "a"], "must be http(s)"),
        (["matrix", "http://127.0.0.1:1", "--user", "a", "--version", "3.0"], "3.0"),
    ],
)
def test_bad_matrix_arguments_are_one_line_and_exit_2(args, message, monkeypatch):
    monkeypatch.setenv("EAS_PASSWORD", "pw")
    _load()
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
