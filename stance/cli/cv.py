"""``stance cv``: cross-validation on train+dev (:func:`stance.tune.cross_validate`)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from stance.cli._app import app, print_table, spinner, status


@app.command("cv")
def cv_cli(
    config: Path = typer.Option(..., "--config", "-c", help="TOML config."),
    folds: int = typer.Option(5, "--folds", "-k", help="Number of folds."),
    overrides: list[str] = typer.Option([], "--set", metavar="SECTION.KEY=VALUE", help="Override a config value: section.key=value."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Write the result as JSON."),
) -> None:
    """Multi-label stratified cross-validation on train+dev: mean and std per metric."""
    from stance.config import load_config
    from stance.render.markdown import cv_rows
    from stance.tune import cross_validate

    cfg = load_config(config, overrides)
    with spinner(status(), f"cross-validating over {folds} folds"):
        result = cross_validate(cfg, folds, out=out)
    print_table(cv_rows(result))
    typer.echo(f"macro-F1 {result['macro_f1']['mean']:.3f} ± {result['macro_f1']['std']:.3f} over {folds} folds (n={result['n']})")
