"""stance: sentence-level classifiers for political and news rhetoric (blame, threat, denial, ...).

The Python API, for notebooks; the command line calls the same functions::

    import stance

    model = stance.load("models/default")          # verified against its manifest, then loaded
    P = model.predict_proba(["There was no invasion."])   # (n_sentences, n_labels)
    records = stance.score(model, [article_text])  # one dict per sentence, streamed
    df = stance.to_frame(records)                  # a pandas DataFrame, one row per sentence

:func:`load` returns a :class:`stance.model.StanceClassifier`, a scikit-learn estimator
(``predict_proba``, ``decide``, ``predict``, ``explain``, ``labels_``, ``thresholds_``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from stance.version import __version__

__all__ = ["load", "score", "to_frame", "__version__"]


def load(path: str | Path, trust_model: bool = False) -> Any:
    """The model in a model directory (``stance train --out``), checked against its manifest's
    sha256 first. A skops model loads with stance's allow-list of types; a joblib model is a pickle,
    whose loading runs code, and is refused unless ``trust_model=True`` (you trust whoever made it)."""
    from stance.artifact import load_model

    return load_model(path, trust_model)[0]


def score(model: Any, articles: Any, evidence: int = 5) -> Iterator[dict[str, Any]]:
    """Sentence records for ``articles``, streamed in order: ``{"article", "sentence", "text",
    "start", "end", "labels", "scores", "paragraph", "quote", "speaker", "holder", "holder_source",
    "boilerplate", "evidence"}`` (the lines ``stance score`` writes).

    ``model`` is a loaded model or a model directory; ``articles`` a string (one article), or an
    iterable of strings (named ``0``, ``1``, ...), ``{"id", "text"}`` dicts, ``(id, text)`` pairs or
    :class:`stance.articles.Article`. ``evidence=0`` leaves evidence out.
    """
    from stance.articles import as_articles
    from stance.scoring import score_articles

    if isinstance(model, (str, Path)):
        model = load(model)
    if isinstance(articles, str):
        articles = [articles]
    for _article, records in score_articles(model, as_articles(articles), evidence):
        yield from records


def to_frame(records: Iterable[dict[str, Any]]) -> Any:
    """Sentence records as a pandas DataFrame, one row per sentence: the record's fields, with
    ``scores`` spread into one ``score_LABEL`` column per label."""
    import pandas as pd

    rows = []
    for r in records:
        row = {k: v for k, v in r.items() if k != "scores"}
        row.update({f"score_{lab}": p for lab, p in r.get("scores", {}).items()})
        rows.append(row)
    return pd.DataFrame(rows)
