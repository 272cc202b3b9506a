"""The report model and its three renderings."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET

from rich.console import Console

from easclient.check.context import CheckContext, CheckOptions
from easclient.check.render import render_table, to_json, to_junit
from easclient.check.report import Report, Result, Step, Verdict
from easclient.check.runner import run_steps
from easclient.check.target import parse_target


def _report(*results: tuple[str, Result, bool]) -> Report:
    report = Report(target="https://mail.example.test", seconds=1.5)
    for name, result, required in results:
        report.add(Step(name, name.upper(), result, f"seen {name}", "why", "fix", 0.25, required))
    return report


def test_exit_code_counts_only_required_steps_and_warnings_pass() -> None:
    assert _report(("a", Result.PASS, True), ("b", Result.WARN, True)).exit_code == 0
    assert _report(("a", Result.PASS, True), ("b", Result.FAIL, False)).exit_code == 0
    assert _report(("a", Result.FAIL, True)).exit_code == 1
    assert _report(("a", Result.SKIP, True)).exit_code == 1  # required, never ran
    assert _report(("a", Result.SKIP, False)).exit_code == 0


def test_a_required_failure_fails_the_verdict_an_optional_one_warns() -> None:
    assert _report(("a", Result.PASS, True)).verdict is Verdict.PASS
    assert _report(("a", Result.PASS, True), ("b", Result.FAIL, False)).verdict is Verdict.WARN
    assert _report(("a", Result.WARN, True)).verdict is Verdict.WARN
    assert _report(("a", Result.FAIL, True), ("b", Result.WARN, True)).verdict is Verdict.FAIL


def test_json_report_keeps_its_shape() -> None:
    doc = json.loads(to_json(_report(("dns", Result.PASS, True), ("ping", Result.FAIL, True))))
    assert doc["verdict"] == "fail" and doc["ok"] is False
    assert [(s["name"], s["result"], s["detail"]) for s in doc["steps"]] == [
        ("dns", "pass", "seen dns"),
        ("ping", "fail", "seen ping"),
    ]
    assert set(doc["steps"][0]) >= {"why", "fix", "seconds", "required"}


def test_junit_report_has_a_case_per_step() -> None:
    report = _report(
        ("dns", Result.PASS, True),
        ("tls-dates", Result.WARN, True),
        ("ping", Result.FAIL, True),
        ("probe", Result.SKIP, False),
    )
    root = ET.fromstring(to_junit(report))
    suite = root.find("testsuite")
    assert suite.get("tests") == "4" and suite.get("failures") == "1"
    assert suite.get("skipped") == "1"
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert list(cases) == ["dns", "tls-dates", "ping", "probe"]
    failure = cases["ping"].find("failure")
    assert failure.get("message") == "seen ping" and "how to fix: fix" in failure.text
    assert cases["probe"].find("skipped") is not None
    assert cases["tls-dates"].find("failure") is None
    assert "WARNING" in cases["tls-dates"].find("system-out").text
    assert cases["dns"].get("time") == "0.250"


def test_table_shows_every_step_and_explains_problems() -> None:
    out = io.StringIO()
    report = _report(("dns", Result.PASS, True), ("ping", Result.FAIL, True))
    render_table(report, Console(file=out, width=140, color_system=None))
    text = out.getvalue()
    assert "DNS" in text and "PING" in text and "FAIL" in text
    assert "why it matters: why" in text and "how to fix: fix" in text
    assert "verdict: FAIL" in text


def test_runner_turns_a_crashing_step_into_a_failure() -> None:
    def boom_step(ctx: CheckContext) -> Step:
        raise RuntimeError("unexpected")

    ctx = CheckContext(parse_target("https://x.test"), CheckOptions())
    report = run_steps(ctx, [boom_step])
    (step,) = report.steps
    assert step.name == "boom" and step.result is Result.FAIL
    assert "RuntimeError: unexpected" in step.seen
    assert step.seconds is not None and report.seconds is not None
