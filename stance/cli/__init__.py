"""The ``stance`` command line: one Typer app (:mod:`._app`), one module per command.

Each command module has a thin ``*_cli`` function that parses options, calls the library function
that does the work (importable and usable without the CLI) and prints. Heavy libraries
(scikit-learn, datasets, matplotlib) are imported inside the commands that use them, so
``stance --help`` starts fast. User errors are caught once, in :class:`._app.StanceGroup`.
"""

from stance.cli._app import app, main

# isort: off
# registered in the order `stance --help` lists them: the workflow, then the labelling loop
from stance.cli import train, evaluate, calibrate, score, compare, compare_groups, verify, cv, tune  # noqa: F401, E402
from stance.cli import suggest, convert, merge, audit, distill  # noqa: F401, E402

# isort: on

__all__ = ["app", "main"]
