"""`eas`: thin commands over the library. Each command group lives in its own module here and
registers itself through ``register(app)``; this module only wires them and turns our errors into
one clear line and a non-zero exit."""

from __future__ import annotations

import importlib
import sys

import typer

app = typer.Typer(
    name="eas",
    help="Exchange ActiveSync test client, mock server, NAT simulator and load generator.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """Exchange ActiveSync test client, mock server, NAT simulator and load generator."""
    # A callback keeps typer in command-group mode even while only one command is registered.


# Modules of easclient.cli that define `register(app)`.
_COMMAND_MODULES: list[str] = [
    "nat",
    "wbxml",
    "mock",
    "client",
    "check",
    "probe",
    "matrix",
    "query",
    "capture",
    "replay",
    "load",
]


def _load() -> None:
    for name in _COMMAND_MODULES:
        importlib.import_module(f"{__name__}.{name}").register(app)


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print one line on stderr and return the Exit to raise."""
    typer.echo(f"eas: error: {message}", err=True)
    return typer.Exit(code)


def main() -> None:
    """Console-script entry point."""
    from easclient.errors import EasError

    _load()
    try:
        app()
    except (EasError, ValueError, OSError) as exc:
        typer.echo(f"eas: error: {exc}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
