"""Multi-label metrics from gold labels and decisions: counting, P/R/F1, bootstrap intervals.

The one place where true and false positives are counted; evaluation reports, cross-validation,
searches and the comparison of reports all use it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def confusion_parts(Y: np.ndarray, Yhat: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-row (tp, fp, fn) indicator matrices as floats, for weighted sums (bootstraps, paired tests)."""
    Y = np.asarray(Y, dtype=np.float64)
    Yhat = np.asarray(Yhat, dtype=np.float64)
    return Yhat * Y, Yhat * (1 - Y), (1 - Yhat) * Y


def counts(Y: np.ndarray, Yhat: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-label (tp, fp, fn) counts."""
    tp, fp, fn = confusion_parts(Y, Yhat)
    return tp.sum(axis=0), fp.sum(axis=0), fn.sum(axis=0)


def f1_from_counts(tp: Any, fp: Any, fn: Any) -> np.ndarray:
    """F1 = 2 tp / (2 tp + fp + fn), 0 where nothing was gold or predicted; works on any shape."""
    tp, fp, fn = (np.asarray(v, dtype=np.float64) for v in (tp, fp, fn))
    den = 2 * tp + fp + fn
    return np.where(den > 0, 2 * tp / np.maximum(den, 1e-12), 0.0)


def prf(tp: Any, fp: Any, fn: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Precision, recall and F1 from counts (0 where undefined)."""
    tp, fp, fn = (np.asarray(v, dtype=np.float64) for v in (tp, fp, fn))
    p = np.where(tp + fp > 0, tp / np.maximum(tp + fp, 1e-12), 0.0)
    r = np.where(tp + fn > 0, tp / np.maximum(tp + fn, 1e-12), 0.0)
    return p, r, f1_from_counts(tp, fp, fn)


def f1_scores(Y: np.ndarray, Yhat: np.ndarray) -> tuple[np.ndarray, float, float]:
    """(per-label F1, micro-F1, macro-F1) - fast, for bootstraps and tests."""
    tp, fp, fn = counts(Y, Yhat)
    f = f1_from_counts(tp, fp, fn)
    micro = f1_from_counts(tp.sum(), fp.sum(), fn.sum())
    return f, float(micro), float(f.mean())


def bootstrap_f1(Y: np.ndarray, Yhat: np.ndarray, n_boot: int = 1000, seed: int = 0) -> dict[str, Any]:
    """Percentile 95% intervals of per-label, micro and macro F1 over resampled sentences."""
    rng = np.random.default_rng(seed)
    n = len(Y)
    per, micro, macro = [], [], []
    for _ in range(n_boot):
        idx = rng.integers(0, n, n)
        f, mi, ma = f1_scores(Y[idx], Yhat[idx])
        per.append(f)
        micro.append(mi)
        macro.append(ma)
    return {
        "per_label": np.percentile(np.array(per), [2.5, 97.5], axis=0).T,
        "micro": np.percentile(micro, [2.5, 97.5]),
        "macro": np.percentile(macro, [2.5, 97.5]),
    }


def compute_metrics(
    Y: np.ndarray,
    P: np.ndarray,
    Yhat: np.ndarray,
    labels: Sequence[str],
    thresholds: Sequence[float] | None = None,
    n_boot: int = 1000,
    seed: int = 0,
) -> dict[str, Any]:
    """Per-label P/R/F1 with 95% bootstrap intervals, PR-AUC and Brier (from probabilities ``P``);
    micro/macro/weighted F1 of the decisions ``Yhat``. ``thresholds`` are recorded, not applied."""
    from sklearn.metrics import average_precision_score

    Y = np.asarray(Y, dtype=np.uint8)
    Yhat = np.asarray(Yhat, dtype=np.uint8)
    tp, fp, fn = counts(Y, Yhat)
    prec, rec, f1 = prf(tp, fp, fn)
    support = Y.sum(axis=0)
    micro = f1_from_counts(tp.sum(), fp.sum(), fn.sum())
    weighted = float((f1 * support).sum() / support.sum()) if support.sum() else 0.0
    ci = bootstrap_f1(Y, Yhat, n_boot=n_boot, seed=seed) if n_boot else None
    per_label: dict[str, Any] = {}
    for j, label in enumerate(labels):
        entry: dict[str, Any] = {
            "precision": round(float(prec[j]), 4),
            "recall": round(float(rec[j]), 4),
            "f1": round(float(f1[j]), 4),
            "support": int(support[j]),
            "predicted": int(Yhat[:, j].sum()),
        }
        if thresholds is not None:
            entry["threshold"] = round(float(thresholds[j]), 4)
        entry["pr_auc"] = round(float(average_precision_score(Y[:, j], P[:, j])), 4) if support[j] else None
        entry["brier"] = round(float(np.mean((P[:, j] - Y[:, j]) ** 2)), 4)
        if ci is not None:
            entry["f1_ci"] = [round(float(x), 4) for x in ci["per_label"][j]]
        per_label[label] = entry
    out: dict[str, Any] = {
        "n": int(len(Y)),
        "per_label": per_label,
        "micro_f1": round(float(micro), 4),
        "macro_f1": round(float(f1.mean()), 4),
        "weighted_f1": round(weighted, 4),
        "exact_match": round(float((Yhat == Y).all(axis=1).mean()), 4),
        "none_share": round(float((Y.sum(axis=1) == 0).mean()), 4),
    }
    if ci is not None:
        out["micro_f1_ci"] = [round(float(x), 4) for x in ci["micro"]]
        out["macro_f1_ci"] = [round(float(x), 4) for x in ci["macro"]]
    return out
