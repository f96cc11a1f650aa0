"""``stance calibrate``: a model's error rates on labelled data -> its manifest (:func:`stance.calibrate.calibrate`)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from stance.cli._app import app, print_table, spinner, status


@app.command("calibrate")
def calibrate_cli(
    model: Path = typer.Argument(..., help="Model directory."),
    data: str = typer.Option(
        ..., "--data", "-d", help="Labelled data the model was not trained on, ideally a sample of the corpus you score."
    ),
    text_field: Optional[str] = typer.Option(None, "--text-field", help="Column holding the text."),
    labels_field: Optional[str] = typer.Option(None, "--labels-field", help="Column holding the labels."),
    trust_model: bool = typer.Option(
        False, "--trust-model", help="Load a joblib model (a pickle: loading it runs code; only models you trust)."
    ),
) -> None:
    """Measure the model's error rates on labelled data and store them in its manifest (used by score --group-by)."""
    from stance.calibrate import calibrate

    with spinner(status(), f"scoring {data}"):
        result = calibrate(str(model), data, text_field=text_field, labels_field=labels_field, trust_model=trust_model)
    rows = [["label", "positives", "negatives", "TPR", "FPR"]]
    for lab, e in result["error_rates"]["per_label"].items():
        rows.append([lab, str(e["positives"]), str(e["negatives"]), _f(e["tpr"]), _f(e["fpr"])])
    print_table(rows)
    src = result["error_rates"]["source"]
    before = result["previous"]
    was = f"; replaced those measured on {before.get('split') or before.get('path')}" if before else ""
    typer.echo(f"error rates measured on {data} ({src['n']} sentences) -> {model}/manifest.json{was}")


def _f(x: float | None) -> str:
    return "–" if x is None else f"{x:.3f}"
