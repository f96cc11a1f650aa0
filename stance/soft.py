"""One-vs-rest fits of the fast tier's binary classifiers: on 0/1 labels, as scikit-learn's
``OneVsRestClassifier`` fits them (:func:`fit_ovr`), and on soft targets and weighted rows
(:func:`fit_weighted_ovr`: how the fast model learns a teacher's probabilities, :mod:`stance.distill`,
beside the gold labels).

Every binary fit runs with one BLAS thread, in this process or in a worker. liblinear's dot products
and vector updates go through BLAS, and OpenBLAS splits long vectors across its threads, which changes
the rounding: the coefficients depended on how many threads the fitting process had (one per core in
this process, cores // jobs in a joblib worker), so ``--jobs 1`` and ``--jobs 2`` trained different
models, and another machine another one. One thread is also faster: on a busy 2-core machine,
OpenBLAS's threads waiting for each other made each liblinear fit several times slower.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.multiclass import OneVsRestClassifier


def is_soft(Y: np.ndarray) -> bool:
    """Whether a target matrix holds probabilities rather than 0/1 labels."""
    return Y.dtype.kind == "f" and bool(np.any((Y > 0) & (Y < 1)))


# Below this many stored values (about 10,000 sentences), labels are fitted in this process whatever
# n_jobs says: starting workers and sending them the matrix would take longer than the fits.
MIN_NNZ_FOR_WORKERS = 1_000_000


def _jobs(n_jobs: int | None, F: Any) -> int | None:
    nnz = F.nnz if hasattr(F, "nnz") else np.size(F)
    return n_jobs if nnz >= MIN_NNZ_FOR_WORKERS else None


def _one_thread(fit: Any, *args: Any, **kwargs: Any) -> Any:
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1, user_api="blas"):
        return fit(*args, **kwargs)


def fit_ovr(base: Any, F: Any, Y: np.ndarray, n_jobs: int | None) -> OneVsRestClassifier:
    """``OneVsRestClassifier(base, n_jobs=n_jobs).fit(F, Y)`` on a 0/1 label matrix: the same fitted
    object (scikit-learn's own per-label fit, ``_fit_binary``), each label fitted with one BLAS thread."""
    from joblib import Parallel, delayed
    from sklearn.multiclass import _fit_binary
    from sklearn.preprocessing import LabelBinarizer

    ovr = OneVsRestClassifier(base, n_jobs=n_jobs)
    ovr.label_binarizer_ = LabelBinarizer(sparse_output=True)
    columns = ovr.label_binarizer_.fit_transform(Y).tocsc()
    ovr.classes_ = classes = ovr.label_binarizer_.classes_
    extra = {"fit_params": {}} if "fit_params" in inspect.signature(_fit_binary).parameters else {}
    ovr.estimators_ = Parallel(n_jobs=_jobs(n_jobs, F))(
        delayed(_one_thread)(_fit_binary, base, F, col.toarray().ravel(), classes=[f"not {classes[i]}", classes[i]], **extra)
        for i, col in enumerate(columns.T)
    )
    if hasattr(ovr.estimators_[0], "n_features_in_"):
        ovr.n_features_in_ = ovr.estimators_[0].n_features_in_
    return ovr


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
        return _one_thread(clone(base).fit, X_rep, target, sample_weight=weight)

    estimators = Parallel(n_jobs=_jobs(n_jobs, F))(delayed(one)(Y[:, j]) for j in range(Y.shape[1]))
    ovr = OneVsRestClassifier(base, n_jobs=n_jobs)
    ovr.label_binarizer_ = LabelBinarizer(sparse_output=True).fit((Y >= 0.5).astype(np.int64))
    ovr.classes_ = ovr.label_binarizer_.classes_
    ovr.estimators_ = estimators
    ovr.n_features_in_ = F.shape[1]
    return ovr
