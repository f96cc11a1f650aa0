"""One-vs-rest fits of the fast tier's binary classifiers: on 0/1 labels, as scikit-learn's
``OneVsRestClassifier`` fits them (:func:`fit_ovr`), and on soft targets and weighted rows
(:func:`fit_weighted_ovr`: how the fast model learns a teacher's probabilities, :mod:`stance.distill`,
beside the gold labels).

Every binary fit runs with one BLAS thread, in this process or in a worker. liblinear's dot products
and vector updates go through BLAS, and OpenBLAS splits long vectors across its threads, which changes
the rounding: the coefficients depended on how many threads the fitting process had (one per core in
this process, cores // jobs in a joblib worker), so ``--jobs 1`` and ``--jobs 2`` trained different
models, and another machine another one. A second thread bought nothing either: on a quiet 2-core
machine a fit took as long with two threads as with one (and twice the CPU), and on a busy one the
three default fits on 100,000 sentences took 53 s instead of about 11 s.

Labels are fitted in parallel (``n_jobs``) by processes forked from this one where the platform forks
(they start in milliseconds and read the feature matrix in place), else by joblib's workers.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.multiclass import OneVsRestClassifier

# Below this many stored values (about 10,000 sentences), labels are fitted in this process whatever
# n_jobs says: starting workers would take longer than the fits.
MIN_NNZ_FOR_WORKERS = 1_000_000


def is_soft(Y: np.ndarray) -> bool:
    """Whether a target matrix holds probabilities rather than 0/1 labels."""
    return Y.dtype.kind == "f" and bool(np.any((Y > 0) & (Y < 1)))


def fit_ovr(base: Any, F: Any, Y: np.ndarray, n_jobs: int | None) -> OneVsRestClassifier:
    """``OneVsRestClassifier(base, n_jobs=n_jobs).fit(F, Y)`` on a 0/1 label matrix: the same fitted
    object (scikit-learn's own per-label fit, ``_fit_binary``), each label fitted with one BLAS thread."""
    from sklearn.multiclass import _fit_binary
    from sklearn.preprocessing import LabelBinarizer

    ovr = OneVsRestClassifier(base, n_jobs=n_jobs)
    ovr.label_binarizer_ = LabelBinarizer(sparse_output=True)
    columns = ovr.label_binarizer_.fit_transform(Y).tocsc()
    ovr.classes_ = classes = ovr.label_binarizer_.classes_
    extra = {"fit_params": {}} if "fit_params" in inspect.signature(_fit_binary).parameters else {}

    def one(F: Any, j: int) -> Any:
        y = columns[:, j].toarray().ravel()
        return _one_thread(_fit_binary, base, F, y, classes=[f"not {classes[j]}", classes[j]], **extra)

    ovr.estimators_ = per_label(one, columns.shape[1], n_jobs, F)
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
    from scipy import sparse
    from sklearn.preprocessing import LabelBinarizer

    n = Y.shape[0]
    w = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    if w.shape != (n,) or (w < 0).any():
        raise ValueError("sample_weight must be one non-negative weight per row")
    balanced = base.get_params().get("class_weight") == "balanced"
    if balanced:
        base = clone(base).set_params(class_weight=None)

    def one(F: Any, j: int) -> Any:
        y = Y[:, j]
        pos, neg = w * y, w * (1 - y)
        rows = np.concatenate([np.flatnonzero(pos > 0), np.flatnonzero(neg > 0)])
        target = np.concatenate([np.ones(int((pos > 0).sum())), np.zeros(int((neg > 0).sum()))])
        weight = np.concatenate([pos[pos > 0], neg[neg > 0]])
        if balanced:  # n / (2 * per-class total), with totals in weight rather than rows
            total = weight.sum()
            weight = np.where(target == 1, weight * total / (2 * max(pos.sum(), 1e-12)), weight * total / (2 * max(neg.sum(), 1e-12)))
        X_rep = F[rows] if sparse.issparse(F) else np.asarray(F)[rows]
        return _one_thread(clone(base).fit, X_rep, target, sample_weight=weight)

    estimators = per_label(one, Y.shape[1], n_jobs, F)
    ovr = OneVsRestClassifier(base, n_jobs=n_jobs)
    ovr.label_binarizer_ = LabelBinarizer(sparse_output=True).fit((Y >= 0.5).astype(np.int64))
    ovr.classes_ = ovr.label_binarizer_.classes_
    ovr.estimators_ = estimators
    ovr.n_features_in_ = F.shape[1]
    return ovr


def _one_thread(fit: Any, *args: Any, **kwargs: Any) -> Any:
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1, user_api="blas"):
        return fit(*args, **kwargs)


_FORKED: tuple[Callable[[Any, int], Any], Any] | None = None  # the fit and matrix a forked worker inherited


def per_label(fit_one: Callable[[Any, int], Any], n_labels: int, n_jobs: int | None, F: Any) -> list[Any]:
    """``[fit_one(F, j) for j in range(n_labels)]``, in up to ``n_jobs`` processes (joblib's convention:
    None is 1, -1 every core): forked from this one where the platform forks and joblib's backend is
    processes (loky, the default), else joblib's workers (given ``F`` as an argument, which joblib can
    memory-map); in this process for small matrices."""
    from joblib import Parallel, delayed, effective_n_jobs
    from joblib.parallel import get_active_backend

    nnz = F.nnz if hasattr(F, "nnz") else np.size(F)
    jobs = min(effective_n_jobs(n_jobs), n_labels) if nnz >= MIN_NNZ_FOR_WORKERS else 1
    backend = get_active_backend()[0]
    if jobs <= 1 or getattr(backend, "uses_threads", False):  # threads: liblinear and BLAS limits are per process
        return [fit_one(F, j) for j in range(n_labels)]
    if type(backend).__name__ == "LokyBackend" and _can_fork():
        import multiprocessing

        global _FORKED
        _FORKED = (fit_one, F)
        try:
            with multiprocessing.get_context("fork").Pool(jobs, initializer=_worker_signals) as pool:
                return pool.map(_forked_fit, range(n_labels), chunksize=1)  # leaving the block stops the workers
        finally:
            _FORKED = None
    return Parallel(n_jobs=jobs)(delayed(fit_one)(F, j) for j in range(n_labels))


def _forked_fit(j: int) -> Any:
    assert _FORKED is not None
    fit_one, F = _FORKED
    return fit_one(F, j)


def _can_fork() -> bool:
    import multiprocessing

    # A process that has loaded JAX runs XLA's threads: forking it can deadlock the children.
    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods() and "jax" not in sys.modules


def _worker_signals() -> None:
    """Workers leave interrupts to the process that forked them (which stops the pool) and die on
    SIGTERM: a command's own SIGTERM handler, inherited by the fork, would keep them alive."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
