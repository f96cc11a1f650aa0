"""The one Typer app every command registers on, and where user errors are caught: once, in
:class:`StanceGroup`, around whichever command runs (``--debug`` shows the traceback instead)."""

from __future__ import annotations

import sys
import warnings
from typing import Any

import click
import typer
from typer.core import TyperGroup

from stance.errors import StanceError

_STATE = {"debug": False, "quiet": False}


def echo_err(msg: str) -> None:
    typer.echo(msg, err=True)


def _showwarning(message: Any, category: Any, filename: str, lineno: int, file: Any = None, line: Any = None) -> None:
    echo_err(f"warning: {message}")


class StanceGroup(TyperGroup):
    """Runs the chosen command; a :class:`StanceError` becomes one ``error: ...`` line and exit 1,
    Ctrl-C exit 130, any other exception (a bug) one line and exit 2. Warnings print as one line."""

    def invoke(self, ctx: click.Context) -> Any:
        warnings.showwarning = _showwarning
        try:
            return super().invoke(ctx)
        except StanceError as exc:
            if _STATE["debug"]:
                raise
            echo_err(f"error: {exc}")
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            echo_err("interrupted; no partial output was left behind")
            raise typer.Exit(130) from None
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except Exception as exc:  # a bug, not a user error: still one line unless --debug
            if _STATE["debug"]:
                raise
            echo_err(f"error: unexpected {type(exc).__name__}: {exc} (run with --debug for the traceback)")
            raise typer.Exit(2) from None


app = typer.Typer(
    cls=StanceGroup,
    add_completion=False,
    no_args_is_help=True,
    help="Train, evaluate and apply sentence classifiers for rhetoric (blame, threat, denial, ...).",
    pretty_exceptions_enable=False,
)


@app.callback()
def _main(
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for errors."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only results and errors."),
) -> None:
    _STATE["debug"] = debug
    _STATE["quiet"] = quiet


def quiet() -> bool:
    return _STATE["quiet"]


def status() -> Any:
    """A rich console on stderr for status lines and progress (silent with --quiet)."""
    from rich.console import Console

    return Console(stderr=True, quiet=_STATE["quiet"])


def print_table(rows: list[list[str]]) -> None:
    """Rows as aligned columns, a rule under the header (first column left, the rest right)."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for k, r in enumerate(rows):
        typer.echo("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
        if k == 0:
            typer.echo("  ".join("-" * w for w in widths))


def _sigterm(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def main() -> None:
    """The ``stance`` console script."""
    import signal

    # a plain `kill` cleans up like Ctrl-C: temp files removed, exit 130
    signal.signal(signal.SIGTERM, _sigterm)
    try:
        app()
    except KeyboardInterrupt:  # pragma: no cover - interrupt outside a command
        sys.exit(130)
