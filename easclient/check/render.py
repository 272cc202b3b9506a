"""Three ways to show a `Report`: a rich table for people, JSON for scripts, JUnit XML for CI."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from rich.console import Console
from rich.table import Table
from rich.text import Text

from .report import Report, Result, Step

_STYLE = {
    Result.PASS: "bold green",
    Result.WARN: "bold yellow",
    Result.FAIL: "bold red",
    Result.SKIP: "dim",
}


def _seconds(step: Step) -> str:
    return "" if step.seconds is None else f"{step.seconds:.2f}s"


def render_table(report: Report, console: Console) -> None:
    """Print the report: one row per step, then why and how to fix for each warning and failure."""
    for note in report.notes:
        console.print(note, highlight=False)
    table = Table(title=f"eas check {report.target}", title_justify="left", expand=False)
    table.add_column("step", no_wrap=True)
    table.add_column("result", no_wrap=True)
    table.add_column("time", justify="right", no_wrap=True)
    table.add_column("what was seen", overflow="fold")
    for step in report.steps:
        label = step.result.value.upper()
        if not step.required and step.result is not Result.SKIP:
            label += " (optional)"
        table.add_row(step.title, Text(label, style=_STYLE[step.result]), _seconds(step), step.seen)
    console.print(table)
    for step in report.steps:
        if step.result not in (Result.WARN, Result.FAIL):
            continue
        console.print(Text(f"{step.result.value.upper()}: {step.title}", style=_STYLE[step.result]))
        console.print(f"  seen: {step.seen}", highlight=False)
        if step.why:
            console.print(f"  why it matters: {step.why}", highlight=False)
        if step.fix:
            console.print(f"  how to fix: {step.fix}", highlight=False)
    verdict = report.verdict.value.upper()
    style = {"PASS": "bold green", "WARN": "bold yellow", "FAIL": "bold red"}[verdict]
    took = "" if report.seconds is None else f" in {report.seconds:.1f}s"
    console.print(Text(f"verdict: {verdict}{took}", style=style))


def to_json(report: Report) -> str:
    """The verdict and every step (name, result, detail, and the rest) as one JSON object."""
    return json.dumps(report.to_dict(), indent=2)


def to_junit(report: Report, suite: str = "eas check") -> str:
    """JUnit XML: one testcase per step; ``failure`` for fail, ``skipped`` for skip.

    Warnings pass (as the exit code treats them) and carry their text in ``system-out`` so a CI
    page still shows them.
    """
    failures = sum(1 for s in report.steps if s.result is Result.FAIL)
    skipped = sum(1 for s in report.steps if s.result is Result.SKIP)
    root = ET.Element("testsuites")
    ts = ET.SubElement(
        root,
        "testsuite",
        name=suite,
        tests=str(len(report.steps)),
        failures=str(failures),
        errors="0",
        skipped=str(skipped),
        time=f"{report.seconds or 0.0:.3f}",
    )
    props = ET.SubElement(ts, "properties")
    ET.SubElement(props, "property", name="target", value=report.target)
    ET.SubElement(props, "property", name="verdict", value=report.verdict.value)
    for step in report.steps:
        case = ET.SubElement(
            ts,
            "testcase",
            classname="eas.check",
            name=step.name,
            time=f"{step.seconds or 0.0:.3f}",
        )
        text = _explain(step)
        if step.result is Result.FAIL:
            kind = "required" if step.required else "optional"
            el = ET.SubElement(case, "failure", message=step.seen, type=f"{kind}-step-failed")
            el.text = text
        elif step.result is Result.SKIP:
            ET.SubElement(case, "skipped", message=step.seen)
        elif step.result is Result.WARN:
            ET.SubElement(case, "system-out").text = "WARNING: " + text
        else:
            ET.SubElement(case, "system-out").text = step.seen
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _explain(step: Step) -> str:
    parts = [f"seen: {step.seen}"]
    if step.why:
        parts.append(f"why it matters: {step.why}")
    if step.fix:
        parts.append(f"how to fix: {step.fix}")
    return "\n".join(parts)
