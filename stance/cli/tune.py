"""``stance tune``: search over the config's [tune.grid] (:func:`stance.tune.tune`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from stance.cli._app import app, print_table, spinner, status


@app.command("tune")
def tune_cli(
    config: Path = typer.Option(..., "--config", "-c", help="TOML config with a [tune.grid] table."),
    out: Path = typer.Option(Path("tuned"), "--out", "-o", help="Folder for best.toml and report.json."),
    overrides: list[str] = typer.Option([], "--set", metavar="SECTION.KEY=VALUE", help="Override a config value: section.key=value."),
    jobs: int = typer.Option(1, "--jobs", "-j", help="Candidates scored in parallel (joblib)."),
) -> None:
    """Grid or random search over the config's [tune.grid]; saves the best config and its report."""
    from stance.config import load_config
    from stance.render.markdown import tune_rows
    from stance.tune import grid_candidates, tune

    cfg = load_config(config, overrides)
    total = len(grid_candidates(cfg.tune.grid, cfg.tune.n_iter, cfg.seed))
    done = {"n": 0}
    with spinner(status(), f"scoring {total} candidates") as line:

        def tick(params: dict[str, Any], score: float) -> None:
            done["n"] += 1
            line.update(f"{done['n']}/{total} candidates; last {params} -> {score:.3f}")

        result = tune(cfg, n_jobs=jobs, on_candidate=tick, out=out)
    print_table(tune_rows(result))
    typer.echo(f"best {json.dumps(result['best']['params'])}: {result['best'][result['metric']]:.3f} -> {out / 'best.toml'}")
