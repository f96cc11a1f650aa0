"""Applying a model to articles: segment, ``predict_proba``, ``decide``, ``explain`` -> sentence records.

(Named ``scoring`` rather than ``score`` so that the module never shadows :func:`stance.score`.)

A record is one sentence: ``{"article", "sentence", "text", "start", "end", "labels", "scores",
"paragraph", "quote", "speaker", "holder", "holder_source", "boilerplate"[, "evidence"]}``, with
``text == article_text[start:end]``; ``holder`` is who holds the sentence's stance and
``holder_source`` where it came from (:mod:`stance.holders`), ``speaker`` the same name, kept for
readers of earlier records. Articles are scored in chunks with one matrix pass each, in input order,
so memory stays flat however many there are. :func:`score_stream` spreads chunks over joblib workers
(or a Dask cluster through joblib's Dask backend); each worker loads the model once from its
directory. The model is used only through ``predict_proba``, ``decide`` and ``explain``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from stance.articles import Article
from stance.errors import StanceError
from stance.segment import Sentence, split_sentences

CHUNK_ARTICLES = 16
BACKENDS = ("loky", "threading", "multiprocessing", "dask")


def score_batch(model: Any, articles: list[Article]) -> tuple[list[list[Sentence]], np.ndarray, np.ndarray]:
    """Segment a batch of articles and classify every sentence with one matrix pass.

    Returns (sentences per article, probabilities (n_sentences, n_labels), decisions (0/1, same
    shape)); boilerplate is never labelled (codebook), whatever its scores.
    """
    segmented = [split_sentences(a.text) for a in articles]
    flat = [s.text for sents in segmented for s in sents]
    n_labels = len(model.labels_)
    if not flat:
        return segmented, np.zeros((0, n_labels)), np.zeros((0, n_labels), dtype=np.uint8)
    P = model.predict_proba(flat)
    D = model.decide(P)
    boiler = np.array([s.boilerplate for sents in segmented for s in sents])
    D[boiler] = 0
    return segmented, P, D


def score_texts(model: Any, articles: list[Article], evidence: int = 5) -> list[list[dict[str, Any]]]:
    """Sentence records for a batch of articles, one list per article.

    Per-sentence work stays in plain Python objects (``tolist()`` once per batch rather than NumPy
    indexing per sentence), and evidence is asked only for the labels a sentence receives.
    """
    segmented, P, D = score_batch(model, articles)
    ev: dict[int, dict[str, list[list[Any]]]] = {}
    if evidence and len(D):
        rows = np.flatnonzero(D.any(axis=1))
        if len(rows):
            flat = [s.text for sents in segmented for s in sents]
            explained = model.explain([flat[i] for i in rows], top_k=evidence, only=D[rows])
            ev = dict(zip(rows.tolist(), explained))
    return to_records(articles, segmented, P, D, list(model.labels_), ev if evidence else None)


def to_records(
    articles: list[Article],
    segmented: list[list[Sentence]],
    P: np.ndarray,
    D: np.ndarray,
    labels: list[str],
    evidence: dict[int, dict[str, list[list[Any]]]] | None = None,
) -> list[list[dict[str, Any]]]:
    """Records from :func:`score_batch`'s output; ``evidence`` maps a flat sentence index to its
    evidence per label (``None``: no evidence field)."""
    scores = P.tolist()
    hits = D.astype(bool).tolist()
    out: list[list[dict[str, Any]]] = []
    k = 0
    for article, sents in zip(articles, segmented):
        records = []
        for n, s in enumerate(sents):
            predicted = [lab for lab, hit in zip(labels, hits[k]) if hit]
            rec: dict[str, Any] = {
                "article": article.id,
                "sentence": n,
                "text": s.text,
                "start": s.start,
                "end": s.end,
                "labels": predicted,
                "scores": {lab: round(p, 4) for lab, p in zip(labels, scores[k])},
                "paragraph": s.paragraph,
                "quote": s.quote,
                "speaker": s.speaker,
                "holder": s.holder,
                "holder_source": s.holder_source,
                "boilerplate": s.boilerplate,
            }
            if evidence is not None:
                e = evidence.get(k, {})
                rec["evidence"] = {lab: e.get(lab, []) for lab in predicted}
            records.append(rec)
            k += 1
        out.append(records)
    return out


def chunks(articles: Iterable[Article], size: int = CHUNK_ARTICLES) -> Iterator[list[Article]]:
    chunk: list[Article] = []
    for a in articles:
        chunk.append(a)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def score_articles(
    model: Any, articles: Iterable[Article], evidence: int = 5, chunk_size: int = CHUNK_ARTICLES
) -> Iterator[tuple[Article, list[dict[str, Any]]]]:
    """(article, sentence records) for each article, in order, in one process."""
    for chunk in chunks(articles, chunk_size):
        yield from zip(chunk, score_texts(model, chunk, evidence))


def _score_chunk(
    model_dir: str, chunk: list[Article], evidence: int, trust_model: bool = False
) -> list[tuple[Article, list[dict[str, Any]]]]:
    from stance.artifact import load_model_cached

    return list(zip(chunk, score_texts(load_model_cached(model_dir, trust_model), chunk, evidence)))


def score_stream(
    model_dir: str,
    articles: Iterable[Article],
    jobs: int = 1,
    backend: str = "loky",
    scheduler: str | None = None,
    evidence: int = 5,
    chunk_size: int = CHUNK_ARTICLES,
    trust_model: bool = False,
) -> Iterator[tuple[Article, list[dict[str, Any]]]]:
    """Yield (article, sentence records) in input order, scoring chunks in parallel when asked;
    workers load the model from ``model_dir`` once each (a joblib model only with ``trust_model``)."""
    from stance.artifact import load_model_cached

    if backend not in BACKENDS:
        raise StanceError(f"unknown backend '{backend}' (use loky, threading or dask)")
    model_dir = str(model_dir)
    if jobs == 1 and backend == "loky":
        yield from score_articles(load_model_cached(model_dir, trust_model), articles, evidence, chunk_size)
        return
    from joblib import Parallel, delayed, parallel_config

    ctx: Any
    if backend == "dask":
        ctx = _dask_context(scheduler)
    else:
        ctx = parallel_config(backend=backend, n_jobs=jobs)
    with ctx:
        parallel = Parallel(n_jobs=jobs if backend != "dask" else -1, return_as="generator", pre_dispatch="2*n_jobs")
        for result in parallel(delayed(_score_chunk)(model_dir, chunk, evidence, trust_model) for chunk in chunks(articles, chunk_size)):
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
