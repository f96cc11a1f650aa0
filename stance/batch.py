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
from stance.summary import Summary


def run_scoring(
    model_dir: str,
    inputs: list[str],
    out: str | None,
    fmt: str = "jsonl",
    jobs: int = 1,
    backend: str = "loky",
    scheduler: str | None = None,
    summary_path: str | None = None,
    evidence: int = 5,
    on_article: Callable[[Article, list[dict[str, Any]]], None] | None = None,
    stdout: Any = None,
    trust_model: bool = False,
    on_bad_line: Callable[[StanceError], None] | None = None,
) -> Summary:
    """Score ``inputs`` and write ``out`` (``None`` or ``-``: standard output) in ``fmt`` (jsonl,
    csv, html, parquet); write ``summary_path`` if given; returns the summary.

    A bad line in a JSONL of articles is fatal unless ``on_bad_line`` is given: then it is passed
    there and skipped, and the good articles are scored. A joblib model loads only with ``trust_model``.
    """
    from stance.artifact import check_trust, load_model_cached, verify_model
    from stance.fileio import atomic_write
    from stance.render.files import check_sentence_format, sentence_writer, write_summary
    from stance.scoring import BACKENDS, score_stream

    check_sentence_format(fmt, out)
    if backend not in BACKENDS:
        raise StanceError(f"unknown backend '{backend}' (use loky, threading or dask)")
    manifest = verify_model(model_dir)
    check_trust(model_dir, manifest, trust_model)
    labels = list(manifest["labels"])
    load_model_cached(str(model_dir), trust_model)  # load (and report a bad model) before any output is opened
    summary = Summary(labels)
    with contextlib.ExitStack() as stack:
        if out in (None, "-"):
            fh = stdout or sys.stdout
        else:
            fh = stack.enter_context(atomic_write(out, "wb" if fmt == "parquet" else "w"))
        writer = sentence_writer(fmt, fh, labels)
        for article, records in score_stream(
            model_dir, iter_articles(inputs, on_bad_line=on_bad_line), jobs, backend, scheduler, evidence, trust_model=trust_model
        ):
            row = summary.add(article, records)
            writer.add(article, records, row)
            if on_article:
                on_article(article, records)
        writer.close(summary)
    if summary_path:
        write_summary(summary, summary_path)
    return summary
