"""Cross-validation and hyperparameter search over configs.

Both work on configs rather than estimator parameters, so what they report or save is a config a
user can train from; the folds themselves are scikit-learn's ``cross_validate`` on the config's
estimator, which learns its thresholds inside ``fit``. Test data never enters: ``cv`` uses
train+dev, ``tune`` scores candidates by cross-validation on train and measures only the winner on dev.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from stance.config import Config, apply_overrides, config_from_dict
from stance.data import LabelledData, concat, load_split
from stance.errors import StanceError
from stance.folds import stratified_kfold
from stance.metrics import compute_metrics
from stance.model import build_model


def _scorer(labels: list[str]) -> Any:
    """A scikit-learn scorer returning every fold metric this module reports (a dict, as
    ``cross_validate`` accepts): macro/micro F1 and per-label P/R/F1 of the model's own decisions."""

    def score(estimator: Any, X: list[str], Y: np.ndarray) -> dict[str, float]:
        P = estimator.predict_proba(X)
        m = compute_metrics(Y, P, estimator.decide(P), labels, n_boot=0)
        out = {"macro_f1": m["macro_f1"], "micro_f1": m["micro_f1"]}
        for lab in labels:
            out.update({f"{lab}__{k}": m["per_label"][lab][k] for k in ("precision", "recall", "f1")})
        return out

    return score


def _cross_validate(cfg: Config, data: LabelledData, folds: int) -> dict[str, np.ndarray]:
    """scikit-learn's ``cross_validate`` of the config's estimator over multi-label stratified folds:
    each fold fits a clone, thresholds included, so nothing is tuned by hand here."""
    from sklearn.model_selection import cross_validate as sk_cross_validate

    from stance.train import check_trainable, feature_errors, min_positives

    splits = stratified_kfold(data.Y, folds, cfg.seed)
    for tr, _ in splits:
        check_trainable(data.subset(tr), min_positives(cfg))
    with feature_errors(data.source):
        res = sk_cross_validate(build_model(cfg), data.texts, data.Y, cv=splits, scoring=_scorer(cfg.labels), error_score="raise")
    return {k[len("test_") :]: v for k, v in res.items() if k.startswith("test_")}


def cross_validate(
    cfg: Config, folds: int = 5, on_fold: Callable[[int], None] | None = None, out: str | Path | None = None
) -> dict[str, Any]:
    """Multi-label stratified k-fold on train+dev; mean and standard deviation per metric (written
    as JSON to ``out`` if given).

    In each fold, thresholds are tuned on out-of-fold predictions within that fold's training part.
    """
    from stance.train import warn_soft_unused

    warn_soft_unused(cfg, "cross-validation")
    parts = [load_split(cfg, "train")]
    if cfg.data.dev:
        parts.append(load_split(cfg, "dev"))
    data = concat(parts)
    if len(data) < folds * 2:
        raise StanceError(f"{len(data)} records are too few for {folds} folds", path=data.source)
    scores = _cross_validate(cfg, data, folds)
    if on_fold:
        on_fold(folds)

    def agg(values: np.ndarray) -> dict[str, float]:
        return {"mean": round(float(np.mean(values)), 4), "std": round(float(np.std(values, ddof=1)), 4)}

    result = {
        "folds": folds,
        "n": len(data),
        "data": data.source,
        "macro_f1": agg(scores["macro_f1"]),
        "micro_f1": agg(scores["micro_f1"]),
        "per_label": {lab: {m: agg(scores[f"{lab}__{m}"]) for m in ("precision", "recall", "f1")} for lab in cfg.labels},
        "per_fold": [{"macro_f1": float(a), "micro_f1": float(b)} for a, b in zip(scores["macro_f1"], scores["micro_f1"])],
    }
    if out:
        from stance.fileio import write_json

        write_json(out, result)
    return result


_DISTS = ("uniform", "loguniform", "randint")


def _space(grid: dict[str, Any]) -> dict[str, Any]:
    """Validate the [tune.grid] table into lists and scipy distributions."""
    from scipy import stats

    space: dict[str, Any] = {}
    for key, spec in grid.items():
        if isinstance(spec, list):
            if not spec:
                raise StanceError(f"config key 'tune.grid.{key}': empty list")
            space[key] = spec
        elif isinstance(spec, dict):
            dist, low, high = spec.get("dist"), spec.get("low"), spec.get("high")
            if dist not in _DISTS or not isinstance(low, (int, float)) or not isinstance(high, (int, float)) or low >= high:
                raise StanceError(
                    f"config key 'tune.grid.{key}': expected {{dist = {'|'.join(_DISTS)}, low = ..., high = ...}} with low < high"
                )
            if dist == "uniform":
                space[key] = stats.uniform(low, high - low)
            elif dist == "loguniform":
                if low <= 0:
                    raise StanceError(f"config key 'tune.grid.{key}': loguniform needs low > 0")
                space[key] = stats.loguniform(low, high)
            else:
                space[key] = stats.randint(int(low), int(high) + 1)
        else:
            raise StanceError(f"config key 'tune.grid.{key}': expected a list of values or a distribution table")
    return space


def grid_candidates(grid: dict[str, Any], n_iter: int = 0, seed: int = 0) -> list[dict[str, Any]]:
    """Candidates from [tune.grid]: the full grid, or ``n_iter`` samples (scikit-learn's
    ParameterGrid / ParameterSampler)."""
    if not grid:
        raise StanceError('config has no [tune] grid; add e.g. [tune.grid] "model.C" = [0.5, 1, 4]')
    from sklearn.model_selection import ParameterGrid, ParameterSampler

    space = _space(grid)
    if n_iter > 0:
        return [
            {k: (v.item() if hasattr(v, "item") else v) for k, v in p.items()} for p in ParameterSampler(space, n_iter, random_state=seed)
        ]
    if any(not isinstance(v, list) for v in space.values()):
        raise StanceError("config key 'tune.n_iter': distributions need random search; set tune.n_iter > 0")
    return list(ParameterGrid(space))


def _with(cfg: Config, params: dict[str, Any]) -> Config:
    raw = cfg.to_dict()
    items = [f"{k}={json.dumps(v)}" for k, v in params.items()]
    try:
        return config_from_dict(apply_overrides(raw, items))
    except StanceError as exc:
        raise StanceError(f"[tune.grid]: {exc}") from None


def tune(
    cfg: Config,
    n_jobs: int = 1,
    on_candidate: Callable[[dict[str, Any], float], None] | None = None,
    out: str | Path | None = None,
) -> dict[str, Any]:
    """Grid or random search: each candidate config scored by k-fold ``tune.metric`` on train with
    scikit-learn's ``cross_validate`` (candidates in parallel with joblib); the best is refitted on
    train, its thresholds learnt on dev, and measured on dev. With ``out``, writes ``out/best.toml``
    (data paths relative to it, as in any config) and ``out/report.json``."""
    from joblib import Parallel, delayed

    from stance.train import fit_model, warn_soft_unused

    warn_soft_unused(cfg, "the search")
    candidates = grid_candidates(cfg.tune.grid, cfg.tune.n_iter, cfg.seed)
    configs = [_with(cfg, p) for p in candidates]
    train = load_split(cfg, "train")
    metric = cfg.tune.metric

    def run(c: Config) -> float:
        return float(np.mean(_cross_validate(c, train, cfg.tune.folds)[metric]))

    results = []
    for params, score in zip(candidates, Parallel(n_jobs=n_jobs, return_as="generator")(delayed(run)(c) for c in configs)):
        results.append({"params": params, metric: round(score, 4)})
        if on_candidate:
            on_candidate(params, score)
    best_i = int(np.argmax([r[metric] for r in results]))
    best_cfg = configs[best_i]
    dev_metrics = None
    if best_cfg.data.dev:
        dev = load_split(best_cfg, "dev")
        model, _ = fit_model(best_cfg, train, dev)
        P = model.predict_proba(dev.texts)
        dev_metrics = compute_metrics(dev.Y, P, model.decide(P), cfg.labels, model.thresholds_, n_boot=0)
    result = {
        "metric": metric,
        "candidates": results,
        "best": results[best_i],
        "best_config": best_cfg.to_dict(),
        "dev_metrics": dev_metrics,
    }
    if out:
        from stance.config import relative_data_paths
        from stance.fileio import write_json, write_text

        out = Path(out)
        write_text(out / "best.toml", to_toml(relative_data_paths(result["best_config"], out)))
        write_json(out / "report.json", result)
    return result


def to_toml(d: dict[str, Any]) -> str:
    """A config dict as TOML (the subset of TOML configs use: tables of scalars and lists)."""

    def val(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (int, float)):
            return repr(v)
        if isinstance(v, str):
            return json.dumps(v)
        if isinstance(v, (list, tuple)):
            return "[" + ", ".join(val(x) for x in v) + "]"
        if isinstance(v, dict):
            return "{" + ", ".join(f"{k} = {val(x)}" for k, x in v.items()) + "}"
        raise TypeError(type(v))

    lines, tables = [], []
    for k, v in d.items():
        if isinstance(v, dict):
            tables.append((k, v))
        elif v is not None:
            lines.append(f"{k} = {val(v)}")
    for name, table in tables:
        sub = [(k, v) for k, v in table.items() if isinstance(v, dict)]
        lines += ["", f"[{name}]"] + [f"{k} = {val(v)}" for k, v in table.items() if v is not None and not isinstance(v, dict)]
        for k, v in sub:
            lines += ["", f"[{name}.{k}]"] + [f"{json.dumps(kk)} = {val(vv)}" for kk, vv in v.items()]
    return "\n".join(lines) + "\n"
