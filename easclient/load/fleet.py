"""The accounts a fleet logs in with: a CSV of ``user,password[,device_id]``.

Passwords stay in memory: nothing here prints, logs or reprs them.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from easclient.errors import EasError


class FleetError(EasError):
    """A users file that cannot be used (names the file and the line, never a password)."""


@dataclass(frozen=True)
class Account:
    """One mailbox login; ``device_id`` None lets the profile derive one."""

    user: str
    password: str = field(repr=False)
    device_id: str | None = None


def read_accounts(path: str | Path) -> list[Account]:
    """Accounts from a CSV file; an optional header row ``user,password,device_id`` is skipped."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FleetError(f"cannot read users file {str(path)!r}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise FleetError(f"users file {str(path)!r} is not UTF-8 text") from None
    accounts: list[Account] = []
    for number, row in enumerate(csv.reader(text.splitlines()), start=1):
        if not row or not "".join(row).strip() or row[0].lstrip().startswith("#"):
            continue
        cells = [c.strip() for c in row]
        if number == 1 and cells[0].lower() in ("user", "username", "login"):
            continue
        if not 2 <= len(cells) <= 3 or not cells[0] or not cells[1]:
            raise FleetError(
                f"{path}:{number}: expected user,password[,device_id], got {len(cells)} field(s)"
                + (f" for user {cells[0]!r}" if cells and cells[0] else "")
            )
        device_id = cells[2] if len(cells) > 2 and cells[2] else None
        accounts.append(Account(cells[0], cells[1], device_id))
    if not accounts:
        raise FleetError(f"users file {str(path)!r} holds no accounts")
    return accounts


def write_accounts(path: str | Path, accounts: list[Account]) -> None:
    """Write a users file readable only by its owner (mode 0600)."""
    path = Path(path)
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["user", "password", "device_id"])
        for a in accounts:
            writer.writerow([a.user, a.password, a.device_id or ""])


def pick_profile(index: int, weights: dict[str, float]) -> str:
    """The profile of device ``index``: a low-discrepancy walk through the cumulative weights,
    so any run of consecutive devices follows the proportions closely without shared state."""
    total = sum(weights.values())
    x = (index * 0.6180339887498949) % 1.0
    acc = 0.0
    names = list(weights)
    for name in names:
        acc += weights[name] / total
        if x < acc:
            return name
    return names[-1]
