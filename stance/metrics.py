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


class SmallSampleWarning(UserWarning):
    """A split is too small for its figures to mean much (a 1.000 from three examples)."""


# A recall measured on fewer examples than this has a 95% interval wider than about 0.3 where it is
# middling (and wider still on a handful of examples, even when every one was right).
MAX_INTERVAL_WIDTH = 0.3


def wilson_interval(successes: float, n: float, z: float = 1.959964) -> tuple[float, float]:
    """The 95% Wilson score interval of a proportion: unlike the bootstrap, it does not collapse to
    [1, 1] when every one of a few examples was right."""
    if n <= 0:
        return 0.0, 1.0
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, float(centre - half)), min(1.0, float(centre + half))


def small_sample_note(Y: np.ndarray, Yhat: np.ndarray, labels: Sequence[str], max_width: float = MAX_INTERVAL_WIDTH) -> str | None:
    """A sentence saying how little a split's figures can mean, or None when they can mean something.

    The label with the fewest examples decides: its recall's 95% Wilson interval is given, and the
    note is written when that interval is wider than ``max_width`` (or a label has no example).
    """
    Y = np.asarray(Y)
    n = len(Y)
    tp, _fp, fn = counts(Y, Yhat)
    support = tp + fn
    for label, s in zip(labels, support):
        if s == 0:
            return f"{n} sentences; '{label}' has no example, so its precision, recall and F1 say nothing"
    widths = []
    for j in range(len(labels)):
        lo, hi = wilson_interval(float(tp[j]), float(support[j]))
        widths.append((hi - lo, j, lo, hi))
    if not widths:
        return None
    width, j, lo, hi = max(widths)
    if width <= max_width:
        return None
    s = int(support[j])
    return (
        f"{n} sentences; '{labels[j]}' has {s} example{'s' if s != 1 else ''}, so its recall {tp[j] / s:.2f} has a 95% interval of "
        f"[{lo:.2f}, {hi:.2f}] ({width:.2f} wide): figures from a split this small mean little"
    )
