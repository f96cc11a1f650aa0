"""The one Typer app every command registers on, and where user errors are caught: once, in
:class:`StanceGroup`, around whichever command runs (``--debug`` shows the traceback instead).

Also what every command's output shares: status lines on stderr that are never hard-wrapped and
never leave a blank line behind, plural words, the global options (``--quiet``, ``--debug``,
``--version``) accepted wherever the user puts them, and usage lines in the usual ``MODEL
INPUTS...`` style.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
import warnings
from collections.abc import Iterator
from typing import Any, NoReturn

import typer
from typer.core import TyperCommand, TyperGroup

from stance.errors import StanceError

_STATE = {"debug": False, "quiet": False}
# Options of the whole program that users also put after the subcommand (`stance score -q ...`).
GLOBAL_FLAGS = ("-q", "--quiet", "--debug", "--version")


def echo_err(msg: str) -> None:
    typer.echo(msg, err=True)


def fail(message: str) -> NoReturn:
    """End a command that has done what it could with one ``error: ...`` line and exit status 1."""
    echo_err(f"error: {message}")
    raise typer.Exit(1)


def _showwarning(message: Any, category: Any, filename: str, lineno: int, file: Any = None, line: Any = None) -> None:
    echo_err(f"warning: {message}")


def _is_cli_exit(exc: BaseException) -> bool:
    """Typer's and click's own exits, aborts and usage errors, which they report themselves. (Typer
    0.2x vendors click, so these are not always ``click.exceptions`` classes.)"""
    return isinstance(exc, (typer.Exit, typer.Abort)) or type(exc).__module__.split(".")[0] in ("click", "typer")


def hoist_global_flags(args: list[str]) -> list[str]:
    """``--quiet``, ``-q``, ``--debug`` and ``--version`` moved before the subcommand, wherever they
    were given (up to a ``--``), so that they work after it too."""
    cut = args.index("--") if "--" in args else len(args)
    head, tail = args[:cut], args[cut:]
    return [a for a in head if a in GLOBAL_FLAGS] + [a for a in head if a not in GLOBAL_FLAGS] + tail


class StanceGroup(TyperGroup):
    """Runs the chosen command; a :class:`StanceError` becomes one ``error: ...`` line and exit 1,
    Ctrl-C exit 130, any other exception (a bug) one line and exit 2. Warnings print as one line."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        return super().parse_args(ctx, hoist_global_flags(list(args)))

    def invoke(self, ctx: Any) -> Any:
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
        except Exception as exc:  # a bug, not a user error: still one line unless --debug
            if _is_cli_exit(exc) or _STATE["debug"]:
                raise
            echo_err(f"error: unexpected {type(exc).__name__}: {exc} (run with --debug for the traceback)")
            raise typer.Exit(2) from None


class StanceCommand(TyperCommand):
    """Usage lines name arguments the usual way (``stance score [OPTIONS] MODEL INPUTS...``), not
    as ``{model} {inputs}...``."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if getattr(param, "param_type_name", "") != "argument":
                continue
            name = (param.metavar or param.name or "").upper() + ("..." if param.nargs != 1 else "")
            pieces.append(name if param.required else f"[{name}]")
        return pieces


class _Typer(typer.Typer):
    def command(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("cls", StanceCommand)
        return super().command(*args, **kwargs)


app = _Typer(
    cls=StanceGroup,
    add_completion=False,
    no_args_is_help=True,
    help="Train, evaluate and apply sentence classifiers for rhetoric (blame, threat, denial, ...).",
    pretty_exceptions_enable=False,
    # Plain help: rich markup would eat "[tune.grid]", and its panels show flags as "<bool>".
    rich_markup_mode=None,
)


def _show_version(value: bool) -> None:
    if value:
        from stance.version import __version__

        typer.echo(f"stance {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for errors."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only results and errors."),
    version: bool = typer.Option(False, "--version", callback=_show_version, is_eager=True, help="Show the version and exit."),
) -> None:
    _STATE["debug"] = debug
    _STATE["quiet"] = quiet


def quiet() -> bool:
    return _STATE["quiet"]


def status() -> Any:
    """A rich console on stderr for status lines and progress (silent with --quiet).

    Lines are never hard-wrapped (piped output would otherwise be cut at 80 columns), and neither
    markup nor highlighting is applied: file names and sentences are printed as they are.
    """
    from rich.console import Console

    return Console(stderr=True, quiet=_STATE["quiet"], soft_wrap=True, markup=False, highlight=False)


class _Lines:
    """Where no spinner can be drawn (stderr is not a terminal): each update as a line of its own."""

    def __init__(self, console: Any, lines: bool) -> None:
        self.console, self.lines = console, lines

    def update(self, text: str) -> None:
        if self.lines:
            self.console.print(text)


@contextlib.contextmanager
def spinner(console: Any, text: str, lines: bool = False) -> Iterator[Any]:
    """A status line with ``update(text)`` on a terminal; elsewhere nothing (or, with ``lines``, the
    updates as lines) - a live display on a pipe leaves a blank line before whatever comes next."""
    if console.is_terminal and not _STATE["quiet"]:
        with console.status(text) as line:
            yield line
    else:
        out = _Lines(console, lines)
        out.update(text)
        yield out


class _Bar:
    """Steps as a status line, and long stages (fine-tuning epochs, scoring a pool) as a progress
    bar with elapsed and remaining time; off a terminal, each step and each tenth of a stage as a line."""

    def __init__(self, console: Any, progress: Any) -> None:
        self.console, self.progress, self.task, self.shown = console, progress, None, (None, -1)
        self.t0 = time.monotonic()
        if progress is not None:
            self.task = progress.add_task("", total=None)

    def update(self, text: str) -> None:
        if self.progress is not None:
            self.progress.update(self.task, description=text, total=None, completed=0)
        else:
            self.console.print(text)

    def advance(self, stage: str, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress.update(self.task, description=stage, total=total, completed=done)
            return
        if self.shown[0] != stage:
            self.shown, self.t0 = (stage, -1), time.monotonic()
        tenth = 10 * done // max(total, 1)
        if tenth > self.shown[1]:
            self.shown = (stage, tenth)
            spent = time.monotonic() - self.t0
            left = f", about {_clock(spent * (total - done) / done)} left" if tenth and done < total else ""
            self.console.print(f"{stage}: {done}/{total} ({100 * done // max(total, 1)}%, {_clock(spent)} elapsed{left})")


def _clock(seconds: float) -> str:
    m, s = divmod(int(round(seconds)), 60)
    return f"{m // 60}:{m % 60:02d}:{s:02d}" if m >= 60 else f"{m}:{s:02d}"


@contextlib.contextmanager
def progress_bar(console: Any, text: str) -> Iterator[_Bar]:
    """A :class:`_Bar`: ``update(text)`` for a step, ``advance(stage, done, total)`` for a long stage."""
    if console.is_terminal and not _STATE["quiet"]:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        columns = (
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=console, transient=True) as progress:
            bar = _Bar(console, progress)
            bar.update(text)
            yield bar
    else:
        bar = _Bar(console, None)
        bar.update(text)
        yield bar


def plural(n: int, word: str, words: str | None = None) -> str:
    """``1 article``, ``2 articles``."""
    return f"{n} {word if n == 1 else (words or word + 's')}"


def print_table(rows: list[list[str]]) -> None:
    """Rows as aligned columns, a rule under the header (first column left, the rest right)."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for k, r in enumerate(rows):
        typer.echo("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
        if k == 0:
            typer.echo("  ".join("-" * w for w in widths))


def _sigterm(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _default_signals_in_child() -> None:
    """A forked worker (cleanlab's, multiprocessing's) must die on SIGTERM as any worker does: with the
    CLI's handler it raised KeyboardInterrupt in the middle of its work instead, printed a traceback,
    and could keep its pool from ever finishing."""
    import signal

    with contextlib.suppress(ValueError, OSError):  # not the main thread of the child: nothing was inherited there
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def install_signal_handlers() -> None:
    """A plain ``kill`` cleans up like Ctrl-C (temp files removed, exit 130), in this process only:
    forked children get the default SIGTERM back."""
    import signal

    signal.signal(signal.SIGTERM, _sigterm)
    if hasattr(os, "register_at_fork") and not getattr(install_signal_handlers, "registered", False):
        os.register_at_fork(after_in_child=_default_signals_in_child)
        install_signal_handlers.registered = True  # type: ignore[attr-defined]


def main() -> None:
    """The ``stance`` console script."""
    install_signal_handlers()
    try:
        app()
    except KeyboardInterrupt:  # pragma: no cover - interrupt outside a command
        sys.exit(130)
