"""``stance compare``: evaluation reports -> comparison (:func:`stance.compare.compare_files`)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from stance.cli._app import app, echo_err, print_table


@app.command("compare")
def compare_cli(
    reports: list[Path] = typer.Argument(..., help="Two or more JSON reports from `stance evaluate`."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Comparison as JSON."),
    markdown: Optional[Path] = typer.Option(None, "--markdown", help="Comparison as Markdown."),
    html_out: Optional[Path] = typer.Option(None, "--html", help="Comparison as HTML with a bar chart."),
    resamples: int = typer.Option(2000, "--resamples", help="Bootstrap / randomisation resamples."),
    seed: int = typer.Option(0, "--seed"),
) -> None:
    """Compare evaluation reports; with the same test data, test which differences are significant."""
    from stance.compare import compare_files
    from stance.render.files import write_report
    from stance.render.markdown import comparison_rows

    result = compare_files([str(r) for r in reports], n_resamples=resamples, seed=seed)
    for w in result["warnings"]:
        echo_err(f"warning: {w}")
    print_table(comparison_rows(result))
    write_report(result, out, markdown, html_out, kind="comparison")
