"""The report `eas check` produces: one `Step` per thing checked, and a `Report` that holds them.

Each step says what was seen, why it matters and how to fix it, so the report reads on its own
(in the manner of Microsoft's Remote Connectivity Analyzer, but run from inside the network).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class Result(enum.StrEnum):
    """The outcome of one step."""

    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    SKIP = "skip"


@dataclass
class Step:
    """One checked thing.

    ``required`` steps decide the exit code: a required step that fails (or is skipped because
    what it needs failed) makes the whole check fail. A warning still counts as passed: the path
    works, with a caveat worth reading.
    """

    name: str
    title: str
    result: Result
    seen: str
    why: str = ""
    fix: str = ""
    seconds: float | None = None
    required: bool = True
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.result in (Result.PASS, Result.WARN)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "result": self.result.value,
            "required": self.required,
            "detail": self.seen,
            "why": self.why,
            "fix": self.fix,
            "seconds": None if self.seconds is None else round(self.seconds, 3),
            "data": self.data,
        }


class Verdict(enum.StrEnum):
    """The overall answer: pass (all good), warn (works, read the warnings), fail."""

    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"


@dataclass
class Report:
    """Every step of one check, in the order they ran."""

    target: str
    steps: list[Step] = field(default_factory=list)
    seconds: float | None = None
    #: lines that frame the report (e.g. what the demonstration set up)
    notes: list[str] = field(default_factory=list)

    def add(self, step: Step) -> Step:
        self.steps.append(step)
        return step

    def step(self, name: str) -> Step | None:
        """The step called ``name``, if it ran."""
        return next((s for s in self.steps if s.name == name), None)

    @property
    def ok(self) -> bool:
        """True when every required step passed (warnings included): the exit code is 0."""
        return all(s.passed for s in self.steps if s.required)

    @property
    def verdict(self) -> Verdict:
        if not self.ok:
            return Verdict.FAIL
        if any(s.result is Result.WARN or s.result is Result.FAIL for s in self.steps):
            return Verdict.WARN
        return Verdict.PASS

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "verdict": self.verdict.value,
            "ok": self.ok,
            "seconds": None if self.seconds is None else round(self.seconds, 3),
            "notes": self.notes,
            "steps": [s.to_dict() for s in self.steps],
        }
