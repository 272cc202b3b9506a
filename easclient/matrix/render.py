"""The matrix as a table (rich) or as JSON."""

from __future__ import annotations

import io
import json

from rich.console import Console
from rich.table import Table

from .model import MatrixReport


def render_json(report: MatrixReport) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False)


def _cell(step) -> str:
    if step is None:
        return "-"
    if step.http_status is None:
        head = "no answer"
    elif step.http_status != 200:
        head = f"HTTP {step.http_status}"
    else:
        head = f"{step.status}" if step.status is not None else "200"
    mark = "" if step.ok else " !"
    return f"{head}{mark} {step.seconds:.2f}s"


def render_table(report: MatrixReport, *, width: int = 140) -> str:
    """Commands down, versions across; each cell "status seconds" ("!" marks a failed step)."""
    out = io.StringIO()
    console = Console(file=out, width=width, force_terminal=False, color_system=None)
    console.print(
        f"{report.url}\nMS-Server-ActiveSync {report.server_version or '?'}; advertised "
        f"versions {', '.join(report.advertised_versions) or 'none'}; {report.seconds:.1f} s"
    )
    table = Table(show_lines=False)
    table.add_column("command")
    for run in report.runs:
        table.add_column(run.version + ("" if run.advertised else " (not adv.)"))
    commands: list[str] = []
    # The fullest run sets the order (older versions lack some commands).
    for run in sorted(report.runs, key=lambda r: -len(r.steps)):
        for step in run.steps:
            if step.command not in commands:
                commands.append(step.command)
    for command in commands:
        table.add_row(command, *(_cell(run.step(command)) for run in report.runs))
    console.print(table)
    for run in report.runs:
        for step in run.steps:
            if step.detail:
                console.print(f"  {run.version} {step.command}: {step.detail}")
    if report.deviations:
        console.print("Deviations from MS-ASCMD / MS-ASHTTP:")
        for d in report.deviations:
            at = f" [{d.version}]" if d.version else ""
            console.print(f"  - {d.probe}{at}: observed {d.observed}; expected {d.expected}")
    if report.conforming:
        console.print(f"As the spec says: {', '.join(report.conforming)}")
    for note in report.notes:
        console.print(f"Note: {note}")
    return out.getvalue()
