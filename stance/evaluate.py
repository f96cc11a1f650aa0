"""Metrics and evaluation reports (a plain dict, serialised as JSON with a ``schema_version``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

SCHEMA_VERSION = 1


def _prf(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(tp + fp > 0, tp / (tp + fp), 0.0)
        r = np.where(tp + fn > 0, tp / (tp + fn), 0.0)
        f = np.where(2 * tp + fp + fn > 0, 2 * tp / (2 * tp + fp + fn), 0.0)
    return p, r, f


def f1_scores(Y: np.ndarray, Yhat: np.ndarray) -> tuple[np.ndarray, float, float]:
    """(per-label F1, micro-F1, macro-F1) - fast, for bootstraps and tests."""
    tp = (Y & Yhat).sum(axis=0).astype(float)
    fp = ((1 - Y) & Yhat).sum(axis=0).astype(float)
    fn = (Y & (1 - Yhat)).sum(axis=0).astype(float)
    _, _, f = _prf(tp, fp, fn)
    _, _, micro = _prf(tp.sum(), fp.sum(), fn.sum())
    return f, float(micro), float(f.mean())


def compute_metrics(
    Y: np.ndarray,
    P: np.ndarray,
    thresholds: np.ndarray,
    labels: Sequence[str],
    n_boot: int = 1000,
    seed: int = 0,
) -> dict[str, Any]:
    """Per-label P/R/F1 with 95% bootstrap intervals, PR-AUC, Brier; micro/macro/weighted F1."""
    from sklearn.metrics import average_precision_score

    Y = np.asarray(Y, dtype=np.uint8)
    Yhat = (thresholds <= P).astype(np.uint8)
    tp = (Y & Yhat).sum(axis=0).astype(float)
    fp = ((1 - Y) & Yhat).sum(axis=0).astype(float)
    fn = (Y & (1 - Yhat)).sum(axis=0).astype(float)
    prec, rec, f1 = _prf(tp, fp, fn)
    support = Y.sum(axis=0)
    _, _, micro = _prf(tp.sum(), fp.sum(), fn.sum())
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
            "threshold": round(float(thresholds[j]), 4),
            "pr_auc": round(float(average_precision_score(Y[:, j], P[:, j])), 4) if support[j] else None,
            "brier": round(float(np.mean((P[:, j] - Y[:, j]) ** 2)), 4),
        }
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
    per_arr = np.array(per)
    return {
        "per_label": np.percentile(per_arr, [2.5, 97.5], axis=0).T,
        "micro": np.percentile(micro, [2.5, 97.5]),
        "macro": np.percentile(macro, [2.5, 97.5]),
    }


def confident_errors(
    texts: Sequence[str], Y: np.ndarray, P: np.ndarray, thresholds: np.ndarray, labels: Sequence[str], k: int = 5
) -> dict[str, Any]:
    """The most confident false positives and false negatives per label, with their text."""
    out: dict[str, Any] = {}
    for j, label in enumerate(labels):
        pred = P[:, j] >= thresholds[j]
        fp = np.flatnonzero(pred & (Y[:, j] == 0))
        fn = np.flatnonzero(~pred & (Y[:, j] == 1))
        fp = fp[np.argsort(-P[fp, j])][:k]
        fn = fn[np.argsort(P[fn, j])][:k]
        out[label] = {
            "false_positives": [{"i": int(i), "score": round(float(P[i, j]), 4), "text": texts[i]} for i in fp],
            "false_negatives": [{"i": int(i), "score": round(float(P[i, j]), 4), "text": texts[i]} for i in fn],
        }
    return out


def build_report(
    texts: Sequence[str],
    Y: np.ndarray,
    P: np.ndarray,
    thresholds: np.ndarray,
    labels: Sequence[str],
    data_info: dict[str, Any],
    model_info: dict[str, Any],
    n_boot: int = 1000,
    seed: int = 0,
) -> dict[str, Any]:
    """The evaluation report: metrics, provenance and per-example predictions (for paired tests)."""
    metrics = compute_metrics(Y, P, thresholds, labels, n_boot=n_boot, seed=seed)
    Yhat = (thresholds <= P).astype(np.uint8)
    predictions = [
        {
            "i": i,
            "text": texts[i],
            "gold": [labels[j] for j in np.flatnonzero(Y[i])],
            "pred": [labels[j] for j in np.flatnonzero(Yhat[i])],
            "scores": {lab: round(float(P[i, j]), 5) for j, lab in enumerate(labels)},
        }
        for i in range(len(texts))
    ]
    return {
        "schema_version": SCHEMA_VERSION,
        "labels": list(labels),
        "data": data_info,
        "model": model_info,
        **metrics,
        "errors": confident_errors(texts, Y, P, thresholds, labels),
        "predictions": predictions,
    }


def evaluate(
    model_dir: str,
    data: str,
    threshold: float | None = None,
    n_boot: int = 1000,
    text_field: str | None = None,
    labels_field: str | None = None,
) -> dict[str, Any]:
    """Evaluate a saved model on a labelled file; returns the report dict."""
    import dataclasses

    from stance.artifact import load_model
    from stance.config import DataConfig
    from stance.data import load_data

    model, manifest = load_model(model_dir)
    labels = manifest["labels"]
    known = {f.name for f in dataclasses.fields(DataConfig)}
    saved = manifest.get("config", {}).get("data", {}) if isinstance(manifest.get("config"), dict) else {}
    dcfg = DataConfig(**{k: v for k, v in saved.items() if k in known})
    if text_field:
        dcfg = dataclasses.replace(dcfg, text_field=text_field)
    if labels_field:
        dcfg = dataclasses.replace(dcfg, labels_field=labels_field)
    ds = load_data(data, labels, dcfg)
    P = model.predict_proba(ds.texts)
    thresholds = np.full(len(labels), threshold) if threshold is not None else model.thresholds_
    model_info = {
        "path": str(model_dir),
        "labels": labels,
        "thresholds": dict(zip(labels, [round(float(t), 4) for t in thresholds])),
        "model_sha256": manifest["model_sha256"],
        "train_sha256": manifest.get("data", {}).get("train", {}).get("sha256"),
        "config": manifest.get("config"),
        "versions": manifest.get("versions"),
        "created": manifest.get("created"),
        "threshold_override": threshold,
    }
    data_info = {"path": str(data), "sha256": ds.sha256, "n": len(ds)}
    seed = int(manifest.get("config", {}).get("seed", 0))
    return build_report(ds.texts, ds.Y, P, thresholds, labels, data_info, model_info, n_boot=n_boot, seed=seed)
