"""The ``stance`` command line: thin Typer commands that parse, call the library and print.

Heavy libraries (scikit-learn, datasets, matplotlib) are imported inside the commands that use
them, so ``stance --help`` starts fast. User errors (:class:`StanceError`) are caught here, once,
and printed as one line with a non-zero exit; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import functools
import json
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, Optional

import typer

from stance.errors import StanceError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Train, evaluate and apply sentence classifiers for rhetoric (blame, threat, denial, ...).",
    pretty_exceptions_enable=False,
)
_STATE = {"debug": False, "quiet": False}


def _err(msg: str) -> None:
    typer.echo(msg, err=True)


def _showwarning(message: Any, category: Any, filename: str, lineno: int, file: Any = None, line: Any = None) -> None:
    _err(f"warning: {message}")


def handle_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """One line and exit 1 for user errors, 130 for Ctrl-C; tracebacks only with --debug."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        warnings.showwarning = _showwarning
        try:
            return fn(*args, **kwargs)
        except StanceError as exc:
            if _STATE["debug"]:
                raise
            _err(f"error: {exc}")
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            _err("interrupted; no partial output was left behind")
            raise typer.Exit(130) from None
        except (typer.Exit, typer.Abort):
            raise
        except Exception as exc:  # a bug, not a user error: still one line unless --debug
            if _STATE["debug"]:
                raise
            _err(f"error: unexpected {type(exc).__name__}: {exc} (run with --debug for the traceback)")
            raise typer.Exit(2) from None

    return wrapper


@app.callback()
def _main(
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for errors."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only results and errors."),
) -> None:
    _STATE["debug"] = debug
    _STATE["quiet"] = quiet


def _status() -> Any:
    """A rich status line on stderr (silent with --quiet)."""
    from rich.console import Console

    return Console(stderr=True, quiet=_STATE["quiet"])


# ---------------------------------------------------------------------------------------------


@app.command("train")
@handle_errors
def train_cli(
    config: Path = typer.Option(..., "--config", "-c", help="TOML config, e.g. configs/default.toml."),
    out: Path = typer.Option(..., "--out", "-o", help="Model directory to write."),
    overrides: list[str] = typer.Option([], "--set", help="Override a config value: section.key=value (TOML value)."),
    force: bool = typer.Option(False, "--force", help="Replace a model already in --out."),
    fmt: str = typer.Option("joblib", "--format", help="Model file format: joblib, or skops (safe to share; extra 'skops')."),
    jobs: int = typer.Option(1, "--jobs", "-j", help="Parallel fits (one per label)."),
) -> None:
    """Train a model from a config and write MODEL_DIR/model.joblib + manifest.json."""
    from stance.config import load_config
    from stance.train import train

    cfg = load_config(config, overrides)
    console = _status()
    with console.status("training") as status:
        manifest = train(cfg, out, force=force, fmt=fmt, n_jobs=jobs, on_step=lambda m: status.update(m))
    console.print(f"wrote {out} ({manifest['data']['train']['n']} training sentences)")
    dev = manifest.get("dev_metrics")
    if dev:
        console.print(
            "dev (thresholds tuned here, so optimistic): macro-F1 "
            f"{dev['macro_f1']:.3f}; " + ", ".join(f"{k} F1 {v['f1']:.3f} @ {v['threshold']:.2f}" for k, v in dev["per_label"].items())
        )


@app.command("evaluate")
@handle_errors
def evaluate_cli(
    model: Path = typer.Argument(..., help="Model directory."),
    data: str = typer.Option(..., "--data", "-d", help="Labelled data: .jsonl, .csv, .parquet, a dataset folder or hub id."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="JSON report to write."),
    markdown: Optional[Path] = typer.Option(None, "--markdown", help="Markdown report to write."),
    html_out: Optional[Path] = typer.Option(None, "--html", help="Self-contained HTML report with plots."),
    threshold: Optional[float] = typer.Option(None, "--threshold", help="One threshold for every label (overrides the manifest)."),
    bootstrap: int = typer.Option(1000, "--bootstrap", help="Bootstrap resamples for confidence intervals (0: none)."),
    text_field: Optional[str] = typer.Option(None, "--text-field", help="Column holding the text."),
    labels_field: Optional[str] = typer.Option(None, "--labels-field", help="Column holding the labels."),
) -> None:
    """Evaluate a model on labelled data: per-label P/R/F1 with intervals, macro/micro F1."""
    from stance.evaluate import evaluate
    from stance.report import evaluation_html, evaluation_markdown, evaluation_table

    report = evaluate(str(model), data, threshold=threshold, n_boot=bootstrap, text_field=text_field, labels_field=labels_field)
    _write_outputs(report, out, markdown, html_out, evaluation_markdown, evaluation_html)
    _print_table(evaluation_table(report))
    ci = report.get("macro_f1_ci")
    typer.echo(
        f"macro-F1 {report['macro_f1']:.3f}"
        + (f" [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else "")
        + f"  micro-F1 {report['micro_f1']:.3f}  n={report['n']}"
    )


def _write_outputs(
    result: dict[str, Any],
    json_path: Optional[Path],
    md_path: Optional[Path],
    html_path: Optional[Path],
    to_markdown: Callable[[dict[str, Any]], str],
    to_html: Callable[[dict[str, Any]], str],
) -> None:
    """The JSON / Markdown / HTML files a report-producing command was asked for (written atomically)."""
    from stance.fileio import write_json, write_text

    if json_path:
        write_json(json_path, result)
    if md_path:
        write_text(md_path, to_markdown(result))
    if html_path:
        write_text(html_path, to_html(result))


def _print_table(rows: list[list[str]]) -> None:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for k, r in enumerate(rows):
        typer.echo("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
        if k == 0:
            typer.echo("  ".join("-" * w for w in widths))


@app.command("score")
@handle_errors
def score_cli(
    model: Path = typer.Argument(..., help="Model directory."),
    inputs: list[str] = typer.Argument(..., help="Files (.txt, .html, .jsonl of {id, text}), folders, or - for stdin."),
    out: Optional[str] = typer.Option(None, "--out", "-o", help="Output file (default: standard output)."),
    fmt: str = typer.Option("jsonl", "--format", "-f", help="jsonl, csv or html."),
    summary: Optional[Path] = typer.Option(None, "--summary", help="Per-article and per-speaker counts: .json or .csv."),
    jobs: int = typer.Option(1, "--jobs", "-j", help="Parallel workers over articles (joblib)."),
    backend: str = typer.Option("loky", "--backend", help="loky (processes), threading, or dask."),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="Dask scheduler address (with --backend dask)."),
    evidence: int = typer.Option(5, "--evidence", help="Evidence terms per predicted label (0: none)."),
) -> None:
    """Split articles into sentences, label each with probabilities and evidence, summarise."""
    import time

    from rich.progress import Progress, TextColumn, TimeElapsedColumn

    from stance.score import run_scoring

    console = _status()
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


@app.command("compare")
@handle_errors
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
    from stance.report import comparison_html, comparison_markdown, comparison_rows

    result = compare_files([str(r) for r in reports], n_resamples=resamples, seed=seed)
    for w in result["warnings"]:
        _err(f"warning: {w}")
    _print_table(comparison_rows(result))
    _write_outputs(result, out, markdown, html_out, comparison_markdown, comparison_html)


@app.command("verify")
@handle_errors
def verify_cli(model: Path = typer.Argument(..., help="Model directory.")) -> None:
    """Check a model directory's file against its manifest's sha256 (and load it where safe)."""
    from stance.artifact import verify_model

    manifest = verify_model(model)
    typer.echo(
        f"ok: {model}/{manifest['model_file']} matches manifest sha256 {manifest['model_sha256'][:16]}…; labels: {', '.join(manifest['labels'])}"
    )
    if manifest["model_file"].endswith(".joblib"):
        typer.echo("format: joblib - loading it runs code; load only models you trust (train with --format skops to share)")
    else:
        typer.echo("format: skops - loaded with scikit-learn, NumPy, SciPy and stance types only")


def _sigterm(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def main() -> None:
    import signal

    # a plain `kill` cleans up like Ctrl-C: temp files removed, exit 130
    signal.signal(signal.SIGTERM, _sigterm)
    try:
        app()
    except KeyboardInterrupt:  # pragma: no cover - interrupt outside a command
        sys.exit(130)


@app.command("cv")
@handle_errors
def cv_cli(
    config: Path = typer.Option(..., "--config", "-c", help="TOML config."),
    folds: int = typer.Option(5, "--folds", "-k", help="Number of folds."),
    overrides: list[str] = typer.Option([], "--set", help="Override a config value: section.key=value."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Write the result as JSON."),
) -> None:
    """Multi-label stratified cross-validation on train+dev: mean and std per metric."""
    from stance.config import load_config
    from stance.fileio import write_json
    from stance.tune import cross_validate

    cfg = load_config(config, overrides)
    with _status().status(f"cross-validating over {folds} folds"):
        result = cross_validate(cfg, folds)
    if out:
        write_json(out, result)
    rows = [["label", "precision", "recall", "F1"]]
    for lab, m in result["per_label"].items():
        rows.append([lab, *[f"{m[k]['mean']:.3f} ± {m[k]['std']:.3f}" for k in ("precision", "recall", "f1")]])
    _print_table(rows)
    typer.echo(f"macro-F1 {result['macro_f1']['mean']:.3f} ± {result['macro_f1']['std']:.3f} over {folds} folds (n={result['n']})")


@app.command("tune")
@handle_errors
def tune_cli(
    config: Path = typer.Option(..., "--config", "-c", help="TOML config with a [tune.grid] table."),
    out: Path = typer.Option(Path("tuned"), "--out", "-o", help="Folder for best.toml and report.json."),
    overrides: list[str] = typer.Option([], "--set", help="Override a config value: section.key=value."),
    jobs: int = typer.Option(1, "--jobs", "-j", help="Candidates scored in parallel (joblib)."),
) -> None:
    """Grid or random search over [tune.grid]; saves the best config and its report."""
    from stance.config import load_config
    from stance.fileio import write_json, write_text
    from stance.tune import grid_candidates, to_toml, tune

    cfg = load_config(config, overrides)
    total = len(grid_candidates(cfg.tune.grid, cfg.tune.n_iter, cfg.seed))
    done = {"n": 0}
    with _status().status(f"scoring {total} candidates") as status:

        def tick(params: dict[str, Any], score: float) -> None:
            done["n"] += 1
            status.update(f"{done['n']}/{total} candidates; last {params} -> {score:.3f}")

        result = tune(cfg, n_jobs=jobs, on_candidate=tick)
    out.mkdir(parents=True, exist_ok=True)
    write_text(out / "best.toml", to_toml(result["best_config"]))
    write_json(out / "report.json", result)
    rows = [["candidate", result["metric"]]] + [[json.dumps(c["params"]), f"{c[result['metric']]:.3f}"] for c in result["candidates"]]
    _print_table(rows)
    typer.echo(f"best {json.dumps(result['best']['params'])}: {result['best'][result['metric']]:.3f} -> {out / 'best.toml'}")


# --- labelling loop (issue 8) ---


@app.command("suggest")
@handle_errors
def suggest_cli(
    model: Path = typer.Argument(..., help="Model directory."),
    inputs: list[str] = typer.Argument(..., help="Articles: files (.txt, .html, .jsonl of {id, text}), folders, or - for stdin."),
    n: int = typer.Option(200, "--n", "-n", help="How many sentences to suggest."),
    out: Optional[str] = typer.Option(None, "--out", "-o", help="Batch to write as corpus JSONL (default: standard output)."),
    seed: int = typer.Option(0, "--seed", help="Breaks ties between equally uncertain sentences."),
    exclude: list[Path] = typer.Option([], "--exclude", help="Labelled data whose sentences are not suggested again (repeatable)."),
    diversity: float = typer.Option(0.3, "--diversity", help="0: uncertainty only; 1: spread only."),
) -> None:
    """The sentences most worth labelling next: uncertain, diverse, no boilerplate."""
    from stance.fileio import write_jsonl
    from stance.labelling import suggest

    counts = {"articles": 0, "sentences": 0, "boilerplate": 0}

    def tick(article: Any, records: list[dict[str, Any]]) -> None:
        counts["articles"] += 1
        counts["sentences"] += len(records)
        counts["boilerplate"] += sum(r["boilerplate"] for r in records)

    with _status().status("scoring and choosing sentences"):
        batch = suggest(model, inputs, n=n, seed=seed, exclude=exclude, diversity=diversity, on_article=tick)
    if out in (None, "-"):
        for row in batch:
            typer.echo(json.dumps(row, ensure_ascii=False))
    else:
        write_jsonl(out, batch)
    _status().print(
        f"{len(batch)} of {counts['sentences']} sentences in {counts['articles']} articles suggested "
        f"({counts['boilerplate']} boilerplate skipped)" + (f" -> {out}" if out not in (None, "-") else "")
    )


@app.command("audit")
@handle_errors
def audit_cli(
    config: Path = typer.Option(..., "--config", "-c", help="TOML config; its train and dev splits are audited."),
    folds: int = typer.Option(5, "--folds", "-k", help="Cross-validation folds for out-of-fold predictions."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Write the ranked issues as JSONL."),
    top: int = typer.Option(50, "--top", help="How many issues to show and write (0: all)."),
    method: str = typer.Option("auto", "--method", help="cleanlab (extra 'labelling'), fallback, or auto."),
    overrides: list[str] = typer.Option([], "--set", help="Override a config value: section.key=value."),
) -> None:
    """Likely label errors in the training data, from out-of-fold predictions, most likely first."""
    from stance.config import load_config
    from stance.fileio import write_jsonl
    from stance.labelling import audit

    if top < 0:
        raise StanceError("--top must be 0 (all) or more")
    cfg = load_config(config, overrides)
    with _status().status(f"cross-validating over {folds} folds"):
        result = audit(cfg, folds, method=method, top=top or None)
    if out:
        write_jsonl(out, result["issues"])
    for issue in result["issues"]:
        change = ", ".join([f"+{lab}" for lab in issue["add"]] + [f"-{lab}" for lab in issue["remove"]]) or "check"
        typer.echo(
            f"{issue['rank']:>3}. {issue['file']}:{issue['line']}  [{', '.join(issue['labels']) or 'none'}] -> {change}  {issue['text']}"
        )
    typer.echo(
        f"{result['n_issues']} likely label errors among {result['n']} sentences ({result['method']}, {folds} folds)"
        + (f"; top {len(result['issues'])} -> {out}" if out else "")
    )


@app.command("convert")
@handle_errors
def convert_cli(
    src: Path = typer.Argument(..., help="File to read."),
    dst: Path = typer.Argument(..., help="File to write."),
    from_fmt: str = typer.Option(..., "--from", help="corpus, label-studio or doccano."),
    to_fmt: str = typer.Option(..., "--to", help="corpus, label-studio or doccano."),
    labels: Optional[str] = typer.Option(None, "--labels", help="Comma-separated label set; other labels are errors."),
) -> None:
    """Convert between the corpus format and Label Studio JSON or doccano JSONL."""
    from stance.labelling import convert, label_studio_config

    label_list = [x.strip() for x in labels.split(",") if x.strip()] if labels is not None else None
    if label_list is not None and not label_list:
        raise StanceError("--labels: no label names given")
    result = convert(src, dst, from_fmt, to_fmt, label_list)
    _status().print(f"wrote {result['rows']} rows ({result['unlabelled']} unlabelled) to {dst} as {to_fmt}")
    if to_fmt == "label-studio" and result["labels"] and not _STATE["quiet"]:
        typer.echo("Label Studio labelling interface for these tasks:\n" + label_studio_config(result["labels"]))


@app.command("merge")
@handle_errors
def merge_cli(
    base: Path = typer.Argument(..., help="Corpus JSONL to merge into."),
    new: Path = typer.Argument(..., help="Labelled batch, corpus JSONL (convert tool exports first)."),
    out: Path = typer.Option(..., "--out", "-o", help="Merged corpus to write (may be BASE)."),
    on_conflict: str = typer.Option("error", "--on-conflict", help="error, ours (keep BASE), theirs (take NEW) or union."),
) -> None:
    """Merge a labelled batch into a corpus; the same sentence with different labels is refused unless told how."""
    from stance.labelling import merge_files

    c = merge_files(base, new, out, on_conflict)
    _status().print(
        f"{c['total']} rows -> {out}: {c['added']} added, {c['duplicates']} already present, "
        f"{c['conflicts']} conflicts ({on_conflict}), {c['unlabelled']} unlabelled skipped"
    )
