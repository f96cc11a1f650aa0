"""Per-label decision thresholds learnt from held-out probabilities (the estimator calls these in
``fit``; nothing else sets thresholds)."""

from __future__ import annotations

import numpy as np


def base_rate_weights(Y: np.ndarray, none_rate: float) -> np.ndarray:
    """Sample weights that raise the share of rows with no label to ``none_rate``.

    Dev splits are built with far more positives than real news carries; thresholds chosen there
    flood real articles with false alarms. Up-weighting unlabelled rows simulates the realistic base
    rate. Never down-weights (a dev split that is already realistic is left as it is).
    """
    none = Y.sum(axis=1) == 0
    w = np.ones(len(Y))
    n_none, n_pos = int(none.sum()), int((~none).sum())
    if none_rate > 0 and n_none and n_pos:
        factor = none_rate / (1 - none_rate) * n_pos / n_none
        if factor > 1:
            w[none] = factor
    return w


def best_f1_threshold(p: np.ndarray, y: np.ndarray, w: np.ndarray, lo: float = 0.05, hi: float = 0.95) -> float:
    """The threshold maximising weighted F1; midway between neighbouring scores, clipped to [lo, hi]."""
    if y.sum() == 0:
        return hi
    order = np.argsort(-p, kind="stable")
    ps, ys, ws = p[order], y[order], w[order]
    tp = np.cumsum(ws * ys)
    fp = np.cumsum(ws * (1 - ys))
    total_pos = float((ws * ys).sum())
    f1 = 2 * tp / (tp + fp + total_pos)
    # only cut between distinct scores
    valid = np.r_[ps[1:] < ps[:-1], True]
    f1 = np.where(valid, f1, -1)
    k = int(np.argmax(f1))
    nxt = ps[k + 1] if k + 1 < len(ps) else 0.0
    thr = (ps[k] + nxt) / 2
    return float(np.clip(thr, lo, hi))


def learn_thresholds(P: np.ndarray, Y: np.ndarray, none_rate: float = 0.0, lo: float = 0.05, hi: float = 0.95) -> np.ndarray:
    """One F1-optimal threshold per label (column) from held-out probabilities ``P`` and gold ``Y``,
    with unlabelled rows re-weighted to ``none_rate`` (:func:`base_rate_weights`)."""
    Y = np.asarray(Y)
    w = base_rate_weights(Y, none_rate)
    return np.array([best_f1_threshold(P[:, j], Y[:, j], w, lo, hi) for j in range(P.shape[1])])
