"""``stance score``: articles -> sentence records, summary (:func:`stance.batch.run_scoring`)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Optional

import typer

from stance.cli._app import app, echo_err, fail, plural, status
from stance.errors import StanceError


@app.command("score")
def score_cli(
    model: Path = typer.Argument(..., help="Model directory."),
    inputs: list[str] = typer.Argument(..., help="Files (.txt, .html, .jsonl of {id, text}), folders, or - for stdin."),
    out: Optional[str] = typer.Option(None, "--out", "-o", help="Output file (default: standard output)."),
    fmt: str = typer.Option("jsonl", "--format", "-f", help="jsonl, csv, html or parquet (parquet needs --out)."),
    summary: Optional[Path] = typer.Option(None, "--summary", help="Per-article and per-holder counts: .json or .csv."),
    jobs: int = typer.Option(0, "--jobs", "-j", help="Worker processes (default 0: one per core; 1: no workers)."),
    backend: str = typer.Option("loky", "--backend", help="loky (processes), threading, or dask."),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="Dask scheduler address (with --backend dask)."),
    evidence: int = typer.Option(5, "--evidence", help="Evidence terms per predicted label (0: none)."),
    group_by: list[str] = typer.Option(
        [],
        "--group-by",
        "-g",
        help="Corrected prevalence by group in the summary, plot and HTML page: an article field (outlet), "
        "holder, FIELD:year|month|week (date:month), or crossed (outlet,date:month). Repeatable.",
    ),
    method: str = typer.Option("acc", "--method", help="Prevalence correction: acc, pacc, or raw (none)."),
    bootstrap: int = typer.Option(1000, "--bootstrap", help="Bootstrap resamples for the groups' intervals."),
    plot: Optional[Path] = typer.Option(None, "--plot", help="PNG of prevalence by group (with --group-by)."),
    strict: bool = typer.Option(
        False, "--strict", help="Stop at the first bad line of a JSONL of articles (default: skip it, say so, exit 1)."
    ),
    trust_model: bool = typer.Option(
        False, "--trust-model", help="Load a joblib model (a pickle: loading it runs code; only models you trust)."
    ),
    runtime: Optional[str] = typer.Option(
        None, "--runtime", help="Accurate tier only: score with jax, onnx or onnx-int8 instead of the model's own runtime."
    ),
) -> None:
    """Split articles into sentences, label each with probabilities and evidence, summarise.

    A bad line in a JSONL of articles is named (FILE:LINE) and skipped, the good articles are
    scored, and the command exits 1 at the end; --strict stops at the first."""
    from rich.progress import Progress, TextColumn, TimeElapsedColumn

    from stance.batch import run_scoring

    if group_by and not (summary or plot or fmt == "html"):
        raise StanceError("--group-by needs somewhere to show the groups: --summary FILE, --plot FILE.png or --format html")
    console = status()
    counts = {"articles": 0, "sentences": 0}
    bad: list[Exception] = []

    def skip(exc: Exception) -> None:
        bad.append(exc)
        echo_err(f"warning: {exc} (skipped)")

    t0 = time.perf_counter()
    # no live display on a pipe: it would leave a blank line before an error
    live = console.is_terminal and not console.quiet
    with Progress(TextColumn("{task.description}"), TimeElapsedColumn(), console=console, transient=True, disable=not live) as progress:
        task = progress.add_task("scoring")

        def tick(article: Any, records: list[dict[str, Any]]) -> None:
            counts["articles"] += 1
            counts["sentences"] += len(records)
            dt = max(time.perf_counter() - t0, 1e-9)
            progress.update(
                task,
                description=f"{plural(counts['articles'], 'article')}, {plural(counts['sentences'], 'sentence')} "
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
            group_by=group_by,
            method=method,
            n_boot=bootstrap,
            plot_path=str(plot) if plot else None,
            trust_model=trust_model,
            on_bad_line=None if strict else skip,
            runtime=runtime,
        )
    if len(result.articles) <= 20:
        for row in result.articles:
            console.print(
                f"{row['article']}: {plural(row['content_sentences'], 'sentence')} (+{row['boilerplate_sentences']} boilerplate); "
                + ", ".join(f"{k} {v}" for k, v in row["counts"].items())
            )
            for who, c in row["by_speaker"].items():
                console.print(f"  {who}: " + ", ".join(f"{k} {v}" for k, v in c.items() if v))
    holders = [h for h in result.speaker_table() if any(h["counts"].values())]
    if len(result.articles) > 1 and holders:  # the same holder across articles, under its normalised name
        console.print(
            "by holder: "
            + "; ".join(f"{h['speaker']}: " + ", ".join(f"{k} {v}" for k, v in h["counts"].items() if v) for h in holders[:10])
            + (f"; {len(holders) - 10} more in --summary" if len(holders) > 10 else "")
        )
    tot = result.totals()
    console.print(
        f"{plural(tot['articles'], 'article')}, {plural(tot['content_sentences'], 'sentence')}: "
        + ", ".join(f"{k} {v}" for k, v in tot["counts"].items())
        + (f" -> {out}" if out and out != "-" else "")
    )
    block = result.prevalence()
    if block:
        n_groups = len({(r["grouping"], r["name"]) for r in block["groups"]})
        src = (block["error_rates"] or {}).get("source") or {}
        where = src.get("split") or src.get("path")
        console.print(
            f"{n_groups} groups, prevalence by {block['method'].upper()}"
            + (f" with error rates measured on {where} ({src.get('n')} sentences)" if where else " (raw: no measured error rates)")
            + "".join(f" -> {p}" for p in (summary, plot) if p)
        )
    if bad:
        fail(
            f"{plural(len(bad), 'bad input line')} skipped (named above; --strict stops at the first); "
            f"{plural(tot['articles'], 'article')} scored" + (f" -> {out}" if out and out != "-" else "")
        )
