"""`eas`: thin commands over the library. The commands live at module level in the modules here,
each on the typer app of its group (:mod:`easclient.cli.groups`: device, diagnose, load,
reproduce, tools); this module joins the groups and turns our errors into one clear line and a
non-zero exit."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup


class _Listed(TyperGroup):
    """The root group, listing its commands in :data:`HELP_ORDER` (the groups interleave)."""

    def list_commands(self, ctx: Any) -> list[str]:
        names = super().list_commands(ctx)
        rank = {name: i for i, name in enumerate(HELP_ORDER)}
        return sorted(names, key=lambda name: rank.get(name, len(rank)))


app = typer.Typer(
    cls=_Listed,
    name="eas",
    help="Exchange ActiveSync test client, mock server, NAT simulator and load generator.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _print_version(wanted: bool) -> None:
    if wanted:
        from importlib.metadata import PackageNotFoundError, version

        try:
            typer.echo(f"eas (easclient) {version('easclient')}")
        except PackageNotFoundError:  # run from a source tree that was never installed
            typer.echo("eas (easclient) not installed")
        raise typer.Exit()


@app.callback()
def _root(
    show_version: Annotated[
        bool,
        typer.Option(
            "--version", is_eager=True, callback=_print_version, help="Print the version."
        ),
    ] = False,
) -> None:
    """Exchange ActiveSync test client, mock server, NAT simulator and load generator."""
    # A callback keeps typer in command-group mode even while only one command is registered.


#: The order `eas --help` lists the commands in, group by group (easclient.cli.groups).
HELP_ORDER: tuple[str, ...] = (
    # Diagnose: the main job first
    "check",
    "discover",
    "heartbeat-probe",
    "matrix",
    # Device
    "options",
    "sync",
    "ping",
    "send",
    "reply",
    "forward",
    "move",
    "search",
    "folder",
    # Load
    "load",
    "mock-server",
    "nat",
    # Reproduce
    "capture",
    "replay",
    # Tools
    "wbxml",
    "query",
)

_loaded = False


def _load() -> None:
    """Join the command groups (:mod:`easclient.cli.groups`) into ``app``, once."""
    global _loaded
    if _loaded:
        return
    from .groups import GROUPS, group

    for name in GROUPS:
        app.add_typer(group(name))
    _loaded = True


# click's UsageError and ClickException, which the option parser raises: typer re-exports
# BadParameter (from the click it vendors since 0.2x, from click before), so find them among its
# bases instead of importing either click.
if TYPE_CHECKING:  # for the types only: typer 0.2x's vendored click (see above)
    from typer._click.exceptions import ClickException, UsageError

_UsageError: type[UsageError] = next(
    c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError"
)
_ClickException: type[ClickException] = next(
    c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException"
)


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print one line on stderr and return the Exit to raise."""
    typer.echo(f"eas: error: {message}", err=True)
    return typer.Exit(code)


def main() -> None:
    """Console-script entry point."""
    from easclient.errors import EasError

    _load()
    try:
        # Not standalone: click's usage errors come here, to be said in one line like ours
        # instead of typer's boxed "Usage: … Try … Error" block.
        rv = app(prog_name="eas", standalone_mode=False)
    except _UsageError as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":  # `eas`, `eas wbxml`: the help
            help_text = exc.ctx.get_help() if exc.ctx is not None else ""  # rich prints itself
            if help_text:
                typer.echo(help_text)
        else:
            where = exc.ctx.command_path if exc.ctx is not None else "eas"
            message = " ".join(exc.format_message().split())
            typer.echo(f"eas: error: {message} (see '{where} --help')", err=True)
        sys.exit(exc.exit_code)
    except _ClickException as exc:
        typer.echo(f"eas: error: {' '.join(exc.format_message().split())}", err=True)
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.exit(1)
    except BrokenPipeError:
        # The reader went away (`eas capture show … | head`): stop quietly, as click does.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    except (EasError, ValueError, OSError) as exc:
        typer.echo(f"eas: error: {exc}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
    sys.exit(rv if isinstance(rv, int) else 0)
