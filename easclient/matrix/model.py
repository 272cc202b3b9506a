"""What a capability matrix run found: per version and command, the status seen and how long it
took, plus the server's departures from the spec (deviations) and plain observations (notes)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class StepResult:
    """One command at one protocol version.

    ``status`` is the command's own Status element (None when the answer had none, or there was
    no answer); ``http_status`` the HTTP code (None when the connection failed); ``detail`` what
    else is worth a glance (item counts, a PolicyKey missing, a heartbeat adopted).
    """

    command: str
    http_status: int | None
    status: int | None
    seconds: float
    ok: bool
    detail: str = ""


@dataclass
class VersionRun:
    """The flow at one protocol version."""

    version: str
    advertised: bool
    steps: list[StepResult] = field(default_factory=list)

    def step(self, command: str) -> StepResult | None:
        """The first step named ``command``."""
        return next((s for s in self.steps if s.command == command), None)


@dataclass
class Deviation:
    """Where the server answered other than MS-ASCMD / MS-ASHTTP say it should.

    ``probe`` names the check, ``expected`` what the spec says (with its section), ``observed``
    what came back.
    """

    probe: str
    expected: str
    observed: str
    version: str | None = None


@dataclass
class MatrixReport:
    """Everything one ``eas matrix`` run found."""

    url: str
    server_version: str | None
    advertised_versions: list[str]
    commands: list[str]
    runs: list[VersionRun] = field(default_factory=list)
    deviations: list[Deviation] = field(default_factory=list)
    conforming: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def run(self, version: str) -> VersionRun | None:
        return next((r for r in self.runs if r.version == version), None)

    def deviation(self, probe: str) -> Deviation | None:
        return next((d for d in self.deviations if d.probe == probe), None)

    def to_dict(self) -> dict:
        return asdict(self)
