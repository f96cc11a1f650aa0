"""``stance score``: articles -> sentence records, summary (:func:`stance.batch.run_scoring`)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Optional

import typer

from stance.cli._app import app, status


@app.command("score")
def score_cli(
    model: Path = typer.Argument(..., help="Model directory."),
    inputs: list[str] = typer.Argument(..., help="Files (.txt, .html, .jsonl of {id, text}), folders, or - for stdin."),
    out: Optional[str] = typer.Option(None, "--out", "-o", help="Output file (default: standard output)."),
    fmt: str = typer.Option("jsonl", "--format", "-f", help="jsonl, csv, html or parquet (parquet needs --out)."),
    summary: Optional[Path] = typer.Option(None, "--summary", help="Per-article and per-speaker counts: .json or .csv."),
    jobs: int = typer.Option(0, "--jobs", "-j", help="Worker processes (default 0: one per core; 1: no workers)."),
    backend: str = typer.Option("loky", "--backend", help="loky (processes), threading, or dask."),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="Dask scheduler address (with --backend dask)."),
    evidence: int = typer.Option(5, "--evidence", help="Evidence terms per predicted label (0: none)."),
) -> None:
    """Split articles into sentences, label each with probabilities and evidence, summarise."""
    from rich.progress import Progress, TextColumn, TimeElapsedColumn

    from stance.batch import run_scoring

    console = status()
    counts = {"articles": 0, "sentences": 0}
    t0 = time.perf_counter()
    with Progress(TextColumn("{task.description}"), TimeElapsedColumn(), console=console, transient=True) as progress:
        task = progress.add_task("scoring")

        def tick(article: Any, records: list[dict[str, Any]]) -> None:
            counts["articles"] += 1
            counts["sentences"] += len(records)
            dt = max(time.perf_counter() - t0, 1e-9)
            progress.update(
                task,
                description=f"{counts['articles']} articles, {counts['sentences']} sentences "
                f"({counts['articles'] / dt:.1f} articles/s, {counts['sentences'] / dt:.0f} sentences/s)",
            )

        result = run_scoring(
            str(model),
            inputs,
            out,
            fmt=fmt,
            jobs=jobs,
            backend=backend,
            scheduler=scheduler,
            summary_path=str(summary) if summary else None,
            evidence=evidence,
            on_article=tick,
        )
    if len(result.articles) <= 20:
        for row in result.articles:
            console.print(
                f"{row['article']}: {row['content_sentences']} sentences (+{row['boilerplate_sentences']} boilerplate); "
                + ", ".join(f"{k} {v}" for k, v in row["counts"].items())
            )
            for who, c in row["by_speaker"].items():
                console.print(f"  {who}: " + ", ".join(f"{k} {v}" for k, v in c.items() if v))
    tot = result.totals()
    console.print(
        f"{tot['articles']} articles, {tot['content_sentences']} sentences: "
        + ", ".join(f"{k} {v}" for k, v in tot["counts"].items())
        + (f" -> {out}" if out and out != "-" else "")
    )
