"""Fault injection: rules that make the mock server misbehave on purpose.

A rule matches by command, user, probability and count, and does one thing:

``delay``        wait ``seconds`` before handling the request
``http_status``  answer with HTTP ``status`` (449; 451 with X-MS-Location; 500; 503 with
                 Retry-After and X-MS-ASThrottle; anything else) and no body
``eas_status``   answer HTTP 200 with the command's root element holding ``Status`` = ``status``
``drop``         close the connection without an answer (FIN)
``reset``        reset the connection without an answer (RST)
``truncate``     send only the first ``keep`` bytes of the body, then close the connection
``corrupt``      damage the WBXML body so it no longer decodes
``trickle``      send the body ``chunk`` bytes at a time, ``seconds`` apart

Rules come from a JSON file (a list of rule objects, or ``{"faults": [...]}``) and from the
control API. Randomness is injected (a seeded ``random.Random``) so runs are reproducible.
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from easclient.errors import EasError, excerpt

ACTIONS = frozenset(
    ("delay", "http_status", "eas_status", "drop", "reset", "truncate", "corrupt", "trickle")
)
#: Actions that replace the answer entirely (the first matching one wins).
TERMINAL = frozenset(("http_status", "eas_status", "drop", "reset"))
#: Actions that alter the answer the server computed.
ALTERING = frozenset(("truncate", "corrupt", "trickle"))


#: The longest delay or trickle pause a rule may ask for (a day).
MAX_FAULT_SECONDS = 86_400.0


class FaultError(EasError):
    """A fault rule that cannot be used (the message names the offending value)."""


@dataclass
class Fault:
    """One fault rule. ``count`` None: fire every time it matches; else that many times."""

    action: str
    command: str | None = None
    user: str | None = None
    probability: float = 1.0
    count: int | None = None
    seconds: float = 0.0
    status: int | None = None
    retry_after: int | None = None
    throttle_reason: str | None = None
    location: str | None = None
    keep: int = 0
    chunk: int = 16
    id: int = 0
    fired: int = field(default=0)

    def __post_init__(self) -> None:
        if not isinstance(self.action, str) or self.action not in ACTIONS:
            raise FaultError(
                f"unknown fault action {excerpt(self.action)}; "
                f"choose from {', '.join(sorted(ACTIONS))}"
            )
        for name in ("command", "user", "throttle_reason", "location"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                raise FaultError(f"fault {name} must be a string, got {excerpt(value)}")
        for name in ("count", "status", "retry_after", "keep", "chunk"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
                raise FaultError(f"fault {name} must be an integer, got {excerpt(value)}")
        for name in ("probability", "seconds"):
            value = getattr(self, name)
            # JSON's 1e999 is inf; a delay of inf (or NaN) would never end.
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise FaultError(f"fault {name} must be a number, got {excerpt(value)}")
            if not math.isfinite(value):
                raise FaultError(f"fault {name} must be finite, got {value}")
        if not 0.0 <= self.probability <= 1.0:
            raise FaultError(f"fault probability must be within 0..1, got {self.probability!r}")
        if self.count is not None and self.count < 0:
            raise FaultError(f"fault count must be >= 0, got {excerpt(self.count)}")
        if self.action in ("http_status", "eas_status"):
            if self.status is None:
                raise FaultError(f"{self.action} needs an integer status, got None")
            if self.action == "http_status" and not 100 <= self.status <= 599:
                raise FaultError(f"HTTP status out of range: {excerpt(self.status)}")
        if not 0 <= self.seconds <= MAX_FAULT_SECONDS or self.chunk < 1 or self.keep < 0:
            raise FaultError(
                f"seconds/chunk/keep out of range: {self.seconds!r}/{excerpt(self.chunk)}/"
                f"{excerpt(self.keep)} (seconds at most {MAX_FAULT_SECONDS})"
            )
        if self.command in ("", "*"):
            self.command = None
        if self.user in ("", "*"):
            self.user = None

    @classmethod
    def from_dict(cls, data: object) -> Fault:
        if not isinstance(data, dict):
            raise FaultError(f"a fault rule must be a JSON object, got {excerpt(data)}")
        known = {f.name for f in fields(cls)} - {"id", "fired"}
        unknown = set(data) - known
        if unknown:
            raise FaultError(f"unknown fault field(s) {str(sorted(map(str, unknown)))[:200]}")
        if "action" not in data:
            raise FaultError(f"a fault rule needs an action: {excerpt(data)}")
        try:
            return cls(**data)
        except TypeError as e:
            raise FaultError(f"bad fault rule {excerpt(data)}: {e}") from None

    @property
    def exhausted(self) -> bool:
        return self.count is not None and self.fired >= self.count

    def matches(self, command: str, user: str) -> bool:
        if self.exhausted:
            return False
        if self.command is not None and self.command.lower() != command.lower():
            return False
        return self.user is None or self.user.lower() == user.lower()

    def to_dict(self) -> dict:
        return asdict(self)


class FaultSet:
    """The active rules; :meth:`pick` says which fire for one request."""

    def __init__(self, rng: random.Random | None = None) -> None:
        self.rules: list[Fault] = []
        self.rng = rng or random.Random(0)
        self._next_id = 1

    def add(self, rule: Fault) -> Fault:
        rule.id = self._next_id
        self._next_id += 1
        self.rules.append(rule)
        return rule

    def add_many(self, data: object) -> list[Fault]:
        """Add rules from parsed JSON: a list of rule objects or ``{"faults": [...]}``."""
        if isinstance(data, dict) and "faults" in data:
            data = data["faults"]
        if isinstance(data, dict):
            data = [data]
        if not isinstance(data, list):
            raise FaultError(f"faults must be a list of rule objects, got {type(data).__name__}")
        rules = [Fault.from_dict(item) for item in data]  # validate all before adding any
        return [self.add(r) for r in rules]

    def load_file(self, path: str | Path) -> list[Fault]:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as e:
            raise FaultError(f"cannot read fault file {str(path)!r}: {e.strerror}") from None
        except UnicodeDecodeError:
            raise FaultError(f"fault file {str(path)!r} is not UTF-8 text") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise FaultError(f"fault file {str(path)!r} is not JSON: {e}") from None
        try:
            return self.add_many(data)
        except FaultError as e:
            raise FaultError(f"fault file {str(path)!r}: {e}") from None

    def remove(self, rule_id: int) -> bool:
        before = len(self.rules)
        self.rules = [r for r in self.rules if r.id != rule_id]
        return len(self.rules) != before

    def clear(self) -> None:
        self.rules = []

    def pick(self, command: str, user: str) -> list[Fault]:
        """The rules that fire now: every matching delay, then at most one other action."""
        if not self.rules:
            return []
        out: list[Fault] = []
        chosen_main = False
        for rule in self.rules:
            if not rule.matches(command, user):
                continue
            if rule.action != "delay" and chosen_main:
                continue
            if rule.probability < 1.0 and self.rng.random() >= rule.probability:
                continue
            rule.fired += 1
            out.append(rule)
            if rule.action != "delay":
                chosen_main = True
        return out


def corrupt_wbxml(body: bytes, rng: random.Random) -> bytes:
    """A damaged copy of a WBXML body that does not decode.

    Keeps the 4-byte header (so it still looks like WBXML), flips a few payload bytes and cuts
    the final END token, so the document is unterminated whatever the flips produced.
    """
    if len(body) <= 5:
        return b"\x03\x01\x6a\x00\x45"  # a start tag with content and no END
    data = bytearray(body[:-1])
    for _ in range(max(1, len(data) // 32)):
        pos = rng.randrange(4, len(data))
        data[pos] ^= 0xFF
    return bytes(data)
