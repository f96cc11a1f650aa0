"""Training: config -> data -> fitted model with dev-tuned thresholds -> model directory."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from stance.config import Config
from stance.data import LabelledData, load_data
from stance.errors import StanceError
from stance.model import StanceClassifier, build_model

MIN_POSITIVES = 3


def check_trainable(data: LabelledData) -> None:
    """Every label needs a few positives and some negatives to be learnt at all."""
    if len(data) < 2:
        raise StanceError("training split needs at least 2 records", path=data.source)
    counts = data.Y.sum(axis=0)
    for label, n in zip(data.labels, counts):
        if n < MIN_POSITIVES:
            raise StanceError(
                f"label '{label}' has {int(n)} example(s) in the training split; at least {MIN_POSITIVES} are needed",
                path=data.source,
            )
        if n == len(data):
            raise StanceError(f"label '{label}' is on every record; there is nothing to contrast it with", path=data.source)


def fit_model(cfg: Config, train: LabelledData, dev: LabelledData | None, n_jobs: int | None = None) -> tuple[StanceClassifier, str]:
    """Fit on train; tune per-label thresholds on dev (or on cross-validated train predictions).

    Returns the model and a note saying where its thresholds came from. Test data never enters.
    """
    check_trainable(train)
    model = build_model(cfg, n_jobs=n_jobs).fit(train.texts, train.Y)
    t = cfg.thresholds
    if t.strategy == "fixed":
        return model, "fixed"
    if dev is not None:
        model.tune_thresholds(dev.texts, dev.Y, none_rate=t.none_rate, lo=t.min, hi=t.max)
        return model, "dev"
    # No dev split: out-of-fold predictions on train stand in for held-out data.
    from stance.data import stratified_kfold
    from stance.model import base_rate_weights, best_f1_threshold

    P = np.zeros(train.Y.shape)
    for tr, te in stratified_kfold(train.Y, 3, cfg.seed):
        fold = build_model(cfg, n_jobs=n_jobs).fit([train.texts[i] for i in tr], train.Y[tr])
        P[te] = fold.predict_proba([train.texts[i] for i in te])
    w = base_rate_weights(train.Y, t.none_rate)
    model.thresholds_ = np.array([best_f1_threshold(P[:, j], train.Y[:, j], w, t.min, t.max) for j in range(P.shape[1])])
    return model, "train-cv"


def train(
    cfg: Config,
    out: str | Path,
    force: bool = False,
    fmt: str = "joblib",
    n_jobs: int | None = None,
    on_step: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Train from a config and write the model directory; returns the manifest."""
    from stance.artifact import MANIFEST, save_model
    from stance.evaluate import compute_metrics

    step = on_step or (lambda _msg: None)
    out = Path(out)
    if (out / MANIFEST).exists() and not force:  # fail before minutes of training, not after
        raise StanceError("already holds a model; use --force to replace it", path=out)
    step(f"loading training data {cfg.data.train}")
    train_data = load_data(cfg.data.train, cfg.labels, cfg.data)
    dev = None
    if cfg.data.dev:
        step(f"loading dev data {cfg.data.dev}")
        dev = load_data(cfg.data.dev, cfg.labels, cfg.data)
    step(f"fitting {cfg.model.kind} on {len(train_data)} sentences")
    model, source = fit_model(cfg, train_data, dev, n_jobs=n_jobs)
    dev_metrics = None
    if dev is not None:
        step("measuring on dev")
        dev_metrics = compute_metrics(dev.Y, model.predict_proba(dev.texts), model.thresholds_, cfg.labels, n_boot=0)
    step(f"writing {out}")
    manifest = {
        "labels": cfg.labels,
        "thresholds": {lab: round(float(t), 6) for lab, t in zip(cfg.labels, model.thresholds_)},
        "thresholds_from": source,
        "config": cfg.to_dict(),
        "data": {
            "train": {"path": cfg.data.train, "sha256": train_data.sha256, "n": len(train_data)},
            **({"dev": {"path": cfg.data.dev, "sha256": dev.sha256, "n": len(dev)}} if dev is not None else {}),
        },
        "dev_metrics": dev_metrics,
    }
    if cfg.features.kind in ("embeddings", "tfidf+embeddings"):
        from stance.embeddings import embedding_info

        manifest["embedding"] = embedding_info(cfg.features.embedding_model)
    return save_model(model, out, manifest, force=force, fmt=fmt)
