"""A scoring run over files, what ``stance score`` does: articles read lazily
(:mod:`stance.articles`), scored in chunks (:mod:`stance.scoring`), counted (:mod:`stance.summary`)
and written as they go (:mod:`stance.render.files`), every output file atomically."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from typing import Any

from stance.articles import Article, iter_articles
from stance.summary import Summary


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
) -> Summary:
    """Score ``inputs`` and write ``out`` (``None`` or ``-``: standard output) in ``fmt`` (jsonl,
    csv, html, parquet); write ``summary_path`` if given; returns the summary. ``jobs`` None: every core."""
    from stance.artifact import load_model_cached, read_manifest, verify_model
    from stance.fileio import atomic_write
    from stance.render.files import check_sentence_format, sentence_writer, write_summary
    from stance.scoring import BACKENDS, score_stream

    check_sentence_format(fmt, out)
    if backend not in BACKENDS:
        from stance.errors import StanceError

        raise StanceError(f"unknown backend '{backend}' (use loky, threading or dask)")
    verify_model(model_dir)
    labels = list(read_manifest(model_dir)["labels"])
    load_model_cached(str(model_dir))  # load (and report a bad model) before any output is opened
    summary = Summary(labels)
    with contextlib.ExitStack() as stack:
        if out in (None, "-"):
            fh = stdout or sys.stdout
        else:
            fh = stack.enter_context(atomic_write(out, "wb" if fmt == "parquet" else "w"))
        writer = sentence_writer(fmt, fh, labels)
        for article, records in score_stream(model_dir, iter_articles(inputs), jobs, backend, scheduler, evidence):
            row = summary.add(article, records)
            writer.add(article, records, row)
            if on_article:
                on_article(article, records)
        writer.close(summary)
    if summary_path:
        write_summary(summary, summary_path)
    return summary
