"""``stance distill``: a teacher model labels a pool of sentences with probabilities (:func:`stance.distill.teach`)."""

from __future__ import annotations

from pathlib import Path

import typer

from stance.cli._app import app, progress_bar, status


@app.command("distill")
def distill_cli(
    model: Path = typer.Argument(..., help="The teacher's model directory (typically the accurate tier)."),
    pool: str = typer.Argument(..., help="Unlabelled sentences: JSONL, CSV or Parquet with a text column."),
    out: Path = typer.Option(..., "--out", "-o", help="Soft-label JSONL to write (name it in a config's data.soft)."),
    text_field: str = typer.Option("text", "--text-field", help="Column holding the text."),
    trust_model: bool = typer.Option(
        False, "--trust-model", help="Load a joblib model (a pickle: loading it runs code; only models you trust)."
    ),
) -> None:
    """Label a pool of sentences with a teacher's probabilities, for a fast model to learn (data.soft)."""
    from stance.distill import teach

    with progress_bar(status(), f"labelling {pool}") as bar:
        result = teach(
            model, pool, out, text_field=text_field, trust_model=trust_model, progress=lambda d, t: bar.advance("labelling", d, t)
        )
    means = ", ".join(f"{k} {v:.3f}" for k, v in result["mean"].items())
    typer.echo(f"{result['n']} sentences with soft labels -> {out} (mean probability: {means})")
