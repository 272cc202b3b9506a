"""Fixtures for every test directory. (The mock-server fixtures come from the pytest plugin,
easclient.testing.)"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from easclient.cli import main


@dataclass(frozen=True)
class CliResult:
    """How one in-process `eas` run ended."""

    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., CliResult]:
    """``cli("sync", URL, "--user", "alice", env={"EAS_PASSWORD": "pw"}) -> CliResult``: `eas`
    run in this process through its entry point (:func:`easclient.cli.main`), so errors come out
    as the one line a user sees, with the exit code a user gets."""

    def run(*args: str, env: dict[str, str] | None = None) -> CliResult:
        for name, value in (env or {}).items():
            monkeypatch.setenv(name, value)
        monkeypatch.setattr(sys, "argv", ["eas", *args])
        capsys.readouterr()  # start from nothing
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        out, err = capsys.readouterr()
        return CliResult(code, out, err)

    return run
