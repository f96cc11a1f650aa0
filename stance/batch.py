"""A scoring run over files, what ``stance score`` does: articles read lazily
(:mod:`stance.articles`), scored in chunks (:mod:`stance.scoring`), counted (:mod:`stance.summary`)
and written as they go (:mod:`stance.render.files`), every output file atomically."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from typing import Any

from stance.articles import Article, iter_articles
from stance.errors import StanceError
from stance.summary import SUMMARY_FIELDS, ColumnDigest, Summary


def run_scoring(
    model_dir: str,
    inputs: list[str],
    out: str | None,
    fmt: str = "jsonl",
    jobs: int | None = None,
    backend: str = "loky",
    scheduler: str | None = None,
    summary_path: str | None = None,
    evidence: int = 5,
    on_article: Callable[[Article, list[dict[str, Any]]], None] | None = None,
    stdout: Any = None,
    group_by: list[str] | None = None,
    method: str = "acc",
    n_boot: int = 1000,
    seed: int = 0,
    plot_path: str | None = None,
    trust_model: bool = False,
    on_bad_line: Callable[[StanceError], None] | None = None,
    runtime: str | None = None,
) -> Summary:
    """Score ``inputs`` and write ``out`` (``None`` or ``-``: standard output) in ``fmt`` (jsonl,
    csv, html, parquet); write ``summary_path`` if given; returns the summary. ``jobs`` None: every core.

    ``group_by`` (``outlet``, ``holder``, ``date:month``, ``outlet,date:month`` ...) adds corrected
    prevalence by group (:mod:`stance.groups`) to the summary file, the HTML page and the PNG
    ``plot_path``, corrected with the error rates in the model's manifest.

    A bad line in a JSONL of articles is fatal unless ``on_bad_line`` is given: then it is passed
    there and skipped, and the good articles are scored. A joblib model loads only with ``trust_model``.
    ``runtime`` (jax, onnx, onnx-int8) replaces the runtime of an accurate-tier model.
    ``on_article(article, records)`` is called per article; where the output is JSON lines without
    grouping, those records are empty dicts, one per sentence (the lines hold the fields).
    """
    from stance.artifact import check_trust, load_model_cached, verify_model
    from stance.fileio import atomic_write
    from stance.render.files import check_sentence_format, sentence_writer, write_plot, write_summary
    from stance.scoring import BACKENDS, score_stream

    check_sentence_format(fmt, out)
    if backend not in BACKENDS:
        raise StanceError(f"unknown backend '{backend}' (use loky, threading or dask)")
    if plot_path and not group_by:
        raise StanceError("--plot needs --group-by FIELD (the plot shows prevalence by group)")
    manifest = verify_model(model_dir, arrays=runtime is None)
    check_trust(model_dir, manifest, trust_model)
    labels = list(manifest["labels"])
    grouped = grouped_prevalence(manifest, group_by, method, n_boot, seed) if group_by else None
    load_model_cached(str(model_dir), trust_model, runtime, arrays=True)  # load (and report a bad model) before any output is opened
    summary = Summary(labels, grouped)
    with contextlib.ExitStack() as stack:
        if out in (None, "-"):
            fh = stdout or sys.stdout
        else:
            fh = stack.enter_context(atomic_write(out, "wb" if fmt == "parquet" else "w"))
        writer = sentence_writer(fmt, fh, labels)
        for article, records in score_stream(
            model_dir,
            iter_articles(inputs, on_bad_line=on_bad_line),
            jobs,
            backend,
            scheduler,
            evidence,
            trust_model=trust_model,
            runtime=runtime,
            # the summary's share of each article is taken where it is scored: with JSON lines the records
            # sent back are emptied (the lines hold the fields; on_article counts them)
            fields=SUMMARY_FIELDS if fmt == "jsonl" and grouped is None else None,
            digest=ColumnDigest(labels) if grouped is None else None,
        ):
            digest = getattr(records, "digest", None)
            row = summary.add(article, records) if digest is None else summary.add_digest(digest)
            writer.add(article, records, row)
            if on_article:
                on_article(article, records)
        writer.close(summary)
    if summary_path:
        write_summary(summary, summary_path)
    if plot_path:
        write_plot(summary, plot_path)
    return summary


def grouped_prevalence(manifest: dict[str, Any], group_by: list[str], method: str = "acc", n_boot: int = 1000, seed: int = 0) -> Any:
    """A :class:`~stance.groups.GroupedPrevalence` for a model: corrected with the error rates its
    manifest records (raw rates, with a warning, for a model without them)."""
    import warnings

    from stance.groups import GroupedPrevalence
    from stance.prevalence import ErrorRates

    rates = ErrorRates.from_dict(manifest["error_rates"]) if manifest.get("error_rates") else None
    if rates is None and method != "raw":
        warnings.warn(
            "the model has no measured error rates (trained without dev data): raw rates only; "
            "measure them with stance calibrate MODEL --data LABELLED",
            stacklevel=2,
        )
    return GroupedPrevalence(labels=list(manifest["labels"]), rates=rates, group_by=group_by, method=method, n_boot=n_boot, seed=seed)
