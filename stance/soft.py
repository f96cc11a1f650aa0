"""Soft targets and weighted rows for the one-vs-rest estimator: how the fast model learns a
teacher's probabilities (distillation, :mod:`stance.distill`) beside the gold labels."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.multiclass import OneVsRestClassifier


def is_soft(Y: np.ndarray) -> bool:
    """Whether a target matrix holds probabilities rather than 0/1 labels."""
    return Y.dtype.kind == "f" and bool(np.any((Y > 0) & (Y < 1)))


def fit_weighted_ovr(base: Any, F: Any, Y: np.ndarray, sample_weight: Any, n_jobs: int | None) -> OneVsRestClassifier:
    """One-vs-rest on soft targets and/or weighted rows, as a fitted :class:`OneVsRestClassifier`
    (so prediction, evidence and persistence are those of the hard-label path).

    Per label, a row of target y becomes a positive of weight w*y and a negative of weight w*(1-y).
    ``class_weight="balanced"`` is applied to these weights (sklearn's would count the duplicated
    rows, not their weight), then left out of the fitted binary classifier's own parameters.
    """
    from joblib import Parallel, delayed
    from scipy import sparse
    from sklearn.preprocessing import LabelBinarizer

    n = Y.shape[0]
    w = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    if w.shape != (n,) or (w < 0).any():
        raise ValueError("sample_weight must be one non-negative weight per row")
    balanced = base.get_params().get("class_weight") == "balanced"
    if balanced:
        base = clone(base).set_params(class_weight=None)

    def one(y: np.ndarray) -> Any:
        pos, neg = w * y, w * (1 - y)
        rows = np.concatenate([np.flatnonzero(pos > 0), np.flatnonzero(neg > 0)])
        target = np.concatenate([np.ones(int((pos > 0).sum())), np.zeros(int((neg > 0).sum()))])
        weight = np.concatenate([pos[pos > 0], neg[neg > 0]])
        if balanced:  # n / (2 * per-class total), with totals in weight rather than rows
            total = weight.sum()
            weight = np.where(target == 1, weight * total / (2 * max(pos.sum(), 1e-12)), weight * total / (2 * max(neg.sum(), 1e-12)))
        X_rep = F[rows] if sparse.issparse(F) else np.asarray(F)[rows]
        return clone(base).fit(X_rep, target, sample_weight=weight)

    estimators = Parallel(n_jobs=n_jobs)(delayed(one)(Y[:, j]) for j in range(Y.shape[1]))
    ovr = OneVsRestClassifier(base, n_jobs=n_jobs)
    ovr.label_binarizer_ = LabelBinarizer(sparse_output=True).fit((Y >= 0.5).astype(np.int64))
    ovr.classes_ = ovr.label_binarizer_.classes_
    ovr.estimators_ = estimators
    ovr.n_features_in_ = F.shape[1]
    return ovr
