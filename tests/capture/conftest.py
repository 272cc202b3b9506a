"""Shared by the capture tests: where the fixture captures are, and the mock they were made on."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from easclient.capture.fixtures import FIXTURE_MOCK, FIXTURE_USER

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures" / "captures"
PASSWORD = FIXTURE_USER[1]


def fixture_files() -> list[Path]:
    return sorted(FIXTURES.glob("*.jsonl"))


def mock_config(**changes):
    """The fixtures' mock settings (same users, seed and mailbox), with ``changes``."""
    from easclient.mock import MockConfig, parse_users

    user, password = FIXTURE_USER
    settings = {**FIXTURE_MOCK, **changes}
    return MockConfig(users=tuple(parse_users(f"{user}:{password}")), **settings)


@pytest.fixture
def mock_server():
    """Start a mock server with the fixtures' settings (plus changes); stopped afterwards."""
    from easclient.mock import MockServer

    started = []

    def start(**changes):
        handle = MockServer(mock_config(**changes)).start_in_thread()
        started.append(handle)
        return handle

    yield start
    for handle in started:
        handle.stop()


def find_mitmdump() -> str | None:
    """mitmdump from $EAS_MITMDUMP, scripts/install-mitm's .venv-mitm, or PATH."""
    for candidate in (
        os.environ.get("EAS_MITMDUMP"),
        str(ROOT / ".venv-mitm" / "bin" / "mitmdump"),
        shutil.which("mitmdump"),
    ):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None
