"""Evaluating a saved model on labelled data: the report (a plain dict, serialised as JSON with a
``schema_version``) with metrics, provenance, the most confident errors and every prediction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from stance.errors import StanceError
from stance.metrics import SmallSampleWarning, compute_metrics, f1_scores, small_sample_note  # noqa: F401 (f1_scores: benchmarks/recipes.py imports it from here)

if TYPE_CHECKING:
    from stance.data import LabelledData

SCHEMA_VERSION = 1


def confident_errors(
    texts: Sequence[str], Y: np.ndarray, P: np.ndarray, Yhat: np.ndarray, labels: Sequence[str], k: int = 5
) -> dict[str, Any]:
    """The most confident false positives and false negatives per label, with their text."""
    out: dict[str, Any] = {}
    for j, label in enumerate(labels):
        pred = Yhat[:, j] == 1
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
    Yhat: np.ndarray,
    labels: Sequence[str],
    thresholds: Sequence[float],
    data_info: dict[str, Any],
    model_info: dict[str, Any],
    n_boot: int = 1000,
    seed: int = 0,
) -> dict[str, Any]:
    """The evaluation report: metrics, provenance and per-example predictions (for paired tests).

    ``P`` are the model's probabilities, ``Yhat`` its decisions, ``thresholds`` what it decided with.
    """
    Y = np.asarray(Y, dtype=np.uint8)
    Yhat = np.asarray(Yhat, dtype=np.uint8)
    metrics = compute_metrics(Y, P, Yhat, labels, thresholds, n_boot=n_boot, seed=seed)
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
        "errors": confident_errors(texts, Y, P, Yhat, labels),
        "predictions": predictions,
    }


def evaluate(
    model_dir: str,
    data: str,
    threshold: float | None = None,
    n_boot: int = 1000,
    text_field: str | None = None,
    labels_field: str | None = None,
    trust_model: bool = False,
    runtime: str | None = None,
    by: str | None = None,
) -> dict[str, Any]:
    """Evaluate a saved model on a labelled file; returns the report dict (write it with
    :func:`stance.render.files.write_report`). ``threshold`` decides with one value for every label
    instead of the model's own thresholds. A split too small for its figures to mean much is
    warned about (:class:`~stance.metrics.SmallSampleWarning`) and noted in the report's ``warnings``.
    ``runtime`` (jax, onnx, onnx-int8) replaces the runtime of an accurate-tier model. ``by`` names a
    column (genre, outlet, source) whose values split the figures too: the report's ``by``."""
    import warnings

    from stance.artifact import load_model, manifest_thresholds

    if threshold is not None and not 0 < threshold < 1:
        raise StanceError(f"--threshold must be between 0 and 1 (exclusive), got {threshold:g}")
    model, manifest = load_model(model_dir, trust_model, runtime)
    labels = manifest["labels"]
    ds = load_labelled(manifest, data, text_field, labels_field, keep=(by,) if by else ())
    P = model.predict_proba(ds.texts)
    Yhat = model.decide(P, threshold)
    thresholds = [float(threshold)] * len(labels) if threshold is not None else manifest_thresholds(manifest)
    model_info = {
        "path": str(model_dir),
        "labels": labels,
        "thresholds": dict(zip(labels, [round(t, 4) for t in thresholds])),
        "model_sha256": manifest["model_sha256"],
        **({"runtime": model.runtime} if hasattr(model, "runtime") else {}),  # the accurate tier's (--runtime)
        "train_sha256": manifest.get("data", {}).get("train", {}).get("sha256"),
        "config": manifest.get("config"),
        "versions": manifest.get("versions"),
        "created": manifest.get("created"),
        "threshold_override": threshold,
    }
    data_info = {"path": str(data), "sha256": ds.sha256, "n": len(ds)}
    seed = int(manifest.get("config", {}).get("seed", 0))
    report = build_report(ds.texts, ds.Y, P, Yhat, labels, thresholds, data_info, model_info, n_boot=n_boot, seed=seed)
    if by:
        report["by"] = {"field": by, "groups": by_group(ds.extra[by], ds.Y, P, Yhat, labels, thresholds, n_boot, seed)}
    note = small_sample_note(ds.Y, Yhat, labels)
    report["warnings"] = [note] if note else []
    if note:
        warnings.warn(f"{data}: {note}", SmallSampleWarning, stacklevel=2)
    return report


def by_group(
    values: Sequence[Any],
    Y: np.ndarray,
    P: np.ndarray,
    Yhat: np.ndarray,
    labels: Sequence[str],
    thresholds: Sequence[float],
    n_boot: int = 1000,
    seed: int = 0,
) -> dict[str, Any]:
    """The figures of each group of rows sharing a value (rows without one: ``"(none)"``), largest
    group first: the same metrics as the whole report's, on that group alone."""
    keys = ["(none)" if v is None else str(v) for v in values]
    groups: dict[str, list[int]] = {}
    for i, k in enumerate(keys):
        groups.setdefault(k, []).append(i)
    out: dict[str, Any] = {}
    for k, idx in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        m = compute_metrics(Y[idx], P[idx], Yhat[idx], labels, thresholds, n_boot=n_boot, seed=seed)
        out[k] = {f: m[f] for f in ("n", "macro_f1", "macro_f1_ci", "micro_f1", "per_label") if f in m}
    return out


def load_labelled(
    manifest: dict[str, Any],
    data: str,
    text_field: str | None = None,
    labels_field: str | None = None,
    keep: Sequence[str] = (),
) -> LabelledData:
    """Labelled data for a saved model: read with the data settings it was trained with (fields,
    label format), unless told otherwise."""
    import dataclasses

    from stance.config import DataConfig
    from stance.data import load_data

    known = {f.name for f in dataclasses.fields(DataConfig)}
    saved = manifest.get("config", {}).get("data", {}) if isinstance(manifest.get("config"), dict) else {}
    dcfg = DataConfig(**{k: v for k, v in saved.items() if k in known})
    if text_field:
        dcfg = dataclasses.replace(dcfg, text_field=text_field)
    if labels_field:
        dcfg = dataclasses.replace(dcfg, labels_field=labels_field)
    return load_data(data, manifest["labels"], dcfg, keep=keep)
