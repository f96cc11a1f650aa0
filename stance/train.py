"""Training: config -> data -> fitted model (thresholds learnt in ``fit``) -> model directory."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from stance.config import Config
from stance.data import LabelledData, load_split
from stance.distill import load_soft
from stance.errors import StanceError
from stance.model import build_model

MIN_POSITIVES = 3


def check_trainable(data: LabelledData, min_positives: int = MIN_POSITIVES) -> None:
    """Every label needs a few positives and some negatives to be learnt at all."""
    if len(data) < 2:
        raise StanceError("training split needs at least 2 records", path=data.source)
    counts = data.Y.sum(axis=0)
    for label, n in zip(data.labels, counts):
        if n < min_positives:
            raise StanceError(
                f"label '{label}' has {int(n)} example(s) in the training split; at least {min_positives} are needed",
                path=data.source,
            )
        if n == len(data):
            raise StanceError(f"label '{label}' is on every record; there is nothing to contrast it with", path=data.source)
        if len(data) - n < min_positives:
            raise StanceError(
                f"label '{label}' is missing from only {int(len(data) - n)} record(s) in the training split; "
                f"at least {min_positives} are needed to contrast it with",
                path=data.source,
            )


def warn_soft_unused(cfg: Config, what: str) -> None:
    """Cross-validation, searches and the audit fold gold data only: a config's soft labels sit out."""
    if cfg.data.soft:
        import warnings

        warnings.warn(f"{what} uses the gold labels only; the soft labels of data.soft ({cfg.data.soft}) are not used", stacklevel=3)


def check_tunable(dev: LabelledData) -> None:
    """Thresholds tuned on dev need each label to occur there; otherwise the threshold would silently
    be the highest allowed, whatever the model does."""
    for label, n in zip(dev.labels, dev.Y.sum(axis=0)):
        if n == 0:
            raise StanceError(
                f"label '{label}' has no example in the dev split, so its threshold cannot be tuned there; "
                'add examples, or set thresholds.strategy = "fixed"',
                path=dev.source,
            )


def min_positives(cfg: Config) -> int:
    """The calibrated SVM cross-validates each label over calibration_folds stratified folds."""
    return max(MIN_POSITIVES, cfg.model.calibration_folds if cfg.model.kind == "linear_svm" else 0)


def check_output(out: Path, force: bool, fmt: str) -> None:
    """Problems with --out and --format, found before minutes of training rather than after."""
    from stance.artifact import MANIFEST, MODEL_FILES

    if fmt not in MODEL_FILES:
        raise StanceError(f"unknown model format '{fmt}' (use joblib or skops)")
    if fmt == "skops":
        try:
            import skops.io  # noqa: F401
        except ImportError:
            raise StanceError("the skops format needs skops: pip install 'stance[skops]'") from None
    if out.exists() and not out.is_dir():
        raise StanceError("exists and is not a directory", path=out)
    if (out / MANIFEST).exists() and not force:
        raise StanceError("already holds a model; use --force to replace it", path=out)


def fit_model(
    cfg: Config,
    train: LabelledData,
    dev: LabelledData | None,
    n_jobs: int | None = None,
    soft: tuple[list[str], np.ndarray] | None = None,
    on_progress: Callable[[str, int, int], None] | None = None,
) -> tuple[Any, str]:
    """The config's estimator fitted on train (and on ``soft``: texts with a teacher's probabilities),
    its thresholds learnt on dev (or on out-of-fold predictions on train; see
    :class:`~stance.model.StanceClassifier`).

    Returns the model and where its thresholds came from (``dev``, ``train-cv``, ``fixed``). Test
    data never enters.
    """
    check_trainable(train, min_positives(cfg))
    if cfg.thresholds.strategy == "dev" and dev is not None:
        check_tunable(dev)
    if cfg.model.kind == "transformer" and cfg.thresholds.strategy == "dev" and dev is None:
        raise StanceError(
            "config key 'data.dev': model.kind = \"transformer\" learns its thresholds on a dev split; "
            'name one, or set thresholds.strategy = "fixed"'
        )
    model = build_model(cfg, n_jobs=n_jobs)
    if on_progress is not None and "progress" in model.get_params():  # the transformer's epochs take minutes
        model.set_params(progress=on_progress)
    held_out = (dev.texts, dev.Y) if dev is not None and cfg.thresholds.strategy == "dev" else (None, None)
    X, Y, weights = train.texts, train.Y, None
    if soft is not None:  # distillation: the teacher's probabilities beside the gold labels
        if cfg.thresholds.strategy == "dev" and dev is None:
            raise StanceError("config key 'data.soft': soft labels need a dev split (data.dev) to learn thresholds on")
        X = list(train.texts) + list(soft[0])
        Y = np.vstack([train.Y.astype(np.float64), soft[1]])
        weights = np.concatenate([np.ones(len(train)), np.full(len(soft[0]), cfg.data.soft_weight)])
    with feature_errors(train.source):
        if weights is None:
            model.fit(X, Y, *held_out)
        else:
            model.fit(X, Y, *held_out, sample_weight=weights)
    return model, model.thresholds_from_


@contextlib.contextmanager
def feature_errors(source: str) -> Iterator[None]:
    """Turn the vectorisers' complaints about the feature settings into one-line errors."""
    try:
        yield
    except ValueError as exc:
        msg = str(exc)
        if "no terms remain" in msg or "empty vocabulary" in msg or "max_df corresponds to" in msg:
            raise StanceError(
                f"no n-gram features left to learn from ({msg.splitlines()[0]}); check features.min_df, "
                "features.max_df and features.max_features",
                path=source,
            ) from None
        raise


def train(
    cfg: Config,
    out: str | Path,
    force: bool = False,
    fmt: str = "skops",
    n_jobs: int | None = None,
    on_step: Callable[[str], None] | None = None,
    on_progress: Callable[[str, int, int], None] | None = None,
) -> dict[str, Any]:
    """Train from a config and write the model directory; returns the manifest."""
    import warnings

    from stance.artifact import save_model
    from stance.metrics import SmallSampleWarning, compute_metrics, small_sample_note
    from stance.prevalence import measure_error_rates

    step = on_step or (lambda _msg: None)
    out = Path(out)
    check_output(out, force, fmt)  # fail before minutes of training, not after
    step(f"loading training data {cfg.data.train}")
    train_data = load_split(cfg, "train")
    dev = None
    if cfg.data.dev:
        step(f"loading dev data {cfg.data.dev}")
        dev = load_split(cfg, "dev")
    soft: tuple[list[str], np.ndarray] | None = None
    soft_digest = None
    if cfg.data.soft:
        step(f"loading soft labels {cfg.data.soft}")
        soft_texts, soft_P, soft_digest = load_soft(cfg.data.soft, cfg.labels, cfg.data)
        soft = (soft_texts, soft_P)
    also = f" and {len(soft[0])} with soft labels" if soft else ""
    step(f"fitting {cfg.model.kind} on {len(train_data)} sentences{also}")
    model, source = fit_model(cfg, train_data, dev, n_jobs=n_jobs, soft=soft, on_progress=on_progress)
    dev_metrics = error_rates = None
    if dev is not None:
        step("measuring on dev")
        P = model.predict_proba(dev.texts)
        decided = model.decide(P)
        dev_metrics = compute_metrics(dev.Y, P, decided, cfg.labels, model.thresholds_, n_boot=0)
        note = small_sample_note(dev.Y, decided, cfg.labels)
        if note:
            warnings.warn(f"dev split {dev.source}: {note}", SmallSampleWarning, stacklevel=2)
        # what `stance score --group-by` corrects prevalence with (stance calibrate can replace them)
        where = {"split": "dev", "path": cfg.data.dev, "sha256": dev.sha256, "thresholds_tuned_here": source == "dev"}
        error_rates = measure_error_rates(dev.Y, P, model.thresholds_, cfg.labels, source=where).to_dict()
    step(f"writing {out}")
    manifest = {
        "labels": cfg.labels,
        # a record of what the model decides with; never read back into the model
        "thresholds": {lab: round(float(t), 6) for lab, t in zip(cfg.labels, model.thresholds_)},
        "thresholds_from": source,
        "config": cfg.to_dict(),
        "data": {
            "train": {"path": cfg.data.train, "sha256": train_data.sha256, "n": len(train_data)},
            **({"dev": {"path": cfg.data.dev, "sha256": dev.sha256, "n": len(dev)}} if dev is not None else {}),
            **({"soft": {"path": cfg.data.soft, "sha256": soft_digest, "n": len(soft[0])}} if soft else {}),
        },
        "dev_metrics": dev_metrics,
        **({"error_rates": error_rates} if error_rates is not None else {}),
    }
    if cfg.model.kind == "transformer":  # the encoder, hyper-parameters, framework versions, history
        manifest["transformer"] = model.description()
    elif cfg.features.kind in ("embeddings", "tfidf+embeddings"):
        from stance.embeddings import embedding_info

        manifest["embedding"] = embedding_info(cfg.features.embedding_model)
    probe = (dev.texts if dev is not None else train_data.texts)[:300]  # where the scorer arrays must give the model's numbers
    return save_model(model, out, manifest, force=force, fmt=fmt, probe=probe)
