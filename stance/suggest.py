"""What to label next: the sentences whose probability sits closest to a label's decision
threshold (uncertainty sampling), chosen so that the batch is diverse (maximal marginal relevance
over TF-IDF vectors of the candidates, with near-copies excluded outright). Boilerplate, very short
fragments, repeats and sentences already in a labelled corpus are skipped."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from stance.errors import StanceError
from stance.formats import Row, check_text, normalise_text


def label_uncertainty(P: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Per row, how close the most doubtful label is to its threshold: 1 on the threshold, 0 at 0 or 1.

    The distance ``|p - t|`` is scaled by the room on that side of the threshold (``t`` below it,
    ``1 - t`` above), so labels with low thresholds are not favoured over labels with high ones.
    """
    p = np.asarray(P, dtype=float)
    t = np.asarray(thresholds, dtype=float)[None, :]
    room = np.where(p < t, t, 1 - t)
    closeness = 1 - np.abs(p - t) / np.maximum(room, 1e-9)
    return np.clip(closeness, 0, 1).max(axis=1) if p.shape[1] else np.zeros(len(p))


def select_diverse(X: Any, uncertainty: np.ndarray, n: int, diversity: float = 0.3, max_similarity: float = 0.7) -> list[int]:
    """Greedy maximal marginal relevance: pick, one at a time, the candidate maximising
    ``(1 - diversity) * uncertainty - diversity * (cosine similarity to the closest pick)``,
    never one whose similarity to a pick reaches ``max_similarity`` (near-copies). May return fewer
    than ``n`` when every remaining candidate is a near-copy of a pick."""
    from sklearn.preprocessing import normalize

    m = len(uncertainty)
    if m == 0 or n <= 0:
        return []
    X = normalize(X)
    u = np.asarray(uncertainty, dtype=float)
    closest = np.zeros(m)
    available = np.ones(m, dtype=bool)
    picked: list[int] = []
    while len(picked) < n and available.any():
        score = np.where(available, (1 - diversity) * u - diversity * closest, -np.inf)
        i = int(np.argmax(score))
        picked.append(i)
        sim = X @ X[i].T
        sim = np.asarray(sim.todense() if hasattr(sim, "todense") else sim, dtype=float).ravel()
        closest = np.maximum(closest, sim)
        available[i] = False
        available &= closest < max_similarity
    return picked


def pool_vectors(texts: Sequence[str]) -> Any:
    """Word TF-IDF vectors fitted on the candidates themselves, for similarity between them.

    Not the model's own features: its vocabulary is its training data's, and on new text two
    sentences that share only the few words it knows would look alike. Unigrams, because a near-copy
    (a word added or swapped) keeps a cosine above about 0.75 while a paraphrase falls to about 0.5.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    from stance.features import TOKEN_PATTERN

    try:
        return TfidfVectorizer(sublinear_tf=True, token_pattern=TOKEN_PATTERN).fit_transform(list(texts))
    except ValueError:  # no tokens at all (e.g. only punctuation): every candidate is as different as can be
        import scipy.sparse as sp

        return sp.identity(len(texts), format="csr")


def _corpus_keys(paths: Sequence[str | Path], text_field: str = "text") -> set[int]:
    """Hashes of the normalised sentences in labelled files (hashes: a set of ints stays small), read
    by the loader ``train`` uses (JSONL, CSV/TSV, ...) with the model's text field."""
    from stance.config import is_hub_id
    from stance.data import read_rows

    keys: set[int] = set()
    for path in paths:
        if not Path(path).exists() and not is_hub_id(str(path)):
            raise StanceError("file not found (--exclude)", path=path)
        rows, _ = read_rows(path, text_field)
        if rows and text_field not in rows[0][1]:
            columns = ", ".join(str(k) for k in rows[0][1])
            raise StanceError(f"no text column '{text_field}' (the model's text field); the file's columns are {columns}", path=path)
        for line, row in rows:
            keys.add(hash(normalise_text(check_text(row, str(path), line, text_field))))
    return keys


def suggest(
    model_dir: str | Path,
    inputs: Sequence[str],
    n: int = 200,
    seed: int = 0,
    *,
    exclude: Sequence[str | Path] = (),
    diversity: float = 0.3,
    max_similarity: float = 0.7,
    min_words: int = 3,
    pool: int | None = None,
    on_article: Callable[[Any, list[Row]], None] | None = None,
    out: str | Path | None = None,
    trust_model: bool = False,
) -> list[Row]:
    """The ``n`` sentences of ``inputs`` most worth labelling next, in the order chosen (most uncertain first).

    Sentences are streamed: only the ``pool`` most uncertain (default ``max(10 n, 1000)``) are kept
    for the diversity step, so memory does not grow with the input. Skipped: boilerplate (captions,
    credits, footers), sentences under ``min_words`` words, repeats (normalised text), and sentences
    already in the labelled files ``exclude``. ``seed`` breaks ties between equally uncertain
    sentences. Each record is ``{"text", "labels": [], "suggested", "scores", "uncertainty",
    "article", "sentence"}``; with ``out``, the batch is also written there as corpus JSONL.
    """
    from stance.articles import iter_articles
    from stance.artifact import load_model, manifest_thresholds
    from stance.records import to_records
    from stance.scoring import chunks, score_batch

    if n < 1:
        raise StanceError("--n must be at least 1")
    if not 0 <= diversity <= 1:
        raise StanceError("diversity must be between 0 and 1")
    if not 0 < max_similarity <= 1:
        raise StanceError("max_similarity must be in (0, 1]")
    model, manifest = load_model(model_dir, trust_model)
    labels = list(manifest["labels"])
    thresholds = np.asarray(manifest_thresholds(manifest), dtype=float)
    saved = manifest.get("config") if isinstance(manifest.get("config"), dict) else {}
    seen = _corpus_keys(exclude, str((saved.get("data") or {}).get("text_field") or "text"))
    rng = np.random.default_rng(seed)
    pool_size = pool or max(10 * n, 1000)
    heap: list[tuple[float, float, int, Row]] = []  # (uncertainty, tie-break, order, record): a min-heap of the best
    order = 0
    for chunk in chunks(iter_articles(inputs)):
        segmented, P, D = score_batch(model, chunk)
        uncertainty = label_uncertainty(P, thresholds)
        k = 0
        for article, records in zip(chunk, to_records(chunk, segmented, P, D, labels)):
            if on_article:
                on_article(article, records)
            for r in records:
                u, k = float(uncertainty[k]), k + 1
                key = normalise_text(r["text"])
                if r["boilerplate"] or len(key.split()) < min_words or hash(key) in seen:
                    continue
                seen.add(hash(key))
                rec = {
                    "text": r["text"],
                    "labels": [],
                    "suggested": r["labels"],
                    "scores": r["scores"],
                    "uncertainty": round(u, 4),
                    "article": r["article"],
                    "sentence": r["sentence"],
                }
                item = (u, float(rng.random()), order, rec)
                order += 1
                if len(heap) < pool_size:
                    heapq.heappush(heap, item)
                elif item[:2] > heap[0][:2]:
                    heapq.heapreplace(heap, item)
    batch: list[Row] = []
    if heap:
        candidates = [item[3] for item in sorted(heap, reverse=True)]
        X = pool_vectors([c["text"] for c in candidates])
        u = np.array([c["uncertainty"] for c in candidates])
        batch = [candidates[i] for i in select_diverse(X, u, n, diversity=diversity, max_similarity=max_similarity)]
    if out:
        from stance.fileio import write_jsonl

        write_jsonl(out, batch)
    return batch
