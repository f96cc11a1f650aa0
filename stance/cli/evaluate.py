"""``stance evaluate``: a model on labelled data -> report (:func:`stance.evaluate.evaluate`)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from stance.cli._app import app, print_table


@app.command("evaluate")
def evaluate_cli(
    model: Path = typer.Argument(..., help="Model directory."),
    data: str = typer.Option(..., "--data", "-d", help="Labelled data: .jsonl, .csv, .parquet, a dataset folder or hub id."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="JSON report to write."),
    markdown: Optional[Path] = typer.Option(None, "--markdown", help="Markdown report to write."),
    html_out: Optional[Path] = typer.Option(None, "--html", help="Self-contained HTML report with plots."),
    threshold: Optional[float] = typer.Option(None, "--threshold", help="One threshold for every label (instead of the model's)."),
    bootstrap: int = typer.Option(1000, "--bootstrap", help="Bootstrap resamples for confidence intervals (0: none)."),
    text_field: Optional[str] = typer.Option(None, "--text-field", help="Column holding the text."),
    labels_field: Optional[str] = typer.Option(None, "--labels-field", help="Column holding the labels."),
    trust_model: bool = typer.Option(
        False, "--trust-model", help="Load a joblib model (a pickle: loading it runs code; only models you trust)."
    ),
    runtime: Optional[str] = typer.Option(
        None, "--runtime", help="Accurate tier only: score with jax, onnx or onnx-int8 instead of the model's own runtime."
    ),
    by: Optional[str] = typer.Option(None, "--by", help="Also report the figures per value of this column (genre, outlet, source)."),
) -> None:
    """Evaluate a model on labelled data: per-label P/R/F1 with intervals, macro/micro F1."""
    from stance.evaluate import evaluate
    from stance.render.files import write_report
    from stance.render.markdown import by_group_table, evaluation_table

    report = evaluate(
        str(model),
        data,
        threshold=threshold,
        n_boot=bootstrap,
        text_field=text_field,
        labels_field=labels_field,
        trust_model=trust_model,
        runtime=runtime,
        by=by,
    )
    write_report(report, out, markdown, html_out, kind="evaluation")
    print_table(evaluation_table(report))
    ci = report.get("macro_f1_ci")
    typer.echo(
        f"macro-F1 {report['macro_f1']:.3f}"
        + (f" [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else "")
        + f"  micro-F1 {report['micro_f1']:.3f}  n={report['n']}"
    )
    if by:
        print_table(by_group_table(report))
