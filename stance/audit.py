"""Likely label errors in the training data, from out-of-fold predictions: cleanlab's multi-label
``find_label_issues`` where the optional extra ``stance[labelling]`` is installed, otherwise a
documented fallback (:func:`rank_disagreements`). Test data never enters."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from stance.config import Config
from stance.data import LabelledData, concat, load_split
from stance.errors import StanceError
from stance.folds import out_of_fold
from stance.model import build_model
from stance.train import check_trainable, feature_errors, min_positives, warn_soft_unused


def disagreement(Y: np.ndarray, P: np.ndarray, D: np.ndarray) -> np.ndarray:
    """Per row, the most confident disagreement ``|given - p|`` between the given labels ``Y`` and
    the out-of-fold decisions ``D`` (given but not decided, or decided but not given); 0 where they agree."""
    Y = np.asarray(Y, dtype=float)
    disagree = np.not_equal(Y, np.asarray(D, dtype=float))
    return np.where(disagree, np.abs(Y - P), 0.0).max(axis=1) if Y.shape[1] else np.zeros(len(Y))


def rank_disagreements(Y: np.ndarray, P: np.ndarray, D: np.ndarray) -> list[int]:
    """The fallback ranking (no cleanlab): rows where the out-of-fold decisions ``D`` disagree with
    the given labels ``Y`` for some label, ranked by :func:`disagreement`; rows that agree on every
    label are not issues."""
    Y = np.asarray(Y, dtype=float)
    disagree = np.not_equal(Y, np.asarray(D, dtype=float))
    strength = disagreement(Y, P, D)
    rows = np.flatnonzero(disagree.any(axis=1))
    return [int(i) for i in rows[np.argsort(-strength[rows], kind="stable")]]


def _cleanlab_ranking(Y: np.ndarray, P: np.ndarray) -> tuple[list[int], np.ndarray]:
    import warnings

    from cleanlab.filter import find_label_issues

    # n_jobs=1: no process pool. It gains nothing here (ranking takes seconds; the folds take the time),
    # and a pool whose workers were killed mid-task is how `stance audit` once hung after its last fold.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if Y.shape[1] == 1:  # one label: an ordinary binary problem
            probs = np.hstack([1 - P, P])
            ranked = find_label_issues(labels=Y[:, 0].astype(int), pred_probs=probs, return_indices_ranked_by="self_confidence", n_jobs=1)
            quality = np.where(Y[:, 0] == 1, P[:, 0], 1 - P[:, 0])
        else:
            from cleanlab.multilabel_classification.rank import get_label_quality_scores

            lists = [[int(j) for j in np.flatnonzero(row)] for row in Y]
            ranked = find_label_issues(labels=lists, pred_probs=P, multi_label=True, return_indices_ranked_by="self_confidence", n_jobs=1)
            quality = get_label_quality_scores(lists, P)
    return [int(i) for i in ranked], np.asarray(quality, dtype=float)


def audit(
    cfg: Config,
    folds: int = 5,
    method: str = "auto",
    top: int | None = None,
    out: str | Path | None = None,
    on_step: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Likely label errors in train (+ dev), ranked: out-of-fold probabilities from multi-label
    stratified k-fold, then cleanlab's multi-label ``find_label_issues`` (``method="cleanlab"``, the
    default where installed) or :func:`rank_disagreements` (``method="fallback"``).

    Each issue: ``{"rank", "text", "labels" (given), "suspected" (what the out-of-fold model
    predicts), "add", "remove", "scores" (out-of-fold probabilities), "thresholds", "score" (higher
    = more likely wrong), "file", "line"}``. ``top`` keeps the first issues (0 or None: all); with
    ``out`` they are written there as JSONL. Test data never enters. ``on_step`` is told what is
    happening (``fold 2/5`` as each fold starts), for a progress line.
    """
    step = on_step or (lambda _msg: None)
    if top is not None and top < 0:
        raise StanceError("--top must be 0 (all) or more")
    if method not in ("auto", "cleanlab", "fallback"):
        raise StanceError(f"unknown audit method '{method}' (use auto, cleanlab or fallback)")
    if method in ("auto", "cleanlab"):
        try:
            import cleanlab  # noqa: F401
        except ImportError:
            if method == "cleanlab":
                raise StanceError("--method cleanlab needs the optional extra: pip install 'stance[labelling]'") from None
            method = "fallback"
        else:
            method = "cleanlab"
    step("loading the training data")
    warn_soft_unused(cfg, "the audit")
    parts = [load_split(cfg, "train")]
    if cfg.data.dev:
        parts.append(load_split(cfg, "dev"))
    data = concat(parts)
    files = data.files  # per record: a split joined from several files names the record's own
    if len(data) < folds * 2:
        raise StanceError(f"{len(data)} records are too few for {folds} folds", path=data.source)

    fold = 0

    def fit(estimator: Any, X: list[str], Y: np.ndarray) -> Any:
        nonlocal fold
        fold += 1
        step(f"fold {fold}/{folds}")
        check_trainable(LabelledData(X, Y, list(cfg.labels), source=data.source), min_positives(cfg))
        with feature_errors(data.source):
            return estimator.fit(X, Y)

    oof = out_of_fold(build_model(cfg), data.texts, data.Y, folds, cfg.seed, fit=fit)
    P, D, T = oof.P, oof.decisions, oof.thresholds
    Y = np.asarray(data.Y)
    step(f"ranking with {method}")
    if method == "cleanlab":
        ranked, quality = _cleanlab_ranking(Y, P)
        score = 1 - quality
    else:
        ranked = rank_disagreements(Y, P, D)
        score = disagreement(Y, P, D)
    issues = []
    for rank, i in enumerate(ranked[: top or None], start=1):
        given = [lab for lab, y in zip(cfg.labels, Y[i]) if y]
        suspected = [lab for lab, d in zip(cfg.labels, D[i]) if d]
        issues.append(
            {
                "rank": rank,
                "text": data.texts[i],
                "labels": given,
                "suspected": suspected,
                "add": [lab for lab in suspected if lab not in given],
                "remove": [lab for lab in given if lab not in suspected],
                "scores": {lab: round(float(p), 4) for lab, p in zip(cfg.labels, P[i])},
                "thresholds": {lab: round(float(t), 4) for lab, t in zip(cfg.labels, T[i])},
                "score": round(float(score[i]), 4),
                "file": files[i],
                "line": data.lines[i] if data.lines else None,
            }
        )
    if out:
        from stance.fileio import write_jsonl

        write_jsonl(out, issues)
    return {"method": method, "folds": folds, "n": len(data), "data": data.source, "n_issues": len(ranked), "issues": issues}
