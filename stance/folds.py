"""Multi-label stratified folds and the one out-of-fold prediction loop (used by the estimator's
``threshold="cv"``, by cross-validation and by the label audit)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.base import clone

from stance.errors import StanceError


def stratified_kfold(Y: np.ndarray, folds: int, seed: int | None) -> list[tuple[np.ndarray, np.ndarray]]:
    """Multi-label iterative stratification (Sechidis et al. 2011) via ``iterative-stratification``."""
    from iterstrat.ml_stratifiers import MultilabelStratifiedKFold

    if folds < 2:
        raise StanceError("--folds must be at least 2")
    # Add the "no label" column so that the unlabelled share is stratified too.
    target = np.hstack([Y, (Y.sum(axis=1) == 0)[:, None]]).astype(int)
    splitter = MultilabelStratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    return list(splitter.split(np.zeros(len(Y)), target))


@dataclass
class OutOfFold:
    """Held-out predictions for every row, each from the fold model that did not see it."""

    P: np.ndarray  # probabilities (n, n_labels)
    decisions: np.ndarray | None  # the fold model's 0/1 decisions (n, n_labels), where it has ``decide``
    thresholds: np.ndarray | None  # the fold model's thresholds for each row (n, n_labels)
    splits: list[tuple[np.ndarray, np.ndarray]]


def out_of_fold(
    estimator: Any,
    X: Sequence[str],
    Y: np.ndarray,
    folds: int,
    seed: int | None,
    fit: Callable[[Any, list[str], np.ndarray], Any] | None = None,
) -> OutOfFold:
    """Fit a clone of ``estimator`` on all folds but one and predict the one, for each fold.

    ``fit(estimator, X, Y)`` replaces ``estimator.fit(X, Y)`` where a caller wants to translate its
    errors. Decisions and thresholds come from the fold models themselves (``decide``, ``thresholds_``).
    """
    X = list(X)
    Y = np.asarray(Y)
    splits = stratified_kfold(Y, folds, seed)
    P = np.zeros(Y.shape, dtype=float)
    D = np.zeros(Y.shape, dtype=np.uint8)
    T = np.zeros(Y.shape, dtype=float)
    decides = hasattr(estimator, "decide")
    for tr, te in splits:
        est = clone(estimator)
        Xtr, Xte = [X[i] for i in tr], [X[i] for i in te]
        est = fit(est, Xtr, Y[tr]) if fit else est.fit(Xtr, Y[tr])
        P[te] = est.predict_proba(Xte)
        if decides:
            D[te] = est.decide(P[te])
            T[te] = est.thresholds_
    return OutOfFold(P, D if decides else None, T if decides else None, splits)
