"""Applying a model to articles: segment, ``predict_proba``, ``decide``, ``explain`` -> sentence records.

(Named ``scoring`` rather than ``score`` so that the module never shadows :func:`stance.score`.)

A record is one sentence: ``{"article", "sentence", "text", "start", "end", "labels", "scores",
"paragraph", "quote", "speaker", "holder", "holder_source", "boilerplate"[, "evidence"]}``, with
``text == article_text[start:end]``; ``holder`` is who holds the sentence's stance and
``holder_source`` where it came from (:mod:`stance.holders`), ``speaker`` the same name, kept for
readers of earlier records. Articles are scored in chunks with one matrix pass each, in input order,
so memory stays flat however many there are. :func:`score_stream` spreads chunks over worker
processes forked once from the scoring process, model loaded (where the platform forks: Linux), else
over joblib workers (or a Dask cluster through joblib's Dask backend), each of which loads the model
once from its directory. The model is used only through ``transform``, ``predict_proba``, ``decide``
and ``explain``.
"""

from __future__ import annotations

import os
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

from stance.articles import Article
from stance.errors import StanceError
from stance.fileio import jsonl_lines
from stance.records import SENTENCE_FIELDS, Columns, Records, label_lists, render_jsonl, to_records
from stance.segment import Sentence, split_sentences

# A chunk is scored in one matrix pass: in one process small, so that the traced peak stays a small
# fraction of the output; in workers four times larger, as messages between processes cost per chunk.
CHUNK_ARTICLES = 8
WORKER_CHUNK_ARTICLES = 64
CHUNK_CHARS = 400_000
BACKENDS = ("loky", "threading", "multiprocessing", "dask")


def default_jobs() -> int:
    """The cores this process may use (``--jobs`` default)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def score_batch(model: Any, articles: list[Article]) -> tuple[list[list[Sentence]], np.ndarray, np.ndarray]:
    """Segment a batch of articles and classify every sentence with one matrix pass.

    Returns (sentences per article, probabilities (n_sentences, n_labels), decisions (0/1, same
    shape)); boilerplate is never labelled (codebook), whatever its scores.
    """
    segmented, P, D, _F = _score_batch(model, articles)
    return segmented, P, D


def _score_batch(model: Any, articles: list[Article]) -> tuple[list[list[Sentence]], np.ndarray, np.ndarray, Any]:
    """:func:`score_batch`, plus the feature matrix (None if the model has no ``transform``) for evidence."""
    segmented = [split_sentences(a.text) for a in articles]
    flat = [s.text for sents in segmented for s in sents]
    n_labels = len(model.labels_)
    if not flat:
        return segmented, np.zeros((0, n_labels)), np.zeros((0, n_labels), dtype=np.uint8), None
    F = model.transform(flat) if hasattr(model, "transform") else None
    P = model.predict_proba(flat) if F is None else model.predict_proba(flat, features=F)
    D = model.decide(P)
    boiler = np.fromiter((s.boilerplate for sents in segmented for s in sents), dtype=bool, count=len(flat))
    D[boiler] = 0
    return segmented, P, D, F


def score_texts(model: Any, articles: list[Article], evidence: int = 5) -> list[list[dict[str, Any]]]:
    """Sentence records for a batch of articles, one list per article.

    Per-sentence work stays in plain Python objects (``tolist()`` once per batch rather than NumPy
    indexing per sentence), and evidence is asked only for the labels a sentence receives.
    """
    segmented, P, D, ev = _scored(model, articles, evidence)
    return to_records(articles, segmented, P, D, list(model.labels_), ev)


def _scored(
    model: Any, articles: list[Article], evidence: int
) -> tuple[list[list[Sentence]], np.ndarray, np.ndarray, dict[int, dict[str, list[list[Any]]]] | None]:
    """Sentences, probabilities, decisions and (``evidence`` > 0) the evidence per flagged sentence."""
    segmented, P, D, F = _score_batch(model, articles)
    ev: dict[int, dict[str, list[list[Any]]]] = {}
    if evidence and len(D):
        rows = np.flatnonzero(D.any(axis=1))
        if len(rows):
            flat = [s.text for sents in segmented for s in sents]
            texts = [flat[i] for i in rows]
            if F is None:
                explained = model.explain(texts, top_k=evidence, only=D[rows])
            else:
                explained = model.explain(texts, top_k=evidence, only=D[rows], features=F[rows])
            ev = dict(zip(rows.tolist(), explained))
    return segmented, P, D, ev if evidence else None


def chunks(articles: Iterable[Article], size: int = CHUNK_ARTICLES, max_chars: int = CHUNK_CHARS) -> Iterator[list[Article]]:
    """Consecutive articles, ``size`` at most and about ``max_chars`` of text at most per chunk."""
    chunk: list[Article] = []
    chars = 0
    for a in articles:
        chunk.append(a)
        chars += len(a.text)
        if len(chunk) >= size or chars >= max_chars:
            yield chunk
            chunk = []
            chars = 0
    if chunk:
        yield chunk


def score_articles(
    model: Any,
    articles: Iterable[Article],
    evidence: int = 5,
    chunk_size: int = CHUNK_ARTICLES,
    fields: tuple[str, ...] | None = None,
    digest: Callable[[Article, list[dict[str, Any]]], Any] | None = None,
) -> Iterator[tuple[Article, list[dict[str, Any]]]]:
    """(article, sentence records) for each article, in order, in one process; ``fields`` and
    ``digest``: as for :func:`score_stream`."""
    for chunk in chunks(articles, chunk_size):
        yield from zip(chunk, scored_records(model, chunk, evidence, fields, render=fields is not None, digest=digest))


_FORKED_MODEL: Any = None  # the model a forked worker inherited from the process that forked it
_FORKED_DIGEST: Any = None  # the digest callable, likewise inherited


class WorkerInterrupted(Exception):
    """A worker's KeyboardInterrupt, carried back as an exception: multiprocessing's pool reports only
    ``Exception``s, so a worker dying of anything else would leave the parent waiting for ever."""


def _score_forked(chunk: list[Article], evidence: int, fields: tuple[str, ...] | None = None) -> list[Records]:
    """A forked worker's chunk: records with their JSON lines rendered here, not in the writing process."""
    try:
        return scored_records(_FORKED_MODEL, chunk, evidence, fields, render=True, digest=_FORKED_DIGEST)
    except KeyboardInterrupt:
        raise WorkerInterrupted() from None


def scored_records(
    model: Any,
    chunk: list[Article],
    evidence: int,
    fields: tuple[str, ...] | None = None,
    render: bool = False,
    digest: Callable[[Article, list[dict[str, Any]]], Any] | None = None,
) -> list[Records]:
    """A chunk's records per article; ``render``: with their JSON lines (``Records.jsonl``); ``fields``
    (rendered only): records holding only these fields, made straight from the sentences (building
    and sending back whole records was most of the writing process's work); ``digest``: called on
    each article's (slim) records, its result kept as ``Records.digest``; with a digest and rendered
    slim records, the records are then emptied (one empty dict per sentence): the digest and the lines
    hold all there is."""
    columns = render and fields is not None and digest is not None and getattr(digest, "reads_columns", False)
    out = _scored_records(model, chunk, evidence, fields, render, columns)
    if digest is not None:
        empty: dict[str, Any] = {}
        for article, r in zip(chunk, out):
            r.digest = digest(article, r)
            r.columns = None  # not sent back from a worker
            if render and fields is not None:
                r[:] = [empty] * len(r)
    return out


def _scored_records(
    model: Any, chunk: list[Article], evidence: int, fields: tuple[str, ...] | None, render: bool, columns: bool = False
) -> list[Records]:
    """:func:`scored_records` before the digest; ``columns`` (rendered slim records whose digest reads
    columns): the records are empty dicts from the start and carry their :class:`Columns`."""
    segmented, P, D, ev = _scored(model, chunk, evidence)
    labels = list(model.labels_)
    out = []
    if render and fields is not None and set(fields) <= SENTENCE_FIELDS | {"labels"}:
        codes, label_sets = label_lists(D, labels)
        flat = [s for sents in segmented for s in sents]
        if columns:
            empty: dict[str, Any] = {}
            holders = [s.holder for s in flat]
            boilerplate = [s.boilerplate for s in flat]
        else:
            light = [{f: list(label_sets[codes[k]]) if f == "labels" else getattr(s, f) for f in fields} for k, s in enumerate(flat)]
        k = 0
        for sents, jsonl in zip(segmented, render_jsonl(chunk, segmented, P, D, labels, ev)):
            n = len(sents)
            if columns:
                r = Records([empty] * n)
                r.columns = Columns(codes[k : k + n], label_sets, holders[k : k + n], boilerplate[k : k + n])
            else:
                r = Records(light[k : k + n])
            r.jsonl = jsonl
            k += n
            out.append(r)
        return out
    for records in to_records(chunk, segmented, P, D, labels, ev):
        r = Records(records if fields is None or not render else [{k: rec[k] for k in fields} for rec in records])
        r.jsonl = jsonl_lines(records) if render else None
        out.append(r)
    return out


def _results(result: Any) -> list[Records]:
    try:
        return result.get()
    except WorkerInterrupted:
        raise KeyboardInterrupt from None


def _can_fork() -> bool:
    import multiprocessing

    # A process that has loaded JAX (the accurate tier) runs XLA's threads: forking it can deadlock
    # the children, so such a process uses joblib's fresh worker processes instead.
    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods() and sys.modules.get("jax") is None


def _score_in_forks(
    model: Any,
    articles: Iterable[Article],
    jobs: int,
    evidence: int,
    chunk_size: int,
    fields: tuple[str, ...] | None = None,
    digest: Callable[[Article, list[dict[str, Any]]], Any] | None = None,
) -> Iterator[tuple[Article, Records]]:
    """Chunks scored by ``jobs`` processes forked once, after the model is loaded and its lookup
    tables are built, so that a worker starts in milliseconds; at most ``2 * jobs`` chunks are in
    flight (memory stays flat), and results come back in input order."""
    import multiprocessing

    global _FORKED_MODEL, _FORKED_DIGEST
    score_texts(model, [Article("warm-up", "Warm up the tables. They are shared.")], evidence)  # build caches before forking
    _FORKED_MODEL, _FORKED_DIGEST = model, digest
    pool = multiprocessing.get_context("fork").Pool(jobs, initializer=_forked_worker_signals)
    finished = False
    try:
        pending: deque[tuple[list[Article], Any]] = deque()
        for chunk in chunks(articles, chunk_size):
            pending.append((chunk, pool.apply_async(_score_forked, (chunk, evidence, fields))))
            if len(pending) >= 2 * jobs:
                done, result = pending.popleft()
                yield from zip(done, _results(result))
        while pending:
            done, result = pending.popleft()
            yield from zip(done, _results(result))
        finished = True
    finally:
        if finished:
            pool.close()  # workers exit once the queue is empty
        else:
            pool.terminate()  # an error, or the caller stopped reading
        pool.join()
        _FORKED_MODEL = _FORKED_DIGEST = None


def _forked_worker_signals() -> None:
    """Workers leave interrupts to the process that forked them (which stops the pool) and die on
    SIGTERM: the command's own SIGTERM handler, inherited by the fork, would keep them alive."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _score_chunk(
    model_dir: str,
    chunk: list[Article],
    evidence: int,
    trust_model: bool = False,
    runtime: str | None = None,
    fields: tuple[str, ...] | None = None,
    digest: Callable[[Article, list[dict[str, Any]]], Any] | None = None,
) -> list[tuple[Article, list[dict[str, Any]]]]:
    """A joblib worker's chunk (the model loaded once per worker), as a forked worker makes it."""
    from stance.artifact import load_model_cached

    model = load_model_cached(model_dir, trust_model, runtime, arrays=True)
    return list(zip(chunk, scored_records(model, chunk, evidence, fields, render=fields is not None, digest=digest)))


def score_stream(
    model_dir: str,
    articles: Iterable[Article],
    jobs: int | None = 1,
    backend: str = "loky",
    scheduler: str | None = None,
    evidence: int = 5,
    chunk_size: int | None = None,
    trust_model: bool = False,
    runtime: str | None = None,
    fields: tuple[str, ...] | None = None,
    digest: Callable[[Article, list[dict[str, Any]]], Any] | None = None,
) -> Iterator[tuple[Article, list[dict[str, Any]]]]:
    """Yield (article, sentence records) in input order, scoring chunks in parallel when asked.

    ``fields``: the records come with their JSON lines (``Records.jsonl``) and hold only these fields
    (what a caller that writes those lines reads besides); otherwise records are whole. ``digest(article, records)`` (picklable, for joblib's workers): run
    where the article was scored, its result kept as ``Records.digest`` (a summary's share of the
    article, so that this process only adds shares up), and records that come with their lines are
    then emptied (one empty dict per sentence).

    ``jobs`` None: every core. With the default backend ("loky": processes), workers are forked from
    this process once the model is loaded (Linux); elsewhere, and with the other backends, joblib's
    workers load the model from ``model_dir`` once each (a joblib model only with ``trust_model``).
    The output is the same in every case. ``runtime`` replaces an accurate-tier model's runtime.
    """
    from stance.artifact import load_model_cached

    if backend not in BACKENDS:
        raise StanceError(f"unknown backend '{backend}' (use loky, threading or dask)")
    model_dir = str(model_dir)
    jobs = default_jobs() if jobs is None or jobs < 1 else jobs
    if backend == "loky":
        model = load_model_cached(model_dir, trust_model, runtime, arrays=True)
        # a model that spreads its own work over the cores (the transformer's XLA or ONNX Runtime
        # threads) is scored here: workers would compete for the same cores, and forking XLA deadlocks
        if jobs == 1 or getattr(model, "threaded_scoring", False):
            yield from score_articles(model, articles, evidence, chunk_size or CHUNK_ARTICLES, fields, digest)
            return
        if _can_fork():
            yield from _score_in_forks(model, articles, jobs, evidence, chunk_size or WORKER_CHUNK_ARTICLES, fields, digest)
            return
    chunk_size = chunk_size or WORKER_CHUNK_ARTICLES
    from joblib import Parallel, delayed, parallel_config

    ctx: Any
    if backend == "dask":
        ctx = _dask_context(scheduler)
    else:
        ctx = parallel_config(backend=backend, n_jobs=jobs)
    with ctx:
        parallel = Parallel(n_jobs=jobs if backend != "dask" else -1, return_as="generator", pre_dispatch="2*n_jobs")
        for result in parallel(
            delayed(_score_chunk)(model_dir, chunk, evidence, trust_model, runtime, fields, digest)
            for chunk in chunks(articles, chunk_size)
        ):
            yield from result


def _dask_context(scheduler: str | None) -> Any:
    try:
        from dask.distributed import Client
    except ImportError:
        raise StanceError("--backend dask needs the optional extra: pip install 'stance[dask]'") from None
    from contextlib import ExitStack

    from joblib import parallel_config

    stack = ExitStack()
    client = stack.enter_context(Client(scheduler) if scheduler else Client(processes=False))
    stack.enter_context(parallel_config(backend="dask", client=client))
    return stack
