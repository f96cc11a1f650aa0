"""``stance train``: config -> model directory (:func:`stance.train.train`)."""

from __future__ import annotations

from pathlib import Path

import typer

from stance.cli._app import app, plural, progress_bar, status


@app.command("train")
def train_cli(
    config: Path = typer.Option(..., "--config", "-c", help="TOML config, e.g. configs/default.toml."),
    out: Path = typer.Option(..., "--out", "-o", help="Model directory to write."),
    overrides: list[str] = typer.Option(
        [], "--set", metavar="SECTION.KEY=VALUE", help="Override a config value: section.key=value (TOML value)."
    ),
    force: bool = typer.Option(False, "--force", help="Replace a model already in --out."),
    fmt: str = typer.Option(
        "skops", "--format", help="Model file format: skops (safe to load) or joblib (a pickle: loading it needs --trust-model)."
    ),
    jobs: int = typer.Option(
        0, "--jobs", "-j", help="Processes for the per-label fits (default 0: one per core; 1: none); the model is the same for any value."
    ),
) -> None:
    """Train a model from a config and write MODEL_DIR/model.skops + manifest.json."""
    from stance.config import load_config
    from stance.scoring import default_jobs
    from stance.train import train

    cfg = load_config(config, overrides)
    jobs = jobs if jobs > 0 else default_jobs()
    console = status()
    with progress_bar(console, "training") as bar:
        manifest = train(cfg, out, force=force, fmt=fmt, n_jobs=jobs, on_step=bar.update, on_progress=bar.advance)
    console.print(f"wrote {out} ({plural(manifest['data']['train']['n'], 'training sentence')})")
    dev = manifest.get("dev_metrics")
    if dev:
        console.print(
            "dev (thresholds tuned here, so optimistic): macro-F1 "
            f"{dev['macro_f1']:.3f}; " + ", ".join(f"{k} F1 {v['f1']:.3f} @ {v['threshold']:.2f}" for k, v in dev["per_label"].items())
        )
