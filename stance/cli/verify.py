"""``stance verify``: check a model directory (:func:`stance.artifact.verify_model`)."""

from __future__ import annotations

from pathlib import Path

import typer

from stance.cli._app import app


@app.command("verify")
def verify_cli(model: Path = typer.Argument(..., help="Model directory.")) -> None:
    """Check a model directory's file against its manifest's sha256 (and load it where safe)."""
    from stance.artifact import verify_model

    manifest = verify_model(model)
    typer.echo(
        f"ok: {model}/{manifest['model_file']} matches manifest sha256 {manifest['model_sha256'][:16]}…; labels: {', '.join(manifest['labels'])}"
    )
    if manifest["model_file"].endswith(".joblib"):
        typer.echo("format: joblib - a pickle: loading it runs code, so score and evaluate need --trust-model (train again for skops)")
    else:
        typer.echo("format: skops - loaded with scikit-learn, NumPy, SciPy and stance types only")
